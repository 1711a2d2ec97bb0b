use sea_orm::entity::prelude::*;

use crate::BriefingStatus;

/// 情况通报.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    /// 通报单位, e.g. 市政府.
    pub source: String,
    pub category: String,
    /// Date of the briefing meeting.
    pub briefed_at: Option<Date>,
    pub pinned: bool,
    /// 内部: watermarked for readers, no preview text.
    pub confidential: bool,
    pub expires_at: Option<DateTimeUtc>,
    pub status: BriefingStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    /// The audience rules (see `api::briefings::audience`).
    pub audience: Json,
    /// Kept with the attachments, so a feed shows counts without reading them.
    pub attachment_count: i32,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_by: Uuid,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
