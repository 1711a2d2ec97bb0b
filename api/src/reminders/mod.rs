//! Reminders (issue 14): notifications that come from the clock rather than from a step —
//! a visit tomorrow, an assignment's deadline near, an assignment overdue.
//!
//! Exactly once, with any number of processes and restarts: a pass finds what is due
//! (`due.rs` says when) and fires each reminder in a transaction of its own that inserts
//! its claim row into `reminder` with `ON CONFLICT DO NOTHING` and, only when that insert
//! went in, writes the reminder's outbox event. The claim's key (kind, subject, due day)
//! is the guarantee: of two processes racing for one reminder, the second insert waits for
//! the first transaction (PostgreSQL) or for the write lock (SQLite `BEGIN IMMEDIATE`) and
//! then inserts nothing, so it writes no event; a restarted process finds the rows. No lock
//! is held between passes, and a crash before the commit leaves neither claim nor event.
//! The dispatcher then notifies the event like any other (`notice.rs` says to whom).
pub mod due;
pub mod notice;

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TryInsertResult,
    sea_query::Query,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{db, error::AppResult, outbox, state::State, transition};
use entity::{AssignmentStatus, ProposalStatus, VisitStatus, proposal, proposal_assignment, reminder, visit};

/// A visit the next day (the notification kind, the outbox event's kind and the claim's).
pub const VISIT_TOMORROW: &str = "VISIT_TOMORROW";
/// An unreplied assignment's deadline within seven days.
pub const DEADLINE_NEAR: &str = "DEADLINE_NEAR";
/// An unreplied assignment past its deadline.
pub const OVERDUE: &str = "OVERDUE";

/// Runs passes in the background for the life of the process, every
/// `REMINDER_INTERVAL_SECS`. The first comes one interval after the start rather than at
/// once: a minute's delay after a restart costs nothing, and tests, which set the interval
/// high and drive the clock themselves (`run_due` with their `now`), get no pass at the
/// real time in between.
pub fn spawn(state: State) -> tokio::task::JoinHandle<()> {
    let every = Duration::from_secs(state.settings.reminder_interval_secs.max(1));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = run_due(&state.db, transition::now()).await {
                tracing::warn!(error = %e, "reminder pass failed; it runs again later");
            }
        }
    })
}

/// One reminder found due, before it is claimed.
struct Due {
    kind: &'static str,
    /// The visit or the assignment: the claim's subject.
    subject_id: Uuid,
    due_on: NaiveDate,
    organization_id: Uuid,
    /// What the notification links to (the visit, the assignment's proposal).
    event_subject: (&'static str, Uuid),
    payload: Value,
}

/// Fires every reminder due at `now` that nobody fired yet; returns how many this call
/// fired (another process's are not counted). `now` is a parameter so that tests, and a
/// catch-up run by hand (`api run-reminders`), choose the time.
pub async fn run_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let now = now.trunc_subsecs(6);
    let mut due = visits_due(db, now).await?;
    due.extend(assignments_due(db, now).await?);
    let mut fired = 0;
    for r in unclaimed(db, due).await? {
        if fire(db, &r, now).await? {
            fired += 1;
        }
    }
    Ok(fired)
}

/// Visits still ahead whose sign-up is open or closed (not planned, started, done or
/// cancelled), starting on the next day, with somebody holding a place: a visit nobody is
/// going to yet is not claimed, so that the first sign-ups of a late-opened visit still get
/// their reminder.
async fn visits_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<Vec<Due>> {
    let found = visit::Entity::find()
        .filter(visit::Column::Status.is_in([VisitStatus::Open, VisitStatus::Closed]))
        .filter(visit::Column::StartsAt.gt(now))
        .filter(visit::Column::StartsAt.lt(due::visits_before(now)))
        .filter(visit::Column::ConfirmedCount.gt(0))
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .filter_map(|v| {
            let day = due::visit_tomorrow(v.starts_at, now)?;
            Some(Due {
                kind: VISIT_TOMORROW,
                subject_id: v.id,
                due_on: day,
                organization_id: v.organization_id,
                event_subject: ("visit", v.id),
                payload: json!({ "startsAt": v.starts_at, "dueOn": day }),
            })
        })
        .collect())
}

