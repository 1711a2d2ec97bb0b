//! What must hold of the whole database after any interleaving of requests, checked with
//! SQL that reads the same on PostgreSQL and SQLite (plus the audience rules in Rust for
//! briefings). `check` panics listing every violation; each one starts with a tag
//! (`[visit.counter]`, `[proposal.stuck]`, …) so a test can tell which rule broke.
use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryResult, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::{
    both,
    helpers::{Backend, PASSWORD, TestApp, spawn_app},
};
use api::audience::Audience;
use entity::{BriefingStatus, briefing, briefing_recipient, membership};

async fn rows(app: &TestApp, sql: &str) -> Vec<QueryResult> {
    let db = &app.state.db;
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap_or_else(|e| panic!("invariant query failed: {e}\n{sql}"))
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, column: &str) -> T {
    row.try_get::<T>("", column).unwrap_or_else(|e| panic!("column {column}: {e}"))
}

/// Every violation of the invariants, in a stable order; empty when all hold.
pub async fn violations(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    visits(app, &mut out).await;
    proposals(app, &mut out).await;
    suggestions(app, &mut out).await;
    briefings(app, &mut out).await;
    out
}

/// Panics listing every violation.
pub async fn check(app: &TestApp) {
    let found = violations(app).await;
    assert!(found.is_empty(), "{} invariant violations:\n  {}", found.len(), found.join("\n  "));
}

/// The places counter agrees with the people holding a place, and neither exceeds the
/// capacity; one visit links one proposal or piece once.
async fn visits(app: &TestApp, out: &mut Vec<String>) {
    let sql = "SELECT v.title, v.capacity, v.confirmed_count,
          (SELECT COUNT(*) FROM visit_participant p
            WHERE p.visit_id = v.id AND p.status IN ('CONFIRMED', 'LEAVE_REQUESTED')) AS holders
        FROM visit v ORDER BY v.created_at, v.id";
    for row in rows(app, sql).await {
        let title: String = get(&row, "title");
        let capacity: Option<i32> = get(&row, "capacity");
        let counter = i64::from(get::<i32>(&row, "confirmed_count"));
        let holders: i64 = get(&row, "holders");
        if counter != holders {
            out.push(format!(
                "[visit.counter] visit «{title}»: confirmedCount {counter} but {holders} participants hold a place"
            ));
        }
        if let Some(capacity) = capacity.map(i64::from) {
            if counter > capacity {
                out.push(format!(
                    "[visit.capacity] visit «{title}»: confirmedCount {counter} over capacity {capacity}"
                ));
            }
            if holders > capacity {
                out.push(format!(
                    "[visit.capacity] visit «{title}»: {holders} participants hold a place, capacity {capacity}"
                ));
            }
        }
    }
    let sql = "SELECT v.title, o.kind, COUNT(*) AS n FROM visit_outcome o JOIN visit v ON v.id = o.visit_id
        WHERE o.ref_id IS NOT NULL GROUP BY o.visit_id, v.title, o.ref_id, o.kind HAVING COUNT(*) > 1";
    for row in rows(app, sql).await {
        let (title, kind, n): (String, String, i64) = (get(&row, "title"), get(&row, "kind"), get(&row, "n"));
        out.push(format!("[visit.outcome] visit «{title}» links the same {kind} {n} times"));
    }
}

