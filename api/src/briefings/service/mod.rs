//! Rules for briefings, free of GraphQL, split by who acts: the office drafts and edits
//! (`drafting`), publishes and withdraws (`publishing`) and looks at its lists, read
//! figures and history (`queries`); members read (`reading`); `recipients` turns the
//! audience into recipient rows, at publication and whenever a membership changes.
//!
//! Every step runs in one write transaction (`db::write`) that locks the briefing
//! (`transition::lock`), decides on the row as locked with the workflow table, and moves it
//! through `transition::apply`: the guarded UPDATE, the history row and the domain event
//! together. Steps that resolve the audience (publish, withdraw, edits) lock the
//! organization first, as membership changes do (`organizations::service::lock_organization`),
//! so a publication and a membership change of one organization never interleave: the
//! recipient rows always equal the audience of the memberships as they are.
mod drafting;
mod publishing;
mod queries;
mod reading;
mod recipients;

pub use drafting::{BriefingFields, MAX_BODY, MAX_SUMMARY, MAX_TITLE, create, delete, update};
pub use publishing::{publish, withdraw};
pub use queries::{ManagedFilter, ReadStats, history, managed_list, not_yet_read, read_stats};
pub use reading::{
    FeedCursor, FeedFilter, FeedPage, feed, feed_total, first_page_kept, mark_read, unread_count, unread_count_kept,
};
pub use recipients::membership_changed;

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::{
    policy::not_found,
    records::BriefingRecord,
    workflow::{self, Action},
};
use crate::{
    error::{AppError, AppResult},
    transition::Step,
};
use entity::briefing;

/// Rows per statement when writing recipients and terms (SQLite binds at most 32766 values).
const CHUNK: usize = 500;

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<briefing::Model> {
    briefing::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}

/// The step `action` takes from the briefing as locked, as the workflow table decides it.
/// A briefing that is not where the client thought it was is a CONFLICT naming its state.
fn step(b: &briefing::Model, action: Action, by: Uuid) -> AppResult<Step<'static, BriefingRecord>> {
    let to = workflow::check(action, b.status).map_err(|message| AppError::Conflict { field: None, message })?;
    Ok(Step::new(b.id, b.organization_id, b.status, b.version, to, action.code(), by)
        .set(briefing::Column::UpdatedBy, by))
}
