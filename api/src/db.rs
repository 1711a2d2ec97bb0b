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
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait, sqlx::sqlite::SqliteJournalMode,
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

pub async fn connect(
    settings: &Settings,
    metrics: &crate::metrics::Metrics,
) -> Result<(DatabaseConnection, QueryCounter), String> {
    let mut opts = ConnectOptions::new(settings.database_url.clone());
    opts.max_connections(settings.database_max_connections)
        .acquire_timeout(Duration::from_millis(settings.database_acquire_timeout_ms.max(1)))
        .sqlx_logging(false);
    if settings.is_sqlite() {
        // WAL lets readers go on during a write; the busy timeout makes concurrent writers
        // wait for each other instead of failing with "database is locked".
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(10)).foreign_keys(true)
        });
    }
    let mut db = Database::connect(opts).await.map_err(|e| format!("database: cannot connect: {e}"))?;
    migrate(&db, settings).await?;
    let counter = QueryCounter::default();
    let count = counter.0.clone();
    let metrics = metrics.clone();
    db.set_metric_callback(move |info| {
        count.fetch_add(1, Ordering::Relaxed);
        metrics.statement(info.elapsed, info.failed);
    });
    Ok((db, counter))
}

/// The advisory lock keys of this application ("cppcc" and a number): one for migrations,
/// one for the first-start bootstrap.
pub const MIGRATION_LOCK: i64 = 0x6370_7063_6300_0001;
pub const BOOTSTRAP_LOCK: i64 = 0x6370_7063_6300_0002;

/// Runs the pending migrations, one process at a time (issue 16 item 2): processes started
/// together on an empty database — three replicas, or a rolling deploy that ships a
/// migration — would otherwise run the same `CREATE TABLE` at once and all but one crash
/// (`duplicate key … pg_type_typname_nsp_index`). The others wait, then find nothing pending.
///
/// PostgreSQL: a session-level advisory lock, held on one dedicated connection that also runs
/// the migrations (the lock is the session's; the server releases it if the process dies).
/// SQLite: an exclusive lock on a file beside the database.
async fn migrate(db: &DatabaseConnection, settings: &Settings) -> Result<(), String> {
    let failed = |e: sea_orm::DbErr| format!("database: migration failed: {e}");
    if db.get_database_backend() == DbBackend::Postgres {
        let mut opts = ConnectOptions::new(settings.database_url.clone());
        opts.max_connections(1).min_connections(1).sqlx_logging(false);
        let lock = Database::connect(opts).await.map_err(|e| format!("database: cannot connect: {e}"))?;
        lock.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await.map_err(failed)?;
        let done = Migrator::up(&lock, None).await.map_err(failed);
        // Closing the session releases the lock too; unlocking first says so plainly.
        let _ = lock.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await;
        let _ = lock.close().await;
        return done;
    }
    let _held = match sqlite_file(&settings.database_url) {
        Some(path) => Some(
            tokio::task::spawn_blocking(move || lock_file(&path))
                .await
                .map_err(|e| format!("database: migration lock: {e}"))??,
        ),
        None => None,
    };
    Migrator::up(db, None).await.map_err(failed)
}

/// The database file of a `sqlite://path?…` URL; none for an in-memory database.
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.to_owned())
}

/// An exclusive lock on `<database>.migrate-lock`, held until the file is dropped.
fn lock_file(database: &str) -> Result<std::fs::File, String> {
    let path = format!("{database}.migrate-lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("database: migration lock {path}: {e}"))?;
    file.lock().map_err(|e| format!("database: migration lock {path}: {e}"))?;
    Ok(file)
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
