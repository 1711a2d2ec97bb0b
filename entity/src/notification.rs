use sea_orm::entity::prelude::*;

/// One person's notice of one domain event (their inbox). Written by the dispatcher only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The outbox event (UUIDv7): the notification's id as the viewer sees it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    pub organization_id: Uuid,
    pub kind: String,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    pub subject_type: String,
    pub subject_id: Uuid,
    pub created_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
