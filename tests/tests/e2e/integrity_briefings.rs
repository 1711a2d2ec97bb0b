//! Briefings whose audience shrinks (issue 11, case 8): a member who leaves the standing
//! committee, a sector, or the organization stops receiving what was addressed to them
//! there — confidential briefings above all — and gets it back, read receipt kept, when
//! they are in the audience again.
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    race::Findings,
};

const FEED: &str = "{ briefings(first: 100) { edges { node { id } } } unreadBriefingCount }";
const ONE: &str = "query($id: ID!) { briefing(id: $id) { id isRead readAt } }";
const READ: &str = "mutation($id: ID!) { markBriefingRead(id: $id) { briefing { readAt } } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateMembershipInput!) { updateMembership(id: $id, input: $i) { id } }";

struct Org {
    app: TestApp,
    admin: String,
    city: String,
    sector: String,
}

/// A person in the organization: their user, membership and session.
struct Person {
    phone: String,
    user: String,
    membership: String,
    token: String,
}

async fn org(backend: Backend) -> Org {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let sector = app.create_sector(&admin, "经济界").await;
    Org { app, admin, city, sector }
}

impl Org {
    async fn person(&self, phone: &str, name: &str, extra: Value) -> Person {
        let user = self.app.create_user(&self.admin, phone, name).await;
        let membership = self.join(&user, extra).await;
        let token = self.app.login(phone, PASSWORD).await.access;
        Person { phone: phone.to_owned(), user, membership, token }
    }

    async fn join(&self, user: &str, extra: Value) -> String {
        self.app.join(&self.admin, user, &self.city, "MEMBER", extra).await
    }