async fn proposals(app: &TestApp, out: &mut Vec<String>) {
    let sql = "SELECT p.id, p.title, p.status,
          (SELECT COUNT(*) FROM proposal_assignment a
            WHERE a.proposal_id = p.id AND a.role IN ('LEAD', 'SEPARATE')
              AND a.status IN ('ASSIGNED', 'ACKNOWLEDGED')) AS waiting
        FROM proposal p ORDER BY p.created_at, p.id";
    let mut statuses: Vec<(Uuid, String, String)> = Vec::new();
    for row in rows(app, sql).await {
        let (id, title, status): (Uuid, String, String) = (get(&row, "id"), get(&row, "title"), get(&row, "status"));
        let waiting: i64 = get(&row, "waiting");
        match status.as_str() {
            "ASSIGNED" | "REHANDLING" if waiting == 0 => out.push(format!(
                "[proposal.stuck] proposal «{title}» is {status} but no lead or separate unit is still to answer"
            )),
            "REPLIED" if waiting > 0 => out.push(format!(
                "[proposal.replied] proposal «{title}» is REPLIED while {waiting} lead/separate units have not answered"
            )),
            _ => {}
        }
        statuses.push((id, title, status));
    }

    let sql = "SELECT p.title, m.title AS master_title, m.status AS master_status
        FROM proposal p LEFT JOIN proposal m ON m.id = p.merged_into_id
        WHERE p.merged_into_id IS NOT NULL ORDER BY p.created_at, p.id";
    for row in rows(app, sql).await {
        let title: String = get(&row, "title");
        match get::<Option<String>>(&row, "master_status") {
            None => {
                out.push(format!("[proposal.merge] proposal «{title}» is merged into a proposal that does not exist"))
            }
            Some(s) if s == "MERGED" => {
                let master: String = get(&row, "master_title");
                out.push(format!(
                    "[proposal.merge] proposal «{title}» is merged into «{master}», which is itself MERGED (a cycle or a dead master)"
                ));
            }
            Some(_) => {}
        }
    }

    // The status is where the timeline says the proposal went last.
    let sql = "SELECT e.proposal_id, e.to_status FROM proposal_event e
        WHERE e.to_status IS NOT NULL ORDER BY e.proposal_id, e.at, e.id";
    let mut last: HashMap<Uuid, String> = HashMap::new();
    for row in rows(app, sql).await {
        last.insert(get(&row, "proposal_id"), get(&row, "to_status"));
    }
    for (id, title, status) in &statuses {
        match last.get(id) {
            Some(to) if to == status => {}
            Some(to) => out
                .push(format!("[proposal.timeline] proposal «{title}» is {status} but its timeline last went to {to}")),
            None => {
                out.push(format!("[proposal.timeline] proposal «{title}» is {status} without any step in its timeline"))
            }
        }
    }

    let sql = "SELECT p.title, u.name, COUNT(*) AS n FROM proposal_assignment a
        JOIN proposal p ON p.id = a.proposal_id JOIN handling_unit u ON u.id = a.unit_id
        WHERE a.status <> 'REASSIGN_REQUESTED'
        GROUP BY a.proposal_id, p.title, a.unit_id, u.name HAVING COUNT(*) > 1";
    for row in rows(app, sql).await {
        let (title, unit, n): (String, String, i64) = (get(&row, "title"), get(&row, "name"), get(&row, "n"));
        out.push(format!("[proposal.assignment] proposal «{title}» is assigned to {unit} {n} times"));
    }
}

/// The status a piece's timeline leads to: the status-changing actions replayed in order
/// (a report never moves an adopted piece back).
fn replay(actions: &[String]) -> Option<&'static str> {
    let mut state: Option<&'static str> = None;
    for action in actions {
        let to = match action.as_str() {
            "SUBMITTED" | "RECEIVED" | "CONVERTED" => "SUBMITTED",
            "ACCEPTED" => "ACCEPTED",
            "DECLINED" => "DECLINED",
            "MERGED" => "MERGED",
            "PUBLISHED" => "PUBLISHED",
            "REPORTED" if state == Some("ADOPTED") => "ADOPTED",
            "REPORTED" => "REPORTED",
            "ADOPTED" => "ADOPTED",
            _ => continue,
        };
        state = Some(to);
    }
    state
}

async fn suggestions(app: &TestApp, out: &mut Vec<String>) {
    let sql = "SELECT i.suggestion_id, b.status FROM bulletin_item i JOIN bulletin_issue b ON b.id = i.issue_id";
    let mut in_published: HashSet<Uuid> = HashSet::new();
    for row in rows(app, sql).await {
        if get::<String>(&row, "status") == "PUBLISHED" {
            in_published.insert(get(&row, "suggestion_id"));
        }
    }
    let sql = "SELECT e.suggestion_id, e.action FROM suggestion_event e ORDER BY e.suggestion_id, e.at, e.id";
    let mut timelines: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in rows(app, sql).await {
        timelines.entry(get(&row, "suggestion_id")).or_default().push(get(&row, "action"));
    }
    let sql = "SELECT s.id, s.title, s.status, s.decline_reason FROM suggestion s ORDER BY s.created_at, s.id";
    for row in rows(app, sql).await {
        let (id, title, status): (Uuid, String, String) = (get(&row, "id"), get(&row, "title"), get(&row, "status"));
        let reason: Option<String> = get(&row, "decline_reason");
        if matches!(status.as_str(), "ACCEPTED" | "SUBMITTED") && reason.is_some() {
            out.push(format!(
                "[suggestion.reason] piece «{title}» is {status} yet carries a decline reason ({})",
                reason.unwrap_or_default()
            ));
        }
        let published = in_published.contains(&id);
        if matches!(status.as_str(), "DECLINED" | "MERGED") && published {
            out.push(format!("[suggestion.bulletin] piece «{title}» is {status} yet printed in a published bulletin"));
        }
        if status == "PUBLISHED" && !published {
            out.push(format!("[suggestion.bulletin] piece «{title}» is PUBLISHED but in no published bulletin"));
        }
        let empty = Vec::new();
        let actions = timelines.get(&id).unwrap_or(&empty);
        if replay(actions) != Some(status.as_str()) {
            out.push(format!(
                "[suggestion.timeline] piece «{title}» is {status} but its timeline ({}) leads to {}",
                actions.join(" → "),
                replay(actions).unwrap_or("nothing")
            ));
        }
    }
}

