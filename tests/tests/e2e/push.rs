//! The push outbox: a registered device gets one push per notification it wants, none
//! once its session ended; failures back off and retry, dead tokens go; two senders on one
//! database send each push once.
use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use api::notifications::push::{self, PushMessage, PushOutcome, PushSender};
use chrono::Utc;
use entity::{
    push_delivery::{self, PushStatus},
    push_token,
};
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app_with},
    notifications::{briefing, dispatched},
    visits,
};

const REGISTER: &str = "mutation($p: PushPlatform!, $t: String!) { registerPushToken(platform: $p, token: $t) { id platform createdAt registeredAt lastUsedAt } }";
const UNREGISTER: &str = "mutation($t: String!) { unregisterPushToken(token: $t) }";

/// A device token as a vendor would hand it out, distinct per `n`.
fn device(n: usize) -> String {
    format!("tok{n:04}-{}", "a1b2c3d4".repeat(8))
}

async fn register(app: &TestApp, token: &str, platform: &str, device_token: &str) -> Answer {
    app.gql(Some(token), REGISTER, json!({ "p": platform, "t": device_token })).await
}

async fn registered(app: &TestApp, token: &str, device_token: &str) -> Value {
    register(app, token, "ANDROID", device_token).await.data()["registerPushToken"].clone()
}

