//! GraphQL faces of the stored enumerations (the `entity` crate knows nothing of GraphQL).
use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::OrganizationLevel")]
/// 政协组织级别
pub enum OrganizationLevel {
    National,
    Provincial,
    Municipal,
    County,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::Role")]
/// 角色：委员、机关工作人员、承办单位、管理员
pub enum Role {
    Member,
    Staff,
    Unit,
    Admin,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::Party")]
/// 党派：中国共产党、八个民主党派、无党派人士
pub enum Party {
    /// 中国共产党
    Cpc,
    /// 民革
    Rcck,
    /// 民盟
    Cdl,
    /// 民建
    Cndca,
    /// 民进
    Capd,
    /// 农工党
    Cpwdp,
    /// 致公党
    Czgp,
    /// 九三学社
    Js,
    /// 台盟
    Tdsgl,
    /// 无党派人士
    NonParty,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::Office")]
/// 职务
pub enum Office {
    /// 主席
    Chair,
    /// 副主席
    ViceChair,
    /// 秘书长
    SecretaryGeneral,
    /// 副秘书长
    DeputySecretaryGeneral,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::UserStatus")]
pub enum UserStatus {
    Active,
    Disabled,
}
