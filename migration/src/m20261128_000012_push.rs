//! The push outbox (issue 14): phones are reached when the app is closed.
//!
//! - `push_token`: a device's vendor token, registered by one session. A token is unique:
//!   the phone that signs in as someone else keeps its token, which then moves to the new
//!   session. The session id ties it to the login: logout removes it.
//! - `push_delivery`: one row per notification per device, written by the dispatcher in the
//!   transaction that writes the notifications, then worked off by the sender (status,
//!   attempts, back-off). The key (event, token) means a device gets at most one push per
//!   event. It keeps the token's id, not the token: the sender reads the token when it
//!   sends, so a token removed or moved to another person since is not pushed to.
//! - `ix_notification_event`: the dispatcher reads an event's notification rows to queue
//!   their pushes.
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
                    .table("push_token")
                    .col(uuid("id").primary_key())
                    .col(uuid("user_id"))
                    // The Redis session that registered it (sessions are not database rows).
                    .col(string_len("session_id", 64))
                    // ANDROID, IOS, HARMONY
                    .col(string_len("platform", 16))
                    .col(string_len("token", 512))
                    .col(timestamp_with_time_zone("created_at"))
                    // Apps register at every start: the last time this one did.
                    .col(timestamp_with_time_zone("registered_at"))
                    // The last push the vendor accepted for it.
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .foreign_key(&mut fk_cascade("push_token", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ux_push_token_token").table("push_token").col("token").unique().to_owned(),
            )
            .await?;
        // The dispatcher joins a notification's user to their tokens.
        manager
            .create_index(Index::create().name("ix_push_token_user").table("push_token").col("user_id").to_owned())
            .await?;
        // Logout removes the session's tokens.
        manager
            .create_index(
                Index::create().name("ix_push_token_session").table("push_token").col("session_id").to_owned(),
            )
            .await?;

        // The dispatcher queues an event's pushes from its notification rows: without this
        // index that is a scan of every notification ever written (the key leads with the
        // user).
        manager
            .create_index(
                Index::create().name("ix_notification_event").table("notification").col("event_id").to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("push_delivery")
                    // The outbox event, which is also the notification's id.
                    .col(uuid("event_id"))
                    .col(uuid("token_id"))
                    .col(uuid("user_id"))
                    .col(string_len("platform", 16))
                    .col(string_len("title", 300))
                    .col(text_null("body"))
                    // PENDING, SENT, FAILED, DROPPED
                    .col(string_len("status", 16))
                    .col(integer("attempts").default(0))
                    // When it is due; while a sender holds it, the end of its lease.
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(string_len_null("last_error", 500))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .primary_key(Index::create().col("event_id").col("token_id"))
                    .foreign_key(&mut fk_cascade("push_delivery", "user_id", "app_user"))
                    .to_owned(),
            )
            .await?;
        // The sender's claim: pending rows that are due, the earliest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_push_delivery_due")
                    .table("push_delivery")
                    .col("status")
                    .col("next_attempt_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("push_delivery").to_owned()).await?;
        manager.drop_index(Index::drop().name("ix_notification_event").table("notification").to_owned()).await?;
        manager.drop_table(Table::drop().table("push_token").to_owned()).await?;
        Ok(())
    }
}
