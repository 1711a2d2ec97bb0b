//! The annual report (issue 15): a year's work entered through the API, then every figure of
//! `annualReport` checked against what was entered — the edge cases included — and the
//! report as documents (HTML rendered by headless Chromium, DOCX unzipped, Markdown).
//!
//! Facts with a past business date (a proposal handed in on paper last December, a piece
//! received, taken in, printed and reported last December and adopted in January, a visit
//! that began at 06:30 on 1 January) are entered as the office enters them: with their real
//! date (`at`, `adoptedAt`, `startsAt`).
use chrono::{NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD},
    proposals::{Setup, draft, setup},
};

const REPORT: &str = "query($y: Int!, $o: ID) { annualReport(year: $y, organizationId: $o) { year publishedAt organization { id }
  proposals { submitted registered notRegistered merged withdrawn byKind { kind count } byCategory { category count }
    replyOutcomes { outcome count } satisfactionRate resultsPublished key
    keyProposals { id title leadOfficial supervisor promotingCommittee evaluated published } }
  upperSessions { session { name organization { id } } members submitted registered }
  suggestions { received accepted bulletinsPublished reported adoptedByLevel { level count } instructions }
  visits { byKind { kind batches personTimes members } total { batches personTimes members } inboundRegions { region batches personTimes } }
  briefings { published bySource { source count } averageReadRate }
  commendations { subjectKind count } } }";
const PUBLISH: &str = "mutation($y: Int!) { publishAnnualReport(year: $y) { year organizationId publishedAt } }";

fn this_year() -> i32 {
    api::calendar::this_year()
}

/// An instant given as a China wall-clock time.
fn china(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    let local = NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap();
    Utc.from_utc_datetime(&(local - chrono::Duration::hours(8)))
}

fn id_of(a: &Answer, op: &str) -> String {
    a.data()[op]["id"].as_str().unwrap().to_owned()
}

async fn report(s: &Setup, token: &str, year: i32) -> Answer {
    s.app.gql(Some(token), REPORT, json!({ "y": year })).await
}

struct World {
    key: String,
    province: String,
}

/// Proposals of the city: six submitted (one of them last December), their fates.
async fn proposals(s: &Setup) -> String {
    let year = this_year();
    let key = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    s.office_step("registerProposal", &key).await.data();
    s.appoint_vice_chair(2).await;
    let designated = s
        .as_office(
            "mutation($id: ID!, $k: KeyProposalInput!) { designateKeyProposal(id: $id, input: $k) { isKey } }",
            json!({ "id": key, "k": { "leadOfficial": "分管副市长", "supervisorId": s.member_ids[2], "promotingCommitteeId": s.committee } }),
        )
        .await;
    assert_eq!(designated.data()["designateKeyProposal"]["isKey"], true);
    s.assign(&key, json!([{ "unitId": s.units[0], "role": "LEAD" }, { "unitId": s.units[1], "role": "JOINT" }]))
        .await
        .data();
    s.reply(0, &key, "A").await.data();
    s.reply(1, &key, "B").await.data(); // a joint unit's answer is not the proposal's outcome
    s.evaluate(0, &key, "SATISFIED").await.data();
    s.office_step("concludeProposal", &key).await.data();
    s.as_office(
        "mutation($id: ID!) { publishProposalResult(id: $id, summary: \"全市已完成加装电梯120部。\") { id } }",
        json!({ "id": key }),
    )
    .await
    .data();

    let second = s.submitted(1, "关于完善社区养老服务的提案").await;
    s.office_step("registerProposal", &second).await.data();
    s.assign(&second, json!([{ "unitId": s.units[2], "role": "LEAD" }])).await.data();
    s.reply(2, &second, "C").await.data();

    let withdrawn = s.submitted(0, "关于增设公交线路的提案").await;
    s.as_member(0, "mutation($id: ID!) { withdrawProposal(id: $id) { status } }", json!({ "id": withdrawn }))
        .await
        .data();
    let twin = s.submitted(1, "关于老旧小区加装电梯的建议").await;
    s.as_office(
        "mutation($id: ID!, $i: ID!) { mergeProposal(id: $id, intoId: $i) { status } }",
        json!({ "id": twin, "i": key }),
    )
    .await
    .data();
    let rejected = s.submitted(2, "关于某小区门前路灯维修的提案").await;
    s.as_office(
        "mutation($id: ID!) { rejectProposal(id: $id, reason: \"属具体事务，不宜作为提案\") { status } }",
        json!({ "id": rejected }),
    )
    .await
    .data();
    let mut economy = draft("关于优化营商环境的提案");
    economy["category"] = json!("经济建设");
    let economy = s.create(3, economy).await;
    s.submit(3, &economy, "k-economy").await.data();
    s.create(3, draft("尚未提交的草稿")).await;

    // Handed in on paper last December and typed in today by the office, with its real
    // date: last year's proposal.
    let mut paper = draft("关于冬季供暖保障的提案");
    paper["authorId"] = json!(s.member_ids[3]);
    let a = s
        .as_office(
            "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }",
            json!({ "i": paper }),
        )
        .await;
    let last = id_of(&a, "createProposalDraft");
    s.as_office(
        "mutation($id: ID!, $k: String!, $at: DateTime) { submitProposal(id: $id, idempotencyKey: $k, at: $at) { status } }",
        json!({ "id": last, "k": format!("k-{}", Uuid::new_v4()), "at": china(year - 1, 12, 20, 10, 0).to_rfc3339() }),
    )
    .await
    .data();
    key
}

