//! Proposals: the whole handling workflow over HTTP.
use serde_json::{Value, json};

use crate::{
    attachments::{fetch, pdf},
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
};

const FIELDS: &str =
    "id status effectiveStatus serialNumber round isKey mergedIntoId returnReason rejectReason convertedSuggestionId
  coSigners { status user { name } } assignments { status role overdue deadline unit { name } }
  replies { outcome round } evaluations { satisfaction round } result { summary }
  keyProposal { leadOfficial assistingOffice supervisor { name } promotingCommittee { name } }
  timeline { action from to note actor { name } }";

/// The office (the bootstrap admin), a special committee, three handling units with an
/// operator each, and `members` committee members.
pub(crate) struct Setup {
    pub app: TestApp,
    pub office: String,
    pub city: String,
    pub members: Vec<String>,
    pub member_ids: Vec<String>,
    pub units: Vec<String>,
    pub unit_tokens: Vec<String>,
    pub unit_user_ids: Vec<String>,
    pub committee: String,
}

pub(crate) async fn setup(backend: Backend, members: usize) -> Setup {
    let app = spawn_app(backend).await;
    let office = app.admin().await;
    let city = app.current_org(&office).await;
    let committee = app
        .gql(Some(&office), "mutation { createSpecialCommittee(input: { name: \"提案委员会\" }) { id } }", json!({}))
        .await
        .data()["createSpecialCommittee"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
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
        let phone = format!("1370000{:04}", 5000 + i);
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
        let phone = format!("1390000{:04}", 5000 + i);
        ids.push(app.person(&office, &phone, &format!("提案委员{i}"), &city, "MEMBER").await);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    Setup { app, office, city, members: tokens, member_ids: ids, units, unit_tokens, unit_user_ids, committee }
}

pub(crate) fn draft(title: &str) -> Value {
    json!({ "title": title, "background": "老旧小区多建于上世纪，无电梯，老年居民出行难。", "suggestions": "一、简化审批；二、加大补贴；三、统筹规划。", "category": "社会建设" })
}

impl Setup {
    pub(crate) async fn as_member(&self, who: usize, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.members[who]), q, vars).await
    }
    pub(crate) async fn as_office(&self, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.office), q, vars).await
    }
    async fn as_unit(&self, unit: usize, q: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.unit_tokens[unit]), q, vars).await
    }
    pub(crate) async fn create(&self, who: usize, input: Value) -> String {
        let a = self
            .as_member(
                who,
                "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id status } }",
                json!({ "i": input }),
            )
            .await;
        assert_eq!(a.data()["createProposalDraft"]["status"], "DRAFT");
        a.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned()
    }
    pub(crate) async fn submit(&self, who: usize, id: &str, key: &str) -> Answer {
        self.as_member(
            who,
            "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id status } }",
            json!({ "id": id, "k": key }),
        )
        .await
    }
    pub(crate) async fn submitted(&self, who: usize, title: &str) -> String {
        let id = self.create(who, draft(title)).await;
        self.submit(who, &id, &format!("k-{}", uuid::Uuid::new_v4())).await.data();
        id
    }
    pub(crate) async fn office_step(&self, op: &str, id: &str) -> Answer {
        self.as_office(
            &format!("mutation($id: ID!) {{ {op}(id: $id) {{ id status serialNumber }} }}"),
            json!({ "id": id }),
        )
        .await
    }
    async fn view(&self, token: &str, id: &str) -> Answer {
        self.app
            .gql(Some(token), &format!("query($id: ID!) {{ proposal(id: $id) {{ {FIELDS} }} }}"), json!({ "id": id }))
            .await
    }
    pub(crate) async fn assign(&self, id: &str, list: Value) -> Answer {
        self.as_office(
            "mutation($id: ID!, $a: [AssignmentInput!]!) { assignProposal(id: $id, assignments: $a) { status } }",
            json!({ "id": id, "a": list }),
        )
        .await
    }
    pub(crate) async fn reply(&self, unit: usize, id: &str, outcome: &str) -> Answer {
        self.as_unit(unit, "mutation($id: ID!, $o: ReplyOutcome!) { replyToProposal(id: $id, input: { outcome: $o, content: \"我局已会同相关部门研究办理……\", contact: \"王科长 0311-8000000\" }) { status } }", json!({ "id": id, "o": outcome })).await
    }
    /// Makes member `who` a vice-chair: the supervising leader (督办) of a key proposal is one.
    pub(crate) async fn appoint_vice_chair(&self, who: usize) {
        let member = self
            .as_office("query($u: ID!) { user(id: $u) { memberships { id } } }", json!({ "u": self.member_ids[who] }))
            .await;
        let membership = member.data()["user"]["memberships"][0]["id"].clone();
        self.as_office(
            "mutation($m: ID!) { updateMembership(id: $m, input: { office: VICE_CHAIR }) { id } }",
            json!({ "m": membership }),
        )
        .await
        .data();
    }
    pub(crate) async fn evaluate(&self, who: usize, id: &str, satisfaction: &str) -> Answer {
        self.as_member(who, "mutation($id: ID!, $s: Satisfaction!) { evaluateProposal(id: $id, input: { satisfaction: $s, communication: SATISFIED, attitude: SATISFIED, implementation: BASICALLY_SATISFIED, comment: \"沟通及时\" }) { status round } }", json!({ "id": id, "s": satisfaction })).await
    }
}

