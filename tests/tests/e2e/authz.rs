//! The authorization matrix (ARCHITECTURE §2, issue 12 item 9): every root field of Query and
//! Mutation, as anonymous, a member, a member of another committee, staff, a unit operator
//! and an admin, against the table in `authz_matrix.txt` beside this file.
//!
//! The world: the bootstrap city with two sibling county committees, A and B. Committee A
//! has an admin, staff, a handling unit with its operator, and the member (who authors the
//! proposals and suggestions and signs up for the visits the table points at); committee B
//! has the other member. Every record the requests name lives in committee A, one per
//! request that consumes it, in the state the operation needs.
//!
//! A cell is the answer's `extensions.code`, or `ALLOWED`: the request got past the door —
//! it answered data, or an error that is not UNAUTHENTICATED, FORBIDDEN or NOT_FOUND (the
//! second of two allowed roles may find the record already moved on, a `CONFLICT`; records
//! an operation removes are made once per allowed role, `<name>` standing for `name.role`).
//! At least one allowed role must get data without errors, so a row's request is known to
//! be valid (a request marked `#no-data` says why it cannot be). The refused roles of a row run first, all at once, then the allowed ones, all at
//! once; a refusal must change nothing, so the allowed roles still find the record as the
//! world left it.
use std::collections::{BTreeSet, HashMap};

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::{
    attachments::pdf,
    both,
    helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app},
};

const MATRIX: &str = include_str!("authz_matrix.txt");
const ROLES: [&str; 6] = ["anonymous", "member", "other", "staff", "unit", "admin"];
const AUTHZ_CODES: [&str; 3] = ["UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"];

struct Row {
    op: String,
    expected: [String; 6],
    request: String,
    line: usize,
}

/// Rows in file order: `operation CELL×6`, then the request on the indented lines below.
fn rows() -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for (i, line) in MATRIX.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let row = rows.last_mut().unwrap_or_else(|| panic!("authz_matrix.txt:{}: a request before any row", i + 1));
            row.request.push(' ');
            row.request.push_str(line.trim());
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 7, "authz_matrix.txt:{}: an operation and six cells", i + 1);
        for cell in &cells[1..] {
            assert!(
                matches!(*cell, "ALLOWED" | "UNAUTHENTICATED" | "FORBIDDEN" | "NOT_FOUND"),
                "authz_matrix.txt:{}: unknown cell {cell}",
                i + 1
            );
        }
        let expected = std::array::from_fn(|k| cells[k + 1].to_owned());
        rows.push(Row { op: cells[0].to_owned(), expected, request: String::new(), line: i + 1 });
    }
    rows
}

/// The people and records the requests point at, by the names the table uses as `<name>`.
struct World {
    app: TestApp,
    names: HashMap<String, String>,
    /// Per role: phone (None for anonymous) and access token.
    phones: [Option<String>; 6],
    tokens: [Option<String>; 6],
}

fn days(n: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(n)).to_rfc3339()
}

impl World {
    async fn ok(&self, token: &str, query: &str, vars: Value) -> Value {
        let a = self.app.gql(Some(token), query, vars).await;
        a.data().clone()
    }

    /// Runs a mutation and returns `data.<field>.id`.
    async fn id(&self, token: &str, query: &str, vars: Value) -> String {
        let data = self.ok(token, query, vars).await;
        let field = data.as_object().and_then(|o| o.values().next()).cloned().unwrap_or(Value::Null);
        field["id"].as_str().unwrap_or_else(|| panic!("no id in {data}")).to_owned()
    }

    fn set(&mut self, name: &str, value: impl Into<String>) {
        self.names.insert(name.to_owned(), value.into());
    }

    fn get(&self, name: &str) -> &str {
        self.names.get(name).map(String::as_str).unwrap_or_else(|| panic!("no world record {name}"))
    }

    fn token(&self, role: &str) -> &str {
        let k = ROLES.iter().position(|r| *r == role).unwrap();
        self.tokens[k].as_deref().unwrap()
    }

