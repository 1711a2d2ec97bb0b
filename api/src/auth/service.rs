//! Login, refresh, logout and password changes: the rules, free of GraphQL.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    Viewer, password,
    sessions::{RefreshRefused, Session, SessionRefused},
};
use crate::{
    error::{AppError, AppResult},
    members::service as members,
    notifications::push,
    phone,
    state::AppState,
};
use entity::{UserStatus, membership, user};

const WRONG_CREDENTIALS: &str = "手机号或密码错误";
const SESSION_ENDED: &str = "登录已失效，请重新登录";
const ACCOUNT_DISABLED: &str = "账号已停用，请联系政协机关";

pub struct LoginInput {
    pub phone: String,
    pub password: String,
    pub device: Option<String>,
    pub organization_id: Option<Uuid>,
}

/// A fresh token pair and the session it belongs to.
pub struct Issued {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub session: Session,
}

fn issue(state: &AppState, session: Session, refresh_token: String) -> AppResult<Issued> {
    let (access_token, access_expires_at) =
        state.tokens.issue(session.user_id, &session.id, session.organization_id, session.role)?;
    let refresh_expires_at = Utc::now() + chrono::Duration::from_std(state.sessions.ttl()).unwrap_or_default();
    Ok(Issued { access_token, access_expires_at, refresh_token, refresh_expires_at, session })
}

fn device_label(device: Option<String>) -> String {
    let d = device.unwrap_or_default();
    let d = d.trim();
    if d.is_empty() { "未知设备".into() } else { d.chars().take(100).collect() }
}

/// The membership a login lands in: the one asked for, or the oldest.
fn pick_membership(list: Vec<membership::Model>, wanted: Option<Uuid>) -> AppResult<membership::Model> {
    match wanted {
        Some(org) => list
            .into_iter()
            .find(|m| m.organization_id == org)
            .ok_or_else(|| AppError::forbidden("您不是该政协组织的成员")),
        None => list.into_iter().next().ok_or_else(|| AppError::forbidden("账号尚未加入任何政协组织，请联系政协机关")),
    }
}

pub async fn login(state: &AppState, input: LoginInput, ip: &str) -> AppResult<Issued> {
    let answered = check_login(state, input, ip).await;
    state.metrics.login(answered.as_ref().map_or_else(|e| e.code().as_str(), |_| "OK"));
    answered
}

async fn check_login(state: &AppState, input: LoginInput, ip: &str) -> AppResult<Issued> {
    let phone = phone::normalize(&input.phone, "phone")?;
    // Counted before the password is looked at, so a burst cannot outrun the limit.
    let attempt = state.limiter.begin(&phone, ip).await?;
    let found = user::Entity::find().filter(user::Column::Phone.eq(&phone)).one(&state.db).await?;
    // One hash whether or not the phone exists (see `Passwords::verify`).
    let verified = match state.passwords.verify(input.password, found.as_ref().map(|u| u.password_hash.clone())).await {
        Ok(verified) => verified,
        Err(err) => {
            // Too busy to check: the attempt was no failure of the person's.
            if let Err(e) = state.limiter.not_checked(attempt).await {
                tracing::warn!(error = %e, "could not give a login attempt back");
            }
            return Err(err);
        }
    };
    let Some(user) = found.filter(|_| verified) else {
        tracing::info!(phone = %phone::mask(&phone), %ip, "login refused");
        return Err(AppError::unauthenticated(WRONG_CREDENTIALS));
    };
    state.limiter.succeeded(attempt).await?;
    if user.status == UserStatus::Disabled {
        return Err(AppError::forbidden(ACCOUNT_DISABLED));
    }
    let membership = pick_membership(members::memberships_of(&state.db, user.id).await?, input.organization_id)?;
    let (session, refresh) = state
        .sessions
        .create(user.id, membership.organization_id, membership.role, &device_label(input.device))
        .await?;
    // The status above was read before the hash; the account may have been disabled
    // since. Read it again now that the session exists: a disable that committed before
    // this read is seen here, and one that commits after it finds the session in the
    // index (and moves the generation past it).
    let still = user::Entity::find_by_id(user.id).one(&state.db).await?;
    if still.is_none_or(|u| u.status == UserStatus::Disabled) {
        state.sessions.revoke(user.id, &session.id).await?;
        return Err(AppError::forbidden(ACCOUNT_DISABLED));
    }
    tracing::info!(user = %user.id, session = %session.id, "login");
    issue(state, session, refresh)
}

pub async fn refresh(state: &AppState, refresh_token: &str) -> AppResult<Issued> {
    match state.sessions.rotate(refresh_token).await? {
        Ok((session, next)) => issue(state, session, next),
        Err(RefreshRefused::Reused) => {
            Err(AppError::unauthenticated("登录凭证已被使用过，为安全起见已退出登录，请重新登录"))
        }
        Err(RefreshRefused::Disabled) => Err(AppError::unauthenticated(ACCOUNT_DISABLED)),
        Err(RefreshRefused::Invalid) => Err(AppError::unauthenticated(SESSION_ENDED)),
    }
}

/// Checks a bearer token and that its session is still alive (and its user not disabled:
/// the session and the user's gate are read together).
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Viewer> {
    let claims = state.tokens.verify(bearer)?;
    let session = match state.sessions.live(&claims.sid, claims.sub).await? {
        Ok(session) => session,
        Err(SessionRefused::Disabled) => return Err(AppError::unauthenticated(ACCOUNT_DISABLED)),
        Err(SessionRefused::Ended) => return Err(AppError::unauthenticated(SESSION_ENDED)),
    };
    state.sessions.touch(&session).await?;
    Ok(Viewer {
        user_id: session.user_id,
        session_id: session.id,
        organization_id: session.organization_id,
        role: session.role,
    })
}

pub async fn switch_organization(state: &AppState, viewer: &Viewer, org: Uuid) -> AppResult<Issued> {
    let membership = pick_membership(members::memberships_of(&state.db, viewer.user_id).await?, Some(org))?;
    let session =
        state.sessions.get(&viewer.session_id).await?.ok_or_else(|| AppError::unauthenticated(SESSION_ENDED))?;
    let (session, refresh) = state.sessions.switch(&session, membership.organization_id, membership.role).await?;
    issue(state, session, refresh)
}

/// Changes the viewer's password and ends their other sessions.
pub async fn change_password(state: &AppState, viewer: &Viewer, old: String, new: String) -> AppResult<usize> {
    let user = user::Entity::find_by_id(viewer.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated(SESSION_ENDED))?;
    if !state.passwords.verify(old, Some(user.password_hash.clone())).await? {
        return Err(AppError::bad_input("oldPassword", "原密码不正确"));
    }
    password::check_strength(&new, "newPassword")?;
    let hash = state.passwords.hash(new).await?;
    let now = Utc::now();
    let mut am: user::ActiveModel = user.into();
    am.password_hash = Set(hash);
    am.must_change_password = Set(false);
    am.password_changed_at = Set(now);
    am.updated_at = Set(now);
    am.update(&state.db).await?;
    let ended = state.sessions.revoke_all(viewer.user_id, Some(&viewer.session_id)).await?;
    push::forget_user(&state.db, viewer.user_id, Some(&viewer.session_id)).await?;
    Ok(ended)
}
