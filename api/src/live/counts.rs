//! The badge numbers: what waits for the person in the organization they are signed in
//! to. One place, so the `unreadCounts` query and subscription never disagree.
use crate::{auth::Viewer, briefings, error::AppResult, notifications, proposals, state::AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub briefings: u64,
    pub notifications: u64,
    pub co_sign_invitations: u64,
    pub proposals_to_evaluate: u64,
}

pub async fn of(state: &AppState, viewer: &Viewer) -> AppResult<Counts> {
    let db = &state.db;
    Ok(Counts {
        briefings: briefings::service::unread_count_kept(db, &state.live.kept().badges, viewer).await?,
        notifications: notifications::service::unread_count(db, viewer).await?,
        co_sign_invitations: proposals::service::invitation_count(db, viewer).await?,
        proposals_to_evaluate: proposals::service::awaiting_evaluation_count(db, viewer).await?,
    })
}
