//! What resolvers ask the request context for: the shared state, the viewer, the principal.
use async_graphql::{Context, ID};
use uuid::Uuid;

use crate::{
    auth::{
        ClientInfo, Viewer,
        principal::{Principal, PrincipalSlot},
    },
    error::{AppError, AppResult},
    idempotency,
    state::State,
};

pub trait ContextExt {
    fn state(&self) -> AppResult<&State>;
    /// The authenticated viewer, or `UNAUTHENTICATED`.
    fn viewer(&self) -> AppResult<&Viewer>;
    fn viewer_opt(&self) -> Option<&Viewer>;
    fn client(&self) -> ClientInfo;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&State> {
        self.data::<State>().map_err(|_| AppError::internal("application state missing from schema"))
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        self.viewer_opt().ok_or_else(|| AppError::unauthenticated("请先登录"))
    }

    fn viewer_opt(&self) -> Option<&Viewer> {
        self.data_opt::<Viewer>()
    }

    fn client(&self) -> ClientInfo {
        self.data_opt::<ClientInfo>().cloned().unwrap_or(ClientInfo { ip: "unknown".into() })
    }
}

/// The request's principal (`UNAUTHENTICATED` without a session), loaded by the first
/// resolver that asks and shared by the others (`PrincipalSlot`, put in by the HTTP layer).
pub async fn principal<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Principal> {
    let viewer = ctx.viewer()?;
    let slot = ctx.data::<PrincipalSlot>().map_err(|_| AppError::internal("principal slot missing from request"))?;
    slot.get(&ctx.state()?.db, viewer).await
}

/// The principal, by the name the organization and member rules use.
pub async fn actor<'a>(ctx: &'a Context<'_>) -> AppResult<&'a Principal> {
    principal(ctx).await
}

/// Parses a GraphQL `ID` argument; a malformed one is a `BAD_USER_INPUT` on `field`.
pub fn parse_id(id: &ID, field: &str) -> AppResult<Uuid> {
    id.parse::<Uuid>().map_err(|_| AppError::bad_input(field, "ID 格式不正确"))
}

pub fn parse_ids(ids: &[ID], field: &str) -> AppResult<Vec<Uuid>> {
    ids.iter().map(|id| parse_id(id, field)).collect()
}

/// The idempotency key of a retryable create, with the fingerprint of this request: the
/// operation and every argument but the key itself, as the client sent them.
pub fn retry_key(ctx: &Context<'_>, key: Option<&str>) -> AppResult<Option<idempotency::Key>> {
    let Some(key) = key else { return Ok(None) };
    let field = ctx.field();
    let mut arguments = serde_json::Map::new();
    for (name, value) in field.arguments().map_err(|e| AppError::internal(e.message))? {
        if name.as_str() != idempotency::FIELD {
            let value = value.into_json().map_err(AppError::internal)?;
            arguments.insert(name.to_string(), value);
        }
    }
    let fingerprint = idempotency::fingerprint(field.name(), &serde_json::Value::Object(arguments));
    idempotency::Key::new(key, fingerprint).map(Some)
}

pub fn to_id(id: Uuid) -> ID {
    ID(id.to_string())
}
