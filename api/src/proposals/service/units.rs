//! Handling units (承办单位): acknowledge an assignment (签收), ask to be relieved (申退),
//! reply (答复). Units answer at the same time: each reply is decided with the proposal
//! locked, so the last lead or separate unit to answer is the one that sees nobody else
//! waiting and moves the proposal to REPLIED.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::{DEFAULT_DEADLINE_DAYS, reload, step};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    proposals::{
        policy,
        records::{AssignmentKey, AssignmentRecord},
        workflow::{self, Action, Actor, AssignmentAction},
    },
    transition::{self, Step},
    validate,
};
use entity::{
    AssignmentRole, AssignmentStatus, AttachmentPurpose, ReplyOutcome, proposal, proposal_assignment, proposal_reply,
};

/// The unit's step on its own assignment.
fn assignment_step(
    p: &proposal::Model,
    a: &proposal_assignment::Model,
    action: AssignmentAction,
    code: &'static str,
    by: Uuid,
) -> AppResult<Step<'static, AssignmentRecord>> {
    let to = workflow::assignment_step(action, a.status).map_err(|m| {
        if action == AssignmentAction::Reply && a.status == AssignmentStatus::Replied {
            AppError::Conflict { field: None, message: "本轮已答复".into() }
        } else {
            AppError::bad_input("id", m)
        }
    })?;
    let key = AssignmentKey { proposal: p.id, assignment: a.id };
    Ok(Step::new(key, p.organization_id, a.status, a.version, to, code, by)
        .data(json!({ "unitId": a.unit_id, "assignmentId": a.id, "role": sea_orm::ActiveEnum::to_value(&a.role) })))
}

/// 签收: the unit acknowledges its assignment, which starts the clock: unless the office
/// set a deadline, the default period runs from now.
pub async fn acknowledge(db: &DatabaseConnection, who: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    let txn = db::write(db).await?;
    let (p, a) = policy::load_for_unit(&txn, who, id).await?;
    workflow::unit_may_reply(a.role, p.status).map_err(|m| AppError::bad_input("id", m))?;
    let now = transition::now();
    let mut step = assignment_step(&p, &a, AssignmentAction::Acknowledge, "ACKNOWLEDGED", who.viewer.user_id)
        .map_err(|_| AppError::bad_input("id", "该交办已签收或已答复"))?
        .set(proposal_assignment::Column::AcknowledgedAt, Some(now));
    if !a.deadline_fixed {
        step = step.set(proposal_assignment::Column::Deadline, now + chrono::Duration::days(DEFAULT_DEADLINE_DAYS));
    }
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// 申退: the unit asks to be relieved; the proposal goes back to the office to re-assign.
pub async fn request_reassignment(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    reason: &str,
) -> AppResult<proposal::Model> {
    let reason = validate::required(reason, "reason", 1000)?;
    let txn = db::write(db).await?;
    let (p, a) = policy::load_for_unit(&txn, who, id).await?;
    let by = who.viewer.user_id;
    let relieved = assignment_step(&p, &a, AssignmentAction::RequestReassignment, "UNIT_RELIEVED", by)
        .map_err(|_| AppError::bad_input("id", "已答复的交办不能申退"))?
        .set(proposal_assignment::Column::ReassignReason, Some(reason.clone()));
    let back = step(&p, Action::RequestReassignment, Actor::Unit, by)?
        .note(reason)
        .data(json!({ "unitId": a.unit_id, "assignmentId": a.id }));
    transition::apply(&txn, back).await?;
    transition::apply(&txn, relieved).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// The proposal, locked, and `unit`'s live assignment on it, for the office typing in that
/// unit's reply letter.
async fn typed_in(
    txn: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    id: Uuid,
    unit: Uuid,
) -> AppResult<(proposal::Model, proposal_assignment::Model)> {
    let p = policy::load_for(txn, who, id, policy::Part::Office).await?;
    let a = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(id))
        .filter(proposal_assignment::Column::UnitId.eq(unit))
        .filter(proposal_assignment::Column::Status.ne(AssignmentStatus::ReassignRequested))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::bad_input("unitId", "该单位没有承办这件提案"))?;
    Ok((p, a))
}

