//! Public-opinion information under concurrency and at the edges (issue 11): accept and
//! decline at once, pieces declined or merged after entering a bulletin (also while it is
//! being published), and adoption dates that precede the piece.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    race::{self, Findings, request, together},
};

const ROUNDS: usize = 20;
const SUBMIT: &str =
    "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id } }";
const ACCEPT: &str = "mutation($id: ID!) { acceptSuggestion(id: $id) { status } }";
const DECLINE: &str = "mutation($id: ID!) { declineSuggestion(id: $id, reason: \"内容与已编发信息重复\") { status } }";
const ADD: &str = "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"编辑后的标题\", editedContent: \"据委员反映，……建议如下。\") { id } }";
const PUBLISH: &str = "mutation($i: ID!) { publishBulletin(issueId: $i) { status } }";
const ONE: &str = "query($id: ID!) { suggestion(id: $id) { id status declineReason bulletin { issue { id } } adoptions { adoptedAt } timeline { action } } }";

/// A county committee (below the bootstrap city) with its information office and members.
struct Setup {
    app: TestApp,
    staff: String,
    members: Vec<String>,
}

async fn setup(backend: Backend) -> Setup {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "测试县政协", "COUNTY", &city).await;
    app.person(&admin, "13900008000", "县政协信息科", &county, "STAFF").await;
    let staff = app.login("13900008000", PASSWORD).await.access;
    let mut members = Vec::new();
    for i in 0..2 {
        let phone = format!("1390000800{}", i + 1);
        app.person(&admin, &phone, &format!("县委员{i}"), &county, "MEMBER").await;
        members.push(app.login(&phone, PASSWORD).await.access);
    }
    Setup { app, staff, members }
}

impl Setup {
    async fn submitted(&self, who: usize, title: &str) -> String {
        let input = json!({ "title": title, "content": "城区部分老旧小区加装电梯推进缓慢，群众反映强烈。", "category": "城市管理" });
        let a = self
            .app
            .gql(Some(&self.members[who]), SUBMIT, json!({ "i": input, "k": format!("key-{}", uuid::Uuid::new_v4()) }))
            .await;
        a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned()
    }

    async fn staff(&self, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.staff), q, vars).await
    }

    async fn accepted(&self, who: usize, title: &str) -> String {
        let id = self.submitted(who, title).await;
        self.staff(ACCEPT, json!({ "id": id })).await.data();
        id
    }

    async fn issue(&self, number: usize) -> String {
        let a = self
            .staff(
                "mutation($n: Int!) { createBulletinIssue(input: { title: \"社情民意\", number: $n }) { id } }",
                json!({ "n": number }),
            )
            .await;
        a.data()["createBulletinIssue"]["id"].as_str().unwrap().to_owned()
    }

    async fn add(&self, issue: &str, piece: &str) {
        self.staff(ADD, json!({ "i": issue, "s": piece })).await.data();
    }

    async fn piece(&self, id: &str) -> Value {
        self.staff(ONE, json!({ "id": id })).await.data()["suggestion"].clone()
    }
}

