//! What people read: a proposal by the viewer's rights, the office's and a unit's lists,
//! the viewer's own, invitations waiting for them, and a proposal's parts (co-signers,
//! assignments, evaluations, the timeline).
use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    auth::principal::Principal,
    calendar::year_range,
    error::{AppError, AppResult},
    paging,
    proposals::policy,
    sql::like_contains,
};
use entity::{
    AssignmentStatus, CoSignStatus, ProposalKind, ProposalStatus, proposal, proposal_assignment, proposal_cosigner,
    proposal_evaluation,
};

/// A proposal as the viewer may see it (`NOT_FOUND` otherwise).
pub async fn visible(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    policy::load_readable(db, who, id).await
}

pub async fn cosigners(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_cosigner::Model>> {
    Ok(proposal_cosigner::Entity::find()
        .filter(proposal_cosigner::Column::ProposalId.eq(id))
        .order_by_asc(proposal_cosigner::Column::InvitedAt)
        .order_by_asc(proposal_cosigner::Column::UserId)
        .all(db)
        .await?)
}

pub async fn assignments(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_assignment::Model>> {
    Ok(proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(id))
        .order_by_asc(proposal_assignment::Column::CreatedAt)
        .order_by_asc(proposal_assignment::Column::Id)
        .all(db)
        .await?)
}

pub async fn authors_of(db: &impl ConnectionTrait, p: &proposal::Model) -> AppResult<Vec<Uuid>> {
    let mut out = vec![p.author_id];
    out.extend(
        cosigners(db, p.id).await?.into_iter().filter(|c| c.status == CoSignStatus::Accepted).map(|c| c.user_id),
    );
    Ok(out)
}

pub async fn evaluations(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<proposal_evaluation::Model>> {
    Ok(proposal_evaluation::Entity::find()
        .filter(proposal_evaluation::Column::ProposalId.eq(id))
        .order_by_asc(proposal_evaluation::Column::EvaluatedAt)
        .order_by_asc(proposal_evaluation::Column::Id)
        .all(db)
        .await?)
}

/// Assignments past their deadline without this round's reply.
fn overdue_assignments() -> Condition {
    Condition::all()
        .add(proposal_assignment::Column::Deadline.lt(Utc::now()))
        .add(proposal_assignment::Column::Status.is_in([AssignmentStatus::Assigned, AssignmentStatus::Acknowledged]))
}

pub fn is_overdue(p: &proposal::Model, a: &proposal_assignment::Model) -> bool {
    matches!(p.status, ProposalStatus::Assigned | ProposalStatus::Rehandling)
        && a.deadline < Utc::now()
        && matches!(a.status, AssignmentStatus::Assigned | AssignmentStatus::Acknowledged)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<ProposalStatus>,
    pub kind: Option<ProposalKind>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub key: Option<bool>,
    pub unit_id: Option<Uuid>,
    pub overdue: Option<bool>,
    pub search: Option<String>,
    /// Submitted during this plenary session.
    pub session_id: Option<Uuid>,
}

/// The office's list (all but drafts), or a unit's (what is assigned to it), newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    f: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<proposal::Model>, u64)> {
    let v = &who.viewer;
    let mut cond = Condition::all()
        .add(proposal::Column::OrganizationId.eq(v.organization_id))
        .add(proposal::Column::Status.ne(ProposalStatus::Draft));
    let unit_filter = match (who.unit, v.is_office()) {
        (Some(unit), _) => Some(unit),
        (None, true) => f.unit_id,
        (None, false) => return Err(AppError::forbidden("没有权限查看提案列表")),
    };
    if let Some(unit) = unit_filter {
        let mut assigned = Query::select()
            .column(proposal_assignment::Column::ProposalId)
            .from(proposal_assignment::Entity)
            .and_where(proposal_assignment::Column::UnitId.eq(unit))
            .to_owned();
        if who.unit.is_some() {
            assigned.and_where(proposal_assignment::Column::Status.ne(AssignmentStatus::ReassignRequested));
        }
        cond = cond.add(proposal::Column::Id.in_subquery(assigned));
    }
    if let Some(s) = f.status {
        cond = cond.add(proposal::Column::Status.eq(s));
    }
    if let Some(k) = f.kind {
        cond = cond.add(proposal::Column::Kind.eq(k));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        cond = cond.add(proposal::Column::Category.eq(c));
    }
    if let Some(year) = f.year {
        let (from, to) = year_range(year)?;
        cond = cond.add(proposal::Column::SubmittedAt.gte(from)).add(proposal::Column::SubmittedAt.lt(to));
    }
    if let Some(session) = f.session_id {
        cond = cond.add(proposal::Column::SessionId.eq(session));
    }
    if let Some(key) = f.key {
        cond = cond.add(proposal::Column::IsKey.eq(key));
    }
    if let Some(overdue) = f.overdue {
        let late = Query::select()
            .column(proposal_assignment::Column::ProposalId)
            .from(proposal_assignment::Entity)
            .cond_where(overdue_assignments())
            .to_owned();
        let late_now = Condition::all()
            .add(proposal::Column::Id.in_subquery(late))
            .add(proposal::Column::Status.is_in([ProposalStatus::Assigned, ProposalStatus::Rehandling]));
        cond = cond.add(if overdue { late_now } else { late_now.not() });
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_contains(&q.to_lowercase());
        cond = cond.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(proposal::Column::Title))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(proposal::Column::Suggestions))).like(pattern)),
        );
    }
    paging::newest_first::<proposal::Entity>(db, cond, proposal::Column::Id, after, limit).await
}