async fn joint_key_proposal_through_three_units_to_a_published_result(backend: Backend) {
    let s = setup(backend, 3).await;
    let mut input = draft("关于加快推进老旧小区加装电梯的提案");
    input["kind"] = json!("JOINT");
    input["submittedDuring"] = json!("SESSION");
    let id = s.create(0, input).await;

    // Co-signers: one accepts, one declines; a JOINT proposal needs an acceptance first.
    s.submit(0, &id, "joint-submit-0001").await.refused("BAD_USER_INPUT");
    s.as_member(
        0,
        "mutation($id: ID!, $u: [ID!]!) { inviteCoSigners(proposalId: $id, userIds: $u) { id } }",
        json!({ "id": id, "u": [s.member_ids[1], s.member_ids[2]] }),
    )
    .await
    .data();
    let invitations = s.as_member(1, "{ coSignInvitations { id title } }", json!({})).await;
    assert_eq!(invitations.data()["coSignInvitations"][0]["id"], id);
    s.as_member(1, "mutation($id: ID!) { respondToCoSign(proposalId: $id, accept: true) { id } }", json!({ "id": id }))
        .await
        .data();
    let submitted = s.submit(0, &id, "joint-submit-0001").await;
    assert_eq!(submitted.data()["submitProposal"]["status"], "SUBMITTED");
    let cosigners = s.view(&s.members[0], &id).await.data()["proposal"]["coSigners"].clone();
    let mut statuses: Vec<(&str, &str)> = cosigners
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["user"]["name"].as_str().unwrap(), c["status"].as_str().unwrap()))
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        vec![("提案委员1", "ACCEPTED"), ("提案委员2", "LAPSED")],
        "pending invitations lapse at submission"
    );

    let registered = s.office_step("registerProposal", &id).await;
    let serial = registered.data()["registerProposal"]["serialNumber"].as_str().unwrap().to_owned();
    assert!(serial.ends_with("-0001"), "{serial}");
    s.appoint_vice_chair(2).await;
    let key = s
        .as_office(
            "mutation($id: ID!, $k: KeyProposalInput!) { designateKeyProposal(id: $id, input: $k) { isKey } }",
            json!({ "id": id, "k": { "leadOfficial": "分管副市长", "supervisorId": s.member_ids[2], "promotingCommitteeId": s.committee, "assistingOffice": "两办督查室" } }),
        )
        .await;
    assert_eq!(key.data()["designateKeyProposal"]["isKey"], true);
    let assigned = s
        .assign(
            &id,
            json!([
                { "unitId": s.units[0], "role": "LEAD" },
                { "unitId": s.units[1], "role": "JOINT" },
                { "unitId": s.units[2], "role": "SEPARATE" }
            ]),
        )
        .await;
    assert_eq!(assigned.data()["assignProposal"]["status"], "ASSIGNED");

    // Units acknowledge (which starts the default three months) and reply; the joint unit's
    // answer is not awaited.
    let deadline = |p: &Answer| {
        chrono::DateTime::parse_from_rfc3339(p.data()["proposal"]["assignments"][0]["deadline"].as_str().unwrap())
            .unwrap()
    };
    let before = deadline(&s.view(&s.office, &id).await);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    s.as_unit(0, "mutation($id: ID!) { acknowledgeAssignment(id: $id) { id } }", json!({ "id": id })).await.data();
    let after = deadline(&s.view(&s.office, &id).await);
    assert!(after > before, "{before} → {after}");
    s.as_unit(0, "mutation($id: ID!) { acknowledgeAssignment(id: $id) { id } }", json!({ "id": id }))
        .await
        .refused("BAD_USER_INPUT");
    assert_eq!(
        s.reply(0, &id, "A").await.data()["replyToProposal"]["status"],
        "ASSIGNED",
        "the separate unit has not answered yet"
    );
    s.reply(0, &id, "A").await.refused("CONFLICT");
    s.evaluate(0, &id, "SATISFIED").await.refused("BAD_USER_INPUT");
    s.reply(1, &id, "B").await.data();
    // The separate unit encloses its stamped reply letter; the proposer can open it.
    let letter = s.app.uploaded(&s.unit_tokens[2], "PROPOSAL_REPLY", "答复函（盖章）.pdf", pdf(4000)).await;
    let replied = s
        .as_unit(2, "mutation($id: ID!, $a: [ID!]!) { replyToProposal(id: $id, input: { outcome: B, content: \"我局已研究办理……\", contact: \"李科长 0311-8000001\", attachmentIds: $a }) { status replies { attachments { fileName url } } } }", json!({ "id": id, "a": [letter] }))
        .await;
    assert_eq!(replied.data()["replyToProposal"]["status"], "REPLIED");
    let seen = s
        .as_member(
            0,
            "query($id: ID!) { proposal(id: $id) { replies { attachments { fileName url } } } }",
            json!({ "id": id }),
        )
        .await;
    let letters: Vec<&Value> = seen.data()["proposal"]["replies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["attachments"].as_array().unwrap())
        .collect();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["fileName"], "答复函（盖章）.pdf");
    let got = fetch(&s.app, letters[0]["url"].as_str().unwrap(), &[]).await;
    assert_eq!((got.status, got.bytes), (200, pdf(4000)));

    assert_eq!(s.evaluate(0, &id, "SATISFIED").await.data()["evaluateProposal"]["status"], "EVALUATED");
    s.office_step("concludeProposal", &id).await.data();
    let published = s
        .as_office("mutation($id: ID!) { publishProposalResult(id: $id, summary: \"全市已完成加装电梯120部，审批时限压缩至20个工作日。\") { result { summary } } }", json!({ "id": id }))
        .await;
    assert!(published.data()["publishProposalResult"]["result"]["summary"].as_str().unwrap().contains("120部"));

    let p = s.view(&s.members[1], &id).await;
    let p = &p.data()["proposal"];
    assert_eq!(p["status"], "CONCLUDED");
    assert_eq!(p["keyProposal"]["leadOfficial"], "分管副市长");
    assert_eq!(p["keyProposal"]["supervisor"]["name"], "提案委员2");
    assert_eq!(p["keyProposal"]["promotingCommittee"]["name"], "提案委员会");
    assert_eq!(p["replies"].as_array().unwrap().len(), 3);
    let steps: Vec<(&str, &str)> = p["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["to"].is_null() && !e["from"].is_null())
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        vec![
            ("DRAFT", "SUBMITTED"),
            ("SUBMITTED", "REGISTERED"),
            ("REGISTERED", "REGISTERED"),
            ("REGISTERED", "ASSIGNED"),
            ("ASSIGNED", "REPLIED"),
            ("REPLIED", "EVALUATED"),
            ("EVALUATED", "CONCLUDED"),
            ("CONCLUDED", "CONCLUDED"),
        ]
    );
    assert_eq!(p["timeline"][0]["actor"]["name"], "提案委员0");

    // The figures agree with the rows.
    let stats = s.as_office("{ proposalStats { submitted registered key evaluated satisfactionRate outcomes { name count } byKind { name count } byUnit { unit { name } assigned replied } } }", json!({})).await;
    let st = &stats.data()["proposalStats"];
    assert_eq!((st["submitted"].as_u64(), st["registered"].as_u64(), st["key"].as_u64()), (Some(1), Some(1), Some(1)));
    assert_eq!(st["outcomes"], json!([{ "name": "A", "count": 1 }, { "name": "B", "count": 2 }]));
    assert_eq!(st["byKind"], json!([{ "name": "JOINT", "count": 1 }]));
    assert_eq!(st["evaluated"], 1);
    assert_eq!(st["satisfactionRate"], 1.0);
    assert_eq!(st["byUnit"].as_array().unwrap().len(), 3);
    crate::invariants::check(&s.app).await;
}
both!(joint_key_proposal_through_three_units_to_a_published_result);

