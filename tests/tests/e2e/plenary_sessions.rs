//! Plenary sessions (issue 15 item 2): created and corrected by the office, listed, refused
//! with clear codes; a proposal submitted during a session belongs to it, one in recess does
//! not; registration numbers restart per session (PER_SESSION) or run per year (PER_YEAR).
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app},
    notifications::{dispatched, inbox},
    proposals::{Setup, setup},
};

const CREATE: &str = "mutation($i: PlenarySessionInput!) { createPlenarySession(input: $i) { id term number name startsOn endsOn organization { id } } }";
const UPDATE: &str = "mutation($id: ID!, $i: PlenarySessionInput!) { updatePlenarySession(id: $id, input: $i) { id name startsOn endsOn } }";
const LIST: &str = "query($o: ID) { plenarySessions(organizationId: $o) { id name startsOn } }";

/// Today in China, and a day `n` days from it, as the API's dates.
fn day(n: i64) -> String {
    ((Utc::now() + Duration::hours(8)).date_naive() + Duration::days(n)).to_string()
}

fn this_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year()
}

fn session(term: i32, number: i32, from: i64, to: i64) -> Value {
    json!({ "term": term, "number": number, "startsOn": day(from), "endsOn": day(to) })
}

async fn create(app: &TestApp, token: &str, input: Value) -> String {
    let a = app.gql(Some(token), CREATE, json!({ "i": input })).await;
    a.data()["createPlenarySession"]["id"].as_str().unwrap().to_owned()
}

async fn move_session(app: &TestApp, token: &str, id: &str, input: Value) {
    app.gql(Some(token), UPDATE, json!({ "id": id, "i": input })).await.data();
}

async fn sessions_are_created_listed_and_refused_with_clear_codes(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.admin().await;
    let city = app.current_org(&root).await;
    let a = app.gql(Some(&root), CREATE, json!({ "i": session(12, 3, -1, 1) })).await;
    let s = &a.data()["createPlenarySession"];
    assert_eq!(s["name"], "十二届三次会议", "the default name");
    assert_eq!(s["startsOn"], day(-1));
    assert_eq!(s["organization"]["id"], city);
    let first = s["id"].as_str().unwrap().to_owned();

    let mut named = session(12, 2, -400, -398);
    named["name"] = json!("政协第十二届委员会第二次会议");
    create(&app, &root, named).await;
    let list = app.gql(Some(&root), LIST, json!({})).await;
    let names: Vec<&str> =
        list.data()["plenarySessions"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["十二届三次会议", "政协第十二届委员会第二次会议"], "newest first");

    // Bad input, each with its code and field.
    let backwards = json!({ "term": 12, "number": 5, "startsOn": day(10), "endsOn": day(9) });
    let a = app.gql(Some(&root), CREATE, json!({ "i": backwards })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "endsOn");
    let a = app.gql(Some(&root), CREATE, json!({ "i": session(0, 1, 20, 21) })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "term");
    let a = app.gql(Some(&root), CREATE, json!({ "i": session(12, 3, 100, 101) })).await;
    a.refused("CONFLICT");
    assert_eq!(a.field(), "number", "the same term and number twice");
    let a = app.gql(Some(&root), CREATE, json!({ "i": session(12, 4, 1, 3) })).await;
    a.refused("CONFLICT");
    assert_eq!(a.field(), "startsOn", "sharing the closing day of the third session");
    assert!(a.message().contains("十二届三次会议"), "{}", a.message());

    // Corrections: the dates move; an overlap or a taken number is refused the same way.
    app.gql(Some(&root), UPDATE, json!({ "id": first, "i": session(12, 3, -2, 0) })).await.data();
    let a = app.gql(Some(&root), UPDATE, json!({ "id": first, "i": session(12, 2, -2, 0) })).await;
    a.refused("CONFLICT");
    assert_eq!(a.field(), "number");
    let a = app.gql(Some(&root), UPDATE, json!({ "id": first, "i": session(12, 3, -399, -399) })).await;
    a.refused("CONFLICT");

    // Members read their committee's sessions and may not create or change them; another
    // committee's are out of sight.
    let county = app.create_org(&root, "甲县政协", "COUNTY", &city).await;
    let other_county = app.create_org(&root, "乙县政协", "COUNTY", &city).await;
    app.person(&root, "13900001501", "市委员", &city, "MEMBER").await;
    app.person(&root, "13900001502", "乙县委员", &other_county, "MEMBER").await;
    app.person(&root, "13900001503", "甲县机关", &county, "STAFF").await;
    let member = app.login("13900001501", PASSWORD).await.access;
    let other = app.login("13900001502", PASSWORD).await.access;
    let county_staff = app.login("13900001503", PASSWORD).await.access;
    assert_eq!(app.gql(Some(&member), LIST, json!({})).await.data()["plenarySessions"].as_array().unwrap().len(), 2);
    app.gql(Some(&member), CREATE, json!({ "i": session(12, 6, 50, 51) })).await.refused("FORBIDDEN");
    app.gql(Some(&member), UPDATE, json!({ "id": first, "i": session(12, 3, -2, 0) })).await.refused("FORBIDDEN");
    // The committee above is in every county's sight: changing its session is FORBIDDEN.
    app.gql(Some(&other), UPDATE, json!({ "id": first, "i": session(12, 3, -2, 0) })).await.refused("FORBIDDEN");
    app.gql(Some(&member), LIST, json!({ "o": other_county })).await.refused("NOT_FOUND");
    app.gql(Some(&other), LIST, json!({ "o": city })).await.data();
    // The county office runs its own sessions (the same dates as the city's are no overlap).
    let mut own = session(8, 3, -1, 1);
    own["organizationId"] = json!(county);
    let county_session = create(&app, &county_staff, own).await;
    let a = app.gql(Some(&other), UPDATE, json!({ "id": county_session, "i": session(8, 3, -2, 0) })).await;
    a.refused("NOT_FOUND");
    let mut elsewhere = session(8, 3, -1, 1);
    elsewhere["organizationId"] = json!(other_county);
    app.gql(Some(&county_staff), CREATE, json!({ "i": elsewhere })).await.refused("FORBIDDEN");
    let list = app.gql(Some(&root), LIST, json!({ "o": county })).await;
    assert_eq!(list.data()["plenarySessions"][0]["name"], "八届三次会议");
}
both!(sessions_are_created_listed_and_refused_with_clear_codes);

