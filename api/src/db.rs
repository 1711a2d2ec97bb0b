//! Database connection and migrations. SQLite is the embedded default (one file, no
//! setup); PostgreSQL is for production. Migrations run at every start.
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode,
    TransactionOptions, TransactionTrait, sqlx::sqlite::SqliteJournalMode,
};

use crate::config::Settings;

/// Counts the SQL statements this process sends (shown by tests that guard the hot paths
/// against N+1 queries).
#[derive(Clone, Default)]
pub struct QueryCounter(Arc<AtomicU64>);

impl QueryCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub async fn connect(settings: &Settings) -> Result<(DatabaseConnection, QueryCounter), String> {
    let mut opts = ConnectOptions::new(settings.database_url.clone());
    opts.max_connections(settings.database_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if settings.is_sqlite() {
        // WAL lets readers go on during a write; the busy timeout makes concurrent writers
        // wait for each other instead of failing with "database is locked".
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(10)).foreign_keys(true)
        });
    }
    let mut db = Database::connect(opts).await.map_err(|e| format!("database: cannot connect: {e}"))?;
    Migrator::up(&db, None).await.map_err(|e| format!("database: migration failed: {e}"))?;
    let counter = QueryCounter::default();
    let count = counter.0.clone();
    db.set_metric_callback(move |_| {
        count.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// Begins a transaction that writes. Every service that changes data starts here.
///
/// On SQLite it is `BEGIN IMMEDIATE`: the transaction takes the database's write lock
/// before its first read, so what it reads stays true until it commits (a deferred one
/// would read a snapshot, then fail to upgrade when another writer got in between). On
/// PostgreSQL it is a plain READ COMMITTED transaction; rules over several rows lock their
/// parent row first (`transition::lock`).
pub async fn write(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await
    } else {
        db.begin().await
    }
}
