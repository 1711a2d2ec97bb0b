//! The server as an operator runs it (issue 16): the built binary, started several at once
//! and stopped with a signal, over plain sockets — what Docker, Kubernetes or systemd do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tungstenite::{Message, client::IntoClientRequest, protocol::frame::coding::CloseCode};

const ADMIN_PHONE: &str = "13800000001";
const ADMIN_PASSWORD: &str = "Admin-pass-1";

/// A folder of its own for one test's database, files and logs.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cppcc-process-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A port for a child process to listen on. Taken from below the kernel's ephemeral range
/// (32768–60999), where `bind(:0)` and outgoing connections get theirs: a port asked of the
/// kernel and released would be handed out again to the next `bind(:0)` — another test's,
/// a client's — before the child binds it. Ports go round from a random start, so the
/// tests of this binary never pick the same one, and one found in use is skipped.
fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let _ = NEXT.compare_exchange(
        0,
        (uuid::Uuid::new_v4().as_u128() % 10_000) as u32 + 1,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = 20_000 + (NEXT.fetch_add(1, Ordering::SeqCst) % 12_000) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// One server process.
struct Process {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Process {
    fn start(dir: &Path, database_url: &str, name: &str) -> Self {
        Self::start_with(dir, database_url, name, &[])
    }

    fn start_with(dir: &Path, database_url: &str, name: &str, env: &[(&str, String)]) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
        command
            .current_dir(dir)
            .env_remove("REDIS_URL")
            .env_remove("CONFIG_FILE")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            .env("APP_ENV", "development")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", &addr)
            .env("ADMIN_PHONE", ADMIN_PHONE)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("JWT_SECRET", "process-test-secret-process-test-secret-01")
            .env("STORAGE_DIR", dir.join("files"))
            .env("SHUTDOWN_GRACE_SECS", "30")
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out));
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().unwrap();
        Self { child, addr, log }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for `/healthz`, or for the process to end (then returns its status).
    fn ready(&mut self) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(status);
            }
            if http(&self.addr, "GET /healthz HTTP/1.1", &[], b"").starts_with("HTTP/1.1 200") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{} did not come up:\n{}", self.addr, self.output());
    }

    fn signal(&self, name: &str) {
        let done = Command::new("kill").args([format!("-{name}"), self.child.id().to_string()]).status().unwrap();
        assert!(done.success());
    }

    fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {limit:?}:\n{}", self.output());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn login(&self) -> String {
        let answer = self.try_login();
        let json: Value = serde_json::from_str(body_of(&answer)).unwrap();
        json["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("login: {answer}")).to_owned()
    }

    /// The whole HTTP answer to a login.
    fn try_login(&self) -> String {
        let body = json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            "variables": { "i": { "phone": ADMIN_PHONE, "password": ADMIN_PASSWORD, "device": "进程测试" } }
        })
        .to_string();
        http(&self.addr, "POST /graphql HTTP/1.1", &["content-type: application/json"], body.as_bytes())
    }

    /// `{ me { name } }` with `token`: the whole answer and how long it took.
    fn me(&self, token: &str) -> (String, Duration) {
        let started = Instant::now();
        let auth = format!("authorization: Bearer {token}");
        let body = json!({ "query": "{ me { name } }" }).to_string();
        let answer =
            http(&self.addr, "POST /graphql HTTP/1.1", &["content-type: application/json", &auth], body.as_bytes());
        (answer, started.elapsed())
    }

    /// `/readyz`: the whole answer and how long it took.
    fn readyz(&self) -> (String, Duration) {
        let started = Instant::now();
        (http(&self.addr, "GET /readyz HTTP/1.1", &[], b""), started.elapsed())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request on its own connection; the whole answer as text ("" when the
/// connection fails).
fn http(addr: &str, line: &str, headers: &[&str], body: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else { return String::new() };
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = format!("{line}\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for h in headers {
        head.push_str(&format!("{h}\r\n"));
    }
    head.push_str("\r\n");
    if s.write_all(head.as_bytes()).and_then(|()| s.write_all(body)).is_err() {
        return String::new();
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn body_of(answer: &str) -> &str {
    answer.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// A PDF of about `len` bytes.
fn pdf(len: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n".to_vec();
    while out.len() + 6 < len {
        out.extend_from_slice(format!("% line {}\n", out.len()).as_bytes());
    }
    out.extend_from_slice(b"%%EOF\n");
    out
}

/// SIGTERM while a phone is halfway through an upload and another holds a subscription
/// socket: the server stops accepting at once, the upload finishes and is stored, the
/// socket is closed with 1001 (going away), and the process exits 0.
#[test]
fn sigterm_finishes_the_upload_in_flight_closes_sockets_and_exits_0() {
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let mut server = Process::start(&dir, &url, "server");
    server.ready().unwrap();
    let token = server.login();

    // A subscription socket, past connection_init.
    let mut request = format!("ws://{}/graphql", server.addr).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let stream = TcpStream::connect(&server.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let (mut socket, _) = tungstenite::client(request, stream).unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).unwrap();
    let ack = socket.read().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");

    // The upload: headers and the first half of the body now, the rest after the signal.
    let boundary = "----cppcc-process-test";
    let operations = json!({
        "query": "mutation($file: Upload!) { uploadAttachment(file: $file, purpose: SUGGESTION) { id size } }",
        "variables": { "file": null }
    });
    let file = pdf(400_000);
    let mut body = Vec::new();
    for (name, value) in [("operations", operations.to_string()), ("map", r#"{"0":["variables.file"]}"#.into())] {
        body.extend_from_slice(
            format!("--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"0\"; filename=\"会议材料.pdf\"\r\n\
             content-type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut upload = TcpStream::connect(&server.addr).unwrap();
    upload.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {}\r\nconnection: close\r\nauthorization: Bearer {token}\r\n\
         apollo-require-preflight: true\r\ncontent-type: multipart/form-data; boundary={boundary}\r\n\
         content-length: {}\r\n\r\n",
        server.addr,
        body.len()
    );
    upload.write_all(head.as_bytes()).unwrap();
    let half = body.len() / 2;
    upload.write_all(&body[..half]).unwrap();
    upload.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(700));

    // No new connections once stopping…
    assert_eq!(http(&server.addr, "GET /healthz HTTP/1.1", &[], b""), "", "a new connection was served after SIGTERM");
    // …the socket is told the server is going away…
    let closed = loop {
        match socket.read() {
            Ok(Message::Close(frame)) => break frame,
            Ok(_) => continue,
            Err(e) => panic!("socket ended without a close frame: {e}"),
        }
    };
    assert_eq!(closed.map(|f| f.code), Some(CloseCode::Away));
    // …and the upload in flight finishes and is stored.
    upload.write_all(&body[half..]).unwrap();
    let mut answer = Vec::new();
    upload.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json: Value = serde_json::from_str(body_of(&answer)).unwrap();
    assert_eq!(json["data"]["uploadAttachment"]["size"], file.len(), "{json}");
    assert!(json.get("errors").is_none(), "{json}");

    let status = server.exit_within(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "exit status {status:?}:\n{}", server.output());
    let stored: usize = walk(&dir.join("files"));
    assert_eq!(stored, 1, "the uploaded file is kept");
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|e| if e.path().is_dir() { walk(&e.path()) } else { usize::from(e.path().is_file()) })
            .sum()
    })
}

/// SIGINT (Ctrl-C) stops the same way.
#[test]
fn sigint_stops_cleanly() {
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let mut server = Process::start(&dir, &url, "server");
    server.ready().unwrap();
    server.signal("INT");
    let status = server.exit_within(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "exit status {status:?}:\n{}", server.output());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Three processes started at once on an empty database, as replicas behind a load
/// balancer are: all three come up (migrations and the first-start bootstrap run one
/// process at a time), and the database holds one organization and one admin.
fn three_at_once(url_of: impl Fn(usize, &PathBuf) -> (String, Option<String>)) {
    for round in 0..3 {
        let dir = scratch();
        let (url, pg_database) = url_of(round, &dir);
        let mut servers: Vec<Process> = (0..3).map(|i| Process::start(&dir, &url, &format!("server{i}"))).collect();
        for (i, s) in servers.iter_mut().enumerate() {
            if let Err(status) = s.ready() {
                panic!("round {round}: process {i} exited with {status:?}:\n{}", s.output());
            }
        }
        // Each serves, and signs the one admin in.
        for s in &servers {
            assert!(!s.login().is_empty());
        }
        let counts = count_rows(&url);
        assert_eq!(counts, (1, 1), "round {round}: one organization, one admin");
        for mut s in servers {
            s.signal("TERM");
            assert_eq!(s.exit_within(Duration::from_secs(20)).code(), Some(0));
        }
        if let Some(db) = pg_database {
            psql("postgres", &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn psql(database: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql])
        .output()
        .expect("psql");
    assert!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// (organizations, admin memberships), read through the server's own driver.
fn count_rows(url: &str) -> (i64, i64) {
    let out = count_with_driver(url);
    let (a, b) = out.split_once(',').unwrap_or_else(|| panic!("counts: {out}"));
    (a.parse().unwrap(), b.parse().unwrap())
}

fn count_with_driver(url: &str) -> String {
    use sea_orm::{ConnectionTrait, Database, Statement};
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
        let db = Database::connect(url).await.unwrap();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT (SELECT COUNT(*) FROM organization) AS o, \
                 (SELECT COUNT(*) FROM membership WHERE role = 'ADMIN') AS a",
            ))
            .await
            .unwrap()
            .unwrap();
        format!("{},{}", row.try_get::<i64>("", "o").unwrap(), row.try_get::<i64>("", "a").unwrap())
    })
}

#[test]
fn three_processes_start_at_once_on_an_empty_postgresql_database() {
    three_at_once(|_, _| {
        let db = format!("cppcc_start_{}", uuid::Uuid::new_v4().simple());
        psql("postgres", &format!("CREATE DATABASE {db}"));
        (format!("postgres://postgres@127.0.0.1:5432/{db}"), Some(db))
    });
}

#[test]
fn three_processes_start_at_once_on_an_empty_sqlite_file() {
    three_at_once(|_, dir| (format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display()), None));
}

/// A Redis server of the test's own, on its own port (never the machine's).
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl Redis {
    /// With the append-only file on (`everysec`): what a deployment must configure for
    /// sessions to outlive a Redis restart.
    fn start(dir: &Path) -> Self {
        let mut redis = Self { child: None, port: free_port(), dir: dir.join("redis") };
        std::fs::create_dir_all(&redis.dir).unwrap();
        redis.restart();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "everysec", "--dir"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it as an operator does (SIGTERM: Redis writes its append-only file and exits).
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
            child.wait().unwrap();
        }
    }

    /// Makes it stop answering without closing a connection (SIGSTOP), or go on (SIGCONT).
    fn pause(&self, paused: bool) {
        let id = self.child.as_ref().unwrap().id().to_string();
        Command::new("kill").args([if paused { "-STOP" } else { "-CONT" }, &id]).status().unwrap();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = Command::new("kill").args(["-CONT", &child.id().to_string()]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn status_of(answer: &str) -> &str {
    answer.get(9..12).unwrap_or("")
}

fn code_of(answer: &str) -> String {
    let json: Value = serde_json::from_str(body_of(answer)).unwrap_or_default();
    json["errors"][0]["extensions"]["code"].as_str().unwrap_or_default().to_owned()
}

fn has_header(answer: &str, name: &str) -> bool {
    let head = answer.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase();
    head.lines().any(|l| l.starts_with(&format!("{name}:")))
}

/// Waits up to `limit` for `check` to hold.
fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The refusal a request that needs an unavailable service gets: fast, 503, the code, and
/// when to come back.
fn assert_unavailable(answer: &str, took: Duration, what: &str) {
    assert_eq!(status_of(answer), "503", "{what}: {answer}");
    assert_eq!(code_of(answer), "SERVICE_UNAVAILABLE", "{what}: {answer}");
    assert!(has_header(answer, "retry-after"), "{what}: no Retry-After: {answer}");
    assert!(took < Duration::from_millis(1500), "{what}: took {took:?}");
}

/// Redis is not there when the process starts: it comes up anyway, says it is not ready,
/// refuses sign-in with 503, and is ready and serving as soon as Redis is.
#[test]
fn redis_down_at_start_then_up() {
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let port = free_port();
    let redis_url = format!("redis://127.0.0.1:{port}");
    let mut server = Process::start_with(&dir, &url, "server", &[("REDIS_URL", redis_url)]);
    server.ready().unwrap();

    let (ready, took) = server.readyz();
    assert_eq!(status_of(&ready), "503", "{ready}");
    assert!(ready.contains(r#""sessionStore":{"backend":"redis","status":"unavailable"}"#), "{ready}");
    assert!(took < Duration::from_secs(1), "/readyz took {took:?}");
    let started = Instant::now();
    let login = server.try_login();
    assert_unavailable(&login, started.elapsed(), "login without Redis");

    let mut redis = Redis { child: None, port, dir: dir.join("redis") };
    std::fs::create_dir_all(&redis.dir).unwrap();
    redis.restart();
    eventually(Duration::from_secs(10), "ready once Redis is up", || status_of(&server.readyz().0) == "200");
    assert!(!server.login().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Redis refusing (stopped) and Redis hung (SIGSTOP): requests that need the session store
/// fail closed within a second with 503, `/readyz` answers within a second, and service
/// resumes by itself when Redis is back — with the sessions, kept by its append-only file.
#[test]
fn redis_refused_and_hung() {
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let mut redis = Redis::start(&dir);
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut server = Process::start_with(
        &dir,
        &url,
        "server",
        &[("REDIS_URL", redis.url()), ("METRICS_BIND_ADDR", metrics.clone())],
    );
    server.ready().unwrap();
    let token = server.login();
    assert_eq!(status_of(&server.me(&token).0), "200");
    let redis_errors = || {
        let scraped = http(&metrics, "GET /metrics HTTP/1.1", &[], b"");
        let line = body_of(&scraped).lines().find(|l| l.starts_with("cppcc_redis_errors_total{component=\"store\"}"));
        line.and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).unwrap_or(0.0)
    };
    assert_eq!(redis_errors(), 0.0, "no Redis error while Redis is up");
    // `everysec`: let the append-only file catch up with the sign-in.
    std::thread::sleep(Duration::from_millis(1500));

    // Refused: Redis stopped.
    redis.stop();
    let (answer, took) = server.me(&token);
    assert_unavailable(&answer, took, "Redis stopped");
    assert!(redis_errors() >= 1.0, "/metrics counts the Redis errors");
    let scraped = http(&metrics, "GET /metrics HTTP/1.1", &[], b"");
    assert!(
        body_of(&scraped)
            .contains("cppcc_graphql_requests_total{operation=\"anonymous\",code=\"SERVICE_UNAVAILABLE\"}"),
        "the outage is counted by its code: {scraped}"
    );
    let (ready, took) = server.readyz();
    assert_eq!(status_of(&ready), "503", "{ready}");
    assert!(took < Duration::from_secs(1), "/readyz took {took:?}");

    // Back, with the session the append-only file kept: the same token works again.
    redis.restart();
    eventually(Duration::from_secs(10), "served again after Redis restarted", || {
        status_of(&server.me(&token).0) == "200"
    });
    assert_eq!(status_of(&server.readyz().0), "200");

    // Hung: Redis stops answering but keeps its connections open.
    redis.pause(true);
    let (answer, took) = server.me(&token);
    assert_unavailable(&answer, took, "Redis hung");
    let (ready, took) = server.readyz();
    assert_eq!(status_of(&ready), "503", "{ready}");
    assert!(took < Duration::from_secs(1), "/readyz took {took:?}");
    redis.pause(false);
    eventually(Duration::from_secs(10), "served again after Redis answered", || {
        status_of(&server.me(&token).0) == "200"
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// A PostgreSQL cluster of the test's own, on its own port (never the machine's service).
struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
}

impl Postgres {
    fn start(dir: &Path) -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries in /usr/lib/postgresql")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("initdb");
        let data = dir.join("pg");
        std::fs::create_dir_all(&data).unwrap();
        let pg = Self { bin, data, port: free_port() };
        if is_root() {
            // PostgreSQL refuses to run as root: its files belong to the postgres user.
            assert!(Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir).status().unwrap().success());
        }
        let data = pg.data.display().to_string();
        pg.run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        pg.up();
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let path = self.bin.join(tool);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command.args(args).output().unwrap();
        assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn up(&self) {
        let (data, log) = (self.data.display().to_string(), self.data.join("log").display().to_string());
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", self.port, data);
        self.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-w", "start"]);
    }

    fn down(&self) {
        self.run("pg_ctl", &["-D", &self.data.display().to_string(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = std::panic::catch_unwind(|| self.run("pg_ctl", &["-D", &data, "-m", "immediate", "stop"]));
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// PostgreSQL stopped under a running server: requests fail within the acquire timeout
/// (2 s by default) with 503 and SERVICE_UNAVAILABLE instead of waiting 10 s for a 200
/// with INTERNAL; `/readyz` answers within a second; service resumes when it is back.
#[test]
fn postgresql_stopped_and_restarted() {
    let dir = scratch();
    let pg = Postgres::start(&dir);
    let mut server = Process::start(&dir, &pg.url(), "server");
    server.ready().unwrap();
    let token = server.login();
    assert_eq!(status_of(&server.me(&token).0), "200");

    pg.down();
    let (answer, took) = server.me(&token);
    assert_eq!(status_of(&answer), "503", "{answer}");
    assert_eq!(code_of(&answer), "SERVICE_UNAVAILABLE", "{answer}");
    assert!(has_header(&answer, "retry-after"), "{answer}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    let (ready, took) = server.readyz();
    assert_eq!(status_of(&ready), "503", "{ready}");
    assert!(ready.contains(r#""database":"unavailable""#), "{ready}");
    assert!(took < Duration::from_secs(1), "/readyz took {took:?}");

    pg.up();
    eventually(Duration::from_secs(15), "served again after PostgreSQL restarted", || {
        status_of(&server.me(&token).0) == "200"
    });
    assert_eq!(status_of(&server.readyz().0), "200");
    drop(server);
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `LOG_FORMAT=json`: one JSON line per request with its id (the one sent in `X-Request-Id`,
/// or a generated one, returned in that header either way), the operation, the user id, the
/// outcome code and the duration; no phone number anywhere; the text format has no colour
/// codes when written to a file; the generated first password is in a private file, not the log.
#[test]
fn a_json_line_per_request_with_its_id_and_operation() {
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let env = [("LOG_FORMAT", "json".to_owned())];
    let mut server = Process::start_with(&dir, &url, "server", &env);
    server.ready().unwrap();
    let token = server.login();
    let auth = format!("authorization: Bearer {token}");
    let body = json!({ "query": "query Me { me { name } }", "operationName": "Me" }).to_string();
    let answer = http(
        &server.addr,
        "POST /graphql HTTP/1.1",
        &["content-type: application/json", &auth, "x-request-id: phone-req-42"],
        body.as_bytes(),
    );
    assert!(answer.to_ascii_lowercase().contains("x-request-id: phone-req-42"), "{answer}");
    // Without one, an id is made and returned.
    let answer = http(&server.addr, "GET /healthz HTTP/1.1", &[], b"");
    let generated = answer
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-request-id: ").map(str::to_owned))
        .expect("a generated request id");
    assert_eq!(generated.len(), 32, "{generated}");

    let log = server.output();
    let lines: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(!lines.is_empty() && lines.len() == log.lines().filter(|l| !l.trim().is_empty()).count(), "{log}");
    let me = lines.iter().find(|l| l["request_id"] == "phone-req-42").unwrap_or_else(|| panic!("{log}"));
    assert_eq!(me["message"], "request");
    assert_eq!(me["operation"], "Me");
    assert_eq!(me["code"], "OK");
    assert_eq!(me["status"], 200);
    assert_eq!(me["path"], "/graphql");
    assert!(me["user"].as_str().is_some_and(|u| u.len() == 36), "{me}");
    assert!(me["duration_ms"].as_f64().is_some(), "{me}");
    assert!(lines.iter().any(|l| l["request_id"] == generated.as_str() && l["path"] == "/healthz"), "{log}");
    assert!(!log.contains(ADMIN_PHONE), "a full phone number in the log:\n{log}");
    drop(server);

    // Text, into a file: no colour codes. A first start without ADMIN_PASSWORD puts the
    // one-time password in an owner-only file, never in the output.
    let dir2 = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir2.join("db.sqlite").display());
    let file = dir2.join("first-admin-password.txt");
    let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
    let out = std::fs::File::create(dir2.join("server.log")).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = command
        .current_dir(&dir2)
        .env_remove("REDIS_URL")
        .env_remove("ADMIN_PASSWORD")
        .env("LOG_FORMAT", "text")
        .env("DATABASE_URL", &url)
        .env("BIND_ADDR", &addr)
        .env("ADMIN_PASSWORD_FILE", &file)
        .env("STORAGE_DIR", dir2.join("files"))
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap();
    eventually(Duration::from_secs(60), "the second server", || {
        http(&addr, "GET /healthz HTTP/1.1", &[], b"").starts_with("HTTP/1.1 200")
    });
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(dir2.join("server.log")).unwrap();
    assert!(!log.contains('\u{1b}'), "colour codes in a file:\n{log}");
    let written = std::fs::read_to_string(&file).unwrap();
    let password = written.lines().find_map(|l| l.strip_prefix("一次性密码: ")).expect("the password line").trim();
    assert!(password.len() >= 16);
    assert!(!log.contains(password), "the one-time password reached the output:\n{log}");
    assert!(log.contains(&file.display().to_string()), "the console names the file:\n{log}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// A stand-in OpenTelemetry collector: answers every OTLP/HTTP request 200 and keeps the
/// paths and bodies it received.
/// What the stand-in collector received: each request's path and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

fn collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let received = Received::default();
    let keep = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            // Head, then as many bytes as content-length says.
            let (head_len, length) = loop {
                let Ok(n) = stream.read(&mut chunk) else { break (0, 0) };
                if n == 0 {
                    break (0, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                        .unwrap_or(0);
                    break (end + 4, length);
                }
            };
            while head_len > 0 && buf.len() < head_len + length {
                let Ok(n) = stream.read(&mut chunk) else { break };
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let path = String::from_utf8_lossy(&buf).split(' ').nth(1).unwrap_or_default().to_owned();
            keep.lock().unwrap().push((path, buf.get(head_len..).unwrap_or_default().to_vec()));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (addr, received)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` set: each request's span reaches the collector over
/// OTLP/HTTP with its id, operation and outcome, continuing the caller's `traceparent`; what
/// is still queued at SIGTERM is sent before the process exits.
#[test]
fn traces_go_to_an_otlp_collector_when_configured() {
    let (collector, received) = collector();
    let dir = scratch();
    let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}")),
        ("OTEL_SERVICE_NAME", "cppcc-api-under-test".to_owned()),
        // Longer than the test: only the flush at the stop can send the spans.
        ("OTEL_BSP_SCHEDULE_DELAY", "600000".to_owned()),
    ];
    let mut server = Process::start_with(&dir, &url, "server", &env);
    server.ready().unwrap();
    let token = server.login();
    let auth = format!("authorization: Bearer {token}");
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("traceparent: 00-{trace_id}-00f067aa0ba902b7-01");
    let body = json!({ "query": "query TracedMe { me { name } }" }).to_string();
    let answer = http(
        &server.addr,
        "POST /graphql HTTP/1.1",
        &["content-type: application/json", &auth, "x-request-id: traced-req-7", &traceparent],
        body.as_bytes(),
    );
    assert_eq!(status_of(&answer), "200", "{answer}");
    assert!(received.lock().unwrap().is_empty(), "nothing sent before the batch is due");

    server.signal("TERM");
    assert!(server.exit_within(Duration::from_secs(30)).success(), "{}", server.output());
    let received = received.lock().unwrap().clone();
    assert!(!received.is_empty(), "no export reached the collector:\n{}", server.output());
    assert!(
        received.iter().all(|(path, _)| path == "/v1/traces"),
        "{:?}",
        received.iter().map(|r| &r.0).collect::<Vec<_>>()
    );
    let all: Vec<u8> = received.into_iter().flat_map(|(_, body)| body).collect();
    // Protobuf keeps strings as they are and ids as their 16 raw bytes.
    for text in ["cppcc-api-under-test", "traced-req-7", "TracedMe", "graphql.code", "OK", "request"] {
        assert!(contains(&all, text.as_bytes()), "{text} not in the export");
    }
    let id: Vec<u8> = (0..16).map(|i| u8::from_str_radix(&trace_id[2 * i..2 * i + 2], 16).unwrap()).collect();
    assert!(contains(&all, &id), "the request continues the caller's trace");
    assert!(!contains(&all, ADMIN_PHONE.as_bytes()), "no phone number in a trace");
    let _ = std::fs::remove_dir_all(&dir);
}
