//! Request limits: only JSON, no batches, bounded body, depth and complexity (counted with
//! fragments inlined and lists weighted), aliases and fields, uploads, the request budget,
//! NUL characters, and the production posture (issue 12, items 10–13).
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::{
    both,
    helpers::{ADMIN_PHONE, Answer, Backend, PASSWORD, TestApp, spawn_app, spawn_app_with},
};

async fn request_limits(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_body_bytes = 4096).await;
    let admin = app.admin().await;

    let plain = app.post_raw(None, "text/plain", r#"{"query":"{ __typename }"}"#).await;
    assert_eq!(plain.status, 415);
    assert_eq!(plain.code(), "BAD_USER_INPUT");
    let form = app.post_raw(None, "application/x-www-form-urlencoded", "query=%7B__typename%7D").await;
    assert_eq!(form.status, 415);

    let batch =
        app.post_raw(None, "application/json", r#"[{"query":"{ __typename }"},{"query":"{ __typename }"}]"#).await;
    assert_eq!(batch.status, 400);
    assert_eq!(batch.code(), "BAD_USER_INPUT");

    let big = json!({ "query": format!("{{ __typename }} # {}", "x".repeat(5000)) }).to_string();
    let too_big = app.post_raw(None, "application/json", big).await;
    assert_eq!(too_big.status, 413);

    let garbage = app.post_raw(None, "application/json", "{not json").await;
    assert_eq!(garbage.status, 400);

    // Depth: a query nested past the limit is refused before it runs.
    let deep = "{ me { memberships { organization { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    let answer = app.gql(Some(&admin), deep, json!({})).await;
    assert!(answer.message().contains("嵌套层级过多"), "{}", answer.body);

    // Complexity: 100 members × 30 aliased edges exceeds the budget.
    let fields: String = (0..30).map(|i| format!("a{i}: user {{ name }} ")).collect();
    let heavy = format!("{{ members(first: 100) {{ edges {{ node {{ {fields} }} }} }} }}");
    let answer = app.gql(Some(&admin), &heavy, json!({})).await;
    answer.refused("BAD_USER_INPUT");
    assert!(answer.message().contains("复杂"), "{}", answer.body);
}
both!(request_limits);

// ---------------------------------------------------------------------------------------
// 10. The expanded selection counts: fragments inlined, `__typename` and aliases included.

/// Fragments that each spread the next one twice, `levels` deep, with `bottom` at the
/// bottom: about 1.5 KB for 17 levels and 50 aliased `__typename`s, 50 × 2^17 fields once
/// expanded.
fn fragment_bomb(levels: usize, bottom: &str) -> String {
    let mut q = String::from("query { ...F0 }\n");
    for i in 0..levels {
        q.push_str(&format!("fragment F{i} on Query {{ ...F{n} ...F{n} }}\n", n = i + 1));
    }
    q.push_str(&format!("fragment F{levels} on Query {{ {bottom} }}"));
    q
}

async fn expanded_selections_are_refused_before_they_run(backend: Backend) {
    let app = spawn_app(backend).await;
    let aliases: String = (0..50).map(|i| format!("a{i}:__typename ")).collect();
    let bomb = fragment_bomb(17, &aliases);
    assert!(bomb.len() < 1600, "{} bytes", bomb.len());

    // Two at once, and a health check beside them.
    // A health check while the two are being answered (their connections are warmed first).
    let healthz = {
        let (url, http) = (format!("{}/healthz", app.base), app.http.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            let started = Instant::now();
            let ok = http.get(url).send().await.is_ok_and(|r| r.status().is_success());
            (ok, started.elapsed())
        })
    };
    let replies = burst(vec![(app.base.clone(), None, bomb.clone()), (app.base.clone(), None, bomb)]).await;
    let (healthy, health_took) = healthz.await.unwrap();
    for r in &replies {
        assert_eq!(r.code(), "BAD_USER_INPUT", "{}", r.body);
        assert!(r.body["data"].is_null(), "{}", r.body);
        assert!(r.body["errors"][0]["message"].as_str().unwrap_or("").contains("别名过多"), "{}", r.body);
        // Refused in well under 50 ms on a quiet machine; the bound leaves room for a
        // shared one running a debug build (before: seconds, and hundreds of MB).
        assert!(r.took < Duration::from_millis(300), "a fragment bomb took {:?}", r.took);
    }
    assert!(healthy && health_took < Duration::from_millis(300), "/healthz took {health_took:?}");

    // Without aliases the expanded fields are counted: 2^11 `__typename`s.
    let a = app.gql(None, &fragment_bomb(11, "__typename"), json!({})).await;
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("字段过多"), "{}", a.body);

    // graphql-cop's alias overloading: 101 aliases of `__typename`.
    let cop: String = (0..=100).map(|i| format!("alias{i}:__typename ")).collect();
    let a = app.gql(None, &format!("query {{ {cop}}}"), json!({})).await;
    a.refused("BAD_USER_INPUT");
    let fifty: String = (0..50).map(|i| format!("alias{i}:__typename ")).collect();
    let a = app.gql(None, &format!("query {{ {fifty}}}"), json!({})).await;
    assert_eq!(a.data()["alias49"], "Query", "the limit itself passes");

    // A fragment that spreads itself is refused, used or not.
    let a = app.gql(None, "{ __typename } fragment A on Query { ...B } fragment B on Query { ...A }", json!({})).await;
    a.refused("BAD_USER_INPUT");
}
both!(expanded_selections_are_refused_before_they_run);