    async fn published(&self, title: &str, audience: Value) -> String {
        let input = json!({
            "title": title, "summary": "通报有关情况。", "body": "……", "source": "市纪委监委",
            "category": "党风廉政", "audience": audience, "confidential": true,
        });
        let a = self
            .app
            .gql(
                Some(&self.admin),
                "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        let id = a.data()["createBriefing"]["id"].as_str().unwrap().to_owned();
        self.app
            .gql(Some(&self.admin), "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id }))
            .await
            .data();
        id
    }

    async fn audience_size(&self, id: &str) -> i64 {
        let a = self
            .app
            .gql(
                Some(&self.admin),
                "query($id: ID!) { briefing(id: $id) { readStats { audienceSize } } }",
                json!({ "id": id }),
            )
            .await;
        a.data()["briefing"]["readStats"]["audienceSize"].as_i64().unwrap()
    }

    async fn update(&self, membership: &str, input: Value) {
        self.app.gql(Some(&self.admin), UPDATE, json!({ "id": membership, "i": input })).await.data();
    }
}

/// What a member sees of one briefing: in the feed, by id, and the unread badge.
struct Seen {
    in_feed: bool,
    by_id: Answer,
    unread: i64,
}

async fn seen(app: &TestApp, token: &str, id: &str) -> Seen {
    let feed = app.gql(Some(token), FEED, json!({})).await;
    let in_feed = feed.data()["briefings"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["id"] == id);
    let unread = feed.data()["unreadBriefingCount"].as_i64().unwrap();
    Seen { in_feed, by_id: app.gql(Some(token), ONE, json!({ "id": id })).await, unread }
}

/// Hidden: not in the feed, `NOT_FOUND` by id.
fn hidden(f: &mut Findings, what: &str, s: &Seen) {
    f.check(!s.in_feed, || format!("{what}: still in the feed"));
    f.check(s.by_id.body["errors"][0]["extensions"]["code"] == "NOT_FOUND", || {
        format!("{what}: briefing(id) answers {}", s.by_id.body)
    });
}

fn visible(f: &mut Findings, what: &str, s: &Seen) {
    f.check(s.in_feed, || format!("{what}: not in the feed"));
    f.check(s.by_id.body.get("errors").is_none(), || format!("{what}: briefing(id) answers {}", s.by_id.body));
}

/// Leaving the standing committee hides its confidential briefings, and they no longer
/// count in the badge nor in the audience; coming back shows them again, read as before.
async fn leaving_the_standing_committee_hides_its_briefings(backend: Backend) {
    let o = org(backend).await;
    let mut f = Findings::new("leaving_the_standing_committee_hides_its_briefings");
    let m = o.person("13900009101", "甲常委", json!({ "standingCommittee": true })).await;
    o.person("13900009102", "乙常委", json!({ "standingCommittee": true })).await;
    let read = o.published("纪委内部通报：专项督查情况", json!({ "standingCommittee": true })).await;
    let unread = o.published("常委会议题预告", json!({ "standingCommittee": true })).await;

    let before = seen(&o.app, &m.token, &read).await;
    visible(&mut f, "a standing member before the change", &before);
    let read_at =
        o.app.gql(Some(&m.token), READ, json!({ "id": read })).await.data()["markBriefingRead"]["briefing"]["readAt"]
            .clone();
    let size = o.audience_size(&read).await;
    f.check(size == 2, || format!("audienceSize {size} with two standing members"));
    let badge = seen(&o.app, &m.token, &unread).await.unread;
    f.check(badge == 1, || format!("unread badge {badge} before the change, expected 1"));

    o.update(&m.membership, json!({ "standingCommittee": false })).await;
    for id in [&read, &unread] {
        hidden(&mut f, "after leaving the standing committee", &seen(&o.app, &m.token, id).await);
    }
    let after = seen(&o.app, &m.token, &unread).await;
    f.check(after.unread == 0, || {
        format!("unread badge {} counts briefings no longer addressed to them", after.unread)
    });
    let marked = o.app.gql(Some(&m.token), READ, json!({ "id": unread })).await;
    f.check(marked.body["errors"][0]["extensions"]["code"] == "NOT_FOUND", || {
        format!("marking a hidden briefing read answered {}", marked.body)
    });
    let size = o.audience_size(&read).await;
    f.check(size == 1, || format!("audienceSize {size} after one member left the standing committee, expected 1"));
    f.invariants_now(&o.app, "after leaving the standing committee").await;

    o.update(&m.membership, json!({ "standingCommittee": true })).await;
    let back = seen(&o.app, &m.token, &read).await;
    visible(&mut f, "back on the standing committee", &back);
    if back.by_id.body.get("errors").is_none() {
        let b = &back.by_id.body["data"]["briefing"];
        f.check(b["isRead"] == true && b["readAt"] == read_at, || {
            format!("the read receipt was not kept: {b} (read at {read_at})")
        });
    }
    f.check(back.unread == 1, || format!("unread badge {} when back, expected 1", back.unread));
    let size = o.audience_size(&read).await;
    f.check(size == 2, || format!("audienceSize {size} when back, expected 2"));
    f.finish(&o.app).await;
}
both!(leaving_the_standing_committee_hides_its_briefings);

/// Leaving a sector hides what was addressed to the sector.
async fn leaving_a_sector_hides_its_briefings(backend: Backend) {
    let o = org(backend).await;
    let mut f = Findings::new("leaving_a_sector_hides_its_briefings");
    let m = o.person("13900009201", "经济界委员甲", json!({ "sectorId": o.sector })).await;
    o.person("13900009202", "经济界委员乙", json!({ "sectorId": o.sector })).await;
    let id = o.published("致经济界：营商环境专项通报", json!({ "sectorIds": [o.sector] })).await;
    visible(&mut f, "in the sector", &seen(&o.app, &m.token, &id).await);
    let size = o.audience_size(&id).await;
    f.check(size == 2, || format!("audienceSize {size} with two sector members"));

    o.update(&m.membership, json!({ "sectorId": null })).await;
    let after = seen(&o.app, &m.token, &id).await;
    hidden(&mut f, "after leaving the sector", &after);
    f.check(after.unread == 0, || format!("unread badge {} after leaving the sector", after.unread));
    let size = o.audience_size(&id).await;
    f.check(size == 1, || format!("audienceSize {size} after one member left the sector, expected 1"));
    f.invariants_now(&o.app, "after leaving the sector").await;

    o.update(&m.membership, json!({ "sectorId": o.sector })).await;
    visible(&mut f, "back in the sector", &seen(&o.app, &m.token, &id).await);
    f.finish(&o.app).await;
}
both!(leaving_a_sector_hides_its_briefings);

/// A member removed from the organization leaves the audience; re-added as an ordinary
/// member (not on the standing committee) they do not get the standing committee's
/// confidential briefing back.
async fn removed_and_readded_members_see_only_their_current_audience(backend: Backend) {
    let o = org(backend).await;
    let mut f = Findings::new("removed_and_readded_members_see_only_their_current_audience");
    let m = o.person("13900009301", "丙常委", json!({ "standingCommittee": true })).await;
    o.person("13900009302", "丁常委", json!({ "standingCommittee": true })).await;
    let id = o.published("常委会内部通报", json!({ "standingCommittee": true })).await;
    visible(&mut f, "a standing member", &seen(&o.app, &m.token, &id).await);

    o.app
        .gql(Some(&o.admin), "mutation($id: ID!) { removeMembership(id: $id) { id } }", json!({ "id": m.membership }))
        .await
        .data();
    let size = o.audience_size(&id).await;
    f.check(size == 1, || format!("audienceSize {size} after one member was removed, expected 1"));
    f.invariants_now(&o.app, "after the removal").await;

    o.join(&m.user, json!({ "standingCommittee": false })).await;
    let token = o.app.login(&m.phone, PASSWORD).await.access;
    let again = seen(&o.app, &token, &id).await;
    hidden(&mut f, "re-added as an ordinary member", &again);
    f.check(again.unread == 0, || format!("unread badge {} for the re-added member", again.unread));
    let size = o.audience_size(&id).await;
    f.check(size == 1, || format!("audienceSize {size} with the re-added ordinary member, expected 1"));
    f.finish(&o.app).await;
}
both!(removed_and_readded_members_see_only_their_current_audience);
