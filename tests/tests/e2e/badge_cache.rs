//! The unread-briefings badge and the first feed page kept in each process
//! (`briefings::kept`): every change behind them — a briefing published, withdrawn, edited
//! or expired, an audience that grows or shrinks with a membership, a read mark — shows on
//! the next request to the same process and within a second on another process on the same
//! database and Redis; without Redis, within the one process. The kept feed page is
//! compared with the same page read past the cache (asking for `totalCount` bypasses it),
//! authors included (kept too, read again when their row changes).
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, send, spawn_app, spawn_app_with},
    race::{Findings, request, together},
};

const BADGE: &str = "{ unreadBriefingCount unreadCounts { briefings } }";
const CREATE: &str = "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }";
const PUBLISH: &str = "mutation($id: ID!) { publishBriefing(id: $id) { id } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateBriefingInput!) { updateBriefing(id: $id, input: $i) { id } }";
const WITHDRAW: &str = "mutation($id: ID!) { withdrawBriefing(id: $id) { id } }";
const READ: &str = "mutation($id: ID!) { markBriefingRead(id: $id) { unreadBriefingCount } }";
const FEED: &str = "query($u: Boolean!) { briefings(first: 20, filter: { unreadOnly: $u }) { pageInfo { hasNextPage endCursor } edges { cursor node { id title pinned isRead readAt attachmentCount author { name } } } } }";
const FRESH: &str = "query($u: Boolean!) { briefings(first: 20, filter: { unreadOnly: $u }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title pinned isRead readAt attachmentCount author { name } } } } }";
const MEMBERSHIP: &str =
    "mutation($id: ID!, $i: UpdateMembershipInput!) { updateMembership(id: $id, input: $i) { id } }";

async fn ask(app: &TestApp, base: &str, token: &str, query: &str, variables: Value) -> Answer {
    let body = json!({ "query": query, "variables": variables }).to_string();
    send(
        app.http
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(body),
    )
    .await
}

/// The badge as `base` answers it; both fields always agree.
async fn badge(app: &TestApp, base: &str, token: &str) -> u64 {
    let a = ask(app, base, token, BADGE, json!({})).await;
    let n = a.data()["unreadBriefingCount"].as_u64().unwrap();
    assert_eq!(a.data()["unreadCounts"]["briefings"].as_u64(), Some(n), "{}", a.body);
    n
}

/// The first feed page on `base` (all, then unread only): as kept, and as read past the
/// cache.
async fn feeds(app: &TestApp, base: &str, token: &str) -> (Value, Value) {
    let mut kept = Vec::new();
    let mut fresh = Vec::new();
    for unread in [false, true] {
        let k = ask(app, base, token, FEED, json!({ "u": unread })).await;
        kept.push(k.data()["briefings"].clone());
        let f = ask(app, base, token, FRESH, json!({ "u": unread })).await;
        let mut f = f.data()["briefings"].clone();
        f.as_object_mut().unwrap().remove("totalCount");
        fresh.push(f);
    }
    (Value::from(kept), Value::from(fresh))
}

