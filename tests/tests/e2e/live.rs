//! Live updates over WebSocket (`graphql-transport-ws`): notifications and badge numbers
//! pushed as they happen, across server processes through Redis, and sockets closed when
//! their session ends.
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app_with},
};

const NOTIFICATIONS: &str = "subscription { notificationReceived { id kind title body subjectType subjectId } }";
const COUNTS: &str = "subscription { unreadCounts { briefings notifications coSignInvitations proposalsToEvaluate } }";

/// What the server sent next.
#[derive(Debug)]
enum Frame {
    Json(Value),
    Closed(u16, String),
    /// Nothing within the time given.
    Silence,
}

/// A client socket; messages of one subscription that arrive while the test waits for
/// another's are kept for later.
pub(crate) struct Socket(WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>, Vec<Value>);

impl Socket {
    async fn open(base: &str, protocol: &str) -> Self {
        let url = format!("{}/graphql", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocol).unwrap());
        let (ws, response) = tokio_tungstenite::connect_async(request).await.expect("WebSocket upgrade");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Self(ws, Vec::new())
    }

    /// A socket past `connection_init`, as `token`.
    pub(crate) async fn signed_in(base: &str, token: &str) -> Self {
        let mut s = Self::open(base, "graphql-transport-ws").await;
        s.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
        match s.next(Duration::from_secs(5)).await {
            Frame::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
            other => panic!("no acknowledgement: {other:?}"),
        }
        s
    }

    async fn send(&mut self, v: Value) {
        self.0.send(Message::text(v.to_string())).await.expect("send");
    }

    async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await;
    }

    async fn next(&mut self, within: Duration) -> Frame {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Err(_) => return Frame::Silence,
                Ok(None) => return Frame::Closed(0, "ended without a close frame".into()),
                Ok(Some(Err(e))) => return Frame::Closed(0, e.to_string()),
                Ok(Some(Ok(Message::Text(text)))) => {
                    let v: Value = serde_json::from_str(&text).unwrap();
                    // The protocol's keep-alive is not news.
                    if v["type"] != "ping" && v["type"] != "pong" {
                        return Frame::Json(v);
                    }
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map_or(Frame::Closed(1005, String::new()), |f| {
                        Frame::Closed(u16::from(f.code), f.reason.to_string())
                    });
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// The payload of the next `next` message of subscription `id` (others are skipped).
    async fn payload(&mut self, id: &str, within: Duration) -> Value {
        if let Some(i) = self.1.iter().position(|v| v["id"] == id) {
            return self.1.remove(i)["payload"].clone();
        }
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Frame::Json(v) if v["id"] == id && v["type"] == "next" => return v["payload"].clone(),
                Frame::Json(v) if v["id"] == id => panic!("subscription {id}: {v}"),
                Frame::Json(v) => self.1.push(v),
                other => panic!("subscription {id} got no message: {other:?}"),
            }
        }
    }

    /// Asserts that nothing comes for `id` for a while.
    async fn quiet(&mut self, id: &str, within: Duration) {
        assert!(!self.1.iter().any(|v| v["id"] == id), "subscription {id} was told: {:?}", self.1);
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Frame::Silence => return,
                Frame::Json(v) if v["id"] == id => panic!("subscription {id} was told: {v}"),
                Frame::Json(v) => self.1.push(v),
                Frame::Closed(code, reason) => panic!("closed ({code} {reason})"),
            }
        }
    }

    /// The close code, waiting at most `within` for it.
    async fn closed(&mut self, within: Duration) -> (u16, String) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Frame::Closed(code, reason) => return (code, reason),
                Frame::Silence => panic!("still open after {within:?}"),
                Frame::Json(_) => {}
            }
        }
    }
}

/// A server whose dispatcher runs every 50 ms, as a real one does every 200.
async fn live_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |s| s.notification_dispatch_interval_ms = 50).await
}

/// A member of the admin's organization, signed in; `sector` puts them in one.
pub(crate) async fn member(app: &TestApp, admin: &str, phone: &str, sector: Option<&str>) -> String {
    let org = app.current_org(admin).await;
    let user = app.create_user(admin, phone, &format!("委员{}", &phone[7..])).await;
    let extra = sector.map_or(json!({}), |s| json!({ "sectorId": s }));
    app.join(admin, &user, &org, "MEMBER", extra).await;
    app.login(phone, PASSWORD).await.access
}

