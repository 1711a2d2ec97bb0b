//! Turns domain events into notifications, exactly once, with any number of processes.
//!
//! A pass claims up to `BATCH` undispatched outbox rows in id (time) order and, in the same
//! transaction, writes their notifications and sets `dispatched_at`. On PostgreSQL the claim
//! is `SELECT … FOR UPDATE SKIP LOCKED`: two processes take different rows and never wait
//! on each other; on SQLite the transaction is `BEGIN IMMEDIATE` (`db::write`), so passes
//! run one after another. A crash before the commit leaves the rows undispatched for the
//! next pass; after it, they are done. The (user, event) key of `notification` is the last
//! guard: a person cannot hold two notices of one event.
//!
//! Wake-up is polling, not a signal from the writers: a signal would only reach this
//! process (the step may commit in another) and would mean hooking every commit in the
//! domains. An idle poll is one read of the `ix_outbox_pending` index, taken before any
//! write transaction, so it never holds SQLite's write lock.
use std::time::Duration;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, LockBehavior, LockType},
};

use super::recipients;
use crate::metrics::Metrics;
use crate::{
    db,
    error::AppResult,
    live::{Broker, Signal},
    state::State,
    transition,
};
use entity::outbox;

/// Events claimed per transaction: enough to drain a burst quickly, few enough that a pass
/// holds its locks (SQLite's write lock) briefly.
const BATCH: u64 = 50;

/// Runs passes in the background for the life of the process.
pub fn spawn(state: State) -> tokio::task::JoinHandle<()> {
    let interval = Duration::from_millis(state.settings.notification_dispatch_interval_ms.max(10));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = deliver(&state).await {
                tracing::warn!(error = %e, "notification dispatch failed; it runs again later");
            }
        }
    })
}

/// Dispatches until no event is left and tells live subscriptions, in every process, whom
/// each event reached (what the background task does each tick; `api dispatch-events`
/// calls it to be done now). Returns how many events it handled.
pub async fn deliver(state: &State) -> AppResult<usize> {
    drain(&state.db, Some((&state.live, &state.metrics))).await
}

/// `deliver` without the live signals: for tests that only look at inboxes.
pub async fn run_until_idle(db: &DatabaseConnection) -> AppResult<usize> {
    drain(db, None).await
}

async fn drain(db: &DatabaseConnection, live: Option<(&Broker, &Metrics)>) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let Pass { events: done, signals, fanned_out } = claim(db).await?;
        // After the commit: a subscriber that reads on the signal finds the rows.
        if let Some((live, metrics)) = live {
            for (kind, notified) in fanned_out {
                metrics.fanned_out(&kind, notified);
            }
            for signal in signals {
                live.publish(signal).await;
            }
        }
        total += done;
        if done == 0 {
            return Ok(total);
        }
    }
}

/// One claim: up to `BATCH` events handled and marked in one transaction. Returns how
/// many, with the signals to send once it has committed: whom each event notified, and
/// whose badge numbers may have moved without a notice (the person who took the step, the
/// readers of a withdrawn briefing).
pub async fn pass(db: &DatabaseConnection) -> AppResult<(usize, Vec<Signal>)> {
    claim(db).await.map(|p| (p.events, p.signals))
}

/// What one claim did.
struct Pass {
    events: usize,
    signals: Vec<Signal>,
    /// Each handled event (`briefing.PUBLISHED`) and how many people it notified (for `/metrics`).
    fanned_out: Vec<(String, usize)>,
}

async fn claim(db: &DatabaseConnection) -> AppResult<Pass> {
    // Nothing pending is the common case: answer it without a write transaction.
    let pending = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(outbox::Column::DispatchedAt.is_null())
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .one(db)
        .await?;
    if pending.is_none() {
        return Ok(Pass { events: 0, signals: Vec::new(), fanned_out: Vec::new() });
    }
    let txn = db::write(db).await?;
    let mut claim = outbox::Entity::find()
        .filter(outbox::Column::DispatchedAt.is_null())
        .order_by_asc(outbox::Column::Id)
        .limit(BATCH);
    if db.get_database_backend() == DbBackend::Postgres {
        claim = claim.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let events = claim.all(&txn).await?;
    let mut signals = Vec::new();
    let mut fanned_out = Vec::new();
    let mut touched = Vec::new();
    for event in &events {
        // Each event in a savepoint: one that cannot be handled (a bug, a subject gone) is
        // logged and passed over rather than holding up every event behind it.
        let one = txn.begin().await?;
        match recipients::notify(&one, event).await {
            Ok(users) => {
                touched.extend(recipients::badge_moved(&one, event).await?);
                one.commit().await?;
                fanned_out.push((format!("{}.{}", event.subject_type, event.kind), users.len()));
                if !users.is_empty() {
                    signals.push(Signal::Notified { event: event.id, users });
                }
            }
            Err(e) => {
                one.rollback().await?;
                tracing::error!(event = %event.id, kind = %event.kind, error = %e, "event not notified; passed over");
            }
        }
    }
    if !events.is_empty() {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::DispatchedAt, Expr::value(transition::now()))
            .filter(outbox::Column::Id.is_in(events.iter().map(|e| e.id)))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    touched.sort_unstable();
    touched.dedup();
    if !touched.is_empty() {
        signals.push(Signal::Counts { users: touched });
    }
    Ok(Pass { events: events.len(), signals, fanned_out })
}
