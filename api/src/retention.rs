//! Keeps the delivery tables from growing for ever: dispatched domain events and finished
//! push deliveries are removed once older than their retention (`OUTBOX_RETENTION_DAYS`,
//! `PUSH_RETENTION_DAYS`; 30 days each, 0 keeps them).
//!
//! Nothing is lost by it: what happened stays in the records' timelines and the audit log,
//! what people were told stays in their inboxes. An outbox row only carries an event to the
//! dispatcher, and a pending one (not yet dispatched) is never touched, whatever its age; a
//! push delivery still `PENDING` neither. Every process runs the sweep; two at once delete
//! the same rows, which is harmless.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{config::Settings, error::AppResult, state::State, transition};
use entity::{
    outbox,
    push_delivery::{self, PushStatus},
};

/// How often the sweep runs.
const INTERVAL: Duration = Duration::from_secs(3600);

/// What one sweep removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub events: u64,
    pub deliveries: u64,
}

fn older_than(days: u64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = i64::try_from(days).ok().filter(|d| *d > 0)?;
    now.checked_sub_signed(chrono::Duration::try_days(days)?)
}

/// One sweep, as of `now`.
pub async fn sweep(db: &DatabaseConnection, settings: &Settings, now: DateTime<Utc>) -> AppResult<Swept> {
    let mut swept = Swept::default();
    if let Some(before) = older_than(settings.outbox_retention_days, now) {
        swept.events = outbox::Entity::delete_many()
            .filter(outbox::Column::DispatchedAt.is_not_null())
            .filter(outbox::Column::DispatchedAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
    }
    if let Some(before) = older_than(settings.push_retention_days, now) {
        swept.deliveries = push_delivery::Entity::delete_many()
            .filter(push_delivery::Column::Status.ne(PushStatus::Pending))
            .filter(push_delivery::Column::CreatedAt.lt(before))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(swept)
}

/// Sweeps every `INTERVAL` for the life of the process.
pub fn spawn(state: State) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sweep(&state.db, &state.settings, transition::now()).await {
                Ok(s) if s != Swept::default() => {
                    tracing::info!(events = s.events, deliveries = s.deliveries, "old deliveries removed");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed; it runs again later"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_keeps_for_ever() {
        let now = Utc::now();
        assert_eq!(older_than(0, now), None);
        assert_eq!(older_than(30, now), Some(now - chrono::Duration::days(30)));
    }
}
