//! Members' duty records (issue 15): a year entered through the API — proposals led,
//! co-signed, registered and key, pieces adopted at two levels and twice at one level,
//! visits attended, excused and cancelled, briefings read and unread, a commendation — and
//! every figure and the score checked, also after the office changes the weights; the
//! ranking and its pages; who may read what; the CSV export.
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::{
    both,
    helpers::Backend,
    proposals::{Setup, draft, setup},
};

const RECORD: &str = "query($u: ID!, $y: Int!) { memberDutyRecord(userId: $u, year: $y) { userId name sector year proposalsLed proposalsCoSigned proposalsRegistered keyProposals piecesSubmitted piecesAdopted adoptedByLevel { level count } visitsAttended visitLeaves briefingsReceived briefingsRead briefingReadRate commendations score rank } }";
const RANKING: &str = "query($y: Int!, $s: ID, $f: Int, $a: String) { dutyRecords(year: $y, sectorId: $s, first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { name score rank } } } }";
const WEIGHTS: &str = "mutation($i: DutyScoreWeightsInput!) { setDutyScoreWeights(input: $i) { proposalLed visitLeave adoptedMunicipal briefingReadRate isDefault } }";

fn this_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year()
}

fn at(hours: i64) -> String {
    (Utc::now() + Duration::hours(hours)).to_rfc3339()
}

impl Setup {
    async fn office_ok(&self, q: &str, vars: Value) -> Value {
        self.as_office(q, vars).await.data().clone()
    }

    async fn submit_as(&self, who: usize, id: &str) {
        self.as_member(
            who,
            "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id } }",
            json!({ "id": id, "k": format!("duty-{}", uuid::Uuid::new_v4()) }),
        )
        .await
        .data();
    }

    /// A joint proposal led by `lead`, co-signed by `accept` (and declined by `decline`), submitted.
    async fn joint(&self, lead: usize, accept: usize, decline: Option<usize>, title: &str) -> String {
        let mut input = draft(title);
        input["kind"] = json!("JOINT");
        let id = self.create(lead, input).await;
        let mut invited = vec![self.member_ids[accept].clone()];
        invited.extend(decline.map(|d| self.member_ids[d].clone()));
        self.as_member(
            lead,
            "mutation($id: ID!, $u: [ID!]!) { inviteCoSigners(proposalId: $id, userIds: $u) { id } }",
            json!({ "id": id, "u": invited }),
        )
        .await
        .data();
        let respond = "mutation($id: ID!, $a: Boolean!) { respondToCoSign(proposalId: $id, accept: $a) { id } }";
        self.as_member(accept, respond, json!({ "id": id, "a": true })).await.data();
        if let Some(d) = decline {
            self.as_member(d, respond, json!({ "id": id, "a": false })).await.data();
        }
        self.submit_as(lead, &id).await;
        id
    }

    async fn piece(&self, who: usize, title: &str, co_authors: &[&String]) -> String {
        let a = self
            .as_member(
                who,
                "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id } }",
                json!({ "i": { "title": title, "content": "群众反映……", "category": "城市管理", "coAuthorIds": co_authors },
                        "k": format!("duty-{}", uuid::Uuid::new_v4()) }),
            )
            .await;
        a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned()
    }

    async fn adopt(&self, id: &str, level: &str, by: &str) {
        self.office_ok(
            "mutation($id: ID!, $i: RecordAdoptionInput!) { recordAdoption(id: $id, input: $i) { status } }",
            json!({ "id": id, "i": { "level": level, "form": "SINGLE", "adoptedBy": by, "adoptedAt": api::calendar::today().to_string() } }),
        )
        .await;
    }

    async fn visit(&self, kind: &str, title: &str, starts: String, ends: String) -> String {
        let v = self
            .office_ok(
                "mutation($i: CreateVisitInput!) { createVisit(input: $i) { id } }",
                json!({ "i": { "kind": kind, "title": title, "place": "开发区", "startsAt": starts, "endsAt": ends } }),
            )
            .await;
        v["createVisit"]["id"].as_str().unwrap().to_owned()
    }

    async fn visit_step(&self, op: &str, id: &str) {
        self.office_ok(&format!("mutation($id: ID!) {{ {op}(id: $id) {{ status }} }}"), json!({ "id": id })).await;
    }