pub(crate) async fn publish_briefing(base: &str, app: &TestApp, admin: &str, title: &str, audience: Value) -> String {
    let gql = |query: &'static str, variables: Value| {
        let body = json!({ "query": query, "variables": variables }).to_string();
        app.http
            .post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {admin}"))
            .body(body)
    };
    let input = json!({ "title": title, "summary": "摘要", "body": "正文", "source": "市政府", "audience": audience });
    let created = crate::helpers::send(gql(
        "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
        json!({ "i": input }),
    ))
    .await;
    let id = created.data()["createBriefing"]["id"].as_str().unwrap().to_owned();
    crate::helpers::send(gql("mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id })))
        .await
        .data();
    id
}

fn counts(payload: &Value) -> (u64, u64) {
    let c = &payload["data"]["unreadCounts"];
    (c["briefings"].as_u64().unwrap(), c["notifications"].as_u64().unwrap())
}

/// A briefing to a sector: its member's socket hears of it at once and its badge moves
/// with every read mark; a member outside the sector hears nothing.
async fn notifications_and_badges_arrive_live(backend: Backend) {
    let app = live_app(backend).await;
    let admin = app.admin().await;
    let sector = app.create_sector(&admin, "经济界").await;
    let inside = member(&app, &admin, "13900008001", Some(&sector)).await;
    let outside = member(&app, &admin, "13900008002", None).await;

    let mut a = Socket::signed_in(&app.base, &inside).await;
    a.subscribe("n", NOTIFICATIONS).await;
    a.subscribe("c", COUNTS).await;
    assert_eq!(counts(&a.payload("c", Duration::from_secs(5)).await), (0, 0), "the badge first, as it is");
    let mut b = Socket::signed_in(&app.base, &outside).await;
    b.subscribe("n", NOTIFICATIONS).await;
    b.subscribe("c", COUNTS).await;
    b.payload("c", Duration::from_secs(5)).await;

    let id = publish_briefing(&app.base, &app, &admin, "一季度经济运行情况", json!({ "sectorIds": [sector] })).await;
    let sent = Instant::now();
    let got = a.payload("n", Duration::from_secs(3)).await;
    assert!(sent.elapsed() < Duration::from_secs(1), "arrived after {:?}", sent.elapsed());
    let n = &got["data"]["notificationReceived"];
    assert_eq!(n["kind"], "BRIEFING_PUBLISHED");
    assert_eq!(n["title"], "通报：一季度经济运行情况");
    assert_eq!(n["subjectType"], "BRIEFING");
    assert_eq!(n["subjectId"], id);
    // The badge moves once the notification is written: briefings and notifications at 1.
    let mut badge = counts(&a.payload("c", Duration::from_secs(3)).await);
    if badge != (1, 1) {
        badge = counts(&a.payload("c", Duration::from_secs(3)).await);
    }
    assert_eq!(badge, (1, 1));
    b.quiet("n", Duration::from_millis(600)).await;

    app.gql(
        Some(&inside),
        "mutation($id: ID!) { markBriefingRead(id: $id) { unreadBriefingCount } }",
        json!({ "id": id }),
    )
    .await
    .data();
    assert_eq!(counts(&a.payload("c", Duration::from_secs(3)).await), (0, 1));
    app.gql(Some(&inside), "mutation { markAllNotificationsRead { marked } }", json!({})).await.data();
    assert_eq!(counts(&a.payload("c", Duration::from_secs(3)).await), (0, 0));
    a.quiet("n", Duration::from_millis(300)).await;
}
both!(notifications_and_badges_arrive_live);

/// The quick start has no Redis: signals go through the process itself, and the same works.
async fn without_redis_the_process_carries_the_signals(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.redis_url = None;
        s.notification_dispatch_interval_ms = 50;
    })
    .await;
    let admin = app.admin().await;
    let token = member(&app, &admin, "13900008011", None).await;
    let mut socket = Socket::signed_in(&app.base, &token).await;
    socket.subscribe("n", NOTIFICATIONS).await;
    publish_briefing(&app.base, &app, &admin, "全体委员通报", json!({ "everyone": true })).await;
    let got = socket.payload("n", Duration::from_secs(3)).await;
    assert_eq!(got["data"]["notificationReceived"]["kind"], "BRIEFING_PUBLISHED");
    app.gql(Some(&token), "mutation { logout { endedSessions } }", json!({})).await.data();
    assert_eq!(socket.closed(Duration::from_secs(3)).await.0, 4403);
}
both!(without_redis_the_process_carries_the_signals);