    /// The request with `<name>` replaced by the world's record: `name.role` when the world
    /// made one per allowed role (records an operation removes), else `name`.
    fn fill(&self, request: &str, role: &str) -> String {
        let mut out = String::new();
        let mut rest = request;
        while let Some(start) = rest.find('<') {
            let Some(len) = rest[start..].find('>') else { break };
            let name = &rest[start + 1..start + len];
            out.push_str(&rest[..start]);
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
                // Refused roles aim at the staff's copy (a refusal changes nothing).
                let own = [format!("{name}.{role}"), name.to_owned(), format!("{name}.staff")];
                let found = own.iter().find_map(|k| self.names.get(k));
                out.push_str(found.map_or_else(|| self.get(name), String::as_str));
            } else {
                out.push_str(&rest[start..=start + len]);
            }
            rest = &rest[start + len + 1..];
        }
        out.push_str(rest);
        out
    }

    async fn send(&self, token: Option<&str>, request: &str) -> Answer {
        if request.contains("$file") {
            let operations = json!({ "query": request, "variables": { "file": null } });
            let part =
                reqwest::multipart::Part::bytes(pdf(2000)).file_name("材料.pdf").mime_str("application/pdf").unwrap();
            let form = reqwest::multipart::Form::new()
                .text("operations", operations.to_string())
                .text("map", json!({ "0": ["variables.file"] }).to_string())
                .part("0", part);
            let mut req = self.app.http.post(format!("{}/graphql", self.app.base)).multipart(form);
            if let Some(token) = token {
                req = req.header("authorization", format!("Bearer {token}"));
            }
            return crate::helpers::send(req.header("apollo-require-preflight", "true")).await;
        }
        self.app.gql(token, request, json!({})).await
    }
}

