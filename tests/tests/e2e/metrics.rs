//! `/metrics` (issue 16 item 7): what Prometheus scrapes after a few requests, and who may
//! scrape it — a separate address without a token, the main one only with the token, and
//! no `/metrics` at all without either setting.
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use crate::{
    both,
    helpers::{Backend, TestApp, spawn_app, spawn_app_with},
    live::{Socket, member, publish_briefing},
};

const TOKEN: &str = "scrape-token-0123456789";

async fn scrape(url: &str, token: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("scrape");
    (res.status().as_u16(), res.text().await.expect("scrape body"))
}

/// The value of the sample `name{labels}` (exactly as written), if it is there.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn metrics_after_a_few_requests(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.metrics_token = Some(SecretString::from(TOKEN));
        s.metrics_bind_addr = Some("127.0.0.1:0".into());
        s.login_max_failures_per_phone = 2;
    })
    .await;
    let separate = format!("http://{}/metrics", app.state.metrics_addr.get().expect("metrics address bound"));
    let main = format!("{}/metrics", app.base);

    // Who may scrape.
    assert_eq!(scrape(&main, None).await.0, 401, "the main address wants the token");
    assert_eq!(scrape(&main, Some("scrape-token-wrong-guess")).await.0, 401);
    let (status, _) = scrape(&main, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let res = reqwest::get(&separate).await.unwrap();
    assert_eq!(res.status(), 200, "the separate address needs no token");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    assert_eq!(
        reqwest::get(format!("http://{}/graphql", app.state.metrics_addr.get().unwrap())).await.unwrap().status(),
        404,
        "and serves nothing else"
    );

    // A few requests: a named query twice, a refused one, two wrong passwords and the
    // third attempt refused by the limit, a member signing in, a socket, a briefing.
    let admin = app.admin().await;
    let feed = "query MetricsFeed { briefings(first: 5) { edges { node { id } } } }";
    app.gql(Some(&admin), feed, json!({})).await.data();
    app.gql(Some(&admin), feed, json!({})).await.data();
    app.gql(None, "query MetricsRefused { me { id } }", json!({})).await.refused("UNAUTHENTICATED");
    for _ in 0..2 {
        app.try_login("13900007777", "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    }
    app.try_login("13900007777", "Wrong-pass-1").await.refused("RATE_LIMITED");
    let reader = member(&app, &admin, "13900006666", None).await;
    let socket = Socket::signed_in(&app.base, &reader).await;
    publish_briefing(&app.base, &app, &admin, "指标测试通报", json!({ "everyone": true })).await;
    api::notifications::dispatcher::deliver(&app.state).await.unwrap();

    let (_, text) = scrape(&separate, None).await;
    let value = |series: &str| sample(&text, series).unwrap_or_else(|| panic!("no {series} in:\n{text}"));
    assert_eq!(value(r#"cppcc_graphql_requests_total{operation="MetricsFeed",code="OK"}"#), 2.0);
    assert_eq!(value(r#"cppcc_graphql_requests_total{operation="MetricsRefused",code="UNAUTHENTICATED"}"#), 1.0);
    assert_eq!(value(r#"cppcc_graphql_request_duration_seconds_count{operation="MetricsFeed"}"#), 2.0);
    assert!(value(r#"cppcc_graphql_request_duration_seconds_sum{operation="MetricsFeed"}"#) > 0.0);
    assert_eq!(value(r#"cppcc_graphql_request_duration_seconds_bucket{le="+Inf",operation="MetricsFeed"}"#), 2.0);
    assert_eq!(value(r#"cppcc_logins_total{outcome="wrong_credentials"}"#), 2.0);
    assert_eq!(value(r#"cppcc_logins_total{outcome="rate_limited"}"#), 1.0);
    assert_eq!(value(r#"cppcc_logins_total{outcome="success"}"#), 2.0, "the admin and the member");
    assert_eq!(value(r#"cppcc_rate_limit_refusals_total{operation="anonymous"}"#), 1.0);
    assert_eq!(value("cppcc_websocket_connections"), 1.0);
    assert_eq!(value(r#"cppcc_notifications_fanned_out_total{kind="briefing.PUBLISHED"}"#), 1.0, "one member");
    assert!(value(r#"cppcc_db_statement_duration_seconds_count{outcome="ok"}"#) > 10.0);
    assert_eq!(value("cppcc_db_pool_max_connections"), f64::from(app.state.settings.database_max_connections));
    let pooled =
        value(r#"cppcc_db_pool_connections{state="in_use"}"#) + value(r#"cppcc_db_pool_connections{state="idle"}"#);
    assert!(pooled >= 1.0, "{text}");
    assert!(text.ends_with("# EOF\n"));
    assert!(!text.contains("13900006666") && !text.contains(&reader), "no personal data, no tokens");

    // The socket closed: the gauge follows.
    drop(socket);
    let mut open = 1.0;
    for _ in 0..50 {
        open = sample(&scrape(&separate, None).await.1, "cppcc_websocket_connections").unwrap_or(-1.0);
        if open == 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(open, 0.0, "a closed socket is no longer counted");
}
both!(metrics_after_a_few_requests);

/// Without `METRICS_TOKEN` or `METRICS_BIND_ADDR` there is no `/metrics`.
async fn no_metrics_unless_configured(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    let (status, _) = scrape(&format!("{}/metrics", app.base), Some(TOKEN)).await;
    assert_eq!(status, 404);
    assert!(app.state.metrics_addr.get().is_none());
}
both!(no_metrics_unless_configured);
