use sea_orm::entity::prelude::*;

use crate::AttachmentPurpose;

/// An uploaded file. The bytes live in the object store under `storage_key`; a record owns
/// it once linked (`owner_id`, ordered by `position`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub purpose: AttachmentPurpose,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub checksum: String,
    pub storage_key: String,
    pub preview_key: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// The attachment this one copies (for a copy of a record).
    pub copied_from_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub position: i32,
    pub linked_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