/// A published, unexpired briefing reaches exactly the people of its organization whom
/// its audience includes today. (Expired ones are left alone: nobody sees them any more.)
async fn briefings(app: &TestApp, out: &mut Vec<String>) {
    let db = &app.state.db;
    let live = briefing::Entity::find()
        .filter(briefing::Column::Status.eq(BriefingStatus::Published))
        .all(db)
        .await
        .expect("published briefings");
    let memberships = membership::Entity::find().all(db).await.expect("memberships");
    let active = briefing_recipient::Entity::find()
        .filter(briefing_recipient::Column::Active.eq(true))
        .all(db)
        .await
        .expect("recipients");
    let now = chrono::Utc::now();
    for b in live.iter().filter(|b| b.expires_at.is_none_or(|e| e > now)) {
        let audience = Audience::from_json(&b.audience);
        let wanted: BTreeSet<Uuid> = memberships
            .iter()
            .filter(|m| m.organization_id == b.organization_id && audience.includes(m))
            .map(|m| m.user_id)
            .collect();
        let reached: BTreeSet<Uuid> = active.iter().filter(|r| r.briefing_id == b.id).map(|r| r.user_id).collect();
        if wanted != reached {
            let extra: Vec<String> = reached.difference(&wanted).map(Uuid::to_string).collect();
            let missing: Vec<String> = wanted.difference(&reached).map(Uuid::to_string).collect();
            out.push(format!(
                "[briefing.audience] briefing «{}» reaches people outside its audience {extra:?} and misses people in it {missing:?}",
                b.title
            ));
        }
    }
}

