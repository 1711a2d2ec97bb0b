//! Who may read duty records and set the score's weights: a member reads their own record;
//! the office (staff of the organization, admins above it) reads everyone's, ranks them,
//! exports them and sets the weights.
use crate::{
    auth::principal::Principal,
    error::{AppError, AppResult},
    organizations::access::{can_manage_org, require},
};
use entity::organization;
use uuid::Uuid;

/// The answer for a person who is not a member of the organization (another committee's
/// people are not told about).
pub fn no_member() -> AppError {
    AppError::not_found("该委员不存在")
}

/// Reading the record of `whose`, a member of `org` (checked before): themselves, or the office.
pub fn may_read(actor: &Principal, org: &organization::Model, whose: Uuid) -> AppResult<()> {
    require(actor.user_id == whose || can_manage_org(actor, org))
}

/// Ranking, exporting, weighting: the office of the organization.
pub fn may_oversee(actor: &Principal, org: &organization::Model) -> AppResult<()> {
    require(can_manage_org(actor, org))
}
