use sea_orm::entity::prelude::*;

/// Where a suggestion was reported (报送): a committee above, or a named local body.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "suggestion_report")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub suggestion_id: Uuid,
    pub recipient_organization_id: Option<Uuid>,
    pub recipient_name: String,
    /// The incoming copy in the recipient organization, when it lives in this deployment.
    pub forwarded_suggestion_id: Option<Uuid>,
    pub reported_by: Uuid,
    pub reported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