const NUMBERED: &str = "mutation($id: ID!) { registerProposal(id: $id) { serialNumber session { id } } }";
const SESSION_OF: &str = "query($id: ID!) { proposal(id: $id) { submittedAt session { id name } } }";

async fn session_of(s: &Setup, id: &str) -> Value {
    s.as_office(SESSION_OF, json!({ "id": id })).await.data()["proposal"]["session"].clone()
}

async fn serial(s: &Setup, id: &str) -> String {
    s.as_office(NUMBERED, json!({ "id": id })).await.data()["registerProposal"]["serialNumber"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn ids_in_session(s: &Setup, session: &str) -> Vec<String> {
    let a = s
        .as_office(
            "query($s: ID!) { proposals(filter: { sessionId: $s }) { totalCount edges { node { id } } } }",
            json!({ "s": session }),
        )
        .await;
    let mut ids: Vec<String> = a.data()["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Numbering per session: the third session's proposals are 12-3-0001 and 0002, one in
/// recess takes the year's first number, the fourth session starts again at 0001.
async fn proposals_belong_to_their_session_and_are_numbered_per_session(backend: Backend) {
    let s = setup(backend, 1).await;
    let a = s
        .as_office(
            "mutation($id: ID!) { updateOrganization(id: $id, input: { proposalNumbering: PER_SESSION }) { proposalNumbering } }",
            json!({ "id": s.city }),
        )
        .await;
    assert_eq!(a.data()["updateOrganization"]["proposalNumbering"], "PER_SESSION");

    let third = create(&s.app, &s.office, session(12, 3, -1, 1)).await;
    let p1 = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    let p2 = s.submitted(0, "关于完善社区养老服务的提案").await;
    assert_eq!(session_of(&s, &p1).await["id"], third);
    assert_eq!(session_of(&s, &p1).await["name"], "十二届三次会议");
    assert_eq!(serial(&s, &p2).await, "12-3-0001", "numbered in the order registered");
    assert_eq!(serial(&s, &p1).await, "12-3-0002");
    // The proposer is told the number as it reads.
    dispatched(&s.app).await;
    let told = inbox(&s.app, &s.members[0]).await;
    let bodies: Vec<&str> =
        told.iter().filter(|n| n["kind"] == "PROPOSAL_REGISTERED").filter_map(|n| n["body"].as_str()).collect();
    assert_eq!(
        bodies,
        ["《关于加快老旧小区加装电梯的提案》\n立案号：12-3-0002", "《关于完善社区养老服务的提案》\n立案号：12-3-0001"],
        "newest first"
    );

    // The session is over (its dates corrected into the past): the next proposal is of the
    // recess and numbered per year; the proposals of the session stay its own.
    move_session(&s.app, &s.office, &third, session(12, 3, -40, -38)).await;
    let recess = s.submitted(0, "关于规范共享单车停放的提案").await;
    assert!(session_of(&s, &recess).await.is_null(), "submitted in recess");
    assert_eq!(serial(&s, &recess).await, format!("{}-0001", this_year()));
    assert_eq!(session_of(&s, &p1).await["id"], third);

    let fourth = create(&s.app, &s.office, session(12, 4, 0, 0)).await;
    let p4 = s.submitted(0, "关于增设公交线路的提案").await;
    assert_eq!(session_of(&s, &p4).await["id"], fourth);
    assert_eq!(serial(&s, &p4).await, "12-4-0001", "each session starts again");

    let mut third_ids = vec![p1.clone(), p2.clone()];
    third_ids.sort();
    assert_eq!(ids_in_session(&s, &third).await, third_ids);
    assert_eq!(ids_in_session(&s, &fourth).await, vec![p4.clone()]);
    let a = s.as_office("query { proposals(filter: { sessionId: \"nonsense\" }) { totalCount } }", json!({})).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "filter.sessionId");

    // A member reads the session of their own proposal.
    let mine = s.as_member(0, SESSION_OF, json!({ "id": p4 })).await;
    assert_eq!(mine.data()["proposal"]["session"]["name"], "十二届四次会议");
}
both!(proposals_belong_to_their_session_and_are_numbered_per_session);

/// The default: one sequence a year, whatever the session; the proposal still belongs to
/// its session. Only an admin changes the numbering.
async fn numbering_per_year_runs_through_sessions_and_recess(backend: Backend) {
    let s = setup(backend, 1).await;
    let org = s.as_office("{ currentOrganization { proposalNumbering } }", json!({})).await;
    assert_eq!(org.data()["currentOrganization"]["proposalNumbering"], "PER_YEAR");
    let session_id = create(&s.app, &s.office, session(12, 3, -1, 1)).await;
    let during = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    move_session(&s.app, &s.office, &session_id, session(12, 3, -40, -38)).await;
    let recess = s.submitted(0, "关于规范共享单车停放的提案").await;
    assert_eq!(session_of(&s, &during).await["id"], session_id);
    assert!(session_of(&s, &recess).await.is_null());
    // Returned for revision and resubmitted in recess, it stays the session's proposal.
    s.as_office(
        "mutation($id: ID!) { returnProposal(id: $id, reason: \"请补充情况分析\") { id } }",
        json!({ "id": during }),
    )
    .await
    .data();
    s.as_member(0, "mutation($id: ID!) { resubmitProposal(id: $id) { id } }", json!({ "id": during })).await.data();
    assert_eq!(session_of(&s, &during).await["id"], session_id);
    let year = this_year();
    assert_eq!(serial(&s, &during).await, format!("{year}-0001"));
    assert_eq!(serial(&s, &recess).await, format!("{year}-0002"));

    let a = s
        .as_member(
            0,
            "mutation($id: ID!) { updateOrganization(id: $id, input: { proposalNumbering: PER_SESSION }) { id } }",
            json!({ "id": s.city }),
        )
        .await;
    a.refused("FORBIDDEN");
}
both!(numbering_per_year_runs_through_sessions_and_recess);

/// Two clerks create overlapping sessions at the same instant, round after round: one is
/// created, the other refused, never both (the organization row is locked for the check).
async fn overlapping_sessions_created_at_once_leave_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let root = app.admin().await;
    for round in 0..8i64 {
        // Each round a fortnight of its own, far from the others; the two overlap by a day.
        let from = -800 + round * 20;
        let answers = crate::race::together(
            &app,
            vec![
                crate::race::request(&root, CREATE, json!({ "i": session(20 + round as i32, 1, from, from + 3) })),
                crate::race::request(&root, CREATE, json!({ "i": session(30 + round as i32, 1, from + 3, from + 6) })),
            ],
        )
        .await;
        let created = answers.iter().filter(|a| crate::race::succeeded(a)).count();
        assert_eq!(created, 1, "round {round}: {:?}", answers.iter().map(crate::race::outcome).collect::<Vec<_>>());
        answers.iter().find(|a| !crate::race::succeeded(a)).unwrap().refused("CONFLICT");
    }
    let list = app.gql(Some(&root), LIST, json!({})).await;
    assert_eq!(list.data()["plenarySessions"].as_array().unwrap().len(), 8);
}
both!(overlapping_sessions_created_at_once_leave_one);
