//! Settings, layered: built-in defaults, then an optional TOML file (`CONFIG_FILE`, or
//! `config.toml` in the working directory when present), then environment variables.
//! figment does the layering; secrets are `SecretString` so they never reach a log line.
use std::time::Duration;

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    #[default]
    Development,
    Production,
}

/// Every key, as it is spelled in the environment (upper case) and in the file (lower case).
const KEYS: &[&str] = &[
    "APP_ENV",
    "DATABASE_URL",
    "DATABASE_MAX_CONNECTIONS",
    "DATABASE_ACQUIRE_TIMEOUT_MS",
    "REDIS_TIMEOUT_MS",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "JWT_SECRET",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "ACCESS_TOKEN_TTL_SECS",
    "REFRESH_TOKEN_TTL_SECS",
    "BIND_ADDR",
    "ADMIN_PHONE",
    "ADMIN_PASSWORD",
    "ADMIN_NAME",
    "ADMIN_PASSWORD_FILE",
    "BOOTSTRAP_ORGANIZATION_NAME",
    "BOOTSTRAP_ORGANIZATION_LEVEL",
    "LOGIN_MAX_FAILURES_PER_PHONE",
    "LOGIN_MAX_FAILURES_PER_IP",
    "LOGIN_FAILURE_WINDOW_SECS",
    "TRUST_FORWARDED_FOR",
    "TRUSTED_PROXY_HOPS",
    "REFRESH_REUSE_GRACE_SECS",
    "PASSWORD_HASH_CONCURRENCY",
    "PASSWORD_HASH_MAX_WAIT_SECS",
    "MAX_BODY_BYTES",
    "GRAPHQL_MAX_DEPTH",
    "GRAPHQL_MAX_COMPLEXITY",
    "GRAPHQL_MAX_FIELDS",
    "GRAPHQL_MAX_ALIASES",
    "GRAPHQL_LIST_SIZE_ESTIMATE",
    "GRAPHQL_INTROSPECTION",
    "RATE_LIMIT_WINDOW_SECS",
    "RATE_LIMIT_COST_PER_USER",
    "RATE_LIMIT_COST_PER_IP",
    "RATE_LIMIT_SENSITIVE_PER_USER",
    "RATE_LIMIT_SENSITIVE_PER_IP",
    "UPLOAD_MAX_IMAGE_PIXELS",
    "STORAGE_BACKEND",
    "STORAGE_DIR",
    "S3_BUCKET",
    "S3_REGION",
    "S3_ENDPOINT",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_ALLOW_HTTP",
    "PUBLIC_BASE_URL",
    "FILE_URL_SECRET",
    "FILE_URL_TTL_SECS",
    "UPLOAD_MAX_FILE_BYTES",
    "UPLOAD_MAX_FILES_PER_REQUEST",
    "UPLOADS_PER_HOUR",
    "ATTACHMENTS_MAX_PER_RECORD",
    "ATTACHMENTS_MAX_BYTES_PER_RECORD",
    "ATTACHMENT_ORPHAN_AFTER_SECS",
    "ATTACHMENT_CLEANUP_INTERVAL_SECS",
    "NOTIFICATION_DISPATCH_INTERVAL_MS",
    "REMINDER_INTERVAL_SECS",
    "PUSH_SENDER",
    "PUSH_SEND_INTERVAL_MS",
    "PUSH_MAX_ATTEMPTS",
    "CORS_ALLOWED_ORIGINS",
    "PERSISTED_QUERY_TTL_SECS",
    "PERSISTED_QUERY_LOCAL_ENTRIES",
    "LIVE_SESSION_CHECK_SECS",
    "LIVE_MAX_SUBSCRIPTIONS",
    "LIVE_MAX_SOCKETS_PER_USER",
    "BRIEFING_BADGE_CACHE_ENTRIES",
    "BRIEFING_FEED_CACHE_ENTRIES",
    "SHUTDOWN_GRACE_SECS",
    "METRICS_BIND_ADDR",
    "OUTBOX_RETENTION_DAYS",
    "PUSH_RETENTION_DAYS",
    "METRICS_TOKEN",
];

