//! What an operator's Prometheus scrapes at `/metrics` (issue 16 item 7): requests by GraphQL
//! operation and outcome code with their latency, the database pool's use and the time its
//! statements take, Redis errors, open WebSockets, notifications fanned out, rate-limit
//! refusals and logins.
//!
//! `prometheus-client` (the Prometheus project's own Rust client) keeps the counters lock-free
//! and writes the OpenMetrics text format; one `Metrics` per server process, held by the
//! state, so that the tests' many servers in one process each count their own.
//!
//! The endpoint is never open to the public: it is served on its own listen address
//! (`METRICS_BIND_ADDR`, for a port the load balancer does not forward) or on the main one
//! behind a bearer token (`METRICS_TOKEN`); with neither set there is no `/metrics`.
use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sea_orm::DatabaseConnection;

/// Distinct operation names kept as labels; later new names are counted as `other`. The
/// name is chosen by the client, and every distinct label value is a time series kept for
/// the life of the process: a client sending random names must not grow it without bound.
const MAX_OPERATIONS: usize = 200;

/// Latency buckets in seconds: 1 ms to about 8 s, doubling.
fn latency_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 14)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    operation: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabel {
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ComponentLabel {
    component: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

/// Where a Redis error happened: the key-value store (sessions, limits) or the pub/sub
/// listener that carries live signals between processes.
#[derive(Clone, Copy, Debug)]
pub enum RedisPart {
    Store,
    PubSub,
}

/// How a login ended, from the outcome code of its answer.
fn login_outcome(code: &str) -> &'static str {
    match code {
        "OK" => "success",
        "UNAUTHENTICATED" => "wrong_credentials",
        "RATE_LIMITED" => "rate_limited",
        "FORBIDDEN" => "refused",
        "BAD_USER_INPUT" => "bad_input",
        _ => "error",
    }
}

struct Inner {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<OperationLabel, Histogram>,
    known_operations: Mutex<HashSet<String>>,
    rate_limited: Family<OperationLabel, Counter>,
    logins: Family<OutcomeLabel, Counter>,
    statements: Family<OutcomeLabel, Histogram>,
    pool: Family<StateLabel, Gauge>,
    pool_max: Gauge,
    redis_errors: Family<ComponentLabel, Counter>,
    sockets: Gauge,
    fanned_out: Family<KindLabel, Counter>,
}

#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("cppcc");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "graphql_requests",
            "GraphQL requests by operation name and outcome code (OK or the first error's extensions.code)",
            requests.clone(),
        );
        let latency = Family::<OperationLabel, Histogram>::new_with_constructor(|| Histogram::new(latency_buckets()));
        registry.register(
            "graphql_request_duration_seconds",
            "Time from the request's arrival to its answer, by operation name",
            latency.clone(),
        );
        let rate_limited = Family::<OperationLabel, Counter>::default();
        registry.register(
            "rate_limit_refusals",
            "Requests refused with RATE_LIMITED (logins, uploads, the request budget), by operation",
            rate_limited.clone(),
        );
        let logins = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "logins",
            "Password logins by outcome: success, wrong_credentials, rate_limited, refused, bad_input, error",
            logins.clone(),
        );
        let statements = Family::<OutcomeLabel, Histogram>::new_with_constructor(|| Histogram::new(latency_buckets()));
        registry.register(
            "db_statement_duration_seconds",
            "SQL statements by outcome (ok, failed); outside a transaction this includes the wait for a pooled connection",
            statements.clone(),
        );
        let pool = Family::<StateLabel, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections held by the pool, by state: in_use, idle",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register("db_pool_max_connections", "The pool's limit (DATABASE_MAX_CONNECTIONS)", pool_max.clone());
        let redis_errors = Family::<ComponentLabel, Counter>::default();
        registry.register(
            "redis_errors",
            "Redis commands that failed or timed out, by component: store (sessions, limits), pubsub (live signals)",
            redis_errors.clone(),
        );
        let sockets = Gauge::default();
        registry.register("websocket_connections", "WebSocket connections open on /graphql", sockets.clone());
        let fanned_out = Family::<KindLabel, Counter>::default();
        registry.register(
            "notifications_fanned_out",
            "Notifications written to inboxes, by domain event (subject.KIND, e.g. briefing.PUBLISHED)",
            fanned_out.clone(),
        );
        Self(Arc::new(Inner {
            registry,
            requests,
            latency,
            known_operations: Mutex::default(),
            rate_limited,
            logins,
            statements,
            pool,
            pool_max,
            redis_errors,
            sockets,
            fanned_out,
        }))
    }

    /// The operation's label: its name when it is a plain GraphQL name among the first
    /// `MAX_OPERATIONS` seen, `anonymous` without one, `other` beyond the bound.
    fn operation_label(&self, operation: Option<&str>) -> String {
        let Some(name) = operation else { return "anonymous".to_owned() };
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !name.as_bytes()[0].is_ascii_digit();
        if !plain {
            return "other".to_owned();
        }
        let Ok(mut known) = self.0.known_operations.lock() else { return "other".to_owned() };
        if known.contains(name) || known.len() < MAX_OPERATIONS && known.insert(name.to_owned()) {
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// One GraphQL request answered.
    pub fn request(&self, operation: Option<&str>, code: &str, took: Duration) {
        let operation = self.operation_label(operation);
        self.0.latency.get_or_create(&OperationLabel { operation: operation.clone() }).observe(took.as_secs_f64());
        if code == "RATE_LIMITED" {
            self.0.rate_limited.get_or_create(&OperationLabel { operation: operation.clone() }).inc();
        }
        self.0.requests.get_or_create(&RequestLabels { operation, code: code.to_owned() }).inc();
    }

    /// A password login answered: `OK` or its error's code.
    pub fn login(&self, code: &str) {
        self.0.logins.get_or_create(&OutcomeLabel { outcome: login_outcome(code).to_owned() }).inc();
    }

    /// One SQL statement (sea-orm's metric callback).
    pub fn statement(&self, took: Duration, failed: bool) {
        let outcome = if failed { "failed" } else { "ok" };
        self.0.statements.get_or_create(&OutcomeLabel { outcome: outcome.to_owned() }).observe(took.as_secs_f64());
    }

    pub fn redis_error(&self, part: RedisPart) {
        let component = match part {
            RedisPart::Store => "store",
            RedisPart::PubSub => "pubsub",
        };
        self.0.redis_errors.get_or_create(&ComponentLabel { component: component.to_owned() }).inc();
    }

    /// Counts a WebSocket as open until the returned guard is dropped.
    pub fn socket_opened(&self) -> SocketGuard {
        self.0.sockets.inc();
        SocketGuard(self.0.sockets.clone())
    }

    pub fn fanned_out(&self, kind: &str, notifications: usize) {
        let n = u64::try_from(notifications).unwrap_or(u64::MAX);
        self.0.fanned_out.get_or_create(&KindLabel { kind: kind.to_owned() }).inc_by(n);
    }

    /// The text a scrape gets, with the pool's numbers read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        if let Some((size, idle, max)) = pool_numbers(db) {
            let in_use = size.saturating_sub(idle);
            self.0.pool.get_or_create(&StateLabel { state: "in_use".to_owned() }).set(in_use);
            self.0.pool.get_or_create(&StateLabel { state: "idle".to_owned() }).set(idle);
            self.0.pool_max.set(max);
        }
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.0.registry) {
            tracing::error!(error = %e, "metrics could not be written");
        }
        out
    }
}

