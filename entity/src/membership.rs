use sea_orm::entity::prelude::*;

use crate::{Office, Party, Role};

/// 委员身份/岗位: a user's role in one organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "membership")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub role: Role,
    pub sector_id: Option<Uuid>,
    pub party: Option<Party>,
    pub standing_committee: bool,
    pub office: Option<Office>,
    /// 届, e.g. 14 for the fourteenth committee.
    pub term: Option<i32>,
    /// For UNIT memberships: the handling unit this operator answers for.
    pub handling_unit_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
