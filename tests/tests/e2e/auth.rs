//! Login, tokens and sessions: the contract the mobile app codes against.
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use crate::{
    both,
    helpers::{ADMIN_PASSWORD, ADMIN_PHONE, Backend, JWT_SECRET, PASSWORD, spawn_app, spawn_app_with},
};

const ME: &str = "{ me { id name phone memberships { role organization { name } } } }";

async fn health_and_ide(backend: Backend) {
    let app = spawn_app(backend).await;
    let health: serde_json::Value =
        app.http.get(format!("{}/healthz", app.base)).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["sessionStore"]["backend"], "redis");
    let ide = app.http.get(format!("{}/graphql", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(ide.to_lowercase().contains("graphiql"), "GET /graphql serves the IDE");
}
both!(health_and_ide);

async fn login_returns_tokens_and_me(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app.try_login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let login = &answer.data()["login"];
    assert_eq!(login["membership"]["role"], "ADMIN");
    assert_eq!(login["refreshToken"].as_str().unwrap().split('.').count(), 2, "opaque <session>.<secret>");
    let access = login["accessToken"].as_str().unwrap();
    assert_eq!(access.split('.').count(), 3, "a JWT");

    let me = app.gql(Some(access), ME, json!({})).await;
    assert_eq!(me.data()["me"]["phone"], ADMIN_PHONE);
    assert_eq!(me.data()["me"]["memberships"][0]["organization"]["name"], "测试市政协");

    // The access token carries the claims the issue names, signed with HS256.
    let header = jsonwebtoken::decode_header(access).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::HS256);
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["cppcc-app"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        access,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    for claim in ["sub", "sid", "org", "role", "iat", "exp", "iss", "aud"] {
        assert!(claims.get(claim).is_some(), "claim {claim} in {claims}");
    }
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 15 * 60);
}
both!(login_returns_tokens_and_me);

async fn wrong_password_and_unknown_phone_answer_alike(backend: Backend) {
    let app = spawn_app(backend).await;
    let wrong = app.try_login(ADMIN_PHONE, "Wrong-pass-1").await;
    let unknown = app.try_login("13999999999", "Wrong-pass-1").await;
    wrong.refused("UNAUTHENTICATED");
    unknown.refused("UNAUTHENTICATED");
    assert_eq!(wrong.body, unknown.body, "no hint whether the phone exists");
    assert_eq!(wrong.message(), "手机号或密码错误");

    let malformed = app.try_login("12345", "whatever1").await;
    malformed.refused("BAD_USER_INPUT");
    assert_eq!(malformed.field(), "phone");
}
both!(wrong_password_and_unknown_phone_answer_alike);

async fn failed_logins_are_limited_per_phone(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        app.try_login(ADMIN_PHONE, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    }
    // Even the right password is refused until the window ends.
    let limited = app.try_login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    limited.refused("RATE_LIMITED");
    assert!(limited.message().contains("分钟后再试"), "{}", limited.message());
    let retry = limited.body["errors"][0]["extensions"]["retryAfter"].as_u64().unwrap();
    assert!((800..=900).contains(&retry), "retryAfter {retry}");
    // The counter lives in Redis under this test's prefix.
    let mut conn =
        redis::Client::open(crate::helpers::redis_url()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> =
        redis::cmd("KEYS").arg(format!("{}login-fail:phone:*", app.redis_prefix)).query_async(&mut conn).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(!keys[0].contains(ADMIN_PHONE), "phones are not stored in clear");
}
both!(failed_logins_are_limited_per_phone);

async fn failed_logins_are_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.login_max_failures_per_ip = 3).await;
    for phone in ["13900000001", "13900000002", "13900000003"] {
        app.try_login(phone, "Wrong-pass-1").await.refused("UNAUTHENTICATED");
    }
    app.try_login("13900000004", "Wrong-pass-1").await.refused("RATE_LIMITED");
    app.try_login(ADMIN_PHONE, ADMIN_PASSWORD).await.refused("RATE_LIMITED");
}
both!(failed_logins_are_limited_per_address);

const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }";

