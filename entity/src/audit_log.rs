use sea_orm::entity::prelude::*;

/// One line of the audit log (append-only).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub user_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub role: Option<String>,
    pub operation: String,
    /// The ids the request named.
    pub targets: Json,
    pub client_ip: String,
    /// OK, or the error code the client received.
    pub outcome: String,
    /// A masked phone for sign-in events.
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
