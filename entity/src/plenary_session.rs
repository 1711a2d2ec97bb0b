use sea_orm::entity::prelude::*;

/// 届次会议: a plenary session of one organization, e.g. 十二届三次会议 (term 12, number 3),
/// held over China dates `starts_on..=ends_on`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plenary_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// 届
    pub term: i32,
    /// 次
    pub number: i32,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The last registration number given to a proposal of this session (when the
    /// organization numbers per session).
    pub last_serial: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