/// The viewer's proposals: authored (drafts included) and co-signed, newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<proposal::Model>, u64)> {
    let signed = Query::select()
        .column(proposal_cosigner::Column::ProposalId)
        .from(proposal_cosigner::Entity)
        .and_where(proposal_cosigner::Column::UserId.eq(viewer.user_id))
        .and_where(proposal_cosigner::Column::Status.eq(CoSignStatus::Accepted))
        .to_owned();
    let cond = Condition::all().add(proposal::Column::OrganizationId.eq(viewer.organization_id)).add(
        Condition::any()
            .add(proposal::Column::AuthorId.eq(viewer.user_id))
            .add(proposal::Column::Id.in_subquery(signed)),
    );
    paging::newest_first::<proposal::Entity>(db, cond, proposal::Column::Id, after, limit).await
}

/// The drafts whose invitations wait for the viewer's answer.
fn waiting_invitations(viewer: &Viewer) -> sea_orm::Select<proposal::Entity> {
    let waiting = Query::select()
        .column(proposal_cosigner::Column::ProposalId)
        .from(proposal_cosigner::Entity)
        .and_where(proposal_cosigner::Column::UserId.eq(viewer.user_id))
        .and_where(proposal_cosigner::Column::Status.eq(CoSignStatus::Invited))
        .to_owned();
    proposal::Entity::find()
        .filter(proposal::Column::Id.in_subquery(waiting))
        .filter(proposal::Column::Status.eq(ProposalStatus::Draft))
}

/// Invitations waiting for the viewer's answer.
pub async fn invitations(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Vec<proposal::Model>> {
    Ok(waiting_invitations(viewer).order_by_desc(proposal::Column::Id).all(db).await?)
}

/// How many invitations wait for the viewer's answer (the badge).
pub async fn invitation_count(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    Ok(waiting_invitations(viewer).count(db).await?)
}

/// The viewer's proposals in this organization that were replied to and wait for their
/// evaluation (评价).
pub async fn awaiting_evaluation_count(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    Ok(proposal::Entity::find()
        .filter(proposal::Column::OrganizationId.eq(viewer.organization_id))
        .filter(proposal::Column::AuthorId.eq(viewer.user_id))
        .filter(proposal::Column::Status.eq(ProposalStatus::Replied))
        .count(db)
        .await?)
}
