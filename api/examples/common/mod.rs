//! What the PostgreSQL benches share: a database of their own made fresh and dropped at the
//! end, `REPS` and `PGURL` from the environment, a counting query and percentiles.
#![allow(dead_code)] // Each bench uses its own part of it.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

pub type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// A bench's database, migrated; dropped by `finish`.
pub struct BenchDb {
    pub db: DatabaseConnection,
    admin: DatabaseConnection,
    name: &'static str,
}

impl BenchDb {
    /// Drops `name` if a previous run left it, creates it and migrates it (env `PGURL`,
    /// default `postgres://postgres@127.0.0.1:5432`).
    pub async fn fresh(name: &'static str) -> Res<Self> {
        let base = std::env::var("PGURL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let admin = Database::connect(format!("{base}/postgres")).await?;
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        let settings = api::config::Settings { database_url: format!("{base}/{name}"), ..Default::default() };
        let (db, _) = api::db::connect(&settings, &api::metrics::Metrics::new()).await?;
        Ok(Self { db, admin, name })
    }

    pub async fn finish(self) -> Res<()> {
        self.db.close().await?;
        self.admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await?;
        Ok(())
    }
}

/// `REPS` from the environment, or `default`.
pub fn reps(default: usize) -> usize {
    std::env::var("REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(default)
}

/// The `n` column of a one-row query.
pub async fn count(db: &DatabaseConnection, sql: &str) -> Res<i64> {
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await?.ok_or("no row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// The `p`-th percentile (0..=1) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}
