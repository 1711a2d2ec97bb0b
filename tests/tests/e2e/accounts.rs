//! Admin and staff manage organizations, catalogues, users and memberships.
use serde_json::json;

use crate::{
    both,
    helpers::{Backend, PASSWORD, spawn_app},
};

async fn admin_builds_an_organization(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;

    let county = app.create_org(&admin, "测试区政协", "COUNTY", &city).await;
    let same_level = app
        .gql(
            Some(&admin),
            "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
            json!({ "i": { "name": "错误", "level": "PROVINCIAL", "parentId": city } }),
        )
        .await;
    same_level.refused("BAD_USER_INPUT");
    assert_eq!(same_level.field(), "level");
    let renamed = app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $i: UpdateOrganizationInput!) { updateOrganization(id: $id, input: $i) { name region parent { id } } }",
            json!({ "id": county, "i": { "name": "测试县政协", "region": "测试省测试县" } }),
        )
        .await;
    assert_eq!(renamed.data()["updateOrganization"]["name"], "测试县政协");
    assert_eq!(renamed.data()["updateOrganization"]["parent"]["id"], city);

    // A member who will convene a sector.
    let convener = app.person(&admin, "13900000021", "李召集", &city, "MEMBER").await;
    let sector = app
        .gql(
            Some(&admin),
            "mutation($i: CreateSectorInput!) { createSector(input: $i) { id name conveners { id name } organization { id } } }",
            json!({ "i": { "name": "经济界", "convenerIds": [convener] } }),
        )
        .await;
    let sector_id = sector.data()["createSector"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sector.data()["createSector"]["conveners"][0]["name"], "李召集");
    assert_eq!(sector.data()["createSector"]["organization"]["id"], city);

    let dup = app
        .gql(
            Some(&admin),
            "mutation($i: CreateSectorInput!) { createSector(input: $i) { id } }",
            json!({ "i": { "name": "经济界" } }),
        )
        .await;
    dup.refused("CONFLICT");
    assert_eq!(dup.field(), "name");
    let stranger = app
        .gql(
            Some(&admin),
            "mutation($i: CreateSectorInput!) { createSector(input: $i) { id } }",
            json!({ "i": { "name": "教育界", "convenerIds": ["01890000-0000-7000-8000-000000000000"] } }),
        )
        .await;
    stranger.refused("BAD_USER_INPUT");
    assert_eq!(stranger.field(), "convenerIds");
    assert_eq!(app.count_rows("sector").await, 1, "nothing saved when refused");

    let updated = app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $i: UpdateSectorInput!) { updateSector(id: $id, input: $i) { name conveners { id } } }",
            json!({ "id": sector_id, "i": { "name": "经济界别", "convenerIds": [] } }),
        )
        .await;
    assert_eq!(updated.data()["updateSector"]["name"], "经济界别");
    assert_eq!(updated.data()["updateSector"]["conveners"], json!([]));

    let committee = app
        .gql(
            Some(&admin),
            "mutation($i: CreateSpecialCommitteeInput!) { createSpecialCommittee(input: $i) { id name } }",
            json!({ "i": { "name": "提案委员会" } }),
        )
        .await;
    let committee_id = committee.data()["createSpecialCommittee"]["id"].clone();
    let renamed = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateSpecialCommittee(id: $id, input: { name: \"提案和委员工作委员会\" }) { name } }",
            json!({ "id": committee_id }),
        )
        .await;
    assert_eq!(renamed.data()["updateSpecialCommittee"]["name"], "提案和委员工作委员会");

    let unit = app
        .gql(
            Some(&admin),
            "mutation($i: CreateHandlingUnitInput!) { createHandlingUnit(input: $i) { id name contactPerson } }",
            json!({ "i": { "name": "市教育局", "contactPerson": "赵科长", "contactPhone": "0311-1234567" } }),
        )
        .await;
    let unit_id = unit.data()["createHandlingUnit"]["id"].as_str().unwrap().to_owned();
    let cleared = app
        .gql(
            Some(&admin),
            "mutation($id: ID!) { updateHandlingUnit(id: $id, input: { contactPerson: null }) { name contactPerson contactPhone } }",
            json!({ "id": unit_id }),
        )
        .await;
    assert_eq!(cleared.data()["updateHandlingUnit"]["contactPerson"], serde_json::Value::Null);
    assert_eq!(cleared.data()["updateHandlingUnit"]["contactPhone"], "0311-1234567");

    // A UNIT membership names its handling unit.
    let operator = app.create_user(&admin, "13900000022", "办理员").await;
    let missing =
        app.add_membership(&admin, json!({ "userId": operator, "organizationId": city, "role": "UNIT" })).await;
    missing.refused("BAD_USER_INPUT");
    assert_eq!(missing.field(), "handlingUnitId");
    let ok = app
        .add_membership(
            &admin,
            json!({ "userId": operator, "organizationId": city, "role": "UNIT", "handlingUnitId": unit_id }),
        )
        .await;
    assert_eq!(ok.data()["addMembership"]["role"], "UNIT");
    let again =
        app.add_membership(&admin, json!({ "userId": operator, "organizationId": city, "role": "MEMBER" })).await;
    again.refused("CONFLICT");

    let listed = app
        .gql(Some(&admin), "{ currentOrganization { sectors { name } specialCommittees { name } handlingUnits { name } children { name } } }", json!({}))
        .await;
    let org = &listed.data()["currentOrganization"];
    assert_eq!(org["sectors"][0]["name"], "经济界别");
    assert_eq!(org["handlingUnits"][0]["name"], "市教育局");
    assert_eq!(org["children"][0]["name"], "测试县政协");
}
both!(admin_builds_an_organization);

