use sea_orm::entity::prelude::*;

/// What a visit led to: a proposal or a piece of public-opinion information.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_outcome")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub visit_id: Uuid,
    /// PROPOSAL or SUGGESTION.
    pub kind: String,
    pub ref_id: Option<Uuid>,
    pub title: String,
    pub linked_by: Uuid,
    pub linked_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
