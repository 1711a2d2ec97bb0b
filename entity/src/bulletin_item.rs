use sea_orm::entity::prelude::*;

/// A suggestion as edited into a bulletin issue (the member's original stays as it was).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulletin_item")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub issue_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub suggestion_id: Uuid,
    pub position: i32,
    pub edited_title: String,
    pub edited_content: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
