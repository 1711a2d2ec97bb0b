use sea_orm::entity::prelude::*;

use crate::{AssignmentRole, AssignmentStatus};

/// A handling unit's assignment (交办) with its role and deadline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_assignment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub proposal_id: Uuid,
    pub unit_id: Uuid,
    pub role: AssignmentRole,
    pub deadline: DateTimeUtc,
    /// Set by the office; otherwise the default three months run from acknowledgement (签收).
    pub deadline_fixed: bool,
    pub status: AssignmentStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    /// The handling round it must answer in.
    pub round: i32,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub reassign_reason: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
