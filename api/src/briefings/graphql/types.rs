//! The briefing as the schema shows it: to its readers, and to its office (audience, read
//! figures, history).
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    attachments::graphql::{self as attachments, Attachment},
    audience::Audience,
    briefings::service,
    error::AppError,
    graphql::{
        audience::AudienceRules,
        context::{ContextExt, principal, to_id},
        loaders::{self, BriefingKey, UserKey},
        pagination::{Page, connection, decode_cursor, page_size},
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
    pub(super) model: briefing::Model,
    pub(super) receipt: Option<briefing_recipient::Model>,
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
        let who = principal(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (ids, total) = service::not_yet_read(&ctx.state()?.db, who, &self.briefing, cursor, limit).await?;
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
        let stats = service::read_stats(&ctx.state()?.db, principal(ctx).await?, &self.model).await?;
        Ok(ReadStats { briefing: self.model.clone(), stats })
    }
    /// 修改记录：谁、何时、做了什么（机关工作人员、管理员）
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<BriefingEvent>> {
        let events: Vec<briefing_event::Model> =
            service::history(&ctx.state()?.db, principal(ctx).await?, &self.model).await?;
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
