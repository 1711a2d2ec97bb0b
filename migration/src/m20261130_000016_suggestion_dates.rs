//! Business dates of a public-opinion piece (issue 15 item 1, ARCHITECTURE §6): the day it
//! was received (`submitted_at`) and the day the office took it in (`accepted_at`, 采编) are
//! facts of their own, counted by the annual report, not the row's `created_at` — a piece
//! phoned in last March and typed in today was received in March.
//!
//! Existing rows take their creation as the submission (they were all entered live) and the
//! first ACCEPTED step of their timeline as the acceptance.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in ["submitted_at", "accepted_at"] {
            manager
                .alter_table(
                    Table::alter().table("suggestion").add_column(timestamp_with_time_zone_null(column)).to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE suggestion SET submitted_at = created_at").await?;
        db.execute_unprepared(
            "UPDATE suggestion SET accepted_at = (SELECT MIN(e.at) FROM suggestion_event e \
             WHERE e.suggestion_id = suggestion.id AND e.action = 'ACCEPTED')",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suggestion_org_submitted")
                    .table("suggestion")
                    .col("organization_id")
                    .col("submitted_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_suggestion_org_submitted").table("suggestion").to_owned()).await?;
        for column in ["accepted_at", "submitted_at"] {
            manager.alter_table(Table::alter().table("suggestion").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
