//! The server as an operator runs it (issue 16): the built binary, started several at once
//! and stopped with a signal, over plain sockets — what Docker, Kubernetes or systemd do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::PathBuf,
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// One server process.
struct Process {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Process {
    fn start(dir: &PathBuf, database_url: &str, name: &str) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_api"))
            .current_dir(dir)
            .env_remove("REDIS_URL")
            .env_remove("CONFIG_FILE")
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
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
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
        let body = json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            "variables": { "i": { "phone": ADMIN_PHONE, "password": ADMIN_PASSWORD, "device": "进程测试" } }
        })
        .to_string();
        let answer = http(&self.addr, "POST /graphql HTTP/1.1", &["content-type: application/json"], body.as_bytes());
        let json: Value = serde_json::from_str(body_of(&answer)).unwrap();
        json["data"]["login"]["accessToken"].as_str().unwrap_or_else(|| panic!("login: {answer}")).to_owned()
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

fn walk(dir: &PathBuf) -> usize {
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
