//! Start-up: the committed schema, migrations both ways, the first-start bootstrap, the
//! demo data, and the refusals of a production configuration.
use migration::{Migrator, MigratorTrait};
use sea_orm::Database;
use serde_json::json;

use crate::{
    both,
    helpers::{Backend, TestDb, spawn_app, test_settings},
};

#[test]
fn committed_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == api::graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -p api -- export-schema` and commit the result"
    );
}

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = Database::connect(&db.url).await.unwrap();
    Migrator::up(&conn, None).await.unwrap();
    assert!(Migrator::get_pending_migrations(&conn).await.unwrap().is_empty());
    Migrator::down(&conn, None).await.unwrap();
    assert_eq!(Migrator::get_applied_migrations(&conn).await.unwrap().len(), 0);
    Migrator::up(&conn, None).await.unwrap();
    assert!(Migrator::get_pending_migrations(&conn).await.unwrap().is_empty());
    conn.close().await.unwrap();
}
both!(migrations_go_up_down_and_up_again);

async fn first_start_generates_a_one_time_password(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut settings = test_settings(&db.url, &format!("test:{}:", uuid::Uuid::new_v4().simple()));
    settings.admin_password = None;
    settings.admin_phone = None;
    let state = api::app::build_state(settings).await.unwrap();
    let (phone, password) = api::bootstrap::first_start(&state).await.unwrap().unwrap();
    assert_eq!(phone, api::bootstrap::DEFAULT_ADMIN_PHONE);
    let password = password.expect("a generated password");
    assert!(password.len() >= 16);
    assert!(api::bootstrap::first_start(&state).await.unwrap().is_none(), "only once");

    // The generated password logs in, and the account is flagged to change it.
    let (addr, _, server) = {
        let mut s = test_settings(&db.url, &format!("test:{}:", uuid::Uuid::new_v4().simple()));
        s.admin_password = None;
        api::app::spawn(s).await.unwrap()
    };
    tokio::spawn(server);
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { user { mustChangePassword } } }",
            "variables": { "i": { "phone": phone, "password": password } }
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["login"]["user"]["mustChangePassword"], true, "{body}");
}
both!(first_start_generates_a_one_time_password);

async fn demo_data_loads_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let summary = api::demo::seed(&app.state).await.unwrap().expect("first load");
    assert!(api::demo::seed(&app.state).await.unwrap().is_none(), "second load is a no-op");
    let staff = app.login("13700000001", &summary.password).await.access;
    let directory = app.gql(Some(&staff), "{ members { totalCount } currentOrganization { name parent { level } sectors { name } handlingUnits { name } } }", json!({})).await;
    let data = directory.data();
    assert_eq!(data["members"]["totalCount"], 24);
    assert_eq!(data["currentOrganization"]["name"], api::demo::DEMO_CITY);
    assert_eq!(data["currentOrganization"]["parent"]["level"], "PROVINCIAL");
    assert!(data["currentOrganization"]["sectors"].as_array().unwrap().len() > 20);
    assert!(data["currentOrganization"]["handlingUnits"].as_array().unwrap().len() > 20);

    // A member finds a briefing to read and a visit to sign up for.
    let member = app.login("13900000005", &summary.password).await.access;
    let seen = app
        .gql(
            Some(&member),
            "{ unreadBriefingCount visits(filter: { upcoming: true }) { edges { node { canSignUp } } } }",
            json!({}),
        )
        .await;
    assert_eq!(seen.data()["unreadBriefingCount"], 1);
    assert_eq!(seen.data()["visits"]["edges"][0]["node"]["canSignUp"], true);
}
both!(demo_data_loads_once);

#[tokio::test]
async fn production_refuses_unsafe_settings() {
    let settings =
        api::config::Settings { app_env: api::config::AppEnv::Production, ..api::config::Settings::default() };
    let reasons = api::app::build_state(settings).await.err().expect("refused");
    assert_eq!(reasons.lines().count(), 3, "{reasons}");
    assert!(reasons.contains("REDIS_URL"));
    assert!(reasons.contains("JWT_SECRET"));
    assert!(reasons.contains("postgres"));
}

async fn quick_start_keeps_sessions_in_process(backend: Backend) {
    let app = crate::helpers::spawn_app_with(backend, |s| s.redis_url = None).await;
    let ready: serde_json::Value =
        app.http.get(format!("{}/readyz", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["sessionStore"]["backend"], "memory");

    let tokens = app.login(crate::helpers::ADMIN_PHONE, crate::helpers::ADMIN_PASSWORD).await;
    let rotated = app
        .gql(
            None,
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": tokens.refresh }),
        )
        .await;
    let access = rotated.data()["refreshSession"]["accessToken"].as_str().unwrap().to_owned();
    app.gql(Some(&access), "{ me { id } }", json!({})).await.data();
    app.gql(Some(&access), "mutation { logout { endedSessions } }", json!({})).await.data();
    app.gql(Some(&access), "{ me { id } }", json!({})).await.refused("UNAUTHENTICATED");

    for _ in 0..5 {
        app.try_login(crate::helpers::ADMIN_PHONE, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    }
    app.try_login(crate::helpers::ADMIN_PHONE, crate::helpers::ADMIN_PASSWORD).await.refused("RATE_LIMITED");
}
both!(quick_start_keeps_sessions_in_process);
