//! Who may read a briefing and who may manage it. Services obtain briefings only through
//! these checks; a briefing someone may not see answers `NOT_FOUND`, so that its existence
//! does not leak.
use chrono::Utc;
use futures_util::future::BoxFuture;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::{
    attachments::owners::OwnerRule,
    auth::{Viewer, principal::Principal},
    error::{AppError, AppResult},
    organizations::access::require,
};
use entity::{briefing, briefing_recipient};

pub const NOT_FOUND: &str = "情况通报不存在";

pub fn not_found() -> AppError {
    AppError::not_found(NOT_FOUND)
}

/// Staff and admins of the briefing's organization manage it (read stats, history, the
/// audience, every step).
pub fn require_office(viewer: &Viewer, org: Uuid) -> AppResult<()> {
    require(viewer.is_office() && viewer.organization_id == org)
}

/// A briefing the viewer manages: of another organization it does not exist; of their
/// own, only the office may manage it.
pub fn as_office(viewer: &Viewer, b: &briefing::Model) -> AppResult<()> {
    if b.organization_id != viewer.organization_id {
        return Err(not_found());
    }
    require_office(viewer, b.organization_id)
}

/// The briefing `id`, locked for the rest of the write transaction, when the viewer
/// manages it (`as_office`): how an office step obtains the briefing it changes.
pub async fn load_for_office(txn: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<briefing::Model> {
    let found = crate::transition::lock::<briefing::Entity>(txn, id).await?.ok_or_else(not_found)?;
    as_office(who, &found)?;
    Ok(found)
}

/// Whether a receipt makes the briefing readable now: active (the person is in its
/// audience while it is published) and not expired.
pub fn receipt_is_live(r: &briefing_recipient::Model) -> bool {
    r.active && r.expires_at.is_none_or(|at| at > Utc::now())
}

/// A briefing as one viewer may see it, with their receipt when they have one. The office
/// of its organization sees every briefing; anyone else only while they are in its
/// audience (a live receipt). Outside it the briefing does not exist (`NOT_FOUND`).
pub async fn visible(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
) -> AppResult<(briefing::Model, Option<briefing_recipient::Model>)> {
    let viewer = &who.viewer;
    let found = briefing::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    if found.organization_id != viewer.organization_id {
        return Err(not_found());
    }
    let receipt = briefing_recipient::Entity::find_by_id((id, viewer.user_id)).one(db).await?;
    if viewer.is_office() {
        return Ok((found, receipt));
    }
    match receipt {
        Some(r) if receipt_is_live(&r) => Ok((found, Some(r))),
        _ => Err(not_found()),
    }
}

/// Attachments of a briefing are read by its audience and its office.
pub struct BriefingAttachments;

impl OwnerRule for BriefingAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { visible(db, &Principal::load(db, viewer).await?, owner).await.map(drop) })
    }
}