async fn create_user_validates_and_saves_nothing_when_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let users_before = app.count_rows("app_user").await;
    let create = |phone: &'static str, name: &'static str, password: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.gql(
                Some(&admin),
                "mutation($i: CreateUserInput!) { createUser(input: $i) { id phone mustChangePassword } }",
                json!({ "i": { "phone": phone, "name": name, "password": password } }),
            )
            .await
        }
    };
    let bad_phone = create("12345", "张三", PASSWORD).await;
    bad_phone.refused("BAD_USER_INPUT");
    assert_eq!(bad_phone.field(), "phone");
    let weak = create("13900000031", "张三", "1234").await;
    weak.refused("BAD_USER_INPUT");
    assert_eq!(weak.field(), "password");
    let blank = create("13900000031", "  ", PASSWORD).await;
    blank.refused("BAD_USER_INPUT");
    assert_eq!(blank.field(), "name");
    assert_eq!(app.count_rows("app_user").await, users_before);

    let ok = create("+86 139-0000-0031", "张三", PASSWORD).await;
    assert_eq!(ok.data()["createUser"]["phone"], "13900000031", "normalised");
    let taken = create("13900000031", "张三丰", PASSWORD).await;
    taken.refused("CONFLICT");
    assert_eq!(taken.field(), "phone");
    assert_eq!(taken.message(), "该手机号已注册");
    assert_eq!(app.count_rows("app_user").await, users_before + 1);

    // updateUser: rename, and a password reset that asks for a change.
    let id = ok.data()["createUser"]["id"].clone();
    let updated = app
        .gql(
            Some(&admin),
            "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { name mustChangePassword } }",
            json!({ "id": id, "i": { "name": "张三", "password": "Reset-pass-9" } }),
        )
        .await;
    assert_eq!(updated.data()["updateUser"]["mustChangePassword"], true);
}
both!(create_user_validates_and_saves_nothing_when_refused);

async fn staff_and_admin_scopes(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let county = app.create_org(&admin, "测试区政协", "COUNTY", &city).await;

    app.person(&admin, "13900000041", "机关干部", &city, "STAFF").await;
    app.person(&admin, "13900000042", "区管理员", &county, "ADMIN").await;
    app.person(&admin, "13900000043", "普通委员", &city, "MEMBER").await;
    let staff = app.login("13900000041", PASSWORD).await.access;
    let county_admin = app.login("13900000042", PASSWORD).await.access;
    let member = app.login("13900000043", PASSWORD).await.access;

    // Staff add members to their own organization…
    app.person(&staff, "13900000044", "新委员", &city, "MEMBER").await;
    // …but neither other staff, nor members of another organization.
    let someone = app.create_user(&staff, "13900000045", "某人").await;
    app.add_membership(&staff, json!({ "userId": someone, "organizationId": city, "role": "STAFF" }))
        .await
        .refused("FORBIDDEN");
    app.add_membership(&staff, json!({ "userId": someone, "organizationId": county, "role": "MEMBER" }))
        .await
        .refused("FORBIDDEN");
    app.gql(
        Some(&staff),
        "mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { id } }",
        json!({ "i": { "name": "x", "level": "COUNTY", "parentId": city } }),
    )
    .await
    .refused("FORBIDDEN");

    // The city admin reaches down into the county; the county admin does not reach up.
    app.add_membership(&admin, json!({ "userId": someone, "organizationId": county, "role": "MEMBER" })).await.data();
    app.add_membership(&county_admin, json!({ "userId": someone, "organizationId": city, "role": "MEMBER" }))
        .await
        .refused("FORBIDDEN");
    app.gql(
        Some(&county_admin),
        "mutation($i: CreateSectorInput!) { createSector(input: $i) { id } }",
        json!({ "i": { "name": "经济界", "organizationId": city } }),
    )
    .await
    .refused("FORBIDDEN");
    let county_sector = app
        .gql(
            Some(&county_admin),
            "mutation($i: CreateSectorInput!) { createSector(input: $i) { organization { id } } }",
            json!({ "i": { "name": "经济界" } }),
        )
        .await;
    assert_eq!(county_sector.data()["createSector"]["organization"]["id"], county);

    // Members manage nothing.
    app.gql(
        Some(&member),
        "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
        json!({ "i": { "phone": "13900000046", "name": "x", "password": PASSWORD } }),
    )
    .await
    .refused("FORBIDDEN");
    app.gql(
        Some(&member),
        "mutation($i: CreateHandlingUnitInput!) { createHandlingUnit(input: $i) { id } }",
        json!({ "i": { "name": "市财政局" } }),
    )
    .await
    .refused("FORBIDDEN");

    // Organizations visible: a county admin sees its ancestors, not its siblings' subtrees.
    let seen = app.gql(Some(&county_admin), "{ organizations { name level } }", json!({})).await;
    let names: Vec<&str> =
        seen.data()["organizations"].as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["测试市政协", "测试区政协"]);
}
both!(staff_and_admin_scopes);
