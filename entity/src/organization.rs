use sea_orm::entity::prelude::*;

use crate::{OrganizationLevel, ProposalNumbering};

/// 政协组织: one committee, the tenant every record belongs to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub short_name: Option<String>,
    pub level: OrganizationLevel,
    pub parent_id: Option<Uuid>,
    /// "/<root id>/…/<own id>/": the ancestors in order, itself last.
    pub path: String,
    pub region: Option<String>,
    /// 立案号 per year (default) or per plenary session.
    pub proposal_numbering: ProposalNumbering,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Whether `other` is this organization or one of its descendants.
    pub fn contains(&self, other: &Model) -> bool {
        other.path.starts_with(&self.path)
    }
}
