//! Records entered later (代录, issue 15 item 1, ARCHITECTURE §6). A step typed in by the
//! office after the fact keeps its business time in the timeline's `at` (what the annual
//! report and the people reading the timeline go by) and the moment it was typed in
//! `recorded_at`; a step taken live leaves `recorded_at` null. A proposal handed in on paper
//! and typed in by the office remembers who typed it (`proposal.entered_by`): it is the
//! member's proposal, and the office may carry the draft on to submission.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TIMELINES: [&str; 4] = ["proposal_event", "suggestion_event", "visit_event", "briefing_event"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for table in TIMELINES {
            manager
                .alter_table(
                    Table::alter().table(table).add_column(timestamp_with_time_zone_null("recorded_at")).to_owned(),
                )
                .await?;
        }
        manager.alter_table(Table::alter().table("proposal").add_column(uuid_null("entered_by")).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("proposal").drop_column("entered_by").to_owned()).await?;
        for table in TIMELINES {
            manager.alter_table(Table::alter().table(table).drop_column("recorded_at").to_owned()).await?;
        }
        Ok(())
    }
}
