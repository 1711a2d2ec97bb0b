//! The inbox as its owner sees it: their notifications in the organization they are
//! signed in to, newest first. No GraphQL here.
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::recipients::KINDS;
use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    paging, transition,
};
use entity::{notification, notification_preference};

fn inbox(viewer: &Viewer) -> Condition {
    Condition::all()
        .add(notification::Column::UserId.eq(viewer.user_id))
        .add(notification::Column::OrganizationId.eq(viewer.organization_id))
}

/// A page of the inbox (`limit + 1` rows, see `paging`) and its total.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    unread_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<notification::Model>, u64)> {
    let mut cond = inbox(viewer);
    if unread_only {
        cond = cond.add(notification::Column::ReadAt.is_null());
    }
    paging::newest_first::<notification::Entity>(db, cond, notification::Column::EventId, after, limit).await
}

pub async fn unread_count(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(inbox(viewer))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// The viewer's notice of one event, if the event concerns them in this organization.
pub async fn one(db: &impl ConnectionTrait, viewer: &Viewer, event: Uuid) -> AppResult<Option<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(inbox(viewer))
        .filter(notification::Column::EventId.eq(event))
        .one(db)
        .await?)
}

/// The newest notification's id (where a live subscriber starts).
pub async fn newest(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Option<Uuid>> {
    Ok(notification::Entity::find()
        .select_only()
        .column(notification::Column::EventId)
        .filter(inbox(viewer))
        .order_by_desc(notification::Column::EventId)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// Notifications after `after` (all when `None`), oldest first: what a live subscriber
/// missed while its signals were lost.
pub async fn since(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut find = notification::Entity::find().filter(inbox(viewer));
    if let Some(after) = after {
        find = find.filter(notification::Column::EventId.gt(after));
    }
    Ok(find.order_by_asc(notification::Column::EventId).limit(limit).all(db).await?)
}

/// Marks the viewer's notifications read. Every id must name one of the viewer's
/// notifications in this organization, else `NOT_FOUND` and nothing changes: an id from
/// someone else's inbox is indistinguishable from one that does not exist. Marking a read
/// one again is not an error (a resent request); it keeps its first read time.
pub async fn mark_read(db: &impl ConnectionTrait, viewer: &Viewer, ids: &[Uuid]) -> AppResult<u64> {
    let mut wanted = ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let cond = inbox(viewer).add(notification::Column::EventId.is_in(wanted.iter().copied()));
    let found = notification::Entity::find().filter(cond.clone()).count(db).await?;
    if found != wanted.len() as u64 {
        return Err(AppError::not_found("通知不存在"));
    }
    mark(db, cond).await
}

/// Marks every unread notification of the viewer's inbox read.
pub async fn mark_all_read(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    mark(db, inbox(viewer)).await
}

async fn mark(db: &impl ConnectionTrait, cond: Condition) -> AppResult<u64> {
    let done = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(transition::now()))
        .filter(cond)
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Every kind with whether it is pushed to this person's phone (push unless turned off).
pub async fn preferences(db: &impl ConnectionTrait, user: Uuid) -> AppResult<Vec<(&'static str, &'static str, bool)>> {
    let off: Vec<String> = notification_preference::Entity::find()
        .select_only()
        .column(notification_preference::Column::Kind)
        .filter(notification_preference::Column::UserId.eq(user))
        .filter(notification_preference::Column::Push.eq(false))
        .into_tuple()
        .all(db)
        .await?;
    Ok(KINDS.iter().map(|(k, name)| (*k, *name, !off.iter().any(|o| o == k))).collect())
}

/// Sets whether one kind is pushed (one upsert: two changes at once leave one row, the
/// later one's); the inbox keeps every kind either way. Returns the kind's name.
pub async fn set_preference(db: &impl ConnectionTrait, user: Uuid, kind: &str, push: bool) -> AppResult<&'static str> {
    let Some((_, name)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        return Err(AppError::bad_input("kind", "没有这种通知"));
    };
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        user_id: Set(user),
        kind: Set(kind.to_owned()),
        push: Set(push),
    })
    .on_conflict(
        OnConflict::columns([notification_preference::Column::UserId, notification_preference::Column::Kind])
            .update_column(notification_preference::Column::Push)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(name)
}
