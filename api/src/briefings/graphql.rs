//! GraphQL face of briefings.
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::service::{self, BriefingFields, FeedCursor, FeedFilter, ManagedFilter};
use crate::{
    attachments::graphql::{self as attachments, Attachment},
    audience::Audience,
    error::AppError,
    graphql::{
        audience::{AudienceInput, AudienceRules},
        context::{ContextExt, parse_id, to_id},
        loaders::{self, AttachmentsOf, BriefingKey, UserKey},
        pagination::{Page, TotalCount, connection, decode_cursor, page_size},
    },
    members::graphql::User,
};
use entity::{briefing, briefing_event, briefing_recipient};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::BriefingStatus")]
/// 通报状态：草稿、已发布、已撤回
pub enum BriefingStatus {
    Draft,
    Published,
    Withdrawn,
}

/// 情况通报
pub struct Briefing {
    model: briefing::Model,
    receipt: Option<briefing_recipient::Model>,
}

/// 阅读情况
pub struct ReadStats {
    briefing: briefing::Model,
    stats: service::ReadStats,
}

#[Object]
impl ReadStats {
    /// 应读人数
    async fn audience_size(&self) -> u64 {
        self.stats.audience_size
    }
    /// 已读人数
    async fn read_count(&self) -> u64 {
        self.stats.read_count
    }
    /// 阅读率（0–1）
    async fn read_rate(&self) -> f64 {
        if self.stats.audience_size == 0 { 0.0 } else { self.stats.read_count as f64 / self.stats.audience_size as f64 }
    }
    /// 尚未阅读的人，便于督促
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn not_yet_read(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> Result<Page<User>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (ids, total) = service::not_yet_read(&ctx.state()?.db, viewer, &self.briefing, cursor, limit).await?;
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = loaders::load(ctx, UserKey(id)).await? {
                users.push(u);
            }
        }
        Ok(connection(users, limit, total, cursor.is_some(), |u| u.id, User::new))
    }
}

/// 修改记录
#[derive(SimpleObject)]
pub struct BriefingEvent {
    /// CREATED、UPDATED、PUBLISHED、WITHDRAWN
    action: String,
    actor: User,
    at: DateTime<Utc>,
    note: Option<String>,
}

#[Object]
impl Briefing {
    async fn id(&self) -> ID {
        to_id(self.model.id)
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    async fn summary(&self) -> &str {
        &self.model.summary
    }
    /// 正文（Markdown）
    async fn body(&self, ctx: &Context<'_>) -> Result<String> {
        if !self.model.body.is_empty() {
            return Ok(self.model.body.clone());
        }
        // Feed rows come without their bodies.
        Ok(loaders::load(ctx, BriefingKey(self.model.id)).await?.map(|b| b.body).unwrap_or_default())
    }
    /// 通报单位，如“市政府”
    async fn source(&self) -> &str {
        &self.model.source
    }
    async fn category(&self) -> &str {
        &self.model.category
    }
    /// 通报会日期
    async fn briefed_at(&self) -> Option<NaiveDate> {
        self.model.briefed_at
    }
    async fn pinned(&self) -> bool {
        self.model.pinned
    }
    /// 内部通报：无预览文字，阅读时叠加水印
    async fn confidential(&self) -> bool {
        self.model.confidential
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.model.expires_at
    }
    async fn status(&self) -> BriefingStatus {
        self.model.status.into()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.model.published_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }
    /// 通知等处的预览文字；内部通报为 null
    async fn preview_text(&self) -> Option<String> {
        if self.model.confidential {
            return None;
        }
        let text = if self.model.summary.is_empty() { &self.model.body } else { &self.model.summary };
        Some(text.chars().take(80).collect())
    }
    /// 起草人
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::load(ctx, UserKey(self.model.created_by)).await?.map(User::new))
    }
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.model.id).await
    }
    async fn attachment_count(&self) -> i32 {
        self.model.attachment_count
    }
    /// 当前用户是否已读
    async fn is_read(&self) -> bool {
        self.receipt.as_ref().is_some_and(|r| r.read_at.is_some())
    }
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.receipt.as_ref().and_then(|r| r.read_at)
    }
    /// 内部通报的水印文字（姓名+手机尾号），供客户端叠加显示；非内部通报为 null
    async fn watermark(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if !self.model.confidential {
            return Ok(None);
        }
        let viewer = ctx.viewer()?;
        let user = loaders::load(ctx, UserKey(viewer.user_id)).await?;
        Ok(user.map(|u| {
            let tail: String = u.phone.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("{} {}", u.name, tail)
        }))
    }
    /// 通报对象（机关工作人员、管理员）
    async fn audience(&self, ctx: &Context<'_>) -> Result<AudienceRules> {
        let viewer = ctx.viewer()?;
        crate::organizations::access::require(viewer.is_office())?;
        Ok(AudienceRules(Audience::from_json(&self.model.audience)))
    }
    /// 阅读情况（机关工作人员、管理员）
    async fn read_stats(&self, ctx: &Context<'_>) -> Result<ReadStats> {
        let viewer = ctx.viewer()?;
        let stats = service::read_stats(&ctx.state()?.db, viewer, &self.model).await?;
        Ok(ReadStats { briefing: self.model.clone(), stats })
    }
    /// 修改记录：谁、何时、做了什么（机关工作人员、管理员）
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<BriefingEvent>> {
        let viewer = ctx.viewer()?;
        let events: Vec<briefing_event::Model> = service::history(&ctx.state()?.db, viewer, &self.model).await?;
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            let actor = loaders::load(ctx, UserKey(e.actor_id))
                .await?
                .ok_or_else(|| AppError::internal("event without actor"))?;
            out.push(BriefingEvent { action: e.action, actor: User::new(actor), at: e.at, note: e.note });
        }
        Ok(out)
    }
}

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