async fn world(backend: Backend) -> World {
    let app = spawn_app(backend).await;
    let root = app.admin().await;
    let city = app.current_org(&root).await;
    let a = app.create_org(&root, "甲县政协", "COUNTY", &city).await;
    let b = app.create_org(&root, "乙县政协", "COUNTY", &city).await;
    let mut w = World { app, names: HashMap::new(), phones: Default::default(), tokens: Default::default() };
    w.set("city", city.clone());
    w.set("today", api::calendar::today().to_string());
    w.set("a", a.clone());
    w.set("b", b.clone());

    // People of A (made by the root admin), and B's member.
    let admin_user = w.app.person(&root, "13800009001", "甲县管理员", &a, "ADMIN").await;
    let admin = w.app.login("13800009001", PASSWORD).await.access;
    let staff_user = w.app.person(&admin, "13800009002", "甲县机关", &a, "STAFF").await;
    let staff = w.app.login("13800009002", PASSWORD).await.access;
    let unit = w.id(&staff, "mutation { createHandlingUnit(input: { name: \"甲县住建局\" }) { id } }", json!({})).await;
    let unit_user = w.app.create_user(&staff, "13800009003", "住建局办理员").await;
    w.app
        .add_membership(
            &staff,
            json!({ "userId": unit_user, "organizationId": a, "role": "UNIT", "handlingUnitId": unit }),
        )
        .await
        .data();
    let member_user = w.app.create_user(&staff, "13800009004", "甲县委员").await;
    let member_membership = w.app.join(&staff, &member_user, &a, "MEMBER", json!({})).await;
    let other_user = w.app.person(&root, "13800009005", "乙县委员", &b, "MEMBER").await;
    let peer_user = w.app.person(&staff, "13800009006", "甲县另一位委员", &a, "MEMBER").await;
    let peer = w.app.login("13800009006", PASSWORD).await.access;
    let victim = w.app.person(&staff, "13800009007", "被管理的委员", &a, "MEMBER").await;
    let disabled = w.app.person(&staff, "13800009008", "已停用的委员", &a, "MEMBER").await;
    w.ok(&staff, "mutation($id: ID!) { disableUser(id: $id) { id } }", json!({ "id": disabled })).await;
    for (i, role) in ["staff", "admin"].into_iter().enumerate() {
        let leaver = w.app.create_user(&staff, &format!("1380000903{i}"), &format!("将离任的委员{i}")).await;
        let membership = w.app.join(&staff, &leaver, &a, "MEMBER", json!({})).await;
        w.set(&format!("leaver_membership.{role}"), membership);
    }
    let newcomer = w.app.create_user(&staff, "13800009010", "新委员").await;
    w.app.person(&staff, "13800009011", "登录用的人", &a, "MEMBER").await;
    let member = w.app.login("13800009004", PASSWORD).await.access;
    let other = w.app.login("13800009005", PASSWORD).await.access;
    let unit_token = w.app.login("13800009003", PASSWORD).await.access;
    // A second session of the member, for revokeSession, and a refresh token for refreshSession.
    let second = w.app.login("13800009004", PASSWORD).await;
    let sessions = w.ok(&second.access, "{ mySessions { id current } }", json!({})).await;
    let second_session =
        sessions["mySessions"].as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let spare = w.app.login("13800009011", PASSWORD).await;
    for (name, value) in [
        ("admin_user", admin_user),
        ("staff_user", staff_user),
        ("unit", unit.clone()),
        ("unit_user", unit_user),
        ("member_user", member_user.clone()),
        ("member_membership", member_membership),
        ("other_user", other_user),
        ("peer_user", peer_user.clone()),
        ("victim", victim),
        ("disabled", disabled),
        ("newcomer", newcomer),
        ("member_session", second_session),
        ("refresh_token", spare.refresh),
    ] {
        w.set(name, value);
    }
    w.phones = [
        None,
        Some("13800009004".into()),
        Some("13800009005".into()),
        Some("13800009002".into()),
        Some("13800009003".into()),
        Some("13800009001".into()),
    ];
    w.tokens = [None, Some(member.clone()), Some(other), Some(staff.clone()), Some(unit_token.clone()), Some(admin)];

    // Catalogues of A.
    let sector = w.id(&staff, "mutation { createSector(input: { name: \"经济界\" }) { id } }", json!({})).await;
    w.set("sector", sector);
    let committee =
        w.id(&staff, "mutation { createSpecialCommittee(input: { name: \"提案委员会\" }) { id } }", json!({})).await;
    w.set("committee", committee);
    // A plenary session of A to correct, and a commendation per role that deletes one.
    let plenary = "mutation { createPlenarySession(input: { term: 9, number: 5, startsOn: \"2018-01-08\", endsOn: \"2018-01-10\" }) { id } }";
    let plenary = w.id(&staff, plenary, json!({})).await;
    w.set("plenary_session", plenary);
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).format("%Y").to_string();
    w.set("year", year.clone());
    let honour = "mutation($y: Int!, $t: String!, $u: ID!) { recordCommendation(input: { year: $y, awardedBy: \"市政协\", level: MUNICIPAL, title: $t, subject: { kind: HANDLING_UNIT, id: $u } }) { id } }";
    for role in ["staff", "admin"] {
        let vars = json!({ "y": year.parse::<i32>().unwrap(), "t": format!("办理先进单位 {role}"), "u": unit });
        let id = w.id(&staff, honour, vars).await;
        w.set(&format!("commendation.{role}"), id);
    }

    // Briefings: a published one, drafts to edit, publish and delete, one to withdraw.
    let create_briefing = "mutation($t: String!) { createBriefing(input: { title: $t, source: \"县政府办公室\", body: \"全县经济运行情况通报。\", audience: { everyone: true } }) { id } }";
    for name in [
        "briefing",
        "briefing_to_withdraw",
        "briefing_draft",
        "briefing_to_publish",
        "briefing_to_delete.staff",
        "briefing_to_delete.admin",
    ] {
        let id = w.id(&staff, create_briefing, json!({ "t": format!("情况通报 {name}") })).await;
        if matches!(name, "briefing" | "briefing_to_withdraw") {
            w.ok(&staff, "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": id })).await;
        }
        w.set(name, id);
    }

    // Proposals of the member, one per consuming operation, each in the state it needs.
    let draft = "mutation($t: String!, $k: ProposalKind!) { createProposalDraft(input: { title: $t, kind: $k, category: \"社会建设\", suggestions: \"建议一：……\" }) { id } }";
    let mut proposals = Vec::new();
    for (i, (name, state)) in [
        ("p_draft", "DRAFT"),
        ("p_joint_draft", "DRAFT"),
        ("p_to_submit", "DRAFT"),
        ("p_to_register", "SUBMITTED"),
        ("p_to_return", "SUBMITTED"),
        ("p_to_reject", "SUBMITTED"),
        ("p_to_merge", "SUBMITTED"),
        ("p_to_withdraw", "SUBMITTED"),
        ("p_returned", "RETURNED"),
        ("p_registered", "REGISTERED"),
        ("p_to_assign", "REGISTERED"),
        ("p_assigned", "ASSIGNED"),
        ("p_to_acknowledge", "ASSIGNED"),
        ("p_to_reassign", "ASSIGNED"),
        ("p_to_reply", "ASSIGNED"),
        ("p_replied", "REPLIED"),
        ("p_evaluated", "EVALUATED"),
        ("p_concluded", "CONCLUDED"),
    ]
    .into_iter()
    .enumerate()
    {
        let kind = if name == "p_joint_draft" { "JOINT" } else { "INDIVIDUAL" };
        let id = w.id(&member, draft, json!({ "t": format!("关于第{i}件事的提案"), "k": kind })).await;
        let order = ["DRAFT", "SUBMITTED", "RETURNED", "REGISTERED", "ASSIGNED", "REPLIED", "EVALUATED", "CONCLUDED"];
        let at = |s: &str| order.iter().position(|o| *o == s).unwrap();
        let target = at(state);
        if target >= at("SUBMITTED") {
            w.ok(
                &member,
                "mutation($id: ID!, $k: String!) { submitProposal(id: $id, idempotencyKey: $k) { id } }",
                json!({ "id": id, "k": format!("matrix-submit-{i}") }),
            )
            .await;
        }
        if state == "RETURNED" {
            w.ok(
                &staff,
                "mutation($id: ID!) { returnProposal(id: $id, reason: \"请补充材料\") { id } }",
                json!({ "id": id }),
            )
            .await;
        }
        if target >= at("REGISTERED") {
            w.ok(&staff, "mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": id })).await;
        }
        if target >= at("ASSIGNED") {
            w.ok(
                &staff,
                "mutation($id: ID!, $u: ID!) { assignProposal(id: $id, assignments: [{ unitId: $u, role: LEAD }]) { id } }",
                json!({ "id": id, "u": unit }),
            )
            .await;
        }
        if target >= at("REPLIED") {
            w.ok(&unit_token, "mutation($id: ID!) { replyToProposal(id: $id, input: { outcome: A, content: \"已办理。\", contact: \"王科长 0311-8000000\" }) { id } }", json!({ "id": id })).await;
        }
        if target >= at("EVALUATED") {
            w.ok(&member, "mutation($id: ID!) { evaluateProposal(id: $id, input: { satisfaction: SATISFIED, communication: SATISFIED, attitude: SATISFIED, implementation: SATISFIED }) { id } }", json!({ "id": id })).await;
        }
        if target >= at("CONCLUDED") {
            w.ok(&staff, "mutation($id: ID!) { concludeProposal(id: $id) { id } }", json!({ "id": id })).await;
        }
        proposals.push((name, id));
    }
    for (name, id) in proposals {
        w.set(name, id);
    }
    // A joint draft of another member of A that invites the member to co-sign.
    let joint = w
        .id(
            &peer,
            "mutation { createProposalDraft(input: { title: \"关于联名事项的提案\", category: \"社会建设\", kind: JOINT }) { id } }",
            json!({}),
        )
        .await;
    w.ok(
        &peer,
        "mutation($id: ID!, $u: [ID!]!) { inviteCoSigners(proposalId: $id, userIds: $u) { id } }",
        json!({ "id": joint, "u": [member_user] }),
    )
    .await;
    w.set("p_invitation", joint);

    // Suggestions of the member, one per consuming operation.
    let submit = "mutation($t: String!, $k: String!) { submitSuggestion(input: { title: $t, content: \"群众反映……\", category: \"城市管理\" }, idempotencyKey: $k) { id } }";
    let accept = "mutation($id: ID!) { acceptSuggestion(id: $id) { id } }";
    let issue = "mutation($n: Int!) { createBulletinIssue(input: { title: \"社情民意\", number: $n }) { id } }";
    let add = "mutation($i: ID!, $s: ID!) { addToBulletin(issueId: $i, suggestionId: $s, editedTitle: \"编辑后的标题\", editedContent: \"编辑后的内容。\") { id } }";
    let mut pieces = Vec::new();
    for (i, name) in [
        "s_submitted",
        "s_to_accept",
        "s_to_decline",
        "s_to_merge",
        "s_merge_into",
        "s_accepted",
        "s_in_issue",
        "s_published",
        "s_reported",
    ]
    .into_iter()
    .enumerate()
    {
        let id = w.id(&member, submit, json!({ "t": format!("社情民意{i}"), "k": format!("matrix-piece-{i}") })).await;
        pieces.push((name, id));
    }
    for (name, id) in &pieces {
        w.set(name, id.clone());
    }
    for name in ["s_accepted", "s_in_issue", "s_published", "s_reported", "s_merge_into"] {
        w.ok(&staff, accept, json!({ "id": w.get(name) })).await;
    }
    let issue_empty = w.id(&staff, issue, json!({ "n": 1 })).await;
    let issue_to_publish = w.id(&staff, issue, json!({ "n": 2 })).await;
    let issue_published = w.id(&staff, issue, json!({ "n": 3 })).await;
    w.ok(&staff, add, json!({ "i": issue_to_publish, "s": w.get("s_in_issue") })).await;
    for name in ["s_published", "s_reported"] {
        w.ok(&staff, add, json!({ "i": issue_published, "s": w.get(name) })).await;
    }
    w.ok(&staff, "mutation($i: ID!) { publishBulletin(issueId: $i) { id } }", json!({ "i": issue_published })).await;
    w.ok(
        &staff,
        "mutation($id: ID!) { reportSuggestion(id: $id, recipients: { bodies: [\"县委办公室\"] }) { id } }",
        json!({ "id": w.get("s_reported") }),
    )
    .await;
    w.set("issue", issue_empty);
    w.set("issue_to_publish", issue_to_publish);

    // Visits of A, one per consuming operation.
    let create_visit = "mutation($t: String!, $s: DateTime!) { createVisit(input: { kind: INSPECTION, title: $t, place: \"县开发区\", startsAt: $s, capacity: 20 }) { id } }";
    let step = |op: &str| format!("mutation($id: ID!) {{ {op}(id: $id) {{ id }} }}");
    let sign_up = "mutation($id: ID!) { signUpForVisit(id: $id) { status } }";
    for (i, name) in [
        "v_planned",
        "v_open",
        "v_signed_up",
        "v_to_leave",
        "v_leave_requested",
        "v_to_close",
        "v_to_start",
        "v_to_cancel",
        "v_in_progress",
        "v_to_complete",
        "v_completed",
    ]
    .into_iter()
    .enumerate()
    {
        let id = w.id(&staff, create_visit, json!({ "t": format!("视察{i}"), "s": days(10 + i as i64) })).await;
        let open = !matches!(name, "v_planned" | "v_to_start" | "v_to_cancel");
        if open {
            w.ok(&staff, &step("openVisitSignup"), json!({ "id": id })).await;
        }
        if matches!(name, "v_signed_up" | "v_to_leave" | "v_leave_requested" | "v_in_progress" | "v_completed") {
            w.ok(&member, sign_up, json!({ "id": id })).await;
        }
        if name == "v_leave_requested" {
            w.ok(
                &member,
                "mutation($id: ID!) { requestLeave(id: $id, reason: \"有事\") { status } }",
                json!({ "id": id }),
            )
            .await;
        }
        if matches!(name, "v_in_progress" | "v_to_complete" | "v_completed") {
            w.ok(&staff, &step("startVisit"), json!({ "id": id })).await;
        }
        if name == "v_completed" {
            w.ok(&staff, &step("completeVisit"), json!({ "id": id })).await;
        }
        w.set(name, id);
    }
    w
}

