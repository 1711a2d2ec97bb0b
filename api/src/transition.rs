//! The one way a record changes state (ARCHITECTURE §1).
//!
//! ```text
//! apply(txn, Step { key, from, version, to, action, actor, note, changes })
//!   = UPDATE … SET status = to, version = version + 1, …changes
//!       WHERE <key> AND status = from AND version = ?     -- the guard is in the write
//!     → 0 rows: CONFLICT, the record changed under us
//!   + a timeline row (who, when, from, to, note)           -- same transaction
//!   + a domain event in the outbox                          -- same transaction
//! ```
//!
//! Which moves are allowed lives in each domain's pure `workflow` table; this module only
//! makes a decided move happen exactly once. Rules that depend on other rows are decided in
//! a transaction begun with [`crate::db::write`] after [`lock`]ing the parent row, so the
//! rows read are the rows the step acts on.
//!
//! A step the office types in after the fact (代录: a proposal handed in on paper, a reply
//! letter that arrived by post) carries its business time ([`Step::at`], checked by
//! [`entered_at`] and [`not_before`]): the timeline's `at` is that time, and `recorded_at`
//! the moment it was typed, so the timeline marks it as entered later (ARCHITECTURE §6).
use std::future::Future;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IdenStatic,
    Iterable, PrimaryKeyTrait, QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, LockType, Query, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    calendar,
    error::{AppError, AppResult},
    outbox,
};

/// A kind of record with a status, as the mechanism needs to know it.
pub trait Stateful {
    type Entity: EntityTrait;
    type Status: ActiveEnum<Value = String> + Copy + Eq + std::fmt::Debug + Send + Sync + Into<sea_orm::Value>;
    /// How one record is found: its id, or (visit, user) for a participant.
    type Key: Copy + Send + Sync;

    /// The subject's type in domain events: `proposal`, `visit_participant`, …
    const SUBJECT: &'static str;
    /// What the user calls it, for messages: 提案, 报名, …
    const NOUN: &'static str;

    fn filter(key: Self::Key) -> Condition;
    /// The id events are about (for a participant, the visit).
    fn subject_id(key: Self::Key) -> Uuid;
    fn status_column() -> <Self::Entity as EntityTrait>::Column;
    fn version_column() -> <Self::Entity as EntityTrait>::Column;
    fn updated_at_column() -> Option<<Self::Entity as EntityTrait>::Column>;
    /// Writes the step to the record's timeline (the one its people read).
    fn write_timeline(
        db: &impl ConnectionTrait,
        key: Self::Key,
        entry: &Entry<'_, Self::Status>,
    ) -> impl Future<Output = AppResult<()>> + Send;
}

/// The `Stateful` items of a record found by its `id`, with `status`, `version` and
/// `updated_at` columns — every kind but the few keyed by two ids. `$m` is the entity's
/// module (`proposal`, `visit`, …).
#[macro_export]
macro_rules! keyed_by_id {
    ($m:ident) => {
        type Key = uuid::Uuid;
        fn filter(key: uuid::Uuid) -> sea_orm::Condition {
            use sea_orm::ColumnTrait;
            sea_orm::Condition::all().add($m::Column::Id.eq(key))
        }
        fn subject_id(key: uuid::Uuid) -> uuid::Uuid {
            key
        }
        fn status_column() -> $m::Column {
            $m::Column::Status
        }
        fn version_column() -> $m::Column {
            $m::Column::Version
        }
    };
}

/// A timeline table. Every one has `id, <subject>, action, from_status, to_status,
/// actor_id, at, note`; the visit's also names the participant a step concerns.
#[derive(Debug, Clone, Copy)]
pub struct Timeline {
    pub table: &'static str,
    /// The column naming the record, e.g. `proposal_id`.
    pub subject: &'static str,
}

