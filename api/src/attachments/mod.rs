//! Attachments (附件): photos and documents uploaded from phones and office computers,
//! linked by id to briefings, proposals, replies, pieces of information and visit reports,
//! kept in an object store, served by signed short-lived links to those who may see the
//! record, and swept away when no record uses them.
pub mod download;
pub mod graphql;
pub mod intake;
pub mod owners;
pub mod service;
pub mod signing;
pub mod store;

use std::{sync::Arc, time::Duration};

use crate::state::State;

/// The background sweep: every `interval`, uploads older than `orphan_after` that no record
/// took are let go of, and files no record uses are removed. Every API process may run it.
pub fn spawn_sweeper(state: State) -> tokio::task::JoinHandle<()> {
    let interval = Duration::from_secs(state.settings.attachment_cleanup_interval_secs.max(1));
    let orphan_after = Duration::from_secs(state.settings.attachment_orphan_after_secs);
    let state = Arc::clone(&state);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match service::sweep(&state.db, &state.files, orphan_after).await {
                Ok(s) if s.orphaned + s.purged > 0 => {
                    tracing::info!(orphaned = s.orphaned, purged = s.purged, "attachments swept");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "attachment sweep failed; it runs again later"),
            }
        }
    })
}
