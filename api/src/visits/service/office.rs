//! The office during and after a visit: decides leave requests, takes attendance, files
//! the report, and links what the visit led to (proposals, pieces of information).
use std::collections::{BTreeMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr,
};
use serde_json::json;
use uuid::Uuid;

use super::{participant, places};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::principal::Principal,
    content_safety, db,
    error::{AppError, AppResult},
    transition::{self, Step},
    validate,
    visits::{
        policy,
        records::{ParticipantKey, ParticipantRecord, VisitRecord},
        workflow::{self, ParticipantAction},
    },
};
use entity::{AttachmentPurpose, ParticipantStatus, membership, visit, visit_outcome, visit_participant};

/// The office decides a leave request: approved, the place goes to the waiting list;
/// refused, the person stays confirmed.
pub async fn approve_leave(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    user: Uuid,
    approve: bool,
) -> AppResult<visit_participant::Model> {
    let txn = db::write(db).await?;
    let v = policy::load_for_office(&txn, who, id).await?;
    let p = visit_participant::Entity::find_by_id((id, user))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("报名记录不存在"))?;
    let action = if approve { ParticipantAction::ApproveLeave } else { ParticipantAction::RefuseLeave };
    let to = workflow::participant_step(action, Some(p.status))
        .map_err(|m| AppError::Conflict { field: None, message: m.to_owned() })?;
    let key = ParticipantKey { visit: id, user };
    let step =
        Step::<ParticipantRecord>::new(key, v.organization_id, p.status, p.version, to, action.code(), who.user_id)
            .note(p.leave_reason.clone())
            .data(json!({ "userId": user }));
    transition::apply(&txn, step).await?;
    places::follow(&txn, id, Some(p.status), to).await?;
    if workflow::place_change(Some(p.status), to) < 0 && workflow::accepts_changes_from_members(v.status) {
        places::promote_waitlist(&txn, id, v.organization_id, who.user_id).await?;
    }
    txn.commit().await?;
    participant(db, id, user).await
}

/// Marks who attended (or did not). People the office brings without a sign-up (a
/// reception's hosts) are added as confirmed participants, if they may take part and a
/// place is left for them.
pub async fn mark_attendance(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    users: &[Uuid],
    attended: bool,
) -> AppResult<Vec<visit_participant::Model>> {
    if users.is_empty() || users.len() > 1000 {
        return Err(AppError::bad_input("userIds", "请选择1到1000人"));
    }
    let txn = db::write(db).await?;
    let v = policy::load_for_office(&txn, who, id).await?;
    if !workflow::takes_attendance(v.status) {
        return Err(AppError::Conflict { field: None, message: "活动开始后才能登记出席".into() });
    }
    let invited = policy::invited_orgs(&txn, id).await?;
    let mut orgs = invited.clone();
    orgs.push(v.organization_id);
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(users.iter().copied()))
        .filter(membership::Column::OrganizationId.is_in(orgs))
        .all(&txn)
        .await?;
    let existing: BTreeMap<Uuid, visit_participant::Model> = visit_participant::Entity::find()
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(users.iter().copied()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p))
        .collect();
    let now = transition::now();
    visit_participant::Entity::update_many()
        .col_expr(visit_participant::Column::Attended, Expr::value(Some(attended)))
        .col_expr(visit_participant::Column::UpdatedAt, Expr::value(now))
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(existing.keys().copied()))
        .exec(&txn)
        .await?;
    let mut added = 0;
    for user in users.iter().collect::<HashSet<_>>() {
        if existing.contains_key(user) {
            continue;
        }
        let m = memberships
            .iter()
            .find(|m| m.user_id == *user && policy::eligible(&v, &invited, m))
            .ok_or_else(|| AppError::bad_input("userIds", "名单中有人不在本次活动的邀请范围内"))?;
        if !places::take(&txn, id).await? {
            return Err(AppError::Conflict {
                field: None, message: "名额已满，不能再增加参加人员".into()
            });
        }
        visit_participant::ActiveModel {
            visit_id: Set(id),
            user_id: Set(*user),
            organization_id: Set(m.organization_id),
            status: Set(ParticipantStatus::Confirmed),
            version: Set(0),
            leave_reason: Set(None),
            attended: Set(Some(attended)),
            signed_up_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let key = ParticipantKey { visit: id, user: *user };
        transition::created::<ParticipantRecord>(
            &txn,
            key,
            v.organization_id,
            ParticipantStatus::Confirmed,
            "ADDED_BY_OFFICE",
            who.user_id,
            None,
            json!({ "userId": user }),
        )
        .await?;
        added += 1;
    }
    let note = format!("{}：{}人", if attended { "出席" } else { "缺席" }, users.len());
    transition::record::<VisitRecord>(
        &txn,
        id,
        v.organization_id,
        "ATTENDANCE",
        who.user_id,
        Some(note),
        json!({ "userIds": users, "attended": attended, "added": added }),
    )
    .await?;
    txn.commit().await?;
    Ok(visit_participant::Entity::find()
        .filter(visit_participant::Column::VisitId.eq(id))
        .filter(visit_participant::Column::UserId.is_in(users.iter().copied()))
        .all(db)
        .await?)
}