/// Two server processes on one database and one Redis: subscribed on one, the step taken
/// on the other, the notification arrives within a second; a logout on the first closes
/// the socket on the second.
async fn events_cross_processes(backend: Backend) {
    let app = live_app(backend).await;
    let (other, _state) = app.twin(|s| s.notification_dispatch_interval_ms = 50).await;
    let admin = app.admin().await;
    let token = member(&app, &admin, "13900008021", None).await;
    let mut socket = Socket::signed_in(&other, &token).await;
    socket.subscribe("n", NOTIFICATIONS).await;
    socket.subscribe("c", COUNTS).await;
    socket.payload("c", Duration::from_secs(5)).await;
    for round in 0..3 {
        let title = format!("第{round}号通报");
        publish_briefing(&app.base, &app, &admin, &title, json!({ "everyone": true })).await;
        let sent = Instant::now();
        let got = socket.payload("n", Duration::from_secs(3)).await;
        assert!(sent.elapsed() < Duration::from_secs(1), "round {round}: after {:?}", sent.elapsed());
        assert_eq!(got["data"]["notificationReceived"]["title"], format!("通报：{title}"));
    }
    app.gql(Some(&token), "mutation { logout { endedSessions } }", json!({})).await.data();
    let ended = Instant::now();
    let (code, _) = socket.closed(Duration::from_secs(3)).await;
    assert_eq!(code, 4403);
    assert!(ended.elapsed() < Duration::from_secs(2), "closed after {:?}", ended.elapsed());
}
both!(events_cross_processes);

/// Every way a session ends closes its sockets (and only its): logout everywhere from
/// another phone, a disabled account; a password change keeps the changer's own socket.
async fn sockets_close_when_their_session_ends(backend: Backend) {
    let app = live_app(backend).await;
    let admin = app.admin().await;
    let phone = "13900008031";
    let first = member(&app, &admin, phone, None).await;
    let second = app.login(phone, PASSWORD).await.access;
    let mut s1 = Socket::signed_in(&app.base, &first).await;
    s1.subscribe("c", COUNTS).await;
    s1.payload("c", Duration::from_secs(5)).await;
    let mut s2 = Socket::signed_in(&app.base, &second).await;
    s2.subscribe("c", COUNTS).await;
    s2.payload("c", Duration::from_secs(5)).await;

    // A new password ends the other sessions, not the changer's.
    let changed = app
        .gql(
            Some(&second),
            "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) { endedSessions } }",
            json!({ "o": PASSWORD, "n": "Member-pass-2" }),
        )
        .await;
    assert_eq!(changed.data()["changePassword"]["endedSessions"], 1, "{}", changed.body);
    assert_eq!(s1.closed(Duration::from_secs(3)).await.0, 4403);
    s2.quiet("c", Duration::from_millis(500)).await;

    // An admin disables the account: its last socket closes too.
    let user = app.gql(Some(&second), "{ me { id } }", json!({})).await.data()["me"]["id"].as_str().unwrap().to_owned();
    let disabled =
        app.gql(Some(&admin), "mutation($id: ID!) { disableUser(id: $id) { id } }", json!({ "id": user })).await;
    disabled.data();
    assert_eq!(s2.closed(Duration::from_secs(3)).await.0, 4403);
}
both!(sockets_close_when_their_session_ends);

