//! Visits under concurrency (issue 11): double taps on cancel and sign-up, a cancellation
//! racing the office's leave approval, the capacity lowered while people sign up, and one
//! outcome linked twice at once. The places counter must always equal the people holding a
//! place, and never exceed the capacity.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    race::{self, Findings, request, together},
};

const ROUNDS: usize = 20;
const SIGN_UP: &str = "mutation($id: ID!) { signUpForVisit(id: $id) { status } }";
const CANCEL: &str = "mutation($id: ID!) { cancelSignup(id: $id) { status } }";
const APPROVE: &str = "mutation($v: ID!, $u: ID!) { approveLeave(visitId: $v, userId: $u) { status } }";
const STATE: &str = "query($id: ID!) { visit(id: $id) { capacity confirmedCount participants { status user { id name } } outcomes { kind title } } }";

struct Org {
    app: TestApp,
    admin: String,
    users: Vec<String>,
    tokens: Vec<String>,
}

async fn org(backend: Backend, n: usize) -> Org {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..n {
        let phone = format!("1390000{:04}", 7000 + i);
        users.push(app.person(&admin, &phone, &format!("委员{i}"), &city, "MEMBER").await);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    Org { app, admin, users, tokens }
}

fn in_a_week() -> String {
    (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339()
}

/// The visit's places as the office sees them.
struct Places {
    capacity: Option<i64>,
    counter: i64,
    /// Status of each participant by user id.
    status: Vec<(String, String)>,
}

impl Places {
    fn of(&self, user: &str) -> &str {
        self.status.iter().find(|(u, _)| u == user).map_or("none", |(_, s)| s.as_str())
    }

    fn holders(&self) -> i64 {
        self.status.iter().filter(|(_, s)| s == "CONFIRMED" || s == "LEAVE_REQUESTED").count() as i64
    }

    /// The counter equals the people holding a place, neither over the capacity.
    fn consistent(&self) -> Vec<String> {
        let mut bad = Vec::new();
        if self.counter != self.holders() {
            bad.push(format!("confirmedCount {} but {} hold a place", self.counter, self.holders()));
        }
        if let Some(c) = self.capacity
            && (self.counter > c || self.holders() > c)
        {
            bad.push(format!(
                "capacity {c} exceeded: confirmedCount {}, {} hold a place",
                self.counter,
                self.holders()
            ));
        }
        bad
    }
}

impl Org {
    async fn visit(&self, title: &str, capacity: i64) -> String {
        let a = self
            .app
            .gql(
                Some(&self.admin),
                "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
                json!({ "i": { "kind": "INSPECTION", "title": title, "place": "高新区", "startsAt": in_a_week(), "capacity": capacity } }),
            )
            .await;
        let id = a.data()["createVisit"]["id"].as_str().unwrap().to_owned();
        self.app
            .gql(Some(&self.admin), "mutation($id: ID!) { openVisitSignup(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
        id
    }

    async fn as_member(&self, who: usize, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.tokens[who]), q, vars).await
    }

    async fn sign_up(&self, who: usize, id: &str) -> String {
        let a = self.as_member(who, SIGN_UP, json!({ "id": id })).await;
        a.data()["signUpForVisit"]["status"].as_str().unwrap().to_owned()
    }

    async fn places(&self, id: &str) -> Places {
        let a = self.app.gql(Some(&self.admin), STATE, json!({ "id": id })).await;
        let v = &a.data()["visit"];
        Places {
            capacity: v["capacity"].as_i64(),
            counter: v["confirmedCount"].as_i64().unwrap(),
            status: v["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["user"]["id"].as_str().unwrap().to_owned(), p["status"].as_str().unwrap().to_owned()))
                .collect(),
        }
    }
}

/// Exactly one of two identical requests succeeded and the other was refused with CONFLICT.
fn one_wins(what: &str, answers: &[Answer]) -> Vec<String> {
    let wins = answers.iter().filter(|a| race::succeeded(a)).count();
    let conflicts = answers.iter().filter(|a| race::code(a).as_deref() == Some("CONFLICT")).count();
    if wins == 1 && conflicts == answers.len() - 1 {
        return Vec::new();
    }
    let outcomes: Vec<String> = answers.iter().map(race::outcome).collect();
    vec![format!("{what}: expected one success and CONFLICT for the rest, got {}", outcomes.join(" / "))]
}

/// Issue 11, case 3a: the first of two confirmed members taps "cancel" twice; the one on
/// the waiting list moves up once, and the counter moves once.
async fn double_tapped_cancel_frees_one_place(backend: Backend) {
    let o = org(backend, 3).await;
    let mut findings = Findings::new("double_tapped_cancel_frees_one_place");
    for round in 0..ROUNDS {
        let id = o.visit(&format!("重点项目视察{round}"), 2).await;
        for who in 0..3 {
            o.sign_up(who, &id).await;
        }
        let answers = together(
            &o.app,
            vec![
                request(&o.tokens[0], CANCEL, json!({ "id": id })),
                request(&o.tokens[0], CANCEL, json!({ "id": id })),
            ],
        )
        .await;
        let mut bad = one_wins("two cancellations", &answers);
        let places = o.places(&id).await;
        bad.extend(places.consistent());
        if places.of(&o.users[2]) != "CONFIRMED" {
            bad.push(format!("the waiting member is {}, not CONFIRMED", places.of(&o.users[2])));
        }
        if places.counter != 2 {
            bad.push(format!("confirmedCount {} after one cancellation and one promotion, expected 2", places.counter));
        }
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(double_tapped_cancel_frees_one_place);

/// Issue 11, case 3b: a member who asked for leave cancels while the office approves the
/// leave. Whichever wins, the place is freed once and goes to the waiting list once.
async fn cancel_racing_leave_approval_frees_one_place(backend: Backend) {
    let o = org(backend, 3).await;
    let mut findings = Findings::new("cancel_racing_leave_approval_frees_one_place");
    for round in 0..ROUNDS {
        let id = o.visit(&format!("专题调研{round}"), 2).await;
        for who in 0..3 {
            o.sign_up(who, &id).await;
        }
        o.as_member(
            0,
            "mutation($id: ID!) { requestLeave(id: $id, reason: \"单位有紧急任务\") { status } }",
            json!({ "id": id }),
        )
        .await
        .data();
        let answers = together(
            &o.app,
            vec![
                request(&o.tokens[0], CANCEL, json!({ "id": id })),
                request(&o.admin, APPROVE, json!({ "v": id, "u": o.users[0] })),
            ],
        )
        .await;
        let mut bad = Vec::new();
        if !answers.iter().any(race::succeeded) {
            bad.push(format!("neither succeeded: {} / {}", race::outcome(&answers[0]), race::outcome(&answers[1])));
        }
        let places = o.places(&id).await;
        bad.extend(places.consistent());
        if places.of(&o.users[2]) != "CONFIRMED" {
            bad.push(format!("the waiting member is {}, not CONFIRMED", places.of(&o.users[2])));
        }
        if places.counter != 2 {
            bad.push(format!("confirmedCount {}, expected 2 (the place freed once)", places.counter));
        }
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(cancel_racing_leave_approval_frees_one_place);

/// Issue 11, case 3c: a member who cancelled signs up again with a double tap: one sign-up,
/// one place, the counter moved once.
async fn double_tapped_sign_up_after_a_cancel_takes_one_place(backend: Backend) {
    let o = org(backend, 1).await;
    let mut findings = Findings::new("double_tapped_sign_up_after_a_cancel_takes_one_place");
    for round in 0..ROUNDS {
        let id = o.visit(&format!("乡村振兴调研{round}"), 5).await;
        o.sign_up(0, &id).await;
        o.as_member(0, CANCEL, json!({ "id": id })).await.data();
        let answers = together(
            &o.app,
            vec![
                request(&o.tokens[0], SIGN_UP, json!({ "id": id })),
                request(&o.tokens[0], SIGN_UP, json!({ "id": id })),
            ],
        )
        .await;
        let mut bad = one_wins("two sign-ups", &answers);
        let places = o.places(&id).await;
        bad.extend(places.consistent());
        if places.of(&o.users[0]) != "CONFIRMED" {
            bad.push(format!("the member is {}, not CONFIRMED", places.of(&o.users[0])));
        }
        if places.counter != 1 {
            bad.push(format!("confirmedCount {}, expected 1", places.counter));
        }
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(double_tapped_sign_up_after_a_cancel_takes_one_place);

/// Issue 11, case 3d: the office lowers the capacity while members sign up. The update may
/// be refused (BAD_USER_INPUT on `capacity`) when it would fall below the people confirmed;
/// afterwards the confirmed are within the capacity and the counter equals them.
async fn lowering_capacity_while_people_sign_up(backend: Backend) {
    const EARLY: usize = 3;
    const RACERS: usize = 8;
    const LOWER_TO: i64 = 3;
    let o = org(backend, EARLY + RACERS).await;
    let mut findings = Findings::new("lowering_capacity_while_people_sign_up");
    let update = "mutation($id: ID!, $c: Int) { updateVisit(id: $id, input: { capacity: $c }) { capacity } }";
    for round in 0..ROUNDS {
        let id = o.visit(&format!("城市更新视察{round}"), 10).await;
        for who in 0..EARLY {
            o.sign_up(who, &id).await;
        }
        let mut requests = vec![request(&o.admin, update, json!({ "id": id, "c": LOWER_TO }))];
        requests.extend((EARLY..EARLY + RACERS).map(|who| request(&o.tokens[who], SIGN_UP, json!({ "id": id }))));
        let answers = together(&o.app, requests).await;
        let mut bad = Vec::new();
        let lowered = &answers[0];
        let refused_on_capacity =
            race::code(lowered).as_deref() == Some("BAD_USER_INPUT") && lowered.field() == "capacity";
        if !race::succeeded(lowered) && !refused_on_capacity {
            bad.push(format!("the capacity update answered {}", race::outcome(lowered)));
        }
        for a in &answers[1..] {
            if !race::succeeded(a) {
                bad.push(format!("a sign-up refused: {}", race::outcome(a)));
            }
        }
        let places = o.places(&id).await;
        bad.extend(places.consistent());
        if race::succeeded(lowered) && places.capacity != Some(LOWER_TO) {
            bad.push(format!("the update succeeded but the capacity is {:?}", places.capacity));
        }
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(lowering_capacity_while_people_sign_up);

/// Issue 11, case 6: the office links the same proposal to a visit twice at once (two
/// tabs): one link, the other refused with CONFLICT.
async fn one_outcome_linked_twice_at_once(backend: Backend) {
    let o = org(backend, 1).await;
    let mut findings = Findings::new("one_outcome_linked_twice_at_once");
    let draft = o
        .as_member(
            0,
            "mutation { createProposalDraft(input: { title: \"关于加快数字经济人才引进的提案\", suggestions: \"出台人才新政\", category: \"经济建设\" }) { id } }",
            json!({}),
        )
        .await;
    let proposal = draft.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned();
    o.as_member(
        0,
        "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"visit-outcome-0001\") { status } }",
        json!({ "id": proposal }),
    )
    .await
    .data();
    let link = "mutation($v: ID!, $p: ID!) { linkVisitOutcome(visitId: $v, proposalId: $p, title: \"关于加快数字经济人才引进的提案\") { id } }";
    for round in 0..ROUNDS {
        let id = o.visit(&format!("数字经济考察{round}"), 10).await;
        let answers = together(
            &o.app,
            vec![
                request(&o.admin, link, json!({ "v": id, "p": proposal })),
                request(&o.admin, link, json!({ "v": id, "p": proposal })),
            ],
        )
        .await;
        let mut bad = one_wins("two links", &answers);
        let a = o.app.gql(Some(&o.admin), STATE, json!({ "id": id })).await;
        let outcomes = a.data()["visit"]["outcomes"].as_array().unwrap().len();
        if outcomes != 1 {
            bad.push(format!("{outcomes} outcomes linked, expected 1"));
        }
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(one_outcome_linked_twice_at_once);