impl Timeline {
    /// Writes a step of `subject` with the entry's from and to.
    pub async fn write<S>(self, db: &impl ConnectionTrait, subject: Uuid, e: &Entry<'_, S>) -> AppResult<()>
    where
        S: ActiveEnum<Value = String> + Copy,
    {
        self.insert(db, subject, e, e.from_value(), e.to_value(), None).await
    }

    /// Writes a step of something inside the record (an assignment of a proposal), whose
    /// own states are not the record's: no from and to on the record's timeline.
    pub async fn write_inner<S>(self, db: &impl ConnectionTrait, subject: Uuid, e: &Entry<'_, S>) -> AppResult<()> {
        self.insert(db, subject, e, None, None, None).await
    }

    /// Writes a step of one person's part in the record (a sign-up for a visit), naming them.
    pub async fn write_for<S>(
        self,
        db: &impl ConnectionTrait,
        subject: Uuid,
        person: (&'static str, Uuid),
        e: &Entry<'_, S>,
    ) -> AppResult<()>
    where
        S: ActiveEnum<Value = String> + Copy,
    {
        self.insert(db, subject, e, e.from_value(), e.to_value(), Some(person)).await
    }

    async fn insert<S>(
        self,
        db: &impl ConnectionTrait,
        subject: Uuid,
        e: &Entry<'_, S>,
        from: Option<String>,
        to: Option<String>,
        person: Option<(&'static str, Uuid)>,
    ) -> AppResult<()> {
        let mut columns: Vec<Alias> =
            ["id", self.subject, "action", "from_status", "to_status", "actor_id", "at", "note"]
                .into_iter()
                .map(Alias::new)
                .collect();
        let mut values: Vec<SimpleExpr> = vec![
            Uuid::now_v7().into(),
            subject.into(),
            e.action.to_owned().into(),
            from.into(),
            to.into(),
            e.actor.into(),
            e.at.into(),
            e.note.clone().into(),
        ];
        if let Some(recorded) = e.recorded_at {
            columns.push(Alias::new("recorded_at"));
            values.push(recorded.into());
        }
        if let Some((column, id)) = person {
            columns.push(Alias::new(column));
            values.push(id.into());
        }
        let mut insert = Query::insert();
        insert.into_table(Alias::new(self.table)).columns(columns).values(values).map_err(AppError::internal)?;
        db.execute_raw(db.get_database_backend().build(&insert)).await?;
        Ok(())
    }
}

/// One line of a timeline: who did what, when, and the status before and after.
#[derive(Debug, Clone)]
pub struct Entry<'a, S> {
    pub action: &'a str,
    pub from: Option<S>,
    pub to: Option<S>,
    pub actor: Uuid,
    /// When it happened: the business time, which the timeline shows and counts by.
    pub at: DateTime<Utc>,
    /// When it was typed in, for a step entered later; none for a live step.
    pub recorded_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// The clock skew allowed between a client's clock and ours for an `at`.
pub const SKEW: Duration = Duration::minutes(5);

/// The business time of a step the office enters later (代录), as given by `at`: only the
/// office types records in (members, and units on their terminals, act now: FORBIDDEN), and
/// nothing is entered for the future beyond a small clock skew (an `at` within it counts
/// as now). None for a live step.
pub fn entered_at(viewer: &Viewer, at: Option<DateTime<Utc>>) -> AppResult<Option<DateTime<Utc>>> {
    let Some(at) = at else { return Ok(None) };
    if !viewer.is_office() {
        return Err(AppError::forbidden("只有机关工作人员可以补录（指定办理时间 at）"));
    }
    let now = now();
    if at > now + SKEW {
        return Err(AppError::bad_input(AT, "补录时间不能晚于当前时间"));
    }
    Ok(Some(std::cmp::Ord::min(at.trunc_subsecs(6), now)))
}

/// The argument's name in the schema, for refusals.
pub const AT: &str = "at";

/// Refuses a business time before the step it follows (registered before submitted, a
/// reply before its assignment): `what` names that step, `earlier` is when it happened.
pub fn not_before(at: Option<DateTime<Utc>>, earlier: Option<DateTime<Utc>>, what: &str) -> AppResult<()> {
    match (at, earlier) {
        (Some(at), Some(earlier)) if at < earlier => {
            Err(AppError::bad_input(AT, format!("补录时间不能早于{what}（{}）", calendar::display(earlier))))
        }
        _ => Ok(()),
    }
}

/// When a step happens: its business time if entered later, else now.
pub fn when(at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    at.unwrap_or_else(now)
}

/// The timeline's `at` and `recorded_at` of a step with the business time `at`.
fn moment(at: Option<DateTime<Utc>>) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    let now = now();
    match at {
        Some(at) => (at, Some(now)),
        None => (now, None),
    }
}

impl<S: ActiveEnum<Value = String> + Copy> Entry<'_, S> {
    pub fn from_value(&self) -> Option<String> {
        self.from.map(|s| s.to_value())
    }
    pub fn to_value(&self) -> Option<String> {
        self.to.map(|s| s.to_value())
    }
}

/// A step decided by a workflow table, to be applied once.
pub struct Step<'a, R: Stateful> {
    pub key: R::Key,
    pub organization_id: Uuid,
    /// The status and version the decision was made on.
    pub from: R::Status,
    pub version: i32,
    pub to: R::Status,
    /// The timeline's and the event's name for the step: SUBMITTED, REPLIED, …
    pub action: &'a str,
    pub actor: Uuid,
    pub note: Option<String>,
    /// When it happened, for a step entered later (代录); none: now.
    pub at: Option<DateTime<Utc>>,
    /// Other columns the step sets.
    pub changes: Vec<(<R::Entity as EntityTrait>::Column, SimpleExpr)>,
    /// What the event adds to from, to and note (ids of the people concerned, …).
    pub data: serde_json::Value,
}

