//! Who may manage what. Admins manage their organization and everything below it; staff
//! manage the members (and member-facing catalogues) of their own organization only.
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, PrimaryKeyTrait, QueryFilter};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::{Role, membership, organization};

use crate::auth::principal::Principal;

/// Whether the actor may change `target`'s own records (catalogues, members).
pub fn can_manage_org(actor: &Principal, target: &organization::Model) -> bool {
    match actor.role() {
        Role::Admin => actor.org.contains(target),
        Role::Staff => actor.org.id == target.id,
        Role::Member | Role::Unit => false,
    }
}

/// Whether the actor may give (or take away) `role` in `target`. Staff handle members and
/// unit operators; only admins create other staff and admins.
pub fn can_grant(actor: &Principal, target: &organization::Model, role: Role) -> bool {
    can_manage_org(actor, target) && (actor.role() == Role::Admin || matches!(role, Role::Member | Role::Unit))
}

/// Organizations themselves (creating children, renaming) are for admins of an ancestor.
pub fn can_administer(actor: &Principal, target: &organization::Model) -> bool {
    actor.role() == Role::Admin && actor.org.contains(target)
}

/// Whether `target` is in the actor's sight at all: their own organization, those above it
/// and, for admins, those below (as `organizations` lists them).
pub fn sees_org(actor: &Principal, target: &organization::Model) -> bool {
    target.contains(&actor.org) || (actor.role() == Role::Admin && actor.org.contains(target))
}

/// The door of a rule about a record of `target`: out of the actor's sight it answers
/// `NOT_FOUND` with `missing`, whatever the role (another committee's records are not told
/// about); in sight, `FORBIDDEN` unless `allowed`.
pub fn authorize(actor: &Principal, target: &organization::Model, allowed: bool, missing: &str) -> AppResult<()> {
    if !sees_org(actor, target) {
        return Err(AppError::not_found(missing));
    }
    require(allowed)
}

pub fn require(allowed: bool) -> AppResult<()> {
    if allowed { Ok(()) } else { Err(AppError::forbidden("没有权限执行此操作")) }
}

/// The member a record handed in on paper or by phone is typed in for (代录): only the
/// office types records in, and only for a member of its own organization (else
/// `BAD_USER_INPUT` on `field`).
pub async fn typed_in_for(db: &impl ConnectionTrait, office: &Principal, member: Uuid, field: &str) -> AppResult<Uuid> {
    require(office.is_office())?;
    let found = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(office.organization_id))
        .filter(membership::Column::Role.eq(Role::Member))
        .filter(membership::Column::UserId.eq(member))
        .count(db)
        .await?;
    if found == 0 {
        return Err(AppError::bad_input(field, "代录的提出人必须是本组织的委员"));
    }
    Ok(member)
}

/// The organization `id` when the actor administers it (`can_administer`): how a step that
/// changes an organization obtains it. One the actor does not see is `NOT_FOUND`.
pub async fn load_org_for(db: &impl ConnectionTrait, actor: &Principal, id: Uuid) -> AppResult<organization::Model> {
    const MISSING: &str = "政协组织不存在";
    let org = organization::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(MISSING))?;
    authorize(actor, &org, can_administer(actor, &org), MISSING)?;
    Ok(org)
}

/// A catalogue row (sector, special committee, handling unit) `id` when the actor manages
/// its organization (`can_manage_org`): how a step that changes one obtains it. A row of
/// an organization the actor does not see is `missing` (`NOT_FOUND`).
pub async fn load_catalogue_for<E>(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Uuid,
    missing: &str,
    org_of: fn(&E::Model) -> Uuid,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    Uuid: Into<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>,
{
    let found = E::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(missing))?;
    let org = crate::organizations::service::find_org(db, org_of(&found), "id").await?;
    authorize(actor, &org, can_manage_org(actor, &org), missing)?;
    Ok(found)
}

/// Organizations and principals for the unit tests of the rules built on them.
#[cfg(test)]
pub(crate) mod fixtures {
    use chrono::Utc;
    use entity::{OrganizationLevel, Role, organization};
    use uuid::Uuid;

    use crate::auth::{Viewer, principal::Principal};

    pub fn org(path: &str, parent: Option<Uuid>) -> organization::Model {
        organization::Model {
            id: Uuid::now_v7(),
            name: path.into(),
            short_name: None,
            level: OrganizationLevel::Municipal,
            parent_id: parent,
            path: path.into(),
            region: None,
            proposal_numbering: entity::ProposalNumbering::PerYear,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    /// Someone of `role` acting in `org`, with no membership row loaded.
    pub fn actor(role: Role, org: &organization::Model) -> Principal {
        Principal {
            viewer: Viewer { user_id: Uuid::now_v7(), session_id: String::new(), organization_id: org.id, role },
            org: org.clone(),
            membership: None,
            unit: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{fixtures::actor, *};

    fn org(path: &str) -> organization::Model {
        super::fixtures::org(path, None)
    }

    #[test]
    fn admins_reach_down_not_up_or_sideways() {
        let province = org("/p/");
        let city = org("/p/c/");
        let other = org("/p/d/");
        let admin = actor(Role::Admin, &city);
        assert!(can_manage_org(&admin, &city));
        assert!(!can_manage_org(&admin, &province));
        assert!(!can_manage_org(&admin, &other));
        assert!(can_manage_org(&actor(Role::Admin, &province), &city));
        assert!(can_grant(&admin, &city, Role::Admin));
    }

    #[test]
    fn staff_manage_members_of_their_own_organization_only() {
        let city = org("/p/c/");
        let county = org("/p/c/x/");
        let staff = actor(Role::Staff, &city);
        assert!(can_grant(&staff, &city, Role::Member));
        assert!(can_grant(&staff, &city, Role::Unit));
        assert!(!can_grant(&staff, &city, Role::Staff));
        assert!(!can_grant(&staff, &city, Role::Admin));
        assert!(!can_manage_org(&staff, &county));
        assert!(!can_administer(&staff, &city));
    }

    #[test]
    fn another_committee_is_out_of_sight_for_every_role() {
        let city = org("/c/");
        let a = org("/c/a/");
        let b = org("/c/b/");
        for role in [Role::Member, Role::Unit, Role::Staff, Role::Admin] {
            let refusal = authorize(&actor(role, &b), &a, true, "不存在").err().map(|e| e.code().as_str());
            assert_eq!(refusal, Some("NOT_FOUND"), "{role:?}");
            assert!(sees_org(&actor(role, &a), &city), "{role:?} sees the organizations above");
        }
        assert!(sees_org(&actor(Role::Admin, &city), &a));
        assert!(!sees_org(&actor(Role::Staff, &city), &a));
        let refusal = authorize(&actor(Role::Member, &a), &a, false, "不存在").err().map(|e| e.code().as_str());
        assert_eq!(refusal, Some("FORBIDDEN"));
    }

    #[test]
    fn members_and_units_manage_nothing() {
        let city = org("/c/");
        for role in [Role::Member, Role::Unit] {
            assert!(!can_manage_org(&actor(role, &city), &city));
        }
    }
}
