//! What members and the office read: the feed, one briefing, the badge, the office's list.
use std::collections::{HashMap, HashSet};

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::Utc;
use uuid::Uuid;

use super::types::{Briefing, BriefingStatus};
use crate::{
    briefings::{
        kept::PeopleCache,
        policy,
        service::{self, FeedCursor, FeedFilter, FeedPage, ManagedFilter},
    },
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id, principal},
        loaders::{self, AttachmentsOf, UserKey},
        pagination::{Page, TotalCount, connection, decode_cursor, page_size},
    },
};
use entity::briefing;

#[derive(InputObject, Default)]
pub struct BriefingFeedFilter {
    /// 只看未读
    #[graphql(default)]
    pub unread_only: bool,
    pub category: Option<String>,
    pub source: Option<String>,
    /// 在标题、摘要和正文中查找（支持中文任意子串）
    pub search: Option<String>,
}

#[derive(InputObject, Default)]
pub struct ManagedBriefingFilter {
    pub status: Option<BriefingStatus>,
    pub category: Option<String>,
    /// 按标题查找
    pub search: Option<String>,
}

#[derive(Default)]
pub struct BriefingQuery;

/// Loads the authors and attachments of a page in one query each, when they are asked for;
/// the authors kept in the process (`people`, the member's feed) cost no query.
async fn prime_edges<'a>(
    ctx: &Context<'_>,
    page: impl Iterator<Item = &'a briefing::Model>,
    people: Option<&PeopleCache>,
) -> Result<(), AppError> {
    let node = ctx.look_ahead().field("edges").field("node");
    let page: Vec<&briefing::Model> = page.collect();
    if node.field("author").exists() {
        let authors = page.iter().map(|b| b.created_by);
        match people {
            Some(kept) => prime_kept_authors(ctx, kept, authors).await?,
            None => loaders::prime(ctx, authors.map(UserKey)).await?,
        }
    }
    if node.field("attachments").exists() {
        loaders::prime(ctx, page.iter().map(|b| AttachmentsOf(b.id))).await?;
    }
    Ok(())
}

/// The authors kept in the process go straight into the request's DataLoader; the others
/// are loaded in one query, and kept unless a `People` signal came meanwhile.
async fn prime_kept_authors(
    ctx: &Context<'_>,
    people: &PeopleCache,
    ids: impl Iterator<Item = Uuid>,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut known = HashMap::new();
    let mut missing = Vec::new();
    for id in ids.collect::<HashSet<Uuid>>() {
        match people.get(id, Uuid::nil(), &(), now) {
            Ok(model) => {
                known.insert(UserKey(id), model);
            }
            Err(ticket) => missing.push((id, ticket)),
        }
    }
    let loaded = loaders::primed(ctx, missing.iter().map(|(id, _)| UserKey(*id))).await?;
    for (id, ticket) in missing {
        if let (Some(ticket), Some(model)) = (ticket, loaded.get(&UserKey(id))) {
            // Kept for as long as the process runs: without the password hash, which no
            // author field shows and which has no business in a long-lived cache.
            let kept = entity::user::Model { password_hash: String::new(), ..model.clone() };
            people.put(ticket, id, Uuid::nil(), (), kept, None);
        }
    }
    loaders::feed(ctx, known).await
}

/// Whether the client asked for `totalCount` (counting costs a query).
fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

#[Object]
impl BriefingQuery {
    /// 我的通报：发给我的已发布通报，置顶在前，再按发布时间从新到旧
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn briefings(
        &self,
        ctx: &Context<'_>,
        filter: Option<BriefingFeedFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Briefing>> {
        // The feed and the badge count stay on the token's facts (`Viewer`): loading the
        // principal would cost two queries more on the hottest read path
        // (`briefings::feed_costs_a_fixed_number_of_queries`), and they obtain no record
        // by id, only the viewer's own receipts.
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = after.as_deref().map(FeedCursor::decode).transpose()?;
        let f = filter.unwrap_or_default();
        let filter =
            FeedFilter { unread_only: f.unread_only, category: f.category, source: f.source, search: f.search };
        let state = ctx.state()?;
        let db = &state.db;
        let wants_total = wants_total(ctx);
        // The phone's feed screen (the first page, at most "unread only", no count) is what
        // the process keeps; anything narrower or further goes to the database.
        let first_page = cursor.is_none()
            && !wants_total
            && filter.category.is_none()
            && filter.source.is_none()
            && filter.search.is_none();
        let page = if first_page {
            let kept =
                service::first_page_kept(db, &state.live.kept().feeds, viewer, filter.unread_only, limit).await?;
            FeedPage::clone(&kept)
        } else {
            service::feed(db, viewer, &filter, cursor, limit).await?
        };
        // The authors are kept with the pages: a page read past the cache reads them too.
        let people = first_page.then_some(&state.live.kept().people);
        prime_edges(ctx, page.rows.iter().map(|(_, b)| b), people).await?;
        let total = if wants_total { service::feed_total(db, viewer, &filter).await? } else { 0 };
        let mut out = Page::with_additional_fields(cursor.is_some(), page.has_next, TotalCount { total_count: total });
        out.edges.extend(page.rows.into_iter().map(|(receipt, model)| {
            async_graphql::connection::Edge::new(
                FeedCursor::of(&receipt).encode(),
                Briefing { model, receipt: Some(receipt) },
            )
        }));
        Ok(out)
    }

    /// 查看一则通报；不在通报对象中的人得到 NOT_FOUND
    async fn briefing(&self, ctx: &Context<'_>, id: ID) -> Result<Briefing> {
        let who = principal(ctx).await?;
        let (model, receipt) = policy::visible(&ctx.state()?.db, who, parse_id(&id, "id")?).await?;
        Ok(Briefing { model, receipt })
    }

    /// 未读通报数（角标）
    async fn unread_briefing_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        Ok(service::unread_count_kept(&state.db, &state.live.kept().badges, viewer).await?)
    }

    /// 本组织全部通报，含草稿（机关工作人员、管理员），新的在前
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn managed_briefings(
        &self,
        ctx: &Context<'_>,
        filter: Option<ManagedBriefingFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Briefing>> {
        let who = principal(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = ManagedFilter { status: f.status.map(Into::into), category: f.category, search: f.search };
        let (rows, total) = service::managed_list(&ctx.state()?.db, who, &filter, cursor, limit).await?;
        prime_edges(ctx, rows.iter(), None).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |b| b.id, |model| Briefing { model, receipt: None }))
    }
}
