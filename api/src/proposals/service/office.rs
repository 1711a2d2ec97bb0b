//! The proposal committee's office: return, register (立案) with its serial number, reject
//! (possibly into a piece of public-opinion information), merge (并案), assign (交办), key
//! proposals (重点提案), conclude (办结) and publish the result (公开).
//!
//! Each recording step takes an optional `at`: the office typing in what happened on paper
//! with its real time (代录). It is checked against the step before it, sets the business
//! column (`registered_at`, …) and the timeline's `at`, and the serial year follows it.
use std::collections::HashSet;

use chrono::{DateTime, Datelike, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use serde_json::json;
use uuid::Uuid;

use super::{DEFAULT_DEADLINE_DAYS, queries, reload, step};
use crate::{
    attachments::service as attachments,
    auth::principal::Principal,
    content_safety, db,
    error::{AppError, AppResult},
    proposals::{
        policy::{self, Part},
        records::ProposalRecord,
        workflow::{self, Action, Actor},
    },
    suggestions::service::{self as suggestions, ConvertedText},
    transition, validate,
};
use entity::{
    AssignmentRole, AssignmentStatus, AttachmentPurpose, Office, ProposalNumbering, handling_unit, membership,
    organization, proposal, proposal_assignment, proposal_event, proposal_serial, special_committee,
};

/// The submission a step of the office follows: it is not entered as happening before it.
fn after_submission(at: Option<DateTime<Utc>>, p: &proposal::Model) -> AppResult<()> {
    transition::not_before(at, p.submitted_at, "提交时间")
}

/// When the last of `actions` happened on the proposal's timeline.
async fn last_step(txn: &impl ConnectionTrait, id: Uuid, actions: &[&str]) -> AppResult<Option<DateTime<Utc>>> {
    Ok(proposal_event::Entity::find()
        .filter(proposal_event::Column::ProposalId.eq(id))
        .filter(proposal_event::Column::Action.is_in(actions.iter().copied()))
        .order_by_desc(proposal_event::Column::At)
        .one(txn)
        .await?
        .map(|e| e.at))
}

pub async fn return_proposal(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    reason: &str,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let reason = validate::required(reason, "reason", 1000)?;
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::Return, Actor::Office, viewer.user_id)?
        .set(proposal::Column::ReturnReason, Some(reason.clone()))
        .note(reason)
        .at(at);
    after_submission(at, &p)?;
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// The next registration number of an organization's year: one counter row, incremented
/// inside the registering transaction. The row lock (PostgreSQL) or the write lock
/// (SQLite) serialises registrations, and a failed registration rolls its number back, so
/// numbers are unique and without gaps.
async fn next_serial(txn: &impl ConnectionTrait, org: Uuid, year: i32) -> AppResult<i32> {
    proposal_serial::Entity::insert(proposal_serial::ActiveModel {
        organization_id: Set(org),
        year: Set(year),
        last: Set(0),
    })
    .on_conflict(
        OnConflict::columns([proposal_serial::Column::OrganizationId, proposal_serial::Column::Year])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await
    .or_else(|e| if matches!(e, DbErr::RecordNotInserted) { Ok(0) } else { Err(e) })?;
    proposal_serial::Entity::update_many()
        .col_expr(proposal_serial::Column::Last, Expr::col(proposal_serial::Column::Last).add(1))
        .filter(proposal_serial::Column::OrganizationId.eq(org))
        .filter(proposal_serial::Column::Year.eq(year))
        .exec(txn)
        .await?;
    let row = proposal_serial::Entity::find_by_id((org, year))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("serial row"))?;
    Ok(row.last)
}

/// 立案 with the next serial number of the year (or session) the registration falls in —
/// for a registration entered later, the year of its `at`, not of the day it is typed.
pub async fn register(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let at = transition::entered_at(viewer, at)?;
    let registered = transition::when(at);
    let year = crate::calendar::date_of(registered).year();
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::Register, Actor::Office, viewer.user_id)?.at(at);
    after_submission(at, &p)?;
    let numbering = organization::Entity::find_by_id(p.organization_id)
        .one(&txn)
        .await?
        .map_or(ProposalNumbering::PerYear, |o| o.proposal_numbering);
    // Per session: a proposal of a session takes the session's next number; one submitted
    // in recess (or any, per year) the year's.
    let (no, session, note) = match (numbering, p.session_id) {
        (ProposalNumbering::PerSession, Some(session)) => {
            let (no, name) = crate::plenary::service::next_serial(&txn, session).await?;
            (no, Some(session), format!("{name}第{no}号"))
        }
        _ => {
            let no = next_serial(&txn, p.organization_id, year).await?;
            (no, None, format!("{year}年第{no}号"))
        }
    };
    let step = step
        .set(proposal::Column::SerialYear, Some(year))
        .set(proposal::Column::SerialNo, Some(no))
        .set(proposal::Column::SerialSessionId, session)
        .set(proposal::Column::RegisteredAt, Some(registered))
        .note(note);
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// 不予立案, with a reason; optionally turned into a piece of public-opinion information.
pub async fn reject(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    reason: &str,
    convert: bool,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let reason = validate::required(reason, "reason", 1000)?;
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::Reject, Actor::Office, viewer.user_id)?.at(at);
    after_submission(at, &p)?;
    let converted = if convert {
        let content = format!("{}\n\n{}", p.background.trim(), p.suggestions.trim()).trim().to_owned();
        let s = suggestions::insert_converted(
            &txn,
            p.organization_id,
            &queries::authors_of(&txn, &p).await?,
            ConvertedText { title: &p.title, content: &content, category: &p.category },
            viewer.user_id,
            at,
        )
        .await?;
        attachments::copy_all(&txn, p.id, s.id, p.organization_id, AttachmentPurpose::Suggestion).await?;
        Some(s.id)
    } else {
        None
    };
    let note = if convert { format!("{reason}（转为社情民意信息）") } else { reason.clone() };
    let step = step
        .set(proposal::Column::RejectReason, Some(reason))
        .set(proposal::Column::ConvertedSuggestionId, converted)
        .note(note);
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// 并案: the proposal follows the one it is merged into from then on. Both are locked (in
/// id order, so two merges of the same pair cannot deadlock), and the master must still be
/// alive when the merge happens: merging A into B and B into A at once leaves one of them.
pub async fn merge(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    into: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    if id == into {
        return Err(AppError::bad_input("intoId", "不能并入自身"));
    }
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    let (first, second) = if id < into { (id, into) } else { (into, id) };
    let a = transition::lock::<proposal::Entity>(&txn, first).await?;
    let b = transition::lock::<proposal::Entity>(&txn, second).await?;
    let (p, master) = if first == id { (a, b) } else { (b, a) };
    let p = p.ok_or_else(policy::not_found)?;
    policy::as_office(viewer, &p)?;
    let master = master
        .filter(|m| policy::as_office(viewer, m).is_ok())
        .ok_or_else(|| AppError::bad_input("intoId", "要并入的提案不存在"))?;
    let step = step(&p, Action::Merge, Actor::Office, viewer.user_id)?.at(at);
    after_submission(at, &p)?;
    transition::not_before(at, master.registered_at, "所并入提案的立案时间")?;
    if !workflow::receives_merges(master.status) {
        return Err(AppError::bad_input(
            "intoId",
            format!("只能并入已立案的提案（该提案当前为“{}”）", workflow::status_name(master.status)),
        ));
    }
    let step = step
        .set(proposal::Column::MergedIntoId, Some(into))
        .note(format!("并入“{}”", master.title))
        .data(json!({ "intoId": into }));
    transition::apply(&txn, step).await?;
    transition::record_entered::<ProposalRecord>(
        &txn,
        into,
        master.organization_id,
        "MERGED_IN",
        viewer.user_id,
        Some(format!("“{}”并入本案", p.title)),
        json!({ "mergedId": id }),
        at,
    )
    .await?;
    txn.commit().await?;
    reload(db, id).await
}

pub struct NewAssignment {
    pub unit_id: Uuid,
    pub role: AssignmentRole,
    pub deadline: Option<DateTime<Utc>>,
}

/// 交办 to one or more units; at least one LEAD or SEPARATE unit answers for the proposal.
pub async fn assign(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    list: Vec<NewAssignment>,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    if list.is_empty() || list.len() > 20 {
        return Err(AppError::bad_input("assignments", "请指定1到20个承办单位"));
    }
    let at = transition::entered_at(viewer, at)?;
    // An assignment entered later runs from its real date: its default deadline too.
    let now = transition::when(at);
    for (i, a) in list.iter().enumerate() {
        if a.deadline.is_some_and(|d| d <= now) {
            return Err(AppError::bad_input(format!("assignments.{i}.deadline"), "办理期限应晚于交办时间"));
        }
    }
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::Assign, Actor::Office, viewer.user_id)?.at(at);
    transition::not_before(at, p.registered_at, "立案时间")?;
    let active: Vec<proposal_assignment::Model> = queries::assignments(&txn, id)
        .await?
        .into_iter()
        .filter(|a| a.status != AssignmentStatus::ReassignRequested)
        .collect();
    let mut units: HashSet<Uuid> = active.iter().map(|a| a.unit_id).collect();
    for a in &list {
        if !units.insert(a.unit_id) {
            return Err(AppError::bad_input("assignments", "同一承办单位不能重复交办"));
        }
    }
    let ids: Vec<Uuid> = list.iter().map(|a| a.unit_id).collect();
    let found = handling_unit::Entity::find()
        .filter(handling_unit::Column::Id.is_in(ids.clone()))
        .filter(handling_unit::Column::OrganizationId.eq(p.organization_id))
        .count(&txn)
        .await?;
    if found != ids.len() as u64 {
        return Err(AppError::bad_input("assignments", "承办单位不存在或不属于本组织"));
    }
    let answering = |r: AssignmentRole| workflow::answers_for_proposal(r);
    if !list.iter().any(|a| answering(a.role)) && !active.iter().any(|a| answering(a.role)) {
        return Err(AppError::bad_input("assignments", "至少要有一个主办或分办单位"));
    }
    let default_deadline = now + chrono::Duration::days(DEFAULT_DEADLINE_DAYS);
    let rows: Vec<proposal_assignment::ActiveModel> = list
        .iter()
        .map(|a| proposal_assignment::ActiveModel {
            id: Set(Uuid::now_v7()),
            proposal_id: Set(id),
            unit_id: Set(a.unit_id),
            role: Set(a.role),
            deadline: Set(a.deadline.unwrap_or(default_deadline).trunc_subsecs(6)),
            deadline_fixed: Set(a.deadline.is_some()),
            status: Set(AssignmentStatus::Assigned),
            version: Set(0),
            round: Set(p.round),
            acknowledged_at: Set(None),
            reassign_reason: Set(None),
            created_at: Set(now),
        })
        .collect();
    let units: Vec<serde_json::Value> =
        list.iter().map(|a| json!({ "unitId": a.unit_id, "role": sea_orm::ActiveEnum::to_value(&a.role) })).collect();
    proposal_assignment::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    let step = step.note(format!("{}个单位", list.len())).data(json!({ "units": units }));
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

pub struct KeyDesignation {
    pub lead_official: Option<String>,
    pub supervisor_id: Option<Uuid>,
    pub promoting_committee_id: Option<Uuid>,
    pub assisting_office: Option<String>,
}

/// 重点提案: 领办 (a leading official), 督办 (a chair or vice-chair of the committee), 促办
/// (a special committee), 协办 (an assisting office).
pub async fn designate_key(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    k: KeyDesignation,
) -> AppResult<proposal::Model> {
    let lead = k.lead_official.map(|v| validate::required(&v, "leadOfficial", 100)).transpose()?;
    let office = k.assisting_office.map(|v| validate::required(&v, "assistingOffice", 100)).transpose()?;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::DesignateKey, Actor::Office, viewer.user_id)?;
    if let Some(s) = k.supervisor_id {
        let leader = membership::Entity::find()
            .filter(membership::Column::UserId.eq(s))
            .filter(membership::Column::OrganizationId.eq(p.organization_id))
            .filter(membership::Column::Office.is_in([Office::Chair, Office::ViceChair]))
            .one(&txn)
            .await?;
        if leader.is_none() {
            return Err(AppError::bad_input("supervisorId", "督办领导须为本组织的主席或副主席"));
        }
    }
    if let Some(c) = k.promoting_committee_id {
        let found = special_committee::Entity::find_by_id(c).one(&txn).await?;
        if found.is_none_or(|c| c.organization_id != p.organization_id) {
            return Err(AppError::bad_input("promotingCommitteeId", "专门委员会不存在"));
        }
    }
    let step = step
        .set(proposal::Column::IsKey, true)
        .set(proposal::Column::LeadOfficial, lead)
        .set(proposal::Column::SupervisorId, k.supervisor_id)
        .set(proposal::Column::PromotingCommitteeId, k.promoting_committee_id)
        .set(proposal::Column::AssistingOffice, office);
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

pub async fn conclude(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::Conclude, Actor::Office, viewer.user_id)?
        .set(proposal::Column::ConcludedAt, Some(transition::when(at)))
        .at(at);
    if at.is_some() {
        let answered = last_step(&txn, id, &["REPLIED", "EVALUATED"]).await?;
        transition::not_before(at, answered, "答复或评价时间")?;
    }
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// 公开办理结果: screened like everything published.
pub async fn publish_result(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    summary: &str,
    at: Option<DateTime<Utc>>,
) -> AppResult<proposal::Model> {
    let summary = validate::required(summary, "summary", 20_000)?;
    content_safety::check(&[("summary", &summary)])?;
    let at = transition::entered_at(viewer, at)?;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Office).await?;
    let step = step(&p, Action::PublishResult, Actor::Office, viewer.user_id)?
        .set(proposal::Column::ResultSummary, Some(summary))
        .set(proposal::Column::ResultPublishedAt, Some(transition::when(at)))
        .at(at);
    transition::not_before(at, p.concluded_at, "办结时间")?;
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}
