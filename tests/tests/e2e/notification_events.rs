//! Every event kind `notifications.rs` does not cover reaches exactly the people it
//! concerns — never the actor, never another member — plus a visit opened to its audience
//! (host and invited organizations) and the inbox's own races: a double-tapped read mark
//! and two preference changes at once.
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::sync::Barrier;

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app},
    proposals, visits,
};

const INBOX: &str = "{ notifications(first: 100) { edges { node { id kind title body subjectType subjectId readAt } } } unreadNotificationCount }";

async fn dispatched(app: &TestApp) {
    api::notifications::dispatcher::run_until_idle(&app.state.db).await.expect("dispatch");
}

async fn inbox(app: &TestApp, token: &str) -> Vec<Value> {
    let a = app.gql(Some(token), INBOX, json!({})).await;
    a.data()["notifications"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

/// The kinds in a person's inbox, sorted (which order the steps came in is not the point).
async fn kinds(app: &TestApp, token: &str) -> Vec<String> {
    let mut k: Vec<String> = inbox(app, token).await.iter().map(|n| n["kind"].as_str().unwrap().to_owned()).collect();
    k.sort_unstable();
    k
}

fn sorted(k: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = k.iter().map(|s| (*s).to_owned()).collect();
    k.sort_unstable();
    k
}

async fn unread(app: &TestApp, token: &str) -> u64 {
    app.gql(Some(token), "{ unreadNotificationCount }", json!({})).await.data()["unreadNotificationCount"]
        .as_u64()
        .unwrap()
}

/// The one notice of `kind` in a person's inbox.
async fn the(app: &TestApp, token: &str, kind: &str) -> Value {
    let all: Vec<Value> = inbox(app, token).await.into_iter().filter(|n| n["kind"] == kind).collect();
    assert_eq!(all.len(), 1, "one {kind}: {all:?}");
    all[0].clone()
}

/// Accepted, published in a bulletin, reported, adopted with a leader's instruction: the
/// authors hear of each step (the adoption with the instruction), nobody else.
async fn suggestion_published_reported_adopted(backend: Backend) {
    let o = visits::org(backend, 3).await;
    let submit =
        "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id } }";
    let piece = json!({ "title": "关于老旧小区加装电梯的建议", "content": "推进缓慢。", "category": "城市管理", "coAuthorIds": [o.users[1]] });
    let a = o.app.gql(Some(&o.tokens[0]), submit, json!({ "i": piece, "k": "events-sugg-0001" })).await;
    let id = a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
    let office = |q: &'static str, vars: Value| {
        let app = &o.app;
        let admin = o.admin.clone();
        async move { app.gql(Some(&admin), q, vars).await }
    };
    office("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id })).await.data();
    let issue =
        office("mutation { createBulletinIssue(input: { title: \"社情民意\", number: 3 }) { id } }", json!({})).await;
    let issue = issue.data()["createBulletinIssue"]["id"].as_str().unwrap().to_owned();
    office(
        "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"加装电梯亟待提速\", editedContent: \"据委员反映……\") { id } }",
        json!({ "i": issue, "s": id }),
    )
    .await
    .data();
    office("mutation($i: ID!) { publishBulletin(issueId: $i) { status } }", json!({ "i": issue })).await.data();
    office(
        "mutation($id: ID!) { reportSuggestion(id: $id, recipients: { bodies: [\"市委\"] }) { status } }",
        json!({ "id": id }),
    )
    .await
    .data();
    office(
        "mutation($id: ID!, $d: NaiveDate!) { recordAdoption(id: $id, input: { level: MUNICIPAL, form: SINGLE, adoptedBy: \"市委办公室\", adoptedAt: $d, instruction: \"请市住建局研究办理\", instructedBy: \"副市长\" }) { status } }",
        json!({ "id": id, "d": api::calendar::today().to_string() }),
    )
    .await
    .data();
    dispatched(&o.app).await;

    let steps = sorted(&["SUGGESTION_ACCEPTED", "SUGGESTION_PUBLISHED", "SUGGESTION_REPORTED", "SUGGESTION_ADOPTED"]);
    for t in &o.tokens[..2] {
        assert_eq!(kinds(&o.app, t).await, steps);
        let adopted = the(&o.app, t, "SUGGESTION_ADOPTED").await;
        assert_eq!(adopted["title"], "您的社情民意信息已被采用");
        // The instruction on a line of its own, once.
        assert_eq!(
            adopted["body"],
            "《关于老旧小区加装电梯的建议》\n市委办公室采用\n批示（副市长）：请市住建局研究办理"
        );
        assert_eq!(adopted["subjectType"], "SUGGESTION");
        assert_eq!(adopted["subjectId"], id);
        let published = the(&o.app, t, "SUGGESTION_PUBLISHED").await;
        assert!(published["body"].as_str().unwrap().starts_with("《关于老旧小区加装电梯的建议》"));
    }
    assert!(kinds(&o.app, &o.tokens[2]).await.is_empty(), "another member hears nothing");
    assert!(kinds(&o.app, &o.admin).await.is_empty(), "the actor hears nothing");
}
both!(suggestion_published_reported_adopted);

/// Co-sign answers (yes and no) to the author; registered … result published to the
/// proposers; an unsatisfied evaluation asks the lead unit again (that unit only);
/// rejected and merged to their own authors.
async fn proposal_outcomes(backend: Backend) {
    let s = proposals::setup(backend, 4).await;
    let mut input = proposals::draft("关于加装电梯的提案");
    input["kind"] = json!("JOINT");
    let id = s.create(0, input).await;
    s.as_member(
        0,
        "mutation($id: ID!, $u: [ID!]!) { inviteCoSigners(proposalId: $id, userIds: $u) { id } }",
        json!({ "id": id, "u": [s.member_ids[1], s.member_ids[2]] }),
    )
    .await
    .data();
    let answer = "mutation($id: ID!, $a: Boolean!) { respondToCoSign(proposalId: $id, accept: $a) { id } }";
    // The dispatcher runs within a fraction of a second of a step: before the answers.
    dispatched(&s.app).await;
    s.as_member(1, answer, json!({ "id": id, "a": true })).await.data();
    s.as_member(2, answer, json!({ "id": id, "a": false })).await.data();
    s.as_member(
        0,
        "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"events-submit-1\") { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    s.as_office("mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id })).await.data();

    // Another member's proposals: one rejected, one merged into the first.
    let rejected = s.submitted(3, "关于某路口红绿灯的提案").await;
    s.as_office(
        "mutation($id: ID!) { rejectProposal(id: $id, reason: \"属具体事务\") { status } }",
        json!({ "id": rejected }),
    )
    .await
    .data();
    let twin = s.submitted(3, "关于老旧小区电梯的提案").await;
    s.as_office(
        "mutation($id: ID!, $i: ID!) { mergeProposal(id: $id, intoId: $i) { status } }",
        json!({ "id": twin, "i": id }),
    )
    .await
    .data();

    s.as_office(
        "mutation($id: ID!, $a: [AssignmentInput!]!) { assignProposal(id: $id, assignments: $a) { status } }",
        json!({ "id": id, "a": [{ "unitId": s.units[0], "role": "LEAD" }, { "unitId": s.units[1], "role": "JOINT" }] }),
    )
    .await
    .data();
    let reply = "mutation($id: ID!) { replyToProposal(id: $id, input: { outcome: C, content: \"正在研究\", contact: \"王科长\" }) { status } }";
    s.app.gql(Some(&s.unit_tokens[0]), reply, json!({ "id": id })).await.data();
    let evaluate = "mutation($id: ID!, $s: Satisfaction!) { evaluateProposal(id: $id, input: { satisfaction: $s, communication: SATISFIED, attitude: SATISFIED, implementation: SATISFIED }) { status } }";
    let unhappy = s.as_member(0, evaluate, json!({ "id": id, "s": "UNSATISFIED" })).await;
    assert_eq!(unhappy.data()["evaluateProposal"]["status"], "REHANDLING");
    dispatched(&s.app).await;
    let again = the(&s.app, &s.unit_tokens[0], "UNIT_REHANDLING").await;
    assert_eq!(again["title"], "提案人不满意，请重新办理");
    assert_eq!(again["subjectId"], id);

    s.app.gql(Some(&s.unit_tokens[0]), reply, json!({ "id": id })).await.data();
    s.as_member(0, evaluate, json!({ "id": id, "s": "SATISFIED" })).await.data();
    s.as_office("mutation($id: ID!) { concludeProposal(id: $id) { status } }", json!({ "id": id })).await.data();
    s.as_office(
        "mutation($id: ID!) { publishProposalResult(id: $id, summary: \"已加装电梯120部\") { id } }",
        json!({ "id": id }),
    )
    .await
    .data();
    dispatched(&s.app).await;

    let news = [
        "PROPOSAL_REGISTERED",
        "PROPOSAL_ASSIGNED",
        "PROPOSAL_REPLIED",
        "PROPOSAL_REPLIED",
        "PROPOSAL_CONCLUDED",
        "PROPOSAL_RESULT_PUBLISHED",
    ];
    let author: Vec<&str> = news.iter().copied().chain(["COSIGN_ANSWERED", "COSIGN_ANSWERED"]).collect();
    assert_eq!(kinds(&s.app, &s.members[0]).await, sorted(&author));
    let mut titles: Vec<String> = inbox(&s.app, &s.members[0])
        .await
        .iter()
        .filter(|n| n["kind"] == "COSIGN_ANSWERED")
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, ["提案委员1同意联名您的提案", "提案委员2谢绝联名您的提案"]);
    // The co-signer who accepted shares the news; the one who declined does not.
    let cosigner: Vec<&str> = news.iter().copied().chain(["COSIGN_INVITED"]).collect();
    assert_eq!(kinds(&s.app, &s.members[1]).await, sorted(&cosigner));
    assert_eq!(kinds(&s.app, &s.members[2]).await, ["COSIGN_INVITED"]);
    // The other member: their own rejection and merger, nothing of the first proposal.
    assert_eq!(kinds(&s.app, &s.members[3]).await, sorted(&["PROPOSAL_REJECTED", "PROPOSAL_MERGED"]));
    let no = the(&s.app, &s.members[3], "PROPOSAL_REJECTED").await;
    assert_eq!(no["body"], "《关于某路口红绿灯的提案》\n属具体事务");
    assert_eq!(the(&s.app, &s.members[3], "PROPOSAL_MERGED").await["subjectId"], twin);
    // Units: the lead is asked again; the joint unit only heard of its assignment.
    assert_eq!(kinds(&s.app, &s.unit_tokens[0]).await, sorted(&["UNIT_ASSIGNED", "UNIT_REHANDLING"]));
    assert_eq!(kinds(&s.app, &s.unit_tokens[1]).await, ["UNIT_ASSIGNED"]);
    assert!(kinds(&s.app, &s.unit_tokens[2]).await.is_empty());
    assert!(kinds(&s.app, &s.office).await.is_empty(), "the office acted: nothing");
}
both!(proposal_outcomes);