// ---------------------------------------------------------------------------------------
// 11. Lists without paging count; multipart `operations` has the JSON limit; pixel limit.

async fn unpaged_lists_and_multipart_operations_are_bounded(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_body_bytes = 8192).await;
    let admin = app.admin().await;

    let nested = "organizations { children { sectors { conveners { name } } } }";
    let aliased: String = (0..40).map(|i| format!("o{i}: {nested} ")).collect();
    let started = Instant::now();
    let a = app.gql(Some(&admin), &format!("{{ {aliased}}}"), json!({})).await;
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("复杂"), "{}", a.body);
    assert!(started.elapsed() < Duration::from_millis(300));
    // A list or two is fine.
    let a = app.gql(Some(&admin), "{ organizations { name children { name sectors { name } } } }", json!({})).await;
    assert!(a.data()["organizations"].is_array());

    // The `operations` part of an upload is held to MAX_BODY_BYTES, like a JSON body.
    let padded = format!("{} # {}", crate::helpers::UPLOAD, "x".repeat(20_000));
    let a = multipart(&app, &admin, &padded).await;
    assert_eq!(a.status, 413, "{}", a.body);
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "operations");
    let a = multipart(&app, &admin, crate::helpers::UPLOAD).await;
    assert!(a.data()["uploadAttachment"]["id"].is_string(), "an ordinary upload still works");
}
both!(unpaged_lists_and_multipart_operations_are_bounded);

async fn multipart(app: &TestApp, token: &str, query: &str) -> Answer {
    let operations = json!({ "query": query, "variables": { "file": null, "purpose": "BRIEFING" } });
    let part = reqwest::multipart::Part::bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec())
        .file_name("报告.pdf")
        .mime_str("application/pdf")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part("0", part);
    crate::helpers::send(
        app.http
            .post(format!("{}/graphql", app.base))
            .multipart(form)
            .header("authorization", format!("Bearer {token}"))
            .header("apollo-require-preflight", "true"),
    )
    .await
}

