//! Who may see a visit, sign up for it, read its report, and run it. Outside the host and
//! invited organizations a visit does not exist (`NOT_FOUND`); inside them but outside its
//! audience it is `FORBIDDEN`, with the reason.
use chrono::Utc;
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::workflow;
use crate::{
    attachments::owners::OwnerRule,
    audience::Audience,
    auth::{Viewer, principal::Principal},
    error::{AppError, AppResult},
    organizations::access::require,
};
use entity::{ParticipantStatus, Role, VisitKind, VisitStatus, membership, visit, visit_invitation, visit_participant};

pub const NOT_FOUND: &str = "活动不存在";

pub fn not_found() -> AppError {
    AppError::not_found(NOT_FOUND)
}

/// How a viewer stands towards a visit.
#[derive(Debug, Clone)]
pub struct Access {
    pub visit: visit::Model,
    pub participant: Option<visit_participant::Model>,
    /// The viewer may sign up (in the audience, or a member of an invited organization).
    pub invited: bool,
}

impl Access {
    /// Whether the viewer can sign up now: invited, sign-up open and not past its deadline,
    /// and not signed up already (a cancelled sign-up may be made again).
    pub fn can_sign_up(&self) -> bool {
        self.invited
            && self.visit.status == VisitStatus::Open
            && self.visit.signup_deadline.is_none_or(|d| d > Utc::now())
            && self.participant.as_ref().is_none_or(|p| p.status == ParticipantStatus::Cancelled)
    }

    /// Who reads the report (and its attachments): those who took part and the office.
    pub fn may_read_report(&self, viewer: &Viewer) -> bool {
        viewer.is_office() || self.participant.as_ref().is_some_and(|p| p.status != ParticipantStatus::Cancelled)
    }
}

/// Whether a membership may take part: handling-unit operators never; in the host
/// organization by the audience rules; in an invited organization, every member.
pub fn eligible(v: &visit::Model, invited: &[Uuid], m: &membership::Model) -> bool {
    if m.role == Role::Unit {
        return false;
    }
    if m.organization_id == v.organization_id {
        return Audience::from_json(&v.audience).includes(m);
    }
    v.kind == VisitKind::JointInspection && invited.contains(&m.organization_id)
}

pub async fn invited_orgs(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(visit_invitation::Entity::find()
        .filter(visit_invitation::Column::VisitId.eq(visit))
        .all(db)
        .await?
        .into_iter()
        .map(|i| i.organization_id)
        .collect())
}

/// The viewer's standing towards `v` (as read, or as locked, by the caller).
pub async fn access_to(db: &impl ConnectionTrait, who: &Principal, v: visit::Model) -> AppResult<Access> {
    let viewer = &who.viewer;
    let invited_orgs = invited_orgs(db, v.id).await?;
    let host_side = v.organization_id == viewer.organization_id;
    let invited_side = v.kind == VisitKind::JointInspection && invited_orgs.contains(&viewer.organization_id);
    if !host_side && !invited_side {
        return Err(not_found());
    }
    let participant = visit_participant::Entity::find_by_id((v.id, viewer.user_id)).one(db).await?;
    // The membership the principal carries, loaded once for the request.
    let invited = who.membership.as_ref().is_some_and(|m| eligible(&v, &invited_orgs, m));
    if !invited && participant.is_none() && !(host_side && viewer.is_office()) {
        return Err(AppError::forbidden("您不在本次活动的邀请范围内"));
    }
    Ok(Access { visit: v, participant, invited })
}

pub async fn access(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<Access> {
    let v = visit::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    access_to(db, who, v).await
}

/// A visit the viewer's office runs.
pub fn as_office(viewer: &Viewer, v: &visit::Model) -> AppResult<()> {
    if v.organization_id != viewer.organization_id {
        return Err(not_found());
    }
    require(viewer.is_office())
}

/// The visit `id`, locked for the rest of the write transaction, when the viewer
/// manages it (`as_office`): how an office step obtains the visit it changes.
pub async fn load_for_office(txn: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<visit::Model> {
    let found = crate::transition::lock::<visit::Entity>(txn, id).await?.ok_or_else(not_found)?;
    as_office(who, &found)?;
    Ok(found)
}

/// Members change their sign-up only before the visit starts.
pub fn member_window(v: &visit::Model) -> AppResult<()> {
    if workflow::accepts_changes_from_members(v.status) {
        Ok(())
    } else {
        Err(AppError::Conflict {
            field: None,
            message: format!("活动{}，不能再报名或变更", workflow::status_name(v.status)),
        })
    }
}

/// `NOT_FOUND` unless the viewer may read the visit's report.
pub async fn report_readable(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<()> {
    let a = access(db, who, id).await?;
    if a.may_read_report(who) { Ok(()) } else { Err(not_found()) }
}

/// Attachments of a visit's report are read by those who took part and the office.
pub struct ReportAttachments;

impl OwnerRule for ReportAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { report_readable(db, &Principal::load(db, viewer).await?, owner).await })
    }
}
