use sea_orm::entity::prelude::*;

/// The push service a device token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PushPlatform {
    /// Android (FCM, or a Chinese vendor channel through 个推/极光)
    #[sea_orm(string_value = "ANDROID")]
    Android,
    /// iOS (APNs)
    #[sea_orm(string_value = "IOS")]
    Ios,
    /// HarmonyOS (Push Kit)
    #[sea_orm(string_value = "HARMONY")]
    Harmony,
}

/// A device's push token, registered by one login session; removed when it ends.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_token")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub session_id: String,
    pub platform: PushPlatform,
    /// The vendor's token: unique, never logged whole.
    pub token: String,
    pub created_at: DateTimeUtc,
    pub registered_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
