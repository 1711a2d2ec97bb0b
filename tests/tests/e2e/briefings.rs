//! Briefings: audiences, read receipts, the feed, search, the spam screen.
use serde_json::{Value, json};

use crate::{
    attachments::{pdf, png},
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
    invariants,
    race::{self, Findings, request, together},
};

const CREATE: &str = "mutation($i: CreateBriefingInput!) { createBriefing(input: $i) { id status } }";
const PUBLISH: &str = "mutation($id: ID!) { publishBriefing(id: $id) { id status publishedAt } }";
const FEED: &str = "query($f: BriefingFeedFilter, $first: Int, $after: String) {
  briefings(filter: $f, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title pinned isRead readAt attachmentCount author { name } } }
  }
}";
const READ: &str = "mutation($id: ID!) { markBriefingRead(id: $id) { briefing { id isRead readAt } unreadBriefingCount query { unreadBriefingCount } } }";
const ONE: &str = "query($id: ID!) { briefing(id: $id) { id title isRead watermark previewText } }";

/// An organization with a sector and four members:
/// 甲 (经济界, 民盟, 常委), 乙 (中共), 丙 (九三学社, 常委), 丁 (no sector or party).
struct Org {
    app: TestApp,
    admin: String,
    sector: String,
    users: Vec<String>,
    tokens: Vec<String>,
}

async fn org(backend: Backend) -> Org {
    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let sector = app.create_sector(&admin, "经济界").await;
    let people = [
        ("13900001001", "甲委员", json!({ "sectorId": sector, "party": "CDL", "standingCommittee": true })),
        ("13900001002", "乙委员", json!({ "party": "CPC" })),
        ("13900001003", "丙委员", json!({ "party": "JS", "standingCommittee": true })),
        ("13900001004", "丁委员", json!({})),
    ];
    let mut users = Vec::new();
    let mut tokens = Vec::new();
    for (phone, name, extra) in people {
        let user = app.create_user(&admin, phone, name).await;
        app.join(&admin, &user, &city, "MEMBER", extra).await;
        users.push(user);
        tokens.push(app.login(phone, PASSWORD).await.access);
    }
    Org { app, admin, sector, users, tokens }
}

fn input(title: &str, audience: Value) -> Value {
    json!({
        "title": title,
        "summary": "通报全市创卫工作开展情况、亮点和下一步安排。",
        "body": "今年以来，全市创卫工作按照既定目标稳步推进……",
        "source": "市政府",
        "category": "经济社会发展",
        "briefedAt": "2026-08-28",
        "audience": audience,
    })
}

impl Org {
    async fn create(&self, input: Value) -> String {
        let a = self.app.gql(Some(&self.admin), CREATE, json!({ "i": input })).await;
        assert_eq!(a.data()["createBriefing"]["status"], "DRAFT");
        a.data()["createBriefing"]["id"].as_str().unwrap().to_owned()
    }

    async fn publish(&self, id: &str) -> Answer {
        self.app.gql(Some(&self.admin), PUBLISH, json!({ "id": id })).await
    }

    async fn published(&self, input: Value) -> String {
        let id = self.create(input).await;
        self.publish(&id).await.data();
        id
    }

    async fn feed(&self, who: usize, vars: Value) -> Answer {
        self.app.gql(Some(&self.tokens[who]), FEED, vars).await
    }

