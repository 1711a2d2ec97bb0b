//! Proposals (提案): the proposal with its workflow state and version, co-signers,
//! assignments to handling units, replies, evaluations, the timeline, and the per-year
//! serial counters behind registration numbers.
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk_cascade as fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("proposal")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(integer_null("serial_year"))
                    .col(integer_null("serial_no"))
                    .col(string("title"))
                    .col(text("background"))
                    .col(text("suggestions"))
                    .col(string("category"))
                    .col(string_len("kind", 16))
                    .col(string_len("submitted_during", 16))
                    .col(uuid("author_id"))
                    .col(string_len_null("party", 16))
                    .col(uuid_null("sector_id"))
                    .col(uuid_null("committee_id"))
                    .col(json("attachments"))
                    .col(string_len("status", 16))
                    // Optimistic lock: every transition moves it on, so two cannot both win.
                    .col(integer("version").default(0))
                    .col(integer("round").default(1))
                    .col(uuid_null("merged_into_id"))
                    .col(boolean("is_key").default(false))
                    .col(string_null("lead_official"))
                    .col(uuid_null("supervisor_id"))
                    .col(uuid_null("promoting_committee_id"))
                    .col(string_null("assisting_office"))
                    .col(text_null("return_reason"))
                    .col(text_null("reject_reason"))
                    .col(uuid_null("converted_suggestion_id"))
                    .col(text_null("result_summary"))
                    .col(timestamp_with_time_zone_null("result_published_at"))
                    .col(string_len_null("idempotency_key", 100))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone_null("registered_at"))
                    .col(timestamp_with_time_zone_null("concluded_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("proposal", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_proposal_serial")
                    .table("proposal")
                    .col("organization_id")
                    .col("serial_year")
                    .col("serial_no")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_proposal_idempotency")
                    .table("proposal")
                    .col("author_id")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_proposal_org").table("proposal").col("organization_id").col("id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_serial")
                    .col(uuid("organization_id"))
                    .col(integer("year"))
                    .col(integer("last"))
                    .primary_key(Index::create().col("organization_id").col("year"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_cosigner")
                    .col(uuid("proposal_id"))
                    .col(uuid("user_id"))
                    .col(string_len("status", 16))
                    .col(timestamp_with_time_zone("invited_at"))
                    .col(timestamp_with_time_zone_null("responded_at"))
                    .primary_key(Index::create().col("proposal_id").col("user_id"))
                    .foreign_key(&mut fk("proposal_cosigner", "proposal_id", "proposal"))
                    .foreign_key(&mut fk("proposal_cosigner", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_proposal_cosigner_user").table("proposal_cosigner").col("user_id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_assignment")
                    .col(pk_uuid("id"))
                    .col(uuid("proposal_id"))
                    .col(uuid("unit_id"))
                    .col(string_len("role", 16))
                    .col(timestamp_with_time_zone("deadline"))
                    // Set by the office; otherwise the default period runs from acknowledgement.
                    .col(boolean("deadline_fixed").default(false))
                    .col(string_len("status", 24))
                    .col(integer("round"))
                    .col(timestamp_with_time_zone_null("acknowledged_at"))
                    .col(text_null("reassign_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("proposal_assignment", "proposal_id", "proposal"))
                    .foreign_key(&mut fk("proposal_assignment", "unit_id", "handling_unit"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_proposal_assignment_unit")
                    .table("proposal_assignment")
                    .col("unit_id")
                    .col("proposal_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_proposal_assignment_proposal")
                    .table("proposal_assignment")
                    .col("proposal_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_reply")
                    .col(pk_uuid("id"))
                    .col(uuid("proposal_id"))
                    .col(uuid("assignment_id"))
                    .col(uuid("unit_id"))
                    .col(integer("round"))
                    .col(string_len("outcome", 1))
                    .col(text("content"))
                    .col(string("contact"))
                    .col(uuid("replied_by"))
                    .col(timestamp_with_time_zone("replied_at"))
                    .foreign_key(&mut fk("proposal_reply", "proposal_id", "proposal"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_proposal_reply_round")
                    .table("proposal_reply")
                    .col("assignment_id")
                    .col("round")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_evaluation")
                    .col(pk_uuid("id"))
                    .col(uuid("proposal_id"))
                    .col(integer("round"))
                    .col(string_len("satisfaction", 24))
                    .col(string_len("communication", 24))
                    .col(string_len("attitude", 24))
                    .col(string_len("implementation", 24))
                    .col(text_null("comment"))
                    .col(uuid("evaluated_by"))
                    .col(timestamp_with_time_zone("evaluated_at"))
                    .foreign_key(&mut fk("proposal_evaluation", "proposal_id", "proposal"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("proposal_event")
                    .col(pk_uuid("id"))
                    .col(uuid("proposal_id"))
                    .col(string_len("action", 32))
                    .col(string_len_null("from_status", 16))
                    .col(string_len_null("to_status", 16))
                    .col(uuid("actor_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("proposal_event", "proposal_id", "proposal"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_proposal_event_proposal")
                    .table("proposal_event")
                    .col("proposal_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "proposal_event",
            "proposal_evaluation",
            "proposal_reply",
            "proposal_assignment",
            "proposal_cosigner",
            "proposal_serial",
            "proposal",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
