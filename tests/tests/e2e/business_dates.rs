//! Records keep their real dates (issue 15 item 1, 代录): the office types in last year's
//! work with its dates — a proposal handed in on paper at last year's session, registered,
//! assigned, answered by letter, concluded and published; a piece phoned in, accepted,
//! printed, reported and adopted — and the business columns, the serial year, the session
//! and the timelines (entered later, by whom) show those dates. An `at` in the future, an
//! `at` before the step it follows and a member passing `at` are refused with nothing
//! written.
use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::{
    both,
    helpers::Backend,
    proposals::{Setup, setup},
};

const PROPOSAL: &str = "id status serialNumber submittedAt registeredAt concludedAt session { name } proposer { id } \
    replies { repliedAt unitId } result { publishedAt } \
    timeline { action at enteredLater recordedAt actor { id } }";
const SUGGESTION: &str = "id status submittedAt acceptedAt authors { id } reports { reportedAt } \
    adoptions { adoptedAt } timeline { action at enteredLater recordedAt }";

fn last_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year() - 1
}

/// Last year's `month`/`day` at 10:00 China time, as the API takes it.
fn on(month: u32, day: u32) -> String {
    format!("{}-{month:02}-{day:02}T02:00:00Z", last_year())
}

fn instant(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("not a time: {v}"))).unwrap().to_utc()
}

fn same(v: &Value, at: &str) {
    assert_eq!(instant(v), instant(&json!(at)), "{v} is {at}");
}

async fn me(s: &Setup) -> String {
    s.as_office("{ me { id } }", json!({})).await.data()["me"]["id"].as_str().unwrap().to_owned()
}

async fn proposal(s: &Setup, id: &str) -> Value {
    let q = format!("query($id: ID!) {{ proposal(id: $id) {{ {PROPOSAL} }} }}");
    s.as_office(&q, json!({ "id": id })).await.data()["proposal"].clone()
}

async fn suggestion(s: &Setup, id: &str) -> Value {
    let q = format!("query($id: ID!) {{ suggestion(id: $id) {{ {SUGGESTION} }} }}");
    s.as_office(&q, json!({ "id": id })).await.data()["suggestion"].clone()
}

/// The timeline entry of `action`.
fn entry<'a>(item: &'a Value, action: &str) -> &'a Value {
    item["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} in {}", item["timeline"]))
}

/// A proposal handed in on paper by member `who`, typed in by the office as a draft.
async fn paper_draft(s: &Setup, who: usize, title: &str) -> String {
    let a = s
        .as_office(
            "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id status proposer { id } } }",
            json!({ "i": { "title": title, "suggestions": "一、……二、……", "category": "社会", "authorId": s.member_ids[who] } }),
        )
        .await;
    let d = &a.data()["createProposalDraft"];
    assert_eq!(d["proposer"]["id"], s.member_ids[who], "the member's proposal");
    d["id"].as_str().unwrap().to_owned()
}

async fn submit(s: &Setup, token: &str, id: &str, at: Option<&str>) -> crate::helpers::Answer {
    s.app
        .gql(
            Some(token),
            "mutation($id: ID!, $k: String!, $at: DateTime) { submitProposal(id: $id, idempotencyKey: $k, at: $at) { id status } }",
            json!({ "id": id, "k": format!("submit-{id}"), "at": at }),
        )
        .await
}

async fn office(s: &Setup, mutation: &str, vars: Value) -> crate::helpers::Answer {
    s.as_office(mutation, vars).await
}

const REGISTER: &str = "mutation($id: ID!, $at: DateTime) { registerProposal(id: $id, at: $at) { status } }";
const REPLY: &str = "mutation($id: ID!, $i: ReplyInput!) { replyToProposal(id: $id, input: $i) { status } }";