/// The province above the city, its session this year, and who of ours submitted to it.
async fn upper_session(s: &Setup) -> String {
    let app = &s.app;
    let switch = |token: String, org: String| async move {
        let a = app
            .gql(
                Some(&token),
                "mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken } }",
                json!({ "o": org }),
            )
            .await;
        a.data()["switchOrganization"]["accessToken"].as_str().unwrap().to_owned()
    };
    let province = app
        .gql(
            Some(&s.office),
            "mutation { createOrganization(input: { name: \"某省政协\", level: PROVINCIAL }) { id } }",
            json!({}),
        )
        .await;
    let province = id_of(&province, "createOrganization");
    app.gql(
        Some(&s.office),
        "mutation($id: ID!, $p: ID!) { attachOrganization(id: $id, parentId: $p) { id } }",
        json!({ "id": s.city, "p": province }),
    )
    .await
    .data();
    // A session of its own: switching moves a session, and the office's stays in the city.
    let in_province = switch(app.admin().await, province.clone()).await;
    let today = api::calendar::today();
    let session = json!({ "term": 12, "number": 3, "startsOn": (today - chrono::Duration::days(1)).to_string(), "endsOn": (today + chrono::Duration::days(1)).to_string() });
    app.gql(
        Some(&in_province),
        "mutation($i: PlenarySessionInput!) { createPlenarySession(input: $i) { id } }",
        json!({ "i": session }),
    )
    .await
    .data();
    let submit = |token: String, title: &'static str| async move {
        let d = app
            .gql(
                Some(&token),
                "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }",
                json!({ "i": draft(title) }),
            )
            .await;
        let id = id_of(&d, "createProposalDraft");
        app.gql(
            Some(&token),
            "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { status } }",
            json!({ "id": id, "k": format!("k-{}", Uuid::new_v4()) }),
        )
        .await
        .data();
        id
    };
    // Two of our members sit on the provincial committee too: three proposals, one registered.
    let mut ours = Vec::new();
    for who in [0, 1] {
        app.join(&in_province, &s.member_ids[who], &province, "MEMBER", json!({})).await;
        ours.push(switch(s.members[who].clone(), province.clone()).await);
    }
    let first = submit(ours[0].clone(), "关于全省养老服务体系建设的提案").await;
    submit(ours[0].clone(), "关于全省河湖治理的提案").await;
    submit(ours[1].clone(), "关于全省职业教育的提案").await;
    app.gql(Some(&in_province), "mutation($id: ID!) { registerProposal(id: $id) { status } }", json!({ "id": first }))
        .await
        .data();
    // A provincial member who is not ours is not in our figures.
    app.person(&in_province, "13900008801", "省委员", &province, "MEMBER").await;
    let theirs = app.login("13900008801", PASSWORD).await.access;
    submit(theirs, "关于全省文旅融合的提案").await;
    province
}

