use sea_orm::entity::prelude::*;

/// The timeline of a suggestion, which its submitter sees as feedback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suggestion_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub action: String,
    /// The record's status before and after the step (none for steps that keep it).
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor_id: Uuid,
    pub at: DateTimeUtc,
    /// When the step was typed in, for a step entered later (代录); none for a live step.
    pub recorded_at: Option<DateTimeUtc>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
