//! Accounts and personal data across committees (issue 12, items 7 and 8): an account that
//! belongs nowhere is not up for grabs, and a phone number is read only by the person and
//! by an office that manages one of their memberships.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
};

const UPDATE_USER: &str = "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id name } }";
const USER: &str = "query($id: ID!) { user(id: $id) { id name phone memberships { organization { id } } } }";

/// A city (the bootstrap root) with two counties; each county has staff and an admin.
struct Tree {
    app: TestApp,
    city_admin: String,
    city: String,
    county_a: String,
    county_b: String,
    /// Tokens: county A staff, county A admin, county B staff, county B admin.
    a_staff: String,
    a_admin: String,
    b_staff: String,
    b_admin: String,
}

async fn tree(backend: Backend) -> Tree {
    let app = spawn_app(backend).await;
    let city_admin = app.admin().await;
    let city = app.current_org(&city_admin).await;
    let county_a = app.create_org(&city_admin, "甲县政协", "COUNTY", &city).await;
    let county_b = app.create_org(&city_admin, "乙县政协", "COUNTY", &city).await;
    let mut tokens = Vec::new();
    for (i, (org, role)) in
        [(&county_a, "STAFF"), (&county_a, "ADMIN"), (&county_b, "STAFF"), (&county_b, "ADMIN")].into_iter().enumerate()
    {
        let phone = format!("1380000{:04}", 100 + i);
        app.person(&city_admin, &phone, &format!("机关{i}"), org, role).await;
        tokens.push(app.login(&phone, PASSWORD).await.access);
    }
    let [a_staff, a_admin, b_staff, b_admin] = tokens.try_into().unwrap();
    Tree { app, city_admin, city, county_a, county_b, a_staff, a_admin, b_staff, b_admin }
}

impl Tree {
    /// A member of county A created by its staff; returns (user id, membership id).
    async fn county_a_member(&self, phone: &str, name: &str) -> (String, String) {
        let user = self.app.create_user(&self.a_staff, phone, name).await;
        let membership = self.app.join(&self.a_staff, &user, &self.county_a, "MEMBER", json!({})).await;
        (user, membership)
    }

    async fn rename(&self, token: &str, user: &str) -> Answer {
        self.app.gql(Some(token), UPDATE_USER, json!({ "id": user, "i": { "name": "被改的名字" } })).await
    }

    async fn reset_password(&self, token: &str, user: &str) -> Answer {
        self.app.gql(Some(token), UPDATE_USER, json!({ "id": user, "i": { "password": "Taken-over-1" } })).await
    }

    async fn attach_by_id(&self, token: &str, user: &str, org: &str) -> Answer {
        self.app.add_membership(token, json!({ "userId": user, "organizationId": org, "role": "MEMBER" })).await
    }

    async fn user(&self, token: &str, user: &str) -> Answer {
        self.app.gql(Some(token), USER, json!({ "id": user })).await
    }
}

/// Asserts a refusal that changed nothing: FORBIDDEN or NOT_FOUND (the latter when the
/// office does not even see the person).
fn refused(a: &Answer, what: &str) {
    assert!(matches!(a.code(), "FORBIDDEN" | "NOT_FOUND"), "{what}: {}", a.body);
}

