//! `notifications`, `unreadNotificationCount`, `markNotificationsRead`,
//! `markAllNotificationsRead`, `notificationPreferences`, `setNotificationPreference`.
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::service;
use crate::graphql::{
    context::{ContextExt, parse_ids, to_id},
    pagination::{Page, connection, decode_cursor, page_size},
};
use entity::notification;

/// 通知链接的对象类型
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum NotificationSubject {
    Briefing,
    Proposal,
    Suggestion,
    Visit,
}

/// 一条通知：来自某一业务事件，只属于收件人本人。`id` 是该事件的 ID（同一事件发给多人时，各人的通知 id 相同，但每人只看得到自己的）
pub struct Notification(pub notification::Model);

#[Object]
impl Notification {
    async fn id(&self) -> ID {
        to_id(self.0.event_id)
    }
    /// 通知种类，如 BRIEFING_PUBLISHED、PROPOSAL_REGISTERED（见 notificationPreferences）
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 简短正文；涉密通报没有正文
    async fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }
    async fn subject_type(&self) -> Option<NotificationSubject> {
        match self.0.subject_type.as_str() {
            "briefing" => Some(NotificationSubject::Briefing),
            "proposal" => Some(NotificationSubject::Proposal),
            "suggestion" => Some(NotificationSubject::Suggestion),
            "visit" => Some(NotificationSubject::Visit),
            _ => None,
        }
    }
    /// 链接对象（通报、提案、社情民意信息、活动）的 ID
    async fn subject_id(&self) -> ID {
        to_id(self.0.subject_id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// 已读时间；未读为 null
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }
}

/// 一种通知是否推送到手机（收件箱总是保留）
#[derive(SimpleObject)]
pub struct NotificationPreference {
    pub kind: String,
    /// 种类名称，如“提案立案”
    pub name: String,
    pub push: bool,
}

/// 标记已读后的结果：改了几条，以及角标
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct NotificationsRead {
    /// 本次由未读变为已读的条数
    pub marked: u64,
    /// 标记后的未读通知数（角标）
    pub unread_notification_count: u64,
}

#[async_graphql::ComplexObject]
impl NotificationsRead {
    /// 查询根：在这里选 `unreadNotificationCount` 等根字段，规范化缓存会写回根查询
    async fn query(&self) -> crate::graphql::QueryRoot {
        crate::graphql::QueryRoot::default()
    }
}

#[derive(Default)]
pub struct NotificationQuery;

#[Object]
impl NotificationQuery {
    /// 我的通知（当前组织），新的在前；unreadOnly 为 true 时只列未读
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        unread_only: Option<bool>,
    ) -> Result<Page<Notification>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (rows, total) =
            service::list(&ctx.state()?.db, viewer, unread_only.unwrap_or(false), cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |n| n.event_id, Notification))
    }

    /// 我的未读通知数（当前组织；角标）
    async fn unread_notification_count(&self, ctx: &Context<'_>) -> Result<u64> {
        let viewer = ctx.viewer()?;
        Ok(service::unread_count(&ctx.state()?.db, viewer).await?)
    }

    /// 每种通知是否推送到手机
    async fn notification_preferences(&self, ctx: &Context<'_>) -> Result<Vec<NotificationPreference>> {
        let viewer = ctx.viewer()?;
        let all = service::preferences(&ctx.state()?.db, viewer.user_id).await?;
        Ok(all
            .into_iter()
            .map(|(kind, name, push)| NotificationPreference { kind: kind.into(), name: name.into(), push })
            .collect())
    }
}

#[derive(Default)]
pub struct NotificationMutation;

#[Object]
impl NotificationMutation {
    /// 把我的这些通知标为已读；任一 id 不是我在当前组织的通知则 NOT_FOUND，且什么都不改
    async fn mark_notifications_read(&self, ctx: &Context<'_>, ids: Vec<ID>) -> Result<NotificationsRead> {
        let viewer = ctx.viewer()?;
        let ids = parse_ids(&ids, "ids")?;
        let db = &ctx.state()?.db;
        let marked = service::mark_read(db, viewer, &ids).await?;
        crate::live::badge_moved(ctx.state()?, viewer.user_id).await;
        let unread_notification_count = service::unread_count(db, viewer).await?;
        Ok(NotificationsRead { marked, unread_notification_count })
    }

    /// 把我在当前组织的通知全部标为已读
    async fn mark_all_notifications_read(&self, ctx: &Context<'_>) -> Result<NotificationsRead> {
        let viewer = ctx.viewer()?;
        let db = &ctx.state()?.db;
        let marked = service::mark_all_read(db, viewer).await?;
        crate::live::badge_moved(ctx.state()?, viewer.user_id).await;
        let unread_notification_count = service::unread_count(db, viewer).await?;
        Ok(NotificationsRead { marked, unread_notification_count })
    }

    /// 设置一种通知是否推送到手机（收件箱总是保留）
    async fn set_notification_preference(
        &self,
        ctx: &Context<'_>,
        kind: String,
        push: bool,
    ) -> Result<NotificationPreference> {
        let viewer = ctx.viewer()?;
        let name = service::set_preference(&ctx.state()?.db, viewer.user_id, &kind, push).await?;
        // The answer is what this request wrote, not a read after it: with a second change
        // of the same kind at once (a double tap), a read could show the other's value.
        Ok(NotificationPreference { kind, name: name.into(), push })
    }
}