/// Where uploaded files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder on this machine (`STORAGE_DIR`): the single-process default.
    #[default]
    Fs,
    /// S3-compatible object storage (`S3_*`), shared by every API process.
    S3,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub app_env: AppEnv,
    /// `sqlite://path?mode=rwc` (the embedded default) or `postgres://…`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// How long a request waits for a database connection before it is answered
    /// SERVICE_UNAVAILABLE (503): the database is down, or every connection is busy.
    pub database_acquire_timeout_ms: u64,
    /// Without it sessions and rate limits live in this process only (quick start).
    pub redis_url: Option<String>,
    /// Prepended to every Redis key, so that several deployments (or tests) share a server.
    pub redis_key_prefix: String,
    /// How long one Redis connection attempt or command may take before the request that
    /// needs it fails closed with SERVICE_UNAVAILABLE (a Redis that stopped answering).
    pub redis_timeout_ms: u64,
    /// HMAC key of the access tokens. Generated per process when absent (development only).
    #[serde(deserialize_with = "lossy::opt_secret")]
    pub jwt_secret: Option<SecretString>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub bind_addr: String,
    #[serde(deserialize_with = "lossy::opt_string")]
    pub admin_phone: Option<String>,
    #[serde(deserialize_with = "lossy::opt_secret")]
    pub admin_password: Option<SecretString>,
    /// Where a first start without ADMIN_PASSWORD writes the generated one-time password
    /// (readable by the owner only): never into the log stream, which a log collector keeps.
    pub admin_password_file: String,
    pub admin_name: String,
    pub bootstrap_organization_name: String,
    /// The first organization's level: `NATIONAL`, `PROVINCIAL`, `MUNICIPAL` or `COUNTY`.
    pub bootstrap_organization_level: String,
    pub login_max_failures_per_phone: u32,
    /// Higher than per phone: Chinese mobile carriers put many users behind one address.
    pub login_max_failures_per_ip: u32,
    pub login_failure_window_secs: u64,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// How many trusted proxies append to `X-Forwarded-For`: the client address is the
    /// entry this many places from the right (everything left of it the client can write).
    pub trusted_proxy_hops: usize,
    /// A refresh token rotated this long ago may be presented again and gets the same new
    /// token (two refreshes at once, a retry after a lost answer); later it is theft.
    pub refresh_reuse_grace_secs: u64,
    /// Password hashes computed at once (each holds 19 MiB); 0 means one per core.
    pub password_hash_concurrency: usize,
    /// How long a login waits for a turn to hash before `SERVICE_UNAVAILABLE`.
    pub password_hash_max_wait_secs: u64,
    pub max_body_bytes: usize,
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    /// Fields of a request once its fragments are inlined (`__typename` included).
    pub graphql_max_fields: usize,
    /// Aliased fields of a request, fragments inlined.
    pub graphql_max_aliases: usize,
    /// How many items a list without paging is counted as in the complexity.
    pub graphql_list_size_estimate: usize,
    /// Who may ask about the schema (`__schema`, `__type`); unset: `admin` in production,
    /// `everyone` otherwise. `admin` also drops “did you mean …” suggestions from errors.
    #[serde(deserialize_with = "lossy::opt_string")]
    pub graphql_introspection: Option<String>,
    /// The window of the request budget.
    pub rate_limit_window_secs: u64,
    /// Complexity one person may spend per window, whatever address they come from.
    pub rate_limit_cost_per_user: u64,
    /// Complexity one client address may spend per window (many people share a carrier's).
    pub rate_limit_cost_per_ip: u64,
    /// Sign-ins, password changes and submissions one person may make per window.
    pub rate_limit_sensitive_per_user: u64,
    /// The same per client address.
    pub rate_limit_sensitive_per_ip: u64,
    pub storage_backend: StorageBackend,
    pub storage_dir: String,
    #[serde(deserialize_with = "lossy::opt_string")]
    pub s3_bucket: Option<String>,
    pub s3_region: String,
    /// For stores other than AWS (MinIO, OSS, COS): their endpoint URL.
    #[serde(deserialize_with = "lossy::opt_string")]
    pub s3_endpoint: Option<String>,
    #[serde(deserialize_with = "lossy::opt_string")]
    pub s3_access_key_id: Option<String>,
    #[serde(deserialize_with = "lossy::opt_secret")]
    pub s3_secret_access_key: Option<SecretString>,
    pub s3_allow_http: bool,
    /// Prefix of the file links handed to clients (`https://api.example.org`); without it
    /// they are paths (`/files/…`) on the host the client already talks to.
    #[serde(deserialize_with = "lossy::opt_string")]
    pub public_base_url: Option<String>,
    /// HMAC key of file links; derived from `JWT_SECRET` when absent.
    #[serde(deserialize_with = "lossy::opt_secret")]
    pub file_url_secret: Option<SecretString>,
    pub file_url_ttl_secs: u64,
    pub upload_max_file_bytes: usize,
    pub upload_max_files_per_request: usize,
    /// Pixels of a photo (width × height): a small PNG can claim 16384 × 8000, 512 MB decoded.
    pub upload_max_image_pixels: u64,
    /// Uploads one person may make per hour (every process counts together).
    pub uploads_per_hour: u32,
    pub attachments_max_per_record: usize,
    pub attachments_max_bytes_per_record: u64,
    /// Uploads never linked to a record are removed after this long.
    pub attachment_orphan_after_secs: u64,
    pub attachment_cleanup_interval_secs: u64,
    /// How often each process looks for domain events to turn into notifications (the
    /// longest a notification waits after its step committed).
    pub notification_dispatch_interval_ms: u64,
    /// How often each process looks for reminders that fell due (a visit tomorrow, a
    /// deadline near, an assignment overdue); each is claimed once whichever process runs.
    pub reminder_interval_secs: u64,
    /// Which push vendor the sender talks to: `log` (writes each push to the log; the only
    /// one built in, see `notifications::push::PushSender` for adding a real vendor).
    pub push_sender: String,
    /// How often each process looks for push deliveries that are due.
    pub push_send_interval_ms: u64,
    /// Attempts of one push delivery before it is FAILED.
    pub push_max_attempts: u32,
    /// Origins (`https://h5.example.org`) whose pages may call the API from a browser;
    /// comma-separated in the environment. None by default: the phone app and the IDE on
    /// this origin need no CORS.
    #[serde(deserialize_with = "lossy::list")]
    pub cors_allowed_origins: Vec<String>,
    /// How long a registered persisted query (APQ) is kept after its last registration.
    pub persisted_query_ttl_secs: u64,
    /// Without Redis: how many persisted queries this process keeps (least recently used
    /// go first).
    pub persisted_query_local_entries: usize,
    /// How often a subscription socket asks the session store whether its session still
    /// admits it, besides the broker's signal when a session ends: the longest a socket
    /// outlives a session whose signal was lost, or one that expired.
    pub live_session_check_secs: u64,
    /// Subscriptions one socket may run at once.
    pub live_max_subscriptions: usize,
    /// Sockets one person may hold open on one process (a phone, a tablet, a few browser
    /// tabs); one more is closed with 1008 at `connection_init`.
    pub live_max_sockets_per_user: usize,
    /// Unread-briefing badges (person × organization) a process keeps (`briefings::badge`);
    /// least recently used go first, `0` keeps none.
    pub briefing_badge_cache_entries: usize,
    /// First feed pages (person × organization × size × unread only) a process keeps; least
    /// recently used go first, `0` keeps none.
    pub briefing_feed_cache_entries: usize,
    /// On SIGTERM / SIGINT: how long requests in flight (an upload) may take to finish
    /// before the process exits anyway. Keep it below the orchestrator's kill timeout
    /// (Docker and systemd: 10 s and 90 s by default; Kubernetes: 30 s).
    pub shutdown_grace_secs: u64,
    /// Dispatched domain events older than this are deleted (0: kept for ever). The records'
    /// timelines and the inboxes keep the history; the outbox row is only how it travelled.
    pub outbox_retention_days: u64,
    /// Finished push deliveries (sent, failed, dropped) older than this are deleted (0: kept).
    pub push_retention_days: u64,
    /// A second listen address that serves only `/metrics`, without a token: one the load
    /// balancer does not forward (e.g. `127.0.0.1:9100`, or the pod's own port).
    #[serde(deserialize_with = "lossy::opt_string")]
    pub metrics_bind_addr: Option<String>,
    /// Serves `/metrics` on the main address to a scraper that sends `Authorization:
    /// Bearer <token>`. Without either setting there is no `/metrics`.
    #[serde(deserialize_with = "lossy::opt_secret")]
    pub metrics_token: Option<SecretString>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            app_env: AppEnv::Development,
            database_url: "sqlite://cppcc.db?mode=rwc".into(),
            database_max_connections: 10,
            database_acquire_timeout_ms: 2000,
            redis_url: None,
            redis_key_prefix: "cppcc:".into(),
            redis_timeout_ms: 800,
            jwt_secret: None,
            jwt_issuer: "cppcc-api".into(),
            jwt_audience: "cppcc-app".into(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            bind_addr: "127.0.0.1:8000".into(),
            admin_phone: None,
            admin_password: None,
            admin_password_file: "first-admin-password.txt".into(),
            admin_name: "系统管理员".into(),
            bootstrap_organization_name: "市政协".into(),
            bootstrap_organization_level: "MUNICIPAL".into(),
            login_max_failures_per_phone: 5,
            login_max_failures_per_ip: 50,
            login_failure_window_secs: 15 * 60,
            trust_forwarded_for: false,
            trusted_proxy_hops: 1,
            refresh_reuse_grace_secs: 30,
            password_hash_concurrency: 0,
            password_hash_max_wait_secs: 5,
            max_body_bytes: 1024 * 1024,
            graphql_max_depth: 12,
            graphql_max_complexity: 5000,
            graphql_max_fields: 1000,
            graphql_max_aliases: 50,
            graphql_list_size_estimate: 10,
            graphql_introspection: None,
            rate_limit_window_secs: 60,
            rate_limit_cost_per_user: 20_000,
            rate_limit_cost_per_ip: 100_000,
            rate_limit_sensitive_per_user: 10,
            rate_limit_sensitive_per_ip: 60,
            storage_backend: StorageBackend::Fs,
            storage_dir: "data/files".into(),
            s3_bucket: None,
            s3_region: "us-east-1".into(),
            s3_endpoint: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
            public_base_url: None,
            file_url_secret: None,
            file_url_ttl_secs: 5 * 60,
            upload_max_file_bytes: 20 * 1024 * 1024,
            upload_max_files_per_request: 5,
            upload_max_image_pixels: 40_000_000,
            uploads_per_hour: 200,
            attachments_max_per_record: 20,
            attachments_max_bytes_per_record: 100 * 1024 * 1024,
            attachment_orphan_after_secs: 24 * 3600,
            attachment_cleanup_interval_secs: 3600,
            notification_dispatch_interval_ms: 200,
            reminder_interval_secs: 60,
            push_sender: "log".into(),
            push_send_interval_ms: 1000,
            push_max_attempts: 8,
            cors_allowed_origins: Vec::new(),
            persisted_query_ttl_secs: 7 * 24 * 3600,
            persisted_query_local_entries: 2000,
            live_session_check_secs: 30,
            live_max_subscriptions: 16,
            live_max_sockets_per_user: 8,
            briefing_badge_cache_entries: 100_000,
            briefing_feed_cache_entries: 2_000,
            shutdown_grace_secs: 25,
            outbox_retention_days: 30,
            push_retention_days: 30,
            metrics_bind_addr: None,
            metrics_token: None,
        }
    }
}

