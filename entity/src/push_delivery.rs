use sea_orm::entity::prelude::*;

use crate::push_token::PushPlatform;

/// Where a push delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PushStatus {
    /// Waiting for its (next) attempt at `next_attempt_at`.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The vendor accepted it.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Every attempt failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Not to be sent: the token is invalid, gone, or its session has ended.
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

/// One notification on its way to one device (the push outbox).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_delivery")]
pub struct Model {
    /// The outbox event, also the notification's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub platform: PushPlatform,
    pub title: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub body: Option<String>,
    pub status: PushStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