async fn a_proposal_handed_in_on_paper_last_year_keeps_its_dates(backend: Backend) {
    let s = setup(backend, 2).await;
    let typist = me(&s).await;
    let y = last_year();
    // Last year's plenary session, 3–10 March.
    s.as_office(
        "mutation($i: PlenarySessionInput!) { createPlenarySession(input: $i) { id } }",
        json!({ "i": { "term": 12, "number": 3, "startsOn": format!("{y}-03-03"), "endsOn": format!("{y}-03-10") } }),
    )
    .await
    .data();

    // Only the office types in a paper proposal, and only for a member of its committee.
    let create = "mutation($i: CreateProposalDraftInput!) { createProposalDraft(input: $i) { id } }";
    let draft_for = |author: &str| json!({ "i": { "title": "代录", "category": "社会", "authorId": author } });
    s.as_member(0, create, draft_for(&s.member_ids[1])).await.refused("FORBIDDEN");
    let a = s.as_office(create, draft_for(&s.unit_user_ids[0])).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "authorId");

    let id = paper_draft(&s, 0, "关于加快老旧小区改造的建议").await;
    // The member sees the paper proposal as theirs.
    let mine = s.as_member(0, "{ myProposals { nodes { id } } }", json!({})).await;
    assert!(mine.data()["myProposals"]["nodes"].as_array().unwrap().iter().any(|p| p["id"] == id));

    // A member acts now: passing `at` is refused, and nothing moves.
    let own = s.create(0, json!({ "title": "委员自己的提案", "suggestions": "建议", "category": "经济" })).await;
    submit(&s, &s.members[0], &own, Some(&on(3, 5))).await.refused("FORBIDDEN");
    let own_now = s.as_member(0, "query($id: ID!) { proposal(id: $id) { status } }", json!({ "id": own })).await;
    assert_eq!(own_now.data()["proposal"]["status"], "DRAFT", "nothing written");
    // An `at` in the future is refused.
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    let a = submit(&s, &s.office, &id, Some(&tomorrow)).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "at");
    assert_eq!(proposal(&s, &id).await["status"], "DRAFT", "nothing written");

    // Handed in at the session; registered a fortnight later.
    assert_eq!(submit(&s, &s.office, &id, Some(&on(3, 5))).await.data()["submitProposal"]["status"], "SUBMITTED");
    let a = office(&s, REGISTER, json!({ "id": id, "at": on(3, 1) })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "at");
    assert!(a.message().contains("提交时间"), "{}", a.message());
    assert_eq!(proposal(&s, &id).await["status"], "SUBMITTED", "nothing written");
    office(&s, REGISTER, json!({ "id": id, "at": on(3, 20) })).await.data();

    // Assigned in April, answered by letter in June (typed in by the office for the unit),
    // concluded in July, its result published.
    office(
        &s,
        "mutation($id: ID!, $u: ID!, $at: DateTime) { assignProposal(id: $id, assignments: [{ unitId: $u, role: LEAD }], at: $at) { status } }",
        json!({ "id": id, "u": s.units[0], "at": on(4, 1) }),
    )
    .await
    .data();
    let letter = |at: String| json!({ "unitId": s.units[0], "at": at, "outcome": "A", "content": "已列入年度改造计划", "contact": "张三 0571-1234567" });
    // A unit answers now; the office types in a letter dated before the assignment: refused.
    let a = s
        .app
        .gql(
            Some(&s.unit_tokens[0]),
            REPLY,
            json!({ "id": id, "i": { "at": on(6, 15), "outcome": "A", "content": "答复", "contact": "张三" } }),
        )
        .await;
    a.refused("FORBIDDEN");
    let a = office(&s, REPLY, json!({ "id": id, "i": letter(on(3, 25)) })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "at");
    assert!(a.message().contains("交办时间"), "{}", a.message());
    assert_eq!(proposal(&s, &id).await["status"], "ASSIGNED", "nothing written");
    office(&s, REPLY, json!({ "id": id, "i": letter(on(6, 15)) })).await.data();
    let a = office(
        &s,
        "mutation($id: ID!, $at: DateTime) { concludeProposal(id: $id, at: $at) { status } }",
        json!({ "id": id, "at": on(6, 1) }),
    )
    .await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "at", "concluded before the reply");
    office(
        &s,
        "mutation($id: ID!, $at: DateTime) { concludeProposal(id: $id, at: $at) { status } }",
        json!({ "id": id, "at": on(7, 1) }),
    )
    .await
    .data();
    office(
        &s,
        "mutation($id: ID!, $at: DateTime) { publishProposalResult(id: $id, summary: \"已完成改造12个小区\", at: $at) { status } }",
        json!({ "id": id, "at": on(7, 10) }),
    )
    .await
    .data();

    let p = proposal(&s, &id).await;
    assert_eq!(p["status"], "CONCLUDED");
    assert_eq!(p["proposer"]["id"], s.member_ids[0]);
    same(&p["submittedAt"], &on(3, 5));
    same(&p["registeredAt"], &on(3, 20));
    same(&p["replies"][0]["repliedAt"], &on(6, 15));
    assert_eq!(p["replies"][0]["unitId"], s.units[0], "the unit's reply, typed in");
    same(&p["concludedAt"], &on(7, 1));
    same(&p["result"]["publishedAt"], &on(7, 10));
    // The serial number is last year's, the session last year's session.
    assert_eq!(p["serialNumber"], format!("{y}-0001"));
    assert_eq!(p["session"]["name"], "十二届三次会议");
    // The timeline shows the business dates, marked as entered later by the office.
    for (action, at) in [
        ("SUBMITTED", on(3, 5)),
        ("REGISTERED", on(3, 20)),
        ("ASSIGNED", on(4, 1)),
        ("REPLIED", on(6, 15)),
        ("CONCLUDED", on(7, 1)),
        ("RESULT_PUBLISHED", on(7, 10)),
    ] {
        let e = entry(&p, action);
        same(&e["at"], &at);
        assert_eq!(e["enteredLater"], true, "{action}");
        assert!(instant(&e["recordedAt"]) > Utc::now() - Duration::minutes(10), "typed in today");
        assert_eq!(e["actor"]["id"], typist, "{action} by who typed it");
    }
    let drafted = entry(&p, "DRAFTED");
    assert_eq!(drafted["enteredLater"], false, "typing the draft in happened now");
    assert!(drafted["recordedAt"].is_null());
    // The member reads the same timeline.
    let q = "query($id: ID!) { proposal(id: $id) { timeline { action enteredLater } } }";
    let theirs = s.as_member(0, q, json!({ "id": id })).await;
    assert!(theirs.data()["proposal"]["timeline"].as_array().unwrap().iter().any(|e| e["enteredLater"] == true));

    // A proposal submitted live this year takes this year's first number: the years count
    // separately.
    let live = s.submitted(1, "今年的提案").await;
    office(&s, REGISTER, json!({ "id": live, "at": null })).await.data();
    let p = proposal(&s, &live).await;
    assert_eq!(p["serialNumber"], format!("{}-0001", y + 1));
    assert!(p["session"].is_null(), "no session held today");
    assert_eq!(entry(&p, "REGISTERED")["enteredLater"], false);
}
both!(a_proposal_handed_in_on_paper_last_year_keeps_its_dates);

