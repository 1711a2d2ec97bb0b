use sea_orm::entity::prelude::*;

use crate::Satisfaction;

/// The proposer's evaluation of the handling.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_evaluation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub round: i32,
    pub satisfaction: Satisfaction,
    /// 与提案人沟通联系.
    pub communication: Satisfaction,
    /// 办理态度.
    pub attitude: Satisfaction,
    /// 落实情况.
    pub implementation: Satisfaction,
    pub comment: Option<String>,
    pub evaluated_by: Uuid,
    pub evaluated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
