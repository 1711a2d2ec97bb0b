//! Visits: sign-up with capacity and waiting list, leave, attendance, reports, joint
//! inspections across organizations, cancellations, and the year's figures.
use serde_json::{Value, json};

use crate::{
    attachments::{fetch, png},
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
};

const CREATE: &str = "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id status } }";
const SIGN_UP: &str = "mutation($id: ID!) { signUpForVisit(id: $id) { status user { name } organization { id } } }";
const ONE: &str = "query($id: ID!) { visit(id: $id) { id title status myStatus canSignUp confirmedCount placesLeft going agenda { title place } report { summary } cancelReason } }";

pub(crate) struct Org {
    pub app: TestApp,
    pub admin: String,
    pub city: String,
    pub users: Vec<String>,
    pub tokens: Vec<String>,
}

/// An organization with `n` members; member 0 is on the standing committee.
pub(crate) async fn org(backend: Backend, n: usize) -> Org {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..n {
        let phone = format!("1390000{:04}", 2000 + i);
        let user = app.create_user(&admin, &phone, &format!("委员{i}")).await;
        app.add_membership(
            &admin,
            json!({ "userId": user, "organizationId": city, "role": "MEMBER", "standingCommittee": i == 0 }),
        )
        .await
        .data();
        users.push(user);
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    Org { app, admin, city, users, tokens }
}

fn days(n: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(n)).to_rfc3339()
}

impl Org {
    async fn create(&self, input: Value) -> String {
        let a = self.app.gql(Some(&self.admin), CREATE, json!({ "i": input })).await;
        assert_eq!(a.data()["createVisit"]["status"], "PLANNED");
        a.data()["createVisit"]["id"].as_str().unwrap().to_owned()
    }

    async fn step(&self, op: &str, id: &str) -> Answer {
        let q = format!("mutation($id: ID!) {{ {op}(id: $id) {{ status }} }}");
        self.app.gql(Some(&self.admin), &q, json!({ "id": id })).await
    }

    pub(crate) async fn sign_up(&self, who: usize, id: &str) -> Answer {
        self.app.gql(Some(&self.tokens[who]), SIGN_UP, json!({ "id": id })).await
    }

    async fn view(&self, who: usize, id: &str) -> Value {
        self.app.gql(Some(&self.tokens[who]), ONE, json!({ "id": id })).await.data()["visit"].clone()
    }

    async fn attend(&self, id: &str, users: &[&String], attended: bool) -> Answer {
        self.app
            .gql(
                Some(&self.admin),
                "mutation($v: ID!, $u: [ID!]!, $a: Boolean!) { markAttendance(visitId: $v, userIds: $u, attended: $a) { attended user { name } } }",
                json!({ "v": id, "u": users, "a": attended }),
            )
            .await
    }

    async fn stats(&self, year: i32) -> Value {
        let a = self
            .app
            .gql(Some(&self.admin), "query($y: Int) { visitStats(year: $y) { byKind { kind batches personTimes members } total { batches personTimes members } } }", json!({ "y": year }))
            .await;
        a.data()["visitStats"].clone()
    }
}

fn kind_row<'a>(stats: &'a Value, kind: &str) -> &'a Value {
    stats["byKind"].as_array().unwrap().iter().find(|r| r["kind"] == kind).unwrap()
}

fn this_year() -> i32 {
    use chrono::Datelike;
    (chrono::Utc::now() + chrono::Duration::hours(8)).year()
}