/// Pieces of information: received, accepted, in a bulletin, reported, adopted.
async fn suggestions(s: &Setup) {
    let year = this_year();
    let today = api::calendar::today().to_string();
    let december = |day: u32, hour: u32| china(year - 1, 12, day, hour, 0).to_rfc3339();
    let mut pieces = Vec::new();
    for (who, title) in [(0, "东门路口积水"), (1, "菜市场占道经营"), (2, "学校周边交通拥堵"), (3, "广场噪音扰民")]
    {
        let a = if who == 2 {
            // Phoned in last December; the office types it in with the day it was received.
            s.as_office(
                "mutation($t: String!, $k: String!, $u: ID!, $at: DateTime) { submitSuggestion(input: { title: $t, content: \"群众反映……\", category: \"城市管理\", authorId: $u, at: $at }, idempotencyKey: $k) { id } }",
                json!({ "t": title, "k": format!("k-{}", Uuid::new_v4()), "u": s.member_ids[2], "at": december(28, 9) }),
            )
            .await
        } else {
            s.as_member(
                who,
                "mutation($t: String!, $k: String!) { submitSuggestion(input: { title: $t, content: \"群众反映……\", category: \"城市管理\" }, idempotencyKey: $k) { id } }",
                json!({ "t": title, "k": format!("k-{}", Uuid::new_v4()) }),
            )
            .await
        };
        pieces.push(id_of(&a, "submitSuggestion"));
    }
    // Last December's piece: taken in, printed in December's bulletin, reported before the
    // year was out.
    s.as_office(
        "mutation($id: ID!, $at: DateTime) { acceptSuggestion(id: $id, at: $at) { status } }",
        json!({ "id": pieces[2], "at": december(28, 10) }),
    )
    .await
    .data();
    let december_issue = s
        .as_office(
            "mutation($y: Int) { createBulletinIssue(input: { title: \"社情民意\", number: 12, year: $y }) { id } }",
            json!({ "y": year - 1 }),
        )
        .await;
    let december_issue = id_of(&december_issue, "createBulletinIssue");
    s.as_office(
        "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"编辑后的标题\", editedContent: \"据委员反映，……\") { id } }",
        json!({ "i": december_issue, "s": pieces[2] }),
    )
    .await
    .data();
    s.as_office(
        "mutation($i: ID!, $at: DateTime) { publishBulletin(issueId: $i, at: $at) { status } }",
        json!({ "i": december_issue, "at": december(29, 10) }),
    )
    .await
    .data();
    s.as_office(
        "mutation($id: ID!, $at: DateTime) { reportSuggestion(id: $id, recipients: { bodies: [\"市委\"] }, at: $at) { status } }",
        json!({ "id": pieces[2], "at": december(30, 9) }),
    )
    .await
    .data();
    let issue = s
        .as_office("mutation { createBulletinIssue(input: { title: \"社情民意\", number: 1 }) { id } }", json!({}))
        .await;
    let issue = id_of(&issue, "createBulletinIssue");
    for piece in &pieces[..2] {
        s.as_office("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": piece })).await.data();
        s.as_office(
            "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"编辑后的标题\", editedContent: \"据委员反映，……\") { id } }",
            json!({ "i": issue, "s": piece }),
        )
        .await
        .data();
    }
    s.as_office("mutation($i: ID!) { publishBulletin(issueId: $i) { status } }", json!({ "i": issue })).await.data();
    s.as_office(
        "mutation($id: ID!) { declineSuggestion(id: $id, reason: \"已有部门在办理\") { status } }",
        json!({ "id": pieces[3] }),
    )
    .await
    .data();
    let adopt = |piece: String, level: &'static str, instruction: Option<&'static str>| {
        let today = today.clone();
        async move {
            let mut input = json!({ "level": level, "form": "SINGLE", "adoptedBy": "采用单位", "adoptedAt": today });
            if let Some(i) = instruction {
                input["instruction"] = json!(i);
            }
            s.as_office(
                "mutation($id: ID!, $i: RecordAdoptionInput!) { recordAdoption(id: $id, input: $i) { status } }",
                json!({ "id": piece, "i": input }),
            )
            .await
            .data();
        }
    };
    for piece in &pieces[..2] {
        s.as_office(
            "mutation($id: ID!) { reportSuggestion(id: $id, recipients: { bodies: [\"市委\"] }) { status } }",
            json!({ "id": piece }),
        )
        .await
        .data();
    }
    // One piece adopted by the city and twice by the province (once per level), with an
    // instruction; another by the national committee.
    adopt(pieces[0].clone(), "MUNICIPAL", None).await;
    adopt(pieces[0].clone(), "PROVINCIAL", Some("请住建厅研究办理")).await;
    adopt(pieces[0].clone(), "PROVINCIAL", None).await;
    adopt(pieces[1].clone(), "NATIONAL", None).await;
    // Last December's piece, adopted by the province in January: this year's adoption.
    s.as_office(
        "mutation($id: ID!, $i: RecordAdoptionInput!) { recordAdoption(id: $id, input: $i) { status } }",
        json!({ "id": pieces[2], "i": { "level": "PROVINCIAL", "form": "SINGLE", "adoptedBy": "采用单位",
            "adoptedAt": NaiveDate::from_ymd_opt(year, 1, 6).unwrap().to_string() } }),
    )
    .await
    .data();
}

