//! Attachments as uploaded files. One table for every kind of record: the file's metadata,
//! where its bytes live in the object store (content hash plus id), who uploaded it, and the
//! record it is linked to (none while it waits to be linked; `deleted_at` once its record
//! let go of it, until the purge removes the bytes).
//!
//! The attachment lists before this were metadata only (a name and a link the client
//! supplied); no file of ours stood behind them, so they are dropped rather than carried over.
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("attachment")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    // What it was uploaded for: BRIEFING, PROPOSAL, PROPOSAL_REPLY, SUGGESTION, VISIT_REPORT.
                    .col(string_len("purpose", 32))
                    .col(string("file_name"))
                    .col(string_len("content_type", 128))
                    .col(big_integer("size"))
                    // SHA-256 of the stored bytes, hex.
                    .col(string_len("checksum", 64))
                    .col(string("storage_key"))
                    .col(string_null("preview_key"))
                    .col(integer_null("width"))
                    .col(integer_null("height"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    // Set on the copy a record's copy gets (a piece reported upwards): its
                    // uploader is then the record's business, shown by the record's own rules.
                    .col(uuid_null("copied_from_id"))
                    .col(uuid_null("owner_id"))
                    .col(integer("position").default(0))
                    .col(timestamp_with_time_zone_null("linked_at"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .foreign_key(&mut fk("attachment", "organization_id", "organization", ForeignKeyAction::Cascade))
                    .foreign_key(&mut fk("attachment", "created_by", "app_user", ForeignKeyAction::Cascade))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_attachment_owner", &["owner_id", "position"][..]),
            ("ix_attachment_created", &["created_at"][..]),
            ("ix_attachment_deleted", &["deleted_at"][..]),
            ("ix_attachment_storage_key", &["storage_key"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("attachment");
            for col in cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager.drop_table(Table::drop().table("briefing_attachment").to_owned()).await?;
        for table in ["suggestion", "proposal"] {
            manager.alter_table(Table::alter().table(table).drop_column("attachments").to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["suggestion", "proposal"] {
            manager
                .alter_table(Table::alter().table(table).add_column(json("attachments").default("[]")).to_owned())
                .await?;
        }
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
                    .foreign_key(&mut crate::common::fk_cascade("briefing_attachment", "briefing_id", "briefing"))
                    .to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table("attachment").to_owned()).await?;
        Ok(())
    }
}
