//! The notification inbox (issue 14), fed from the outbox by the dispatcher.
//!
//! - `notification`: one row per person per domain event that concerns them. The key is
//!   (user, event): a person is notified of an event at most once, whatever happens to the
//!   dispatcher, and the event's UUIDv7 orders the inbox. Rows are written set-based
//!   (`INSERT … SELECT` over the audience), so no id is made per row in Rust.
//! - `notification_preference`: per person and kind, whether it also reaches the phone as
//!   a push (the inbox keeps everything). No row means the default (push).
//!
//! Events written before this migration are marked dispatched: a first start must not
//! flood every inbox with a year of history.
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk_cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("notification")
                    .col(uuid("user_id"))
                    // The outbox event it comes from (UUIDv7: the inbox's order and its cursor).
                    .col(uuid("event_id"))
                    // The event's organization: the inbox shows the active organization's.
                    .col(uuid("organization_id"))
                    // BRIEFING_PUBLISHED, PROPOSAL_REGISTERED, …
                    .col(string_len("kind", 48))
                    .col(string_len("title", 300))
                    .col(text_null("body"))
                    // briefing, proposal, suggestion, visit
                    .col(string_len("subject_type", 32))
                    .col(uuid("subject_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .primary_key(Index::create().col("user_id").col("event_id"))
                    .foreign_key(&mut fk_cascade("notification", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notification_inbox")
                    .table("notification")
                    .col("user_id")
                    .col("organization_id")
                    .col("event_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notification_preference")
                    .col(uuid("user_id"))
                    .col(string_len("kind", 48))
                    .col(boolean("push"))
                    .primary_key(Index::create().col("user_id").col("kind"))
                    .foreign_key(&mut fk_cascade("notification_preference", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        let history = Query::update()
            .table("outbox")
            .value("dispatched_at", Expr::col("occurred_at"))
            .and_where(Expr::col("dispatched_at").is_null())
            .to_owned();
        manager.exec_stmt(history).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("notification_preference").to_owned()).await?;
        manager.drop_table(Table::drop().table("notification").to_owned()).await?;
        Ok(())
    }
}
