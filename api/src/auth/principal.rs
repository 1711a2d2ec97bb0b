//! The one `Principal` of a request (ARCHITECTURE §2): who acts, in which organization, with
//! which role, membership and handling unit, in which session. Every rule about who may do
//! what takes it; `Viewer` is only what the access token proved, the part of it the HTTP
//! layer knows before the database is asked.
use std::ops::Deref;

use sea_orm::{ConnectionTrait, EntityTrait};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::Viewer;
use crate::{
    error::{AppError, AppResult},
    members::service::membership_in,
};
use entity::{Role, membership, organization};

#[derive(Debug, Clone)]
pub struct Principal {
    /// User, session, organization id and role, as the session holds them.
    pub viewer: Viewer,
    /// The organization the session acts in.
    pub org: organization::Model,
    /// The person's membership there (none when it was removed during the session).
    pub membership: Option<membership::Model>,
    /// The handling unit a unit operator acts for.
    pub unit: Option<Uuid>,
}

impl Principal {
    pub async fn load(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        let org = organization::Entity::find_by_id(viewer.organization_id)
            .one(db)
            .await?
            .ok_or_else(|| AppError::unauthenticated("所在政协组织已不存在，请重新登录"))?;
        let membership = membership_in(db, viewer.user_id, viewer.organization_id).await?;
        let unit = if viewer.role == Role::Unit { membership.as_ref().and_then(|m| m.handling_unit_id) } else { None };
        Ok(Self { viewer: viewer.clone(), org, membership, unit })
    }

    pub fn role(&self) -> Role {
        self.viewer.role
    }
}

/// Policies written against the token's facts (`is_office`, `user_id`, `organization_id`)
/// take a principal as they are.
impl Deref for Principal {
    type Target = Viewer;

    fn deref(&self) -> &Viewer {
        &self.viewer
    }
}

/// Where the HTTP layer keeps a request's principal: put in with the viewer, filled by the
/// first resolver that asks (`graphql::context::principal`), read by every later one, so a
/// request loads it once and a request that needs none (`me`, `mySessions`) never does.
#[derive(Default)]
pub struct PrincipalSlot(OnceCell<Principal>);

impl PrincipalSlot {
    pub async fn get(&self, db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<&Principal> {
        self.0.get_or_try_init(|| Principal::load(db, viewer)).await
    }
}