/// Visits that took place, one cancelled, and two trainings either side of New Year's
/// night in Beijing.
async fn visits(s: &Setup) {
    let year = this_year();
    let app = &s.app;
    let hour_ago = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let create = |input: Value| async move {
        let a = app
            .gql(
                Some(&s.office),
                "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        id_of(&a, "createVisit")
    };
    let step = |op: &'static str, id: String| async move {
        app.gql(Some(&s.office), &format!("mutation($id: ID!) {{ {op}(id: $id) {{ status }} }}"), json!({ "id": id }))
            .await
            .data();
    };
    let attend = |id: String, who: Vec<String>| async move {
        app.gql(
            Some(&s.office),
            "mutation($v: ID!, $u: [ID!]!) { markAttendance(visitId: $v, userIds: $u, attended: true) { attended } }",
            json!({ "v": id, "u": who }),
        )
        .await
        .data();
    };
    let inspection = create(json!({ "kind": "INSPECTION", "title": "重点项目视察", "place": "高新区", "startsAt": hour_ago, "guestCount": 3 })).await;
    step("startVisit", inspection.clone()).await;
    attend(inspection.clone(), vec![s.member_ids[0].clone(), s.member_ids[1].clone()]).await;
    step("completeVisit", inspection).await;
    let inbound =
        create(json!({ "kind": "INBOUND_RECEPTION", "title": "接待黑龙江省政协考察团", "place": "市政协机关",
        "counterpart": "黑龙江省政协", "counterpartRegion": "黑龙江省", "guestCount": 7, "startsAt": hour_ago }))
        .await;
    step("startVisit", inbound.clone()).await;
    attend(inbound.clone(), vec![s.member_ids[0].clone()]).await;
    step("completeVisit", inbound).await;
    let cancelled =
        create(json!({ "kind": "INSPECTION", "title": "视察", "place": "开发区", "startsAt": hour_ago })).await;
    app.gql(
        Some(&s.office),
        "mutation($id: ID!) { cancelVisit(id: $id, reason: \"天气原因\") { status } }",
        json!({ "id": cancelled }),
    )
    .await
    .data();
    // 06:30 on 1 January in Beijing is still 31 December by the UTC clock: this year's.
    // 23:30 on 31 December in Beijing: last year's.
    for (guests, at) in [(40, china(year, 1, 1, 6, 30)), (25, china(year - 1, 12, 31, 23, 30))] {
        let t = create(json!({ "kind": "TRAINING", "title": "委员履职培训", "place": "党校",
            "startsAt": at.to_rfc3339(), "endsAt": (at + chrono::Duration::hours(3)).to_rfc3339(), "guestCount": guests }))
        .await;
        step("startVisit", t.clone()).await;
        step("completeVisit", t).await;
    }
}

