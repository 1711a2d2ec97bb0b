//! Public-opinion information (社情民意信息): pieces submitted by members, their authors,
//! the bulletins they are edited into, where they were reported, where they were adopted,
//! and their timeline.
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
                    .table("suggestion")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("title"))
                    .col(text("content"))
                    .col(string("category"))
                    .col(string_len("status", 16))
                    .col(uuid("submitted_by"))
                    .col(uuid_null("sector_id"))
                    .col(boolean("anonymous_to_public").default(false))
                    .col(json("attachments"))
                    .col(string_len_null("idempotency_key", 100))
                    .col(text_null("decline_reason"))
                    .col(uuid_null("merged_into_id"))
                    // An incoming copy of a piece reported by a lower committee (上下联动).
                    .col(uuid_null("source_suggestion_id"))
                    .col(uuid_null("source_organization_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("suggestion", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_suggestion_idempotency")
                    .table("suggestion")
                    .col("submitted_by")
                    .col("idempotency_key")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suggestion_org")
                    .table("suggestion")
                    .col("organization_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("suggestion_author")
                    .col(uuid("suggestion_id"))
                    .col(uuid("user_id"))
                    .col(integer("position"))
                    .primary_key(Index::create().col("suggestion_id").col("user_id"))
                    .foreign_key(&mut fk("suggestion_author", "suggestion_id", "suggestion"))
                    .foreign_key(&mut fk("suggestion_author", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_suggestion_author_user").table("suggestion_author").col("user_id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("bulletin_issue")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(integer("year"))
                    .col(integer("number"))
                    .col(string("title"))
                    .col(string_len("status", 16))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("bulletin_issue", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_bulletin_issue_number")
                    .table("bulletin_issue")
                    .col("organization_id")
                    .col("year")
                    .col("number")
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("bulletin_item")
                    .col(uuid("issue_id"))
                    .col(uuid_uniq("suggestion_id"))
                    .col(integer("position"))
                    .col(string("edited_title"))
                    .col(text("edited_content"))
                    .primary_key(Index::create().col("issue_id").col("suggestion_id"))
                    .foreign_key(&mut fk("bulletin_item", "issue_id", "bulletin_issue"))
                    .foreign_key(&mut fk("bulletin_item", "suggestion_id", "suggestion"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("suggestion_report")
                    .col(pk_uuid("id"))
                    .col(uuid("suggestion_id"))
                    .col(uuid_null("recipient_organization_id"))
                    .col(string("recipient_name"))
                    .col(uuid_null("forwarded_suggestion_id"))
                    .col(uuid("reported_by"))
                    .col(timestamp_with_time_zone("reported_at"))
                    .foreign_key(&mut fk("suggestion_report", "suggestion_id", "suggestion"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suggestion_report_suggestion")
                    .table("suggestion_report")
                    .col("suggestion_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("suggestion_adoption")
                    .col(pk_uuid("id"))
                    .col(uuid("suggestion_id"))
                    .col(string_len("level", 16))
                    .col(string_len("form", 16))
                    .col(string("adopted_by"))
                    .col(date("adopted_at"))
                    .col(text_null("instruction"))
                    .col(string_null("instructed_by"))
                    .col(uuid_null("origin_adoption_id"))
                    .col(uuid("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .foreign_key(&mut fk("suggestion_adoption", "suggestion_id", "suggestion"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suggestion_adoption_suggestion")
                    .table("suggestion_adoption")
                    .col("suggestion_id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("suggestion_event")
                    .col(pk_uuid("id"))
                    .col(uuid("suggestion_id"))
                    .col(string_len("action", 32))
                    .col(uuid("actor_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("suggestion_event", "suggestion_id", "suggestion"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suggestion_event_suggestion")
                    .table("suggestion_event")
                    .col("suggestion_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "suggestion_event",
            "suggestion_adoption",
            "suggestion_report",
            "bulletin_item",
            "bulletin_issue",
            "suggestion_author",
            "suggestion",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
