//! The notification inbox: each event reaches exactly the people it concerns, once, also
//! with two dispatchers on one database.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with},
    proposals, visits,
};

const INBOX: &str = "query($first: Int, $after: String, $u: Boolean) {
  notifications(first: $first, after: $after, unreadOnly: $u) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id kind title body subjectType subjectId readAt } }
  }
  unreadNotificationCount
}";

/// Runs the dispatcher to the end, so what follows sees every notification.
pub(crate) async fn dispatched(app: &TestApp) {
    api::notifications::dispatcher::run_until_idle(&app.state.db).await.expect("dispatch");
}

pub(crate) async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.gql(Some(token), INBOX, json!({ "first": 100 })).await;
    a.data()["notifications"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    inbox(app, token).await.iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    app.gql(Some(token), "{ unreadNotificationCount }", json!({})).await.data()["unreadNotificationCount"]
        .as_u64()
        .unwrap()
}

pub(crate) async fn briefing(app: &TestApp, admin: &str, title: &str, audience: Value, confidential: bool) -> String {
    let input = json!({ "title": title, "summary": "通报摘要", "body": "正文", "source": "市政府", "audience": audience, "confidential": confidential });
    let a = app
        .gql(
            Some(admin),
            "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    let id = a.data()["createBriefing"]["id"].as_str().unwrap().to_owned();
    app.gql(Some(admin), "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id })).await.data();
    id
}

/// A sector of two among four members: only the two hear of a briefing to the sector; a
/// confidential one has no body.
async fn a_briefing_reaches_its_sector_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let sector = app.create_sector(&admin, "经济界").await;
    let mut tokens = Vec::new();
    for i in 0..4 {
        let phone = format!("1390000{:04}", 7000 + i);
        let user = app.create_user(&admin, &phone, &format!("委员{i}")).await;
        let extra = if i < 2 { json!({ "sectorId": sector }) } else { json!({}) };
        app.join(&admin, &user, &city, "MEMBER", extra).await;
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    let id = briefing(&app, &admin, "一季度经济运行情况", json!({ "sectorIds": [sector] }), false).await;
    briefing(&app, &admin, "涉密通报", json!({ "sectorIds": [sector] }), true).await;
    dispatched(&app).await;
    for t in &tokens[..2] {
        let got = inbox(&app, t).await;
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0]["title"], "通报：涉密通报");
        assert!(got[0]["body"].is_null(), "no body for a confidential briefing");
        assert_eq!(got[1]["title"], "通报：一季度经济运行情况");
        assert_eq!(got[1]["body"], "通报摘要");
        assert_eq!(got[1]["subjectType"], "BRIEFING");
        assert_eq!(got[1]["subjectId"], id);
        assert_eq!(unread(&app, t).await, 2);
    }
    for t in tokens[2..].iter().chain([&admin]) {
        assert!(inbox(&app, t).await.is_empty(), "outside the sector, nothing");
    }
    // Dispatching again adds nothing.
    dispatched(&app).await;
    assert_eq!(app.count_rows("notification").await, 4);
}
both!(a_briefing_reaches_its_sector_only);

