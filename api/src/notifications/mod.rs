//! The notification inbox (issue 14), the first consumer of the domain events
//! (ARCHITECTURE §3).
//!
//! ```text
//! a step commits ─ outbox row (dispatched_at NULL)
//!        │  dispatcher (every process, every NOTIFICATION_DISPATCH_INTERVAL_MS)
//!        ▼  claims rows in id order, one transaction:
//!   recipients::plan(event) → [(audience, notice)]  — who it concerns, what it says
//!   recipients::insert      → one INSERT … SELECT per audience into `notification`
//!   push::enqueue           → one INSERT … SELECT of their pushes into `push_delivery`
//!   UPDATE outbox SET dispatched_at
//! ```
//!
//! The domains know nothing of this module: it reads their events and their tables. A
//! notification belongs to the event's organization; a person with several memberships
//! sees the inbox of the organization they are signed in to (`Viewer::organization_id`).
pub mod dispatcher;
pub mod graphql;
pub mod push;
pub mod push_graphql;
pub mod recipients;
pub mod service;
