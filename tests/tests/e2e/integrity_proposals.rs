//! Proposals under concurrency and at the edges of the workflow (issue 11): units answering
//! at the same moment, a joint unit answering late, merges that would form a cycle, a
//! resubmission that skips the submission rules, and who may supervise a key proposal.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    race::{self, Findings, request, together},
};

const ROUNDS: usize = 20;
const REPLY: &str = "mutation($id: ID!, $o: ReplyOutcome!) { replyToProposal(id: $id, input: { outcome: $o, content: \"我局已会同相关部门研究办理……\", contact: \"王科长 0311-8000000\" }) { id status } }";
const VIEW: &str = "query($id: ID!) { proposal(id: $id) { id status mergedIntoId assignments { status role unit { id name } } replies { unitId round outcome } timeline { action from to } } }";
const MERGE: &str = "mutation($id: ID!, $i: ID!) { mergeProposal(id: $id, intoId: $i) { id status mergedIntoId } }";

/// The office (the bootstrap admin), three handling units with an operator each, and
/// `members` committee members.
struct Setup {
    app: TestApp,
    office: String,
    city: String,
    members: Vec<String>,
    member_ids: Vec<String>,
    units: Vec<String>,
    unit_tokens: Vec<String>,
    unit_user_ids: Vec<String>,
}

async fn setup(backend: Backend, members: usize) -> Setup {
    let app = spawn_app(backend).await;
    let office = app.admin().await;
    let city = app.current_org(&office).await;
    let mut units = Vec::new();
    let mut unit_tokens = Vec::new();
    let mut unit_user_ids = Vec::new();
    for (i, name) in ["市住房和城乡建设局", "市财政局", "市自然资源局"].iter().enumerate() {
        let unit = app
            .gql(
                Some(&office),
                "mutation($n: String!) { createHandlingUnit(input: { name: $n }) { id } }",
                json!({ "n": name }),
            )
            .await
            .data()["createHandlingUnit"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let phone = format!("1370000{:04}", 6000 + i);
        let user = app.create_user(&office, &phone, &format!("{name}办理员")).await;
        app.add_membership(
            &office,
            json!({ "userId": user, "organizationId": city, "role": "UNIT", "handlingUnitId": unit }),
        )
        .await
        .data();
        unit_tokens.push(app.login(&phone, PASSWORD).await.access);
        unit_user_ids.push(user);
        units.push(unit);
    }
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for i in 0..members {
        let phone = format!("1390000{:04}", 6000 + i);
        ids.push(app.person(&office, &phone, &format!("提案委员{i}"), &city, "MEMBER").await);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    Setup { app, office, city, members: tokens, member_ids: ids, units, unit_tokens, unit_user_ids }
}

fn draft(title: &str) -> Value {
    json!({ "title": title, "background": "老旧小区多建于上世纪，无电梯，老年居民出行难。", "suggestions": "一、简化审批；二、加大补贴；三、统筹规划。", "category": "社会建设" })
}

impl Setup {
    async fn as_office(&self, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.office), q, vars).await
    }

    async fn as_member(&self, who: usize, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.members[who]), q, vars).await
    }

    async fn create(&self, who: usize, input: Value) -> String {
        let a = self
            .as_member(
                who,
                "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        a.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned()
    }

    async fn submitted(&self, who: usize, title: &str) -> String {
        let id = self.create(who, draft(title)).await;
        self.as_member(
            who,
            "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id } }",
            json!({ "id": id, "k": format!("k-{}", uuid::Uuid::new_v4()) }),
        )
        .await
        .data();
        id
    }

    async fn registered(&self, who: usize, title: &str) -> String {
        let id = self.submitted(who, title).await;
        self.as_office("mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id })).await.data();
        id
    }

    /// A registered proposal of member 0 assigned to `(unit, role)` pairs.
    async fn assigned(&self, title: &str, list: &[(usize, &str)]) -> String {
        let id = self.registered(0, title).await;
        let assignments: Vec<Value> =
            list.iter().map(|(unit, role)| json!({ "unitId": self.units[*unit], "role": role })).collect();
        self.as_office(
            "mutation($id: ID!, $a: [AssignmentInput!]!) { assignProposal(id: $id, assignments: $a) { status } }",
            json!({ "id": id, "a": assignments }),
        )
        .await
        .data();
        id
    }

    async fn reply(&self, unit: usize, id: &str) -> Answer {
        self.app.gql(Some(&self.unit_tokens[unit]), REPLY, json!({ "id": id, "o": "A" })).await
    }

    async fn view(&self, id: &str) -> Value {
        self.as_office(VIEW, json!({ "id": id })).await.data()["proposal"].clone()
    }

    async fn evaluate(&self, id: &str, satisfaction: &str) -> Answer {
        self.as_member(0, "mutation($id: ID!, $s: Satisfaction!) { evaluateProposal(id: $id, input: { satisfaction: $s, communication: SATISFIED, attitude: SATISFIED, implementation: SATISFIED }) { status } }", json!({ "id": id, "s": satisfaction })).await
    }
}

/// The status of `unit`'s live assignment in a proposal as `view` shows it.
fn assignment_status<'a>(p: &'a Value, unit: &str) -> &'a str {
    p["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["unit"]["id"] == unit && a["status"] != "REASSIGN_REQUESTED")
        .and_then(|a| a["status"].as_str())
        .unwrap_or("none")
}

