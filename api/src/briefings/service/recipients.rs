//! The audience made concrete: one recipient row per person a published briefing is for,
//! carrying their read receipt and copies of the briefing's feed order (pinned, published
//! at, expires at), so that a feed is one index range per person.
//!
//! Rows follow the audience in both directions and are never deleted: a person who leaves
//! the audience (a changed membership, or none) keeps an inactive row with their read
//! history, and gets it back, still read, when they are in the audience again. Everything
//! here runs in the write transaction of a step that holds the organization's lock
//! (`organizations::service::lock_organization`): publications and edits resolving the
//! audience, and membership changes recomputing one person's rows, never interleave.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QuerySelect,
    sea_query::{Expr, OnConflict, Query},
};
use uuid::Uuid;

use super::CHUNK;
use crate::{
    audience::Audience,
    error::{AppError, AppResult},
};
use entity::{BriefingStatus, briefing, briefing_recipient, membership};

/// What a recipient row copies from its briefing.
#[derive(Debug, FromQueryResult)]
struct Copied {
    id: Uuid,
    organization_id: Uuid,
    audience: serde_json::Value,
    pinned: bool,
    expires_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl Copied {
    fn of(b: &briefing::Model) -> Self {
        Self {
            id: b.id,
            organization_id: b.organization_id,
            audience: b.audience.clone(),
            pinned: b.pinned,
            expires_at: b.expires_at,
            published_at: b.published_at,
            updated_at: b.updated_at,
        }
    }

    fn published_at(&self) -> DateTime<Utc> {
        self.published_at.unwrap_or(self.updated_at)
    }

    fn row(&self, user: Uuid) -> briefing_recipient::ActiveModel {
        briefing_recipient::ActiveModel {
            briefing_id: Set(self.id),
            user_id: Set(user),
            organization_id: Set(self.organization_id),
            active: Set(true),
            pinned: Set(self.pinned),
            published_at: Set(self.published_at()),
            expires_at: Set(self.expires_at),
            read_at: Set(None),
        }
    }
}

/// How many people the briefing's audience rules name today (one `COUNT`).
pub(super) async fn audience_size(txn: &DatabaseTransaction, b: &briefing::Model) -> AppResult<u64> {
    let rules = Audience::from_json(&b.audience);
    Ok(membership::Entity::find()
        .select_only()
        .column(membership::Column::UserId)
        .distinct()
        .filter(membership::Column::OrganizationId.eq(b.organization_id))
        .filter(rules.condition())
        .count(txn)
        .await?)
}

/// Makes the recipient rows match the briefing: its audience today while published, all
/// inactive otherwise; the ordering keys are copied onto every row. Returns how many are
/// recipients now.
///
/// Set-based, so a briefing to 500 members costs about what one to 5 does: one `UPDATE`
/// of the briefing's rows, and one `INSERT … SELECT` over the organization's memberships
/// that the audience rules pick (`Audience::condition`, the SQL twin of the rule the
/// membership changes use), turning rows that exist back on with their read receipts.
pub(super) async fn sync(txn: &DatabaseTransaction, b: &briefing::Model) -> AppResult<u64> {
    let copied = Copied::of(b);
    let existing = briefing_recipient::Entity::update_many()
        .col_expr(briefing_recipient::Column::Active, Expr::value(false))
        .col_expr(briefing_recipient::Column::Pinned, Expr::value(b.pinned))
        .col_expr(briefing_recipient::Column::PublishedAt, Expr::value(copied.published_at()))
        .col_expr(briefing_recipient::Column::ExpiresAt, Expr::value(b.expires_at))
        .filter(briefing_recipient::Column::BriefingId.eq(b.id))
        .exec(txn)
        .await?
        .rows_affected;
    if b.status != BriefingStatus::Published {
        return Ok(0);
    }
    let rules = Audience::from_json(&b.audience);
    let people = Query::select()
        .distinct()
        .expr(Expr::val(b.id))
        .column(membership::Column::UserId)
        .expr(Expr::val(b.organization_id))
        .expr(Expr::val(true))
        .expr(Expr::val(b.pinned))
        .expr(Expr::val(copied.published_at()))
        .expr(Expr::val(b.expires_at))
        .from(membership::Entity)
        .and_where(membership::Column::OrganizationId.eq(b.organization_id))
        .cond_where(rules.condition())
        .to_owned();
    use briefing_recipient::Column as R;
    let mut insert = Query::insert();
    insert
        .into_table(briefing_recipient::Entity)
        .columns([R::BriefingId, R::UserId, R::OrganizationId, R::Active, R::Pinned, R::PublishedAt, R::ExpiresAt])
        .select_from(people)
        .map_err(AppError::internal)?;
    // A first publication has no rows yet (and none can appear meanwhile: the organization's
    // lock is held), so a plain insert does; `ON CONFLICT` costs a speculative insertion per
    // row (a quarter of the insert for 500 recipients).
    if existing > 0 {
        insert.on_conflict(OnConflict::columns([R::BriefingId, R::UserId]).update_column(R::Active).to_owned());
    }
    let done = txn.execute_raw(txn.get_database_backend().build(&insert)).await?;
    Ok(done.rows_affected())
}

/// Turns rows on or off: within `scope` (one briefing's rows, or one person's), those whose
/// `by` column is one of `ids`.
async fn set_active(
    txn: &DatabaseTransaction,
    scope: Condition,
    by: briefing_recipient::Column,
    ids: &[Uuid],
    active: bool,
) -> AppResult<()> {
    for chunk in ids.chunks(CHUNK) {
        briefing_recipient::Entity::update_many()
            .col_expr(briefing_recipient::Column::Active, Expr::value(active))
            .filter(scope.clone())
            .filter(by.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// After a membership of `user` in `org` was added, changed or removed (`now` is the
/// membership as it is, `None` once removed): the person's rows for the organization's
/// live briefings become active exactly where the audience includes them now. Removal
/// turns all of them off. Read receipts stay either way.
///
/// The caller holds the organization's lock (see the module comment).
pub async fn membership_changed(
    txn: &DatabaseTransaction,
    user: Uuid,
    org: Uuid,
    now: Option<&membership::Model>,
) -> AppResult<()> {
    let Some(m) = now else {
        briefing_recipient::Entity::update_many()
            .col_expr(briefing_recipient::Column::Active, Expr::value(false))
            .filter(briefing_recipient::Column::UserId.eq(user))
            .filter(briefing_recipient::Column::OrganizationId.eq(org))
            .filter(briefing_recipient::Column::Active.eq(true))
            .exec(txn)
            .await?;
        return Ok(());
    };
    use briefing::Column as B;
    let live: Vec<Copied> = briefing::Entity::find()
        .select_only()
        .columns([B::Id, B::OrganizationId, B::Audience, B::Pinned, B::ExpiresAt, B::PublishedAt, B::UpdatedAt])
        .filter(B::OrganizationId.eq(org))
        .filter(B::Status.eq(BriefingStatus::Published))
        .filter(Condition::any().add(B::ExpiresAt.is_null()).add(B::ExpiresAt.gt(Utc::now())))
        .into_model::<Copied>()
        .all(txn)
        .await?;
    let rows: HashMap<Uuid, bool> = briefing_recipient::Entity::find()
        .select_only()
        .column(briefing_recipient::Column::BriefingId)
        .column(briefing_recipient::Column::Active)
        .filter(briefing_recipient::Column::UserId.eq(user))
        .filter(briefing_recipient::Column::OrganizationId.eq(org))
        .into_tuple::<(Uuid, bool)>()
        .all(txn)
        .await?
        .into_iter()
        .collect();
    let (mut on, mut off, mut new) = (Vec::new(), Vec::new(), Vec::new());
    for b in &live {
        let wanted = Audience::from_json(&b.audience).includes(m);
        match (rows.get(&b.id), wanted) {
            (Some(false), true) => on.push(b.id),
            (Some(true), false) => off.push(b.id),
            (None, true) => new.push(b.row(user)),
            _ => {}
        }
    }
    let (theirs, by) =
        (Condition::all().add(briefing_recipient::Column::UserId.eq(user)), briefing_recipient::Column::BriefingId);
    set_active(txn, theirs.clone(), by, &on, true).await?;
    set_active(txn, theirs, by, &off, false).await?;
    for chunk in new.chunks(CHUNK) {
        briefing_recipient::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(())
}
