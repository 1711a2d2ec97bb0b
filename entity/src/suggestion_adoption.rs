use sea_orm::entity::prelude::*;

use crate::{AdoptionForm, OrganizationLevel};

/// 采用: a level took the piece up, possibly with a leader's written instruction (批示).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suggestion_adoption")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub level: OrganizationLevel,
    pub form: AdoptionForm,
    /// The body that adopted it, e.g. 全国政协办公厅.
    pub adopted_by: String,
    pub adopted_at: Date,
    pub instruction: Option<String>,
    pub instructed_by: Option<String>,
    /// Set on the copy that an adoption above left on the original below.
    pub origin_adoption_id: Option<Uuid>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