async fn a_piece_phoned_in_last_year_keeps_its_dates(backend: Backend) {
    let s = setup(backend, 1).await;
    let submit = "mutation($i: SubmitSuggestionInput!, $k: String!) { submitSuggestion(input: $i, idempotencyKey: $k) { id status } }";
    let piece = |at: Option<String>, author: Option<&str>| json!({ "title": "菜市场周边交通拥堵", "content": "早高峰拥堵严重，建议错峰。", "category": "城市管理", "at": at, "authorId": author });
    // A member on the phone acts now.
    let a = s.as_member(0, submit, json!({ "i": piece(Some(on(5, 10)), None), "k": "member-with-at" })).await;
    a.refused("FORBIDDEN");
    // The office types in what the member phoned in last May.
    let a = s
        .as_office(submit, json!({ "i": piece(Some(on(5, 10)), Some(&s.member_ids[0])), "k": "phoned-in-0001" }))
        .await;
    let id = a.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
    let mine = s.as_member(0, "{ mySuggestions { nodes { id } } }", json!({})).await;
    assert!(mine.data()["mySuggestions"]["nodes"].as_array().unwrap().iter().any(|p| p["id"] == id), "theirs");

    let accept = "mutation($id: ID!, $at: DateTime) { acceptSuggestion(id: $id, at: $at) { status } }";
    let a = s.as_office(accept, json!({ "id": id, "at": on(5, 9) })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "at");
    assert!(a.message().contains("收到时间"), "{}", a.message());
    assert_eq!(suggestion(&s, &id).await["status"], "SUBMITTED", "nothing written");
    s.as_office(accept, json!({ "id": id, "at": on(5, 12) })).await.data();

    let issue = s
        .as_office(
            "mutation($y: Int) { createBulletinIssue(input: { title: \"社情民意\", number: 7, year: $y }) { id } }",
            json!({ "y": last_year() }),
        )
        .await
        .data()["createBulletinIssue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.as_office(
        "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"菜市场周边交通拥堵\", editedContent: \"建议错峰。\") { id } }",
        json!({ "i": issue, "s": id }),
    )
    .await
    .data();
    let publish = "mutation($i: ID!, $at: DateTime) { publishBulletin(issueId: $i, at: $at) { publishedAt } }";
    s.as_office(publish, json!({ "i": issue, "at": on(5, 11) })).await.refused("BAD_USER_INPUT");
    let a = s.as_office(publish, json!({ "i": issue, "at": on(5, 20) })).await;
    same(&a.data()["publishBulletin"]["publishedAt"], &on(5, 20));

    let report = "mutation($id: ID!, $at: DateTime) { reportSuggestion(id: $id, recipients: { bodies: [\"市委\"] }, at: $at) { status } }";
    let a = s.as_office(report, json!({ "id": id, "at": on(5, 15) })).await;
    a.refused("BAD_USER_INPUT");
    assert!(a.message().contains("编发时间"), "{}", a.message());
    let a = s.as_office(report, json!({ "id": id, "at": (Utc::now() + Duration::hours(2)).to_rfc3339() })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(suggestion(&s, &id).await["status"], "PUBLISHED", "nothing written");
    s.as_office(report, json!({ "id": id, "at": on(5, 25) })).await.data();
    s.as_office(
        "mutation($id: ID!, $d: NaiveDate!) { recordAdoption(id: $id, input: { level: PROVINCIAL, form: SINGLE, adoptedBy: \"省政协办公厅\", adoptedAt: $d }) { status } }",
        json!({ "id": id, "d": format!("{}-06-01", last_year()) }),
    )
    .await
    .data();

    let p = suggestion(&s, &id).await;
    assert_eq!(p["status"], "ADOPTED");
    assert_eq!(p["authors"][0]["id"], s.member_ids[0], "the member's piece");
    same(&p["submittedAt"], &on(5, 10));
    same(&p["acceptedAt"], &on(5, 12));
    same(&p["reports"][0]["reportedAt"], &on(5, 25));
    for (action, at) in
        [("SUBMITTED", on(5, 10)), ("ACCEPTED", on(5, 12)), ("PUBLISHED", on(5, 20)), ("REPORTED", on(5, 25))]
    {
        let e = entry(&p, action);
        same(&e["at"], &at);
        assert_eq!(e["enteredLater"], true, "{action}");
        assert!(!e["recordedAt"].is_null());
    }
    // The adoption letter's date, at the start of that day in China.
    let adopted = entry(&p, "ADOPTED");
    same(&adopted["at"], &format!("{}-05-31T16:00:00Z", last_year()));
    assert_eq!(adopted["enteredLater"], true);
}
both!(a_piece_phoned_in_last_year_keeps_its_dates);

/// A step typed in later (代录) reaches the people it concerns in their inbox, already read,
/// and never as a push: the member sees what the office recorded, without a badge or a
/// phone buzzing for last year's paper. A step taken now notifies as always.
async fn steps_typed_in_later_are_in_the_inbox_read_and_not_pushed(backend: Backend) {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let s = setup(backend, 1).await;
    let device = format!("tok0042-{}", "a1b2c3d4".repeat(8));
    s.as_member(
        0,
        "mutation($t: String!) { registerPushToken(platform: ANDROID, token: $t) { id } }",
        json!({ "t": device }),
    )
    .await
    .data();
    let old = paper_draft(&s, 0, "去年纸质提交的提案").await;
    submit(&s, &s.office, &old, Some(&on(3, 5))).await.data();
    office(&s, REGISTER, json!({ "id": old, "at": on(3, 20) })).await.data();
    api::notifications::dispatcher::run_until_idle(&s.app.state.db).await.unwrap();

    let inbox = "{ unreadNotificationCount notifications(first: 10) { edges { node { kind subjectId readAt } } } }";
    let a = s.as_member(0, inbox, json!({})).await;
    let edges = a.data()["notifications"]["edges"].as_array().unwrap().clone();
    let registered = edges
        .iter()
        .map(|e| &e["node"])
        .find(|n| n["kind"] == "PROPOSAL_REGISTERED" && n["subjectId"] == old.as_str())
        .unwrap_or_else(|| panic!("the member is told: {}", a.body));
    assert!(!registered["readAt"].is_null(), "already read: {registered}");
    assert_eq!(a.data()["unreadNotificationCount"], 0, "no badge for what was typed in");
    assert_eq!(entity::push_delivery::Entity::find().count(&s.app.state.db).await.unwrap(), 0, "no push");

    // The same step taken now: unread, and pushed.
    let now = s.submitted(0, "今年的提案").await;
    office(&s, REGISTER, json!({ "id": now, "at": null })).await.data();
    api::notifications::dispatcher::run_until_idle(&s.app.state.db).await.unwrap();
    let a = s.as_member(0, inbox, json!({})).await;
    assert_eq!(a.data()["unreadNotificationCount"], 1, "{}", a.body);
    assert_eq!(entity::push_delivery::Entity::find().count(&s.app.state.db).await.unwrap(), 1, "pushed");
}
both!(steps_typed_in_later_are_in_the_inbox_read_and_not_pushed);
