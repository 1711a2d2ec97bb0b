//! Retries (issue 11, case 9): a phone on a bad network sends the same request again, or
//! several copies at once. The same idempotency key with the same payload returns the first
//! result — also while the first request is still running — and leaves one record; the
//! same key with another payload is a CONFLICT on `idempotencyKey`.
//!
//! `submitProposal` and `submitSuggestion` take a key today. The other creates a phone can
//! retry get an optional `idempotencyKey: String` argument with the same contract (the fix
//! adds it; until then these tests fail on GraphQL validation).
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    race::{self, Findings, request, together},
};

const COPIES: usize = 10;
const SUBMIT_SUGGESTION: &str = "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id status title } }";

/// The office, one member, and a handling unit with its operator.
struct Setup {
    app: TestApp,
    office: String,
    member: String,
    unit: String,
    unit_token: String,
}

async fn setup(backend: Backend) -> Setup {
    let app = spawn_app(backend).await;
    let office = app.admin().await;
    let city = app.current_org(&office).await;
    app.person(&office, "13900009501", "重试委员", &city, "MEMBER").await;
    let member = app.login("13900009501", PASSWORD).await.access;
    let unit = app
        .gql(Some(&office), "mutation { createHandlingUnit(input: { name: \"市交通运输局\" }) { id } }", json!({}))
        .await
        .data()["createHandlingUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let operator = app.create_user(&office, "13700009501", "交通局办理员").await;
    app.add_membership(
        &office,
        json!({ "userId": operator, "organizationId": city, "role": "UNIT", "handlingUnitId": unit }),
    )
    .await
    .data();
    let unit_token = app.login("13700009501", PASSWORD).await.access;
    Setup { app, office, member, unit, unit_token }
}

fn piece(title: &str) -> Value {
    json!({ "title": title, "content": "城区部分路段夜间照明不足，存在安全隐患。", "category": "城市管理" })
}

fn draft(title: &str) -> Value {
    json!({ "title": title, "background": "学校周边早晚高峰拥堵，学生安全存在隐患。", "suggestions": "一、设置护学岗；二、完善交通标志。", "category": "社会建设" })
}

impl Setup {
    async fn gql(&self, token: &str, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(token), q, vars).await
    }

    async fn proposal_draft(&self, title: &str) -> String {
        let a = self
            .gql(
                &self.member,
                "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }",
                json!({ "i": draft(title) }),
            )
            .await;
        a.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned()
    }

    /// A registered proposal assigned to the unit as LEAD.
    async fn assigned(&self, title: &str) -> String {
        let id = self.proposal_draft(title).await;
        self.gql(
            &self.member,
            "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id } }",
            json!({ "id": id, "k": format!("k-{}", uuid::Uuid::new_v4()) }),
        )
        .await
        .data();
        self.gql(&self.office, "mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
        self.gql(
            &self.office,
            "mutation($id: ID!, $u: ID!) { assignProposal(id: $id, assignments: [{ unitId: $u, role: LEAD }]) { id } }",
            json!({ "id": id, "u": self.unit }),
        )
        .await
        .data();
        id
    }

    /// A visit open for sign-up.
    async fn open_visit(&self, title: &str) -> String {
        let a = self
            .gql(
                &self.office,
                "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
                json!({ "i": visit_input(title) }),
            )
            .await;
        let id = a.data()["createVisit"]["id"].as_str().unwrap().to_owned();
        self.gql(&self.office, "mutation($id: ID!) { openVisitSignup(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
        id
    }

    /// A piece published in a bulletin issue (ready to be adopted).
    async fn published_piece(&self, title: &str, number: i64) -> String {
        let a = self
            .gql(
                &self.member,
                SUBMIT_SUGGESTION,
                json!({ "i": piece(title), "k": format!("k-{}", uuid::Uuid::new_v4()) }),
            )
            .await;
        let id = a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
        self.gql(&self.office, "mutation($id: ID!) { acceptSuggestion(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
        let issue = self
            .gql(
                &self.office,
                "mutation($n: Int!) { createBulletinIssue(input: { title: \"社情民意\", number: $n }) { id } }",
                json!({ "n": number }),
            )
            .await
            .data()["createBulletinIssue"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        self.gql(
            &self.office,
            "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"夜间照明不足\", editedContent: \"据委员反映……\") { id } }",
            json!({ "i": issue, "s": id }),
        )
        .await
        .data();
        self.gql(&self.office, "mutation($i: ID!) { publishBulletin(issueId: $i) { id } }", json!({ "i": issue }))
            .await
            .data();
        id
    }
}

fn visit_input(title: &str) -> Value {
    let starts = (chrono::Utc::now() + chrono::Duration::days(10)).to_rfc3339();
    json!({ "kind": "RESEARCH", "title": title, "place": "各县区", "startsAt": starts, "capacity": 20 })
}

fn briefing_input(title: &str) -> Value {
    json!({ "title": title, "summary": "通报有关情况。", "body": "今年以来……", "source": "市政府", "category": "经济社会发展", "audience": { "everyone": true } })
}

fn with_key(vars: &Value, key: &str) -> Value {
    let mut v = vars.clone();
    v["k"] = json!(key);
    v
}

/// One retryable operation: its document (variables plus `$k`), who sends it, the table
/// its record lands in, and what must be the same in every answer to one key.
struct Retryable<'a> {
    title: &'static str,
    token: &'a str,
    query: &'static str,
    field: &'static str,
    table: &'static str,
    same: fn(&Value) -> Value,
}

/// The contract, step by step: a sequential retry, `COPIES` copies at once under another
/// key, and the first key reused for another payload.
async fn keeps_the_contract(s: &Setup, r: Retryable<'_>, first: Value, second: Value, other: Value) {
    let mut f = Findings::new(r.title);
    let before = s.app.count_rows(r.table).await;
    let (k1, k2) = ("retry-key-0001-first", "retry-key-0002-second");

    let a = s.gql(r.token, r.query, with_key(&first, k1)).await;
    if f.ok("the first request", &a) {
        let again = s.gql(r.token, r.query, with_key(&first, k1)).await;
        if f.ok("its retry with the same key", &again) {
            let (x, y) = ((r.same)(&a.data()[r.field]), (r.same)(&again.data()[r.field]));
            f.check(x == y, || format!("the retry answered {y}, the first request {x}"));
        }
        let n = s.app.count_rows(r.table).await - before;
        f.check(n == 1, || format!("{n} records after a request and its retry, expected 1"));

        let copies: Vec<race::Request> =
            (0..COPIES).map(|_| request(r.token, r.query, with_key(&second, k2))).collect();
        let answers = together(&s.app, copies).await;
        let refused: Vec<String> = answers.iter().filter(|a| !race::succeeded(a)).map(race::outcome).collect();
        f.check(refused.is_empty(), || format!("{} of {COPIES} copies at once refused: {refused:?}", refused.len()));
        let results: std::collections::BTreeSet<String> =
            answers.iter().filter(|a| race::succeeded(a)).map(|a| (r.same)(&a.data()[r.field]).to_string()).collect();
        f.check(results.len() <= 1, || format!("copies at once answered differently: {results:?}"));
        let n = s.app.count_rows(r.table).await - before;
        f.check(n == 2, || format!("{n} records after {COPIES} copies at once, expected 2 in all"));

        let reused = s.gql(r.token, r.query, with_key(&other, k1)).await;
        f.refused("the first key reused with another payload", &reused, "CONFLICT", Some("idempotencyKey"));
        let n = s.app.count_rows(r.table).await - before;
        f.check(n == 2, || format!("{n} records after the refused reuse, expected 2"));
    }
    f.finish(&s.app).await;
}

fn id_of(v: &Value) -> Value {
    v["id"].clone()
}

/// Issue 11, case 9a: twenty copies of one submission at once all answer with the
/// submitted proposal, which was submitted once.
async fn twenty_copies_of_a_submission_submit_once(backend: Backend) {
    let s = setup(backend).await;
    let mut f = Findings::new("twenty_copies_of_a_submission_submit_once");
    let id = s.proposal_draft("关于加强校园周边交通安全的提案").await;
    let submit = "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id status } }";
    let copies: Vec<race::Request> =
        (0..20).map(|_| request(&s.member, submit, json!({ "id": id, "k": "submit-retry-000001" }))).collect();
    let answers = together(&s.app, copies).await;
    let refused: Vec<String> = answers.iter().filter(|a| !race::succeeded(a)).map(race::outcome).collect();
    f.check(refused.is_empty(), || format!("{} of 20 copies refused: {refused:?}", refused.len()));
    for a in answers.iter().filter(|a| race::succeeded(a)) {
        let p = &a.data()["submitProposal"];
        f.check(p["id"] == id.as_str() && p["status"] == "SUBMITTED", || format!("a copy answered {p}"));
    }
    let timeline = s
        .gql(&s.member, "query($id: ID!) { proposal(id: $id) { status timeline { action } } }", json!({ "id": id }))
        .await;
    let submissions = timeline.data()["proposal"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "SUBMITTED")
        .count();
    f.check(submissions == 1, || format!("{submissions} SUBMITTED steps in the timeline"));
    f.finish(&s.app).await;
}
both!(twenty_copies_of_a_submission_submit_once);

/// Issue 11, case 9b: one key, two different pieces: the second is a CONFLICT, not the
/// first piece passed off as the answer.
async fn a_key_reused_for_another_piece_is_a_conflict(backend: Backend) {
    let s = setup(backend).await;
    let mut f = Findings::new("a_key_reused_for_another_piece_is_a_conflict");
    let key = "suggestion-key-0001";
    let first = s.gql(&s.member, SUBMIT_SUGGESTION, json!({ "i": piece("关于改善夜间照明的建议"), "k": key })).await;
    f.ok("the first piece", &first);
    let other = s.gql(&s.member, SUBMIT_SUGGESTION, json!({ "i": piece("关于增设公厕的建议"), "k": key })).await;
    f.refused("another piece under the same key", &other, "CONFLICT", Some("idempotencyKey"));
    let n = s.app.count_rows("suggestion").await;
    f.check(n == 1, || format!("{n} pieces stored, expected 1"));
    f.finish(&s.app).await;
}
both!(a_key_reused_for_another_piece_is_a_conflict);

/// Issue 11, case 9c: ten copies of one piece at once, in each of 20 rounds: all answer
/// with the same piece, and there is one.
async fn ten_copies_of_a_piece_at_once_make_one(backend: Backend) {
    let s = setup(backend).await;
    let mut findings = Findings::new("ten_copies_of_a_piece_at_once_make_one");
    for round in 0..20 {
        let vars = json!({ "i": piece(&format!("关于改善夜间照明的建议{round}")), "k": format!("suggestion-copies-{round:04}") });
        let before = s.app.count_rows("suggestion").await;
        let copies = (0..COPIES).map(|_| request(&s.member, SUBMIT_SUGGESTION, vars.clone())).collect();
        let answers = together(&s.app, copies).await;
        let mut bad = Vec::new();
        let refused: Vec<String> = answers.iter().filter(|a| !race::succeeded(a)).map(race::outcome).collect();
        if !refused.is_empty() {
            bad.push(format!("{} of {COPIES} copies refused: {refused:?}", refused.len()));
        }
        let ids: std::collections::BTreeSet<String> = answers
            .iter()
            .filter(|a| race::succeeded(a))
            .map(|a| a.data()["submitSuggestion"]["id"].to_string())
            .collect();
        if ids.len() > 1 {
            bad.push(format!("copies answered with {} different pieces", ids.len()));
        }
        let n = s.app.count_rows("suggestion").await - before;
        if n != 1 {
            bad.push(format!("{n} pieces stored, expected 1"));
        }
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(ten_copies_of_a_piece_at_once_make_one);

/// Issue 11, case 9d: `createProposalDraft(input, idempotencyKey)`.
async fn create_proposal_draft_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let r = Retryable {
        title: "create_proposal_draft_takes_an_idempotency_key",
        token: &s.member,
        query: "mutation($i: CreateProposalDraftInput!, $k: String) { createProposalDraft(input: $i, idempotencyKey: $k) { id } }",
        field: "createProposalDraft",
        table: "proposal",
        same: id_of,
    };
    let (a, b, c) =
        (draft("关于加强校园周边交通安全的提案"), draft("关于完善城市慢行系统的提案"), draft("关于另一件事的提案"));
    keeps_the_contract(&s, r, json!({ "i": a }), json!({ "i": b }), json!({ "i": c })).await;
}
both!(create_proposal_draft_takes_an_idempotency_key);

/// Issue 11, case 9d: `createBriefing(input, idempotencyKey)`.
async fn create_briefing_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let r = Retryable {
        title: "create_briefing_takes_an_idempotency_key",
        token: &s.office,
        query: "mutation($i: CreateBriefingInput!, $k: String) { createBriefing(input: $i, idempotencyKey: $k) { id } }",
        field: "createBriefing",
        table: "briefing",
        same: id_of,
    };
    let (a, b, c) = (
        briefing_input("全市创卫工作情况通报"),
        briefing_input("上半年经济运行情况通报"),
        briefing_input("另一则通报"),
    );
    keeps_the_contract(&s, r, json!({ "i": a }), json!({ "i": b }), json!({ "i": c })).await;
}
both!(create_briefing_takes_an_idempotency_key);

/// Issue 11, case 9d: `createVisit(input, idempotencyKey)`.
async fn create_visit_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let r = Retryable {
        title: "create_visit_takes_an_idempotency_key",
        token: &s.office,
        query: "mutation($i: CreateVisitInput!, $k: String) { createVisit(input: $i, idempotencyKey: $k) { id } }",
        field: "createVisit",
        table: "visit",
        same: id_of,
    };
    let (a, b, c) = (visit_input("乡村振兴专题调研"), visit_input("重点项目视察"), visit_input("另一次活动"));
    keeps_the_contract(&s, r, json!({ "i": a }), json!({ "i": b }), json!({ "i": c })).await;
}
both!(create_visit_takes_an_idempotency_key);

/// Issue 11, case 9d: `signUpForVisit(id, idempotencyKey)` — a retry answers with the same
/// participation instead of "already signed up".
async fn sign_up_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let (v1, v2, v3) =
        (s.open_visit("乡村振兴专题调研").await, s.open_visit("重点项目视察").await, s.open_visit("另一次活动").await);
    let r = Retryable {
        title: "sign_up_takes_an_idempotency_key",
        token: &s.member,
        query: "mutation($id: ID!, $k: String) { signUpForVisit(id: $id, idempotencyKey: $k) { status signedUpAt user { id } } }",
        field: "signUpForVisit",
        table: "visit_participant",
        same: |p| json!([p["status"], p["signedUpAt"], p["user"]["id"]]),
    };
    keeps_the_contract(&s, r, json!({ "id": v1 }), json!({ "id": v2 }), json!({ "id": v3 })).await;
}
both!(sign_up_takes_an_idempotency_key);

/// Issue 11, case 9d: `recordAdoption(id, input, idempotencyKey)`.
async fn record_adoption_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let (p1, p2) =
        (s.published_piece("关于改善夜间照明的建议", 1).await, s.published_piece("关于增设公厕的建议", 2).await);
    let adoption = |by: &str| json!({ "level": "MUNICIPAL", "form": "SINGLE", "adoptedBy": by, "adoptedAt": api::calendar::today().to_string() });
    let r = Retryable {
        title: "record_adoption_takes_an_idempotency_key",
        token: &s.office,
        query: "mutation($id: ID!, $i: RecordAdoptionInput!, $k: String) { recordAdoption(id: $id, input: $i, idempotencyKey: $k) { id adoptions { adoptedBy } } }",
        field: "recordAdoption",
        table: "suggestion_adoption",
        same: |p| json!([p["id"], p["adoptions"]]),
    };
    keeps_the_contract(
        &s,
        r,
        json!({ "id": p1, "i": adoption("市委办公室") }),
        json!({ "id": p2, "i": adoption("市政府办公室") }),
        json!({ "id": p1, "i": adoption("省政协办公厅") }),
    )
    .await;
}
both!(record_adoption_takes_an_idempotency_key);

/// Issue 11, case 9d: `replyToProposal(id, input, idempotencyKey)` — a retry answers with
/// the proposal and its one reply instead of "already replied".
async fn reply_takes_an_idempotency_key(backend: Backend) {
    let s = setup(backend).await;
    let (p1, p2) = (s.assigned("关于加强校园周边交通安全的提案").await, s.assigned("关于完善城市慢行系统的提案").await);
    let reply = |outcome: &str| json!({ "outcome": outcome, "content": "我局已会同相关部门研究办理……", "contact": "王科长 0311-8000000" });
    let r = Retryable {
        title: "reply_takes_an_idempotency_key",
        token: &s.unit_token,
        query: "mutation($id: ID!, $i: ReplyInput!, $k: String) { replyToProposal(id: $id, input: $i, idempotencyKey: $k) { id status replies { outcome } } }",
        field: "replyToProposal",
        table: "proposal_reply",
        same: |p| json!([p["id"], p["status"], p["replies"]]),
    };
    keeps_the_contract(
        &s,
        r,
        json!({ "id": p1, "i": reply("A") }),
        json!({ "id": p2, "i": reply("B") }),
        json!({ "id": p1, "i": reply("C") }),
    )
    .await;
}
both!(reply_takes_an_idempotency_key);
