//! What members and the office read about visits.
use async_graphql::{Context, ID, Object, Result, connection::Edge};

use super::types::{Visit, VisitKind, VisitKindFigures, VisitListFilter, VisitStats};
use crate::{
    graphql::{
        context::{ContextExt, parse_id, principal},
        pagination::{Page, TotalCount, decode_cursor, encode_cursor, page_size},
    },
    visits::{
        policy,
        service::{self, VisitFilter},
    },
};

#[derive(Default)]
pub struct VisitQuery;

#[Object]
impl VisitQuery {
    /// 活动列表：按开始时间从新到旧
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        filter: Option<VisitListFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Visit>> {
        let who = principal(ctx).await?;
        let limit = usize::try_from(page_size(first)?).unwrap_or(100);
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = VisitFilter { kind: f.kind.map(Into::into), upcoming: f.upcoming, mine: f.mine, year: f.year };
        let (mut rows, total) = service::list(&ctx.state()?.db, who, &filter, cursor, limit).await?;
        let has_next = rows.len() > limit;
        rows.truncate(limit);
        let mut page = Page::with_additional_fields(cursor.is_some(), has_next, TotalCount { total_count: total });
        page.edges.extend(rows.into_iter().map(|a| Edge::new(encode_cursor(a.visit.id), Visit::from(a))));
        Ok(page)
    }

    async fn visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        let who = principal(ctx).await?;
        Ok(policy::access(&ctx.state()?.db, who, parse_id(&id, "id")?).await?.into())
    }

    /// 全年视察调研、交流考察统计（机关）；年份默认今年
    async fn visit_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<VisitStats> {
        let who = principal(ctx).await?;
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let figures = service::stats(&ctx.state()?.db, who, year).await?;
        let row = |kind: Option<VisitKind>, f: service::KindFigures| VisitKindFigures {
            kind,
            batches: f.batches,
            person_times: f.person_times,
            members: f.members,
        };
        Ok(VisitStats {
            year,
            by_kind: figures.by_kind.into_iter().map(|(k, f)| row(Some(k.into()), f)).collect(),
            total: row(None, figures.total),
        })
    }
}
