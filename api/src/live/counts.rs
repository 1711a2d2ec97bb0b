//! The badge numbers: what waits for the person in the organization they are signed in
//! to. One place, so the `unreadCounts` query and subscription never disagree.
use sea_orm::ConnectionTrait;

use crate::{auth::Viewer, briefings, error::AppResult, notifications, proposals};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub briefings: u64,
    pub notifications: u64,
    pub co_sign_invitations: u64,
    pub proposals_to_evaluate: u64,
}

pub async fn of(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Counts> {
    Ok(Counts {
        briefings: briefings::service::unread_count(db, viewer).await?,
        notifications: notifications::service::unread_count(db, viewer).await?,
        co_sign_invitations: proposals::service::invitation_count(db, viewer).await?,
        proposals_to_evaluate: proposals::service::awaiting_evaluation_count(db, viewer).await?,
    })
}
