//! The audit log (issue 12, item 14): mutations by the office, sign-in events and refusals
//! are recorded with who, where, which records and how they ended — never a password, a
//! token or a full phone number — and admins read their part of it.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{ADMIN_PHONE, Backend, PASSWORD, spawn_app},
};

const LOG: &str = "query($f: AuditLogFilter) { auditLog(filter: $f, first: 100) { totalCount edges { node { operation outcome role targets clientIp detail organizationId user { name } } } } }";

fn entries(v: &Value) -> Vec<Value> {
    v["auditLog"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn the_office_and_sign_ins_leave_a_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "测试县政协", "COUNTY", &city).await;
    app.person(&admin, "13900006001", "县管理员", &county, "ADMIN").await;
    let county_admin = app.login("13900006001", PASSWORD).await.access;
    app.person(&admin, "13900006002", "市委员", &city, "MEMBER").await;
    let member = app.login("13900006002", PASSWORD).await.access;

    // An office mutation, with the record it named.
    let sector = app.create_sector(&admin, "经济界").await;
    let renamed = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateSector(id: $id, input: { name: \"经济界别\" }) { id } }",
            json!({ "id": sector }),
        )
        .await;
    renamed.data();
    // A member's own work is not audited; a member's refusal is.
    app.gql(
        Some(&member),
        "mutation { createProposalDraft(input: { title: \"草稿\", category: \"其他\" }) { id } }",
        json!({}),
    )
    .await
    .data();
    app.gql(Some(&member), "{ proposals { totalCount } }", json!({})).await.refused("FORBIDDEN");
    // A failed sign-in, with a password that must never be stored.
    app.try_login("13900006002", "Wrong-secret-42").await.refused("UNAUTHENTICATED");

    let all = app.gql(Some(&admin), LOG, json!({})).await;
    let all = entries(all.data());
    let ops: Vec<&str> = all.iter().map(|e| e["operation"].as_str().unwrap()).collect();
    assert!(ops.contains(&"updateSector") && ops.contains(&"createSector"), "{ops:?}");
    assert!(!ops.contains(&"createProposalDraft"), "a member's own mutation is not audited: {ops:?}");
    let update = all.iter().find(|e| e["operation"] == "updateSector").unwrap();
    assert_eq!(update["outcome"], "OK");
    assert_eq!(update["role"], "ADMIN");
    assert_eq!(update["targets"], json!([sector]));
    assert_eq!(update["user"]["name"], "系统管理员");
    assert_eq!(update["clientIp"], "127.0.0.1");
    let refused = all.iter().find(|e| e["operation"] == "proposals").unwrap();
    assert_eq!(refused["outcome"], "FORBIDDEN");
    assert_eq!(refused["user"]["name"], "市委员");
    let failed = all.iter().find(|e| e["operation"] == "login" && e["outcome"] == "UNAUTHENTICATED").unwrap();
    let detail = failed["detail"].as_str().unwrap();
    assert!(detail.starts_with("139") && !detail.contains("06002"), "the phone is masked: {detail}");
    let signed_in = all
        .iter()
        .find(|e| e["operation"] == "login" && e["outcome"] == "OK" && e["user"]["name"] == "市委员")
        .unwrap_or_else(|| panic!("a successful sign-in is recorded with who signed in: {all:?}"));
    assert_eq!(signed_in["role"], "MEMBER");

    // Nothing secret anywhere in the table.
    let backend_ = app.state.db.get_database_backend();
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.state.db,
        sea_orm::Statement::from_string(
            backend_,
            "SELECT operation, targets, detail, client_ip, outcome FROM audit_log",
        ),
    )
    .await
    .unwrap();
    let dump = format!("{rows:?}");
    for secret in ["Wrong-secret-42", PASSWORD, "13900006002", ADMIN_PHONE, "Bearer"] {
        assert!(!dump.contains(secret), "{secret} in the audit log");
    }

    // Filters, and the scope: the county's admin sees the county only; staff and members none.
    let filtered =
        app.gql(Some(&admin), LOG, json!({ "f": { "operation": "proposals", "outcome": "FORBIDDEN" } })).await;
    assert_eq!(filtered.data()["auditLog"]["totalCount"], 1);
    app.gql(Some(&county_admin), "mutation { createSector(input: { name: \"教育界\" }) { id } }", json!({}))
        .await
        .data();
    let county_view = app.gql(Some(&county_admin), LOG, json!({})).await;
    let county_view = entries(county_view.data());
    assert!(!county_view.is_empty());
    assert!(county_view.iter().all(|e| e["organizationId"] == county), "{county_view:?}");
    app.gql(Some(&member), LOG, json!({})).await.refused("FORBIDDEN");
    app.gql(None, LOG, json!({})).await.refused("UNAUTHENTICATED");
}
both!(the_office_and_sign_ins_leave_a_trail);