/// A valid PNG of `width` × `height` black grey-scale pixels, written by hand so that it
/// costs nothing to make: every row is a zero filter byte and zeros, so the zlib stream is
/// one literal zero and back-references of 258 bytes at distance 1 (fixed Huffman codes).
/// 16384 × 8000 is 0.8 MB here and 512 MB once decoded as RGBA.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }
    impl Bits {
        /// `len` bits of `value`, least significant first.
        fn put(&mut self, value: u64, len: u32) {
            self.acc |= value << self.n;
            self.n += len;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, len: u32) {
            let reversed = (0..len).fold(0, |r, i| r | (((code >> i) & 1) << (len - 1 - i)));
            self.put(reversed, len);
        }
    }
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let raw = u64::from(height) * (u64::from(width) + 1);
    let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed Huffman codes
    bits.code(0x30, 8); // literal 0
    let mut left = raw - 1;
    while left > 0 {
        // Lengths 3..=258: 258 is code 285 (8 bits, no extra bits); shorter ones at the end
        // as several literals instead, which is simpler and still valid.
        if left >= 258 {
            bits.code(0xc5, 8);
            bits.code(0, 5); // distance 1
            left -= 258;
        } else {
            bits.code(0x30, 8);
            left -= 1;
        }
    }
    bits.code(0, 7); // end of block
    let mut zlib = bits.out;
    if bits.n > 0 {
        zlib.push(bits.acc as u8);
    }
    let adler = (((raw % 65521) as u32) << 16) | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit grey, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

async fn photos_over_the_pixel_limit_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.upload_max_image_pixels = 1_000_000).await;
    let admin = app.admin().await;
    let a = app.upload(&admin, "BRIEFING", "大图.png", png_bomb(2000, 1000)).await;
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("像素"), "{}", a.body);
    let a = app.upload(&admin, "BRIEFING", "小图.png", png_bomb(1000, 1000)).await;
    assert_eq!(a.data()["uploadAttachment"]["width"], 1000, "at the limit");
}
both!(photos_over_the_pixel_limit_are_refused);

/// `VmRSS` of this process (the server runs inside the test), in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

const PIXEL_PROBE: &str = "CPPCC_PIXEL_PROBE";

/// Runs `pixel_probe` in a process of its own, so that its memory figures are those of one
/// server taking three 16384 × 8000 PNGs at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_png_bombs_at_once_keep_memory_flat() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(exe)
            .args(["limits::pixel_probe", "--exact", "--include-ignored", "--nocapture", "--test-threads=1"])
            .env(PIXEL_PROBE, "1")
            .output()
    })
    .await
    .expect("the probe's thread")
    .expect("the probe runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for line in text.lines().filter(|l| l.starts_with("[memory]") || l.contains("panicked")) {
        eprintln!("{line}");
    }
    assert!(out.status.success() && text.contains("1 passed"), "the pixel probe failed:\n{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run in a process of its own by three_png_bombs_at_once_keep_memory_flat"]
async fn pixel_probe() {
    if std::env::var(PIXEL_PROBE).is_err() {
        eprintln!("pixel_probe measures its whole process: run through three_png_bombs_at_once_keep_memory_flat");
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    let admin = app.admin().await;
    let bomb = png_bomb(16384, 8000);
    let before = rss_mib();
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(rss_mib());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            peak
        })
    };
    let barrier = Arc::new(Barrier::new(3));
    let uploads = (0..3).map(|i| {
        let (app, admin, bomb, barrier) = (&app, &admin, bomb.clone(), barrier.clone());
        async move {
            barrier.wait().await;
            app.upload(admin, "BRIEFING", &format!("炸弹{i}.png"), bomb).await
        }
    });
    let started = Instant::now();
    let answers = futures_util::future::join_all(uploads).await;
    let took = started.elapsed();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap_or(0);
    eprintln!(
        "[memory] three 16384×8000 PNGs ({} KB each) in {took:?}: VmRSS {before} MiB before, peak {peak} MiB",
        bomb.len() / 1024
    );
    for a in &answers {
        a.refused("BAD_USER_INPUT");
        assert!(a.message().contains("像素"), "{}", a.body);
    }
    assert!(peak.saturating_sub(before) < 100, "three PNG bombs grew the process from {before} to {peak} MiB");
}

// ---------------------------------------------------------------------------------------
// 12. The request budget; NUL characters.

