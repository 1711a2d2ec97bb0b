//! Duty records (issue 15): the weights of the duty score (履职得分), one row per
//! organization, set by its office. No row: the defaults in `api::duty::weights`.
//!
//! Whole points (a weight may be negative, e.g. a leave that costs a point): the score is
//! read aloud at a meeting and compared, so it stays a plain sum anyone can redo by hand.
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::fk_cascade;

#[derive(DeriveMigrationName)]
pub struct Migration;

const WEIGHTS: [&str; 13] = [
    "proposal_led",
    "proposal_cosigned",
    "proposal_registered",
    "proposal_key",
    "piece_submitted",
    "adopted_national",
    "adopted_provincial",
    "adopted_municipal",
    "adopted_county",
    "visit_attended",
    "visit_leave",
    "briefing_read_rate",
    "commendation",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table.table("duty_score_weights").col(uuid("organization_id").primary_key());
        for name in WEIGHTS {
            table.col(integer(name));
        }
        table.col(uuid("updated_by")).col(timestamp_with_time_zone("updated_at")).foreign_key(&mut fk_cascade(
            "duty_score_weights",
            "organization_id",
            "organization",
        ));
        manager.create_table(table.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("duty_score_weights").to_owned()).await
    }
}