/// Two briefings to everyone, one read by two members; returns the expected mean read rate.
async fn briefings(s: &Setup) -> f64 {
    let mut rates = Vec::new();
    for (i, source) in ["市政府", "市纪委监委"].into_iter().enumerate() {
        let created = s
            .as_office(
                "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
                json!({ "i": { "title": format!("情况通报{i}"), "summary": "通报有关情况。", "body": "今年以来……", "source": source, "category": "经济社会发展", "audience": { "everyone": true } } }),
            )
            .await;
        let id = id_of(&created, "createBriefing");
        s.as_office("mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id })).await.data();
        if i == 0 {
            for who in [0, 1] {
                s.as_member(
                    who,
                    "mutation($id: ID!) { markBriefingRead(id: $id) { unreadBriefingCount } }",
                    json!({ "id": id }),
                )
                .await
                .data();
            }
        }
        let stats = s
            .as_office(
                "query($id: ID!) { briefing(id: $id) { readStats { audienceSize readCount } } }",
                json!({ "id": id }),
            )
            .await;
        let st = &stats.data()["briefing"]["readStats"];
        rates.push(st["readCount"].as_f64().unwrap() / st["audienceSize"].as_f64().unwrap());
    }
    assert!(rates[0] > 0.0);
    rates.iter().sum::<f64>() / rates.len() as f64
}

async fn commendations(s: &Setup, key: &str) {
    let year = this_year();
    let record = |y: i32, kind: &'static str, id: String, title: &'static str| async move {
        s.as_office(
            "mutation($i: RecordCommendationInput!) { recordCommendation(input: $i) { id } }",
            json!({ "i": { "year": y, "awardedBy": "省政协", "level": "PROVINCIAL", "title": title, "subject": { "kind": kind, "id": id } } }),
        )
        .await
        .data();
    };
    record(year, "PROPOSAL", key.to_owned(), "优秀提案").await;
    record(year, "HANDLING_UNIT", s.units[0].clone(), "提案办理先进单位").await;
    record(year, "USER", s.member_ids[0].clone(), "优秀政协委员").await;
    record(year, "USER", s.member_ids[1].clone(), "优秀政协委员").await;
    record(year - 1, "USER", s.member_ids[2].clone(), "优秀政协委员").await;
}

async fn enter_a_year(s: &Setup) -> (World, f64) {
    let key = proposals(s).await;
    suggestions(s).await;
    visits(s).await;
    let rate = briefings(s).await;
    commendations(s, &key).await;
    // Last: switching to the province moves the two members' sessions there.
    let province = upper_session(s).await;
    (World { key, province }, rate)
}

async fn every_figure_is_what_was_entered(backend: Backend) {
    let s = setup(backend, 4).await;
    let year = this_year();
    let (world, read_rate) = enter_a_year(&s).await;

    let a = report(&s, &s.office, year).await;
    let r = &a.data()["annualReport"];
    assert_eq!(r["year"], year);
    assert_eq!(r["organization"]["id"], s.city);
    assert!(r["publishedAt"].is_null());

    let p = &r["proposals"];
    assert_eq!(p["submitted"], 6, "drafts and last December's are not this year's: {p}");
    assert_eq!(p["registered"], 2);
    assert_eq!(p["notRegistered"], 1);
    assert_eq!(p["merged"], 1);
    assert_eq!(p["withdrawn"], 1);
    assert_eq!(p["byKind"], json!([{ "kind": "INDIVIDUAL", "count": 6 }]));
    assert_eq!(
        p["byCategory"],
        json!([{ "category": "社会建设", "count": 5 }, { "category": "经济建设", "count": 1 }])
    );
    assert_eq!(p["replyOutcomes"], json!([{ "outcome": "A", "count": 1 }, { "outcome": "C", "count": 1 }]));
    assert_eq!(p["satisfactionRate"], 1.0);
    assert_eq!(p["resultsPublished"], 1);
    assert_eq!(p["key"], 1);
    assert_eq!(
        p["keyProposals"],
        json!([{ "id": world.key, "title": "关于加快老旧小区加装电梯的提案", "leadOfficial": "分管副市长",
                 "supervisor": "提案委员2", "promotingCommittee": "提案委员会", "evaluated": true, "published": true }])
    );

    assert_eq!(
        r["upperSessions"],
        json!([{ "session": { "name": "十二届三次会议", "organization": { "id": world.province } },
                 "members": 2, "submitted": 3, "registered": 1 }])
    );

    assert_eq!(
        r["suggestions"],
        json!({ "received": 3, "accepted": 2, "bulletinsPublished": 1, "reported": 2,
                "adoptedByLevel": [{ "level": "NATIONAL", "count": 1 }, { "level": "PROVINCIAL", "count": 2 }, { "level": "MUNICIPAL", "count": 1 }],
                "instructions": 1 })
    );

    let v = &r["visits"];
    assert_eq!(
        v["byKind"],
        json!([
            { "kind": "INSPECTION", "batches": 1, "personTimes": 5, "members": 2 },
            { "kind": "INBOUND_RECEPTION", "batches": 1, "personTimes": 8, "members": 1 },
            { "kind": "TRAINING", "batches": 1, "personTimes": 40, "members": 0 }
        ]),
        "the cancelled inspection and last year's training are not counted"
    );
    assert_eq!(v["total"], json!({ "batches": 3, "personTimes": 53, "members": 2 }));
    assert_eq!(v["inboundRegions"], json!([{ "region": "黑龙江省", "batches": 1, "personTimes": 7 }]));

    let b = &r["briefings"];
    assert_eq!(b["published"], 2);
    let mut sources: Vec<String> =
        b["bySource"].as_array().unwrap().iter().map(|x| format!("{}:{}", x["source"], x["count"])).collect();
    sources.sort();
    assert_eq!(sources, ["\"市政府\":1", "\"市纪委监委\":1"]);
    assert!((b["averageReadRate"].as_f64().unwrap() - read_rate).abs() < 1e-9, "{b} vs {read_rate}");

    assert_eq!(
        r["commendations"],
        json!([{ "subjectKind": "PROPOSAL", "count": 1 }, { "subjectKind": "HANDLING_UNIT", "count": 1 }, { "subjectKind": "USER", "count": 2 }])
    );

    // Last year: the December proposal, piece and training; not January's adoption.
    let last = report(&s, &s.office, year - 1).await;
    let l = &last.data()["annualReport"];
    assert_eq!(l["proposals"]["submitted"], 1);
    assert_eq!(l["proposals"]["registered"], 0);
    assert_eq!(
        l["suggestions"],
        json!({ "received": 1, "accepted": 1, "bulletinsPublished": 1, "reported": 1, "adoptedByLevel": [], "instructions": 0 })
    );
    assert_eq!(l["visits"]["total"], json!({ "batches": 1, "personTimes": 25, "members": 0 }));
    assert_eq!(l["upperSessions"], json!([]));
    assert_eq!(l["commendations"], json!([{ "subjectKind": "USER", "count": 1 }]));

    let next = report(&s, &s.office, year + 1).await;
    assert_eq!(next.refused("BAD_USER_INPUT").field(), "year");
    documents(&s, backend, r).await;
}
both!(every_figure_is_what_was_entered);

async fn members_read_it_once_published(backend: Backend) {
    let s = setup(backend, 2).await;
    let year = this_year();
    s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    report(&s, &s.members[0], year).await.refused("FORBIDDEN");
    report(&s, &s.unit_tokens[0], year).await.refused("FORBIDDEN");
    s.as_member(0, PUBLISH, json!({ "y": year })).await.refused("FORBIDDEN");
    s.app.gql(Some(&s.members[0]), PUBLISH, json!({ "y": year + 1 })).await.refused("FORBIDDEN");
    let get = |token: Option<String>, query: &'static str| {
        let app = &s.app;
        async move {
            let mut req = app.http.get(format!("{}/reports/annual/{year}{query}", app.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            req.send().await.unwrap().status().as_u16()
        }
    };
    assert_eq!(get(None, "").await, 401);
    assert_eq!(get(Some("not-a-token".into()), "").await, 401);
    assert_eq!(get(Some(s.members[0].clone()), "").await, 403);
    assert_eq!(get(Some(s.unit_tokens[0].clone()), "?format=md").await, 403);
    assert_eq!(get(Some(s.office.clone()), "?format=pdf").await, 400);

    let published = s.as_office(PUBLISH, json!({ "y": year })).await;
    let first = published.data()["publishAnnualReport"].clone();
    assert_eq!(first["year"], year);
    assert_eq!(first["organizationId"], s.city);
    let again = s.as_office(PUBLISH, json!({ "y": year })).await;
    assert_eq!(again.data()["publishAnnualReport"], first, "publishing twice changes nothing");

    let seen = report(&s, &s.members[0], year).await;
    assert_eq!(seen.data()["annualReport"]["proposals"]["submitted"], 1);
    assert_eq!(seen.data()["annualReport"]["publishedAt"], first["publishedAt"]);
    assert_eq!(get(Some(s.members[0].clone()), "").await, 200);
    report(&s, &s.members[0], year - 1).await.refused("FORBIDDEN");
    report(&s, &s.unit_tokens[0], year).await.refused("FORBIDDEN");

    // A county member sees the city above (a public body) but not its report.
    let other = s.app.create_org(&s.office, "某县政协", "COUNTY", &s.city).await;
    s.app.person(&s.office, "13900007701", "县委员", &other, "MEMBER").await;
    let county = s.app.login("13900007701", PASSWORD).await.access;
    s.app.gql(Some(&county), REPORT, json!({ "y": year, "o": s.city })).await.refused("FORBIDDEN");
    // The city's admin reads the county's below it.
    let below = s.app.gql(Some(&s.office), REPORT, json!({ "y": year, "o": other })).await;
    assert_eq!(below.data()["annualReport"]["organization"]["id"], other);
}
both!(members_read_it_once_published);

/// The figures as documents: the HTML page (rendered by headless Chromium on SQLite runs),
/// the Word document and the Markdown all carry them.
async fn documents(s: &Setup, backend: Backend, r: &Value) {
    let year = this_year();
    let fetch = |format: &'static str| async move {
        let res = s
            .app
            .http
            .get(format!("{}/reports/annual/{year}?format={format}", s.app.base))
            .bearer_auth(&s.office)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{format}");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        (content_type, res.bytes().await.unwrap().to_vec())
    };
    let expected = [
        "测试市政协".to_owned(),
        format!("{year}年度工作综述"),
        "关于加快老旧小区加装电梯的提案".to_owned(),
        "2名委员提交提案3件，立案1件".to_owned(),
        "1批8人次（1人参加）".to_owned(),
        "3批53人次（2人参加）".to_owned(),
        "黑龙江省".to_owned(),
        "100.0%".to_owned(),
    ];
    assert_eq!(r["proposals"]["submitted"], 6);

    let (content_type, html) = fetch("html").await;
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = String::from_utf8(html).unwrap();
    for figure in &expected {
        assert!(html.contains(figure.as_str()), "{figure} in the page");
    }
    assert!(html.contains("<svg"), "charts drawn inline");
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "nothing is fetched when the page is viewed: {external}");
    }

    let (content_type, md) = fetch("md").await;
    assert!(content_type.starts_with("text/markdown"));
    let md = String::from_utf8(md).unwrap();
    assert!(md.starts_with(&format!("# 测试市政协{year}年度工作综述")));
    assert!(md.contains("| 提交提案（件） | 6 |"), "{md}");
    assert!(md.contains("| 省级政协采用（篇） | 2 |"), "{md}");

    let (content_type, docx) = fetch("docx").await;
    assert!(content_type.contains("wordprocessingml"));
    let dir = std::env::temp_dir().join(format!("annual-report-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.docx"), &docx).unwrap();
    let unzip = std::process::Command::new("unzip")
        .args(["-p", "report.docx", "word/document.xml"])
        .current_dir(&dir)
        .output()
        .expect("unzip runs");
    assert!(unzip.status.success(), "the DOCX is a zip with word/document.xml");
    let xml = String::from_utf8(unzip.stdout).unwrap();
    for figure in &expected {
        assert!(xml.contains(figure.as_str()), "{figure} in word/document.xml");
    }

    if backend == Backend::Sqlite {
        // The page on its own, as a browser shows it: no token, no network.
        let page = dir.join("report.html");
        std::fs::write(&page, &html).unwrap();
        let chromium = |arg: String| {
            std::process::Command::new("chromium")
                .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--lang=zh-CN"])
                .arg(arg)
                .arg(format!("file://{}", page.display()))
                .current_dir(&dir)
                .output()
                .expect("chromium runs")
        };
        let dom = chromium("--dump-dom".into());
        let dom = String::from_utf8_lossy(&dom.stdout);
        for figure in &expected {
            assert!(dom.contains(figure.as_str()), "{figure} in the rendered page");
        }
        let shot = dir.join("report.png");
        chromium(format!("--screenshot={}", shot.display()));
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 2_000, "the page painted something");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The office taps 公布 twice (or two clerks at once), round after round over several years:
/// both answers are the one publication, and one row per year is stored.
async fn publishing_twice_at_once_publishes_once(backend: Backend) {
    let s = setup(backend, 1).await;
    let year = this_year();
    for round in 0..6 {
        let y = year - 1 - round;
        let answers = crate::race::together(
            &s.app,
            vec![
                crate::race::request(&s.office, PUBLISH, json!({ "y": y })),
                crate::race::request(&s.office, PUBLISH, json!({ "y": y })),
            ],
        )
        .await;
        let (a, b) = (&answers[0].data()["publishAnnualReport"], &answers[1].data()["publishAnnualReport"]);
        assert_eq!(a, b, "round {round}: both answer the one publication");
        assert_eq!(a["year"], y);
    }
    assert_eq!(s.app.count_rows("annual_report").await, 6, "one publication per year");
}
both!(publishing_twice_at_once_publishes_once);