/// Loads the authors and attachments of a page in one query each, when they are asked for.
async fn prime_edges<'a>(ctx: &Context<'_>, page: impl Iterator<Item = &'a briefing::Model>) -> Result<(), AppError> {
    let node = ctx.look_ahead().field("edges").field("node");
    let page: Vec<&briefing::Model> = page.collect();
    if node.field("author").exists() {
        loaders::prime(ctx, page.iter().map(|b| UserKey(b.created_by))).await?;
    }
    if node.field("attachments").exists() {
        loaders::prime(ctx, page.iter().map(|b| AttachmentsOf(b.id))).await?;
    }
    Ok(())
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
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = after.as_deref().map(FeedCursor::decode).transpose()?;
        let f = filter.unwrap_or_default();
        let filter =
            FeedFilter { unread_only: f.unread_only, category: f.category, source: f.source, search: f.search };
        let db = &ctx.state()?.db;
        let page = service::feed(db, viewer, &filter, cursor, limit).await?;
        prime_edges(ctx, page.rows.iter().map(|(_, b)| b)).await?;
        let total = if wants_total(ctx) { service::feed_total(db, viewer, &filter).await? } else { 0 };
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
        let viewer = ctx.viewer()?;
        let (model, receipt) = service::visible(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?;
        Ok(Briefing { model, receipt })
    }

    /// 未读通报数（角标）
    async fn unread_briefing_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let viewer = ctx.viewer()?;
        Ok(service::unread_count(&ctx.state()?.db, viewer).await?)
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
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = ManagedFilter { status: f.status.map(Into::into), category: f.category, search: f.search };
        let (rows, total) = service::managed_list(&ctx.state()?.db, viewer, &filter, cursor, limit).await?;
        prime_edges(ctx, rows.iter()).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |b| b.id, |model| Briefing { model, receipt: None }))
    }
}

#[derive(InputObject)]
pub struct CreateBriefingInput {
    pub title: String,
    #[graphql(default)]
    pub summary: String,
    /// Markdown
    #[graphql(default)]
    pub body: String,
    /// 通报单位，如“市政府”“市纪委监委”
    pub source: String,
    /// 默认“综合”
    pub category: Option<String>,
    pub briefed_at: Option<NaiveDate>,
    pub audience: AudienceInput,
    #[graphql(default)]
    pub pinned: bool,
    #[graphql(default)]
    pub confidential: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// 已上传附件（用途 BRIEFING）的 id，按显示顺序
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
}