/// Item 7: when a member's term ends (their last membership removed), another committee's
/// office cannot rename, re-phone, reset or attach the account; their own committee's staff
/// cannot either; its admins (and those above) can.
async fn a_former_member_is_not_up_for_grabs(backend: Backend) {
    let t = tree(backend).await;
    let (user, membership) = t.county_a_member("13900005001", "届满委员").await;
    // A draft of the member's own, which must stay theirs.
    let token = t.app.login("13900005001", PASSWORD).await.access;
    let draft = t
        .app
        .gql(
            Some(&token),
            "mutation { createProposalDraft(input: { title: \"关于农村道路养护的提案\", category: \"农业农村\" }) { id } }",
            json!({}),
        )
        .await;
    let draft = draft.data()["createProposalDraft"]["id"].as_str().unwrap().to_owned();
    t.app
        .gql(Some(&t.a_staff), "mutation($id: ID!) { removeMembership(id: $id) { id } }", json!({ "id": membership }))
        .await
        .data();

    for (token, who) in [(&t.b_staff, "county B staff"), (&t.b_admin, "county B admin"), (&t.a_staff, "county A staff")]
    {
        refused(&t.rename(token, &user).await, &format!("{who} renames"));
        refused(&t.reset_password(token, &user).await, &format!("{who} resets the password"));
    }
    for (token, org, who) in [(&t.b_staff, &t.county_b, "county B staff"), (&t.b_admin, &t.county_b, "county B admin")]
    {
        let a = t.attach_by_id(token, &user, org).await;
        a.refused("BAD_USER_INPUT");
        assert_eq!(a.field(), "userId", "{who}");
    }
    t.user(&t.b_staff, &user).await.refused("NOT_FOUND");
    assert_eq!(t.app.count_rows("membership").await, 5, "no membership was added (four office people and the admin)");

    // The admins of the committee it left, and those above, look after the account.
    assert_eq!(t.rename(&t.a_admin, &user).await.data()["updateUser"]["name"], "被改的名字");
    t.attach_by_id(&t.city_admin, &user, &t.city).await.data();

    // Nobody else reset it: the person logs in with their own password and owns their draft.
    let again = t.app.login("13900005001", PASSWORD).await.access;
    let own = t.app.gql(Some(&again), "query($id: ID!) { proposal(id: $id) { id } }", json!({ "id": draft })).await;
    assert_eq!(own.data()["proposal"]["id"], draft);
}
both!(a_former_member_is_not_up_for_grabs);

