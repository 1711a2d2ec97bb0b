use sea_orm::entity::prelude::*;

/// The history of a visit: who did what, when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub visit_id: Uuid,
    pub action: String,
    /// The record's status before and after the step (none for steps that keep it).
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor_id: Uuid,
    pub at: DateTimeUtc,
    /// When the step was typed in, for a step entered later (代录); none for a live step.
    pub recorded_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    /// The person a participant's step concerns (sign-up, leave, …).
    pub participant_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