    async fn feed_ids(&self, who: usize) -> Vec<String> {
        let a = self.feed(who, json!({ "first": 100 })).await;
        a.data()["briefings"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

async fn audience_rules(backend: Backend) {
    let o = org(backend).await;
    let to_sector_and_js =
        o.create(input("致经济界和九三学社", json!({ "sectorIds": [o.sector], "parties": ["JS"] }))).await;

    // A draft is nobody's yet.
    o.app.gql(Some(&o.tokens[0]), ONE, json!({ "id": to_sector_and_js })).await.refused("NOT_FOUND");
    o.publish(&to_sector_and_js).await.data();

    assert_eq!(o.feed_ids(0).await, vec![to_sector_and_js.clone()], "甲 is in the sector");
    assert_eq!(o.feed_ids(2).await, vec![to_sector_and_js.clone()], "丙 is in 九三学社");
    assert!(o.feed_ids(1).await.is_empty(), "乙 is neither");
    // Outside the audience it does not exist: NOT_FOUND, not FORBIDDEN.
    o.app.gql(Some(&o.tokens[1]), ONE, json!({ "id": to_sector_and_js })).await.refused("NOT_FOUND");
    o.app.gql(Some(&o.tokens[1]), READ, json!({ "id": to_sector_and_js })).await.refused("NOT_FOUND");

    let standing = o.published(input("致常委", json!({ "standingCommittee": true }))).await;
    let named = o.published(input("致乙委员", json!({ "userIds": [o.users[1]] }))).await;
    let everyone = o.published(input("致全体", json!({ "everyone": true }))).await;
    assert_eq!(o.feed_ids(0).await, vec![everyone.clone(), standing.clone(), to_sector_and_js.clone()]);
    assert_eq!(o.feed_ids(1).await, vec![everyone.clone(), named.clone()]);
    assert_eq!(o.feed_ids(3).await, vec![everyone.clone()]);

    // Someone who joins the sector later receives what is live for it.
    let admin = &o.admin;
    let city = o.app.current_org(admin).await;
    let newcomer = o.app.create_user(admin, "13900001005", "戊委员").await;
    o.app
        .add_membership(
            admin,
            json!({ "userId": newcomer, "organizationId": city, "role": "MEMBER", "sectorId": o.sector }),
        )
        .await
        .data();
    let token = o.app.login("13900001005", PASSWORD).await.access;
    let a = o.app.gql(Some(&token), FEED, json!({})).await;
    let ids: Vec<&str> =
        a.data()["briefings"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![everyone.as_str(), to_sector_and_js.as_str()]);

    // Withdrawn: gone from feeds and from view, the read history stays for the office.
    o.app.gql(Some(&o.tokens[0]), READ, json!({ "id": to_sector_and_js })).await.data();
    let w = o
        .app
        .gql(
            Some(admin),
            "mutation($id: ID!) { withdrawBriefing(id: $id, reason: \"内容有误\") { status } }",
            json!({ "id": to_sector_and_js }),
        )
        .await;
    assert_eq!(w.data()["withdrawBriefing"]["status"], "WITHDRAWN");
    assert!(!o.feed_ids(0).await.contains(&to_sector_and_js));
    o.app.gql(Some(&o.tokens[0]), ONE, json!({ "id": to_sector_and_js })).await.refused("NOT_FOUND");
    let stats = o
        .app
        .gql(
            Some(admin),
            "query($id: ID!) { briefing(id: $id) { readStats { readCount } history { action note actor { name } } } }",
            json!({ "id": to_sector_and_js }),
        )
        .await;
    assert_eq!(stats.data()["briefing"]["readStats"]["readCount"], 1);
    let actions: Vec<&str> =
        stats.data()["briefing"]["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["CREATED", "PUBLISHED", "WITHDRAWN"]);
    assert_eq!(stats.data()["briefing"]["history"][2]["note"], "内容有误");
    invariants::check(&o.app).await;
}
both!(audience_rules);

async fn read_receipts_and_counts(backend: Backend) {
    let o = org(backend).await;
    let first = o.published(input("第一则", json!({ "everyone": true }))).await;
    let second = o.published(input("第二则", json!({ "everyone": true }))).await;
    let count = |who: usize| {
        let o = &o;
        async move {
            o.app.gql(Some(&o.tokens[who]), "{ unreadBriefingCount }", json!({})).await.data()["unreadBriefingCount"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(count(0).await, 2);

    let read = o.app.gql(Some(&o.tokens[0]), READ, json!({ "id": first })).await;
    let read_at = read.data()["markBriefingRead"]["briefing"]["readAt"].clone();
    assert_eq!(read.data()["markBriefingRead"]["briefing"]["isRead"], true);
    // The badge comes back with the mark, both ways a client cache may take it.
    assert_eq!(read.data()["markBriefingRead"]["unreadBriefingCount"], 1);
    assert_eq!(read.data()["markBriefingRead"]["query"]["unreadBriefingCount"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let again = o.app.gql(Some(&o.tokens[0]), READ, json!({ "id": first })).await;
    assert_eq!(again.data()["markBriefingRead"]["briefing"]["readAt"], read_at, "the first read time stays");
    assert_eq!(again.data()["markBriefingRead"]["unreadBriefingCount"], 1, "a second mark changes nothing");
    assert_eq!(count(0).await, 1);
    assert_eq!(count(1).await, 2, "receipts are per person");

    let unread = o.feed(0, json!({ "f": { "unreadOnly": true } })).await;
    let edges = unread.data()["briefings"]["edges"].as_array().unwrap().clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["id"], second);
    let bodies = o.app.gql(Some(&o.tokens[0]), "{ briefings { edges { node { body } } } }", json!({})).await;
    assert_eq!(
        bodies.data()["briefings"]["edges"][0]["node"]["body"],
        "今年以来，全市创卫工作按照既定目标稳步推进……",
        "the feed loads bodies when asked"
    );
    let all = o.feed(0, json!({})).await;
    assert_eq!(all.data()["briefings"]["edges"][1]["node"]["isRead"], true);
    assert_eq!(all.data()["briefings"]["edges"][1]["node"]["readAt"], read_at);

    o.app.gql(Some(&o.tokens[2]), READ, json!({ "id": first })).await.data();
    let stats = o
        .app
        .gql(
            Some(&o.admin),
            "query($id: ID!) { briefing(id: $id) { readStats { audienceSize readCount readRate notYetRead(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } } } }",
            json!({ "id": first }),
        )
        .await;
    let s = &stats.data()["briefing"]["readStats"];
    assert_eq!(s["audienceSize"], 5, "four members and the admin");
    assert_eq!(s["readCount"], 2);
    assert!((s["readRate"].as_f64().unwrap() - 0.4).abs() < 1e-9);
    assert_eq!(s["notYetRead"]["totalCount"], 3);
    assert_eq!(s["notYetRead"]["edges"].as_array().unwrap().len(), 2);
    let after = s["notYetRead"]["pageInfo"]["endCursor"].clone();
    let rest = o
        .app
        .gql(Some(&o.admin), "query($id: ID!, $a: String) { briefing(id: $id) { readStats { notYetRead(first: 2, after: $a) { edges { node { name } } } } } }", json!({ "id": first, "a": after }))
        .await;
    let mut names: Vec<String> = s["notYetRead"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.extend(
        rest.data()["briefing"]["readStats"]["notYetRead"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["name"].as_str().unwrap().to_owned()),
    );
    names.sort();
    assert_eq!(names, vec!["丁委员", "乙委员", "系统管理员"]);
    invariants::check(&o.app).await;
}
both!(read_receipts_and_counts);

async fn pagination_is_stable_while_publishing(backend: Backend) {
    let o = org(backend).await;
    let mut originals = Vec::new();
    for i in 0..5 {
        let mut b = input(&format!("通报{i}"), json!({ "everyone": true }));
        b["pinned"] = json!(i == 1);
        originals.push(o.published(b).await);
    }
    // Pinned first, then newest first.
    let expected = vec![
        originals[1].clone(),
        originals[4].clone(),
        originals[3].clone(),
        originals[2].clone(),
        originals[0].clone(),
    ];

    let page = o.feed(0, json!({ "first": 2 })).await;
    let mut seen: Vec<String> = page.data()["briefings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page.data()["briefings"]["totalCount"], 5);
    let mut after = page.data()["briefings"]["pageInfo"]["endCursor"].clone();

    // New briefings arrive while the member scrolls.
    o.published(input("新通报A", json!({ "everyone": true }))).await;
    o.published(input("新通报B", json!({ "everyone": true }))).await;
    loop {
        let page = o.feed(0, json!({ "first": 2, "after": after })).await;
        let b = &page.data()["briefings"];
        seen.extend(b["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
        if b["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = b["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, expected, "no duplicates, nothing skipped");
    o.feed(0, json!({ "after": "bogus" })).await.refused("BAD_USER_INPUT");
    o.feed(0, json!({ "first": 500 })).await.refused("BAD_USER_INPUT");
    invariants::check(&o.app).await;
}
both!(pagination_is_stable_while_publishing);

async fn search_finds_chinese_substrings(backend: Backend) {
    let o = org(backend).await;
    let mut a = input("全市创卫工作进展", json!({ "everyone": true }));
    a["body"] = json!("国家卫生城市创建进入冲刺阶段。");
    let cw = o.published(a).await;
    let mut b = input("上半年城建工作情况", json!({ "everyone": true }));
    b["summary"] = json!("上半年城建工作情况汇报。");
    b["body"] = json!("城市建设项目完成投资情况，详见 GDP 统计。");
    let cj = o.published(b).await;
    let mut secret = input("纪委内部通报：创卫专项督查", json!({ "userIds": [o.users[1]] }));
    secret["confidential"] = json!(true);
    let internal = o.published(secret).await;

    let search = |who: usize, q: &'static str| {
        let o = &o;
        async move {
            let a = o.feed(who, json!({ "f": { "search": q } })).await;
            a.data()["briefings"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search(0, "创卫").await, vec![cw.clone()]);
    assert_eq!(search(0, "冲刺阶段").await, vec![cw.clone()], "body text");
    assert_eq!(search(0, "城").await, vec![cj.clone(), cw.clone()], "one character falls back to the feed");
    assert_eq!(search(0, "gdp").await, vec![cj.clone()], "latin letters ignore case");
    assert!(search(0, "创卫城建").await.is_empty(), "all bigrams, then the exact substring");
    // The confidential one is found only by its audience.
    assert_eq!(search(1, "创卫").await, vec![internal.clone(), cw.clone()]);
    let filtered = o.feed(0, json!({ "f": { "source": "市政府", "category": "经济社会发展" } })).await;
    assert_eq!(filtered.data()["briefings"]["edges"].as_array().unwrap().len(), 2);
    let none = o.feed(0, json!({ "f": { "source": "市纪委监委" } })).await;
    assert_eq!(none.data()["briefings"]["edges"].as_array().unwrap().len(), 0);

    // Confidential: a watermark for the reader, no preview text.
    let seen = o.app.gql(Some(&o.tokens[1]), ONE, json!({ "id": internal })).await;
    assert_eq!(seen.data()["briefing"]["watermark"], "乙委员 1002");
    assert!(seen.data()["briefing"]["previewText"].is_null());
    let open = o.app.gql(Some(&o.tokens[1]), ONE, json!({ "id": cw })).await;
    assert!(open.data()["briefing"]["watermark"].is_null());
    assert!(open.data()["briefing"]["previewText"].as_str().unwrap().starts_with("通报全市创卫"));
    invariants::check(&o.app).await;
}
both!(search_finds_chinese_substrings);

async fn spam_is_refused_with_the_span(backend: Backend) {
    let o = org(backend).await;
    let mut spam = input("关于联动视察的通报", json!({ "everyone": true }));
    spam["body"] = json!("市长雷健坤、市政协主席188体育在线|投注|官网:等市领导分别参加了视察和座谈。");
    let id = o.create(spam).await;
    let refused = o.publish(&id).await;
    refused.refused("BAD_USER_INPUT");
    assert_eq!(refused.field(), "body");
    assert_eq!(refused.body["errors"][0]["extensions"]["span"], "188体育在线|投注|官网");
    assert!(refused.message().contains("188体育在线|投注|官网"));
    assert!(o.feed_ids(0).await.is_empty(), "nothing published");
    let status =
        o.app.gql(Some(&o.admin), "query($id: ID!) { briefing(id: $id) { status } }", json!({ "id": id })).await;
    assert_eq!(status.data()["briefing"]["status"], "DRAFT");

    // Staff fix the text and publish.
    o.app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!, $b: String!) { updateBriefing(id: $id, input: { body: $b }) { id } }",
            json!({ "id": id, "b": "市长、市政协主席等市领导分别参加了视察和座谈。" }),
        )
        .await
        .data();
    o.publish(&id).await.data();

    // A published briefing cannot be edited into spam either.
    let hidden = r#"正文<a href="http://xx-casino.example" style="display:none">百家乐</a>"#;
    let edit = o
        .app
        .gql(
            Some(&o.admin),
            "mutation($id: ID!, $b: String!) { updateBriefing(id: $id, input: { body: $b }) { id } }",
            json!({ "id": id, "b": hidden }),
        )
        .await;
    edit.refused("BAD_USER_INPUT");
    let body =
        o.app.gql(Some(&o.tokens[0]), "query($id: ID!) { briefing(id: $id) { body } }", json!({ "id": id })).await;
    assert_eq!(body.data()["briefing"]["body"], "市长、市政协主席等市领导分别参加了视察和座谈。");
    invariants::check(&o.app).await;
}
both!(spam_is_refused_with_the_span);

async fn office_only_operations_and_fields(backend: Backend) {
    let o = org(backend).await;
    let id = o.published(input("通报", json!({ "everyone": true }))).await;
    let member = &o.tokens[0];
    for field in ["readStats { readCount }", "audience { everyone }", "history { action }"] {
        let q = format!("query($id: ID!) {{ briefing(id: $id) {{ id {field} }} }}");
        let a = o.app.gql(Some(member), &q, json!({ "id": id })).await;
        assert_eq!(a.code(), "FORBIDDEN", "{field}: {}", a.body);
    }
    o.app.gql(Some(member), CREATE, json!({ "i": input("x", json!({ "everyone": true })) })).await.refused("FORBIDDEN");
    o.app.gql(Some(member), "{ managedBriefings { totalCount } }", json!({})).await.refused("FORBIDDEN");
    o.app
        .gql(Some(member), "mutation($id: ID!) { withdrawBriefing(id: $id) { id } }", json!({ "id": id }))
        .await
        .refused("FORBIDDEN");

    let audience = o
        .app
        .gql(
            Some(&o.admin),
            "query($id: ID!) { briefing(id: $id) { audience { everyone sectors { name } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(audience.data()["briefing"]["audience"]["everyone"], true);
    let managed = o
        .app
        .gql(
            Some(&o.admin),
            "{ managedBriefings(filter: { status: PUBLISHED }) { totalCount edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(managed.data()["managedBriefings"]["totalCount"], 1);
    invariants::check(&o.app).await;
}
both!(office_only_operations_and_fields);

async fn bad_input_saves_nothing(backend: Backend) {
    let o = org(backend).await;
    let check = |input: Value, field: &'static str| {
        let o = &o;
        async move {
            let a = o.app.gql(Some(&o.admin), CREATE, json!({ "i": input })).await;
            a.refused("BAD_USER_INPUT");
            assert_eq!(a.field(), field, "{}", a.body);
        }
    };
    check(input("   ", json!({ "everyone": true })), "title").await;
    check(input("通报", json!({ "sectorIds": ["01890000-0000-7000-8000-000000000000"] })), "audience.sectorIds").await;
    check(input("通报", json!({ "sectorIds": ["not-an-id"] })), "audience.sectorIds").await;
    let mut long = input("通报", json!({ "everyone": true }));
    long["body"] = json!("x".repeat(100_001));
    check(long, "body").await;
    let mut bad_file = input("通报", json!({ "everyone": true }));
    bad_file["attachmentIds"] = json!(["not-an-id"]);
    check(bad_file.clone(), "attachmentIds").await;
    bad_file["attachmentIds"] = json!(["01890000-0000-7000-8000-000000000000"]);
    check(bad_file, "attachmentIds.0").await;
    assert_eq!(o.app.count_rows("briefing").await, 0, "nothing saved");

    // Publishing needs an audience and a body; deleting is for drafts only.
    let no_audience = o.create(input("无对象", json!({}))).await;
    let a = o.publish(&no_audience).await;
    a.refused("BAD_USER_INPUT");
    assert_eq!(a.field(), "audience");
    let published = o.published(input("已发布", json!({ "everyone": true }))).await;
    o.publish(&published).await.refused("CONFLICT");
    let del = "mutation($id: ID!) { deleteBriefing(id: $id) { id } }";
    o.app.gql(Some(&o.admin), del, json!({ "id": published })).await.refused("CONFLICT");
    assert_eq!(
        o.app.gql(Some(&o.admin), del, json!({ "id": no_audience })).await.data()["deleteBriefing"]["id"],
        no_audience
    );
    assert_eq!(o.app.count_rows("briefing").await, 1);
    invariants::check(&o.app).await;
}
both!(bad_input_saves_nothing);

async fn feed_costs_a_fixed_number_of_queries(backend: Backend) {
    let o = org(backend).await;
    for i in 0..25 {
        let mut b = input(&format!("通报{i}"), json!({ "everyone": true }));
        if i % 2 == 0 {
            let full = o.app.uploaded(&o.admin, "BRIEFING", "通报全文.pdf", pdf(1024)).await;
            let table = o.app.uploaded(&o.admin, "BRIEFING", "附表.png", png()).await;
            b["attachmentIds"] = json!([full, table]);
        }
        o.published(b).await;
    }
    let mut costs = Vec::new();
    for first in [3, 20] {
        let before = o.app.state.queries.get();
        let page = o.feed(0, json!({ "first": first })).await;
        assert_eq!(page.data()["briefings"]["edges"].as_array().unwrap().len(), first);
        let counts: Vec<u64> = page.data()["briefings"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["attachmentCount"].as_u64().unwrap())
            .collect();
        assert_eq!(counts[..3], [2, 0, 2], "newest first: 通报24, 通报23, 通报22");
        assert_eq!(page.data()["briefings"]["edges"][0]["node"]["author"]["name"], "系统管理员");
        costs.push(o.app.state.queries.get() - before);
    }
    assert_eq!(costs[0], costs[1], "a page of 20 costs what a page of 3 costs: {costs:?}");
    assert!(costs[1] <= 3, "receipts joined to briefings, authors, the count: {costs:?}");
}
both!(feed_costs_a_fixed_number_of_queries);

async fn expired_briefings_leave_the_feed(backend: Backend) {
    let o = org(backend).await;
    let mut soon = input("限时通报", json!({ "everyone": true }));
    soon["expiresAt"] = json!((chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339());
    let id = o.published(soon).await;
    let lasting = o.published(input("长期通报", json!({ "everyone": true }))).await;
    assert_eq!(o.feed_ids(0).await, vec![lasting.clone(), id.clone()]);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(o.feed_ids(0).await, vec![lasting]);
    let count = o.app.gql(Some(&o.tokens[0]), "{ unreadBriefingCount }", json!({})).await;
    assert_eq!(count.data()["unreadBriefingCount"], 1);
    o.app.gql(Some(&o.tokens[0]), ONE, json!({ "id": id })).await.refused("NOT_FOUND");
    invariants::check(&o.app).await;
}
both!(expired_briefings_leave_the_feed);

/// The whole workflow of one briefing: edits of a draft and of what is published (the
/// audience narrowed takes it away from who left it), withdrawal, publication again with
/// the first publication time and the read receipts kept; every step in the history, and
/// steps from the wrong state refused as CONFLICT.
async fn edited_withdrawn_and_published_again(backend: Backend) {
    let o = org(backend).await;
    let admin = &o.admin;
    let update = "mutation($id: ID!, $i: UpdateBriefingInput!) { updateBriefing(id: $id, input: $i) { id status } }";
    let withdraw = "mutation($id: ID!) { withdrawBriefing(id: $id) { status } }";
    let id = o.create(input("草稿", json!({ "everyone": true }))).await;
    o.app.gql(Some(admin), update, json!({ "id": id, "i": { "title": "致全体委员" } })).await.data();
    o.app.gql(Some(admin), withdraw, json!({ "id": id })).await.refused("CONFLICT");
    let first = o.publish(&id).await;
    let published_at = first.data()["publishBriefing"]["publishedAt"].clone();
    o.app.gql(Some(&o.tokens[1]), READ, json!({ "id": id })).await.data();
    assert!(o.feed_ids(1).await.contains(&id));

    // Narrowed to the standing committee: 乙 (not on it) no longer has it, 甲 still has.
    let narrowed =
        o.app.gql(Some(admin), update, json!({ "id": id, "i": { "audience": { "standingCommittee": true } } })).await;
    assert_eq!(narrowed.data()["updateBriefing"]["status"], "PUBLISHED");
    assert!(!o.feed_ids(1).await.contains(&id), "乙 left the audience");
    o.app.gql(Some(&o.tokens[1]), ONE, json!({ "id": id })).await.refused("NOT_FOUND");
    assert_eq!(o.feed_ids(0).await, vec![id.clone()], "甲 is on the standing committee");
    let stats = "query($id: ID!) { briefing(id: $id) { status publishedAt readStats { audienceSize readCount } history { action } } }";
    let s = o.app.gql(Some(admin), stats, json!({ "id": id })).await;
    assert_eq!(s.data()["briefing"]["readStats"]["audienceSize"], 2, "甲 and 丙");
    invariants::check(&o.app).await;

    o.app.gql(Some(admin), withdraw, json!({ "id": id })).await.data();
    o.app.gql(Some(admin), withdraw, json!({ "id": id })).await.refused("CONFLICT");
    assert!(o.feed_ids(0).await.is_empty());
    // Widened again while withdrawn, then published again: 乙 gets it back, still read.
    o.app.gql(Some(admin), update, json!({ "id": id, "i": { "audience": { "everyone": true } } })).await.data();
    o.publish(&id).await.data();
    o.publish(&id).await.refused("CONFLICT");
    let again =
        o.app.gql(Some(&o.tokens[1]), "query($id: ID!) { briefing(id: $id) { isRead } }", json!({ "id": id })).await;
    assert_eq!(again.data()["briefing"]["isRead"], true, "the receipt was kept");
    let s = o.app.gql(Some(admin), stats, json!({ "id": id })).await;
    let b = &s.data()["briefing"];
    assert_eq!(b["status"], "PUBLISHED");
    assert_eq!(b["publishedAt"], published_at, "the first publication time stays");
    assert_eq!(b["readStats"]["audienceSize"], 5);
    assert_eq!(b["readStats"]["readCount"], 1);
    let actions: Vec<&str> = b["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["CREATED", "UPDATED", "PUBLISHED", "UPDATED", "WITHDRAWN", "UPDATED", "PUBLISHED"]);
    o.app
        .gql(Some(admin), "mutation($id: ID!) { deleteBriefing(id: $id) { id } }", json!({ "id": id }))
        .await
        .refused("CONFLICT");
    invariants::check(&o.app).await;
}
both!(edited_withdrawn_and_published_again);

/// A member leaves the standing committee at the instant a briefing to the standing
/// committee is published, 20 times: whichever commits first, the recipients end equal to
/// the audience (the publication saw the membership before or after the change, never
/// half of it), and the member does not see the briefing.
async fn leaving_the_standing_committee_while_a_briefing_is_published(backend: Backend) {
    let o = org(backend).await;
    let mut findings = Findings::new("leaving_the_standing_committee_while_a_briefing_is_published");
    let admin = &o.admin;
    let members =
        o.app.gql(Some(admin), "{ members(first: 10) { edges { node { id user { id } } } } }", json!({})).await;
    let membership = members.data()["members"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["user"]["id"] == o.users[0].as_str())
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .unwrap();
    let standing = |on: bool| json!({ "id": membership, "i": { "standingCommittee": on } });
    let update = "mutation($id: ID!, $i: UpdateMembershipInput!) { updateMembership(id: $id, input: $i) { id } }";
    for round in 0..20 {
        // 甲 is back on the standing committee; a confidential briefing to it waits.
        o.app.gql(Some(admin), update, standing(true)).await.data();
        let mut b = input(&format!("常委会内部通报{round}"), json!({ "standingCommittee": true }));
        b["confidential"] = json!(true);
        let id = o.create(b).await;
        let answers = together(
            &o.app,
            vec![request(admin, update, standing(false)), request(admin, PUBLISH, json!({ "id": id }))],
        )
        .await;
        let mut bad = Vec::new();
        for (what, a) in ["the membership change", "the publication"].iter().zip(&answers) {
            if !race::succeeded(a) {
                bad.push(format!("{what}: {}", race::outcome(a)));
            }
        }
        if o.feed_ids(0).await.contains(&id) {
            bad.push("甲 left the standing committee but has the briefing in the feed".into());
        }
        let seen = o.app.gql(Some(&o.tokens[0]), ONE, json!({ "id": id })).await;
        if race::code(&seen).as_deref() != Some("NOT_FOUND") {
            bad.push(format!("甲 reads the briefing by id: {}", race::outcome(&seen)));
        }
        let stats = o
            .app
            .gql(
                Some(admin),
                "query($id: ID!) { briefing(id: $id) { readStats { audienceSize } } }",
                json!({ "id": id }),
            )
            .await;
        let size = stats.data()["briefing"]["readStats"]["audienceSize"].clone();
        if size != 1 {
            bad.push(format!("audienceSize {size}, expected 1 (丙 alone)"));
        }
        bad.extend(invariants::violations(&o.app).await);
        findings.round(round, bad);
    }
    findings.finish(&o.app).await;
}
both!(leaving_the_standing_committee_while_a_briefing_is_published);