/// What a request answered, with its headers.
struct Reply {
    /// From the moment every request was released to this answer.
    took: Duration,
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"].as_str().unwrap_or("ok")
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends every request at the same instant (each on its own connection, warmed with
/// `/healthz`, which spends no budget), to whichever server its base names.
async fn burst(requests: Vec<(String, Option<String>, String)>) -> Vec<Reply> {
    let mut ready = Vec::new();
    for (base, token, query) in requests {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
        assert!(client.get(format!("{base}/healthz")).send().await.is_ok_and(|r| r.status().is_success()));
        let mut req = client
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .body(json!({ "query": query }).to_string());
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        ready.push(req);
    }
    let barrier = Arc::new(Barrier::new(ready.len()));
    let tasks: Vec<_> = ready
        .into_iter()
        .map(|req| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let started = Instant::now();
                let resp = req.send().await.expect("request");
                let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
                let body = resp.json().await.unwrap_or(Value::Null);
                Reply { took: started.elapsed(), status, headers, body }
            })
        })
        .collect();
    let mut replies = Vec::new();
    for t in tasks {
        replies.push(t.await.unwrap());
    }
    replies
}

fn count(replies: &[Reply], code: &str) -> usize {
    replies.iter().filter(|r| r.code() == code).count()
}

async fn the_request_budget_holds_under_a_burst(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.rate_limit_cost_per_user = 20;
        s.rate_limit_cost_per_ip = 1000;
    })
    .await;
    let admin = app.admin().await;
    // `{ me { name } }` costs 2: ten fit in a budget of 20, whatever arrives together.
    let replies =
        burst((0..16).map(|_| (app.base.clone(), Some(admin.clone()), "{ me { name } }".into())).collect()).await;
    assert_eq!(count(&replies, "ok"), 10, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(count(&replies, "RATE_LIMITED"), 6);
    for r in &replies {
        assert_eq!(r.header("ratelimit-limit"), Some("20"), "{:?}", r.headers);
        assert_eq!(r.header("ratelimit-policy"), Some("20;w=60"));
        let reset: u64 = r.header("ratelimit-reset").and_then(|v| v.parse().ok()).unwrap_or(0);
        assert!((1..=60).contains(&reset), "{reset}");
        if r.code() == "RATE_LIMITED" {
            assert_eq!(r.status, 429);
            assert_eq!(r.header("ratelimit-remaining"), Some("0"));
            let retry = r.body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap_or(0);
            assert!((1..=60).contains(&retry), "{}", r.body);
            assert_eq!(r.header("retry-after"), Some(retry.to_string().as_str()));
            assert!(r.body["errors"][0]["message"].as_str().unwrap_or("").contains("请求过于频繁"));
        }
    }

    // Sign-ins take a turn of the stricter count per address: three of six wrong ones are
    // checked, the rest refused before any password is hashed.
    let strict = spawn_app_with(backend, |s| s.rate_limit_sensitive_per_ip = 3).await;
    let login = |phone: String| {
        format!(
            r#"mutation {{ login(input: {{ phone: "{phone}", password: "Wrong-pass-1", device: "测试手机" }}) {{ accessToken }} }}"#
        )
    };
    let replies = burst((0..6).map(|i| (strict.base.clone(), None, login(format!("1390000{i:04}")))).collect()).await;
    assert_eq!(count(&replies, "UNAUTHENTICATED"), 3, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(count(&replies, "RATE_LIMITED"), 3);
    assert!(replies.iter().filter(|r| r.code() == "RATE_LIMITED").all(|r| r.status == 429));
}
both!(the_request_budget_holds_under_a_burst);

/// Two server processes (here: two servers, separate databases) sharing one Redis count
/// one budget: an address gets its ten requests, not ten from each.
async fn the_budget_is_shared_by_every_process(backend: Backend) {
    let one = spawn_app_with(backend, |s| s.rate_limit_cost_per_ip = 10).await;
    let prefix = one.redis_prefix.clone();
    let two = spawn_app_with(backend, |s| {
        s.rate_limit_cost_per_ip = 10;
        s.redis_key_prefix = prefix;
    })
    .await;
    let requests = (0..12).map(|i| (if i % 2 == 0 { &one } else { &two }.base.clone(), None, "{ __typename }".into()));
    let replies = burst(requests.collect()).await;
    assert_eq!(count(&replies, "ok"), 10, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    assert_eq!(count(&replies, "RATE_LIMITED"), 2);
}
both!(the_budget_is_shared_by_every_process);

async fn a_nul_character_is_bad_input(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let create = "mutation($n: String!) { createSector(input: { name: $n }) { id } }";
    let a = app.gql(Some(&admin), create, json!({ "n": "界别\u{0}名称" })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "n");
    let a = app
        .gql(Some(&admin), r#"mutation { createSector(input: { name: "界别\u0000名称" }) { id } }"#, json!({}))
        .await;
    a.refused("BAD_USER_INPUT");
    let a = app.try_login("1380000\u{0}0001", PASSWORD).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "phone");
    assert_eq!(app.count_rows("sector").await, 0);
    let a = app.try_login(ADMIN_PHONE, "Admin-pass-1").await;
    assert!(a.data()["login"]["accessToken"].is_string());
}
both!(a_nul_character_is_bad_input);

// ---------------------------------------------------------------------------------------
// 13. Production posture.

async fn production_keeps_the_schema_to_admins_and_sends_security_headers(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.graphql_introspection = Some("admin".into());
        s.public_base_url = Some("https://api.example.org".into());
    })
    .await;
    let admin = app.admin().await;
    let org = app.current_org(&admin).await;
    app.person(&admin, "13900000001", "委员甲", &org, "MEMBER").await;
    let member = app.login("13900000001", PASSWORD).await.access;

    let schema = "{ __schema { types { name } } }";
    for token in [None, Some(member.as_str())] {
        let a = app.gql(token, schema, json!({})).await;
        assert_eq!(a.status, 403);
        a.refused("FORBIDDEN");
        assert!(a.message().contains("管理员"), "{}", a.body);
        app.gql(token, r#"{ __type(name: "User") { name } }"#, json!({})).await.refused("FORBIDDEN");
    }
    assert!(app.gql(Some(&admin), schema, json!({})).await.data()["__schema"]["types"].is_array());
    assert_eq!(app.gql(None, "{ __typename }", json!({})).await.data()["__typename"], "Query");

    // No “did you mean …” naming fields the client did not know.
    let a = app.gql(Some(&member), "{ me { nmae } }", json!({})).await;
    assert!(!a.body.to_string().to_lowercase().contains("did you mean"), "{}", a.body);
    assert_eq!(a.code(), "BAD_USER_INPUT");

    let login = app
        .http
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(json!({ "query": format!(r#"mutation {{ login(input: {{ phone: "{ADMIN_PHONE}", password: "Admin-pass-1", device: "d" }}) {{ accessToken }} }}"#) }).to_string())
        .send()
        .await
        .unwrap();
    let h = login.headers();
    let get = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(get("x-content-type-options"), "nosniff");
    assert!(get("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(get("x-frame-options"), "DENY");
    assert_eq!(get("referrer-policy"), "no-referrer");
    assert!(get("strict-transport-security").starts_with("max-age="));
    assert_eq!(get("cache-control"), "no-store", "an answer with tokens is not kept by any cache");

    for path in ["/healthz", "/graphql", "/files/nothing"] {
        let r = app.http.get(format!("{}{path}", app.base)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h.get("x-content-type-options").map(|v| v.to_str().unwrap_or("")), Some("nosniff"), "{path}");
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(h.contains_key("strict-transport-security"), "{path}");
    }
    // The IDE keeps its own policy, which lets it load its scripts from /ide/….
    let ide = app.http.get(format!("{}/graphql", app.base)).send().await.unwrap();
    let csp = ide.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");

    // Over plain http there is no HSTS.
    let plain = spawn_app(backend).await;
    let r = plain.http.get(format!("{}/healthz", plain.base)).send().await.unwrap();
    assert!(!r.headers().contains_key("strict-transport-security"));
}
both!(production_keeps_the_schema_to_admins_and_sends_security_headers);
