//! GraphQL faces of audience rules (`crate::audience`), shared by briefings and visits.
use async_graphql::{Context, ID, InputObject, Object, Result};
use sea_orm::ActiveEnum;

use crate::{
    audience::Audience,
    error::AppError,
    graphql::{
        context::parse_ids,
        enums::Party,
        loaders::{self, SectorKey, UserKey},
    },
    members::graphql::User,
    organizations::graphql::Sector,
};

/// 对象范围：全体、常委、界别、党派、指定人员（取并集）
pub struct AudienceRules(pub Audience);

#[Object]
impl AudienceRules {
    /// 全体（委员与机关，不含承办单位账号）
    async fn everyone(&self) -> bool {
        self.0.everyone
    }
    /// 常委
    async fn standing_committee(&self) -> bool {
        self.0.standing_committee
    }
    async fn sectors(&self, ctx: &Context<'_>) -> Result<Vec<Sector>> {
        let mut out = Vec::new();
        for id in &self.0.sector_ids {
            if let Some(s) = loaders::load(ctx, SectorKey(*id)).await? {
                out.push(Sector(s));
            }
        }
        Ok(out)
    }
    async fn parties(&self) -> Vec<Party> {
        self.0.parties().into_iter().map(Into::into).collect()
    }
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let mut out = Vec::new();
        for id in &self.0.user_ids {
            if let Some(u) = loaders::load(ctx, UserKey(*id)).await? {
                out.push(User::new(u));
            }
        }
        Ok(out)
    }
}

/// 对象范围，各项取并集
#[derive(InputObject, Default)]
pub struct AudienceInput {
    #[graphql(default)]
    pub everyone: bool,
    #[graphql(default)]
    pub standing_committee: bool,
    #[graphql(default)]
    pub sector_ids: Vec<ID>,
    #[graphql(default)]
    pub parties: Vec<Party>,
    /// 指定人员（用户 ID）
    #[graphql(default)]
    pub user_ids: Vec<ID>,
}

impl AudienceInput {
    pub fn into_audience(self) -> Result<Audience, AppError> {
        Ok(Audience {
            everyone: self.everyone,
            standing_committee: self.standing_committee,
            sector_ids: parse_ids(&self.sector_ids, "audience.sectorIds")?,
            parties: self.parties.into_iter().map(|p| entity::Party::from(p).to_value()).collect(),
            user_ids: parse_ids(&self.user_ids, "audience.userIds")?,
        })
    }
}
