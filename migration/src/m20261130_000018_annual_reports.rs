//! Annual reports (issue 15): the figures are computed from the records on every request,
//! so only the office's decision to show a year's report to the members is stored — one
//! row per organization and year (unique), written by `publishAnnualReport`.
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
                    .table("annual_report")
                    .col(uuid("id").primary_key())
                    .col(uuid("organization_id"))
                    .col(integer("year"))
                    .col(uuid("published_by"))
                    .col(timestamp_with_time_zone("published_at"))
                    .foreign_key(&mut fk_cascade("annual_report", "organization_id", "organization"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_annual_report_once")
                    .table("annual_report")
                    .col("organization_id")
                    .col("year")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("annual_report").to_owned()).await
    }
}