impl<'a, R: Stateful> Step<'a, R> {
    /// A step with nothing set but the status.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: R::Key,
        organization_id: Uuid,
        from: R::Status,
        version: i32,
        to: R::Status,
        action: &'a str,
        actor: Uuid,
    ) -> Self {
        Self {
            key,
            organization_id,
            from,
            version,
            to,
            action,
            actor,
            note: None,
            at: None,
            changes: Vec::new(),
            data: serde_json::Value::Null,
        }
    }

    pub fn note(mut self, note: impl Into<Option<String>>) -> Self {
        self.note = note.into();
        self
    }

    /// Enters the step later, with its business time (checked by the caller with
    /// [`entered_at`] and [`not_before`]).
    pub fn at(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.at = at;
        self
    }

    pub fn set(mut self, column: <R::Entity as EntityTrait>::Column, value: impl Into<SimpleExpr>) -> Self {
        self.changes.push((column, value.into()));
        self
    }

    /// Sets every column `am` has `Set` (an edit made on an active model), except the
    /// status, version and update time, which the step itself moves.
    pub fn set_changed<A>(mut self, am: &A) -> Self
    where
        A: ActiveModelTrait<Entity = R::Entity>,
    {
        let own = [Some(R::status_column()), Some(R::version_column()), R::updated_at_column()];
        let own: Vec<&str> = own.iter().flatten().map(IdenStatic::as_str).collect();
        for col in <R::Entity as EntityTrait>::Column::iter() {
            if own.contains(&col.as_str()) {
                continue;
            }
            if let ActiveValue::Set(value) = am.get(col) {
                self.changes.push((col, Expr::value(value)));
            }
        }
        self
    }

    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }
}

/// The refusal when the guarded write found the record changed since it was read.
pub fn raced(noun: &str) -> AppError {
    AppError::Conflict { field: None, message: format!("该{noun}刚被他人处理，请刷新后重试") }
}

/// Applies a step: the guarded UPDATE, then the timeline row and the event, all in `txn`.
pub async fn apply<R: Stateful>(txn: &impl ConnectionTrait, step: Step<'_, R>) -> AppResult<()> {
    let (at, recorded_at) = moment(step.at);
    let now = recorded_at.unwrap_or(at);
    let mut update = R::Entity::update_many()
        .col_expr(R::status_column(), Expr::value(step.to))
        .col_expr(R::version_column(), Expr::col(R::version_column()).add(1));
    if let Some(col) = R::updated_at_column() {
        update = update.col_expr(col, Expr::value(now));
    }
    for (col, value) in step.changes {
        update = update.col_expr(col, value);
    }
    let done = update
        .filter(R::filter(step.key))
        .filter(R::status_column().eq(step.from))
        .filter(R::version_column().eq(step.version))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(raced(R::NOUN));
    }
    let entry = Entry {
        action: step.action,
        from: Some(step.from),
        to: Some(step.to),
        actor: step.actor,
        at,
        recorded_at,
        note: step.note,
    };
    write_entry::<R>(txn, step.key, step.organization_id, &entry, step.data).await
}

/// Records a step that keeps the status (an invitation sent, one unit's reply among
/// several): the timeline row and the event, in `txn`.
pub async fn record<R: Stateful>(
    txn: &impl ConnectionTrait,
    key: R::Key,
    organization_id: Uuid,
    action: &str,
    actor: Uuid,
    note: Option<String>,
    data: serde_json::Value,
) -> AppResult<()> {
    record_entered::<R>(txn, key, organization_id, action, actor, note, data, None).await
}

/// [`record`], for a step entered later with its business time `at`.
#[allow(clippy::too_many_arguments)]
pub async fn record_entered<R: Stateful>(
    txn: &impl ConnectionTrait,
    key: R::Key,
    organization_id: Uuid,
    action: &str,
    actor: Uuid,
    note: Option<String>,
    data: serde_json::Value,
    at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let (at, recorded_at) = moment(at);
    let entry = Entry { action, from: None, to: None, actor, at, recorded_at, note };
    write_entry::<R>(txn, key, organization_id, &entry, data).await
}

