//! Commendations (issue 15 item 4): each kind of subject, checked to exist in the recording
//! committee's reach (NOT_FOUND otherwise), listed by year, committee and kind, read by
//! members, deleted by the office.
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Backend, PASSWORD},
    proposals::{draft, setup},
};

const RECORD: &str = "mutation($i: RecordCommendationInput!) { recordCommendation(input: $i) { id year awardedBy level title subjectKind subjectId subjectName organization { id } } }";
const LIST: &str = "query($y: Int!, $o: ID, $k: CommendationSubjectKind) { commendations(year: $y, organizationId: $o, subjectKind: $k) { id title subjectKind subjectName } }";
const DELETE: &str = "mutation($id: ID!) { deleteCommendation(id: $id) { id } }";

fn this_year() -> i32 {
    (Utc::now() + Duration::hours(8)).year()
}

fn honour(kind: &str, id: &str, title: &str) -> Value {
    json!({ "year": this_year(), "awardedBy": "省政协", "level": "PROVINCIAL", "title": title,
            "subject": { "kind": kind, "id": id } })
}

fn titles(a: &crate::helpers::Answer) -> Vec<String> {
    a.data()["commendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subjectName"].as_str().unwrap().to_owned())
        .collect()
}

async fn each_kind_of_subject_in_reach_is_commended_and_listed(backend: Backend) {
    let s = setup(backend, 2).await;
    let app = &s.app;
    let office = &s.office;
    let year = this_year();
    let proposal = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;
    let piece = app
        .gql(
            Some(&s.members[0]),
            "mutation { submitSuggestion(input: { title: \"东门路口积水\", content: \"群众反映……\", category: \"城市管理\" }, idempotencyKey: \"commend-1\") { id } }",
            json!({}),
        )
        .await
        .data()["submitSuggestion"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let county = app.create_org(office, "甲县政协", "COUNTY", &s.city).await;
    let subjects = [
        ("PROPOSAL", proposal.as_str(), "优秀提案", "关于加快老旧小区加装电梯的提案"),
        ("SUGGESTION", piece.as_str(), "优秀社情民意信息", "东门路口积水"),
        ("HANDLING_UNIT", s.units[0].as_str(), "提案办理先进单位", "市住房和城乡建设局"),
        ("USER", s.member_ids[1].as_str(), "优秀政协委员", "提案委员1"),
        ("ORGANIZATION", county.as_str(), "先进县级政协", "甲县政协"),
    ];
    let mut ids = Vec::new();
    for (kind, id, title, name) in subjects {
        let a = app.gql(Some(office), RECORD, json!({ "i": honour(kind, id, title) })).await;
        let c = &a.data()["recordCommendation"];
        assert_eq!(c["subjectKind"], kind);
        assert_eq!(c["subjectId"], id);
        assert_eq!(c["subjectName"], name, "the honour names its subject");
        assert_eq!(c["level"], "PROVINCIAL");
        assert_eq!(c["organization"]["id"], s.city);
        ids.push(c["id"].as_str().unwrap().to_owned());
    }
    let mut last_year = honour("USER", &s.member_ids[0], "优秀政协委员");
    last_year["year"] = json!(year - 1);
    app.gql(Some(office), RECORD, json!({ "i": last_year })).await.data();

    // Lists: by year, by kind; members read them too (public honours).
    let all = app.gql(Some(&s.members[0]), LIST, json!({ "y": year })).await;
    assert_eq!(titles(&all).len(), 5);
    let users = app.gql(Some(&s.members[0]), LIST, json!({ "y": year, "k": "USER" })).await;
    assert_eq!(titles(&users), ["提案委员1"]);
    let before = app.gql(Some(office), LIST, json!({ "y": year - 1 })).await;
    assert_eq!(titles(&before), ["提案委员0"]);

    // Bad input and a second recording of the same honour.
    let a = app.gql(Some(office), RECORD, json!({ "i": honour("PROPOSAL", &proposal, "优秀提案") })).await;
    a.refused("CONFLICT");
    assert_eq!(a.field(), "title");
    let mut future = honour("PROPOSAL", &proposal, "优秀提案");
    future["year"] = json!(year + 1);
    let a = app.gql(Some(office), RECORD, json!({ "i": future })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "year");
    let a = app.gql(Some(office), RECORD, json!({ "i": honour("PROPOSAL", &proposal, "  ") })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "title");
    let a = app.gql(Some(office), RECORD, json!({ "i": honour("PROPOSAL", "not-an-id", "优秀提案") })).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "subject.id");
    // A subject named with the wrong kind does not exist as that kind.
    app.gql(Some(office), RECORD, json!({ "i": honour("SUGGESTION", &proposal, "优秀信息") }))
        .await
        .refused("NOT_FOUND");
    // Someone's draft is theirs alone.
    let drafted = s.create(1, draft("尚未提交的提案")).await;
    app.gql(Some(office), RECORD, json!({ "i": honour("PROPOSAL", &drafted, "优秀提案") })).await.refused("NOT_FOUND");

    // Members may not record or delete.
    app.gql(Some(&s.members[0]), RECORD, json!({ "i": honour("USER", &s.member_ids[0], "自荐") }))
        .await
        .refused("FORBIDDEN");
    app.gql(Some(&s.members[0]), DELETE, json!({ "id": ids[0] })).await.refused("FORBIDDEN");
    // The office deletes a mistake.
    let a = app.gql(Some(office), DELETE, json!({ "id": ids[0] })).await;
    assert_eq!(a.data()["deleteCommendation"]["id"], ids[0]);
    let all = app.gql(Some(office), LIST, json!({ "y": year, "k": "PROPOSAL" })).await;
    assert!(titles(&all).is_empty());
    app.gql(Some(office), DELETE, json!({ "id": ids[0] })).await.refused("NOT_FOUND");
}
both!(each_kind_of_subject_in_reach_is_commended_and_listed);