/// figment reads `ADMIN_PHONE=13800000000` as a number; these keys are text whatever
/// they look like.
mod lossy {
    use secrecy::SecretString;
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        U(u64),
        I(i64),
        F(f64),
        B(bool),
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
            Text::S(s) => s,
            Text::U(n) => n.to_string(),
            Text::I(n) => n.to_string(),
            Text::F(n) => n.to_string(),
            Text::B(b) => b.to_string(),
        }))
    }

    /// `a, b` in the environment, or a list in `config.toml`.
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum List {
            One(String),
            Many(Vec<String>),
        }
        let items = match List::deserialize(d)? {
            List::One(s) => s.split(',').map(str::to_owned).collect(),
            List::Many(v) => v,
        };
        Ok(items.into_iter().map(|s| s.trim().trim_end_matches('/').to_owned()).filter(|s| !s.is_empty()).collect())
    }

    pub fn opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
        Ok(opt_string(d)?.map(SecretString::from))
    }
}

/// The shortest `JWT_SECRET` accepted in production (HS256 wants at least 256 bits).
pub const MIN_JWT_SECRET_LEN: usize = 32;

impl Settings {
    /// Defaults ← config file ← environment.
    pub fn load() -> Result<Self, String> {
        let file = std::env::var("CONFIG_FILE").unwrap_or_else(|_| "config.toml".into());
        Figment::new()
            .merge(Toml::file(file))
            .merge(Env::raw().only(KEYS))
            .extract()
            .map_err(|e| format!("configuration: {e}"))
    }