/// What a proposal that every answering unit has replied to must look like.
fn fully_replied(p: &Value, units: &[&str], replies: usize) -> Vec<String> {
    let mut bad = Vec::new();
    if p["status"] != "REPLIED" {
        bad.push(format!("proposal is {} after every unit answered, not REPLIED", p["status"]));
    }
    for unit in units {
        let status = assignment_status(p, unit);
        if status != "REPLIED" {
            bad.push(format!("an assignment is {status}, not REPLIED"));
        }
    }
    let stored = p["replies"].as_array().map_or(0, Vec::len);
    if stored != replies {
        bad.push(format!("{stored} replies stored, expected {replies}"));
    }
    bad
}

/// Issue 11, case 1: two lead units (or a lead and a separate unit) answer at the same
/// moment. Both answers count and the proposal moves on to REPLIED.
async fn two_units_reply_at_the_same_moment(backend: Backend) {
    let s = setup(backend, 1).await;
    let mut findings = Findings::new("two_units_reply_at_the_same_moment");
    for round in 0..ROUNDS {
        let second_role = if round % 2 == 0 { "LEAD" } else { "SEPARATE" };
        let id = s.assigned(&format!("并发答复提案{round}"), &[(0, "LEAD"), (1, second_role)]).await;
        let answers = together(
            &s.app,
            vec![
                request(&s.unit_tokens[0], REPLY, json!({ "id": id, "o": "A" })),
                request(&s.unit_tokens[1], REPLY, json!({ "id": id, "o": "B" })),
            ],
        )
        .await;
        let mut bad: Vec<String> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| !race::succeeded(a))
            .map(|(i, a)| format!("LEAD+{second_role}: unit {i}'s reply refused: {}", race::outcome(a)))
            .collect();
        let p = s.view(&id).await;
        bad.extend(
            fully_replied(&p, &[&s.units[0], &s.units[1]], 2).into_iter().map(|b| format!("LEAD+{second_role}: {b}")),
        );
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(two_units_reply_at_the_same_moment);

/// Issue 11, case 2: a joint (会办) unit's answer is not awaited, but it is still taken
/// after the lead unit's reply made the proposal REPLIED (and while it is re-handled);
/// once the proposer has evaluated, or the office has concluded, it is too late.
async fn a_joint_unit_answers_after_the_lead(backend: Backend) {
    let s = setup(backend, 1).await;
    let mut f = Findings::new("a_joint_unit_answers_after_the_lead");

    // Lead first, joint after: both answers stand, the proposal stays REPLIED.
    let late = s.assigned("关于完善社区养老服务的提案", &[(0, "LEAD"), (1, "JOINT")]).await;
    let lead = s.reply(0, &late).await;
    f.check(lead.data()["replyToProposal"]["status"] == "REPLIED", || format!("lead reply: {}", lead.body));
    let joint = s.reply(1, &late).await;
    if f.ok("the joint unit replying after the lead (proposal REPLIED)", &joint) {
        f.check(joint.data()["replyToProposal"]["status"] == "REPLIED", || format!("joint reply: {}", joint.body));
    }
    let p = s.view(&late).await;
    f.check(p["status"] == "REPLIED", || format!("proposal is {} after the joint reply", p["status"]));
    f.check(p["replies"].as_array().unwrap().len() == 2, || format!("replies: {}", p["replies"]));
    f.check(assignment_status(&p, &s.units[1]) == "REPLIED", || {
        format!("the joint unit's assignment is {}", assignment_status(&p, &s.units[1]))
    });

    // Joint first (ASSIGNED), then the lead: as today.
    let early = s.assigned("关于规范小区物业服务的提案", &[(0, "LEAD"), (1, "JOINT")]).await;
    let joint = s.reply(1, &early).await;
    f.ok("the joint unit replying while ASSIGNED", &joint);
    let lead = s.reply(0, &early).await;
    f.ok("the lead unit replying after the joint", &lead);
    f.check(s.view(&early).await["status"] == "REPLIED", || "lead after joint: not REPLIED".into());

    // Re-handling: the joint unit may still answer.
    let again = s.assigned("关于加强农贸市场管理的提案", &[(0, "LEAD"), (1, "JOINT")]).await;
    s.reply(0, &again).await.data();
    let unhappy = s.evaluate(&again, "UNSATISFIED").await;
    f.check(unhappy.data()["evaluateProposal"]["status"] == "REHANDLING", || format!("{}", unhappy.body));
    f.ok("the joint unit replying while REHANDLING", &s.reply(1, &again).await);
    f.ok("the lead unit replying in the second round", &s.reply(0, &again).await);
    f.check(s.view(&again).await["status"] == "REPLIED", || "second round: not REPLIED".into());

    // Too late once evaluated, and once concluded; nothing is stored.
    let closed = s.assigned("关于治理餐饮油烟扰民的提案", &[(0, "LEAD"), (1, "JOINT")]).await;
    s.reply(0, &closed).await.data();
    s.evaluate(&closed, "SATISFIED").await.data();
    f.refused("the joint unit replying once EVALUATED", &s.reply(1, &closed).await, "BAD_USER_INPUT", None);
    s.as_office("mutation($id: ID!) { concludeProposal(id: $id) { status } }", json!({ "id": closed })).await.data();
    f.refused("the joint unit replying once CONCLUDED", &s.reply(1, &closed).await, "BAD_USER_INPUT", None);
    let p = s.view(&closed).await;
    f.check(p["replies"].as_array().unwrap().len() == 1, || format!("refused replies were stored: {}", p["replies"]));
    f.check(p["status"] == "CONCLUDED", || format!("concluded proposal is now {}", p["status"]));
    f.finish(&s.app).await;
}
both!(a_joint_unit_answers_after_the_lead);

/// Issue 11, case 2 (race): the lead and the joint unit answer at the same moment.
async fn lead_and_joint_units_reply_together(backend: Backend) {
    let s = setup(backend, 1).await;
    let mut findings = Findings::new("lead_and_joint_units_reply_together");
    for round in 0..ROUNDS {
        let id = s.assigned(&format!("主办会办同时答复提案{round}"), &[(0, "LEAD"), (1, "JOINT")]).await;
        let answers = together(
            &s.app,
            vec![
                request(&s.unit_tokens[0], REPLY, json!({ "id": id, "o": "A" })),
                request(&s.unit_tokens[1], REPLY, json!({ "id": id, "o": "B" })),
            ],
        )
        .await;
        let mut bad: Vec<String> = ["lead", "joint"]
            .iter()
            .zip(&answers)
            .filter(|(_, a)| !race::succeeded(a))
            .map(|(who, a)| format!("the {who} unit's reply refused: {}", race::outcome(a)))
            .collect();
        bad.extend(fully_replied(&s.view(&id).await, &[&s.units[0], &s.units[1]], 2));
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(lead_and_joint_units_reply_together);

/// Issue 11, case 5: A into B and B into A at the same moment. One merge wins; the other
/// is refused, and the winner's master is a live proposal, not itself merged.
async fn crossed_merges_cannot_form_a_cycle(backend: Backend) {
    let s = setup(backend, 2).await;
    let mut findings = Findings::new("crossed_merges_cannot_form_a_cycle");
    for round in 0..ROUNDS {
        let a = s.registered(0, &format!("关于治理城区交通拥堵的提案{round}")).await;
        let b = s.registered(1, &format!("关于缓解早晚高峰拥堵的提案{round}")).await;
        let answers = together(
            &s.app,
            vec![
                request(&s.office, MERGE, json!({ "id": a, "i": b })),
                request(&s.office, MERGE, json!({ "id": b, "i": a })),
            ],
        )
        .await;
        let mut bad = Vec::new();
        let wins = answers.iter().filter(|a| race::succeeded(a)).count();
        if wins != 1 {
            bad.push(format!(
                "{wins} merges succeeded: {} / {}",
                race::outcome(&answers[0]),
                race::outcome(&answers[1])
            ));
        }
        for answer in &answers {
            if let Some(code) = race::code(answer)
                && code != "BAD_USER_INPUT"
                && code != "CONFLICT"
            {
                bad.push(format!("a merge refused with {}", race::outcome(answer)));
            }
        }
        let (pa, pb) = (s.view(&a).await, s.view(&b).await);
        for (p, other) in [(&pa, &pb), (&pb, &pa)] {
            if p["status"] == "MERGED" && other["status"] == "MERGED" {
                bad.push(format!(
                    "both are MERGED: {} → {}, {} → {}",
                    p["id"], p["mergedIntoId"], other["id"], other["mergedIntoId"]
                ));
                break;
            }
        }
        findings.round(round, bad);
    }
    findings.finish(&s.app).await;
}
both!(crossed_merges_cannot_form_a_cycle);

/// Issue 11, case 5 (one at a time): a proposal cannot be merged into one that is merged,
/// withdrawn or rejected.
async fn merging_into_a_closed_proposal_is_refused(backend: Backend) {
    let s = setup(backend, 2).await;
    let mut f = Findings::new("merging_into_a_closed_proposal_is_refused");
    let master = s.registered(0, "关于治理城区交通拥堵的提案").await;
    let merged = s.registered(1, "关于缓解早晚高峰拥堵的提案").await;
    s.as_office(MERGE, json!({ "id": merged, "i": master })).await.data();
    let withdrawn = s.submitted(0, "关于增设公交专用道的提案").await;
    s.as_member(0, "mutation($id: ID!) { withdrawProposal(id: $id) { status } }", json!({ "id": withdrawn }))
        .await
        .data();
    let rejected = s.submitted(1, "关于某路口红绿灯时长的提案").await;
    s.as_office(
        "mutation($id: ID!) { rejectProposal(id: $id, reason: \"属具体事务\") { status } }",
        json!({ "id": rejected }),
    )
    .await
    .data();
    for (what, into) in [("MERGED", &merged), ("WITHDRAWN", &withdrawn), ("REJECTED", &rejected)] {
        let p = s.registered(0, &format!("想并入{what}提案的提案")).await;
        let a = s.as_office(MERGE, json!({ "id": p, "i": into })).await;
        f.refused(&format!("merging into a {what} proposal"), &a, "BAD_USER_INPUT", Some("intoId"));
        f.check(s.view(&p).await["status"] == "REGISTERED", || format!("after merging into {what}: not REGISTERED"));
    }
    f.finish(&s.app).await;
}
both!(merging_into_a_closed_proposal_is_refused);

/// Issue 11, case 7: a returned proposal is resubmitted under the same rules as a first
/// submission — a joint proposal needs a co-signer who accepted, and suggestions.
async fn resubmission_applies_the_submission_rules(backend: Backend) {
    let s = setup(backend, 1).await;
    let mut f = Findings::new("resubmission_applies_the_submission_rules");
    let edits = [
        ("turned into a JOINT proposal without co-signers", json!({ "kind": "JOINT" })),
        ("with its suggestions emptied", json!({ "suggestions": "" })),
    ];
    for (what, edit) in edits {
        let id = s.submitted(0, &format!("关于增加社区养老服务设施的提案（{what}）")).await;
        s.as_office(
            "mutation($id: ID!) { returnProposal(id: $id, reason: \"请补充具体建议\") { status } }",
            json!({ "id": id }),
        )
        .await
        .data();
        s.as_member(
            0,
            "mutation($id: ID!, $i: UpdateProposalDraftInput!) { updateProposalDraft(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": edit }),
        )
        .await
        .data();
        let again =
            s.as_member(0, "mutation($id: ID!) { resubmitProposal(id: $id) { status } }", json!({ "id": id })).await;
        f.refused(&format!("resubmitting a returned proposal {what}"), &again, "BAD_USER_INPUT", None);
        let status = s.view(&id).await["status"].clone();
        f.check(status == "RETURNED", || format!("{what}: the proposal is {status}, not RETURNED"));
        let register =
            s.as_office("mutation($id: ID!) { registerProposal(id: $id) { status } }", json!({ "id": id })).await;
        f.check(!race::succeeded(&register), || format!("{what}: the office registered it"));
    }
    f.finish(&s.app).await;
}
both!(resubmission_applies_the_submission_rules);

/// Issue 11, case 10b: a key proposal's supervisor (督办) is a chair or vice-chair of the
/// committee, not a handling unit's operator nor a plain member.
async fn key_proposal_supervisors_are_chairs(backend: Backend) {
    let s = setup(backend, 1).await;
    let mut f = Findings::new("key_proposal_supervisors_are_chairs");
    let id = s.registered(0, "关于推进城市更新的提案").await;
    let designate = |supervisor: String| {
        let s = &s;
        let id = id.clone();
        async move {
            s.as_office(
                "mutation($id: ID!, $k: KeyProposalInput!) { designateKeyProposal(id: $id, input: $k) { isKey keyProposal { supervisor { name } } } }",
                json!({ "id": id, "k": { "leadOfficial": "分管副市长", "supervisorId": supervisor } }),
            )
            .await
        }
    };
    let operator = designate(s.unit_user_ids[0].clone()).await;
    f.refused("a handling unit's operator as supervisor", &operator, "BAD_USER_INPUT", Some("supervisorId"));
    let member = designate(s.member_ids[0].clone()).await;
    f.refused("a plain member as supervisor", &member, "BAD_USER_INPUT", Some("supervisorId"));
    f.check(s.view(&id).await["status"] == "REGISTERED", || "refusals changed the proposal".into());
    let key = s.as_office("query($id: ID!) { proposal(id: $id) { isKey } }", json!({ "id": id })).await;
    f.check(key.data()["proposal"]["isKey"] == false, || "a refused designation made it a key proposal".into());

    // A vice-chair (office given when joining) and a chair (office given later).
    let vice = s.app.create_user(&s.office, "13900006101", "王副主席").await;
    s.app
        .add_membership(
            &s.office,
            json!({ "userId": vice, "organizationId": s.city, "role": "MEMBER", "office": "VICE_CHAIR", "standingCommittee": true }),
        )
        .await
        .data();
    let ok = designate(vice).await;
    if f.ok("a vice-chair as supervisor", &ok) {
        f.check(ok.data()["designateKeyProposal"]["keyProposal"]["supervisor"]["name"] == "王副主席", || {
            format!("{}", ok.body)
        });
    }
    let chair = s.app.create_user(&s.office, "13900006102", "李主席").await;
    let membership = s
        .app
        .add_membership(&s.office, json!({ "userId": chair, "organizationId": s.city, "role": "MEMBER" }))
        .await
        .data()["addMembership"]["id"]
        .clone();
    s.as_office(
        "mutation($id: ID!) { updateMembership(id: $id, input: { office: CHAIR, standingCommittee: true }) { id } }",
        json!({ "id": membership }),
    )
    .await
    .data();
    f.ok("the chair as supervisor", &designate(chair).await);
    f.finish(&s.app).await;
}
both!(key_proposal_supervisors_are_chairs);
