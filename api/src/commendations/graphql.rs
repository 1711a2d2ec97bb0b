//! GraphQL face of commendations: thin resolvers over `service`.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, NewCommendation};
use crate::{
    error::AppError,
    graphql::{
        context::{ContextExt, actor, parse_id, to_id},
        enums::OrganizationLevel,
        loaders::{self, OrganizationKey},
    },
    organizations::graphql::Organization,
};
use entity::commendation;

/// 表彰对象的种类
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::CommendationSubjectKind")]
pub enum CommendationSubjectKind {
    /// 提案
    Proposal,
    /// 社情民意信息
    Suggestion,
    /// 承办单位
    HandlingUnit,
    /// 个人（用户）
    User,
    /// 政协组织
    Organization,
}

/// 表彰
pub struct Commendation(pub commendation::Model);

#[Object]
impl Commendation {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 表彰单位
    async fn awarded_by(&self) -> &str {
        &self.0.awarded_by
    }
    /// 表彰单位的级别
    async fn level(&self) -> OrganizationLevel {
        self.0.level.into()
    }
    /// 表彰名称，如“优秀提案”
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn subject_kind(&self) -> CommendationSubjectKind {
        self.0.subject_kind.into()
    }
    async fn subject_id(&self) -> ID {
        to_id(self.0.subject_id)
    }
    /// 表彰对象的名称（登记时的案由、标题或姓名）
    async fn subject_name(&self) -> &str {
        &self.0.subject_name
    }
    /// 登记表彰的政协组织
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let found = loaders::load(ctx, OrganizationKey(self.0.organization_id)).await?;
        Ok(Organization(found.ok_or_else(|| AppError::internal("commendation without organization"))?))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// 表彰对象：种类和 ID，恰好一个
#[derive(InputObject)]
pub struct CommendationSubjectInput {
    pub kind: CommendationSubjectKind,
    pub id: ID,
}

#[derive(InputObject)]
pub struct RecordCommendationInput {
    /// 默认为当前登录所在组织
    pub organization_id: Option<ID>,
    /// 表彰年度（北京时间，不晚于今年）
    pub year: i32,
    /// 表彰单位，如“全国政协”
    pub awarded_by: String,
    /// 表彰单位的级别
    pub level: OrganizationLevel,
    /// 表彰名称，如“优秀提案”
    pub title: String,
    /// 表彰对象（须为本组织或下级组织的）
    pub subject: CommendationSubjectInput,
}

#[derive(SimpleObject)]
pub struct DeletedCommendation {
    pub id: ID,
}

#[derive(Default)]
pub struct CommendationQuery;

#[Object]
impl CommendationQuery {
    /// 某年度的表彰（默认当前组织；委员可看本组织的）
    async fn commendations(
        &self,
        ctx: &Context<'_>,
        year: i32,
        organization_id: Option<ID>,
        subject_kind: Option<CommendationSubjectKind>,
    ) -> Result<Vec<Commendation>> {
        let actor = actor(ctx).await?;
        let org = organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?;
        let rows = service::list(&ctx.state()?.db, actor, year, org, subject_kind.map(Into::into)).await?;
        Ok(rows.into_iter().map(Commendation).collect())
    }
}

#[derive(Default)]
pub struct CommendationMutation;

#[Object]
impl CommendationMutation {
    /// 登记表彰（机关工作人员、管理员）
    async fn record_commendation(&self, ctx: &Context<'_>, input: RecordCommendationInput) -> Result<Commendation> {
        let actor = actor(ctx).await?;
        let new = NewCommendation {
            organization_id: input.organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?,
            year: input.year,
            awarded_by: input.awarded_by,
            level: input.level.into(),
            title: input.title,
            subject_kind: input.subject.kind.into(),
            subject_id: parse_id(&input.subject.id, "subject.id")?,
        };
        Ok(Commendation(service::record(&ctx.state()?.db, actor, new).await?))
    }

    /// 删除误登记的表彰
    async fn delete_commendation(&self, ctx: &Context<'_>, id: ID) -> Result<DeletedCommendation> {
        let actor = actor(ctx).await?;
        let id = service::delete(&ctx.state()?.db, actor, parse_id(&id, "id")?).await?;
        Ok(DeletedCommendation { id: to_id(id) })
    }
}