pub struct Report {
    pub summary: String,
    pub findings: Option<String>,
    pub suggestions: Option<String>,
    /// Replaces the report's attachments when given.
    pub attachments: Option<AttachmentList>,
}

/// The visit's report, during or after it; participants read it, so it is screened like
/// everything published to members.
pub async fn submit_report(db: &DatabaseConnection, who: &Principal, id: Uuid, r: Report) -> AppResult<visit::Model> {
    let summary = validate::required(&r.summary, "summary", 20_000)?;
    let findings = validate::optional(r.findings, "findings", 20_000)?;
    let suggestions = validate::optional(r.suggestions, "suggestions", 20_000)?;
    content_safety::check(&[
        ("summary", &summary),
        ("findings", findings.as_deref().unwrap_or_default()),
        ("suggestions", suggestions.as_deref().unwrap_or_default()),
    ])?;
    let txn = db::write(db).await?;
    let v = policy::load_for_office(&txn, who, id).await?;
    if !workflow::takes_attendance(v.status) {
        return Err(AppError::Conflict { field: None, message: "活动开始后才能提交报告".into() });
    }
    let step = Step::<VisitRecord>::new(id, v.organization_id, v.status, v.version, v.status, "REPORTED", who.user_id)
        .set(visit::Column::ReportSummary, Some(summary))
        .set(visit::Column::ReportFindings, findings)
        .set(visit::Column::ReportSuggestions, suggestions)
        .set(visit::Column::ReportedBy, Some(who.user_id))
        .set(visit::Column::ReportedAt, Some(transition::now()));
    transition::apply(&txn, step).await?;
    if let Some(list) = &r.attachments {
        attachments::set_for(&txn, who, AttachmentPurpose::VisitReport, id, list).await?;
    }
    txn.commit().await?;
    super::reload(db, id).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Proposal,
    Suggestion,
}

/// Links what a visit led to. One record is linked once: the unique index decides when two
/// clerks link it at the same moment.
pub async fn link_outcome(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    kind: OutcomeKind,
    ref_id: Uuid,
    title: &str,
) -> AppResult<visit_outcome::Model> {
    let title = validate::required(title, "title", 200)?;
    let txn = db::write(db).await?;
    let v = policy::load_for_office(&txn, who, id).await?;
    let kind = match kind {
        OutcomeKind::Proposal => {
            let found = entity::proposal::Entity::find_by_id(ref_id).one(&txn).await?;
            if found.is_none_or(|p| p.organization_id != v.organization_id || p.status == entity::ProposalStatus::Draft)
            {
                return Err(AppError::bad_input("proposalId", "本组织没有这件提案"));
            }
            "PROPOSAL"
        }
        OutcomeKind::Suggestion => {
            let found = entity::suggestion::Entity::find_by_id(ref_id).one(&txn).await?;
            if found.is_none_or(|s| s.organization_id != v.organization_id) {
                return Err(AppError::bad_input("suggestionId", "本组织没有这条社情民意信息"));
            }
            "SUGGESTION"
        }
    };
    let linked = visit_outcome::ActiveModel {
        id: Set(Uuid::now_v7()),
        visit_id: Set(id),
        kind: Set(kind.to_owned()),
        ref_id: Set(Some(ref_id)),
        title: Set(title),
        linked_by: Set(who.user_id),
        linked_at: Set(transition::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::Conflict { field: None, message: "该成果已关联".into() }
        } else {
            e.into()
        }
    })?;
    txn.commit().await?;
    Ok(linked)
}