/// The kept feed on `base` is the database's within a second (at once: `now`).
async fn same_feed(app: &TestApp, base: &str, token: &str, now: bool, what: &str) {
    let start = Instant::now();
    loop {
        let (kept, fresh) = feeds(app, base, token).await;
        if kept == fresh {
            return;
        }
        assert!(
            !now && start.elapsed() < Duration::from_secs(1),
            "{what}: the kept feed {kept} is not the database's {fresh} after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The badge on `base` becomes `want` within a second.
async fn soon(app: &TestApp, base: &str, token: &str, want: u64, what: &str) {
    let start = Instant::now();
    loop {
        let got = badge(app, base, token).await;
        if got == want {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{what}: still {got}, not {want}, after {:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A member (not on the standing committee) of the admin's organization; their token and
/// their membership's id. A colleague on the standing committee joins too, so that a
/// briefing to the standing committee always has someone to go to.
async fn member(app: &TestApp, admin: &str, phone: &str) -> (String, String) {
    let org = app.current_org(admin).await;
    let colleague = app.create_user(admin, &format!("{}9", &phone[..10]), "乙委员").await;
    app.join(admin, &colleague, &org, "MEMBER", json!({ "standingCommittee": true })).await;
    let user = app.create_user(admin, phone, "甲委员").await;
    let membership = app.join(admin, &user, &org, "MEMBER", json!({})).await;
    (app.login(phone, PASSWORD).await.access, membership)
}

async fn create(app: &TestApp, admin: &str, title: &str, audience: Value, expires: Option<Duration>) -> String {
    let mut input =
        json!({ "title": title, "summary": "摘要", "body": "正文", "source": "市政府", "audience": audience });
    if let Some(after) = expires {
        let at = chrono::Utc::now() + chrono::Duration::from_std(after).unwrap();
        input["expiresAt"] = json!(at.to_rfc3339());
    }
    let a = app.gql(Some(admin), CREATE, json!({ "i": input })).await;
    a.data()["createBriefing"]["id"].as_str().unwrap().to_owned()
}

/// Each change is made on one process; the same process shows it on the next request, the
/// other within a second. Both have the badge kept before every change.
async fn badges_follow_every_change_across_processes(backend: Backend) {
    let app = spawn_app(backend).await;
    let (other, _state) = app.twin(|_| {}).await;
    let one = app.base.clone();
    let admin = app.admin().await;
    let (token, membership) = member(&app, &admin, "13900017001").await;
    let check = |want: u64, what: &'static str| {
        let (app, one, other, token) = (&app, &one, &other, &token);
        async move {
            assert_eq!(badge(app, one, token).await, want, "{what}: the process that made the change");
            same_feed(app, one, token, true, what).await;
            soon(app, other, token, want, what).await;
            assert_eq!(badge(app, other, token).await, want, "{what}: kept on the other");
            same_feed(app, other, token, false, what).await;
        }
    };
    check(0, "nothing yet").await;

    let everyone = create(&app, &admin, "致全体委员", json!({ "everyone": true }), None).await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": everyone })).await.data();
    check(1, "published").await;

    let standing = create(&app, &admin, "致常委", json!({ "standingCommittee": true }), None).await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": standing })).await.data();
    check(1, "published to others").await;

    let on = |yes: bool| json!({ "id": membership, "i": { "standingCommittee": yes } });
    app.gql(Some(&admin), MEMBERSHIP, on(true)).await.data();
    check(2, "the audience grew with the membership").await;
    app.gql(Some(&admin), MEMBERSHIP, on(false)).await.data();
    check(1, "the audience shrank with the membership").await;

    app.gql(Some(&admin), UPDATE, json!({ "id": standing, "i": { "audience": { "everyone": true } } })).await.data();
    check(2, "the audience widened by an edit").await;
    app.gql(Some(&admin), UPDATE, json!({ "id": standing, "i": { "audience": { "standingCommittee": true } } }))
        .await
        .data();
    check(1, "the audience narrowed by an edit").await;

    // A read mark on the second process this time.
    let read = ask(&app, &other, &token, READ, json!({ "id": everyone })).await;
    assert_eq!(read.data()["markBriefingRead"]["unreadBriefingCount"], 0);
    assert_eq!(badge(&app, &other, &token).await, 0, "read: the process that took it");
    same_feed(&app, &other, &token, true, "read: the process that took it").await;
    soon(&app, &one, &token, 0, "read: the first process").await;
    same_feed(&app, &one, &token, false, "read: the first process").await;

    app.gql(Some(&admin), UPDATE, json!({ "id": standing, "i": { "audience": { "everyone": true } } })).await.data();
    check(1, "widened again").await;
    app.gql(Some(&admin), WITHDRAW, json!({ "id": standing })).await.data();
    check(0, "withdrawn").await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": standing })).await.data();
    check(1, "published again").await;
    app.gql(Some(&admin), UPDATE, json!({ "id": standing, "i": { "title": "致全体委员（修订）" } })).await.data();
    check(1, "retitled").await;
    app.gql(Some(&admin), UPDATE, json!({ "id": everyone, "i": { "pinned": true } })).await.data();
    check(1, "pinned").await;
    let me = app.gql(Some(&admin), "{ me { id } }", json!({})).await.data()["me"]["id"].clone();
    let rename = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { name } }";
    app.gql(Some(&admin), rename, json!({ "id": me, "i": { "name": "通报起草人" } })).await.data();
    check(1, "the author renamed").await;
    for base in [&one, &other] {
        let (kept, _) = feeds(&app, base, &token).await;
        assert_eq!(kept[0]["edges"][0]["node"]["author"]["name"], "通报起草人", "{base}: {kept}");
    }

    // An expiry changes the number with no event at all.
    let brief = create(&app, &admin, "限时通报", json!({ "everyone": true }), Some(Duration::from_secs(2))).await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": brief })).await.data();
    check(2, "published with an expiry").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(badge(&app, &one, &token).await, 1, "expired: the first process");
    assert_eq!(badge(&app, &other, &token).await, 1, "expired: the other process");
    same_feed(&app, &one, &token, true, "expired: the first process").await;
    same_feed(&app, &other, &token, true, "expired: the other process").await;
}
both!(badges_follow_every_change_across_processes);

/// The embedded quick start: no Redis, one process; the same changes show on the next
/// request.
async fn badges_follow_changes_without_redis(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.redis_url = None).await;
    let base = app.base.clone();
    let admin = app.admin().await;
    let (token, membership) = member(&app, &admin, "13900017011").await;
    assert_eq!(badge(&app, &base, &token).await, 0);
    let id = create(&app, &admin, "致常委", json!({ "standingCommittee": true }), None).await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": id })).await.data();
    assert_eq!(badge(&app, &base, &token).await, 0, "not for them");
    let on = json!({ "id": membership, "i": { "standingCommittee": true } });
    app.gql(Some(&admin), MEMBERSHIP, on).await.data();
    assert_eq!(badge(&app, &base, &token).await, 1, "the audience grew");
    let before = app.state.queries.get();
    let again = app.gql(Some(&token), "{ unreadBriefingCount }", json!({})).await;
    assert_eq!(again.data()["unreadBriefingCount"], 1);
    assert_eq!(app.state.queries.get() - before, 0, "a kept badge costs no SQL");
    same_feed(&app, &base, &token, true, "the audience grew").await;
    let before = app.state.queries.get();
    let page = app.gql(Some(&token), FEED, json!({ "u": false })).await;
    assert_eq!(page.data()["briefings"]["edges"][0]["node"]["id"], id.as_str());
    assert_eq!(app.state.queries.get() - before, 0, "a kept feed page costs no SQL");
    app.gql(Some(&token), READ, json!({ "id": id })).await.data();
    assert_eq!(badge(&app, &base, &token).await, 0, "read");
    same_feed(&app, &base, &token, true, "read").await;
    let other = create(&app, &admin, "致全体委员", json!({ "everyone": true }), None).await;
    app.gql(Some(&admin), PUBLISH, json!({ "id": other })).await.data();
    assert_eq!(badge(&app, &base, &token).await, 1, "published");
    same_feed(&app, &base, &token, true, "published").await;
    app.gql(Some(&admin), WITHDRAW, json!({ "id": other })).await.data();
    assert_eq!(badge(&app, &base, &token).await, 0, "withdrawn");
    same_feed(&app, &base, &token, true, "withdrawn").await;
    app.gql(Some(&admin), "mutation($id: ID!) { removeMembership(id: $id) { id } }", json!({ "id": membership }))
        .await
        .data();
    let after = app.gql(Some(&token), BADGE, json!({})).await;
    if after.body.get("errors").is_none() {
        assert_eq!(after.data()["unreadBriefingCount"], 0, "the membership is gone");
    }
}
both!(badges_follow_changes_without_redis);

/// The badge and the feed read at the instant a briefing is published, 15 times, on both
/// processes: whichever comes first, what is read after all answered has the new briefing
/// (what was read before the publication is never kept past it).
async fn a_badge_read_while_publishing_is_not_kept_stale(backend: Backend) {
    let app = spawn_app(backend).await;
    let (other, _state) = app.twin(|_| {}).await;
    let admin = app.admin().await;
    let (token, _) = member(&app, &admin, "13900017021").await;
    let mut findings = Findings::new("a_badge_read_while_publishing_is_not_kept_stale");
    for round in 0..15usize {
        let id = create(&app, &admin, &format!("第{round}期"), json!({ "everyone": true }), None).await;
        let answers = together(
            &app,
            vec![
                request(&token, BADGE, json!({})),
                request(&admin, PUBLISH, json!({ "id": id })),
                request(&token, FEED, json!({ "u": false })),
                request(&token, BADGE, json!({})),
            ],
        )
        .await;
        let want = u64::try_from(round).unwrap() + 1;
        let mut bad = Vec::new();
        if answers[1].body.get("errors").is_some() {
            bad.push(format!("the publication failed: {}", answers[1].body));
        }
        let here = badge(&app, &app.base, &token).await;
        if here != want {
            bad.push(format!("this process then shows {here}, not {}", want));
        }
        let start = Instant::now();
        let mut there = badge(&app, &other, &token).await;
        while there != want && start.elapsed() < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_millis(20)).await;
            there = badge(&app, &other, &token).await;
        }
        if there != want {
            bad.push(format!("the other process shows {there} after a second, not {}", want));
        }
        for base in [&app.base, &other] {
            let (kept, fresh) = feeds(&app, base, &token).await;
            if kept != fresh {
                bad.push(format!("{base}: the kept feed {kept} is not the database's {fresh}"));
            }
        }
        findings.round(round, bad);
    }
    findings.finish(&app).await;
}
both!(a_badge_read_while_publishing_is_not_kept_stale);