/// The protocol's refusals: a bad token closes with 4403, a subscription before the
/// acknowledgement with 4401; queries belong on HTTP; a socket without a subprotocol is
/// not upgraded; the older `graphql-ws` subprotocol works.
async fn the_protocol_is_kept(backend: Backend) {
    let app = live_app(backend).await;
    let admin = app.admin().await;
    let token = member(&app, &admin, "13900008041", None).await;

    let mut s = Socket::open(&app.base, "graphql-transport-ws").await;
    s.send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-token" } })).await;
    assert_eq!(s.closed(Duration::from_secs(3)).await.0, 4403);

    let mut s = Socket::open(&app.base, "graphql-transport-ws").await;
    s.send(json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(s.closed(Duration::from_secs(3)).await.0, 4403, "no token at all");

    let mut s = Socket::open(&app.base, "graphql-transport-ws").await;
    s.subscribe("1", COUNTS).await;
    assert_eq!(s.closed(Duration::from_secs(3)).await.0, 4401);

    let mut s = Socket::signed_in(&app.base, &token).await;
    s.subscribe("q", "{ me { name } }").await;
    let refused = s.next(Duration::from_secs(3)).await;
    let Frame::Json(refused) = refused else { panic!("{refused:?}") };
    assert_eq!(refused["id"], "q");
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    // The socket stays usable.
    s.subscribe("c", COUNTS).await;
    s.payload("c", Duration::from_secs(3)).await;

    let url = format!("{}/graphql", app.base.replacen("http", "ws", 1));
    let plain = tokio_tungstenite::connect_async(url).await;
    assert!(plain.is_err(), "no subprotocol, no upgrade");

    let mut legacy = Socket::open(&app.base, "graphql-ws").await;
    legacy.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    let Frame::Json(ack) = legacy.next(Duration::from_secs(3)).await else { panic!("no ack") };
    assert_eq!(ack["type"], "connection_ack");
    legacy.send(json!({ "id": "1", "type": "start", "payload": { "query": COUNTS } })).await;
    let Frame::Json(data) = legacy.next(Duration::from_secs(3)).await else { panic!("no data") };
    assert_eq!(data["type"], "data", "{data}");
    assert_eq!(data["payload"]["data"]["unreadCounts"]["notifications"], 0);
}
both!(the_protocol_is_kept);

/// A subscriber that was away finds what it missed in its inbox, and hears of what comes
/// after it is back.
async fn what_a_disconnected_subscriber_missed_is_in_the_inbox(backend: Backend) {
    let app = live_app(backend).await;
    let admin = app.admin().await;
    let token = member(&app, &admin, "13900008051", None).await;
    let mut socket = Socket::signed_in(&app.base, &token).await;
    socket.subscribe("n", NOTIFICATIONS).await;
    drop(socket);
    publish_briefing(&app.base, &app, &admin, "离线期间的通报", json!({ "everyone": true })).await;
    // Let the dispatcher write it.
    let mut found = Vec::new();
    for _ in 0..50 {
        let a = app.gql(Some(&token), "{ notifications(first: 10) { edges { node { title } } } }", json!({})).await;
        found = a.data()["notifications"]["edges"].as_array().unwrap().clone();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["node"]["title"], "通报：离线期间的通报");

    let mut socket = Socket::signed_in(&app.base, &token).await;
    socket.subscribe("n", NOTIFICATIONS).await;
    socket.quiet("n", Duration::from_millis(400)).await;
    publish_briefing(&app.base, &app, &admin, "回来之后的通报", json!({ "everyone": true })).await;
    let got = socket.payload("n", Duration::from_secs(3)).await;
    assert_eq!(got["data"]["notificationReceived"]["title"], "通报：回来之后的通报");
}
both!(what_a_disconnected_subscriber_missed_is_in_the_inbox);

/// One person may hold `LIVE_MAX_SOCKETS_PER_USER` sockets on a process: one more is closed
/// with 1008 (not 4403: the person is still signed in); a closed socket frees its place;
/// someone else is not affected.
async fn one_person_holds_a_bounded_number_of_sockets(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.live_max_sockets_per_user = 3).await;
    let admin = app.admin().await;
    let token = member(&app, &admin, "13900008061", None).await;
    let other = member(&app, &admin, "13900008062", None).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(Socket::signed_in(&app.base, &token).await);
    }
    let mut fourth = Socket::open(&app.base, "graphql-transport-ws").await;
    fourth.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
    let (code, reason) = fourth.closed(Duration::from_secs(3)).await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("实时连接过多"), "{reason}");
    // Someone else still gets in, and the first three still work.
    let mut theirs = Socket::signed_in(&app.base, &other).await;
    theirs.subscribe("c", COUNTS).await;
    theirs.payload("c", Duration::from_secs(3)).await;
    held[0].subscribe("c", COUNTS).await;
    held[0].payload("c", Duration::from_secs(3)).await;
    // One closes: its place is free again (the server notices the close at once, but give it
    // a moment to run the socket's end).
    drop(held.pop());
    let mut again = None;
    for _ in 0..20 {
        let mut s = Socket::open(&app.base, "graphql-transport-ws").await;
        s.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })).await;
        if let Frame::Json(ack) = s.next(Duration::from_secs(3)).await {
            assert_eq!(ack["type"], "connection_ack");
            again = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "a closed socket's place is given back");
}
both!(one_person_holds_a_bounded_number_of_sockets);