/// Whether an answer got past the door (see the module comment).
fn outcome(a: &Answer) -> (&str, bool) {
    match a.body["errors"][0]["extensions"]["code"].as_str() {
        None if a.body.get("errors").is_none() && !a.body["data"].is_null() => ("ALLOWED", true),
        Some(code) if AUTHZ_CODES.contains(&code) => (code, false),
        Some(_) => ("ALLOWED", false),
        None => ("NO_CODE", false),
    }
}

async fn matrix(backend: Backend) {
    let rows = rows();
    let mut w = world(backend).await;

    // Every root field has a row, and every row a root field.
    let schema = w
        .app
        .gql(
            Some(w.token("admin")),
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut fields = BTreeSet::new();
    for kind in ["queryType", "mutationType"] {
        for f in schema.data()["__schema"][kind]["fields"].as_array().unwrap() {
            fields.insert(f["name"].as_str().unwrap().to_owned());
        }
    }
    let listed: BTreeSet<String> = rows.iter().map(|r| r.op.clone()).collect();
    assert_eq!(listed.len(), rows.len(), "authz_matrix.txt lists an operation twice");
    let missing: Vec<_> = fields.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "operations without a row in tests/tests/e2e/authz_matrix.txt: {missing:?} — add one with the expected answer per role"
    );
    let stale: Vec<_> = listed.difference(&fields).collect();
    assert!(stale.is_empty(), "authz_matrix.txt rows for operations the schema no longer has: {stale:?}");

    let mut wrong = Vec::new();
    for row in &rows {
        assert!(row.request.contains(&row.op), "authz_matrix.txt:{}: the request does not call {}", row.line, row.op);
        // Operations that end sessions or change a password run on fresh sessions.
        if row.request.contains("#fresh") {
            for k in 1..ROLES.len() {
                let phone = w.phones[k].clone().unwrap();
                w.tokens[k] = Some(w.app.login(&phone, PASSWORD).await.access);
            }
        }
        let mut got: [Option<(String, bool, String)>; 6] = Default::default();
        for allowed_phase in [false, true] {
            let picked: Vec<usize> =
                (0..ROLES.len()).filter(|k| (row.expected[*k] == "ALLOWED") == allowed_phase).collect();
            let requests: Vec<String> = picked.iter().map(|k| w.fill(&row.request, ROLES[*k])).collect();
            let answers =
                join_all(picked.iter().zip(&requests).map(|(k, request)| w.send(w.tokens[*k].as_deref(), request)))
                    .await;
            for (k, a) in picked.into_iter().zip(answers) {
                let (code, clean) = outcome(&a);
                got[k] = Some((code.to_owned(), clean, a.body.to_string()));
            }
        }
        let got: Vec<(String, bool, String)> = got.into_iter().map(Option::unwrap).collect();
        let mut mismatch = false;
        for (k, (code, _, body)) in got.iter().enumerate() {
            if *code != row.expected[k] {
                mismatch = true;
                wrong.push(format!(
                    "{} as {}: expected {}, got {code}: {}",
                    row.op,
                    ROLES[k],
                    row.expected[k],
                    trim(body)
                ));
            }
        }
        let allowed: Vec<&(String, bool, String)> =
            got.iter().enumerate().filter(|(k, _)| row.expected[*k] == "ALLOWED").map(|(_, g)| g).collect();
        // `#no-data`: in this world the request cannot succeed past the door (the row says why).
        let proves = row.request.contains("#no-data") || allowed.iter().any(|g| g.1);
        if !mismatch && !allowed.is_empty() && !proves {
            wrong.push(format!(
                "{}: no allowed role got data, so the request proves nothing: {}",
                row.op,
                trim(&allowed[0].2)
            ));
        }
        if mismatch {
            let cells: Vec<&str> = got.iter().map(|g| g.0.as_str()).collect();
            wrong.push(format!("  as the server answers: {:<24} {}", row.op, cells.join(" ")));
        }
    }
    assert!(wrong.is_empty(), "authorization matrix ({backend:?}), {} findings:\n{}", wrong.len(), wrong.join("\n"));
}

fn trim(body: &str) -> String {
    body.chars().take(300).collect()
}

both!(matrix);