/// Item 8: an office attaches someone else's member only by phone number, and reads a
/// person's phone and memberships only where it manages one of their memberships.
async fn phones_stay_with_the_offices_that_manage_the_person(backend: Backend) {
    let t = tree(backend).await;
    let (user, _) = t.county_a_member("13900005002", "甲县委员").await;

    // County B's staff cannot attach county A's member by a bare id, nor read them.
    t.attach_by_id(&t.b_staff, &user, &t.county_b).await.refused("BAD_USER_INPUT");
    t.user(&t.b_staff, &user).await.refused("NOT_FOUND");

    // A sibling committee's staff walks the tree to county A's convener: no phone.
    let sector = t
        .app
        .gql(
            Some(&t.a_staff),
            "mutation($u: ID!) { createSector(input: { name: \"农业界\", convenerIds: [$u] }) { id } }",
            json!({ "u": user }),
        )
        .await;
    sector.data();
    let walk = "{ currentOrganization { parent { children { id sectors { conveners { id name phone } } } } } }";
    let seen = t.app.gql(Some(&t.b_staff), walk, json!({})).await;
    let conveners: Vec<&Value> = seen.data()["currentOrganization"]["parent"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["sectors"].as_array().unwrap())
        .flat_map(|s| s["conveners"].as_array().unwrap())
        .collect();
    assert_eq!(conveners.len(), 1, "{}", seen.body);
    assert_eq!(conveners[0]["name"], "甲县委员");
    assert_eq!(conveners[0]["phone"], Value::Null, "county B's staff read county A's convener's phone");
    // County A's own staff, and the city's admin above it, do read it.
    let own =
        t.app.gql(Some(&t.a_staff), "{ currentOrganization { sectors { conveners { phone } } } }", json!({})).await;
    assert_eq!(own.data()["currentOrganization"]["sectors"][0]["conveners"][0]["phone"], "13900005002");
    assert_eq!(t.user(&t.city_admin, &user).await.data()["user"]["phone"], "13900005002");

    // Linking by the phone number works; then county B's office sees the person's
    // membership with it, not the one in county A.
    let linked = t
        .app
        .add_membership(&t.b_staff, json!({ "phone": "13900005002", "organizationId": t.county_b, "role": "MEMBER" }))
        .await;
    linked.data();
    let seen = t.user(&t.b_staff, &user).await;
    assert_eq!(seen.data()["user"]["phone"], "13900005002");
    let orgs: Vec<&str> = seen.data()["user"]["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["organization"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(orgs, vec![t.county_b.as_str()], "county B sees only its own membership of the person");
    // The person sees all of theirs.
    let token = t.app.login("13900005002", PASSWORD).await.access;
    let me = t.app.gql(Some(&token), "{ me { phone memberships { id } } }", json!({})).await;
    assert_eq!(me.data()["me"]["memberships"].as_array().unwrap().len(), 2);
    // Neither by id nor by phone is a request with both, or neither.
    let both = t
        .app
        .add_membership(
            &t.b_staff,
            json!({ "userId": user, "phone": "13900005002", "organizationId": t.county_b, "role": "MEMBER" }),
        )
        .await;
    both.refused("BAD_USER_INPUT");
    let unknown = t
        .app
        .add_membership(&t.b_staff, json!({ "phone": "13900009999", "organizationId": t.county_b, "role": "MEMBER" }))
        .await;
    unknown.refused("BAD_USER_INPUT");
    assert_eq!(unknown.field(), "phone");
}
both!(phones_stay_with_the_offices_that_manage_the_person);

/// Item 8: the committee above handles a piece reported from below; its staff read the
/// authors' names but not their phones.
async fn the_committee_above_does_not_read_the_authors_phones(backend: Backend) {
    let t = tree(backend).await;
    let (_, _) = t.county_a_member("13900005003", "报送委员").await;
    let member = t.app.login("13900005003", PASSWORD).await.access;
    let piece = t
        .app
        .gql(
            Some(&member),
            "mutation { submitSuggestion(idempotencyKey: \"piece-0000001\", input: { title: \"乡村学校缺少校医\", content: \"多所乡村学校没有校医……\", category: \"教育\" }) { id } }",
            json!({}),
        )
        .await;
    let piece = piece.data()["submitSuggestion"]["id"].as_str().unwrap().to_owned();
    // County A's office edits it into a bulletin and reports it to the city.
    t.app
        .gql(Some(&t.a_staff), "mutation($id: ID!) { acceptSuggestion(id: $id) { id } }", json!({ "id": piece }))
        .await
        .data();
    let issue = t
        .app
        .gql(
            Some(&t.a_staff),
            "mutation { createBulletinIssue(input: { title: \"社情民意\", number: 1 }) { id } }",
            json!({}),
        )
        .await;
    let issue = issue.data()["createBulletinIssue"]["id"].as_str().unwrap().to_owned();
    t.app
        .gql(
            Some(&t.a_staff),
            "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"乡村学校缺少校医\", editedContent: \"多所乡村学校没有校医。\") { id } }",
            json!({ "i": issue, "s": piece }),
        )
        .await
        .data();
    t.app
        .gql(Some(&t.a_staff), "mutation($i: ID!) { publishBulletin(issueId: $i) { id } }", json!({ "i": issue }))
        .await
        .data();
    t.app
        .gql(
            Some(&t.a_staff),
            "mutation($id: ID!, $to: ID!) { reportSuggestion(id: $id, recipients: { organizationIds: [$to] }) { id } }",
            json!({ "id": piece, "to": t.city }),
        )
        .await
        .data();

    let city_staff_phone = "13800000200";
    t.app.person(&t.city_admin, city_staff_phone, "市政协信息科", &t.city, "STAFF").await;
    let city_staff = t.app.login(city_staff_phone, PASSWORD).await.access;
    let incoming = "{ suggestions(filter: { incoming: true }) { edges { node { title authors { name phone } } } } }";
    let seen = t.app.gql(Some(&city_staff), incoming, json!({})).await;
    let author = &seen.data()["suggestions"]["edges"][0]["node"]["authors"][0];
    assert_eq!(author["name"], "报送委员", "{}", seen.body);
    assert_eq!(author["phone"], Value::Null, "the staff above read a county member's phone");
    crate::invariants::check(&t.app).await;
}
both!(the_committee_above_does_not_read_the_authors_phones);
