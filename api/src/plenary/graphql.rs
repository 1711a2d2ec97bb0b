//! GraphQL face of plenary sessions: thin resolvers over `service`.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::service::{self, SessionFields};
use crate::{
    error::AppError,
    graphql::{
        context::{ContextExt, actor, parse_id, to_id},
        loaders::{self, OrganizationKey},
    },
    organizations::graphql::Organization,
};
use entity::plenary_session;

/// 立案号的编号方式
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::ProposalNumbering")]
pub enum ProposalNumbering {
    /// 按年度连续编号（默认）
    PerYear,
    /// 大会期间提交的按届次会议编号，闭会期间的按年度编号
    PerSession,
}

/// 届次会议，如“十二届三次会议”
pub struct PlenarySession(pub plenary_session::Model);

#[Object]
impl PlenarySession {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// 届
    async fn term(&self) -> i32 {
        self.0.term
    }
    /// 次
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 开幕日期（北京时间）
    async fn starts_on(&self) -> NaiveDate {
        self.0.starts_on
    }
    /// 闭幕日期（北京时间，含当日）
    async fn ends_on(&self) -> NaiveDate {
        self.0.ends_on
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let found = loaders::load(ctx, OrganizationKey(self.0.organization_id)).await?;
        Ok(Organization(found.ok_or_else(|| AppError::internal("session without organization"))?))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct PlenarySessionInput {
    /// 默认为当前登录所在组织（仅新建时）
    pub organization_id: Option<ID>,
    /// 届，如 12
    pub term: i32,
    /// 次，如 3
    pub number: i32,
    /// 默认“十二届三次会议”
    pub name: Option<String>,
    /// 开幕日期（北京时间）
    pub starts_on: NaiveDate,
    /// 闭幕日期（北京时间，含当日；不早于开幕日期）
    pub ends_on: NaiveDate,
}

impl PlenarySessionInput {
    fn fields(self) -> SessionFields {
        SessionFields {
            term: self.term,
            number: self.number,
            name: self.name,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        }
    }
}

#[derive(Default)]
pub struct PlenaryQuery;

#[Object]
impl PlenaryQuery {
    /// 某政协组织的届次会议（默认当前组织），新的在前
    async fn plenary_sessions(&self, ctx: &Context<'_>, organization_id: Option<ID>) -> Result<Vec<PlenarySession>> {
        let actor = actor(ctx).await?;
        let org = organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?;
        let rows = service::list(&ctx.state()?.db, actor, org).await?;
        Ok(rows.into_iter().map(PlenarySession).collect())
    }
}

#[derive(Default)]
pub struct PlenaryMutation;

#[Object]
impl PlenaryMutation {
    /// 新建届次会议（本组织机关工作人员、管理员）；会期不得与本组织其他会议重叠
    async fn create_plenary_session(&self, ctx: &Context<'_>, input: PlenarySessionInput) -> Result<PlenarySession> {
        let actor = actor(ctx).await?;
        let org = input.organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?;
        Ok(PlenarySession(service::create(&ctx.state()?.db, actor, org, input.fields()).await?))
    }

    /// 更正届次会议；已提交的提案仍属于提交时所在的会议
    async fn update_plenary_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PlenarySessionInput,
    ) -> Result<PlenarySession> {
        let actor = actor(ctx).await?;
        if input.organization_id.is_some() {
            return Err(AppError::bad_input("organizationId", "届次会议不能改属其他组织").into());
        }
        let id = parse_id(&id, "id")?;
        Ok(PlenarySession(service::update(&ctx.state()?.db, actor, id, input.fields()).await?))
    }
}
