use sea_orm::entity::prelude::*;

/// A file attached to a briefing (metadata; the file itself is served by its URL).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing_attachment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub briefing_id: Uuid,
    pub position: i32,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub url: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