pub struct NewReply {
    /// The unit whose reply letter the office types in (代录); none: the unit itself replies.
    pub unit_id: Option<Uuid>,
    /// When the unit replied, for a reply the office enters later.
    pub at: Option<DateTime<Utc>>,
    pub outcome: ReplyOutcome,
    pub content: String,
    pub contact: String,
    /// The written reply as the unit signed it, and its enclosures.
    pub attachments: AttachmentList,
}

/// 答复: once per assignment and round. Lead and separate units answer for the proposal:
/// when the last of them has answered this round, it is REPLIED and waits for the
/// proposer's evaluation. Joint units give their opinion until it is evaluated; their
/// replies are kept and shown, and do not decide whether it counts as replied.
///
/// The office may type in a unit's reply letter (naming the unit, with the letter's date);
/// it is that unit's reply, dated then, typed in by the office.
pub async fn reply(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    r: NewReply,
    key: Option<Key>,
) -> AppResult<proposal::Model> {
    let content = validate::required(&r.content, "content", 20_000)?;
    let contact = validate::required(&r.contact, "contact", 100)?;
    let by = who.viewer.user_id;
    let at = transition::entered_at(who, r.at)?;
    let txn = db::write(db).await?;
    if let Some(first) = idempotency::claim_opt(&txn, by, "replyToProposal", key.as_ref(), id).await? {
        drop(txn);
        return policy::load_readable(db, who, first).await;
    }
    let (p, a) = match r.unit_id {
        None => policy::load_for_unit(&txn, who, id).await?,
        Some(unit) => typed_in(&txn, who, id, unit).await?,
    };
    let answered = assignment_step(&p, &a, AssignmentAction::Reply, "UNIT_REPLIED", by)?.at(at);
    workflow::unit_may_reply(a.role, p.status).map_err(|m| AppError::bad_input("id", m))?;
    transition::not_before(at, Some(a.created_at), "交办时间")?;
    transition::not_before(at, a.acknowledged_at, "签收时间")?;
    let answered = answered.note(format!("答复类别{}", sea_orm::ActiveEnum::to_value(&r.outcome)));
    transition::apply(&txn, answered).await?;
    let reply_id = Uuid::now_v7();
    proposal_reply::Entity::insert(proposal_reply::ActiveModel {
        id: Set(reply_id),
        proposal_id: Set(id),
        assignment_id: Set(a.id),
        unit_id: Set(a.unit_id),
        round: Set(p.round),
        outcome: Set(r.outcome),
        content: Set(content),
        contact: Set(contact),
        replied_by: Set(by),
        replied_at: Set(transition::when(at)),
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::Conflict { field: None, message: "本轮已答复".into() }
        } else {
            e.into()
        }
    })?;
    attachments::set_for(&txn, &who.viewer, AttachmentPurpose::ProposalReply, reply_id, &r.attachments).await?;
    if workflow::answers_for_proposal(a.role) {
        let waiting = proposal_assignment::Entity::find()
            .filter(proposal_assignment::Column::ProposalId.eq(id))
            .filter(proposal_assignment::Column::Role.is_in([AssignmentRole::Lead, AssignmentRole::Separate]))
            .filter(
                proposal_assignment::Column::Status.is_in([AssignmentStatus::Assigned, AssignmentStatus::Acknowledged]),
            )
            .count(&txn)
            .await?;
        if workflow::after_reply(p.status, waiting == 0) != p.status {
            transition::apply(&txn, step(&p, Action::Reply, Actor::Unit, by)?.at(at)).await?;
        }
    }
    txn.commit().await?;
    reload(db, id).await
}
