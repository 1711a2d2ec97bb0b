//! Briefings (情况通报): the briefing, its attachments, its recipients (the audience made
//! concrete at publication, which also holds the read receipts), the search index and the
//! change history.
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
                    .table("briefing")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("title"))
                    .col(text("summary"))
                    .col(text("body"))
                    .col(string("source"))
                    .col(string("category"))
                    .col(date_null("briefed_at"))
                    .col(boolean("pinned").default(false))
                    .col(boolean("confidential").default(false))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(string_len("status", 16))
                    // The audience rules as JSON: {everyone, standingCommittee, sectorIds, parties, userIds}.
                    .col(json("audience"))
                    .col(integer("attachment_count").default(0))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(uuid("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .foreign_key(&mut fk("briefing", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_briefing_org_status")
                    .table("briefing")
                    .col("organization_id")
                    .col("status")
                    .col("id")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("briefing_attachment")
                    .col(pk_uuid("id"))
                    .col(uuid("briefing_id"))
                    .col(integer("position"))
                    .col(string("name"))
                    .col(string("content_type"))
                    .col(big_integer("size"))
                    .col(text("url"))
                    .foreign_key(&mut fk("briefing_attachment", "briefing_id", "briefing"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_briefing_attachment_briefing")
                    .table("briefing_attachment")
                    .col("briefing_id")
                    .col("position")
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("briefing_recipient")
                    .col(uuid("briefing_id"))
                    .col(uuid("user_id"))
                    .col(uuid("organization_id"))
                    // Copies of the briefing's ordering keys and visibility (active,
                    // pinned, published_at, expires_at), so the feed is one index range
                    // scan per viewer with no join.
                    .col(boolean("active"))
                    .col(boolean("pinned"))
                    .col(timestamp_with_time_zone("published_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .primary_key(Index::create().col("briefing_id").col("user_id"))
                    .foreign_key(&mut fk("briefing_recipient", "briefing_id", "briefing"))
                    .foreign_key(&mut fk("briefing_recipient", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_briefing_recipient_feed")
                    .table("briefing_recipient")
                    .col("user_id")
                    .col("organization_id")
                    .col("active")
                    .col("pinned")
                    .col("published_at")
                    .col("briefing_id")
                    .to_owned(),
            )
            .await?;

        // The unread badge counts a person's unread, live receipts: a partial index keeps
        // that an index-only count however many briefings they have read.
        manager
            .create_index(
                Index::create()
                    .name("ix_briefing_recipient_unread")
                    .table("briefing_recipient")
                    .col("user_id")
                    .col("organization_id")
                    .col("expires_at")
                    .cond_where(Expr::col("active").and(Expr::col("read_at").is_null()))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("briefing_term")
                    .col(string_len("term", 16))
                    .col(uuid("briefing_id"))
                    .primary_key(Index::create().col("term").col("briefing_id"))
                    .foreign_key(&mut fk("briefing_term", "briefing_id", "briefing"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_briefing_term_briefing").table("briefing_term").col("briefing_id").to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("briefing_event")
                    .col(pk_uuid("id"))
                    .col(uuid("briefing_id"))
                    .col(string_len("action", 16))
                    .col(uuid("actor_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(text_null("note"))
                    .foreign_key(&mut fk("briefing_event", "briefing_id", "briefing"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_briefing_event_briefing")
                    .table("briefing_event")
                    .col("briefing_id")
                    .col("at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["briefing_event", "briefing_term", "briefing_recipient", "briefing_attachment", "briefing"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