/// Assignments without this round's reply, of proposals being handled (as the `overdue`
/// filter counts them), whose deadline is near or past. Those whose unit asked to be
/// relieved are the office's to re-assign, not the unit's to answer.
async fn assignments_due(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<Vec<Due>> {
    let handled = Query::select()
        .column(proposal::Column::Id)
        .from(proposal::Entity)
        .and_where(proposal::Column::Status.is_in([ProposalStatus::Assigned, ProposalStatus::Rehandling]))
        .to_owned();
    let found = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::Status.is_in(open_assignment()))
        .filter(proposal_assignment::Column::Deadline.lt(due::deadlines_before(now)))
        .filter(proposal_assignment::Column::ProposalId.in_subquery(handled))
        .all(db)
        .await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let org_of: HashMap<Uuid, Uuid> = proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .column(proposal::Column::OrganizationId)
        .filter(proposal::Column::Id.is_in(found.iter().map(|a| a.proposal_id)))
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(found
        .into_iter()
        .filter_map(|a| {
            let (kind, day) = match due::overdue(a.deadline, now) {
                Some(day) => (OVERDUE, day),
                None => (DEADLINE_NEAR, due::deadline_near(a.deadline, now)?),
            };
            Some(Due {
                kind,
                subject_id: a.id,
                due_on: day,
                organization_id: *org_of.get(&a.proposal_id)?,
                event_subject: ("proposal", a.proposal_id),
                payload: json!({
                    "assignmentId": a.id, "unitId": a.unit_id, "deadline": a.deadline, "dueOn": day, "round": a.round,
                }),
            })
        })
        .collect())
}

/// The assignment statuses that still owe a reply.
pub(crate) fn open_assignment() -> [AssignmentStatus; 2] {
    [AssignmentStatus::Assigned, AssignmentStatus::Acknowledged]
}

/// Leaves out what was fired already (one read instead of a transaction per reminder on
/// every pass; the claim in `fire` stays the guarantee).
async fn unclaimed(db: &DatabaseConnection, due: Vec<Due>) -> AppResult<Vec<Due>> {
    if due.is_empty() {
        return Ok(due);
    }
    let fired: HashSet<(String, Uuid, NaiveDate)> = reminder::Entity::find()
        .select_only()
        .column(reminder::Column::Kind)
        .column(reminder::Column::SubjectId)
        .column(reminder::Column::DueOn)
        .filter(reminder::Column::SubjectId.is_in(due.iter().map(|d| d.subject_id)))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(due.into_iter().filter(|d| !fired.contains(&(d.kind.to_owned(), d.subject_id, d.due_on))).collect())
}

/// Claims one reminder and writes its event, both or neither; false when it was claimed
/// already (by another process, or by this one earlier).
async fn fire(db: &DatabaseConnection, r: &Due, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::write(db).await?;
    let claim = reminder::Entity::insert(reminder::ActiveModel {
        kind: Set(r.kind.to_owned()),
        subject_id: Set(r.subject_id),
        due_on: Set(r.due_on),
        organization_id: Set(r.organization_id),
        fired_at: Set(now),
    })
    .on_conflict_do_nothing_on([reminder::Column::Kind, reminder::Column::SubjectId, reminder::Column::DueOn])
    .exec_without_returning(&txn)
    .await?;
    if !matches!(claim, TryInsertResult::Inserted(n) if n > 0) {
        txn.rollback().await?;
        return Ok(false);
    }
    outbox::write(
        &txn,
        outbox::Event {
            organization_id: r.organization_id,
            subject_type: r.event_subject.0,
            subject_id: r.event_subject.1,
            kind: r.kind,
            // Nobody's step: the nil id is no user, so nobody is left out as its actor.
            actor: Uuid::nil(),
            payload: r.payload.clone(),
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
