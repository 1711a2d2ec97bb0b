//! What real GraphQL clients expect of the API (issue 13): the graphql-http conformance
//! audit, GET queries, status codes by media type, Apollo's automatic persisted queries,
//! compressed answers, CORS from an allow-list, Chinese error messages with the field, an
//! upload refused with an answer the client can read, and the badge a mutation returns.
use std::{io::Read, process::Command};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    both,
    helpers::{Answer, Backend, TestApp, node_scripts, send, spawn_app, spawn_app_with},
};

/// Every MUST and every SHOULD of the graphql-http audit passes (the MAYs are reported).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_http_audit_passes() {
    let app = spawn_app(Backend::Sqlite).await;
    let base = app.base.clone();
    let run = tokio::task::spawn_blocking(move || {
        let dir = node_scripts("clients", "graphql-http");
        Command::new("node").arg(dir.join("audit.mjs")).arg(&base).output().expect("node runs the audit")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let results: Vec<Value> = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|_| panic!("the audit said: {stdout}\n{}", String::from_utf8_lossy(&run.stderr)));
    let required = |r: &&Value| {
        let name = r["name"].as_str().unwrap_or_default();
        name.starts_with("MUST") || name.starts_with("SHOULD")
    };
    let failed: Vec<&Value> = results.iter().filter(required).filter(|r| r["status"] != "ok").collect();
    assert!(results.iter().filter(required).count() >= 36, "the audit ran: {stdout}");
    assert!(failed.is_empty(), "graphql-http audits that failed: {failed:#?}");
}

async fn get(
    app: &TestApp,
    params: &[(&str, &str)],
    accept: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, String) {
    let resp =
        app.http.get(format!("{}/graphql", app.base)).query(params).header("accept", accept).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.text().await.unwrap())
}

