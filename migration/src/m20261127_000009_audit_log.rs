//! The audit log: who did what to which records, from where, when, and how it ended —
//! every mutation by the office, handling units and admins, every sign-in event, every
//! refusal for want of permission or for too many requests. Append-only; no passwords,
//! tokens or full phone numbers ever reach it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    // UUIDv7: entries sort in the order they were written.
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(uuid_null("user_id"))
                    .col(uuid_null("organization_id"))
                    .col(string_len_null("role", 16))
                    // The GraphQL operation (field) or HTTP step, e.g. registerProposal, login.
                    .col(string_len("operation", 64))
                    // The ids the request named (records acted on).
                    .col(json("targets"))
                    .col(string_len("client_ip", 64))
                    // OK, or the error code the client received.
                    .col(string_len("outcome", 32))
                    // A masked phone for sign-in events; nothing else free-form.
                    .col(string_len_null("detail", 64))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in
            [("ix_audit_log_org", &["organization_id", "id"][..]), ("ix_audit_log_user", &["user_id", "id"][..])]
        {
            let mut index = Index::create();
            index.name(name).table("audit_log");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("audit_log").to_owned()).await?;
        Ok(())
    }
}
