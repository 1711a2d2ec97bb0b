//! Public-opinion information: from a phone submission to adoption at two levels.
use serde_json::{Value, json};

use crate::{
    attachments::{fetch, phone_photo},
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    invariants, race,
};

const SUBMIT: &str = "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id status } }";
const MINE: &str = "{ mySuggestions { totalCount edges { node { id title status declineReason authors { name }
  bulletin { issue { year number title } editedTitle } reports { recipientName } 
  adoptions { level form adoptedBy instruction instructedBy } timeline { action note } } } } }";

/// A city (the bootstrap root) with a county below it: county staff, three county members.
struct Setup {
    app: TestApp,
    city_admin: String,
    city: String,
    county: String,
    county_staff: String,
    members: Vec<String>,
    member_ids: Vec<String>,
}

async fn setup(backend: Backend) -> Setup {
    let app = spawn_app(backend).await;
    let city_admin = app.admin().await;
    let city = app.current_org(&city_admin).await;
    let county = app.create_org(&city_admin, "测试县政协", "COUNTY", &city).await;
    app.person(&city_admin, "13900004000", "县政协信息科", &county, "STAFF").await;
    let county_staff = app.login("13900004000", PASSWORD).await.access;
    let mut members = Vec::new();
    let mut member_ids = Vec::new();
    for i in 0..3 {
        let phone = format!("1390000400{}", i + 1);
        member_ids.push(app.person(&city_admin, &phone, &format!("县委员{i}"), &county, "MEMBER").await);
        members.push(app.login(&phone, PASSWORD).await.access);
    }
    Setup { app, city_admin, city, county, county_staff, members, member_ids }
}

fn piece(title: &str) -> Value {
    json!({ "title": title, "content": "城区部分老旧小区加装电梯推进缓慢，群众反映强烈。", "category": "城市管理" })
}

impl Setup {
    async fn submit(&self, who: usize, input: Value, key: &str) -> Answer {
        self.app.gql(Some(&self.members[who]), SUBMIT, json!({ "i": input, "k": key })).await
    }

    async fn submitted(&self, who: usize, title: &str) -> String {
        let a = self.submit(who, piece(title), &format!("key-{}", uuid::Uuid::new_v4())).await;
        a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned()
    }

    async fn staff(&self, query: &str, vars: Value) -> Answer {
        self.app.gql(Some(&self.county_staff), query, vars).await
    }