fn actions(piece: &Value) -> Vec<String> {
    piece["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

/// Issue 11, case 4a: two office staff accept and decline one piece at the same moment.
/// One of them wins; the piece has one status and its timeline one decision.
async fn accept_and_decline_at_once(backend: Backend) {
    let s = setup(backend).await;
    let mut findings = Findings::new("accept_and_decline_at_once");
    for round in 0..ROUNDS {
        let id = s.submitted(0, &format!("关于规范共享单车停放的建议{round}")).await;
        let answers = together(
            &s.app,
            vec![request(&s.staff, ACCEPT, json!({ "id": id })), request(&s.staff, DECLINE, json!({ "id": id }))],
        )
        .await;
        let mut bad = Vec::new();
        let wins = answers.iter().filter(|a| race::succeeded(a)).count();
        let conflicts = answers.iter().filter(|a| race::code(a).as_deref() == Some("CONFLICT")).count();
        if (wins, conflicts) != (1, 1) {
            bad.push(format!(
                "accept {} / decline {}: expected one success and one CONFLICT",
                race::outcome(&answers[0]),
                race::outcome(&answers[1])
            ));
        }
        let piece = s.piece(&id).await;
        let decisions: Vec<String> =
            actions(&piece).into_iter().filter(|a| a == "ACCEPTED" || a == "DECLINED").collect();
        match piece["status"].as_str().unwrap() {
            "ACCEPTED" if piece["declineReason"].is_null() && decisions == ["ACCEPTED"] => {}
            "DECLINED" if decisions == ["DECLINED"] => {}
            status => bad.push(format!(
                "the piece is {status} with decline reason {} and timeline decisions {decisions:?}",
                piece["declineReason"]
            )),
        }
        let winner = if race::succeeded(&answers[0]) { "ACCEPTED" } else { "DECLINED" };
        if wins == 1 && piece["status"] != winner {
            bad.push(format!("the successful request said {winner} but the piece is {}", piece["status"]));
        }
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(accept_and_decline_at_once);

/// Issue 11, case 4b: a piece declined, or merged into another, after it was put into a
/// bulletin issue is not published with the issue; the other piece is.
async fn a_piece_taken_out_after_entering_a_bulletin_is_not_published(backend: Backend) {
    let s = setup(backend).await;
    let mut f = Findings::new("a_piece_taken_out_after_entering_a_bulletin_is_not_published");
    let report = "mutation($id: ID!) { reportSuggestion(id: $id, recipients: { bodies: [\"县委\"] }) { status } }";

    let kept = s.accepted(0, "关于加快老旧小区加装电梯的建议").await;
    let declined = s.accepted(1, "关于增设公交站点的建议").await;
    let issue = s.issue(1).await;
    s.add(&issue, &kept).await;
    s.add(&issue, &declined).await;
    f.ok("declining a piece already in the draft issue", &s.staff(DECLINE, json!({ "id": declined })).await);
    f.ok("publishing the issue", &s.staff(PUBLISH, json!({ "i": issue })).await);
    let (k, d) = (s.piece(&kept).await, s.piece(&declined).await);
    f.check(k["status"] == "PUBLISHED", || format!("the kept piece is {}", k["status"]));
    f.check(d["status"] == "DECLINED", || format!("the declined piece is {} after publication", d["status"]));
    f.check(!actions(&d).contains(&"PUBLISHED".to_owned()), || format!("declined piece's timeline {:?}", actions(&d)));
    let reported = s.staff(report, json!({ "id": declined })).await;
    f.check(!race::succeeded(&reported), || "the declined piece could be reported upward".into());

    let kept = s.accepted(0, "关于整治占道经营的建议").await;
    let merged = s.accepted(1, "占道经营问题突出").await;
    let master = s.submitted(0, "关于规范流动摊贩的建议").await;
    let issue = s.issue(2).await;
    s.add(&issue, &kept).await;
    s.add(&issue, &merged).await;
    let merge = s
        .staff(
            "mutation($ids: [ID!]!, $into: ID!) { mergeSuggestions(ids: $ids, into: $into) { id } }",
            json!({ "ids": [merged], "into": master }),
        )
        .await;
    f.ok("merging a piece already in the draft issue", &merge);
    f.ok("publishing the second issue", &s.staff(PUBLISH, json!({ "i": issue })).await);
    let (k, m) = (s.piece(&kept).await, s.piece(&merged).await);
    f.check(k["status"] == "PUBLISHED", || format!("the kept piece is {}", k["status"]));
    f.check(m["status"] == "MERGED", || format!("the merged piece is {} after publication", m["status"]));
    let reported = s.staff(report, json!({ "id": merged })).await;
    f.check(!race::succeeded(&reported), || "the merged piece could be reported upward".into());
    f.finish(&s.app).await;
}
both!(a_piece_taken_out_after_entering_a_bulletin_is_not_published);

/// Issue 11, case 4b (race): one piece of a two-piece issue is declined while the issue is
/// published. Either may win, but a declined piece is never printed, and a piece printed
/// was not declined.
async fn decline_racing_bulletin_publication(backend: Backend) {
    let s = setup(backend).await;
    let mut findings = Findings::new("decline_racing_bulletin_publication");
    for round in 0..ROUNDS {
        let kept = s.accepted(0, &format!("关于治理噪音扰民的建议{round}")).await;
        let contested = s.accepted(1, &format!("关于夜间施工扰民的建议{round}")).await;
        let issue = s.issue(100 + round).await;
        s.add(&issue, &kept).await;
        s.add(&issue, &contested).await;
        let answers = together(
            &s.app,
            vec![
                request(&s.staff, DECLINE, json!({ "id": contested })),
                request(&s.staff, PUBLISH, json!({ "i": issue })),
            ],
        )
        .await;
        let (declined, published) = (race::succeeded(&answers[0]), race::succeeded(&answers[1]));
        let piece = s.piece(&contested).await;
        let mut bad = Vec::new();
        let printed = piece["bulletin"]["issue"]["id"] == issue.as_str() && published;
        match piece["status"].as_str().unwrap() {
            "DECLINED" if declined && !printed => {}
            "DECLINED" if declined => bad.push("the piece is DECLINED and printed in the published issue".into()),
            "PUBLISHED" if published && !declined => {}
            status => bad.push(format!(
                "decline {} / publish {}: the piece ends {status} (decline reason {})",
                race::outcome(&answers[0]),
                race::outcome(&answers[1]),
                piece["declineReason"]
            )),
        }
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(decline_racing_bulletin_publication);

/// Issue 11, case 10a: an adoption dated before the piece existed is refused, and nothing
/// is recorded.
async fn adoption_cannot_predate_the_piece(backend: Backend) {
    let s = setup(backend).await;
    let mut f = Findings::new("adoption_cannot_predate_the_piece");
    let id = s.accepted(0, "关于加强校园周边交通安全的建议").await;
    let issue = s.issue(7).await;
    s.add(&issue, &id).await;
    s.staff(PUBLISH, json!({ "i": issue })).await.data();
    let a = s
        .staff(
            "mutation($id: ID!) { recordAdoption(id: $id, input: { level: MUNICIPAL, form: SINGLE, adoptedBy: \"市委办公室\", adoptedAt: \"2000-01-01\" }) { status } }",
            json!({ "id": id }),
        )
        .await;
    f.refused("an adoption dated 2000-01-01", &a, "BAD_USER_INPUT", Some("adoptedAt"));
    let piece = s.piece(&id).await;
    f.check(piece["adoptions"].as_array().unwrap().is_empty(), || {
        format!("adoptions recorded: {}", piece["adoptions"])
    });
    f.check(piece["status"] == "PUBLISHED", || format!("the piece is {}", piece["status"]));
    f.finish(&s.app).await;
}
both!(adoption_cannot_predate_the_piece);