/// Co-sign invitation and answer; registered, assigned (to the unit), replied; returned.
async fn proposal_steps_reach_the_proposers_and_units(backend: Backend) {
    let s = proposals::setup(backend, 3).await;
    let mut input = proposals::draft("关于加装电梯的提案");
    input["kind"] = json!("JOINT");
    let id = s.create(0, input).await;
    s.as_member(
        0,
        "mutation($id: ID!, $u: [ID!]!) { inviteCoSigners(proposalId: $id, userIds: $u) { id } }",
        json!({ "id": id, "u": [s.member_ids[1]] }),
    )
    .await
    .data();
    dispatched(&s.app).await;
    assert_eq!(kinds(&s.app, &s.members[1]).await, ["COSIGN_INVITED"]);
    assert!(kinds(&s.app, &s.members[0]).await.is_empty(), "not of one's own step");
    s.as_member(1, "mutation($id: ID!) { respondToCoSign(proposalId: $id, accept: true) { id } }", json!({ "id": id }))
        .await
        .data();
    dispatched(&s.app).await;
    let author = inbox(&s.app, &s.members[0]).await;
    assert_eq!(author.len(), 1);
    assert_eq!(author[0]["kind"], "COSIGN_ANSWERED");
    assert_eq!(author[0]["title"], "提案委员1同意联名您的提案");

    s.as_member(
        0,
        "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"notify-submit-1\") { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    s.as_office("mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id })).await.data();
    s.as_office(
        "mutation($id: ID!, $a: [AssignmentInput!]!) { assignProposal(id: $id, assignments: $a) { status } }",
        json!({ "id": id, "a": [{ "unitId": s.units[0], "role": "LEAD" }] }),
    )
    .await
    .data();
    s.app.gql(Some(&s.unit_tokens[0]), "mutation($id: ID!) { replyToProposal(id: $id, input: { outcome: A, content: \"已办理\", contact: \"王科长\" }) { status } }", json!({ "id": id })).await.data();
    let other = s.submitted(0, "另一件提案").await;
    s.as_office(
        "mutation($id: ID!) { returnProposal(id: $id, reason: \"请补充依据\") { id } }",
        json!({ "id": other }),
    )
    .await
    .data();
    dispatched(&s.app).await;

    let proposer =
        ["PROPOSAL_RETURNED", "PROPOSAL_REPLIED", "PROPOSAL_ASSIGNED", "PROPOSAL_REGISTERED", "COSIGN_ANSWERED"];
    assert_eq!(kinds(&s.app, &s.members[0]).await, proposer);
    let returned = &inbox(&s.app, &s.members[0]).await[0];
    assert_eq!(returned["body"], "《另一件提案》\n请补充依据");
    // The co-signer who accepted shares the proposal's news, not the other proposal's.
    assert_eq!(
        kinds(&s.app, &s.members[1]).await,
        ["PROPOSAL_REPLIED", "PROPOSAL_ASSIGNED", "PROPOSAL_REGISTERED", "COSIGN_INVITED"]
    );
    assert!(kinds(&s.app, &s.members[2]).await.is_empty());
    assert_eq!(kinds(&s.app, &s.unit_tokens[0]).await, ["UNIT_ASSIGNED"], "its own reply is no news to the unit");
    assert!(kinds(&s.app, &s.unit_tokens[1]).await.is_empty(), "other units hear nothing");
    assert!(kinds(&s.app, &s.office).await.is_empty());
}
both!(proposal_steps_reach_the_proposers_and_units);

/// A suggestion accepted reaches its authors; a visit's cancellation its participants.
async fn suggestions_and_visits(backend: Backend) {
    let o = visits::org(backend, 3).await;
    let submit =
        "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id } }";
    let piece = json!({ "title": "关于停车难的建议", "content": "老城区停车难。", "category": "城市管理", "coAuthorIds": [o.users[1]] });
    let a = o.app.gql(Some(&o.tokens[0]), submit, json!({ "i": piece, "k": "notify-sugg-0001" })).await;
    let sid = a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
    o.app
        .gql(Some(&o.admin), "mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": sid }))
        .await
        .data();

    let create = "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }";
    let starts = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let v = o
        .app
        .gql(
            Some(&o.admin),
            create,
            json!({ "i": { "kind": "RESEARCH", "title": "乡村振兴专题调研", "place": "各县区", "startsAt": starts } }),
        )
        .await;
    let vid = v.data()["createVisit"]["id"].as_str().unwrap().to_owned();
    o.app
        .gql(Some(&o.admin), "mutation($id: ID!) { openVisitSignup(id: $id) { status } }", json!({ "id": vid }))
        .await
        .data();
    o.sign_up(2, &vid).await.data();
    o.app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"与全会时间冲突\") { status } }",
            json!({ "id": vid }),
        )
        .await
        .data();
    dispatched(&o.app).await;

    for t in &o.tokens[..2] {
        // The visit's opening reached them too (its audience is everyone); it is tested in
        // notification_events.rs.
        let got: Vec<Value> = inbox(&o.app, t).await.into_iter().filter(|n| n["kind"] != "VISIT_OPENED").collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0]["kind"], "SUGGESTION_ACCEPTED");
        assert_eq!(got[0]["subjectType"], "SUGGESTION");
    }
    let got = inbox(&o.app, &o.tokens[2]).await;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["kind"], "VISIT_CANCELLED");
    assert_eq!(got[0]["body"], "《乡村振兴专题调研》\n与全会时间冲突");
    assert!(inbox(&o.app, &o.admin).await.is_empty());
}
both!(suggestions_and_visits);

