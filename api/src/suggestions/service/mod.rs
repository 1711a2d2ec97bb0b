//! Rules for public-opinion information, free of GraphQL, split by who acts: members
//! submit (`submission`); the office accepts, declines and merges (`office`), edits and
//! publishes bulletin issues (`bulletins`), reports upward and records adoptions
//! (`reporting`); what people read is in `queries`, the year's figures in `stats`.
//!
//! Every step runs in one write transaction (`db::write`) that locks its records first
//! (`transition::lock`), checks the policy and decides with the workflow table on the rows
//! as locked, and moves each record through `transition::apply`: the guarded UPDATE, the
//! timeline row and the domain event together. (Accepting and declining also refuse a
//! piece that moved since the request found it: see `office`.)
//!
//! One lock order everywhere, so that no two steps wait on each other in a cycle: a bulletin issue
//! before any piece, pieces of one organization in id order, and along an adoption chain
//! the upper copy before the piece below it. A bulletin item is added only while holding
//! its issue's and its piece's locks, and deleted only while holding its piece's lock, so
//! whoever holds an issue's lock and the locks of its pieces sees items that stay put.
//! (An adoption chain holds one piece per organization and goes strictly downwards — the
//! reverse of id order, copies being younger than their originals — while merges and
//! bulletins lock pieces of a single organization only, so the two orders cannot close a
//! cycle.)
mod bulletins;
mod office;
mod queries;
mod reporting;
mod stats;
mod submission;

pub use bulletins::{add_to_bulletin, create_bulletin, publish_bulletin};
pub use office::{accept, decline, merge};
pub use queries::{Filter, IssueItem, authors, bulletin_items, bulletin_of, bulletins, issue_items, list, mine};
pub use reporting::{NewAdoption, Recipients, record_adoption, report};
pub use stats::{Counts, Stats, stats};
pub use submission::{ConvertedText, MAX_ATTACHMENTS, NewSuggestion, insert_converted, submit};

/// Kept where `app.rs` registers it; the rule lives in `policy`.
pub use super::policy::SuggestionAttachments;

use std::collections::HashSet;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::{
    policy::not_found,
    records::SuggestionRecord,
    workflow::{self, Action, Origin},
};
use crate::{
    error::{AppError, AppResult},
    transition::{self, Step},
};
use entity::{suggestion, suggestion_author};

/// The piece, locked for the rest of the transaction.
async fn locked(txn: &impl ConnectionTrait, id: Uuid) -> AppResult<suggestion::Model> {
    transition::lock::<suggestion::Entity>(txn, id).await?.ok_or_else(not_found)
}

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<suggestion::Model> {
    suggestion::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}

/// The step `action` takes `s` through, as the workflow table decides it on the row as
/// read (locked); a refusal is a CONFLICT naming the current state.
fn step(s: &suggestion::Model, action: Action, by: Uuid) -> AppResult<Step<'static, SuggestionRecord>> {
    let to = workflow::check(action, Origin::of(s.source_suggestion_id), s.status)
        .map_err(|message| AppError::Conflict { field: None, message })?;
    Ok(Step::new(s.id, s.organization_id, s.status, s.version, to, action.code(), by))
}

/// Adds authors after those a piece has, skipping anyone already among them.
async fn add_authors(db: &impl ConnectionTrait, id: Uuid, users: &[Uuid]) -> AppResult<()> {
    let existing = authors(db, id).await?;
    let mut seen: HashSet<Uuid> = existing.iter().copied().collect();
    let mut position = i32::try_from(existing.len()).unwrap_or(i32::MAX);
    let mut rows = Vec::new();
    for user in users {
        if !seen.insert(*user) {
            continue;
        }
        rows.push(suggestion_author::ActiveModel {
            suggestion_id: Set(id),
            user_id: Set(*user),
            position: Set(position),
        });
        position += 1;
    }
    if !rows.is_empty() {
        suggestion_author::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}
