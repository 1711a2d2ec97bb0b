//! Publishing to 500 people costs what it costs to write 500 rows, not 500 rows plus 500
//! foreign-key checks (issue 14: "the larger may cost at most a few milliseconds more").
//!
//! The fan-out tables — a briefing's recipient rows and the inbox's notifications — are
//! projections: written set-based by one `INSERT … SELECT` from rows that exist in the same
//! transaction (memberships, the briefing being published), and their parents are never
//! deleted while they have rows (users are disabled, never deleted; only a draft briefing,
//! which has no recipients, is deleted). On PostgreSQL each foreign key is an `AFTER`
//! trigger per inserted row that looks the parent up and locks it `FOR KEY SHARE`: `EXPLAIN
//! ANALYZE` of a 500-row publication showed the two checks of `briefing_recipient` taking
//! about as long as the insert itself, and the one of `notification` a third of its time.
//! So PostgreSQL drops them; SQLite, the one-process quick start where these costs do not
//! matter, keeps its constraints (dropping one there means rebuilding the table).
use sea_orm_migration::prelude::*;

use crate::common::fk_cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

const DROPPED: [(&str, &str, &str); 3] = [
    ("briefing_recipient", "briefing_id", "briefing"),
    ("briefing_recipient", "user_id", "app_user"),
    ("notification", "user_id", "app_user"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        for (table, column, _) in DROPPED {
            manager
                .alter_table(Table::alter().table(table).drop_foreign_key(format!("fk_{table}_{column}")).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        for (table, column, parent) in DROPPED {
            manager.create_foreign_key(fk_cascade(table, column, parent)).await?;
        }
        Ok(())
    }
}