async fn return_resubmit_withdraw_and_drafts_stay_private(backend: Backend) {
    let s = setup(backend, 2).await;
    let id = s.create(0, draft("关于增加社区养老服务设施的提案")).await;
    // A draft is its author's only.
    s.view(&s.members[1], &id).await.refused("NOT_FOUND");
    s.view(&s.office, &id).await.refused("NOT_FOUND");
    let mine = s.as_member(1, "{ myProposals { totalCount } }", json!({})).await;
    assert_eq!(mine.data()["myProposals"]["totalCount"], 0);

    s.submit(0, &id, "return-key-00001").await.data();
    let returned = s
        .as_office(
            "mutation($id: ID!) { returnProposal(id: $id, reason: \"请补充具体建议\") { status returnReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(returned.data()["returnProposal"]["status"], "RETURNED");
    s.office_step("registerProposal", &id).await.refused("BAD_USER_INPUT");
    s.as_member(0, "mutation($id: ID!) { updateProposalDraft(id: $id, input: { suggestions: \"一、新增养老服务中心10处；二、……\" }) { id } }", json!({ "id": id })).await.data();
    let again =
        s.as_member(0, "mutation($id: ID!) { resubmitProposal(id: $id) { status } }", json!({ "id": id })).await;
    assert_eq!(again.data()["resubmitProposal"]["status"], "SUBMITTED");
    // Another member cannot act for the author, nor see a proposal before registration.
    s.as_member(1, "mutation($id: ID!) { withdrawProposal(id: $id) { status } }", json!({ "id": id }))
        .await
        .refused("NOT_FOUND");
    let withdrawn =
        s.as_member(0, "mutation($id: ID!) { withdrawProposal(id: $id) { status } }", json!({ "id": id })).await;
    assert_eq!(withdrawn.data()["withdrawProposal"]["status"], "WITHDRAWN");
    let refused = s.office_step("registerProposal", &id).await;
    refused.refused("BAD_USER_INPUT");
    assert!(refused.message().contains("已撤回") && refused.message().contains("立案"), "{}", refused.message());

    // Once registered, other members may read it; a unit only what is assigned to it.
    let public = s.submitted(0, "关于完善城市慢行系统的提案").await;
    s.view(&s.members[1], &public).await.refused("NOT_FOUND");
    s.office_step("registerProposal", &public).await.data();
    s.view(&s.members[1], &public).await.data();
    s.assign(&public, json!([{ "unitId": s.units[0], "role": "LEAD" }])).await.data();
    s.view(&s.unit_tokens[0], &public).await.data();
    s.view(&s.unit_tokens[1], &public).await.refused("NOT_FOUND");
    let unit_list = s.as_unit(1, "{ proposals { totalCount } }", json!({})).await;
    assert_eq!(unit_list.data()["proposals"]["totalCount"], 0);
    let unit_list = s.as_unit(0, "{ proposals { totalCount } }", json!({})).await;
    assert_eq!(unit_list.data()["proposals"]["totalCount"], 1);
    s.reply(1, &public, "A").await.refused("NOT_FOUND");
    s.as_member(1, "{ proposals { totalCount } }", json!({})).await.refused("FORBIDDEN");
    crate::invariants::check(&s.app).await;
}
both!(return_resubmit_withdraw_and_drafts_stay_private);

async fn reject_with_conversion_and_merge(backend: Backend) {
    let s = setup(backend, 2).await;
    let id = s.submitted(0, "关于某小区门口路灯损坏的提案").await;
    let rejected = s
        .as_office("mutation($id: ID!) { rejectProposal(id: $id, reason: \"属具体事务，不宜作为提案\", convertToSuggestion: true) { status rejectReason convertedSuggestionId } }", json!({ "id": id }))
        .await;
    let r = &rejected.data()["rejectProposal"];
    assert_eq!(r["status"], "REJECTED");
    let suggestion = r["convertedSuggestionId"].as_str().unwrap().to_owned();
    let mine =
        s.as_member(0, "{ mySuggestions { edges { node { id title status timeline { action } } } } }", json!({})).await;
    let node = &mine.data()["mySuggestions"]["edges"][0]["node"];
    assert_eq!(node["id"], suggestion);
    assert_eq!(node["title"], "关于某小区门口路灯损坏的提案");
    assert_eq!(node["timeline"][0]["action"], "CONVERTED");
    s.as_office("mutation($id: ID!) { rejectProposal(id: $id, reason: \"  \") { status } }", json!({ "id": id }))
        .await
        .refused("BAD_USER_INPUT");

    // Merge: the merged proposal follows its master.
    let master = s.submitted(0, "关于治理城区交通拥堵的提案").await;
    let twin = s.submitted(1, "关于缓解早晚高峰拥堵的提案").await;
    s.office_step("registerProposal", &master).await.data();
    s.as_office(
        "mutation($id: ID!, $i: ID!) { mergeProposal(id: $id, intoId: $i) { status } }",
        json!({ "id": master, "i": master }),
    )
    .await
    .refused("BAD_USER_INPUT");
    let merged = s.as_office("mutation($id: ID!, $i: ID!) { mergeProposal(id: $id, intoId: $i) { status mergedIntoId effectiveStatus } }", json!({ "id": twin, "i": master })).await;
    let m = &merged.data()["mergeProposal"];
    assert_eq!(m["status"], "MERGED");
    assert_eq!(m["mergedIntoId"], master);
    assert_eq!(m["effectiveStatus"], "REGISTERED");
    s.assign(&master, json!([{ "unitId": s.units[0], "role": "LEAD" }])).await.data();
    let follows = s.view(&s.members[1], &twin).await;
    assert_eq!(follows.data()["proposal"]["effectiveStatus"], "ASSIGNED");
    s.assign(&master, json!([{ "unitId": s.units[1], "role": "JOINT" }])).await.refused("BAD_USER_INPUT");

    let stats = s
        .as_office(
            "{ proposalStats { submitted registered notRegistered merged withdrawn byCategory { name count } } }",
            json!({}),
        )
        .await;
    let st = &stats.data()["proposalStats"];
    assert_eq!(
        (
            st["submitted"].as_u64(),
            st["registered"].as_u64(),
            st["notRegistered"].as_u64(),
            st["merged"].as_u64(),
            st["withdrawn"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1), Some(0))
    );
    assert_eq!(st["byCategory"], json!([{ "name": "社会建设", "count": 3 }]));
    crate::invariants::check(&s.app).await;
}
both!(reject_with_conversion_and_merge);

async fn unsatisfied_sends_it_back_to_the_units(backend: Backend) {
    let s = setup(backend, 1).await;
    let id = s.submitted(0, "关于提升农村供水保障的提案").await;
    s.office_step("registerProposal", &id).await.data();
    // Reassignment: the unit asks to be relieved; the office assigns another.
    s.assign(&id, json!([{ "unitId": s.units[1], "role": "LEAD" }])).await.data();
    let relieved = s
        .as_unit(
            1,
            "mutation($id: ID!) { requestReassignment(id: $id, reason: \"不属我局职责\") { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(relieved.data()["requestReassignment"]["status"], "REGISTERED");
    s.view(&s.unit_tokens[1], &id).await.refused("NOT_FOUND");
    s.assign(&id, json!([{ "unitId": s.units[0], "role": "LEAD" }, { "unitId": s.units[2], "role": "JOINT" }]))
        .await
        .data();

    s.reply(0, &id, "C").await.data();
    let unhappy = s.evaluate(0, &id, "UNSATISFIED").await;
    assert_eq!(unhappy.data()["evaluateProposal"]["status"], "REHANDLING");
    assert_eq!(unhappy.data()["evaluateProposal"]["round"], 2);
    let p = s.view(&s.office, &id).await;
    let lead = p.data()["proposal"]["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "LEAD" && a["status"] != "REASSIGN_REQUESTED")
        .unwrap()
        .clone();
    assert_eq!(lead["status"], "ASSIGNED", "the lead unit is asked again");
    assert_eq!(
        s.reply(0, &id, "B").await.data()["replyToProposal"]["status"],
        "REPLIED",
        "a second reply in the new round"
    );
    assert_eq!(s.evaluate(0, &id, "BASICALLY_SATISFIED").await.data()["evaluateProposal"]["status"], "EVALUATED");
    let p = s.view(&s.members[0], &id).await;
    let rounds: Vec<u64> =
        p.data()["proposal"]["replies"].as_array().unwrap().iter().map(|r| r["round"].as_u64().unwrap()).collect();
    assert_eq!(rounds, vec![1, 2]);
    let stats =
        s.as_office("{ proposalStats { evaluated satisfaction { name count } satisfactionRate } }", json!({})).await;
    assert_eq!(
        stats.data()["proposalStats"]["satisfaction"],
        json!([{ "name": "BASICALLY_SATISFIED", "count": 1 }]),
        "the latest evaluation counts"
    );
    crate::invariants::check(&s.app).await;
}
both!(unsatisfied_sends_it_back_to_the_units);

async fn idempotent_submission_and_concurrent_registration(backend: Backend) {
    let s = setup(backend, 1).await;
    let id = s.create(0, draft("关于加强校园周边交通安全的提案")).await;
    let first = s.submit(0, &id, "retry-submit-0001").await;
    let again = s.submit(0, &id, "retry-submit-0001").await;
    assert_eq!(first.body, again.body, "the same key returns the same result");
    let submissions = s.view(&s.members[0], &id).await.data()["proposal"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "SUBMITTED")
        .count();
    assert_eq!(submissions, 1);
    s.submit(0, &id, "another-key-0002").await.refused("BAD_USER_INPUT");
    let other = s.create(0, draft("另一件提案")).await;
    let reused = s.submit(0, &other, "retry-submit-0001").await;
    reused.refused("CONFLICT");
    assert_eq!(reused.field(), "idempotencyKey");

    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(s.submitted(0, &format!("并发立案测试提案{i}")).await);
    }
    let registrations = ids.iter().map(|id| s.office_step("registerProposal", id));
    let answers = futures_util::future::join_all(registrations).await;
    let mut numbers: Vec<u32> = answers
        .iter()
        .map(|a| {
            a.data()["registerProposal"]["serialNumber"].as_str().unwrap().rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=20).collect::<Vec<u32>>(), "distinct, consecutive, no gaps");
    crate::invariants::check(&s.app).await;
}
both!(idempotent_submission_and_concurrent_registration);

async fn collective_kinds_and_overdue_assignments(backend: Backend) {
    let s = setup(backend, 1).await;
    let create =
        "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id kind committee { name } } }";
    let mut party = draft("关于支持民营经济发展的提案");
    party["kind"] = json!("PARTY");
    party["party"] = json!("CDL");
    s.as_member(0, create, json!({ "i": party.clone() })).await.refused("FORBIDDEN");
    let mut sector = draft("界别提案");
    sector["kind"] = json!("SECTOR");
    sector["sectorId"] = json!("01890000-0000-7000-8000-000000000000");
    s.as_member(0, create, json!({ "i": sector })).await.refused("FORBIDDEN");
    assert_eq!(s.as_office(create, json!({ "i": party })).await.data()["createProposalDraft"]["kind"], "PARTY");
    let mut committee = draft("关于提升提案办理质量的提案");
    committee["kind"] = json!("COMMITTEE");
    committee["committeeId"] = json!(s.committee);
    let by_committee = s.as_office(create, json!({ "i": committee })).await;
    assert_eq!(by_committee.data()["createProposalDraft"]["committee"]["name"], "提案委员会");
    let empty = s.as_member(0, create, json!({ "i": { "title": " ", "category": "其他" } })).await;
    empty.refused("BAD_USER_INPUT");
    assert_eq!(empty.field(), "title");

    // An assignment past its deadline without a reply is overdue, on the proposal and in filters.
    let id = s.submitted(0, "关于规范停车收费的提案").await;
    s.office_step("registerProposal", &id).await.data();
    let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    s.assign(&id, json!([{ "unitId": s.units[0], "role": "LEAD", "deadline": soon }])).await.data();
    let late = "{ proposals(filter: { overdue: true }) { totalCount } }";
    assert_eq!(s.as_office(late, json!({})).await.data()["proposals"]["totalCount"], 0);
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    assert_eq!(s.as_office(late, json!({})).await.data()["proposals"]["totalCount"], 1);
    assert_eq!(s.view(&s.office, &id).await.data()["proposal"]["assignments"][0]["overdue"], true);
    assert_eq!(s.as_office("{ proposalStats { overdue } }", json!({})).await.data()["proposalStats"]["overdue"], 1);
    s.reply(0, &id, "A").await.data();
    assert_eq!(s.as_office(late, json!({})).await.data()["proposals"]["totalCount"], 0, "a reply ends it");
    crate::invariants::check(&s.app).await;
}
both!(collective_kinds_and_overdue_assignments);
