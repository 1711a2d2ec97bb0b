//! Test harness: every test gets the real server on a free port, a database of its own
//! (a fresh PostgreSQL database, or a SQLite file in a temporary folder) and its own
//! Redis key prefix, and talks HTTP to it. Each test runs once per backend (`both!`).
use std::path::PathBuf;

use api::{config::Settings, state::State};
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN_PHONE: &str = "13800000001";
pub const ADMIN_PASSWORD: &str = "Admin-pass-1";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "Member-pass-1";
pub const UPLOAD: &str = "mutation($file: Upload!, $purpose: AttachmentPurpose!) { uploadAttachment(file: $file, purpose: $purpose) { id fileName contentType size checksum purpose isImage width height url previewUrl urlExpiresAt createdBy { name } } }";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs a test function once against PostgreSQL and once against SQLite.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
        }
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let id = Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Postgres => {
                let name = format!("cppcc_test_{id}");
                let admin = Database::connect(pg_admin_url()).await.expect("connect to PostgreSQL");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                let base = pg_admin_url();
                let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s).to_owned();
                Self { url: format!("{server}/{name}"), pg_name: Some(name), dir: None }
            }
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("cppcc-test-{id}"));
                std::fs::create_dir_all(&dir).expect("temp dir");
                Self {
                    url: format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
                    pg_name: None,
                    dir: Some(dir),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop runs inside the test's runtime: use a thread with a runtime of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let admin = Database::connect(pg_admin_url()).await.ok()?;
                    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// The test's database, for a second server process on it (`twin`).
    pub db_url: String,
    pub http: reqwest::Client,
    pub state: State,
    pub redis_prefix: String,
    /// The folder the filesystem store keeps attachments in (removed after the test).
    pub files_dir: PathBuf,
    _db: TestDb,
}

pub fn test_settings(db_url: &str, prefix: &str) -> Settings {
    Settings {
        database_url: db_url.to_owned(),
        database_max_connections: 5,
        redis_url: Some(redis_url()),
        redis_key_prefix: prefix.to_owned(),
        jwt_secret: Some(SecretString::from(JWT_SECRET)),
        bind_addr: "127.0.0.1:0".into(),
        admin_phone: Some(ADMIN_PHONE.into()),
        admin_password: Some(SecretString::from(ADMIN_PASSWORD)),
        // A test that lets the first start generate a password gets it in a file of its own.
        admin_password_file: std::env::temp_dir()
            .join(format!("cppcc-first-admin-{}.txt", uuid::Uuid::new_v4().simple()))
            .display()
            .to_string(),
        bootstrap_organization_name: "测试市政协".into(),
        // The request budget has tests of its own (`limits.rs`); elsewhere one address
        // (this machine) sends far more in a minute than any person would.
        rate_limit_cost_per_user: 1_000_000_000,
        rate_limit_cost_per_ip: 1_000_000_000,
        rate_limit_sensitive_per_user: 1_000_000,
        rate_limit_sensitive_per_ip: 1_000_000,
        // Tests dispatch notifications themselves (`dispatcher::run_until_idle`), so the
        // background poll stays out of the query counts; `notifications.rs` runs it fast.
        notification_dispatch_interval_ms: 3_600_000,
        // Reminders too (`reminders::run_due` with the `now` a test chooses).
        reminder_interval_secs: 3_600_000,
        // Likewise pushes (`push::run_until_idle` with a sender of the test's own).
        push_send_interval_ms: 3_600_000,
        ..Settings::default()
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new(backend).await;
    let prefix = format!("test:{}:", Uuid::new_v4().simple());
    let mut settings = test_settings(&db.url, &prefix);
    let files_dir = std::env::temp_dir().join(format!("cppcc-files-{}", Uuid::new_v4().simple()));
    settings.storage_dir = files_dir.display().to_string();
    tweak(&mut settings);
    let (addr, state, server) = api::app::spawn(settings).await.expect("server starts");
    tokio::spawn(server);
    TestApp {
        base: format!("http://{addr}"),
        db_url: db.url.clone(),
        http: reqwest::Client::new(),
        state,
        redis_prefix: prefix,
        files_dir,
        _db: db,
    }
}

impl TestApp {
    /// A second server on this test's database and Redis prefix: another process as far
    /// as the server can tell (nothing in memory is shared; only PostgreSQL and Redis).
    /// Returns its base URL and state.
    pub async fn twin(&self, tweak: impl FnOnce(&mut Settings)) -> (String, State) {
        let mut settings = test_settings(&self.db_url, &self.redis_prefix);
        settings.storage_dir = self.files_dir.display().to_string();
        tweak(&mut settings);
        let (addr, state, server) = api::app::spawn(settings).await.expect("second server starts");
        tokio::spawn(server);
        (format!("http://{addr}"), state)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files_dir);
        let pattern = format!("{}*", self.redis_prefix);
        let _ = std::thread::spawn(move || -> redis::RedisResult<()> {
            let client = redis::Client::open(redis_url())?;
            let mut conn = client.get_connection()?;
            let keys: Vec<String> = redis::cmd("KEYS").arg(&pattern).query(&mut conn)?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(keys).query::<()>(&mut conn)?;
            }
            Ok(())
        })
        .join();
    }
}

/// What a GraphQL request answered: the HTTP status and the JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn data(&self) -> &Value {
        assert!(self.body.get("errors").is_none(), "unexpected errors: {}", self.body);
        &self.body["data"]
    }

    /// The `extensions.code` of the first error.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    pub fn field(&self) -> &str {
        self.body["errors"][0]["extensions"]["field"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// Asserts a refusal with `code` and that the operation returned no data.
    pub fn refused(&self, code: &str) -> &Self {
        assert_eq!(self.code(), code, "{}", self.body);
        let data = &self.body["data"];
        let empty = data.is_null() || data.as_object().is_some_and(|o| o.values().all(Value::is_null));
        assert!(empty, "refusal with data: {}", self.body);
        self
    }
}

