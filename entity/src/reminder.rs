use sea_orm::entity::prelude::*;

/// A reminder that was fired: the claim that keeps it from firing twice, whichever process
/// runs the scheduler and however often it restarts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder")]
pub struct Model {
    /// VISIT_TOMORROW, DEADLINE_NEAR, OVERDUE.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The visit, or the proposal assignment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject_id: Uuid,
    /// China date of the visit's start or of the assignment's deadline.
    #[sea_orm(primary_key, auto_increment = false)]
    pub due_on: Date,
    pub organization_id: Uuid,
    pub fired_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