async fn deliveries(app: &TestApp) -> Vec<push_delivery::Model> {
    push_delivery::Entity::find()
        .order_by_asc(push_delivery::Column::CreatedAt)
        .order_by_asc(push_delivery::Column::EventId)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn tokens(app: &TestApp) -> Vec<push_token::Model> {
    push_token::Entity::find().order_by_asc(push_token::Column::Token).all(&app.state.db).await.unwrap()
}

/// Time passes for the deliveries waiting for a retry: they are due now.
async fn make_due(app: &TestApp) {
    push_delivery::Entity::update_many()
        .col_expr(push_delivery::Column::NextAttemptAt, Expr::value(Utc::now() - chrono::Duration::seconds(1)))
        .filter(push_delivery::Column::Status.eq(PushStatus::Pending))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn send(app: &TestApp, sender: &dyn PushSender) -> usize {
    push::run_until_idle(&app.state, sender).await.expect("push pass")
}

async fn session_id(app: &TestApp, token: &str) -> String {
    let a = app.gql(Some(token), "{ mySessions { id current } }", json!({})).await;
    let sessions = a.data()["mySessions"].as_array().unwrap().clone();
    sessions.iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_owned()
}

/// What a test sender was handed.
#[derive(Debug, Clone)]
struct Pushed {
    notification: Uuid,
    token: String,
    title: String,
    body: Option<String>,
    subject_type: String,
}

/// A vendor of the test's making: answers from its script first, then `Sent`; records
/// every push it accepted.
#[derive(Default)]
struct Recorder {
    script: Mutex<VecDeque<PushOutcome>>,
    sent: Mutex<Vec<Pushed>>,
    calls: AtomicUsize,
    /// How long the vendor takes: widens the window two senders could both send in.
    delay: Duration,
}

impl Recorder {
    fn scripted(outcomes: impl IntoIterator<Item = PushOutcome>) -> Self {
        Self { script: Mutex::new(outcomes.into_iter().collect()), ..Self::default() }
    }

    fn sent(&self) -> Vec<Pushed> {
        self.sent.lock().unwrap().clone()
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl PushSender for Recorder {
    fn send<'a>(&'a self, m: &'a PushMessage) -> BoxFuture<'a, PushOutcome> {
        Box::pin(async move {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            let outcome = self.script.lock().unwrap().pop_front().unwrap_or(PushOutcome::Sent);
            if outcome == PushOutcome::Sent {
                self.sent.lock().unwrap().push(Pushed {
                    notification: m.notification_id,
                    token: m.token.clone(),
                    title: m.title.clone(),
                    body: m.body.clone(),
                    subject_type: m.subject_type.clone(),
                });
            }
            outcome
        })
    }
}

async fn org(backend: Backend, n: usize) -> visits::Org {
    org_with(backend, n, |_| {}).await
}

/// An organization with `n` members signed in (as `visits::org`, on a server with the
/// settings tweaked).
async fn org_with(backend: Backend, n: usize, tweak: impl FnOnce(&mut api::config::Settings)) -> visits::Org {
    let app = spawn_app_with(backend, tweak).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let (mut users, mut tokens) = (Vec::new(), Vec::new());
    for i in 0..n {
        let phone = member_phone(i);
        let user = app.create_user(&admin, &phone, &format!("委员{i}")).await;
        app.join(&admin, &user, &city, "MEMBER", json!({})).await;
        users.push(user);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    visits::Org { app, admin, city, users, tokens }
}

fn member_phone(i: usize) -> String {
    format!("1390000{:04}", 3000 + i)
}

/// The id of member `who`'s notification about `subject`.
async fn notification_about(o: &visits::Org, who: usize, subject: &str) -> String {
    let a = o
        .app
        .gql(Some(&o.tokens[who]), "{ notifications(first: 50) { edges { node { id subjectId } } } }", json!({}))
        .await;
    let edges = a.data()["notifications"]["edges"].as_array().unwrap().clone();
    edges.iter().find(|e| e["node"]["subjectId"] == subject).unwrap()["node"]["id"].as_str().unwrap().to_owned()
}

/// Two members with a device, one without: a briefing queues one push per device; a kind
/// turned off queues none; a confidential briefing's push has no body; sent, each device
/// gets its own person's push.
async fn a_device_gets_the_pushes_it_wants(backend: Backend) {
    let o = org(backend, 3).await;
    let first = registered(&o.app, &o.tokens[0], &device(0)).await;
    assert_eq!(first["platform"], "ANDROID");
    assert!(first["lastUsedAt"].is_null());
    register(&o.app, &o.tokens[1], "IOS", &device(1)).await.data();

    let b1 = briefing(&o.app, &o.admin, "一季度经济运行情况", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    let queued = deliveries(&o.app).await;
    assert_eq!(queued.len(), 2, "one per device, none for the member without one: {queued:?}");
    for d in &queued {
        assert_eq!(d.status, PushStatus::Pending);
        assert_eq!(d.attempts, 0);
        assert_eq!(d.title, "通报：一季度经济运行情况");
        assert_eq!(d.body.as_deref(), Some("通报摘要"));
    }
    // Dispatching again queues nothing more.
    dispatched(&o.app).await;
    assert_eq!(deliveries(&o.app).await.len(), 2);

    // Member 1 turns briefings off: the inbox still gets them, the phone does not.
    let off = "mutation { setNotificationPreference(kind: \"BRIEFING_PUBLISHED\", push: false) { push } }";
    o.app.gql(Some(&o.tokens[1]), off, json!({})).await.data();
    briefing(&o.app, &o.admin, "涉密通报", json!({ "everyone": true }), true).await;
    dispatched(&o.app).await;
    let queued = deliveries(&o.app).await;
    assert_eq!(queued.len(), 3, "{queued:?}");
    let secret = &queued[2];
    assert_eq!(secret.user_id.to_string(), o.users[0]);
    assert_eq!(secret.title, "通报：涉密通报");
    assert!(secret.body.is_none(), "nothing of a confidential briefing on a lock screen");

    let vendor = Recorder::default();
    assert_eq!(send(&o.app, &vendor).await, 3);
    let sent = vendor.sent();
    assert_eq!(sent.len(), 3);
    let to_member1: Vec<&Pushed> = sent.iter().filter(|p| p.token == device(1)).collect();
    assert_eq!(to_member1.len(), 1);
    assert_eq!(to_member1[0].notification.to_string(), notification_about(&o, 1, &b1).await);
    assert_eq!(to_member1[0].subject_type, "briefing");
    assert!(sent.iter().filter(|p| p.token == device(0)).all(|p| p.title.starts_with("通报：")));
    assert!(sent.iter().any(|p| p.token == device(0) && p.body.is_none()));
    assert!(deliveries(&o.app).await.iter().all(|d| d.status == PushStatus::Sent && d.sent_at.is_some()));
    assert!(tokens(&o.app).await.iter().all(|t| t.last_used_at.is_some()));
    // Nothing left to send.
    assert_eq!(send(&o.app, &vendor).await, 0);
    assert_eq!(vendor.calls(), 3);

    // Bad tokens are refused.
    for bad in ["short", "has spaces in it", &"x".repeat(513)] {
        let a = register(&o.app, &o.tokens[2], "ANDROID", bad).await;
        a.refused("BAD_USER_INPUT");
        assert_eq!(a.field(), "token");
    }
    register(&o.app, &o.tokens[2], "WINDOWS", &device(2)).await.refused("BAD_USER_INPUT");
    assert_eq!(tokens(&o.app).await.len(), 2);
    // An office's admin reads on the phone too.
    register(&o.app, &o.admin, "ANDROID", &device(9)).await.data();
    assert_eq!(tokens(&o.app).await.len(), 3);
}
both!(a_device_gets_the_pushes_it_wants);

/// Logout, revoking a session, logout everywhere and disabling the account each remove the
/// devices of the sessions they end; nothing is queued for them afterwards.
async fn ended_sessions_lose_their_devices(backend: Backend) {
    let o = org(backend, 3).await;
    registered(&o.app, &o.tokens[0], &device(0)).await;
    o.app.gql(Some(&o.tokens[0]), "mutation { logout { endedSessions } }", json!({})).await.data();
    assert!(tokens(&o.app).await.is_empty(), "the token row is gone with the session");

    // Member 1 on a phone and a tablet: revoking the tablet from the phone removes the
    // tablet's token only; logging out everywhere removes both.
    let phone = &o.tokens[1];
    let tablet = o.app.login(&member_phone(1), PASSWORD).await.access;
    registered(&o.app, phone, &device(1)).await;
    registered(&o.app, &tablet, &device(2)).await;
    let tablet_session = session_id(&o.app, &tablet).await;
    o.app
        .gql(
            Some(phone),
            "mutation($id: ID!) { revokeSession(id: $id) { endedSessions } }",
            json!({ "id": tablet_session }),
        )
        .await
        .data();
    let left: Vec<String> = tokens(&o.app).await.into_iter().map(|t| t.token).collect();
    assert_eq!(left, [device(1)]);
    o.app.gql(Some(phone), "mutation { logoutAll { endedSessions } }", json!({})).await.data();
    assert!(tokens(&o.app).await.is_empty());

    // Member 2 is disabled by the office.
    registered(&o.app, &o.tokens[2], &device(3)).await;
    o.app
        .gql(Some(&o.admin), "mutation($id: ID!) { disableUser(id: $id) { id } }", json!({ "id": o.users[2] }))
        .await
        .data();
    assert!(tokens(&o.app).await.is_empty());

    briefing(&o.app, &o.admin, "退出后的通报", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    assert!(deliveries(&o.app).await.is_empty(), "no device left to push to");
}
both!(ended_sessions_lose_their_devices);

/// A token registered again stays one row; a new token of the session replaces the old;
/// a token registered by someone else moves to them, and what was queued for the first
/// person is dropped rather than shown to the second.
async fn a_token_moves_with_whoever_registers_it(backend: Backend) {
    let o = org(backend, 2).await;
    let first = registered(&o.app, &o.tokens[0], &device(0)).await;
    let again = registered(&o.app, &o.tokens[0], &device(0)).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["createdAt"], first["createdAt"]);
    assert_eq!(tokens(&o.app).await.len(), 1);
    // The vendor rotated the token: the session holds the new one only.
    registered(&o.app, &o.tokens[0], &device(1)).await;
    let held: Vec<String> = tokens(&o.app).await.into_iter().map(|t| t.token).collect();
    assert_eq!(held, [device(1)]);

    briefing(&o.app, &o.admin, "给委员0的通报", json!({ "userIds": [o.users[0]] }), false).await;
    dispatched(&o.app).await;
    assert_eq!(deliveries(&o.app).await.len(), 1);

    // The phone is signed in as member 1 now and registers the same token.
    let moved = registered(&o.app, &o.tokens[1], &device(1)).await;
    let rows = tokens(&o.app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].user_id.to_string(), o.users[1]);
    assert!(moved["lastUsedAt"].is_null());
    briefing(&o.app, &o.admin, "给委员1的通报", json!({ "userIds": [o.users[1]] }), false).await;
    dispatched(&o.app).await;

    let vendor = Recorder::default();
    send(&o.app, &vendor).await;
    let sent = vendor.sent();
    assert_eq!(sent.len(), 1, "member 0's push never reaches member 1's phone: {sent:?}");
    assert_eq!(sent[0].title, "通报：给委员1的通报");
    let by_user: HashMap<String, PushStatus> =
        deliveries(&o.app).await.into_iter().map(|d| (d.user_id.to_string(), d.status)).collect();
    assert_eq!(by_user[&o.users[0]], PushStatus::Dropped);
    assert_eq!(by_user[&o.users[1]], PushStatus::Sent);
    assert_eq!(tokens(&o.app).await.len(), 1, "the token stays with member 1");

    // Only its holder can unregister it.
    let a = o.app.gql(Some(&o.tokens[0]), UNREGISTER, json!({ "t": device(1) })).await;
    assert_eq!(a.data()["unregisterPushToken"], false);
    let a = o.app.gql(Some(&o.tokens[1]), UNREGISTER, json!({ "t": device(1) })).await;
    assert_eq!(a.data()["unregisterPushToken"], true);
    assert!(tokens(&o.app).await.is_empty());
    o.app.gql(Some(&o.tokens[1]), UNREGISTER, json!({ "t": "no good" })).await.refused("BAD_USER_INPUT");
}
both!(a_token_moves_with_whoever_registers_it);

/// A vendor that fails twice then accepts: the attempts and the back-off are recorded and
/// the push is sent once. With three attempts allowed, one that always fails is FAILED.
async fn failures_back_off_and_retry(backend: Backend) {
    let o = org_with(backend, 2, |s| s.push_max_attempts = 3).await;
    registered(&o.app, &o.tokens[0], &device(0)).await;
    briefing(&o.app, &o.admin, "重试的通报", json!({ "userIds": [o.users[0]] }), false).await;
    dispatched(&o.app).await;

    let vendor = Recorder::scripted([PushOutcome::Retry("HTTP 503".into()), PushOutcome::Retry("timeout".into())]);
    let before = Utc::now();
    send(&o.app, &vendor).await;
    let d = &deliveries(&o.app).await[0];
    assert_eq!((d.status, d.attempts, d.last_error.as_deref()), (PushStatus::Pending, 1, Some("HTTP 503")));
    // 15 s after a first failure, jittered down to half of it at most.
    let wait = (d.next_attempt_at - before).num_milliseconds();
    assert!((7_000..=16_000).contains(&wait), "first back-off {wait} ms");
    // Not due yet: nothing is sent.
    send(&o.app, &vendor).await;
    assert_eq!(vendor.calls(), 1);

    make_due(&o.app).await;
    let before = Utc::now();
    send(&o.app, &vendor).await;
    let d = &deliveries(&o.app).await[0];
    assert_eq!((d.status, d.attempts, d.last_error.as_deref()), (PushStatus::Pending, 2, Some("timeout")));
    let wait = (d.next_attempt_at - before).num_milliseconds();
    assert!((14_000..=31_000).contains(&wait), "second back-off {wait} ms");

    make_due(&o.app).await;
    send(&o.app, &vendor).await;
    let d = &deliveries(&o.app).await[0];
    assert_eq!((d.status, d.attempts), (PushStatus::Sent, 3));
    assert!(d.last_error.is_none() && d.sent_at.is_some());
    make_due(&o.app).await;
    send(&o.app, &vendor).await;
    assert_eq!(vendor.calls(), 3);
    assert_eq!(vendor.sent().len(), 1, "sent once");

    // A vendor that never accepts: three attempts, then FAILED for good.
    briefing(&o.app, &o.admin, "总是失败", json!({ "userIds": [o.users[0]] }), false).await;
    dispatched(&o.app).await;
    let down = Recorder::scripted(std::iter::repeat_n(PushOutcome::Retry("HTTP 500".into()), 10));
    for _ in 0..5 {
        make_due(&o.app).await;
        send(&o.app, &down).await;
    }
    assert_eq!(down.calls(), 3);
    let d = deliveries(&o.app).await.into_iter().find(|d| d.title == "通报：总是失败").unwrap();
    assert_eq!((d.status, d.attempts, d.last_error.as_deref()), (PushStatus::Failed, 3, Some("HTTP 500")));

    // Read in the app while its push waits for a retry: the push is dropped, not sent late.
    briefing(&o.app, &o.admin, "已读的通报", json!({ "userIds": [o.users[0]] }), false).await;
    dispatched(&o.app).await;
    let flaky = Recorder::scripted([PushOutcome::Retry("HTTP 503".into())]);
    send(&o.app, &flaky).await;
    o.app.gql(Some(&o.tokens[0]), "mutation { markAllNotificationsRead { marked } }", json!({})).await.data();
    make_due(&o.app).await;
    send(&o.app, &flaky).await;
    assert_eq!(flaky.calls(), 1);
    let d = deliveries(&o.app).await.into_iter().find(|d| d.title == "通报：已读的通报").unwrap();
    assert_eq!(d.status, PushStatus::Dropped);
    assert_eq!(tokens(&o.app).await.len(), 1, "the device keeps its token");
}
both!(failures_back_off_and_retry);

/// The vendor says a token is dead: the push is DROPPED and the token removed. A session
/// that ended without a logout (expired, or revoked in Redis when its refresh token was
/// stolen) has its push dropped and its token removed without the vendor being asked.
async fn dead_tokens_and_ended_sessions_are_dropped(backend: Backend) {
    let o = org(backend, 2).await;
    registered(&o.app, &o.tokens[0], &device(0)).await;
    registered(&o.app, &o.tokens[1], &device(1)).await;
    let session = session_id(&o.app, &o.tokens[1]).await;
    briefing(&o.app, &o.admin, "通报", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    // Member 1's session ends in the session store only.
    o.app.state.sessions.revoke(o.users[1].parse().unwrap(), &session).await.unwrap();

    let vendor = Recorder::scripted([PushOutcome::TokenInvalid]);
    send(&o.app, &vendor).await;
    assert_eq!(vendor.calls(), 1, "the ended session's device is not even tried");
    assert!(vendor.sent().is_empty());
    let all = deliveries(&o.app).await;
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|d| d.status == PushStatus::Dropped), "{all:?}");
    assert!(tokens(&o.app).await.is_empty(), "both tokens removed");

    briefing(&o.app, &o.admin, "之后的通报", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    assert_eq!(deliveries(&o.app).await.len(), 2, "nothing new queued");
}
both!(dead_tokens_and_ended_sessions_are_dropped);

/// Two server processes on one PostgreSQL database, their senders started together round
/// after round: every push is sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_senders_send_each_push_once() {
    let o = org(Backend::Postgres, 4).await;
    let (prefix, url) = (o.app.redis_prefix.clone(), o.app.state.settings.database_url.clone());
    let other = spawn_app_with(Backend::Postgres, move |s| {
        s.redis_key_prefix = prefix;
        s.database_url = url;
    })
    .await;
    for (i, t) in o.tokens.iter().enumerate() {
        registered(&o.app, t, &device(i)).await;
    }
    let vendor = Arc::new(Recorder { delay: Duration::from_millis(3), ..Recorder::default() });
    const ROUNDS: usize = 12;
    for round in 0..ROUNDS {
        // Some rounds queue more than one claim's worth (20) at once.
        for k in 0..(1 + round % 7) {
            briefing(&o.app, &o.admin, &format!("并发推送{round}-{k}"), json!({ "everyone": true }), false).await;
        }
        dispatched(&o.app).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let runs = [o.app.state.clone(), other.state.clone()].map(|state| {
            let (barrier, vendor) = (barrier.clone(), vendor.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                push::run_until_idle(&state, vendor.as_ref()).await.expect("push pass")
            })
        });
        for run in runs {
            run.await.unwrap();
        }
    }
    let all = deliveries(&o.app).await;
    let briefings: usize = (0..ROUNDS).map(|r| 1 + r % 7).sum();
    assert_eq!(all.len(), briefings * o.tokens.len());
    assert!(all.iter().all(|d| d.status == PushStatus::Sent && d.attempts == 1), "each sent at its first attempt");
    let mut per_push: HashMap<(Uuid, String), usize> = HashMap::new();
    for p in vendor.sent() {
        *per_push.entry((p.notification, p.token)).or_default() += 1;
    }
    assert_eq!(per_push.len(), all.len());
    assert!(per_push.values().all(|&n| n == 1), "a push sent twice");
    assert_eq!(vendor.calls(), all.len());
}

/// One phone's token registered from two sessions at the same instant (the app signed in
/// as one member while the other's session still sends), round after round: one row, held
/// by one of the two, and each session keeps at most one token.
async fn one_token_from_two_sessions_at_once_is_one_row(backend: Backend) {
    let o = org(backend, 2).await;
    for round in 0..8 {
        let answers = crate::race::together(
            &o.app,
            vec![
                crate::race::request(&o.tokens[0], REGISTER, json!({ "p": "ANDROID", "t": device(round) })),
                crate::race::request(&o.tokens[1], REGISTER, json!({ "p": "ANDROID", "t": device(round) })),
            ],
        )
        .await;
        answers.iter().for_each(|a| {
            a.data();
        });
        let held = tokens(&o.app).await;
        let rows: Vec<_> = held.iter().filter(|t| t.token == device(round)).collect();
        assert_eq!(rows.len(), 1, "round {round}: one row per device token");
        assert!(o.users.contains(&rows[0].user_id.to_string()), "held by one of the two");
        let mut sessions: Vec<&String> = held.iter().map(|t| &t.session_id).collect();
        sessions.sort();
        sessions.dedup();
        assert_eq!(sessions.len(), held.len(), "round {round}: a session holds one token");
    }
}
both!(one_token_from_two_sessions_at_once_is_one_row);

/// The retention sweep: dispatched events and finished deliveries older than their
/// retention go; an event not yet dispatched and a delivery still pending stay whatever
/// their age; the inboxes keep every notification; 0 days keeps everything.
async fn old_deliveries_are_swept_pending_ones_kept(backend: Backend) {
    use api::retention::{Swept, sweep};
    use entity::outbox;
    let o = org(backend, 2).await;
    registered(&o.app, &o.tokens[0], &device(0)).await;
    registered(&o.app, &o.tokens[1], &device(1)).await;
    briefing(&o.app, &o.admin, "已推送的通报", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    assert_eq!(send(&o.app, &Recorder::default()).await, 2);
    briefing(&o.app, &o.admin, "尚未推送的通报", json!({ "everyone": true }), false).await;
    dispatched(&o.app).await;
    briefing(&o.app, &o.admin, "尚未分发的通报", json!({ "everyone": true }), false).await;

    // Forty days pass.
    let db = &o.app.state.db;
    let long_ago = Utc::now() - chrono::Duration::days(40);
    outbox::Entity::update_many().col_expr(outbox::Column::OccurredAt, Expr::value(long_ago)).exec(db).await.unwrap();
    outbox::Entity::update_many()
        .col_expr(outbox::Column::DispatchedAt, Expr::value(long_ago))
        .filter(outbox::Column::DispatchedAt.is_not_null())
        .exec(db)
        .await
        .unwrap();
    push_delivery::Entity::update_many()
        .col_expr(push_delivery::Column::CreatedAt, Expr::value(long_ago))
        .exec(db)
        .await
        .unwrap();
    let dispatched_before =
        outbox::Entity::find().filter(outbox::Column::DispatchedAt.is_not_null()).all(db).await.unwrap().len() as u64;
    assert!(dispatched_before >= 2);

    let mut keep = (*o.app.state.settings).clone();
    keep.outbox_retention_days = 0;
    keep.push_retention_days = 0;
    assert_eq!(sweep(db, &keep, Utc::now()).await.unwrap(), Swept::default(), "0 days keeps everything");

    let swept = sweep(db, &o.app.state.settings, Utc::now()).await.unwrap();
    assert_eq!(swept, Swept { events: dispatched_before, deliveries: 2 });
    let left = outbox::Entity::find().all(db).await.unwrap();
    assert!(!left.is_empty(), "the events not yet dispatched stay (the last briefing's)");
    assert!(left.iter().all(|e| e.dispatched_at.is_none()), "only those");
    let pending = deliveries(&o.app).await;
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|d| d.status == PushStatus::Pending), "pending deliveries stay");
    // The event left behind is still dispatched, and the inbox has all three.
    dispatched(&o.app).await;
    let inbox =
        o.app.gql(Some(&o.tokens[0]), "{ notifications(first: 10) { edges { node { title } } } }", json!({})).await;
    assert_eq!(inbox.data()["notifications"]["edges"].as_array().unwrap().len(), 3, "{}", inbox.body);
    // A second sweep finds nothing new to remove.
    assert_eq!(sweep(db, &o.app.state.settings, Utc::now()).await.unwrap().deliveries, 0);
}
both!(old_deliveries_are_swept_pending_ones_kept);
