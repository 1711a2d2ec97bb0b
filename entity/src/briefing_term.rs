use sea_orm::entity::prelude::*;

/// Search index: one row per distinct character bigram of a briefing's text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing_term")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub term: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub briefing_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
