//! `auditLog` for admins.
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::Filter;
use crate::graphql::{
    context::{ContextExt, parse_id, to_id},
    loaders::{self, UserKey},
    pagination::{Page, connection, decode_cursor, page_size},
};
use crate::members::graphql::User;
use entity::audit_log;

/// 审计日志的一条：谁、在哪个组织、做了什么、涉及哪些记录、从哪里、何时、结果如何
pub struct AuditEntry(audit_log::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// 操作人；登录失败等尚不知是谁时为 null
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.user_id else { return Ok(None) };
        Ok(loaders::load(ctx, UserKey(id)).await?.map(User::new))
    }
    async fn organization_id(&self) -> Option<ID> {
        self.0.organization_id.map(to_id)
    }
    async fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    /// 操作，如 registerProposal、login
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// 请求中给出的记录 ID
    async fn targets(&self) -> Vec<ID> {
        self.0.targets.as_array().into_iter().flatten().filter_map(|v| v.as_str()).map(|s| ID(s.to_owned())).collect()
    }
    async fn client_ip(&self) -> &str {
        &self.0.client_ip
    }
    /// OK，或返回给客户端的错误代码
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    /// 登录时的手机号（已脱敏）
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
}

#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    pub user_id: Option<ID>,
    pub operation: Option<String>,
    /// OK 或错误代码
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// 审计日志（管理员）：本组织及下级组织，新的在前
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditLogFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<AuditEntry>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            user_id: f.user_id.as_ref().map(|u| parse_id(u, "filter.userId")).transpose()?,
            operation: f.operation,
            outcome: f.outcome,
            from: f.from,
            to: f.to,
        };
        let (rows, total) = super::list(&ctx.state()?.db, viewer, &filter, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |e| e.id, AuditEntry))
    }
}