/// A visit opened to the standing committee, a sector and two named people (one a unit
/// operator): exactly its members are told; then the places: leave approved and refused,
/// a waiting-list place confirmed, the arrangements changed, and sign-up reopened (only
/// those not yet signed up are told again).
async fn visit_opened_and_its_places(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let sector = app.create_sector(&admin, "科技界").await;
    let unit = app
        .gql(Some(&admin), "mutation { createHandlingUnit(input: { name: \"市科技局\" }) { id } }", json!({}))
        .await
        .data()["createHandlingUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // 0 standing committee, 1 and 2 in the sector, 3 a CDL member, 4 nobody in particular,
    // 5 named, 6 a unit operator (named), 7 office staff.
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..8 {
        let phone = format!("1390000{:04}", 8100 + i);
        let user = app.create_user(&admin, &phone, &format!("成员{i}")).await;
        let (role, extra) = match i {
            0 => ("MEMBER", json!({ "standingCommittee": true })),
            1 | 2 => ("MEMBER", json!({ "sectorId": sector })),
            3 => ("MEMBER", json!({ "party": "CDL" })),
            6 => ("UNIT", json!({ "handlingUnitId": unit })),
            7 => ("STAFF", json!({})),
            _ => ("MEMBER", json!({})),
        };
        app.join(&admin, &user, &city, role, extra).await;
        users.push(user);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    let starts = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let v = app
        .gql(
            Some(&admin),
            "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
            json!({ "i": { "kind": "INSPECTION", "title": "科技创新专题视察", "place": "高新区", "startsAt": starts, "capacity": 2,
                "audience": { "standingCommittee": true, "sectorIds": [sector], "userIds": [users[5], users[6]] } } }),
        )
        .await;
    let vid = v.data()["createVisit"]["id"].as_str().unwrap().to_owned();
    let step = |op: &str| format!("mutation($id: ID!) {{ {op}(id: $id) {{ status }} }}");
    app.gql(Some(&admin), &step("openVisitSignup"), json!({ "id": vid })).await.data();
    dispatched(&app).await;

    for who in [0, 1, 2, 5] {
        let opened = the(&app, &tokens[who], "VISIT_OPENED").await;
        assert_eq!(opened["title"], "活动开始报名");
        assert!(opened["body"].as_str().unwrap().starts_with("《科技创新专题视察》\n"), "{opened}");
        assert!(opened["body"].as_str().unwrap().contains("高新区"));
        assert_eq!((&opened["subjectType"], &opened["subjectId"]), (&json!("VISIT"), &json!(vid)));
    }
    for who in [3, 4, 6, 7] {
        assert!(kinds(&app, &tokens[who]).await.is_empty(), "{who} is not in the audience");
    }
    assert!(kinds(&app, &admin).await.is_empty());
    // Who was told is who may sign up.
    let can = "query($id: ID!) { visit(id: $id) { canSignUp } }";
    for who in [0, 1, 2, 5] {
        assert_eq!(app.gql(Some(&tokens[who]), can, json!({ "id": vid })).await.data()["visit"]["canSignUp"], true);
    }
    let sign_up = "mutation($id: ID!) { signUpForVisit(id: $id) { status } }";
    for who in [3, 4, 6] {
        app.gql(Some(&tokens[who]), sign_up, json!({ "id": vid })).await.refused("FORBIDDEN");
    }

    // Two places: 0 and 1 confirmed, 2 on the waiting list.
    for who in [0, 1, 2] {
        app.gql(Some(&tokens[who]), sign_up, json!({ "id": vid })).await.data();
    }
    let leave = "mutation($id: ID!) { requestLeave(id: $id, reason: \"有会\") { status } }";
    app.gql(Some(&tokens[1]), leave, json!({ "id": vid })).await.data();
    app.gql(Some(&tokens[0]), leave, json!({ "id": vid })).await.data();
    let decide = |op: &str| format!("mutation($v: ID!, $u: ID!) {{ {op}(visitId: $v, userId: $u) {{ status }} }}");
    let approved = app.gql(Some(&admin), &decide("approveLeave"), json!({ "v": vid, "u": users[1] })).await;
    assert_eq!(approved.data()["approveLeave"]["status"], "ON_LEAVE");
    let refuse = "mutation($v: ID!, $u: ID!) { approveLeave(visitId: $v, userId: $u, approve: false) { status } }";
    let refused = app.gql(Some(&admin), refuse, json!({ "v": vid, "u": users[0] })).await;
    assert_eq!(refused.data()["approveLeave"]["status"], "CONFIRMED");
    app.gql(
        Some(&admin),
        "mutation($id: ID!) { updateVisit(id: $id, input: { place: \"高新区管委会\" }) { id } }",
        json!({ "id": vid }),
    )
    .await
    .data();
    app.gql(Some(&admin), &step("closeVisitSignup"), json!({ "id": vid })).await.data();
    app.gql(Some(&admin), &step("openVisitSignup"), json!({ "id": vid })).await.data();
    dispatched(&app).await;

    assert_eq!(kinds(&app, &tokens[0]).await, sorted(&["VISIT_OPENED", "LEAVE_REFUSED", "VISIT_CHANGED"]));
    assert_eq!(kinds(&app, &tokens[1]).await, sorted(&["VISIT_OPENED", "LEAVE_APPROVED", "VISIT_CHANGED"]));
    assert_eq!(kinds(&app, &tokens[2]).await, sorted(&["VISIT_OPENED", "WAITLIST_CONFIRMED", "VISIT_CHANGED"]));
    assert_eq!(kinds(&app, &tokens[5]).await, ["VISIT_OPENED", "VISIT_OPENED"], "reopened: told again");
    assert_eq!(the(&app, &tokens[2], "WAITLIST_CONFIRMED").await["title"], "您已由候补转为正式参加");
    assert_eq!(the(&app, &tokens[1], "LEAVE_APPROVED").await["title"], "您的请假已获批准");
    assert_eq!(the(&app, &tokens[0], "LEAVE_REFUSED").await["title"], "您的请假未获批准");
    for who in [3, 4, 6, 7] {
        assert!(kinds(&app, &tokens[who]).await.is_empty(), "{who} hears nothing");
    }
    assert!(kinds(&app, &admin).await.is_empty());
}
both!(visit_opened_and_its_places);

/// A joint inspection opened to a sector of the host and to an invited county: the
/// county's members (not its unit operator) find it in the county's inbox.
async fn joint_inspection_opened_to_invited_members(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "测试县政协", "COUNTY", &city).await;
    let sector = app.create_sector(&admin, "农业界").await;
    let phone = |i: usize| format!("1390000{:04}", 8200 + i);
    let in_sector = app.create_user(&admin, &phone(0), "市委员甲").await;
    app.join(&admin, &in_sector, &city, "MEMBER", json!({ "sectorId": sector })).await;
    let outside = app.person(&admin, &phone(1), "市委员乙", &city, "MEMBER").await;
    let guest = app.person(&admin, &phone(2), "县委员", &county, "MEMBER").await;
    let unit = app
        .gql(
            Some(&admin),
            "mutation($o: ID!) { createHandlingUnit(input: { name: \"县农业局\", organizationId: $o }) { id } }",
            json!({ "o": county }),
        )
        .await
        .data()["createHandlingUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let operator = app.create_user(&admin, &phone(3), "县办理员").await;
    app.join(&admin, &operator, &county, "UNIT", json!({ "handlingUnitId": unit })).await;
    let _ = (outside, guest);
    let tokens: Vec<String> = {
        let mut t = Vec::new();
        for i in 0..4 {
            t.push(app.login(&phone(i), PASSWORD).await.access);
        }
        t
    };
    let starts = (chrono::Utc::now() + chrono::Duration::days(5)).to_rfc3339();
    let v = app
        .gql(
            Some(&admin),
            "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
            json!({ "i": { "kind": "JOINT_INSPECTION", "title": "高标准农田联动视察", "place": "各县", "startsAt": starts,
                "audience": { "sectorIds": [sector] }, "invitedOrganizationIds": [county] } }),
        )
        .await;
    let vid = v.data()["createVisit"]["id"].as_str().unwrap().to_owned();
    app.gql(Some(&admin), "mutation($id: ID!) { openVisitSignup(id: $id) { status } }", json!({ "id": vid }))
        .await
        .data();
    dispatched(&app).await;
    assert_eq!(kinds(&app, &tokens[0]).await, ["VISIT_OPENED"]);
    assert!(kinds(&app, &tokens[1]).await.is_empty(), "outside the sector");
    assert_eq!(kinds(&app, &tokens[2]).await, ["VISIT_OPENED"], "in the county's inbox");
    assert!(kinds(&app, &tokens[3]).await.is_empty(), "unit operators do not take part");
    // And the invited member may indeed sign up.
    let a =
        app.gql(Some(&tokens[2]), "mutation($id: ID!) { signUpForVisit(id: $id) { status } }", json!({ "id": vid }));
    assert_eq!(a.await.data()["signUpForVisit"]["status"], "CONFIRMED");
}
both!(joint_inspection_opened_to_invited_members);

/// The same member taps "read" N times at once, several rounds: each notice is marked
/// once (the `marked` answers add up to one), keeps its first read time, and the count
/// goes down by one per round.
async fn double_tapped_read_marks(backend: Backend) {
    const N: usize = 6;
    const ROUNDS: usize = 4;
    let o = visits::org(backend, 1).await;
    let create = "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }";
    for i in 0..ROUNDS {
        let input = json!({ "title": format!("通报{i}"), "summary": "摘要", "body": "正文", "source": "市政府", "audience": { "everyone": true } });
        let id = o.app.gql(Some(&o.admin), create, json!({ "i": input })).await.data()["createBriefing"]["id"].clone();
        o.app
            .gql(Some(&o.admin), "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
    }
    dispatched(&o.app).await;
    let me = o.tokens[0].clone();
    let ids: Vec<Value> = inbox(&o.app, &me).await.iter().map(|n| n["id"].clone()).collect();
    assert_eq!(ids.len(), ROUNDS);
    let app = Arc::new(o.app);
    let mark = "mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) { marked unreadNotificationCount } }";
    for (round, id) in ids.iter().enumerate() {
        let barrier = Arc::new(Barrier::new(N));
        let taps: Vec<_> = (0..N)
            .map(|_| {
                let (app, barrier, me, id) = (app.clone(), barrier.clone(), me.clone(), id.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    app.gql(Some(&me), mark, json!({ "ids": [id] })).await
                })
            })
            .collect();
        let mut marked = 0;
        for t in taps {
            let a = t.await.unwrap();
            marked += a.data()["markNotificationsRead"]["marked"].as_u64().unwrap();
        }
        assert_eq!(marked, 1, "round {round}: read once");
        assert_eq!(unread(&app, &me).await, (ROUNDS - round - 1) as u64);
        let read_at = inbox(&app, &me).await.into_iter().find(|n| n["id"] == *id).unwrap()["readAt"].clone();
        assert!(!read_at.is_null());
        app.gql(Some(&me), mark, json!({ "ids": [id] })).await.data();
        let again = inbox(&app, &me).await.into_iter().find(|n| n["id"] == *id).unwrap()["readAt"].clone();
        assert_eq!(read_at, again, "the first read time stays");
    }
    assert_eq!(unread(&app, &me).await, 0);
}
both!(double_tapped_read_marks);

/// `setNotificationPreference` for one kind, on and off at once, several rounds: one row,
/// each answer says what that request set, and the settings agree with the row.
async fn concurrent_preference_changes(backend: Backend) {
    const N: usize = 6;
    let o = visits::org(backend, 1).await;
    let me = o.tokens[0].clone();
    let user = o.users[0].clone();
    let app = Arc::new(o.app);
    let set = "mutation($p: Boolean!) { setNotificationPreference(kind: \"VISIT_OPENED\", push: $p) { kind push } }";
    for round in 0..4 {
        let barrier = Arc::new(Barrier::new(N));
        let taps: Vec<_> = (0..N)
            .map(|i| {
                let (app, barrier, me) = (app.clone(), barrier.clone(), me.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let push = (i + round) % 2 == 0;
                    (push, app.gql(Some(&me), set, json!({ "p": push })).await)
                })
            })
            .collect();
        for t in taps {
            let (push, a) = t.await.unwrap();
            let got = &a.data()["setNotificationPreference"];
            assert_eq!(got["kind"], "VISIT_OPENED");
            assert_eq!(got["push"], push, "round {round}: the answer is what this request set");
        }
        let db = &app.state.db;
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                match backend {
                    sea_orm::DbBackend::Postgres => {
                        "SELECT push FROM notification_preference WHERE user_id = $1 AND kind = 'VISIT_OPENED'"
                    }
                    _ => "SELECT push FROM notification_preference WHERE user_id = ? AND kind = 'VISIT_OPENED'",
                },
                [uuid::Uuid::parse_str(&user).unwrap().into()],
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "round {round}: one row");
        let stored: bool = rows[0].try_get("", "push").unwrap();
        let prefs = app.gql(Some(&me), "{ notificationPreferences { kind push } }", json!({})).await;
        let shown = prefs.data()["notificationPreferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == "VISIT_OPENED")
            .unwrap()["push"]
            .clone();
        assert_eq!(shown, stored, "round {round}: the settings show the row");
    }
}
both!(concurrent_preference_changes);
