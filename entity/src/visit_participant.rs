use sea_orm::entity::prelude::*;

use crate::ParticipantStatus;

/// A person signed up for a visit: confirmed, waiting, on leave or cancelled; attended or not.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_participant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub visit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The organization the person signed up from (a joint inspection has several).
    pub organization_id: Uuid,
    pub status: ParticipantStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    pub leave_reason: Option<String>,
    pub attended: Option<bool>,
    pub signed_up_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
