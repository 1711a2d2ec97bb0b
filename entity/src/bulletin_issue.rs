use sea_orm::entity::prelude::*;

use crate::BulletinStatus;

/// One numbered issue (期) of the organization's public-opinion bulletin.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bulletin_issue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub year: i32,
    /// 期号, unique per organization and year.
    pub number: i32,
    pub title: String,
    pub status: BulletinStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    pub published_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
