//! Who may read a piece of public-opinion information or a bulletin issue, and who may act
//! on them. Services obtain pieces only through these checks; a piece someone may not see
//! answers `NOT_FOUND`, so that its existence does not leak.
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    attachments::owners::OwnerRule,
    auth::{Viewer, principal::Principal},
    error::{AppError, AppResult},
    organizations::access::require,
};
use entity::{Role, bulletin_issue, suggestion, suggestion_author};

pub const NOT_FOUND: &str = "社情民意信息不存在";
pub const ISSUE_NOT_FOUND: &str = "期刊不存在";

pub fn not_found() -> AppError {
    AppError::not_found(NOT_FOUND)
}

pub fn issue_not_found() -> AppError {
    AppError::not_found(ISSUE_NOT_FOUND)
}

/// Members submit pieces; the office passes them on, it does not write them.
pub fn may_submit(viewer: &Viewer) -> AppResult<()> {
    if viewer.role == Role::Member {
        Ok(())
    } else {
        Err(AppError::forbidden("只有委员可以报送社情民意信息"))
    }
}

/// A piece of the viewer's organization, as its office (incoming copies included). Another
/// organization's piece is `NOT_FOUND`; a member of this one is `FORBIDDEN`.
pub fn as_office(viewer: &Viewer, s: &suggestion::Model) -> AppResult<()> {
    if s.organization_id != viewer.organization_id {
        return Err(not_found());
    }
    require(viewer.is_office())
}

/// The piece `id`, locked for the rest of the write transaction, when the viewer
/// manages it (`as_office`): how an office step obtains the piece it changes.
pub async fn load_for_office(txn: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<suggestion::Model> {
    let found = crate::transition::lock::<suggestion::Entity>(txn, id).await?.ok_or_else(not_found)?;
    as_office(who, &found)?;
    Ok(found)
}

/// An issue of the viewer's organization, as its office.
pub fn issue_as_office(viewer: &Viewer, issue: &bulletin_issue::Model) -> AppResult<()> {
    if issue.organization_id != viewer.organization_id {
        return Err(issue_not_found());
    }
    require(viewer.is_office())
}

/// The issue `id`, locked for the rest of the write transaction, when the viewer's office
/// edits it (`issue_as_office`): how a bulletin step obtains its issue.
pub async fn load_issue_for_office(
    txn: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
) -> AppResult<bulletin_issue::Model> {
    let issue = crate::transition::lock::<bulletin_issue::Entity>(txn, id).await?.ok_or_else(issue_not_found)?;
    issue_as_office(who, &issue)?;
    Ok(issue)
}

/// Lists and figures are the office's.
pub fn office(viewer: &Viewer) -> AppResult<()> {
    require(viewer.is_office())
}

pub async fn is_author(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<bool> {
    Ok(suggestion_author::Entity::find()
        .filter(suggestion_author::Column::SuggestionId.eq(id))
        .filter(suggestion_author::Column::UserId.eq(who.user_id))
        .one(db)
        .await?
        .is_some())
}

/// A piece as a viewer may see it: its authors, and the office of its organization.
/// Anyone else — other members above all — gets `NOT_FOUND`.
pub async fn readable(db: &impl ConnectionTrait, who: &Principal, s: &suggestion::Model) -> AppResult<()> {
    if who.is_office() && who.organization_id == s.organization_id {
        return Ok(());
    }
    if is_author(db, who, s.id).await? {
        return Ok(());
    }
    Err(not_found())
}

/// Loads a piece the viewer may read.
pub async fn load_readable(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<suggestion::Model> {
    let s = suggestion::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    readable(db, who, &s).await?;
    Ok(s)
}

/// Whether the authors' names of a piece show to a viewer: to the authors themselves, to
/// the office, and — for a piece marked anonymous — only to the office where it was first
/// submitted, not to the committees above that received a copy.
pub fn names_visible(viewer: Option<&Viewer>, s: &suggestion::Model, authors: &[Uuid]) -> bool {
    let Some(viewer) = viewer else { return false };
    if authors.contains(&viewer.user_id) {
        return true;
    }
    !s.anonymous_to_public || s.source_suggestion_id.is_none()
}

/// Attachments of a piece are read by its authors and its office.
pub struct SuggestionAttachments;

impl OwnerRule for SuggestionAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { load_readable(db, &Principal::load(db, viewer).await?, owner).await.map(drop) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use entity::SuggestionStatus;

    fn viewer(role: Role, org: Uuid) -> Viewer {
        Viewer { user_id: Uuid::now_v7(), session_id: String::new(), organization_id: org, role }
    }

    fn piece(org: Uuid, anonymous: bool, incoming: bool) -> suggestion::Model {
        suggestion::Model {
            id: Uuid::now_v7(),
            organization_id: org,
            title: String::new(),
            content: String::new(),
            category: String::new(),
            status: SuggestionStatus::Submitted,
            version: 0,
            submitted_by: Uuid::now_v7(),
            sector_id: None,
            anonymous_to_public: anonymous,
            decline_reason: None,
            merged_into_id: None,
            source_suggestion_id: incoming.then(Uuid::now_v7),
            source_organization_id: None,
            submitted_at: Utc::now(),
            accepted_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn the_office_of_the_piece_acts_on_it() {
        let (home, other) = (Uuid::now_v7(), Uuid::now_v7());
        let s = piece(home, false, false);
        assert!(as_office(&viewer(Role::Staff, home), &s).is_ok());
        assert!(as_office(&viewer(Role::Admin, home), &s).is_ok());
        assert!(matches!(as_office(&viewer(Role::Member, home), &s), Err(AppError::Forbidden(_))));
        assert!(matches!(as_office(&viewer(Role::Staff, other), &s), Err(AppError::NotFound(_))));
        assert!(may_submit(&viewer(Role::Member, home)).is_ok());
        assert!(may_submit(&viewer(Role::Staff, home)).is_err());
    }

    #[test]
    fn anonymous_names_stay_below() {
        let org = Uuid::now_v7();
        let staff = viewer(Role::Staff, org);
        let author = viewer(Role::Member, org);
        assert!(names_visible(Some(&staff), &piece(org, true, false), &[]));
        assert!(!names_visible(Some(&staff), &piece(org, true, true), &[]));
        assert!(names_visible(Some(&staff), &piece(org, false, true), &[]));
        assert!(names_visible(Some(&author), &piece(org, true, true), &[author.user_id]));
        assert!(!names_visible(None, &piece(org, false, false), &[]));
    }
}
