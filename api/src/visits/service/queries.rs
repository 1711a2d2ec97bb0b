//! What people read about visits: the list a viewer sees, one sign-up, participants,
//! outcomes and the history.
use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    auth::principal::Principal,
    calendar::year_range,
    error::{AppError, AppResult},
    visits::policy::{self, Access},
};
use entity::{
    ParticipantStatus, VisitKind, VisitStatus, visit, visit_event, visit_invitation, visit_outcome, visit_participant,
};

pub async fn participant(db: &impl ConnectionTrait, visit: Uuid, user: Uuid) -> AppResult<visit_participant::Model> {
    visit_participant::Entity::find_by_id((visit, user))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("报名记录不存在"))
}

#[derive(Debug, Default)]
pub struct VisitFilter {
    pub kind: Option<VisitKind>,
    pub upcoming: bool,
    pub mine: bool,
    pub year: Option<i32>,
}

/// The visits a viewer sees, newest start first: those of their organization they are
/// invited to (all of them for the office), joint inspections their organization is
/// invited to, and any they signed up for. A committee holds tens of visits a year, so
/// the audience rules are checked here rather than in SQL.
async fn visible_visits(db: &impl ConnectionTrait, who: &Principal, filter: &VisitFilter) -> AppResult<Vec<Access>> {
    let invited_here: Vec<Uuid> = visit_invitation::Entity::find()
        .filter(visit_invitation::Column::OrganizationId.eq(who.organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.visit_id)
        .collect();
    let mut cond = Condition::any().add(visit::Column::OrganizationId.eq(who.organization_id));
    if !invited_here.is_empty() {
        cond = cond.add(visit::Column::Id.is_in(invited_here));
    }
    let mut query = visit::Entity::find().filter(cond);
    if let Some(kind) = filter.kind {
        query = query.filter(visit::Column::Kind.eq(kind));
    }
    if filter.upcoming {
        query = query
            .filter(visit::Column::StartsAt.gt(Utc::now()))
            .filter(visit::Column::Status.ne(VisitStatus::Cancelled));
    }
    if let Some(year) = filter.year {
        let (from, to) = year_range(year)?;
        query = query.filter(visit::Column::StartsAt.gte(from)).filter(visit::Column::StartsAt.lt(to));
    }
    let visits = query.order_by_desc(visit::Column::StartsAt).order_by_desc(visit::Column::Id).all(db).await?;
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let mine: BTreeMap<Uuid, visit_participant::Model> = visit_participant::Entity::find()
        .filter(visit_participant::Column::UserId.eq(who.user_id))
        .filter(visit_participant::Column::VisitId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.visit_id, p))
        .collect();
    let invitations =
        visit_invitation::Entity::find().filter(visit_invitation::Column::VisitId.is_in(ids)).all(db).await?;
    let mut out = Vec::new();
    for v in visits {
        let invited_orgs: Vec<Uuid> =
            invitations.iter().filter(|i| i.visit_id == v.id).map(|i| i.organization_id).collect();
        let participant = mine.get(&v.id).cloned();
        let invited = who.membership.as_ref().is_some_and(|m| policy::eligible(&v, &invited_orgs, m));
        let office_here = who.is_office() && v.organization_id == who.organization_id;
        if !(invited || office_here || participant.is_some()) {
            continue;
        }
        if filter.mine && !participant.as_ref().is_some_and(|p| p.status != ParticipantStatus::Cancelled) {
            continue;
        }
        out.push(Access { visit: v, participant, invited });
    }
    Ok(out)
}

/// One page of the visits a viewer sees, after the visit `after`: the rows (`limit + 1`
/// of them when more follow) and the total.
pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    filter: &VisitFilter,
    after: Option<Uuid>,
    limit: usize,
) -> AppResult<(Vec<Access>, u64)> {
    let all = visible_visits(db, who, filter).await?;
    let total = all.len() as u64;
    let start = match after {
        Some(id) => all.iter().position(|a| a.visit.id == id).map_or(all.len(), |i| i + 1),
        None => 0,
    };
    Ok((all.into_iter().skip(start).take(limit.saturating_add(1)).collect(), total))
}

pub async fn outcomes(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<visit_outcome::Model>> {
    Ok(visit_outcome::Entity::find()
        .filter(visit_outcome::Column::VisitId.eq(visit))
        .order_by_asc(visit_outcome::Column::LinkedAt)
        .order_by_asc(visit_outcome::Column::Id)
        .all(db)
        .await?)
}

/// Participants by status (all of them when `None`), in sign-up order.
pub async fn participants(
    db: &impl ConnectionTrait,
    visit: Uuid,
    statuses: Option<&[ParticipantStatus]>,
) -> AppResult<Vec<visit_participant::Model>> {
    let mut q = visit_participant::Entity::find().filter(visit_participant::Column::VisitId.eq(visit));
    if let Some(statuses) = statuses {
        q = q.filter(visit_participant::Column::Status.is_in(statuses.iter().copied()));
    }
    Ok(q.order_by_asc(visit_participant::Column::SignedUpAt)
        .order_by_asc(visit_participant::Column::UserId)
        .all(db)
        .await?)
}

pub async fn history(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<visit_event::Model>> {
    Ok(visit_event::Entity::find()
        .filter(visit_event::Column::VisitId.eq(visit))
        .order_by_asc(visit_event::Column::At)
        .order_by_asc(visit_event::Column::Id)
        .all(db)
        .await?)
}