/// Size, idle and maximum of the connection pool behind `db`.
fn pool_numbers(db: &DatabaseConnection) -> Option<(i64, i64, i64)> {
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            Some((i64::from(pool.size()), as_i64(pool.num_idle()), i64::from(pool.options().get_max_connections())))
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            Some((i64::from(pool.size()), as_i64(pool.num_idle()), i64::from(pool.options().get_max_connections())))
        }
        _ => None,
    }
}

/// Keeps a WebSocket counted as open; dropping it counts it closed.
pub struct SocketGuard(Gauge);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded_and_plain() {
        let m = Metrics::new();
        assert_eq!(m.operation_label(None), "anonymous");
        assert_eq!(m.operation_label(Some("Feed")), "Feed");
        assert_eq!(m.operation_label(Some("a\"b")), "other");
        assert_eq!(m.operation_label(Some("9lives")), "other");
        for i in 0..MAX_OPERATIONS {
            m.operation_label(Some(&format!("Op{i}")));
        }
        assert_eq!(m.operation_label(Some("OneTooMany")), "other");
        assert_eq!(m.operation_label(Some("Feed")), "Feed", "a known name keeps its label");
    }

    #[test]
    fn render_writes_open_metrics() {
        let m = Metrics::new();
        m.request(Some("Feed"), "OK", Duration::from_millis(3));
        m.login("UNAUTHENTICATED");
        let mut out = String::new();
        encode(&mut out, &m.0.registry).ok();
        assert!(out.contains("cppcc_graphql_requests_total{operation=\"Feed\",code=\"OK\"} 1"), "{out}");
        assert!(out.contains("cppcc_logins_total{outcome=\"wrong_credentials\"} 1"), "{out}");
        assert!(out.ends_with("# EOF\n"));
    }
}
