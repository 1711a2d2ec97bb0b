use sea_orm::entity::prelude::*;

/// One person in a published briefing's audience, with their read receipt. `active`,
/// `pinned`, `published_at` and `expires_at` copy the briefing's, so the feed is one index scan.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "briefing_recipient")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub briefing_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub active: bool,
    pub pinned: bool,
    pub published_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(belongs_to = "super::briefing::Entity", from = "Column::BriefingId", to = "super::briefing::Column::Id")]
    Briefing,
}

impl Related<super::briefing::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Briefing.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