/// The checker itself: quiet on a clean story, and it names every kind of damage planted
/// into the rows behind the API's back.
async fn the_checker_sees_planted_damage(backend: Backend) {
    use entity::{AssignmentRole, AssignmentStatus, proposal, proposal_assignment, suggestion, visit, visit_outcome};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, sea_query::Expr};

    let app = spawn_app(backend).await;
    let admin = app.admin().await;
    let city = app.current_org(&admin).await;
    let member_id = app.person(&admin, "13900009001", "查验委员", &city, "MEMBER").await;
    let member = app.login("13900009001", PASSWORD).await.access;
    let q = |token: &str, query: &str, vars: serde_json::Value| {
        let app = &app;
        let (token, query) = (token.to_owned(), query.to_owned());
        async move {
            let a = app.gql(Some(&token), &query, vars).await;
            a.data().clone()
        }
    };

    // A visit with a place taken.
    let v = q(&admin, "mutation { createVisit(input: { kind: INSPECTION, title: \"查验视察\", place: \"高新区\", startsAt: \"2031-05-01T02:00:00Z\", capacity: 2 }) { id } }", json!({})).await;
    let visit_id = v["createVisit"]["id"].as_str().unwrap().to_owned();
    q(&admin, "mutation($id: ID!) { openVisitSignup(id: $id) { id } }", json!({ "id": visit_id })).await;
    q(&member, "mutation($id: ID!) { signUpForVisit(id: $id) { status } }", json!({ "id": visit_id })).await;

    // An assigned proposal, and a draft.
    let unit = q(&admin, "mutation { createHandlingUnit(input: { name: \"查验局\" }) { id } }", json!({})).await
        ["createHandlingUnit"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = |title: &'static str| {
        let q = &q;
        let member = member.clone();
        async move {
            q(&member, "mutation($t: String!) { createProposalDraft(input: { title: $t, suggestions: \"建议\", category: \"其他\" }) { id } }", json!({ "t": title }))
                .await["createProposalDraft"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let assigned = draft("查验提案甲").await;
    q(
        &member,
        "mutation($id: ID!) { submitProposal(id: $id, idempotencyKey: \"checker-key-01\") { id } }",
        json!({ "id": assigned }),
    )
    .await;
    q(&admin, "mutation($id: ID!) { registerProposal(id: $id) { id } }", json!({ "id": assigned })).await;
    q(
        &admin,
        "mutation($id: ID!, $u: ID!) { assignProposal(id: $id, assignments: [{ unitId: $u, role: LEAD }]) { id } }",
        json!({ "id": assigned, "u": unit }),
    )
    .await;
    let drafted = draft("查验提案乙").await;

    // Two pieces and a published briefing.
    let piece = |title: &'static str, key: &'static str| {
        let q = &q;
        let member = member.clone();
        async move {
            q(&member, "mutation($t: String!, $k: String!) { submitSuggestion(input: { title: $t, content: \"内容\", category: \"其他\" }, idempotencyKey: $k) { id } }", json!({ "t": title, "k": key }))
                .await["submitSuggestion"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let first = piece("查验信息甲", "checker-piece-01").await;
    let second = piece("查验信息乙", "checker-piece-02").await;
    let b = q(&admin, "mutation { createBriefing(input: { title: \"查验通报\", summary: \"摘要\", body: \"正文\", source: \"市政府\", category: \"其他\", audience: { everyone: true } }) { id } }", json!({})).await;
    let briefing_id = b["createBriefing"]["id"].as_str().unwrap().to_owned();
    q(&admin, "mutation($id: ID!) { publishBriefing(id: $id) { id } }", json!({ "id": briefing_id })).await;

    // A clean story passes.
    check(&app).await;

    // Damage, one kind at a time, straight in the rows.
    let db = &app.state.db;
    let id = |s: &str| Uuid::parse_str(s).unwrap();
    visit::Entity::update_many()
        .col_expr(visit::Column::ConfirmedCount, Expr::value(5))
        .filter(visit::Column::Id.eq(id(&visit_id)))
        .exec(db)
        .await
        .unwrap();
    proposal_assignment::Entity::update_many()
        .col_expr(proposal_assignment::Column::Status, Expr::value(AssignmentStatus::Replied))
        .filter(proposal_assignment::Column::ProposalId.eq(id(&assigned)))
        .exec(db)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    proposal_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(id(&assigned)),
        unit_id: Set(id(&unit)),
        role: Set(AssignmentRole::Lead),
        deadline: Set(now),
        deadline_fixed: Set(false),
        status: Set(AssignmentStatus::Replied),
        version: Set(0),
        round: Set(1),
        acknowledged_at: Set(None),
        reassign_reason: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .unwrap();
    proposal::Entity::update_many()
        .col_expr(proposal::Column::MergedIntoId, Expr::value(Some(Uuid::now_v7())))
        .col_expr(proposal::Column::Status, Expr::value(entity::ProposalStatus::Merged))
        .filter(proposal::Column::Id.eq(id(&drafted)))
        .exec(db)
        .await
        .unwrap();
    suggestion::Entity::update_many()
        .col_expr(suggestion::Column::DeclineReason, Expr::value(Some("重复".to_owned())))
        .filter(suggestion::Column::Id.eq(id(&first)))
        .exec(db)
        .await
        .unwrap();
    suggestion::Entity::update_many()
        .col_expr(suggestion::Column::Status, Expr::value(entity::SuggestionStatus::Published))
        .filter(suggestion::Column::Id.eq(id(&second)))
        .exec(db)
        .await
        .unwrap();
    for _ in 0..2 {
        visit_outcome::ActiveModel {
            id: Set(Uuid::now_v7()),
            visit_id: Set(id(&visit_id)),
            kind: Set("PROPOSAL".into()),
            ref_id: Set(Some(id(&assigned))),
            title: Set("查验提案甲".into()),
            linked_by: Set(id(&member_id)),
            linked_at: Set(now),
        }
        .insert(db)
        .await
        .unwrap();
    }
    briefing_recipient::Entity::update_many()
        .col_expr(briefing_recipient::Column::Active, Expr::value(false))
        .filter(briefing_recipient::Column::UserId.eq(id(&member_id)))
        .exec(db)
        .await
        .unwrap();

    let found = violations(&app).await;
    for tag in [
        "[visit.counter]",
        "[visit.capacity]",
        "[visit.outcome]",
        "[proposal.stuck]",
        "[proposal.merge]",
        "[proposal.timeline]",
        "[proposal.assignment]",
        "[suggestion.reason]",
        "[suggestion.bulletin]",
        "[suggestion.timeline]",
        "[briefing.audience]",
    ] {
        assert!(found.iter().any(|v| v.starts_with(tag)), "{tag} not reported; found:\n  {}", found.join("\n  "));
    }
}
both!(the_checker_sees_planted_damage);
