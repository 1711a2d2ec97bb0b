//! What every request can reach: settings, the database, the shared store and the
//! services built on it. Built once at start-up and shared behind an `Arc`.
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    attachments::{owners::Owners, service::UploadGuard, signing::FileLinks, store::Files},
    auth::{password::Passwords, rate_limit::LoginLimiter, sessions::Sessions, tokens::Tokens},
    config::Settings,
    db::QueryCounter,
    kv::Kv,
    live::Broker,
    persisted_queries::PersistedQueries,
};

pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub kv: Arc<dyn Kv>,
    pub sessions: Sessions,
    pub tokens: Tokens,
    pub limiter: LoginLimiter,
    /// Every password hash goes through it: a bounded number at once.
    pub passwords: Passwords,
    pub queries: QueryCounter,
    /// Where attachments' bytes live.
    pub files: Files,
    /// Signs and checks attachment download links.
    pub links: FileLinks,
    /// Upload rate limit and concurrency bound.
    pub uploads: UploadGuard,
    /// Each domain's rule for who may read the records attachments belong to.
    pub attachment_owners: Owners,
    /// Queries registered by their hash (APQ).
    pub persisted_queries: PersistedQueries,
    /// Signals to live subscriptions in every process (Redis pub/sub, or this process).
    pub live: Broker,
    /// Subscription sockets each person holds open on this process.
    pub live_sockets: crate::live::sockets::SocketCounts,
    /// What `/metrics` shows.
    pub metrics: crate::metrics::Metrics,
    /// Where `METRICS_BIND_ADDR` was bound, once it is.
    pub metrics_addr: std::sync::OnceLock<std::net::SocketAddr>,
    /// Set when the process starts stopping (SIGTERM, SIGINT): sockets close, work winds down.
    pub shutdown: crate::shutdown::Shutdown,
}

pub type State = Arc<AppState>;
