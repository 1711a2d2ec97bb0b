//! Visits (视察调研、交流考察、接待来访): the visit, its agenda, the organizations invited to
//! a joint inspection, the participants (sign-up, waiting list, leave, attendance), the
//! outcomes it led to, and its history.
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
                    .table("visit")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string_len("kind", 32))
                    .col(string("title"))
                    .col(text("topic"))
                    .col(string("place"))
                    .col(string_null("counterpart"))
                    .col(string_null("counterpart_region"))
                    .col(timestamp_with_time_zone("starts_at"))
                    .col(timestamp_with_time_zone("ends_at"))
                    .col(integer_null("capacity"))
                    // Confirmed places taken: the guard of the capacity under concurrency.
                    .col(integer("confirmed_count").default(0))
                    .col(timestamp_with_time_zone_null("signup_deadline"))
                    .col(json("audience"))
                    .col(integer("guest_count").default(0))
                    .col(string_len("status", 16))
                    .col(text_null("cancel_reason"))
                    .col(text_null("report_summary"))
                    .col(text_null("report_findings"))
                    .col(text_null("report_suggestions"))
                    .col(uuid_null("reported_by"))
                    .col(timestamp_with_time_zone_null("reported_at"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("visit", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_visit_org_starts")
                    .table("visit")
                    .col("organization_id")
                    .col("starts_at")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("visit_agenda_item")
                    .col(pk_uuid("id"))
                    .col(uuid("visit_id"))
                    .col(integer("position"))
                    .col(timestamp_with_time_zone_null("starts_at"))
                    .col(string("title"))
                    .col(string_null("place"))
                    .foreign_key(&mut fk("visit_agenda_item", "visit_id", "visit"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_visit_agenda_visit")
                    .table("visit_agenda_item")
                    .col("visit_id")
                    .col("position")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("visit_invitation")
                    .col(uuid("visit_id"))
                    .col(uuid("organization_id"))
                    .primary_key(Index::create().col("visit_id").col("organization_id"))
                    .foreign_key(&mut fk("visit_invitation", "visit_id", "visit"))
                    .foreign_key(&mut fk("visit_invitation", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_visit_invitation_org")
                    .table("visit_invitation")
                    .col("organization_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("visit_participant")
                    .col(uuid("visit_id"))
                    .col(uuid("user_id"))
                    .col(uuid("organization_id"))
                    .col(string_len("status", 16))
                    .col(text_null("leave_reason"))
                    .col(boolean_null("attended"))
                    .col(timestamp_with_time_zone("signed_up_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("visit_id").col("user_id"))
                    .foreign_key(&mut fk("visit_participant", "visit_id", "visit"))
                    .foreign_key(&mut fk("visit_participant", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_visit_participant_user").table("visit_participant").col("user_id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("visit_outcome")
                    .col(pk_uuid("id"))
                    .col(uuid("visit_id"))
                    .col(string_len("kind", 16))
                    .col(uuid_null("ref_id"))
                    .col(string("title"))
                    .col(uuid("linked_by"))
                    .col(timestamp_with_time_zone("linked_at"))
                    .foreign_key(&mut fk("visit_outcome", "visit_id", "visit"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("visit_event")
                    .col(pk_uuid("id"))
                    .col(uuid("visit_id"))
                    .col(string_len("action", 32))
                    .col(uuid("actor_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("visit_event", "visit_id", "visit"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_visit_event_visit").table("visit_event").col("visit_id").col("at").to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            ["visit_event", "visit_outcome", "visit_participant", "visit_invitation", "visit_agenda_item", "visit"]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