/// Sends a request to the API and reads its GraphQL answer.
pub async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    Answer { status, body }
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn post_raw(&self, token: Option<&str>, content_type: &str, body: impl Into<reqwest::Body>) -> Answer {
        let mut req = self.http.post(format!("{}/graphql", self.base)).header("content-type", content_type).body(body);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        send(req).await
    }

    /// A graphql-multipart-request with one file, as the app sends it.
    pub async fn upload_with(
        &self,
        token: Option<&str>,
        purpose: &str,
        name: &str,
        bytes: Vec<u8>,
        preflight: bool,
    ) -> Answer {
        let operations = json!({ "query": UPLOAD, "variables": { "file": null, "purpose": purpose } });
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("application/octet-stream")
            .expect("mime");
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part("0", part);
        let mut req = self.http.post(format!("{}/graphql", self.base)).multipart(form);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        if preflight {
            req = req.header("apollo-require-preflight", "true");
        }
        send(req).await
    }

    pub async fn upload(&self, token: &str, purpose: &str, name: &str, bytes: Vec<u8>) -> Answer {
        self.upload_with(Some(token), purpose, name, bytes, true).await
    }

    /// Uploads and returns the attachment's id.
    pub async fn uploaded(&self, token: &str, purpose: &str, name: &str, bytes: Vec<u8>) -> String {
        let a = self.upload(token, purpose, name, bytes).await;
        a.data()["uploadAttachment"]["id"].as_str().expect("attachment id").to_owned()
    }

    /// Files (not folders) in the attachment store.
    pub fn stored_files(&self) -> usize {
        fn walk(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir).map_or(0, |entries| {
                entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum()
            })
        }
        walk(&self.files_dir)
    }

    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Answer {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.post_raw(token, "application/json", body).await
    }

    pub async fn try_login(&self, phone: &str, password: &str) -> Answer {
        self.gql(
            None,
            "mutation($input: LoginInput!) { login(input: $input) { accessToken refreshToken expiresAt user { id name } membership { role organization { id } } } }",
            json!({ "input": { "phone": phone, "password": password, "device": "测试手机" } }),
        )
        .await
    }

    pub async fn login(&self, phone: &str, password: &str) -> Tokens {
        let answer = self.try_login(phone, password).await;
        let login = &answer.data()["login"];
        Tokens {
            access: login["accessToken"].as_str().unwrap_or_default().to_owned(),
            refresh: login["refreshToken"].as_str().unwrap_or_default().to_owned(),
        }
    }

    pub async fn admin(&self) -> String {
        self.login(ADMIN_PHONE, ADMIN_PASSWORD).await.access
    }

    /// The id of the organization the token acts in.
    pub async fn current_org(&self, token: &str) -> String {
        let a = self.gql(Some(token), "{ currentOrganization { id } }", json!({})).await;
        a.data()["currentOrganization"]["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn create_user(&self, token: &str, phone: &str, name: &str) -> String {
        let a = self
            .gql(
                Some(token),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
                json!({ "i": { "phone": phone, "name": name, "password": PASSWORD } }),
            )
            .await;
        a.data()["createUser"]["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn add_membership(&self, token: &str, input: Value) -> Answer {
        self.gql(
            Some(token),
            "mutation($i: AddMembershipInput!) { addMembership(input: $i) { id role } }",
            json!({ "i": input }),
        )
        .await
    }

    /// A user with a membership of `role` in `org`; returns the user id.
    pub async fn person(&self, token: &str, phone: &str, name: &str, org: &str, role: &str) -> String {
        let user = self.create_user(token, phone, name).await;
        self.add_membership(token, json!({ "userId": user, "organizationId": org, "role": role })).await.data();
        user
    }

    /// A membership of `role` in `org` for an existing user, with the extra input fields
    /// given (sector, party, standing committee, …); returns the membership's id.
    pub async fn join(&self, token: &str, user: &str, org: &str, role: &str, extra: Value) -> String {
        let mut input = json!({ "userId": user, "organizationId": org, "role": role });
        for (k, v) in extra.as_object().into_iter().flatten() {
            input[k] = v.clone();
        }
        let a = self.add_membership(token, input).await;
        a.data()["addMembership"]["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn create_sector(&self, token: &str, name: &str) -> String {
        let a = self
            .gql(
                Some(token),
                "mutation($n: String!) { createSector(input: { name: $n }) { id } }",
                json!({ "n": name }),
            )
            .await;
        a.data()["createSector"]["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn create_org(&self, token: &str, name: &str, level: &str, parent: &str) -> String {
        let a = self
            .gql(
                Some(token),
                "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
                json!({ "i": { "name": name, "level": level, "parentId": parent } }),
            )
            .await;
        a.data()["createOrganization"]["id"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn count_rows(&self, table: &str) -> i64 {
        let backend = self.state.db.get_database_backend();
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, format!("SELECT COUNT(*) AS n FROM {table}")))
            .await
            .expect("count query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("count")
    }
}

/// A folder of Node.js scripts under `tests/` (the browser driver, the graphql-http audit),
/// its pinned packages installed the first time (`npm ci`, from the lock file).
pub fn node_scripts(folder: &str, package: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(folder);
    if !dir.join("node_modules").join(package).exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts"])
            .current_dir(&dir)
            .status()
            .expect("npm (Node.js) is needed for the tests in tests/browser and tests/clients");
        assert!(status.success(), "npm ci in {}", dir.display());
    }
    dir
}
