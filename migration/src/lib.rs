//! Database migrations. Each file is frozen once it has landed: a schema change is a new
//! timestamped file. The crate deliberately does not depend on `entity`, so that old
//! migrations keep describing the schema as it was when they were written.
pub use sea_orm_migration::prelude::*;

mod common;
mod m20261126_000001_accounts_and_organizations;
mod m20261126_000002_briefings;
mod m20261126_000003_visits;
mod m20261126_000004_suggestions;
mod m20261126_000005_proposals;
mod m20261126_000006_attachments;
mod m20261127_000007_integrity;
mod m20261127_000008_account_stewards;
mod m20261127_000009_audit_log;
mod m20261128_000010_notifications;
mod m20261128_000011_reminders;
mod m20261128_000012_push;
mod m20261129_000013_plenary_sessions;
mod m20261129_000014_commendations;
mod m20261129_000015_platform_admins;
mod m20261130_000016_suggestion_dates;
mod m20261130_000017_entered_later;
mod m20261130_000018_annual_reports;
mod m20261130_000019_duty_weights;
mod m20261130_000020_fanout_without_fk;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_accounts_and_organizations::Migration),
            Box::new(m20261126_000002_briefings::Migration),
            Box::new(m20261126_000003_visits::Migration),
            Box::new(m20261126_000004_suggestions::Migration),
            Box::new(m20261126_000005_proposals::Migration),
            Box::new(m20261126_000006_attachments::Migration),
            Box::new(m20261127_000007_integrity::Migration),
            Box::new(m20261127_000008_account_stewards::Migration),
            Box::new(m20261127_000009_audit_log::Migration),
            Box::new(m20261128_000010_notifications::Migration),
            Box::new(m20261128_000011_reminders::Migration),
            Box::new(m20261128_000012_push::Migration),
            Box::new(m20261129_000013_plenary_sessions::Migration),
            Box::new(m20261129_000014_commendations::Migration),
            Box::new(m20261129_000015_platform_admins::Migration),
            Box::new(m20261130_000016_suggestion_dates::Migration),
            Box::new(m20261130_000017_entered_later::Migration),
            Box::new(m20261130_000018_annual_reports::Migration),
            Box::new(m20261130_000019_duty_weights::Migration),
            Box::new(m20261130_000020_fanout_without_fk::Migration),
        ]
    }
}