    pub fn access_token_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl_secs)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl_secs)
    }

    pub fn login_failure_window(&self) -> Duration {
        Duration::from_secs(self.login_failure_window_secs)
    }

    pub fn refresh_reuse_grace(&self) -> Duration {
        Duration::from_secs(self.refresh_reuse_grace_secs)
    }

    pub fn password_hash_max_wait(&self) -> Duration {
        Duration::from_secs(self.password_hash_max_wait_secs)
    }

    pub fn file_url_ttl(&self) -> Duration {
        Duration::from_secs(self.file_url_ttl_secs)
    }

    /// Whether only admins may ask about the schema (and errors suggest no field names).
    pub fn introspection_admin_only(&self) -> bool {
        match self.graphql_introspection.as_deref() {
            Some(value) => value.eq_ignore_ascii_case("admin"),
            None => self.app_env == AppEnv::Production,
        }
    }

    pub fn rate_limit_window(&self) -> Duration {
        Duration::from_secs(self.rate_limit_window_secs)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Reasons the server must not start with these settings, one line each.
    /// `BOOTSTRAP_ORGANIZATION_LEVEL` read as a level (`None`: not one).
    pub fn bootstrap_level(&self) -> Option<entity::OrganizationLevel> {
        use entity::OrganizationLevel as L;
        [L::National, L::Provincial, L::Municipal, L::County]
            .into_iter()
            .find(|l| sea_orm::ActiveEnum::to_value(l).eq_ignore_ascii_case(self.bootstrap_organization_level.trim()))
    }

    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.access_token_ttl_secs == 0 || self.refresh_token_ttl_secs <= self.access_token_ttl_secs {
            problems
                .push("REFRESH_TOKEN_TTL_SECS must be longer than ACCESS_TOKEN_TTL_SECS, and both above zero".into());
        }
        if self.trusted_proxy_hops == 0 {
            problems.push("TRUSTED_PROXY_HOPS must be at least 1 (the proxy in front of this server)".into());
        }
        if self.refresh_reuse_grace_secs >= self.refresh_token_ttl_secs {
            problems.push("REFRESH_REUSE_GRACE_SECS must be shorter than REFRESH_TOKEN_TTL_SECS".into());
        }
        if self.bootstrap_level().is_none() {
            problems.push("BOOTSTRAP_ORGANIZATION_LEVEL must be NATIONAL, PROVINCIAL, MUNICIPAL or COUNTY".into());
        }
        if self.storage_backend == StorageBackend::S3 && self.s3_bucket.is_none() {
            problems.push("STORAGE_BACKEND=s3 needs S3_BUCKET".into());
        }
        if self.attachment_orphan_after_secs == 0 {
            // Zero would sweep uploads away before a record can take them.
            problems.push("ATTACHMENT_ORPHAN_AFTER_SECS must be above zero".into());
        }
        if self.upload_max_file_bytes == 0 || self.upload_max_files_per_request == 0 || self.file_url_ttl_secs == 0 {
            problems.push(
                "UPLOAD_MAX_FILE_BYTES, UPLOAD_MAX_FILES_PER_REQUEST and FILE_URL_TTL_SECS must be above zero".into(),
            );
        }
        if let Some(value) = self.graphql_introspection.as_deref()
            && !["admin", "everyone"].iter().any(|v| value.eq_ignore_ascii_case(v))
        {
            problems.push("GRAPHQL_INTROSPECTION must be `admin` or `everyone`".into());
        }
        if self.rate_limit_window_secs == 0
            || self.graphql_max_fields == 0
            || self.graphql_max_aliases == 0
            || self.upload_max_image_pixels == 0
        {
            problems.push(
                "RATE_LIMIT_WINDOW_SECS, GRAPHQL_MAX_FIELDS, GRAPHQL_MAX_ALIASES and UPLOAD_MAX_IMAGE_PIXELS must be above zero"
                    .into(),
            );
        }
        if !self.push_sender.eq_ignore_ascii_case("log") {
            problems.push("PUSH_SENDER must be `log` (the only push sender built in)".into());
        }
        if self.push_max_attempts == 0 {
            problems.push("PUSH_MAX_ATTEMPTS must be at least 1".into());
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.expose_secret().len() < 16) {
            problems.push("METRICS_TOKEN must be at least 16 characters (a scraper's secret)".into());
        }
        if self.app_env == AppEnv::Production {
            if self.redis_url.is_none() {
                problems.push(
                    "APP_ENV=production needs REDIS_URL: sessions and rate limits must be shared by every server process"
                        .into(),
                );
            }
            let secret_len = self.jwt_secret.as_ref().map_or(0, |s| s.expose_secret().len());
            if secret_len < MIN_JWT_SECRET_LEN {
                problems.push(format!(
                    "APP_ENV=production needs a JWT_SECRET of at least {MIN_JWT_SECRET_LEN} random characters"
                ));
            }
            if self.is_sqlite() {
                problems.push(
                    "APP_ENV=production needs DATABASE_URL=postgres://…: SQLite is the single-process quick-start default"
                        .into(),
                );
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> Settings {
        Settings {
            app_env: AppEnv::Production,
            database_url: "postgres://db/cppcc".into(),
            redis_url: Some("redis://127.0.0.1".into()),
            jwt_secret: Some(SecretString::from("x".repeat(MIN_JWT_SECRET_LEN))),
            ..Settings::default()
        }
    }

    #[test]
    fn development_defaults_start() {
        assert!(Settings::default().problems().is_empty());
    }

    #[test]
    fn complete_production_settings_start() {
        assert!(production().problems().is_empty());
    }

    #[test]
    fn production_refuses_missing_redis_weak_secret_and_sqlite() {
        let no_redis = Settings { redis_url: None, ..production() };
        assert!(no_redis.problems()[0].contains("REDIS_URL"));

        let weak = Settings { jwt_secret: Some(SecretString::from("short")), ..production() };
        assert!(weak.problems()[0].contains("JWT_SECRET"));
        let none = Settings { jwt_secret: None, ..production() };
        assert!(none.problems()[0].contains("JWT_SECRET"));

        let sqlite = Settings { database_url: "sqlite://x.db".into(), ..production() };
        assert!(sqlite.problems()[0].contains("postgres"));

        let all = Settings { app_env: AppEnv::Production, ..Settings::default() };
        assert_eq!(all.problems().len(), 3, "{:?}", all.problems());
    }

    /// Defaults, then `config.toml`, then the environment; numbers where text is meant
    /// (a phone) are read as text.
    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
    fn layers_file_then_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "config.toml",
                r#"
                    bind_addr = "0.0.0.0:9000"
                    redis_key_prefix = "file:"
                    access_token_ttl_secs = 600
                "#,
            )?;
            jail.set_env("REDIS_KEY_PREFIX", "env:");
            jail.set_env("ADMIN_PHONE", "13800138000");
            jail.set_env("PATH_UNRELATED", "ignored");
            let s = Settings::load().map_err(|e| e.to_string())?;
            assert_eq!(s.bind_addr, "0.0.0.0:9000", "from the file");
            assert_eq!(s.access_token_ttl_secs, 600);
            assert_eq!(s.redis_key_prefix, "env:", "the environment wins");
            assert_eq!(s.admin_phone.as_deref(), Some("13800138000"));
            assert_eq!(s.refresh_token_ttl_secs, Settings::default().refresh_token_ttl_secs, "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
    fn unreadable_settings_are_refused_with_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ACCESS_TOKEN_TTL_SECS", "soon");
            let err = Settings::load().err().unwrap_or_default();
            assert!(err.contains("access_token_ttl_secs") || err.contains("ACCESS_TOKEN_TTL_SECS"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn uploads_need_time_to_be_linked_and_s3_a_bucket() {
        let s = Settings { attachment_orphan_after_secs: 0, ..Settings::default() };
        assert!(s.problems()[0].contains("ATTACHMENT_ORPHAN_AFTER_SECS"));
        let s = Settings { storage_backend: StorageBackend::S3, ..Settings::default() };
        assert!(s.problems()[0].contains("S3_BUCKET"));
    }

    #[test]
    fn production_keeps_the_schema_to_admins_unless_told_otherwise() {
        assert!(production().introspection_admin_only());
        assert!(!Settings::default().introspection_admin_only());
        let open = Settings { graphql_introspection: Some("everyone".into()), ..production() };
        assert!(!open.introspection_admin_only());
        let closed = Settings { graphql_introspection: Some("ADMIN".into()), ..Settings::default() };
        assert!(closed.introspection_admin_only());
        let typo = Settings { graphql_introspection: Some("admins".into()), ..Settings::default() };
        assert!(typo.problems()[0].contains("GRAPHQL_INTROSPECTION"));
    }

    #[test]
    fn refresh_must_outlive_access() {
        let s = Settings { refresh_token_ttl_secs: 60, access_token_ttl_secs: 900, ..Settings::default() };
        assert_eq!(s.problems().len(), 1);
    }
}