/// Records the creation of a record in its first status.
#[allow(clippy::too_many_arguments)]
pub async fn created<R: Stateful>(
    txn: &impl ConnectionTrait,
    key: R::Key,
    organization_id: Uuid,
    status: R::Status,
    action: &str,
    actor: Uuid,
    note: Option<String>,
    data: serde_json::Value,
) -> AppResult<()> {
    created_entered::<R>(txn, key, organization_id, status, action, actor, note, data, None).await
}

/// [`created`], for a record entered later with its business time `at`.
#[allow(clippy::too_many_arguments)]
pub async fn created_entered<R: Stateful>(
    txn: &impl ConnectionTrait,
    key: R::Key,
    organization_id: Uuid,
    status: R::Status,
    action: &str,
    actor: Uuid,
    note: Option<String>,
    data: serde_json::Value,
    at: Option<DateTime<Utc>>,
) -> AppResult<()> {
    let (at, recorded_at) = moment(at);
    let entry = Entry { action, from: None, to: Some(status), actor, at, recorded_at, note };
    write_entry::<R>(txn, key, organization_id, &entry, data).await
}

async fn write_entry<R: Stateful>(
    txn: &impl ConnectionTrait,
    key: R::Key,
    organization_id: Uuid,
    entry: &Entry<'_, R::Status>,
    data: serde_json::Value,
) -> AppResult<()> {
    R::write_timeline(txn, key, entry).await?;
    let mut payload = serde_json::json!({
        "from": entry.from_value(),
        "to": entry.to_value(),
        "note": entry.note,
    });
    if entry.recorded_at.is_some() {
        // Consumers (notifications, the audit log) learn that this is a record typed in,
        // not something happening now.
        payload["enteredLater"] = serde_json::Value::Bool(true);
        payload["at"] = serde_json::json!(entry.at);
    }
    if let (Some(all), serde_json::Value::Object(extra)) = (payload.as_object_mut(), data) {
        all.extend(extra);
    }
    outbox::write(
        txn,
        outbox::Event {
            organization_id,
            subject_type: R::SUBJECT,
            subject_id: R::subject_id(key),
            kind: entry.action,
            actor: entry.actor,
            payload,
            // The event is delivered now, whatever business time it records.
            at: entry.recorded_at.unwrap_or(entry.at),
        },
    )
    .await
}

/// Microseconds, as both databases keep them.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Reads a record and locks it for the rest of the transaction (PostgreSQL `FOR NO KEY
/// UPDATE`; on SQLite the write transaction already holds the database's write lock), so
/// that rules over other rows are decided on rows nobody else is changing. Callers that
/// lock several rows lock them in one order (by id) so two transactions cannot deadlock.
pub async fn lock<E>(txn: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<E::Model>>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    Ok(E::find_by_id(id).lock(LockType::NoKeyUpdate).one(txn).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::Role;

    fn viewer(role: Role) -> Viewer {
        Viewer { user_id: Uuid::nil(), session_id: String::new(), organization_id: Uuid::nil(), role }
    }

    #[test]
    fn only_the_office_enters_records_later_and_never_for_the_future() {
        let last_year = now() - Duration::days(365);
        assert!(matches!(entered_at(&viewer(Role::Member), Some(last_year)), Err(AppError::Forbidden(_))));
        assert!(matches!(entered_at(&viewer(Role::Unit), Some(last_year)), Err(AppError::Forbidden(_))));
        assert!(matches!(entered_at(&viewer(Role::Member), None), Ok(None)), "acting now needs no right");
        assert!(matches!(entered_at(&viewer(Role::Staff), Some(last_year)), Ok(Some(at)) if at == last_year));
        assert!(entered_at(&viewer(Role::Admin), Some(now() + Duration::days(1))).is_err());
        let skewed = entered_at(&viewer(Role::Staff), Some(now() + Duration::minutes(1)));
        assert!(matches!(skewed, Ok(Some(at)) if at <= now()), "a little skew counts as now");
        assert!(not_before(Some(last_year), Some(now()), "提交时间").is_err());
        assert!(not_before(Some(now()), Some(last_year), "提交时间").is_ok());
        assert!(not_before(None, Some(now()), "提交时间").is_ok(), "a live step is not checked");
    }
}