async fn refresh_rotates_and_reuse_revokes_the_session(backend: Backend) {
    // Without the grace window for the token rotated last (`signin.rs` covers the window).
    let app = spawn_app_with(backend, |s| s.refresh_reuse_grace_secs = 0).await;
    let first = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;

    let rotated = app.gql(None, REFRESH, json!({ "t": first.refresh })).await;
    let second_refresh = rotated.data()["refreshSession"]["refreshToken"].as_str().unwrap().to_owned();
    let second_access = rotated.data()["refreshSession"]["accessToken"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    app.gql(Some(&second_access), ME, json!({})).await.data();

    // The old refresh token no longer works, and presenting it is taken as theft:
    app.gql(None, REFRESH, json!({ "t": first.refresh })).await.refused("UNAUTHENTICATED");
    // …the whole session is gone, including the newest tokens.
    app.gql(None, REFRESH, json!({ "t": second_refresh })).await.refused("UNAUTHENTICATED");
    let me = app.gql(Some(&second_access), ME, json!({})).await;
    assert_eq!(me.status, 401);
    me.refused("UNAUTHENTICATED");

    app.gql(None, REFRESH, json!({ "t": "garbage" })).await.refused("UNAUTHENTICATED");
    app.gql(None, REFRESH, json!({ "t": "abc.def" })).await.refused("UNAUTHENTICATED");
}
both!(refresh_rotates_and_reuse_revokes_the_session);

const SESSIONS: &str = "{ mySessions { id device current createdAt lastSeenAt } }";

async fn logout_and_session_management(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone_a = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let phone_b = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let phone_c = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;

    let list = app.gql(Some(&phone_a.access), SESSIONS, json!({})).await;
    let sessions = list.data()["mySessions"].as_array().unwrap().clone();
    assert_eq!(sessions.len(), 3);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(sessions[0]["device"], "测试手机");

    // Revoke phone B from phone A.
    let b_id = app.gql(Some(&phone_b.access), SESSIONS, json!({})).await.data()["mySessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .clone();
    let revoked = app
        .gql(
            Some(&phone_a.access),
            "mutation($id: ID!) { revokeSession(id: $id) { endedSessions } }",
            json!({ "id": b_id }),
        )
        .await;
    assert_eq!(revoked.data()["revokeSession"]["endedSessions"], 1);
    app.gql(Some(&phone_b.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(
        Some(&phone_a.access),
        "mutation($id: ID!) { revokeSession(id: $id) { endedSessions } }",
        json!({ "id": "nope" }),
    )
    .await
    .refused("NOT_FOUND");

    // Logout ends only the current session, effective on the next request.
    app.gql(Some(&phone_c.access), "mutation { logout { endedSessions } }", json!({})).await.data();
    app.gql(Some(&phone_c.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(None, REFRESH, json!({ "t": phone_c.refresh })).await.refused("UNAUTHENTICATED");
    app.gql(Some(&phone_a.access), ME, json!({})).await.data();

    // Logout everywhere.
    let d = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let all = app.gql(Some(&phone_a.access), "mutation { logoutAll { endedSessions } }", json!({})).await;
    assert_eq!(all.data()["logoutAll"]["endedSessions"], 2);
    app.gql(Some(&phone_a.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(Some(&d.access), ME, json!({})).await.refused("UNAUTHENTICATED");
}
both!(logout_and_session_management);

const CHANGE: &str =
    "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) { endedSessions } }";

async fn change_password_revokes_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let here = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let elsewhere = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;

    let wrong = app.gql(Some(&here.access), CHANGE, json!({ "o": "Not-it-123", "n": "New-pass-123" })).await;
    wrong.refused("BAD_USER_INPUT");
    assert_eq!(wrong.field(), "oldPassword");
    let weak = app.gql(Some(&here.access), CHANGE, json!({ "o": ADMIN_PASSWORD, "n": "short" })).await;
    weak.refused("BAD_USER_INPUT");
    assert_eq!(weak.field(), "newPassword");
    app.gql(Some(&elsewhere.access), ME, json!({})).await.data();

    let changed = app.gql(Some(&here.access), CHANGE, json!({ "o": ADMIN_PASSWORD, "n": "New-pass-123" })).await;
    assert_eq!(changed.data()["changePassword"]["endedSessions"], 1);
    app.gql(Some(&here.access), ME, json!({})).await.data();
    app.gql(Some(&elsewhere.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.try_login(ADMIN_PHONE, ADMIN_PASSWORD).await.refused("UNAUTHENTICATED");
    app.login(ADMIN_PHONE, "New-pass-123").await;
}
both!(change_password_revokes_other_sessions);

fn sign(claims: &serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

async fn bad_tokens_are_refused_whole(backend: Backend) {
    let app = spawn_app(backend).await;
    let good = app.login(ADMIN_PHONE, ADMIN_PASSWORD).await;
    let parts: Vec<&str> = good.access.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[1]).unwrap(),
    )
    .unwrap();

    let mut expired = claims.clone();
    expired["iat"] = json!(claims["iat"].as_i64().unwrap() - 7200);
    expired["exp"] = json!(claims["exp"].as_i64().unwrap() - 7200);
    let mut string_exp = claims.clone();
    string_exp["exp"] = json!(claims["exp"].as_i64().unwrap().to_string());
    let mut other_audience = claims.clone();
    other_audience["aud"] = json!("another-app");
    let none_header =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, br#"{"alg":"none","typ":"JWT"}"#);

    let bad = [
        "not-a-token".to_owned(),
        sign(&expired, JWT_SECRET),
        sign(&string_exp, JWT_SECRET),
        sign(&other_audience, JWT_SECRET),
        sign(&claims, "another-secret-another-secret-another!!"),
        format!("{none_header}.{}.", parts[1]),
        format!("{}.{}.{}x", parts[0], parts[1], parts[2]),
    ];
    for token in &bad {
        // A public field and a private one: nothing is answered, not even the public part.
        let answer = app.gql(Some(token), "{ __typename me { id } }", json!({})).await;
        assert_eq!(answer.status, 401, "{token}: {}", answer.body);
        assert_eq!(answer.code(), "UNAUTHENTICATED");
        assert!(answer.body.get("data").is_none(), "no partial answer: {}", answer.body);
    }

    // A revoked session's still-unexpired token.
    app.gql(Some(&good.access), "mutation { logout { endedSessions } }", json!({})).await.data();
    assert_eq!(app.gql(Some(&good.access), "{ __typename }", json!({})).await.status, 401);

    // No token at all: public parts work, private ones say UNAUTHENTICATED.
    let anonymous = app.gql(None, "{ __typename }", json!({})).await;
    assert_eq!(anonymous.data()["__typename"], "Query");
    app.gql(None, ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(None, "{ members { totalCount } }", json!({})).await.refused("UNAUTHENTICATED");
}
both!(bad_tokens_are_refused_whole);

async fn disabling_a_user_ends_their_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let org = app.current_org(&admin).await;
    let user = app.person(&admin, "13900000011", "王委员", &org, "MEMBER").await;
    let member = app.login("13900000011", PASSWORD).await;
    let second = app.login("13900000011", PASSWORD).await;

    let disabled =
        app.gql(Some(&admin), "mutation($id: ID!) { disableUser(id: $id) { status } }", json!({ "id": user })).await;
    assert_eq!(disabled.data()["disableUser"]["status"], "DISABLED");
    app.gql(Some(&member.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(Some(&second.access), ME, json!({})).await.refused("UNAUTHENTICATED");
    app.gql(None, REFRESH, json!({ "t": member.refresh })).await.refused("UNAUTHENTICATED");
    app.try_login("13900000011", PASSWORD).await.refused("FORBIDDEN");

    app.gql(Some(&admin), "mutation($id: ID!) { enableUser(id: $id) { status } }", json!({ "id": user })).await.data();
    app.login("13900000011", PASSWORD).await;

    // A member cannot disable anyone; nobody can disable themself.
    let member = app.login("13900000011", PASSWORD).await;
    let admin_id = app.gql(Some(&admin), "{ me { id } }", json!({})).await.data()["me"]["id"].clone();
    app.gql(Some(&member.access), "mutation($id: ID!) { disableUser(id: $id) { status } }", json!({ "id": admin_id }))
        .await
        .refused("FORBIDDEN");
    app.gql(Some(&admin), "mutation($id: ID!) { disableUser(id: $id) { status } }", json!({ "id": admin_id }))
        .await
        .refused("BAD_USER_INPUT");
}
both!(disabling_a_user_ends_their_sessions);