async fn post(app: &TestApp, body: Value, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.http.post(format!("{}/graphql", app.base)).header("content-type", "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(body.to_string()).send().await.unwrap()
}

/// GET runs queries, never mutations; a browser gets the IDE; the status code follows the
/// media type the client asked for.
async fn get_queries_and_status_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, _, body) = get(&app, &[("query", "{ __typename }")], "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["data"]["__typename"], "Query");

    let (status, headers, body) = get(&app, &[("query", "mutation { logout { endedSessions } }")], "*/*").await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(headers["allow"], "POST");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let (status, headers, body) = get(&app, &[], "text/html,application/xhtml+xml,*/*;q=0.8").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"), "{headers:?}");
    assert!(body.contains("graphiql"), "the IDE page");

    // A query that does not validate: 400 without `data` for the newer media type, 200 for
    // application/json (whose clients read the errors from the body).
    let invalid = json!({ "query": "{ nope }" });
    let resp = post(&app, invalid.clone(), &[("accept", "application/graphql-response+json")]).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let body: Value = resp.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let resp = post(&app, invalid, &[("accept", "application/json")]).await;
    assert_eq!(resp.status(), 200);

    // A field that fails is not a request error: 200 with `data`.
    let resp =
        post(&app, json!({ "query": "{ me { name } }" }), &[("accept", "application/graphql-response+json")]).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // A body without a query, or with one of the wrong type.
    for bad in [json!({}), json!({ "query": { "a": 1 } }), json!({ "query": "{ __typename }", "variables": "x" })] {
        let resp = post(&app, bad.clone(), &[]).await;
        assert_eq!(resp.status(), 400, "{bad}");
    }
}
both!(get_queries_and_status_codes);

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// Apollo's automatic persisted queries: the hash alone is unknown, the client sends both
/// once, then the hash alone runs, by POST or GET, and on every process sharing Redis.
async fn persisted_query_round_trip(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let auth = format!("Bearer {admin}");
    let query = "query Me { me { name } }";
    let hash = hex(&Sha256::digest(query));

    let first = send(
        app.http
            .post(format!("{}/graphql", app.base))
            .header("content-type", "application/json")
            .header("authorization", &auth)
            .body(json!({ "extensions": persisted(&hash) }).to_string()),
    )
    .await;
    assert_eq!(first.code(), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(first.message(), "PersistedQueryNotFound", "the word Apollo's link looks for");

    let wrong = post(&app, json!({ "query": "{ __typename }", "extensions": persisted(&hash) }), &[]).await;
    assert_eq!(wrong.status(), 400, "a query is only kept under its own hash");

    let both = post(&app, json!({ "query": query, "extensions": persisted(&hash) }), &[("authorization", &auth)]).await;
    let both: Value = both.json().await.unwrap();
    assert_eq!(both["data"]["me"]["name"], "系统管理员");

    let alone = post(&app, json!({ "extensions": persisted(&hash) }), &[("authorization", &auth)]).await;
    assert_eq!(alone.json::<Value>().await.unwrap()["data"]["me"]["name"], "系统管理员");

    let extensions = persisted(&hash).to_string();
    let resp = app
        .http
        .get(format!("{}/graphql", app.base))
        .query(&[("extensions", extensions.as_str()), ("operationName", "Me")])
        .header("authorization", &auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["data"]["me"]["name"], "系统管理员", "GET with the hash alone");

    // Another process of the same deployment (same Redis and prefix) knows the query.
    if backend == Backend::Postgres {
        let prefix = app.redis_prefix.clone();
        let db_url = app.state.settings.database_url.clone();
        let other = spawn_app_with(backend, move |s| {
            s.redis_key_prefix = prefix;
            s.database_url = db_url;
        })
        .await;
        let there = post(&other, json!({ "extensions": persisted(&hash) }), &[("authorization", &auth)]).await;
        assert_eq!(there.json::<Value>().await.unwrap()["data"]["me"]["name"], "系统管理员");
    }
}
both!(persisted_query_round_trip);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Answers come compressed when the client accepts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_are_compressed_for_clients_that_accept_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let query = json!({ "query": "{ __schema { types { name description } } }" });
    let plain = post(&app, query.clone(), &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();

    let gzipped = post(&app, query.clone(), &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert!(gzipped.headers()["vary"].to_str().unwrap().contains("Accept-Encoding"));
    let gzipped = gzipped.bytes().await.unwrap();
    assert!(gzipped.len() * 3 < plain.len(), "{} of {} bytes", gzipped.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gzipped[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain.to_vec(), "the same answer");

    let brotli = post(&app, query, &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert!(brotli.bytes().await.unwrap().len() * 3 < plain.len());
}

/// CORS only for the origins configured; none at all by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_follows_the_allow_list() {
    let preflight = |app: &TestApp, origin: &str| {
        app.http
            .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.base))
            .header("origin", origin.to_owned())
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let closed = spawn_app(Backend::Sqlite).await;
    let resp = preflight(&closed, "https://h5.example.org").await.unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none(), "no CORS without an allow-list");

    let open =
        spawn_app_with(Backend::Sqlite, |s| s.cors_allowed_origins = vec!["https://h5.example.org".into()]).await;
    let resp = preflight(&open, "https://h5.example.org").await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://h5.example.org");
    let allowed = resp.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");

    let other = preflight(&open, "https://evil.example.com").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none(), "another origin is not allowed");

    let answer = open
        .http
        .post(format!("{}/graphql", open.base))
        .header("origin", "https://h5.example.org")
        .header("content-type", "application/json")
        .body(json!({ "query": "{ __typename }" }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "https://h5.example.org");
}

/// The errors a phone meets are Chinese and name the field.
async fn errors_are_chinese_with_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let cases: [(&str, Value, &str, &str); 4] = [
        (
            "mutation { evaluateProposal(id: \"00000000-0000-0000-0000-000000000000\", input: {}) { id } }",
            json!({}),
            "input.satisfaction",
            "缺少必填项",
        ),
        (
            "mutation($i: RecordAdoptionInput!) { recordAdoption(id: \"00000000-0000-0000-0000-000000000000\", input: $i) { id } }",
            json!({ "i": { "adoptedAt": "2026-02-30", "level": "MUNICIPAL", "form": "SINGLE", "adoptedBy": "市政府" } }),
            "",
            "YYYY-MM-DD",
        ),
        ("{ me { nme } }", json!({}), "nme", "没有字段"),
        ("{ me { name ", json!({}), "query", "语法错误"),
    ];
    for (query, variables, field, words) in cases {
        let answer = app.gql(Some(&admin), query, variables).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{}", answer.body);
        assert!(answer.message().contains(words), "{query}: {}", answer.body);
        assert!(!answer.message().is_ascii(), "Chinese: {}", answer.body);
        if !field.is_empty() {
            assert_eq!(answer.field(), field, "{}", answer.body);
        }
        assert!(answer.body["errors"][0]["extensions"]["detail"].is_string(), "the original for the developer");
    }
    let deep = "{ me { memberships { organization { parent { parent { parent { parent { parent { parent { parent { parent { parent { name } } } } } } } } } } } } }";
    assert!(app.gql(Some(&admin), deep, json!({})).await.message().contains("嵌套"));

    // The rules of an input are in the schema for the client's developer.
    let schema =
        app.gql(None, r#"{ __type(name: "Mutation") { fields { name args { name description } } } }"#, json!({})).await;
    let fields = schema.data()["__type"]["fields"].as_array().unwrap().clone();
    let arg = |field: &str, arg: &str| {
        let f = fields.iter().find(|f| f["name"] == field).unwrap();
        f["args"].as_array().unwrap().iter().find(|a| a["name"] == arg).unwrap()["description"].clone()
    };
    assert!(arg("submitProposal", "idempotencyKey").as_str().unwrap_or_default().contains("8到100"));
    assert!(arg("changePassword", "newPassword").as_str().unwrap_or_default().contains("8到128"));
}
both!(errors_are_chinese_with_the_field);

/// An upload the server refuses is answered, not cut off: without the preflight header, or
/// with a bad token, the client reads a JSON error even while it was still sending; and a
/// bad token is refused before the file is read (not a 413 for its size).
async fn refused_uploads_are_answered(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.upload_max_file_bytes = 1024 * 1024).await;
    let admin = app.admin().await;
    let big = vec![7u8; 3 * 1024 * 1024];

    let no_preflight = app.upload_with(Some(&admin), "PROPOSAL", "a.pdf", big.clone(), false).await;
    assert_eq!(no_preflight.status, 400, "{}", no_preflight.body);
    assert_eq!(no_preflight.field(), "Apollo-Require-Preflight");

    let bad_token = app.upload_with(Some("not-a-token"), "PROPOSAL", "a.pdf", big.clone(), true).await;
    assert_eq!(bad_token.status, 401, "who sends is settled first: {}", bad_token.body);
    assert_eq!(bad_token.code(), "UNAUTHENTICATED");

    let anonymous: Answer = app.upload_with(None, "PROPOSAL", "a.pdf", big, true).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert_eq!(app.stored_files(), 0);

    let fine = app
        .upload(&admin, "PROPOSAL", "a.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec())
        .await;
    assert!(fine.body["data"]["uploadAttachment"]["id"].is_string(), "{}", fine.body);
}
both!(refused_uploads_are_answered);