    async fn mine(&self, who: usize) -> Vec<Value> {
        let a = self.app.gql(Some(&self.members[who]), MINE, json!({})).await;
        a.data()["mySuggestions"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
    }
}

async fn from_the_phone_to_adoption_at_two_levels(backend: Backend) {
    let s = setup(backend).await;
    let mut input = piece("关于加快老旧小区加装电梯的建议");
    input["coAuthorIds"] = json!([s.member_ids[1]]);
    let photo = s.app.uploaded(&s.members[0], "SUGGESTION", "现场照片.jpg", phone_photo()).await;
    input["attachmentIds"] = json!([photo]);
    let a = s.submit(0, input, "phone-retry-0001").await;
    let id = a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
    assert_eq!(a.data()["submitSuggestion"]["status"], "SUBMITTED");

    s.staff("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id })).await.data();
    let issue = s
        .staff(
            "mutation { createBulletinIssue(input: { title: \"社情民意\", number: 12 }) { id number year } }",
            json!({}),
        )
        .await;
    let issue_id = issue.data()["createBulletinIssue"]["id"].as_str().unwrap().to_owned();
    s.staff(
        "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"老旧小区加装电梯亟待提速\", editedContent: \"据委员反映，……建议简化审批、加大补贴。\") { id } }",
        json!({ "i": issue_id, "s": id }),
    )
    .await
    .data();
    let published = s.staff("mutation($i: ID!) { publishBulletin(issueId: $i) { status items { editedTitle suggestion { content } } } }", json!({ "i": issue_id })).await;
    assert_eq!(published.data()["publishBulletin"]["status"], "PUBLISHED");
    assert_eq!(
        published.data()["publishBulletin"]["items"][0]["suggestion"]["content"],
        "城区部分老旧小区加装电梯推进缓慢，群众反映强烈。",
        "the member's original is kept"
    );

    // Reported to the city committee (same deployment) and to the county party committee.
    let reported = s
        .staff(
            "mutation($id: ID!, $r: ReportRecipientsInput!) { reportSuggestion(id: $id, recipients: $r) { status reports { recipientName } } }",
            json!({ "id": id, "r": { "organizationIds": [s.city], "bodies": ["县委"] } }),
        )
        .await;
    assert_eq!(reported.data()["reportSuggestion"]["status"], "REPORTED");
    assert_eq!(reported.data()["reportSuggestion"]["reports"].as_array().unwrap().len(), 2);

    // It appears in the city office's inbox, linked to the county's original, edited text first.
    let inbox = s
        .app
        .gql(Some(&s.city_admin), "{ suggestions(filter: { incoming: true }) { totalCount edges { node { id title incoming sourceOrganization { id } authors { name } attachments { fileName url createdBy { name } } } } } }", json!({}))
        .await;
    assert_eq!(inbox.data()["suggestions"]["totalCount"], 1);
    let incoming = &inbox.data()["suggestions"]["edges"][0]["node"];
    assert_eq!(incoming["title"], "老旧小区加装电梯亟待提速");
    assert_eq!(incoming["sourceOrganization"]["id"], s.county);
    assert_eq!(incoming["authors"].as_array().unwrap().len(), 2);
    // The photo travels with the copy, and the city office can open it.
    assert_eq!(incoming["attachments"][0]["fileName"], "现场照片.jpg");
    assert!(incoming["attachments"][0]["createdBy"].is_null(), "authors show by the piece's own rules");
    let photo_url = incoming["attachments"][0]["url"].as_str().unwrap();
    assert_eq!(fetch(&s.app, photo_url, &[]).await.status, 200);
    let incoming_id = incoming["id"].as_str().unwrap().to_owned();

    // The city adopts it (seen below); the province's adoption with an instruction is recorded by the county.
    // Both are dated today: an adoption cannot be dated before the piece was submitted (issue 11).
    let today = api::calendar::today().to_string();
    s.app
        .gql(
            Some(&s.city_admin),
            "mutation($id: ID!, $d: NaiveDate!) { recordAdoption(id: $id, input: { level: MUNICIPAL, form: SINGLE, adoptedBy: \"市政协办公室\", adoptedAt: $d }) { status } }",
            json!({ "id": incoming_id, "d": today }),
        )
        .await
        .data();
    let adopted = s
        .staff(
            "mutation($id: ID!, $d: NaiveDate!) { recordAdoption(id: $id, input: { level: PROVINCIAL, form: COMBINED, adoptedBy: \"省政协办公厅\", adoptedAt: $d, instruction: \"请住建厅研究办理\", instructedBy: \"副省长\" }) { status adoptions { level } } }",
            json!({ "id": id, "d": today }),
        )
        .await;
    assert_eq!(adopted.data()["recordAdoption"]["status"], "ADOPTED");

    // The submitter and the co-author see the whole feedback on their phones.
    for who in [0, 1] {
        let mine = s.mine(who).await;
        assert_eq!(mine.len(), 1);
        let m = &mine[0];
        assert_eq!(m["status"], "ADOPTED");
        assert_eq!(m["bulletin"]["issue"]["number"], 12);
        assert_eq!(m["bulletin"]["editedTitle"], "老旧小区加装电梯亟待提速");
        let recipients: Vec<&str> =
            m["reports"].as_array().unwrap().iter().map(|r| r["recipientName"].as_str().unwrap()).collect();
        assert_eq!(recipients, vec!["测试市政协", "县委"]);
        let levels: Vec<&str> =
            m["adoptions"].as_array().unwrap().iter().map(|a| a["level"].as_str().unwrap()).collect();
        assert_eq!(levels, vec!["MUNICIPAL", "PROVINCIAL"]);
        assert_eq!(m["adoptions"][1]["instruction"], "请住建厅研究办理");
        assert_eq!(m["adoptions"][1]["instructedBy"], "副省长");
        let steps: Vec<&str> =
            m["timeline"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(steps, vec!["SUBMITTED", "ACCEPTED", "PUBLISHED", "REPORTED", "ADOPTED", "ADOPTED"]);
    }
    assert!(s.mine(2).await.is_empty(), "not an author");

    // The figures agree with what happened.
    let declined = s.submitted(2, "关于规范共享单车停放的建议").await;
    s.staff(
        "mutation($id: ID!) { declineSuggestion(id: $id, reason: \"已有部门在办理\") { status } }",
        json!({ "id": declined }),
    )
    .await
    .data();
    let stats = s
        .staff("{ suggestionStats { received accepted declined merged bulletinsPublished reported adopted withInstruction adoptedByLevel { level count } byMember { member { name } counts { received accepted adopted } } } }", json!({}))
        .await;
    let st = &stats.data()["suggestionStats"];
    assert_eq!(
        (st["received"].as_u64(), st["accepted"].as_u64(), st["declined"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(
        (st["bulletinsPublished"].as_u64(), st["reported"].as_u64(), st["adopted"].as_u64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(st["withInstruction"], 1);
    assert_eq!(
        st["adoptedByLevel"],
        json!([{ "level": "PROVINCIAL", "count": 1 }, { "level": "MUNICIPAL", "count": 1 }])
    );
    let by_member: Vec<(String, u64)> = st["byMember"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["member"]["name"].as_str().unwrap().to_owned(), m["counts"]["adopted"].as_u64().unwrap()))
        .collect();
    assert!(
        by_member.contains(&("县委员0".to_owned(), 1)) && by_member.contains(&("县委员2".to_owned(), 0)),
        "{by_member:?}"
    );
    let city = s
        .app
        .gql(Some(&s.city_admin), "{ suggestionStats { received adopted adoptedByLevel { level count } } }", json!({}))
        .await;
    assert_eq!(city.data()["suggestionStats"]["received"], 1);
    assert_eq!(city.data()["suggestionStats"]["adoptedByLevel"], json!([{ "level": "MUNICIPAL", "count": 1 }]));
    invariants::check(&s.app).await;
}
both!(from_the_phone_to_adoption_at_two_levels);

async fn decline_with_a_reason(backend: Backend) {
    let s = setup(backend).await;
    let id = s.submitted(0, "关于增设公交站点的建议").await;
    let blank = s
        .staff("mutation($id: ID!) { declineSuggestion(id: $id, reason: \" \") { status } }", json!({ "id": id }))
        .await;
    blank.refused("BAD_USER_INPUT");
    assert_eq!(blank.field(), "reason");
    s.staff(
        "mutation($id: ID!) { declineSuggestion(id: $id, reason: \"内容与已编发信息重复\") { status } }",
        json!({ "id": id }),
    )
    .await
    .data();
    let mine = s.mine(0).await;
    assert_eq!(mine[0]["status"], "DECLINED");
    assert_eq!(mine[0]["declineReason"], "内容与已编发信息重复");
    s.staff("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id }))
        .await
        .refused("CONFLICT");
    s.app
        .gql(Some(&s.members[0]), "mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id }))
        .await
        .refused("FORBIDDEN");
    invariants::check(&s.app).await;
}
both!(decline_with_a_reason);

async fn retries_with_the_same_key_submit_once(backend: Backend) {
    let s = setup(backend).await;
    let first = s.submit(0, piece("关于治理噪音扰民的建议"), "retry-key-123456").await;
    let again = s.submit(0, piece("关于治理噪音扰民的建议"), "retry-key-123456").await;
    assert_eq!(first.data()["submitSuggestion"]["id"], again.data()["submitSuggestion"]["id"]);
    // Two copies of one request in flight at once.
    let racing = futures_util::future::join(
        s.submit(1, piece("同时发出的两次重试"), "racing-key-987654"),
        s.submit(1, piece("同时发出的两次重试"), "racing-key-987654"),
    )
    .await;
    assert_eq!(racing.0.data()["submitSuggestion"]["id"], racing.1.data()["submitSuggestion"]["id"]);
    assert_eq!(s.app.count_rows("suggestion").await, 2);
    s.submit(0, piece("另一条"), "another-key-000001").await.data();
    assert_eq!(s.app.count_rows("suggestion").await, 3);

    let short = s.submit(0, piece("x"), "short").await;
    short.refused("BAD_USER_INPUT");
    assert_eq!(short.field(), "idempotencyKey");
    let empty = s.submit(0, json!({ "title": "", "content": "x", "category": "y" }), "empty-title-0001").await;
    empty.refused("BAD_USER_INPUT");
    assert_eq!(empty.field(), "title");
    let stranger = s.submit(0, json!({ "title": "t", "content": "c", "category": "y", "coAuthorIds": ["01890000-0000-7000-8000-000000000000"] }), "stranger-key-0001").await;
    stranger.refused("BAD_USER_INPUT");
    assert_eq!(stranger.field(), "coAuthorIds");
    assert_eq!(s.app.count_rows("suggestion").await, 3, "nothing saved when refused");
    s.app
        .gql(Some(&s.county_staff), SUBMIT, json!({ "i": piece("机关代报"), "k": "staff-key-000001" }))
        .await
        .refused("FORBIDDEN");
    invariants::check(&s.app).await;
}
both!(retries_with_the_same_key_submit_once);

async fn members_do_not_see_others_pieces(backend: Backend) {
    let s = setup(backend).await;
    let id = s.submitted(0, "关于改善农村饮水的建议").await;
    let one = "query($id: ID!) { suggestion(id: $id) { id title } }";
    s.app.gql(Some(&s.members[1]), one, json!({ "id": id })).await.refused("NOT_FOUND");
    s.app.gql(Some(&s.members[1]), "{ suggestions { totalCount } }", json!({})).await.refused("FORBIDDEN");
    s.app.gql(Some(&s.members[0]), one, json!({ "id": id })).await.data();
    // Staff of another organization do not see it either.
    s.app.gql(Some(&s.city_admin), one, json!({ "id": id })).await.refused("NOT_FOUND");
    let city_list = s.app.gql(Some(&s.city_admin), "{ suggestions { totalCount } }", json!({})).await;
    assert_eq!(city_list.data()["suggestions"]["totalCount"], 0, "not reported yet");
    invariants::check(&s.app).await;
}
both!(members_do_not_see_others_pieces);

async fn merge_bulletin_numbers_and_spam(backend: Backend) {
    let s = setup(backend).await;
    let a = s.submitted(0, "关于整治占道经营的建议").await;
    let b = s.submitted(1, "占道经营问题突出").await;
    let merged = s
        .staff(
            "mutation($ids: [ID!]!, $into: ID!) { mergeSuggestions(ids: $ids, into: $into) { id authors { name } } }",
            json!({ "ids": [b], "into": a }),
        )
        .await;
    let authors: Vec<&str> = merged.data()["mergeSuggestions"]["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(authors, vec!["县委员0", "县委员1"]);
    let second = s.mine(1).await;
    let statuses: Vec<&str> = second.iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["MERGED", "SUBMITTED"], "the merged piece and the one it went into");

    let create = "mutation($n: Int!) { createBulletinIssue(input: { title: \"社情民意\", number: $n }) { id } }";
    let issue =
        s.staff(create, json!({ "n": 1 })).await.data()["createBulletinIssue"]["id"].as_str().unwrap().to_owned();
    let dup = s.staff(create, json!({ "n": 1 })).await;
    dup.refused("CONFLICT");
    assert_eq!(dup.field(), "number");
    let add = "mutation($i: ID!, $s: ID!, $c: String!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"占道经营\", editedContent: $c) { id } }";
    s.staff(add, json!({ "i": issue, "s": a, "c": "正文" })).await.refused("CONFLICT");
    s.staff("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": a })).await.data();
    s.staff(add, json!({ "i": issue, "s": a, "c": "详情见 www.888bet-xx.com 体育投注 官网注册送彩金" })).await.data();
    let spam = s.staff("mutation($i: ID!) { publishBulletin(issueId: $i) { status } }", json!({ "i": issue })).await;
    spam.refused("BAD_USER_INPUT");
    assert_eq!(spam.field(), "editedContent");
    s.staff(add, json!({ "i": issue, "s": a, "c": "占道经营影响通行，建议划定疏导点。" })).await.data();
    s.staff("mutation($i: ID!) { publishBulletin(issueId: $i) { status } }", json!({ "i": issue })).await.data();
    // Reporting goes up only.
    let county_org = s.county.clone();
    let sideways = s
        .staff(
            "mutation($id: ID!, $o: ID!) { reportSuggestion(id: $id, recipients: { organizationIds: [$o] }) { id } }",
            json!({ "id": a, "o": county_org }),
        )
        .await;
    sideways.refused("BAD_USER_INPUT");
    invariants::check(&s.app).await;
}
both!(merge_bulletin_numbers_and_spam);

/// A decision is made on what the office saw: a decline sent by someone still looking at
/// the piece as submitted is refused once it was accepted, while someone who saw it
/// accepted may still decline it. Crossed merges at once leave exactly one piece standing.
async fn decisions_on_what_was_seen_and_crossed_merges(backend: Backend) {
    let s = setup(backend).await;
    let id = s.submitted(0, "关于完善社区养老服务的建议").await;
    s.staff("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id })).await.data();
    let decline = "mutation($id: ID!, $seen: SuggestionStatus) { declineSuggestion(id: $id, reason: \"与已编发信息重复\", expectedStatus: $seen) { status declineReason } }";
    let stale = s.staff(decline, json!({ "id": id, "seen": "SUBMITTED" })).await;
    stale.refused("CONFLICT");
    assert!(stale.message().contains("已采编"), "{}", stale.message());
    let declined = s.staff(decline, json!({ "id": id, "seen": "ACCEPTED" })).await;
    assert_eq!(declined.data()["declineSuggestion"]["status"], "DECLINED");

    let merge = "mutation($ids: [ID!]!, $into: ID!) { mergeSuggestions(ids: $ids, into: $into) { id } }";
    for round in 0..5 {
        let a = s.submitted(1, &format!("关于增设停车位的建议{round}")).await;
        let b = s.submitted(2, &format!("停车难问题突出{round}")).await;
        let answers = race::together(
            &s.app,
            vec![
                race::request(&s.county_staff, merge, json!({ "ids": [a], "into": b })),
                race::request(&s.county_staff, merge, json!({ "ids": [b], "into": a })),
            ],
        )
        .await;
        let won = answers.iter().filter(|a| race::succeeded(a)).count();
        assert_eq!(won, 1, "round {round}: {} / {}", race::outcome(&answers[0]), race::outcome(&answers[1]));
        assert!(answers.iter().any(|a| race::code(a).as_deref() == Some("CONFLICT")), "round {round}");
        let one = "query($id: ID!) { suggestion(id: $id) { status } }";
        let mut statuses = Vec::new();
        for piece in [&a, &b] {
            let st = s.staff(one, json!({ "id": piece })).await.data()["suggestion"]["status"].clone();
            statuses.push(st.as_str().unwrap().to_owned());
        }
        statuses.sort();
        assert_eq!(statuses, vec!["MERGED", "SUBMITTED"], "round {round}");
    }
    invariants::check(&s.app).await;
}
both!(decisions_on_what_was_seen_and_crossed_merges);

/// A member's list of pieces with their timelines (the phone's "my information" screen)
/// costs the same number of queries for 2 pieces as for 6: the timelines come in one query.
async fn a_list_with_timelines_costs_a_fixed_number_of_queries(backend: Backend) {
    let s = setup(backend).await;
    let query = "{ mySuggestions(first: 10) { edges { node { id timeline { action at } } } } }";
    let mut costs = Vec::new();
    for total in [2, 6] {
        while s.mine(0).await.len() < total {
            s.submitted(0, &format!("第{}条信息", uuid::Uuid::new_v4().simple())).await;
        }
        let before = s.app.state.queries.get();
        let a = s.app.gql(Some(&s.members[0]), query, json!({})).await;
        let edges = a.data()["mySuggestions"]["edges"].as_array().unwrap().clone();
        assert_eq!(edges.len(), total);
        assert!(edges.iter().all(|e| e["node"]["timeline"][0]["action"] == "SUBMITTED"), "{}", a.body);
        costs.push(s.app.state.queries.get() - before);
    }
    assert_eq!(costs[0], costs[1], "6 pieces cost what 2 cost: {costs:?}");
}
both!(a_list_with_timelines_costs_a_fixed_number_of_queries);
