//! Who a reminder reaches and what it says, decided when the dispatcher handles its event
//! (a fraction of a second after the claim). The subject is read again then: a visit
//! cancelled or started meanwhile, or an assignment replied to or given another deadline,
//! gets no reminder.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;
use uuid::Uuid;

use super::{DEADLINE_NEAR, OVERDUE, VISIT_TOMORROW, open_assignment};
use crate::{
    calendar::date_of,
    error::AppResult,
    notifications::recipients::{Audience, Notice},
    transition,
};
use entity::{ProposalStatus, VisitStatus, outbox, proposal, proposal_assignment, visit};

/// The audiences and notices of a reminder event; empty when it is no longer meaningful.
pub async fn plan(db: &impl ConnectionTrait, e: &outbox::Model) -> AppResult<Vec<(Audience, Notice)>> {
    match e.kind.as_str() {
        VISIT_TOMORROW => visit_tomorrow(db, e).await,
        DEADLINE_NEAR | OVERDUE => assignment(db, e).await,
        _ => Ok(vec![]),
    }
}

/// The people holding a place (confirmed, or asking for leave and keeping it until the
/// office decides); not the waiting list, nor those on leave or cancelled.
async fn visit_tomorrow(db: &impl ConnectionTrait, e: &outbox::Model) -> AppResult<Vec<(Audience, Notice)>> {
    let Some(v) = visit::Entity::find_by_id(e.subject_id).one(db).await? else { return Ok(vec![]) };
    let still = matches!(v.status, VisitStatus::Open | VisitStatus::Closed) && v.starts_at > transition::now();
    if !still || Some(date_of(v.starts_at)) != due_on(e) {
        return Ok(vec![]);
    }
    // "Tomorrow" as seen when the reminder fired (a late one on the day says "today").
    let when = if date_of(v.starts_at) == date_of(e.occurred_at) { "今天" } else { "明天" };
    let n = Notice {
        kind: VISIT_TOMORROW,
        title: format!("活动提醒：{when}{}开始", clock(v.starts_at)),
        body: Some(format!("《{}》\n{} {}，{}", v.title, day(date_of(v.starts_at)), clock(v.starts_at), v.place)),
        subject_type: "visit",
    };
    Ok(vec![(Audience::Going(v.id), n)])
}

/// The operators of the assignment's unit.
async fn assignment(db: &impl ConnectionTrait, e: &outbox::Model) -> AppResult<Vec<(Audience, Notice)>> {
    let id = e.payload.get("assignmentId").and_then(Value::as_str).and_then(|s| s.parse::<Uuid>().ok());
    let Some(id) = id else { return Ok(vec![]) };
    let Some(a) = proposal_assignment::Entity::find_by_id(id).one(db).await? else { return Ok(vec![]) };
    let Some(p) = proposal::Entity::find_by_id(a.proposal_id).one(db).await? else { return Ok(vec![]) };
    let handled = matches!(p.status, ProposalStatus::Assigned | ProposalStatus::Rehandling);
    let deadline = date_of(a.deadline);
    if !handled || !open_assignment().contains(&a.status) || Some(deadline) != due_on(e) {
        return Ok(vec![]);
    }
    let (title, text) = if e.kind == OVERDUE {
        ("提案已超过办理期限，请尽快答复".to_owned(), format!("办理期限：{}", day(deadline)))
    } else {
        (format!("提案办理期限将至：{}", day(deadline)), format!("请于{} {}前答复", day(deadline), clock(a.deadline)))
    };
    let kind = if e.kind == OVERDUE { OVERDUE } else { DEADLINE_NEAR };
    let n = Notice { kind, title, body: Some(format!("《{}》\n{text}", p.title)), subject_type: "proposal" };
    Ok(vec![(Audience::Units { organization: p.organization_id, units: vec![a.unit_id] }, n)])
}

/// The day the claim was for, from the event.
fn due_on(e: &outbox::Model) -> Option<NaiveDate> {
    e.payload.get("dueOn").and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// 12月1日
fn day(d: NaiveDate) -> String {
    d.format("%-m月%-d日").to_string()
}

/// 09:00, China time.
fn clock(at: DateTime<Utc>) -> String {
    (at + Duration::hours(8)).format("%H:%M").to_string()
}