/// 省略的字段保持不变；briefedAt、expiresAt 显式传 null 则清空；attachmentIds 给出时整体替换
#[derive(InputObject)]
pub struct UpdateBriefingInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub briefed_at: MaybeUndefined<NaiveDate>,
    pub audience: Option<AudienceInput>,
    pub pinned: Option<bool>,
    pub confidential: Option<bool>,
    pub expires_at: MaybeUndefined<DateTime<Utc>>,
    pub attachment_ids: Option<Vec<ID>>,
}

#[derive(SimpleObject)]
pub struct DeletedBriefing {
    pub id: ID,
}

#[derive(Default)]
pub struct BriefingMutation;

#[Object]
impl BriefingMutation {
    /// 起草通报（机关工作人员、管理员），返回草稿
    async fn create_briefing(&self, ctx: &Context<'_>, input: CreateBriefingInput) -> Result<Briefing> {
        let viewer = ctx.viewer()?;
        let fields = BriefingFields {
            title: Some(input.title),
            summary: Some(input.summary),
            body: Some(input.body),
            source: Some(input.source),
            category: input.category,
            briefed_at: Some(input.briefed_at),
            audience: Some(input.audience.into_audience()?),
            pinned: Some(input.pinned),
            confidential: Some(input.confidential),
            expires_at: Some(input.expires_at),
            attachments: Some(attachments::list(ctx, &input.attachment_ids)?),
        };
        let model = service::create(&ctx.state()?.db, viewer, fields).await?;
        Ok(Briefing { model, receipt: None })
    }

    /// 修改通报；已发布的通报修改后重新审查内容并更新通报对象
    async fn update_briefing(&self, ctx: &Context<'_>, id: ID, input: UpdateBriefingInput) -> Result<Briefing> {
        let viewer = ctx.viewer()?;
        let fields = BriefingFields {
            title: input.title,
            summary: input.summary,
            body: input.body,
            source: input.source,
            category: input.category,
            briefed_at: input.briefed_at.into(),
            audience: input.audience.map(AudienceInput::into_audience).transpose()?,
            pinned: input.pinned,
            confidential: input.confidential,
            expires_at: input.expires_at.into(),
            attachments: attachments::list_opt(ctx, input.attachment_ids.as_deref())?,
        };
        let model = service::update(&ctx.state()?.db, viewer, parse_id(&id, "id")?, fields).await?;
        Ok(Briefing { model, receipt: None })
    }

    /// 发布：先审查标题、摘要、正文中的违规推广内容，命中则拒绝并指出片段
    async fn publish_briefing(&self, ctx: &Context<'_>, id: ID) -> Result<Briefing> {
        let viewer = ctx.viewer()?;
        let model = service::publish(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?;
        Ok(Briefing { model, receipt: None })
    }

    /// 撤回：从所有人的列表中消失，阅读记录保留
    async fn withdraw_briefing(&self, ctx: &Context<'_>, id: ID, reason: Option<String>) -> Result<Briefing> {
        let viewer = ctx.viewer()?;
        let model = service::withdraw(&ctx.state()?.db, viewer, parse_id(&id, "id")?, reason).await?;
        Ok(Briefing { model, receipt: None })
    }

    /// 删除草稿
    async fn delete_briefing(&self, ctx: &Context<'_>, id: ID) -> Result<DeletedBriefing> {
        let viewer = ctx.viewer()?;
        let id = service::delete(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?;
        Ok(DeletedBriefing { id: to_id(id) })
    }

    /// 标记已读（重复调用保留首次阅读时间）
    async fn mark_briefing_read(&self, ctx: &Context<'_>, id: ID) -> Result<Briefing> {
        let viewer = ctx.viewer()?;
        let (model, receipt) = service::mark_read(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?;
        Ok(Briefing { model, receipt: Some(receipt) })
    }
}
