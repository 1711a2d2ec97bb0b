//! The committee tree upward (issue 15, item 3): a deployment that started with a city
//! takes in the province above it; the city's members who sit on both committees submit to
//! the province from the same app.
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with},
    proposals::draft,
};

const CREATE: &str =
    "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id level parent { id } } }";
const ATTACH: &str =
    "mutation($id: ID!, $p: ID!) { attachOrganization(id: $id, parentId: $p) { id parent { id name } } }";
const SWITCH: &str = "mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }";

async fn create(app: &TestApp, token: &str, input: Value) -> crate::helpers::Answer {
    app.gql(Some(token), CREATE, json!({ "i": input })).await
}

async fn created(app: &TestApp, token: &str, input: Value) -> String {
    let a = create(app, token, input).await;
    a.data()["createOrganization"]["id"].as_str().unwrap().to_owned()
}

async fn switch(app: &TestApp, token: &str, org: &str) -> String {
    let a = app.gql(Some(token), SWITCH, json!({ "o": org })).await;
    a.data()["switchOrganization"]["accessToken"].as_str().unwrap().to_owned()
}

/// Every organization's path is its parent's path and its own id: what the tree's reads
/// (who sees what, who administers what) are built on.
async fn paths_hold(app: &TestApp) {
    use sea_orm::EntityTrait;
    let all = entity::organization::Entity::find().all(&app.state.db).await.unwrap();
    for org in &all {
        let expected = match org.parent_id {
            None => format!("/{}/", org.id),
            Some(p) => {
                let parent = all.iter().find(|o| o.id == p).unwrap();
                format!("{}{}/", parent.path, org.id)
            }
        };
        assert_eq!(org.path, expected, "{}", org.name);
    }
}

async fn a_province_is_put_above_the_city(backend: Backend) {
    let app = spawn_app(backend).await;
    let platform = app.admin().await;
    let city = app.current_org(&platform).await;
    let county = app.create_org(&platform, "某县政协", "COUNTY", &city).await;

    // The city's other admin runs the city, not the deployment.
    app.person(&platform, "13900009101", "市政协管理员", &city, "ADMIN").await;
    let city_admin = app.login("13900009101", PASSWORD).await.access;
    create(&app, &city_admin, json!({ "name": "某省政协", "level": "PROVINCIAL" })).await.refused("FORBIDDEN");

    let province = created(&app, &platform, json!({ "name": "某省政协", "level": "PROVINCIAL" })).await;
    let attached = app.gql(Some(&city_admin), ATTACH, json!({ "id": city, "p": province })).await;
    attached.refused("FORBIDDEN");

    // Refusals that name what is wrong.
    app.gql(Some(&platform), ATTACH, json!({ "id": county, "p": province })).await.refused("CONFLICT");
    let lower = created(&app, &platform, json!({ "name": "另一县政协", "level": "COUNTY" })).await;
    let wrong = app.gql(Some(&platform), ATTACH, json!({ "id": city, "p": lower })).await;
    assert_eq!(wrong.refused("BAD_USER_INPUT").field(), "parentId");

    let a = app.gql(Some(&platform), ATTACH, json!({ "id": city, "p": province })).await;
    assert_eq!(a.data()["attachOrganization"]["parent"]["name"], "某省政协");
    paths_hold(&app).await;
    let again = app.gql(Some(&platform), ATTACH, json!({ "id": province, "p": county })).await;
    again.refused("BAD_USER_INPUT");

    // The creator is the province's first admin: it sees the city and the county below.
    let in_province = switch(&app, &platform, &province).await;
    let seen = app.gql(Some(&in_province), "{ organizations { id } }", json!({})).await;
    let ids: Vec<&str> =
        seen.data()["organizations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    for org in [&province, &city, &county] {
        assert!(ids.contains(&org.as_str()), "{org} in {ids:?}");
    }

    // A city member who also sits on the provincial committee submits there from the same app.
    let member = app.person(&platform, "13900009102", "两级委员", &city, "MEMBER").await;
    app.join(&in_province, &member, &province, "MEMBER", json!({})).await;
    let token = app.login("13900009102", PASSWORD).await.access;
    assert_eq!(app.current_org(&token).await, city);
    let provincial = switch(&app, &token, &province).await;
    let d = app
        .gql(
            Some(&provincial),
            "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }",
            json!({ "i": draft("关于全省养老服务的建议") }),
        )
        .await;
    let id = d.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned();
    let s = app
        .gql(
            Some(&provincial),
            "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"k-province-1\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(s.data()["submitProposal"]["status"], "SUBMITTED");
    let there = app.gql(Some(&provincial), "{ myProposals(first: 10) { totalCount } }", json!({})).await;
    assert_eq!(there.data()["myProposals"]["totalCount"], 1, "the province's has it");
}
both!(a_province_is_put_above_the_city);

/// The first start may make a committee of any level.
async fn the_first_committee_may_be_a_province(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.bootstrap_organization_level = "provincial".into()).await;
    let admin = app.admin().await;
    let a = app.gql(Some(&admin), "{ currentOrganization { level } }", json!({})).await;
    assert_eq!(a.data()["currentOrganization"]["level"], "PROVINCIAL");

    let mut settings = crate::helpers::test_settings("sqlite::memory:", "test:unused:");
    settings.bootstrap_organization_level = "城市".into();
    let refused = api::app::spawn(settings).await.err().unwrap_or_default();
    assert!(refused.contains("BOOTSTRAP_ORGANIZATION_LEVEL"), "{refused}");
}
both!(the_first_committee_may_be_a_province);

/// A root moved under a province while committees are being created below it: every path
/// stays its parent's path and its own id.
async fn moving_the_tree_while_it_grows(backend: Backend) {
    let app = spawn_app(backend).await;
    let platform = app.admin().await;
    for round in 0..8 {
        let province = created(&app, &platform, json!({ "name": format!("省{round}"), "level": "PROVINCIAL" })).await;
        let city = created(&app, &platform, json!({ "name": format!("市{round}"), "level": "MUNICIPAL" })).await;
        // Its creator is its admin: signed in there, they create below it.
        let in_city = switch(&app, &platform, &city).await;
        let barrier = Arc::new(Barrier::new(2));
        let (b1, b2) = (barrier.clone(), barrier.clone());
        let attach = async {
            b1.wait().await;
            app.gql(Some(&platform), ATTACH, json!({ "id": city, "p": province })).await
        };
        let grow = async {
            b2.wait().await;
            create(&app, &in_city, json!({ "name": format!("县{round}"), "level": "COUNTY", "parentId": city })).await
        };
        let (attached, grown) = tokio::join!(attach, grow);
        attached.data();
        grown.data();
        paths_hold(&app).await;
    }
}
both!(moving_the_tree_while_it_grows);
