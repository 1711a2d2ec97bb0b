use sea_orm::entity::prelude::*;

use crate::ReplyOutcome;

/// A unit's reply (答复), once per assignment and round.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_reply")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub assignment_id: Uuid,
    pub unit_id: Uuid,
    pub round: i32,
    pub outcome: ReplyOutcome,
    pub content: String,
    pub contact: String,
    pub replied_by: Uuid,
    pub replied_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
