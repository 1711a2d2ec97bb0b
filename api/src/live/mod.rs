//! Live updates (issue 14): GraphQL subscriptions over WebSocket at `/graphql`.
//!
//! ```text
//! dispatcher commits an event's notifications ─┐
//! a read mark, a session ended ────────────────┤ broker::Signal → Redis pub/sub (or in-process)
//!                                              ▼
//!        every process: each socket whose person it concerns reads the change from the
//!        database (`notificationReceived`, `unreadCounts`) or closes (session ended)
//! ```
//!
//! - `broker`: the signals and how they travel between processes;
//! - `counts`: the badge numbers (also the `unreadCounts` query);
//! - `graphql`: the `Subscription` root;
//! - `socket`: the WebSocket endpoint (graphql-transport-ws and the older graphql-ws),
//!   authenticated in `connection_init`, closed when its session ends;
//! - `sockets`: how many sockets each person holds open (`LIVE_MAX_SOCKETS_PER_USER`).
pub mod broker;
pub mod counts;
pub mod graphql;
pub mod socket;
pub mod sockets;

pub use broker::{Broker, Signal};

/// Tells the person's subscriptions, in every process, that their badge numbers may have
/// moved (a read mark taken outside the outbox's events).
pub async fn badge_moved(state: &crate::state::State, user: uuid::Uuid) {
    state.live.publish(Signal::Counts { users: vec![user] }).await;
}

/// Tells every process that the user's own row changed (`updateUser`, `disableUser`,
/// `changePassword`, …): the feeds' authors kept of them are read again.
pub async fn person_changed(state: &crate::state::State, user: uuid::Uuid) {
    state.live.publish(Signal::People { users: vec![user] }).await;
}

/// Tells every process that a briefing of `org` was published, withdrawn or edited: the
/// badges kept for the organization's people are read again (`briefings::badge`).
pub async fn briefings_moved(state: &crate::state::State, org: uuid::Uuid) {
    state.live.publish(Signal::Briefings { org }).await;
}
