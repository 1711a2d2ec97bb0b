//! Commendations (issue 15 item 4): 表彰 an organization records for a proposal, a piece of
//! information, a handling unit, a person or an organization in its reach.
//!
//! `subject_id` has no foreign key: it points at one of five tables, named by
//! `subject_kind`. The same honour for the same subject in the same year is recorded once
//! (unique index), so a double tap or a second clerk makes no duplicate.
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
                    .table("commendation")
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(integer("year"))
                    .col(string_len("awarded_by", 100))
                    .col(string_len("level", 16))
                    .col(string_len("title", 200))
                    .col(string_len("subject_kind", 16))
                    .col(uuid("subject_id"))
                    .col(string_len("subject_name", 300))
                    .col(uuid("recorded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk_cascade("commendation", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_commendation_once")
                    .table("commendation")
                    .col("organization_id")
                    .col("year")
                    .col("subject_kind")
                    .col("subject_id")
                    .col("title")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("commendation").to_owned()).await
    }
}
