use sea_orm::entity::prelude::*;

use crate::{CommendationSubjectKind, OrganizationLevel};

/// 表彰: an honour one organization records for a record or a person in its reach.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "commendation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The organization that records (and lists) it.
    pub organization_id: Uuid,
    pub year: i32,
    /// 表彰单位, e.g. “省政协”.
    pub awarded_by: String,
    /// The level of the awarding body.
    pub level: OrganizationLevel,
    pub title: String,
    pub subject_kind: CommendationSubjectKind,
    pub subject_id: Uuid,
    /// The subject's name or title when it was recorded: the honour reads as awarded.
    pub subject_name: String,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
