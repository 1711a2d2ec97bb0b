//! Rules for visits, free of GraphQL, split by who acts: the office plans and runs them
//! (`planning`, `office`), members sign up (`signup`); the places are kept in `places`;
//! reads in `queries`, the year's figures in `stats`.
//!
//! Every step runs in one write transaction (`db::write`) that locks the visit first
//! (`transition::lock`), so sign-ups, cancels, leave decisions and changes of capacity are
//! decided one after the other on the same numbers, and each moves its record through
//! `transition::apply` together with the places it justifies.
mod office;
mod places;
mod planning;
mod queries;
mod signup;
mod stats;

pub use office::{OutcomeKind, Report, approve_leave, link_outcome, mark_attendance, submit_report};
pub use planning::{AgendaItem, VisitFields, create, transition, update};
pub use queries::{VisitFilter, history, list, outcomes, participant, participants};
pub use signup::{cancel_signup, request_leave, sign_up};
pub use stats::{KindFigures, YearFigures, stats};

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::policy::not_found;
use crate::{error::AppResult, transition};
use entity::visit;

/// The visit, locked for the rest of the transaction.
async fn locked(txn: &impl ConnectionTrait, id: Uuid) -> AppResult<visit::Model> {
    transition::lock::<visit::Entity>(txn, id).await?.ok_or_else(not_found)
}

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<visit::Model> {
    visit::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}