    /// Member `who` signs up for visit `id`, asks for leave and the office grants it.
    async fn excused(&self, who: usize, id: &str) {
        self.as_member(who, "mutation($id: ID!) { signUpForVisit(id: $id) { status } }", json!({ "id": id }))
            .await
            .data();
        self.as_member(
            who,
            "mutation($id: ID!) { requestLeave(id: $id, reason: \"单位有紧急任务\") { status } }",
            json!({ "id": id }),
        )
        .await
        .data();
        self.office_ok(
            "mutation($v: ID!, $u: ID!) { approveLeave(visitId: $v, userId: $u) { status } }",
            json!({ "v": id, "u": self.member_ids[who] }),
        )
        .await;
    }

    async fn briefing(&self, title: &str) -> String {
        let b = self
            .office_ok(
                "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
                json!({ "i": { "title": title, "summary": "通报全市经济运行情况。", "body": "今年以来……",
                               "source": "市政府", "category": "经济社会发展", "audience": { "everyone": true } } }),
            )
            .await;
        let id = b["createBriefing"]["id"].as_str().unwrap().to_owned();
        self.office_ok("mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id })).await;
        id
    }

    async fn record_of(&self, token: &str, user: &str) -> Value {
        let a = self.app.gql(Some(token), RECORD, json!({ "u": user, "y": this_year() })).await;
        a.data()["memberDutyRecord"].clone()
    }
}

/// A CSV parser enough for RFC 4180 (quoted fields with commas, quotes, line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "lines end with CRLF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("a bare LF ends a line"),
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted && field.is_empty() && row.is_empty(), "the last line ends with CRLF");
    rows
}

