//! The audit log (issue 12): an append-only record of who did what to which records, from
//! where, when, and how it ended. Every request passes through `record` after it ran; which
//! of its steps are kept is decided by `trail::audited` (every mutation by the office,
//! units and admins, every sign-in event, every refusal for permission or for too many
//! requests). Admins read it with `auditLog`, for their organization and those below.
pub mod graphql;
pub mod trail;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    error::{AppResult, ErrorCode},
    organizations::access::require,
    paging,
};
use entity::{Role, audit_log, organization};

/// Who sent a request, as far as it is known.
#[derive(Debug, Clone)]
pub struct Sender {
    pub viewer: Option<Viewer>,
    pub client_ip: String,
}

impl Sender {
    fn office(&self) -> bool {
        self.viewer.as_ref().is_some_and(|v| matches!(v.role, Role::Staff | Role::Admin | Role::Unit))
    }
}

/// Writes the steps of one request worth keeping. An audit write that fails is logged and
/// does not fail the request, which has already happened.
pub async fn record(
    db: &impl ConnectionTrait,
    sender: &Sender,
    query: &str,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
    errors: &[async_graphql::ServerError],
) {
    let steps = trail::audited(query, operation_name, variables, errors, sender.office());
    if let Err(e) = write(db, sender, steps).await {
        tracing::warn!(error = %e, "audit log write failed");
    }
}

/// Records a refusal made before the schema ran (a bad token, a rate limit at the door).
pub async fn refusal(db: &impl ConnectionTrait, sender: &Sender, operation: &str, code: ErrorCode) {
    let step = trail::Step {
        operation: operation.to_owned(),
        targets: Vec::new(),
        outcome: code.as_str().to_owned(),
        detail: None,
    };
    if let Err(e) = write(db, sender, vec![step]).await {
        tracing::warn!(error = %e, "audit log write failed");
    }
}

async fn write(db: &impl ConnectionTrait, sender: &Sender, steps: Vec<trail::Step>) -> AppResult<()> {
    if steps.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let v = sender.viewer.as_ref();
    let rows = steps.into_iter().map(|s| audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(now),
        user_id: Set(v.map(|v| v.user_id)),
        organization_id: Set(v.map(|v| v.organization_id)),
        role: Set(v.map(|v| sea_orm::ActiveEnum::to_value(&v.role))),
        operation: Set(s.operation.chars().take(64).collect()),
        targets: Set(serde_json::json!(s.targets)),
        client_ip: Set(sender.client_ip.chars().take(64).collect()),
        outcome: Set(s.outcome.chars().take(32).collect()),
        detail: Set(s.detail),
    });
    audit_log::Entity::insert_many(rows).exec_without_returning(db).await?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub user_id: Option<Uuid>,
    pub operation: Option<String>,
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// The log as an admin may read it: entries made in their organization and those below,
/// newest first; a root organization's admins also see entries made without one (sign-in
/// attempts before anyone is known).
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    f: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<audit_log::Model>, u64)> {
    require(viewer.role == Role::Admin)?;
    let home = organization::Entity::find_by_id(viewer.organization_id).one(db).await?;
    let home = home.ok_or_else(|| crate::error::AppError::unauthenticated("所在政协组织已不存在，请重新登录"))?;
    let below = Query::select()
        .column(organization::Column::Id)
        .from(organization::Entity)
        .and_where(Expr::col(organization::Column::Path).like(format!("{}%", home.path)))
        .to_owned();
    let mut scope = Condition::any().add(audit_log::Column::OrganizationId.in_subquery(below));
    if home.parent_id.is_none() {
        scope = scope.add(audit_log::Column::OrganizationId.is_null());
    }
    let mut cond = Condition::all().add(scope);
    if let Some(u) = f.user_id {
        cond = cond.add(audit_log::Column::UserId.eq(u));
    }
    if let Some(op) = f.operation.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        cond = cond.add(audit_log::Column::Operation.eq(op));
    }
    if let Some(outcome) = f.outcome.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        cond = cond.add(audit_log::Column::Outcome.eq(outcome));
    }
    if let Some(from) = f.from {
        cond = cond.add(audit_log::Column::At.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(audit_log::Column::At.lt(to));
    }
    paging::newest_first::<audit_log::Entity>(db, cond, audit_log::Column::Id, after, limit).await
}
