//! What members and the office read: a member's own pieces with their feedback, one piece,
//! the office's list, its bulletin issues and the year's figures.
use async_graphql::{Context, ID, InputObject, Object, Result};

use super::types::{BulletinIssue, Suggestion, SuggestionStats, SuggestionStatus};
use crate::{
    graphql::{
        context::{ContextExt, parse_id, principal},
        enums::OrganizationLevel,
        pagination::{Page, connection, decode_cursor, page_size},
    },
    suggestions::{
        policy,
        service::{self, Filter},
    },
};

#[derive(InputObject, Default)]
pub struct SuggestionFilter {
    pub status: Option<SuggestionStatus>,
    pub category: Option<String>,
    pub year: Option<i32>,
    /// 在标题和正文中查找
    pub search: Option<String>,
    /// 被哪一级采用
    pub adopted_level: Option<OrganizationLevel>,
    /// true 只看下级报送来的，false 只看本级委员的
    pub incoming: Option<bool>,
}

#[derive(Default)]
pub struct SuggestionQuery;

#[Object]
impl SuggestionQuery {
    /// 我的社情民意信息（报送的和联名的），新的在前，含处理反馈
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn my_suggestions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Suggestion>> {
        let who = principal(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (rows, total) = service::mine(&ctx.state()?.db, who, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |s| s.id, Suggestion))
    }

    async fn suggestion(&self, ctx: &Context<'_>, id: ID) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        Ok(Suggestion(policy::load_readable(&ctx.state()?.db, who, parse_id(&id, "id")?).await?))
    }

    /// 本组织收到的全部社情民意信息（机关），含下级报送来的
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn suggestions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SuggestionFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Suggestion>> {
        let who = principal(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            status: f.status.map(Into::into),
            category: f.category,
            year: f.year,
            search: f.search,
            adopted_level: f.adopted_level.map(Into::into),
            incoming: f.incoming,
        };
        let (rows, total) = service::list(&ctx.state()?.db, who, &filter, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |s| s.id, Suggestion))
    }

    /// 期刊列表（机关）
    async fn bulletin_issues(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<Vec<BulletinIssue>> {
        let who = principal(ctx).await?;
        Ok(service::bulletins(&ctx.state()?.db, who, year).await?.into_iter().map(BulletinIssue).collect())
    }

    /// 社情民意信息全年统计（机关）；年份默认今年
    async fn suggestion_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<SuggestionStats> {
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let stats = service::stats(&ctx.state()?.db, principal(ctx).await?, year).await?;
        SuggestionStats::load(ctx, year, stats).await
    }
}