/// A county office commends what is its own; the city's, a sibling county's or the city
/// itself are out of its reach (NOT_FOUND). The city's admin reaches down and reads the
/// county's list.
async fn subjects_of_another_committee_are_not_found(backend: Backend) {
    let s = setup(backend, 1).await;
    let app = &s.app;
    let root = &s.office;
    let a_county = app.create_org(root, "甲县政协", "COUNTY", &s.city).await;
    let b_county = app.create_org(root, "乙县政协", "COUNTY", &s.city).await;
    app.person(root, "13900001601", "甲县机关", &a_county, "STAFF").await;
    app.person(root, "13900001602", "甲县委员", &a_county, "MEMBER").await;
    app.person(root, "13900001603", "乙县机关", &b_county, "STAFF").await;
    let a_member_id = app.person(root, "13900001604", "甲县另一委员", &a_county, "MEMBER").await;
    let a_staff = app.login("13900001601", PASSWORD).await.access;
    let a_member = app.login("13900001602", PASSWORD).await.access;
    let b_staff = app.login("13900001603", PASSWORD).await.access;
    let b_unit = app
        .gql(Some(&b_staff), "mutation { createHandlingUnit(input: { name: \"乙县财政局\" }) { id } }", json!({}))
        .await
        .data()["createHandlingUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let city_proposal = s.submitted(0, "关于加快老旧小区加装电梯的提案").await;

    for (kind, id) in [
        ("HANDLING_UNIT", b_unit.as_str()),
        ("PROPOSAL", city_proposal.as_str()),
        ("USER", s.member_ids[0].as_str()),
        ("ORGANIZATION", s.city.as_str()),
        ("ORGANIZATION", b_county.as_str()),
        ("HANDLING_UNIT", "00000000-0000-7000-8000-000000000000"),
    ] {
        let a = app.gql(Some(&a_staff), RECORD, json!({ "i": honour(kind, id, "先进") })).await;
        a.refused("NOT_FOUND");
    }
    // Its own member and itself are in reach; so is the county for the city's admin.
    app.gql(Some(&a_staff), RECORD, json!({ "i": honour("USER", &a_member_id, "优秀政协委员") })).await.data();
    app.gql(Some(&a_staff), RECORD, json!({ "i": honour("ORGANIZATION", &a_county, "先进集体") })).await.data();
    let mut below = honour("HANDLING_UNIT", &b_unit, "提案办理先进单位");
    below["organizationId"] = json!(b_county);
    let recorded = app.gql(Some(root), RECORD, json!({ "i": below })).await;
    let b_honour = recorded.data()["recordCommendation"]["id"].as_str().unwrap().to_owned();
    // Recording into another committee is FORBIDDEN (it is a public body, not a record).
    let mut elsewhere = honour("HANDLING_UNIT", &b_unit, "提案办理先进单位");
    elsewhere["organizationId"] = json!(b_county);
    app.gql(Some(&a_staff), RECORD, json!({ "i": elsewhere })).await.refused("FORBIDDEN");

    // Lists by committee: the county's member reads the county's, the city's admin reads
    // below, a sibling county's is out of sight.
    let year = this_year();
    let mine = app.gql(Some(&a_member), LIST, json!({ "y": year })).await;
    assert_eq!(titles(&mine), ["甲县另一委员", "甲县政协"]);
    let from_above = app.gql(Some(root), LIST, json!({ "y": year, "o": a_county })).await;
    assert_eq!(titles(&from_above).len(), 2);
    let city = app.gql(Some(root), LIST, json!({ "y": year })).await;
    assert!(titles(&city).is_empty(), "the city's own list holds what the city recorded");
    app.gql(Some(&a_member), LIST, json!({ "y": year, "o": b_county })).await.refused("NOT_FOUND");
    app.gql(Some(&a_staff), DELETE, json!({ "id": b_honour })).await.refused("NOT_FOUND");
    app.gql(Some(&b_staff), DELETE, json!({ "id": b_honour })).await.data();
}
both!(subjects_of_another_committee_are_not_found);

/// The office's double tap (or two clerks typing the same award): one commendation per
/// subject, year and title, the other answered CONFLICT on `title`, round after round.
async fn the_same_commendation_twice_at_once_is_recorded_once(backend: Backend) {
    let s = setup(backend, 6).await;
    let app = &s.app;
    for (round, member) in s.member_ids.iter().enumerate() {
        let input = honour("USER", member, "优秀政协委员");
        let answers = crate::race::together(
            app,
            vec![
                crate::race::request(&s.office, RECORD, json!({ "i": input })),
                crate::race::request(&s.office, RECORD, json!({ "i": input })),
            ],
        )
        .await;
        let recorded = answers.iter().filter(|a| crate::race::succeeded(a)).count();
        assert_eq!(recorded, 1, "round {round}: {:?}", answers.iter().map(crate::race::outcome).collect::<Vec<_>>());
        let refused = answers.iter().find(|a| !crate::race::succeeded(a)).unwrap();
        refused.refused("CONFLICT");
        assert_eq!(refused.field(), "title");
    }
    let listed = app.gql(Some(&s.office), LIST, json!({ "y": this_year(), "k": "USER" })).await;
    assert_eq!(titles(&listed).len(), s.member_ids.len(), "one row per member");
}
both!(the_same_commendation_twice_at_once_is_recorded_once);
