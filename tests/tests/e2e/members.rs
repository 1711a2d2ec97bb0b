//! The member directory, several memberships per person, and role changes on live sessions.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Backend, PASSWORD, spawn_app},
};

const MEMBERS: &str = "query($f: MemberFilter, $first: Int, $after: String) {
  members(filter: $f, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id party standingCommittee term sector { name } user { name phone } } }
  }
}";

fn names(answer: &Value) -> Vec<String> {
    answer["data"]["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["user"]["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn member_directory(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let sector =
        app.gql(Some(&admin), "mutation { createSector(input: { name: \"教育界\" }) { id } }", json!({})).await.data()
            ["createSector"]["id"]
            .clone();
    let people = [
        ("13900000051", "赵一", "CDL", true, true),
        ("13900000052", "钱二", "CPC", false, true),
        ("13900000053", "孙三", "CDL", false, false),
        ("13900000054", "李四", "JS", true, false),
        ("13900000055", "周五_%", "NON_PARTY", false, false),
    ];
    for (phone, name, party, standing, in_sector) in people {
        let user = app.create_user(&admin, phone, name).await;
        let mut input = json!({ "userId": user, "organizationId": city, "role": "MEMBER", "party": party,
            "standingCommittee": standing, "term": 14 });
        if in_sector {
            input["sectorId"] = sector.clone();
        }
        app.add_membership(&admin, input).await.data();
    }
    app.person(&admin, "13900000056", "机关吴六", &city, "STAFF").await;

    // Pages of two walk the whole list once, in joining order.
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = app.gql(Some(&admin), MEMBERS, json!({ "first": 2, "after": after })).await;
        assert_eq!(page.data()["members"]["totalCount"], 5, "staff are not in the member directory");
        seen.extend(names(&page.body));
        let info = &page.data()["members"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(seen, vec!["赵一", "钱二", "孙三", "李四", "周五_%"]);

    let by = |filter: Value| {
        let app = &app;
        let admin = admin.clone();
        async move { names(&app.gql(Some(&admin), MEMBERS, json!({ "f": filter })).await.body) }
    };
    assert_eq!(by(json!({ "sectorId": sector })).await, vec!["赵一", "钱二"]);
    assert_eq!(by(json!({ "party": "CDL" })).await, vec!["赵一", "孙三"]);
    assert_eq!(by(json!({ "standingCommittee": true })).await, vec!["赵一", "李四"]);
    assert_eq!(by(json!({ "search": "孙" })).await, vec!["孙三"]);
    assert_eq!(by(json!({ "search": "_%" })).await, vec!["周五_%"], "wildcards match themselves");
    assert_eq!(by(json!({ "search": "0000054" })).await, vec!["李四"], "staff search phones");
    assert_eq!(by(json!({ "role": "STAFF" })).await, vec!["机关吴六"]);

    // Members see the directory without phone numbers, and cannot search by phone.
    let member = app.login("13900000051", PASSWORD).await.access;
    let seen_by_member = app.gql(Some(&member), MEMBERS, json!({ "first": 100 })).await;
    let edges = seen_by_member.data()["members"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 5);
    let phones: Vec<&serde_json::Value> = edges.iter().map(|e| &e["node"]["user"]["phone"]).collect();
    assert_eq!(phones[0], "13900000051", "a member sees their own number");
    assert!(phones[1..].iter().all(|p| p.is_null()), "but nobody else's: {phones:?}");
    let by_phone = app.gql(Some(&member), MEMBERS, json!({ "f": { "search": "0000054" } })).await;
    assert_eq!(by_phone.data()["members"]["totalCount"], 0);
    let staff_view = app.gql(Some(&admin), MEMBERS, json!({ "first": 1 })).await;
    assert_eq!(staff_view.data()["members"]["edges"][0]["node"]["user"]["phone"], "13900000051");

    // Another organization's members see their own directory only.
    let county = app.create_org(&admin, "测试区政协", "COUNTY", &city).await;
    app.person(&admin, "13900000057", "区委员", &county, "MEMBER").await;
    let outsider = app.login("13900000057", PASSWORD).await.access;
    assert_eq!(names(&app.gql(Some(&outsider), MEMBERS, json!({})).await.body), vec!["区委员"]);

    // Bad paging arguments.
    let too_many = app.gql(Some(&admin), MEMBERS, json!({ "first": 101 })).await;
    too_many.refused("BAD_USER_INPUT");
    assert_eq!(too_many.field(), "first");
    let bad_cursor = app.gql(Some(&admin), MEMBERS, json!({ "after": "nonsense" })).await;
    bad_cursor.refused("BAD_USER_INPUT");
    assert_eq!(bad_cursor.field(), "after");
}
both!(member_directory);

const SWITCH: &str = "mutation($o: ID!) { switchOrganization(organizationId: $o) { accessToken refreshToken membership { role organization { id } } } }";

async fn several_memberships_choose_and_switch(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "测试区政协", "COUNTY", &city).await;
    let user = app.person(&admin, "13900000061", "两级委员", &city, "MEMBER").await;
    app.add_membership(&admin, json!({ "userId": user, "organizationId": county, "role": "STAFF" })).await.data();

    // Without a choice the login lands in the first membership.
    let first = app.try_login("13900000061", PASSWORD).await;
    assert_eq!(first.data()["login"]["membership"]["organization"]["id"], city);
    let me = app
        .gql(
            Some(first.data()["login"]["accessToken"].as_str().unwrap()),
            "{ me { memberships { role organization { id } } } currentMembership { role } }",
            json!({}),
        )
        .await;
    assert_eq!(me.data()["me"]["memberships"].as_array().unwrap().len(), 2);
    assert_eq!(me.data()["currentMembership"]["role"], "MEMBER");

    // Choosing at login.
    let chosen = app
        .gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { membership { role organization { id } } } }",
            json!({ "i": { "phone": "13900000061", "password": PASSWORD, "organizationId": county } }),
        )
        .await;
    assert_eq!(chosen.data()["login"]["membership"]["role"], "STAFF");
    let elsewhere = app
        .gql(None, "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({ "i": { "phone": "13900000061", "password": PASSWORD, "organizationId": "01890000-0000-7000-8000-000000000000" } }))
        .await;
    elsewhere.refused("FORBIDDEN");

    // Switching issues new tokens for the same session; the old refresh token is spent.
    let tokens = app.login("13900000061", PASSWORD).await;
    let switched = app.gql(Some(&tokens.access), SWITCH, json!({ "o": county })).await;
    let payload = &switched.data()["switchOrganization"];
    assert_eq!(payload["membership"]["role"], "STAFF");
    let new_access = payload["accessToken"].as_str().unwrap();
    assert_eq!(app.current_org(new_access).await, county);
    // The session moved: the old access token now acts in the county too.
    assert_eq!(app.current_org(&tokens.access).await, county);

    let other = app.create_org(&admin, "另一区政协", "COUNTY", &city).await;
    app.gql(Some(new_access), SWITCH, json!({ "o": other })).await.refused("FORBIDDEN");

    // The refresh token from before the switch was rotated away: presenting it ends the session.
    app.gql(
        None,
        "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
        json!({ "t": tokens.refresh }),
    )
    .await
    .refused("UNAUTHENTICATED");
    app.gql(Some(new_access), "{ me { id } }", json!({})).await.refused("UNAUTHENTICATED");
}
both!(several_memberships_choose_and_switch);

async fn membership_changes_reach_live_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let user = app.create_user(&admin, "13900000071", "将升任").await;
    let membership = app
        .add_membership(&admin, json!({ "userId": user, "organizationId": city, "role": "MEMBER" }))
        .await
        .data()["addMembership"]["id"]
        .clone();
    let session = app.login("13900000071", PASSWORD).await.access;
    let create = "mutation { createUser(input: { phone: \"13900000072\", name: \"新人\", password: \"Member-pass-1\" }) { id } }";
    app.gql(Some(&session), create, json!({})).await.refused("FORBIDDEN");

    let promoted = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateMembership(id: $id, input: { role: STAFF, term: 14 }) { role term } }",
            json!({ "id": membership }),
        )
        .await;
    assert_eq!(promoted.data()["updateMembership"]["role"], "STAFF");
    app.gql(Some(&session), create, json!({})).await.data();

    let removed = app
        .gql(Some(&admin), "mutation($id: ID!) { removeMembership(id: $id) { id } }", json!({ "id": membership }))
        .await;
    assert_eq!(removed.data()["removeMembership"]["id"], membership);
    app.gql(Some(&session), "{ me { id } }", json!({})).await.refused("UNAUTHENTICATED");
    app.try_login("13900000071", PASSWORD).await.refused("FORBIDDEN");
}
both!(membership_changes_reach_live_sessions);
