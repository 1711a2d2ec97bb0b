//! The CPPCC member app's API server: a GraphQL endpoint for members' phones, the office
//! and handling units, and admins in the playground.
//!
//! Layout: one module per domain area (`auth`, `organizations`, `members`), each with its
//! rules in `service` (plain functions, no GraphQL) and a thin `graphql` face; `graphql`
//! merges them into one schema; `http` is the web surface; `app` wires it all at start-up.
pub mod app;
pub mod attachments;
pub mod audience;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod briefings;
pub mod calendar;
pub mod commendations;
pub mod config;
pub mod content_safety;
pub mod db;
pub mod demo;
pub mod duty;
pub mod error;
pub mod graphql;
pub mod http;
pub mod ide;
pub mod idempotency;
pub mod kv;
pub mod limits;
pub mod live;
pub mod members;
pub mod messages;
pub mod metrics;
pub mod notifications;
pub mod organizations;
pub mod outbox;
pub mod paging;
pub mod persisted_queries;
pub mod phone;
pub mod plenary;
pub mod proposals;
pub mod reminders;
pub mod reports;
pub mod request_log;
pub mod retention;
pub mod shutdown;
pub mod sql;
pub mod state;
pub mod suggestions;
pub mod telemetry;
pub mod transition;
pub mod transport;
pub mod validate;
pub mod visits;