/// Read marks, the count, someone else's ids, and pages.
async fn read_marks_and_pages(backend: Backend) {
    let o = visits::org(backend, 2).await;
    for i in 0..5 {
        briefing(&o.app, &o.admin, &format!("通报{i}"), json!({ "everyone": true }), false).await;
    }
    dispatched(&o.app).await;
    let (me, other) = (&o.tokens[0], &o.tokens[1]);
    assert_eq!(unread(&o.app, me).await, 5);

    // Pages of two, newest first, no overlap.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let a = o.app.gql(Some(me), INBOX, json!({ "first": 2, "after": after })).await;
        let page = &a.data()["notifications"];
        assert_eq!(page["totalCount"], 5);
        seen.extend(page["edges"].as_array().unwrap().iter().map(|e| e["node"]["title"].as_str().unwrap().to_owned()));
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["通报：通报4", "通报：通报3", "通报：通报2", "通报：通报1", "通报：通报0"]);

    let mine = inbox(&o.app, me).await;
    let ids: Vec<&Value> = mine[..2].iter().map(|n| &n["id"]).collect();
    let mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { marked unreadNotificationCount query { unreadNotificationCount } } }";
    let a = o.app.gql(Some(me), mark, json!({ "ids": ids })).await;
    assert_eq!(a.data()["markNotificationsRead"]["marked"], 2);
    assert_eq!(a.data()["markNotificationsRead"]["unreadNotificationCount"], 3);
    // Again: nothing new marked, not an error.
    let a = o.app.gql(Some(me), mark, json!({ "ids": ids })).await;
    assert_eq!(a.data()["markNotificationsRead"]["marked"], 0);
    let unread_only = o.app.gql(Some(me), INBOX, json!({ "u": true })).await;
    assert_eq!(unread_only.data()["notifications"]["totalCount"], 3);

    // An id that is not in my inbox: NOT_FOUND and nothing changes.
    let stranger = json!(["01890000-0000-7000-8000-000000000000"]);
    o.app.gql(Some(other), mark, json!({ "ids": stranger })).await.refused("NOT_FOUND");
    let mixed = json!([mine[2]["id"], "01890000-0000-7000-8000-000000000000"]);
    o.app.gql(Some(me), mark, json!({ "ids": mixed })).await.refused("NOT_FOUND");
    assert_eq!(unread(&o.app, me).await, 3);
    // The other member's inbox is untouched by my marks.
    assert_eq!(unread(&o.app, other).await, 5);

    let all = o
        .app
        .gql(Some(me), "mutation { markAllNotificationsRead { marked unreadNotificationCount } }", json!({}))
        .await;
    assert_eq!(all.data()["markAllNotificationsRead"]["marked"], 3);
    assert_eq!(all.data()["markAllNotificationsRead"]["unreadNotificationCount"], 0);
    assert_eq!(unread(&o.app, other).await, 5);

    // Preferences: push is on by default and can be turned off per kind.
    let set = "mutation { setNotificationPreference(kind: \"BRIEFING_PUBLISHED\", push: false) { kind push } }";
    assert_eq!(o.app.gql(Some(me), set, json!({})).await.data()["setNotificationPreference"]["push"], false);
    let prefs = o.app.gql(Some(me), "{ notificationPreferences { kind push } }", json!({})).await;
    let prefs = prefs.data()["notificationPreferences"].as_array().unwrap().clone();
    assert!(prefs.iter().any(|p| p["kind"] == "BRIEFING_PUBLISHED" && p["push"] == false));
    assert!(prefs.iter().any(|p| p["kind"] == "PROPOSAL_REGISTERED" && p["push"] == true));
    o.app
        .gql(Some(me), "mutation { setNotificationPreference(kind: \"NOPE\", push: false) { kind } }", json!({}))
        .await
        .refused("BAD_USER_INPUT");
}
both!(read_marks_and_pages);

/// Two servers on one PostgreSQL database, each with its dispatcher, plus passes run from
/// both at once: every member gets exactly one notice per briefing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_notify_once() {
    let o = visits::org(Backend::Postgres, 4).await;
    let (prefix, url) = (o.app.redis_prefix.clone(), o.app.state.settings.database_url.clone());
    let other = spawn_app_with(Backend::Postgres, move |s| {
        s.redis_key_prefix = prefix;
        s.database_url = url;
        s.notification_dispatch_interval_ms = 10;
    })
    .await;
    const N: usize = 30;
    for i in 0..N {
        briefing(&o.app, &o.admin, &format!("并发通报{i}"), json!({ "everyone": true }), false).await;
        if i % 5 == 0 {
            // Passes from both processes race the background tasks.
            let (a, b) = tokio::join!(
                api::notifications::dispatcher::run_until_idle(&o.app.state.db),
                api::notifications::dispatcher::run_until_idle(&other.state.db),
            );
            a.unwrap();
            b.unwrap();
        }
    }
    let (a, b) = tokio::join!(
        api::notifications::dispatcher::run_until_idle(&o.app.state.db),
        api::notifications::dispatcher::run_until_idle(&other.state.db),
    );
    a.unwrap();
    b.unwrap();
    for t in &o.tokens {
        assert_eq!(unread(&o.app, t).await, N as u64);
    }
    assert_eq!(o.app.count_rows("notification").await, (N * o.tokens.len()) as i64);
}
