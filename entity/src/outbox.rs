use sea_orm::entity::prelude::*;

/// A domain event, written in the transaction of the step it tells about; consumers
/// (notifications, live updates, the audit log) read it afterwards.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// UUIDv7: events sort in the order they were written.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub subject_type: String,
    pub subject_id: Uuid,
    pub kind: String,
    pub actor_id: Uuid,
    pub payload: Json,
    pub occurred_at: DateTimeUtc,
    pub dispatched_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
