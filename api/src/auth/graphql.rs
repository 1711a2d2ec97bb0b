//! GraphQL face of login and sessions. Operation names are the mobile app's contract.
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;

use super::{
    service::{self, Issued, LoginInput as Login},
    sessions,
};
use crate::{
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id},
        loaders::{self, OrganizationKey},
    },
    members::{
        graphql::{Audience, Membership, User},
        service::memberships_of,
    },
    notifications::push,
    organizations::graphql::Organization,
};
use entity::user;

/// 登录结果：访问令牌（短期 JWT，放在 Authorization: Bearer 头中）与刷新令牌
pub struct AuthPayload(Issued);

/// The payload, with the person noted for the audit log (`auth::SignedIn`).
fn signed_in(ctx: &Context<'_>, issued: Issued) -> AuthPayload {
    if let Ok(slot) = ctx.data::<std::sync::Arc<super::SignedIn>>() {
        slot.set(&issued.session);
    }
    AuthPayload(issued)
}

#[Object]
impl AuthPayload {
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }
    /// 访问令牌的过期时间
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.access_expires_at
    }
    /// 一次性刷新令牌：用 refreshSession 换取新的令牌对，旧的随即失效
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }
    async fn refresh_expires_at(&self) -> DateTime<Utc> {
        self.0.refresh_expires_at
    }
    async fn session_id(&self) -> ID {
        ID(self.0.session.id.clone())
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let found =
            user::Entity::find_by_id(self.0.session.user_id).one(&ctx.state()?.db).await.map_err(AppError::from)?;
        Ok(User(found.ok_or_else(|| AppError::unauthenticated("用户不存在"))?, Audience::Themself))
    }
    /// 本次登录所在组织中的身份
    async fn membership(&self, ctx: &Context<'_>) -> Result<Membership> {
        let list = memberships_of(&ctx.state()?.db, self.0.session.user_id).await?;
        let found = list.into_iter().find(|m| m.organization_id == self.0.session.organization_id);
        Ok(Membership(found.ok_or_else(|| AppError::unauthenticated("身份已变更，请重新登录"))?))
    }
}

/// 一个登录会话（一台设备）
pub struct Session {
    inner: sessions::Session,
    current: bool,
}

#[Object]
impl Session {
    async fn id(&self) -> ID {
        ID(self.inner.id.clone())
    }
    async fn device(&self) -> &str {
        &self.inner.device
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }
    async fn last_seen_at(&self) -> DateTime<Utc> {
        self.inner.last_seen_at
    }
    /// 是否为发出本次请求的会话
    async fn current(&self) -> bool {
        self.current
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(loaders::load(ctx, OrganizationKey(self.inner.organization_id)).await?.map(Organization))
    }
}

#[derive(InputObject)]
pub struct LoginInput {
    pub phone: String,
    pub password: String,
    /// 设备名称，如“iPhone 15 · 微信”，显示在会话列表中
    pub device: Option<String>,
    /// 有多个身份时选择登录的组织；省略则进入最早加入的组织
    pub organization_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct LogoutResult {
    /// 结束的会话数
    pub ended_sessions: u64,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// 当前用户（含其全部身份）
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let viewer = ctx.viewer()?;
        let found = user::Entity::find_by_id(viewer.user_id).one(&ctx.state()?.db).await.map_err(AppError::from)?;
        Ok(User(found.ok_or_else(|| AppError::unauthenticated("用户不存在"))?, Audience::Themself))
    }

    /// 当前用户的全部登录会话，最新的在前
    async fn my_sessions(&self, ctx: &Context<'_>) -> Result<Vec<Session>> {
        let viewer = ctx.viewer()?;
        let list = ctx.state()?.sessions.list(viewer.user_id).await?;
        Ok(list.into_iter().map(|s| Session { current: s.id == viewer.session_id, inner: s }).collect())
    }
}

fn count(n: usize) -> LogoutResult {
    LogoutResult { ended_sessions: u64::try_from(n).unwrap_or(u64::MAX) }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// 手机号+密码登录。失败过多时返回 RATE_LIMITED（extensions.retryAfter 为等待秒数）
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<AuthPayload> {
        let state = ctx.state()?;
        let login = Login {
            phone: input.phone,
            password: input.password,
            device: input.device,
            organization_id: input.organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?,
        };
        Ok(signed_in(ctx, service::login(state, login, &ctx.client().ip).await?))
    }

    /// 用刷新令牌换取新的令牌对（轮换）。刚换过的刷新令牌在宽限期内（默认30秒）再次提交，
    /// 得到同一个新刷新令牌（同时刷新、丢失应答后重试）；此后再用已换过的令牌会使整个会话失效。
    /// 请求附带的访问令牌（哪怕已过期）不影响本操作与 login
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        Ok(signed_in(ctx, service::refresh(ctx.state()?, &refresh_token).await?))
    }

    /// 切换到自己的另一个身份所在的组织，返回新的令牌对
    async fn switch_organization(&self, ctx: &Context<'_>, organization_id: ID) -> Result<AuthPayload> {
        let viewer = ctx.viewer()?;
        let org = parse_id(&organization_id, "organizationId")?;
        Ok(AuthPayload(service::switch_organization(ctx.state()?, viewer, org).await?))
    }

    /// 退出当前会话
    async fn logout(&self, ctx: &Context<'_>) -> Result<LogoutResult> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        state.sessions.revoke(viewer.user_id, &viewer.session_id).await?;
        push::forget_session(&state.db, &viewer.session_id).await?;
        Ok(count(1))
    }

    /// 退出全部设备（含当前）
    async fn logout_all(&self, ctx: &Context<'_>) -> Result<LogoutResult> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let ended = state.sessions.revoke_all(viewer.user_id, None).await?;
        push::forget_user(&state.db, viewer.user_id, None).await?;
        Ok(count(ended))
    }

    /// 结束自己的某个会话（如丢失的手机）
    async fn revoke_session(&self, ctx: &Context<'_>, id: ID) -> Result<LogoutResult> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        match state.sessions.get(&id).await? {
            Some(s) if s.user_id == viewer.user_id => {
                state.sessions.revoke(viewer.user_id, &s.id).await?;
                push::forget_session(&state.db, &s.id).await?;
                Ok(count(1))
            }
            _ => Err(AppError::not_found("会话不存在").into()),
        }
    }

    /// 修改密码；其他设备上的登录随即失效，当前会话保留
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        old_password: String,
        #[graphql(desc = "新密码：8到128位，至少包含字母、数字、符号中的两种")] new_password: String,
    ) -> Result<LogoutResult> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let ended = service::change_password(state, viewer, old_password, new_password).await?;
        crate::live::person_changed(state, viewer.user_id).await;
        Ok(count(ended))
    }
}