async fn a_year_of_duty_counted_scored_ranked_and_exported(backend: Backend) {
    let s = setup(backend, 4).await;
    let app = &s.app;
    let year = this_year();
    let (m0, m1) = (s.member_ids[0].clone(), s.member_ids[1].clone());
    // A fifth member in a sector, whose name has a comma (the CSV must quote it).
    let sector = app.create_sector(&s.office, "经济界").await;
    let comma = app.create_user(&s.office, "13900009999", "欧阳,明").await;
    app.join(&s.office, &comma, &s.city, "MEMBER", json!({ "sectorId": sector })).await;

    // Proposals: member 0 leads an individual one (registered, key) and a joint one that
    // member 1 co-signs and member 2 declines; withdraws a third; keeps a draft; co-signs
    // member 1's joint proposal.
    let p1 = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    s.office_ok("mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": p1 })).await;
    s.office_ok(
        "mutation($id: ID!) { designateKeyProposal(id: $id, input: { leadOfficial: \"分管副市长\" }) { isKey } }",
        json!({ "id": p1 }),
    )
    .await;
    s.joint(0, 1, Some(2), "关于完善社区养老服务的提案").await;
    let p3 = s.submitted(0, "关于规范共享单车停放的提案").await;
    s.as_member(0, "mutation($id: ID!) { withdrawProposal(id: $id) { status } }", json!({ "id": p3 })).await.data();
    s.create(0, draft("尚未提交的草稿")).await;
    s.joint(1, 0, None, "关于建设口袋公园的提案").await;

    // Pieces: one adopted by the city and the province, one (co-written with member 1)
    // adopted twice by the city, one only submitted.
    let s1 = s.piece(0, "东门路口积水", &[]).await;
    let s2 = s.piece(0, "背街小巷照明不足", &[&m1]).await;
    s.piece(0, "公交站台缺少遮雨棚", &[]).await;
    let issue = s
        .office_ok("mutation { createBulletinIssue(input: { title: \"社情民意\", number: 3 }) { id } }", json!({}))
        .await["createBulletinIssue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in [&s1, &s2] {
        s.office_ok("mutation($id: ID!) { acceptSuggestion(id: $id) { status } }", json!({ "id": id })).await;
        s.office_ok(
            "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"编发稿\", editedContent: \"据委员反映……\") { id } }",
            json!({ "i": issue, "s": id }),
        )
        .await;
    }
    s.office_ok("mutation($i: ID!) { publishBulletin(issueId: $i) { status } }", json!({ "i": issue })).await;
    s.adopt(&s1, "MUNICIPAL", "市委办公室").await;
    s.adopt(&s1, "PROVINCIAL", "省政协办公厅").await;
    s.adopt(&s2, "MUNICIPAL", "市委办公室").await;
    s.adopt(&s2, "MUNICIPAL", "市政府办公室").await;

    // Visits: one attended (members 0 and 1), one excused, one excused but then cancelled.
    let attended = s.visit("INSPECTION", "视察开发区", at(-2), at(-1)).await;
    s.visit_step("startVisit", &attended).await;
    s.office_ok(
        "mutation($v: ID!, $u: [ID!]!) { markAttendance(visitId: $v, userIds: $u, attended: true) { attended } }",
        json!({ "v": attended, "u": [m0, m1] }),
    )
    .await;
    let excused = s.visit("RESEARCH", "调研乡村振兴", at(2), at(3)).await;
    s.visit_step("openVisitSignup", &excused).await;
    s.excused(0, &excused).await;
    let cancelled = s.visit("INSPECTION", "视察水库", at(2), at(3)).await;
    s.visit_step("openVisitSignup", &cancelled).await;
    s.excused(0, &cancelled).await;
    s.office_ok(
        "mutation($id: ID!) { cancelVisit(id: $id, reason: \"天气原因\") { status } }",
        json!({ "id": cancelled }),
    )
    .await;

    // Briefings: three to everyone; member 0 reads two, member 1 none.
    let mut briefings = Vec::new();
    for title in ["一季度经济运行情况", "创卫工作情况", "重点项目建设情况"] {
        briefings.push(s.briefing(title).await);
    }
    for id in &briefings[..2] {
        s.as_member(0, "mutation($id: ID!) { markBriefingRead(id: $id) { unreadBriefingCount } }", json!({ "id": id }))
            .await
            .data();
    }

    // Commendations: one this year, one last year (not this year's figure).
    let honour = |y: i32| {
        json!({ "i": { "year": y, "awardedBy": "市政协", "level": "MUNICIPAL", "title": "优秀政协委员",
                       "subject": { "kind": "USER", "id": m0 } } })
    };
    let record = "mutation($i: RecordCommendationInput!) { recordCommendation(input: $i) { id } }";
    s.office_ok(record, honour(year)).await;
    s.office_ok(record, honour(year - 1)).await;

    // Member 0's record, as they see it and as the office does.
    let mine = s.record_of(&s.members[0], &m0).await;
    assert_eq!(mine, s.record_of(&s.office, &m0).await);
    assert_eq!(mine["name"], "提案委员0");
    assert_eq!(mine["year"], year);
    let figures = |r: &Value| {
        [
            "proposalsLed",
            "proposalsCoSigned",
            "proposalsRegistered",
            "keyProposals",
            "piecesSubmitted",
            "piecesAdopted",
            "visitsAttended",
            "visitLeaves",
            "briefingsReceived",
            "briefingsRead",
            "commendations",
        ]
        .map(|k| r[k].as_i64().unwrap())
    };
    assert_eq!(figures(&mine), [2, 1, 1, 1, 3, 3, 1, 1, 3, 2, 1]);
    assert_eq!(
        mine["adoptedByLevel"],
        json!([
            { "level": "NATIONAL", "count": 0 },
            { "level": "PROVINCIAL", "count": 1 },
            { "level": "MUNICIPAL", "count": 2 },
            { "level": "COUNTY", "count": 0 }
        ]),
        "a piece once per level"
    );
    assert!((mine["briefingReadRate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // Default weights: 2×5 + 1×2 + 1×3 + 1×5 + 3×1 + 1×6 + 2×3 + 1×2 + 1×0 + 1×5 = 42, and
    // 5 points × 2/3 read = 3.33.
    assert_eq!(mine["score"], 45.33);
    assert_eq!(mine["rank"], 1);
    let second = s.record_of(&s.office, &m1).await;
    assert_eq!(figures(&second), [1, 1, 0, 0, 1, 1, 1, 0, 3, 0, 0]);
    assert_eq!(second["briefingReadRate"], 0.0);
    assert_eq!(second["score"], 13.0);
    let idle = s.record_of(&s.office, &s.member_ids[2]).await;
    assert_eq!(figures(&idle), [0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0], "a declined invitation is no co-signature");

    // Nothing of this counts for last year.
    let last = app.gql(Some(&s.office), RECORD, json!({ "u": m0, "y": year - 1 })).await;
    let last = &last.data()["memberDutyRecord"];
    assert_eq!(figures(last), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "only last year's commendation");
    assert!(last["briefingReadRate"].is_null(), "no briefings, no rate");

    // Who may read: another member's record is refused; ranking is for the office.
    app.gql(Some(&s.members[1]), RECORD, json!({ "u": m0, "y": year })).await.refused("FORBIDDEN");
    app.gql(Some(&s.members[0]), RANKING, json!({ "y": year })).await.refused("FORBIDDEN");
    app.gql(Some(&s.office), RECORD, json!({ "u": s.unit_user_ids[0], "y": year })).await.refused("NOT_FOUND");

    // The ranking, paged two by two: by score, equal scores by name.
    let mut names = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let a = app.gql(Some(&s.office), RANKING, json!({ "y": year, "f": 2, "a": after })).await;
        let page = &a.data()["dutyRecords"];
        assert_eq!(page["totalCount"], 5);
        for e in page["edges"].as_array().unwrap() {
            names.push((e["node"]["name"].as_str().unwrap().to_owned(), e["node"]["rank"].as_i64().unwrap()));
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(page["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
    let expected: Vec<(String, i64)> =
        [("提案委员0", 1), ("提案委员1", 2), ("提案委员2", 3), ("提案委员3", 3), ("欧阳,明", 3)]
            .map(|(n, r)| (n.to_owned(), r))
            .into();
    assert_eq!(names, expected);
    let in_sector = app.gql(Some(&s.office), RANKING, json!({ "y": year, "s": sector })).await;
    assert_eq!(in_sector.data()["dutyRecords"]["edges"][0]["node"]["name"], "欧阳,明");
    assert_eq!(in_sector.data()["dutyRecords"]["totalCount"], 1);
    app.gql(Some(&s.office), RANKING, json!({ "y": year, "f": 101 })).await.refused("BAD_USER_INPUT");

    // The office changes the weights; the scores follow.
    let set = app
        .gql(
            Some(&s.office),
            WEIGHTS,
            json!({ "i": { "visitLeave": -2, "adoptedMunicipal": 4, "briefingReadRate": 9 } }),
        )
        .await;
    assert_eq!(
        set.data()["setDutyScoreWeights"],
        json!({ "proposalLed": 5, "visitLeave": -2, "adoptedMunicipal": 4, "briefingReadRate": 9, "isDefault": false })
    );
    app.gql(Some(&s.members[0]), WEIGHTS, json!({ "i": { "visitLeave": 0 } })).await.refused("FORBIDDEN");
    app.gql(Some(&s.office), WEIGHTS, json!({ "i": { "visitLeave": 1000 } })).await.refused("BAD_USER_INPUT");
    // 42 + 2 (municipal 3 → 4, twice) − 2 (the leave) + 9 × 2/3 = 48.
    assert_eq!(s.record_of(&s.members[0], &m0).await["score"], 48.0);
    assert_eq!(s.record_of(&s.office, &m1).await["score"], 14.0);

    // The CSV export: the office's, with a BOM, CRLF, a Chinese header and quoted fields.
    let url = format!("{}/exports/duty-records/{year}.csv", app.base);
    let anonymous = app.http.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let member = app.http.get(&url).bearer_auth(&s.members[0]).send().await.unwrap();
    assert_eq!(member.status(), 403);
    let got = app.http.get(&url).bearer_auth(&s.office).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert!(got.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = got.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 with BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\"欧阳,明\""), "{text}");
    let rows = parse_csv(text);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(rows[0][..3], ["排名", "姓名", "界别"]);
    assert_eq!(rows[0].last().unwrap(), "履职得分");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    assert_eq!(rows[1][..8], ["1", "提案委员0", "", "2", "1", "1", "1", "3"]);
    assert_eq!(rows[1].last().unwrap(), "48.00");
    assert_eq!(rows[5][..3], ["3", "欧阳,明", "经济界"]);
}
both!(a_year_of_duty_counted_scored_ranked_and_exported);

/// Two clerks of the office change different weights at the same instant, round after
/// round: both changes stay (a read-merge-write would put back the other's old value).
async fn two_clerks_change_different_weights_at_once(backend: Backend) {
    let s = setup(backend, 1).await;
    let app = &s.app;
    app.person(&s.office, "13900008888", "第二位工作人员", &s.city, "STAFF").await;
    let clerk = app.login("13900008888", crate::helpers::PASSWORD).await.access;
    let q = "mutation($i: DutyScoreWeightsInput!) { setDutyScoreWeights(input: $i) { visitLeave commendation } }";
    let read = "{ dutyScoreWeights { visitLeave commendation isDefault } }";
    for round in 0..12 {
        let (leave, commendation) = (-(round % 7) - 1, 20 + round);
        let answers = crate::race::together(
            app,
            vec![
                crate::race::request(&s.office, q, json!({ "i": { "visitLeave": leave } })),
                crate::race::request(&clerk, q, json!({ "i": { "commendation": commendation } })),
            ],
        )
        .await;
        answers.iter().for_each(|a| {
            a.data();
        });
        let now = app.gql(Some(&s.office), read, json!({})).await;
        assert_eq!(
            now.data()["dutyScoreWeights"],
            json!({ "visitLeave": leave, "commendation": commendation, "isDefault": false }),
            "round {round}: one clerk's change was lost"
        );
    }
}
both!(two_clerks_change_different_weights_at_once);
