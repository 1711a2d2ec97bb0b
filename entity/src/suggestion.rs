use sea_orm::entity::prelude::*;

use crate::SuggestionStatus;

/// 社情民意信息: a short piece a member submits from the phone.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "suggestion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub content: String,
    pub category: String,
    pub status: SuggestionStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    pub submitted_by: Uuid,
    /// Submitted by a convener in the sector's name.
    pub sector_id: Option<Uuid>,
    /// Authors' names are not shown outside the author list and their office.
    pub anonymous_to_public: bool,
    pub decline_reason: Option<String>,
    pub merged_into_id: Option<Uuid>,
    pub source_suggestion_id: Option<Uuid>,
    pub source_organization_id: Option<Uuid>,
    /// When it was received: the business date statistics count by (entered later, the
    /// day it was phoned in or handed over, not the day it was typed).
    pub submitted_at: DateTimeUtc,
    /// When the office took it in (采编); none before.
    pub accepted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
