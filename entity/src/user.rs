use sea_orm::entity::prelude::*;

use crate::UserStatus;

/// 用户: a person who logs in with phone and password.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub phone: String,
    pub name: String,
    /// PHC string (argon2id); never leaves the server.
    pub password_hash: String,
    pub status: UserStatus,
    /// Set for generated one-time passwords: the app asks the user to choose a new one.
    pub must_change_password: bool,
    pub password_changed_at: DateTimeUtc,
    /// The organization whose office created the account: it looks after the account
    /// until the account joins one.
    pub created_in_organization_id: Option<Uuid>,
    /// The organization of the account's last membership, once that ended: its admins (and
    /// those above) look after an account that belongs nowhere.
    pub left_organization_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
