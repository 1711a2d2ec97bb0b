//! What the app and the office read about proposals.
use async_graphql::{Context, ID, Object, Result};

use super::types::{Proposal, ProposalFilter, ProposalStats, UnitCounts, named};
use crate::{
    auth::principal::Principal,
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id},
        loaders::{self, HandlingUnitKey},
        pagination::{Page, connection, decode_cursor, page_size},
    },
    organizations::graphql::HandlingUnit,
    proposals::service::{self, Filter},
};

/// The request's principal, as the proposal rules take it.
pub(super) async fn who<'a>(ctx: &'a Context<'_>) -> Result<&'a Principal, AppError> {
    crate::graphql::context::principal(ctx).await
}

#[derive(Default)]
pub struct ProposalQuery;

#[Object]
impl ProposalQuery {
    /// 我的提案（含草稿和联名的），新的在前
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn my_proposals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Proposal>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (rows, total) = service::mine(&ctx.state()?.db, viewer, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |p| p.id, Proposal))
    }

    /// 等我答复的联名邀请
    async fn co_sign_invitations(&self, ctx: &Context<'_>) -> Result<Vec<Proposal>> {
        let viewer = ctx.viewer()?;
        Ok(service::invitations(&ctx.state()?.db, viewer).await?.into_iter().map(Proposal).collect())
    }

    async fn proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::visible(&ctx.state()?.db, who, parse_id(&id, "id")?).await?))
    }

    /// 提案列表：机关看全部（草稿除外），承办单位只看交办给本单位的
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProposalFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Proposal>> {
        let who = who(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            status: f.status.map(Into::into),
            kind: f.kind.map(Into::into),
            category: f.category,
            year: f.year,
            key: f.key,
            unit_id: f.unit_id.as_ref().map(|u| parse_id(u, "filter.unitId")).transpose()?,
            overdue: f.overdue,
            search: f.search,
            session_id: f.session_id.as_ref().map(|s| parse_id(s, "filter.sessionId")).transpose()?,
        };
        let (rows, total) = service::list(&ctx.state()?.db, who, &filter, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |p| p.id, Proposal))
    }

    /// 提案全年统计（机关）；年份默认今年
    async fn proposal_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<ProposalStats> {
        let viewer = ctx.viewer()?;
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let s = service::stats(&ctx.state()?.db, viewer, year).await?;
        let mut by_unit = Vec::with_capacity(s.by_unit.len());
        for (unit, assigned, replied) in s.by_unit {
            let unit = loaders::load(ctx, HandlingUnitKey(unit)).await?.map(HandlingUnit);
            by_unit.push(UnitCounts { unit, assigned, replied });
        }
        Ok(ProposalStats {
            year,
            submitted: s.submitted,
            registered: s.registered,
            not_registered: s.not_registered,
            merged: s.merged,
            withdrawn: s.withdrawn,
            by_kind: named(s.by_kind),
            by_category: named(s.by_category),
            by_unit,
            key: s.key,
            outcomes: named(s.outcomes),
            satisfaction: named(s.satisfaction),
            evaluated: s.evaluated,
            satisfaction_rate: s.satisfaction_rate,
            overdue: s.overdue,
        })
    }
}