async fn outbound_study_from_sign_up_to_report(backend: Backend) {
    let o = org(backend, 5).await;
    let id = o
        .create(json!({
            "kind": "OUTBOUND_STUDY", "title": "赴浙江学习考察数字经济", "topic": "数字经济发展",
            "place": "浙江杭州", "counterpart": "浙江省政协", "counterpartRegion": "浙江省",
            "startsAt": days(10), "endsAt": days(13), "capacity": 3, "signupDeadline": days(5),
            "agenda": [{ "title": "座谈交流", "place": "省政协机关" }, { "title": "实地考察", "place": "未来科技城" }]
        }))
        .await;
    let seen = o.view(0, &id).await;
    assert_eq!(seen["agenda"][1]["place"], "未来科技城");
    assert_eq!(seen["canSignUp"], false, "sign-up not open yet");
    o.sign_up(0, &id).await.refused("CONFLICT");

    o.step("openVisitSignup", &id).await.data();
    for who in 0..3 {
        assert_eq!(o.sign_up(who, &id).await.data()["signUpForVisit"]["status"], "CONFIRMED");
    }
    assert_eq!(o.sign_up(3, &id).await.data()["signUpForVisit"]["status"], "WAITLISTED", "full: waiting list");
    o.sign_up(0, &id).await.refused("CONFLICT");
    let v = o.view(4, &id).await;
    assert_eq!(v["placesLeft"], 0);
    assert_eq!(v["going"], json!(["委员0", "委员1", "委员2"]));

    // Leave: requested by the member, approved by the office; the place goes to the waiting list.
    let leave = o
        .app
        .gql(
            Some(&o.tokens[1]),
            "mutation($id: ID!) { requestLeave(id: $id, reason: \"单位有紧急任务\") { status leaveReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(leave.data()["requestLeave"]["status"], "LEAVE_REQUESTED");
    let approved = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($v: ID!, $u: ID!) { approveLeave(visitId: $v, userId: $u) { status } }",
            json!({ "v": id, "u": o.users[1] }),
        )
        .await;
    assert_eq!(approved.data()["approveLeave"]["status"], "ON_LEAVE");
    assert_eq!(o.view(3, &id).await["myStatus"], "CONFIRMED", "promoted from the waiting list");
    // A cancellation frees a place for the next sign-up.
    o.app
        .gql(Some(&o.tokens[0]), "mutation($id: ID!) { cancelSignup(id: $id) { status } }", json!({ "id": id }))
        .await
        .data();
    assert_eq!(o.view(4, &id).await["confirmedCount"], 2);

    o.step("closeVisitSignup", &id).await.data();
    o.sign_up(4, &id).await.refused("CONFLICT");
    o.step("startVisit", &id).await.data();
    // Attendance: the two confirmed, and member 4 who joined on the day.
    let marked = o.attend(&id, &[&o.users[2], &o.users[3], &o.users[4]], true).await;
    assert_eq!(marked.data()["markAttendance"].as_array().unwrap().len(), 3);
    o.step("completeVisit", &id).await.data();
    let report = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($v: ID!, $a: [ID!]) { submitVisitReport(visitId: $v, input: { summary: \"考察了数字经济园区\", findings: \"人才政策有差距\", suggestions: \"建议出台人才新政\", attachmentIds: $a }) { id } }",
            json!({ "v": id, "a": [o.app.uploaded(&o.admin, "VISIT_REPORT", "园区现场.png", png()).await] }),
        )
        .await;
    report.data();
    // Those who attended read the report and open its photo; one who left before cannot.
    let read = |who: usize| {
        o.app.gql(
            Some(&o.tokens[who]),
            "query($id: ID!) { visit(id: $id) { report { attachments { fileName url } } } }",
            json!({ "id": id }),
        )
    };
    let seen = read(2).await;
    let photo = &seen.data()["visit"]["report"]["attachments"][0];
    assert_eq!(photo["fileName"], "园区现场.png");
    assert_eq!(fetch(&o.app, photo["url"].as_str().unwrap(), &[]).await.status, 200);
    assert!(read(0).await.data()["visit"]["report"].is_null(), "cancelled sign-up: no report");
    // A proposal a participant submitted after the visit.
    let draft = o
        .app
        .gql(
            Some(&o.tokens[2]),
            "mutation { createProposalDraft(input: { title: \"关于加快数字经济人才引进的提案\", suggestions: \"出台人才新政\", category: \"经济建设\" }) { id } }",
            json!({}),
        )
        .await;
    let proposal = draft.data()["createProposalDraft"]["id"].clone();
    let link = "mutation($v: ID!, $p: ID!) { linkVisitOutcome(visitId: $v, proposalId: $p, title: \"关于加快数字经济人才引进的提案\") { outcomes { kind title } } }";
    o.app.gql(Some(&o.admin), link, json!({ "v": id, "p": proposal })).await.refused("BAD_USER_INPUT");
    o.app
        .gql(
            Some(&o.tokens[2]),
            "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"after-visit-proposal\") { status } }",
            json!({ "id": proposal }),
        )
        .await
        .data();
    let outcome = o.app.gql(Some(&o.admin), link, json!({ "v": id, "p": proposal })).await;
    assert_eq!(outcome.data()["linkVisitOutcome"]["outcomes"][0]["kind"], "PROPOSAL");
    // A piece of public-opinion information a participant wrote after the visit.
    let piece = o
        .app
        .gql(
            Some(&o.tokens[2]),
            "mutation { submitSuggestion(input: { title: \"数字经济人才外流\", content: \"考察中发现……\", category: \"经济\" }, idempotencyKey: \"after-visit-0001\") { id } }",
            json!({}),
        )
        .await;
    let piece_id = piece.data()["submitSuggestion"]["id"].clone();
    let linked = o
        .app
        .gql(Some(&o.admin), "mutation($v: ID!, $s: ID!) { linkVisitOutcome(visitId: $v, suggestionId: $s, title: \"数字经济人才外流\") { outcomes { kind } } }", json!({ "v": id, "s": piece_id }))
        .await;
    assert_eq!(linked.data()["linkVisitOutcome"]["outcomes"][1]["kind"], "SUGGESTION");
    let unknown = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($v: ID!, $s: ID!) { linkVisitOutcome(visitId: $v, suggestionId: $s, title: \"x\") { id } }",
            json!({ "v": id, "s": "01890000-0000-7000-8000-000000000002" }),
        )
        .await;
    unknown.refused("BAD_USER_INPUT");
    assert_eq!(unknown.field(), "suggestionId");

    assert_eq!(o.view(2, &id).await["report"]["summary"], "考察了数字经济园区", "participants read the report");
    let history = o
        .app
        .gql(Some(&o.admin), "query($id: ID!) { visit(id: $id) { history { action } } }", json!({ "id": id }))
        .await;
    let actions: Vec<&str> =
        history.data()["visit"]["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    // Every step is on the record: the visit's own, and each person's sign-up, leave,
    // promotion from the waiting list, cancellation and addition by the office.
    assert_eq!(
        actions,
        vec![
            "CREATED",
            "OPENED",
            "SIGNED_UP",
            "SIGNED_UP",
            "SIGNED_UP",
            "SIGNED_UP",
            "LEAVE_REQUESTED",
            "LEAVE_APPROVED",
            "PROMOTED",
            "SIGNUP_CANCELLED",
            "CLOSED",
            "STARTED",
            "ADDED_BY_OFFICE",
            "ATTENDANCE",
            "COMPLETED",
            "REPORTED"
        ]
    );

    let stats = o.stats(this_year()).await;
    // Counted in the year the visit starts: at most ten days from now, maybe next year.
    let year_of_visit = {
        use chrono::Datelike;
        (chrono::Utc::now() + chrono::Duration::days(10) + chrono::Duration::hours(8)).year()
    };
    let stats = if year_of_visit == this_year() { stats } else { o.stats(year_of_visit).await };
    assert_eq!(
        kind_row(&stats, "OUTBOUND_STUDY"),
        &json!({ "kind": "OUTBOUND_STUDY", "batches": 1, "personTimes": 3, "members": 3 })
    );
    crate::invariants::check(&o.app).await;
}
both!(outbound_study_from_sign_up_to_report);

async fn inbound_reception_counts_its_guests(backend: Backend) {
    let o = org(backend, 3).await;
    let id = o
        .create(json!({
            "kind": "INBOUND_RECEPTION", "title": "接待黑龙江省政协考察团", "place": "市政协机关",
            "counterpart": "黑龙江省政协", "counterpartRegion": "黑龙江省", "guestCount": 7,
            "startsAt": days(-2), "endsAt": days(-1)
        }))
        .await;
    o.attend(&id, &[&o.users[0]], true).await.refused("CONFLICT");
    o.step("startVisit", &id).await.data();
    o.attend(&id, &[&o.users[0], &o.users[1]], true).await.data();
    o.attend(&id, &[&o.users[2]], false).await.data();
    o.step("completeVisit", &id).await.data();

    // A planned training that did not take place and a cancelled inspection count for nothing.
    o.create(
        json!({ "kind": "TRAINING", "title": "委员履职培训", "place": "党校", "startsAt": days(-3), "guestCount": 40 }),
    )
    .await;
    let cancelled =
        o.create(json!({ "kind": "INSPECTION", "title": "视察", "place": "开发区", "startsAt": days(-3) })).await;
    o.app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"天气原因\") { status } }",
            json!({ "id": cancelled }),
        )
        .await
        .data();

    let year = {
        use chrono::Datelike;
        (chrono::Utc::now() - chrono::Duration::days(2) + chrono::Duration::hours(8)).year()
    };
    let stats = o.stats(year).await;
    assert_eq!(
        kind_row(&stats, "INBOUND_RECEPTION"),
        &json!({ "kind": "INBOUND_RECEPTION", "batches": 1, "personTimes": 9, "members": 2 })
    );
    assert_eq!(kind_row(&stats, "TRAINING")["batches"], 0);
    assert_eq!(kind_row(&stats, "INSPECTION")["batches"], 0);
    assert_eq!(stats["total"], json!({ "batches": 1, "personTimes": 9, "members": 2 }));
    assert_eq!(o.stats(year - 1).await["total"]["batches"], 0, "other years are apart");
    o.app.gql(Some(&o.tokens[0]), "{ visitStats { total { batches } } }", json!({})).await.refused("FORBIDDEN");
    crate::invariants::check(&o.app).await;
}
both!(inbound_reception_counts_its_guests);

async fn capacity_holds_under_concurrent_sign_ups(backend: Backend) {
    let o = org(backend, 50).await;
    let id = o.create(json!({ "kind": "INSPECTION", "title": "重点项目视察", "place": "高新区", "startsAt": days(7), "capacity": 10 })).await;
    o.step("openVisitSignup", &id).await.data();
    let attempts = (0..50).map(|who| {
        let app = &o.app;
        let token = o.tokens[who].clone();
        let id = id.clone();
        async move { app.gql(Some(&token), SIGN_UP, json!({ "id": id })).await }
    });
    // All fifty requests are in flight at once.
    let answers = futures_util::future::join_all(attempts).await;
    let statuses: Vec<String> =
        answers.iter().map(|a| a.data()["signUpForVisit"]["status"].as_str().unwrap().to_owned()).collect();
    assert_eq!(statuses.iter().filter(|s| *s == "CONFIRMED").count(), 10);
    assert_eq!(statuses.iter().filter(|s| *s == "WAITLISTED").count(), 40);
    let v = o
        .app
        .gql(
            Some(&o.admin),
            "query($id: ID!) { visit(id: $id) { confirmedCount participants(status: CONFIRMED) { user { id } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(v.data()["visit"]["confirmedCount"], 10);
    assert_eq!(v.data()["visit"]["participants"].as_array().unwrap().len(), 10);
    crate::invariants::check(&o.app).await;
}
both!(capacity_holds_under_concurrent_sign_ups);

async fn joint_inspection_across_two_organizations(backend: Backend) {
    let o = org(backend, 1).await;
    let county = o.app.create_org(&o.admin, "测试县政协", "COUNTY", &o.city).await;
    let other = o.app.create_org(&o.admin, "邻县政协", "COUNTY", &o.city).await;
    o.app.person(&o.admin, "13900003001", "县委员", &county, "MEMBER").await;
    o.app.person(&o.admin, "13900003002", "邻县委员", &other, "MEMBER").await;
    let county_member = o.app.login("13900003001", PASSWORD).await.access;
    let outsider = o.app.login("13900003002", PASSWORD).await.access;

    let refused = o
        .app
        .gql(Some(&o.admin), CREATE, json!({ "i": { "kind": "INSPECTION", "title": "视察", "place": "x", "startsAt": days(5), "invitedOrganizationIds": [county] } }))
        .await;
    refused.refused("BAD_USER_INPUT");
    assert_eq!(refused.field(), "invitedOrganizationIds");

    let id = o
        .create(json!({ "kind": "JOINT_INSPECTION", "title": "省市县三级政协委员联动视察创卫工作", "place": "市区", "startsAt": days(5), "invitedOrganizationIds": [county] }))
        .await;
    o.step("openVisitSignup", &id).await.data();

    let listed = o
        .app
        .gql(
            Some(&county_member),
            "{ visits(filter: { upcoming: true }) { totalCount edges { node { id canSignUp organization { id } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed.data()["visits"]["totalCount"], 1);
    assert_eq!(listed.data()["visits"]["edges"][0]["node"]["canSignUp"], true);
    assert_eq!(listed.data()["visits"]["edges"][0]["node"]["organization"]["id"], o.city);
    let signed = o.app.gql(Some(&county_member), SIGN_UP, json!({ "id": id })).await;
    assert_eq!(signed.data()["signUpForVisit"]["organization"]["id"], county);
    assert_eq!(o.sign_up(0, &id).await.data()["signUpForVisit"]["status"], "CONFIRMED");

    let none = o.app.gql(Some(&outsider), "{ visits { totalCount } }", json!({})).await;
    assert_eq!(none.data()["visits"]["totalCount"], 0);
    o.app.gql(Some(&outsider), ONE, json!({ "id": id })).await.refused("NOT_FOUND");
    o.app.gql(Some(&outsider), SIGN_UP, json!({ "id": id })).await.refused("NOT_FOUND");

    let going = o.view(0, &id).await;
    assert_eq!(going["going"], json!(["县委员", "委员0"]));
    crate::invariants::check(&o.app).await;
}
both!(joint_inspection_across_two_organizations);

async fn cancellation_is_seen_by_those_signed_up(backend: Backend) {
    let o = org(backend, 2).await;
    let id = o
        .create(json!({ "kind": "RESEARCH", "title": "乡村振兴专题调研", "place": "各县区", "startsAt": days(3) }))
        .await;
    o.step("openVisitSignup", &id).await.data();
    o.sign_up(0, &id).await.data();
    o.app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"  \") { status } }",
            json!({ "id": id }),
        )
        .await
        .refused("BAD_USER_INPUT");
    let cancelled = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!) { cancelVisit(id: $id, reason: \"与全会时间冲突\") { status cancelReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancelled.data()["cancelVisit"]["status"], "CANCELLED");

    let mine = o
        .app
        .gql(
            Some(&o.tokens[0]),
            "{ visits(filter: { mine: true }) { edges { node { status cancelReason myStatus } } } }",
            json!({}),
        )
        .await;
    let node = &mine.data()["visits"]["edges"][0]["node"];
    assert_eq!(node["status"], "CANCELLED");
    assert_eq!(node["cancelReason"], "与全会时间冲突");
    assert_eq!(node["myStatus"], "CONFIRMED");
    o.sign_up(1, &id).await.refused("CONFLICT");
    o.step("completeVisit", &id).await.refused("CONFLICT");
    let upcoming =
        o.app.gql(Some(&o.tokens[1]), "{ visits(filter: { upcoming: true }) { totalCount } }", json!({})).await;
    assert_eq!(upcoming.data()["visits"]["totalCount"], 0, "cancelled visits are not upcoming");
    crate::invariants::check(&o.app).await;
}
both!(cancellation_is_seen_by_those_signed_up);

async fn refusals_are_clear_and_save_nothing(backend: Backend) {
    let o = org(backend, 2).await;
    let bad = |input: Value, field: &'static str| {
        let o = &o;
        async move {
            let a = o.app.gql(Some(&o.admin), CREATE, json!({ "i": input })).await;
            a.refused("BAD_USER_INPUT");
            assert_eq!(a.field(), field, "{}", a.body);
        }
    };
    bad(json!({ "kind": "INSPECTION", "title": " ", "place": "x", "startsAt": days(3) }), "title").await;
    bad(json!({ "kind": "INSPECTION", "title": "t", "place": "x", "startsAt": days(3), "endsAt": days(2) }), "endsAt")
        .await;
    bad(json!({ "kind": "INSPECTION", "title": "t", "place": "x", "startsAt": days(3), "capacity": 0 }), "capacity")
        .await;
    bad(
        json!({ "kind": "INSPECTION", "title": "t", "place": "x", "startsAt": days(3), "signupDeadline": days(4) }),
        "signupDeadline",
    )
    .await;
    bad(json!({ "kind": "INSPECTION", "title": "t", "place": "x", "startsAt": days(3), "audience": { "sectorIds": ["01890000-0000-7000-8000-000000000000"] } }), "audience.sectorIds").await;
    assert_eq!(o.app.count_rows("visit").await, 0, "nothing saved");
    o.app
        .gql(
            Some(&o.tokens[0]),
            CREATE,
            json!({ "i": { "kind": "INSPECTION", "title": "t", "place": "x", "startsAt": days(3) } }),
        )
        .await
        .refused("FORBIDDEN");

    // Only the standing committee is invited: member 1 is not.
    let standing = o.create(json!({ "kind": "INSPECTION", "title": "常委视察", "place": "x", "startsAt": days(3), "audience": { "standingCommittee": true } })).await;
    o.step("openVisitSignup", &standing).await.data();
    let refused = o.sign_up(1, &standing).await;
    refused.refused("FORBIDDEN");
    assert!(refused.message().contains("邀请范围"));
    let listed = o.app.gql(Some(&o.tokens[1]), "{ visits { totalCount } }", json!({})).await;
    assert_eq!(listed.data()["visits"]["totalCount"], 0);
    o.sign_up(0, &standing).await.data();

    // Past the deadline.
    let late = o.create(json!({ "kind": "RESEARCH", "title": "调研", "place": "x", "startsAt": days(3), "signupDeadline": days(-1) })).await;
    o.step("openVisitSignup", &late).await.data();
    let a = o.sign_up(0, &late).await;
    a.refused("CONFLICT");
    assert_eq!(a.message(), "报名已截止");

    // Wrong moves and strangers' ids.
    o.step("completeVisit", &standing).await.refused("CONFLICT");
    o.app
        .gql(Some(&o.tokens[0]), ONE, json!({ "id": "01890000-0000-7000-8000-000000000000" }))
        .await
        .refused("NOT_FOUND");
    o.app
        .gql(Some(&o.tokens[0]), "mutation($id: ID!) { cancelSignup(id: $id) { status } }", json!({ "id": late }))
        .await
        .refused("CONFLICT");
    let report = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($v: ID!) { submitVisitReport(visitId: $v, input: { summary: \"x\" }) { id } }",
            json!({ "v": standing }),
        )
        .await;
    report.refused("CONFLICT");
    crate::invariants::check(&o.app).await;
}
both!(refusals_are_clear_and_save_nothing);
