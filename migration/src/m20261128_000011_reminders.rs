//! Reminders (issue 14): time-driven notifications claimed exactly once.
//!
//! - `reminder`: one row per reminder fired. Its primary key (kind, subject, due day) is
//!   what makes "exactly once": a scheduler pass inserts the row with `ON CONFLICT DO
//!   NOTHING` in the transaction that writes the reminder's outbox event, so of two
//!   processes only the one whose insert went in writes the event, and a restarted process
//!   finds the row and fires nothing again. The due day is part of the key so that a
//!   visit moved to another day, or an assignment whose deadline moved, is reminded anew.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reminder")
                    // VISIT_TOMORROW, DEADLINE_NEAR, OVERDUE
                    .col(string_len("kind", 32))
                    // The visit or the proposal assignment it reminds of.
                    .col(uuid("subject_id"))
                    // China date of the visit's start or of the assignment's deadline.
                    .col(date("due_on"))
                    .col(uuid("organization_id"))
                    .col(timestamp_with_time_zone("fired_at"))
                    .primary_key(Index::create().col("kind").col("subject_id").col("due_on"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("reminder").to_owned()).await
    }
}
