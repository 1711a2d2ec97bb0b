//! Request limits: only JSON, no batches, bounded body, depth and complexity.
use serde_json::json;

use crate::{
    both,
    helpers::{Backend, spawn_app_with},
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

    // Complexity: 100 members × many aliased edges exceeds the budget.
    let fields: String = (0..80).map(|i| format!("a{i}: user {{ name }} ")).collect();
    let heavy = format!("{{ members(first: 100) {{ edges {{ node {{ {fields} }} }} }} }}");
    let answer = app.gql(Some(&admin), &heavy, json!({})).await;
    assert!(answer.message().contains("过于复杂"), "{}", answer.body);
}
both!(request_limits);
