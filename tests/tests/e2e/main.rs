//! End-to-end tests over HTTP, each against PostgreSQL and SQLite with real Redis.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod helpers;
mod invariants;
mod race;

mod accounts;
mod annual_report;
mod attachments;
mod audit;
mod auth;
mod authz;
mod badge_cache;
mod briefings;
mod business_dates;
mod clients;
mod commendations;
mod committee_tree;
mod duty_records;
mod ide;
mod integrity_briefings;
mod integrity_proposals;
mod integrity_suggestions;
mod integrity_visits;
mod limits;
mod live;
mod members;
mod metrics;
mod notification_events;
mod notifications;
mod personal_data;
mod plenary_sessions;
mod proposals;
mod push;
mod reminders;
mod retries;
mod signin;
mod startup;
mod suggestions;
mod visits;
