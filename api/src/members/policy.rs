//! Who may look after a person's account and see their personal data.
//!
//! - An account with memberships is looked after by whoever manages every one of them
//!   (`access::can_grant`): a city's staff cannot rename, re-phone or reset a provincial
//!   member's account.
//! - An account with none is looked after by the office that created it until it joins an
//!   organization; once its last membership ended, only by the admins of that organization
//!   and those above (an old member's account is not up for grabs for any committee).
//! - A phone number and the other memberships are seen by the person and by the office of
//!   an organization where they hold a membership the office manages — never by role alone.
use sea_orm::{DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use entity::{Role, membership, organization, user};

use crate::{
    auth::principal::Principal,
    error::{AppError, AppResult},
    organizations::{
        access::{authorize, can_grant, can_manage_org},
        service::lock_organization,
    },
};

/// The membership `id` when the actor may grant its role in its organization
/// (`can_grant`): how a step that changes or removes a membership obtains it. It is read
/// after locking its organization (whose lock every membership change takes), so it stays
/// as read until the transaction ends.
pub async fn load_membership_for(
    txn: &DatabaseTransaction,
    actor: &Principal,
    id: Uuid,
) -> AppResult<(membership::Model, organization::Model)> {
    let missing = || AppError::not_found("委员身份不存在");
    let first = membership::Entity::find_by_id(id).one(txn).await?.ok_or_else(missing)?;
    let org = lock_organization(txn, first.organization_id).await?;
    let found = membership::Entity::find_by_id(id).one(txn).await?.ok_or_else(missing)?;
    authorize(actor, &org, can_grant(actor, &org, found.role), "委员身份不存在")?;
    Ok((found, org))
}

/// A membership with its organization.
pub type Held<'a> = (&'a membership::Model, &'a organization::Model);

/// Where an account that belongs nowhere came from.
pub struct Unattached<'a> {
    pub created_in: Option<&'a organization::Model>,
    pub left: Option<&'a organization::Model>,
}

/// Whether `actor` looks after the account of `person` (rename, new phone, password reset,
/// disable, attach to an organization by id).
pub fn looks_after(actor: &Principal, person: &user::Model, held: &[Held<'_>], unattached: &Unattached<'_>) -> bool {
    if !actor.viewer.is_office() {
        return false;
    }
    if !held.is_empty() {
        return held.iter().all(|(m, org)| can_grant(actor, org, m.role));
    }
    match (unattached.left, unattached.created_in) {
        (Some(left), _) => actor.role() == Role::Admin && actor.org.contains(left),
        (None, Some(created_in)) => can_manage_org(actor, created_in),
        // An account from before this rule (or whose organization is gone): the admins at
        // the top of the tree.
        (None, None) => {
            actor.role() == Role::Admin && actor.org.parent_id.is_none() && person.id != actor.viewer.user_id
        }
    }
}

/// Whether `viewer` sees `person`'s phone and memberships: the person themself, and the
/// office of an organization where they hold a membership it manages (or that looks after
/// their account while they belong nowhere).
pub fn sees_private(actor: &Principal, person: &user::Model, held: &[Held<'_>], unattached: &Unattached<'_>) -> bool {
    if actor.viewer.user_id == person.id {
        return true;
    }
    if !actor.viewer.is_office() {
        return false;
    }
    if held.is_empty() {
        return looks_after(actor, person, held, unattached);
    }
    held.iter().any(|(_, org)| can_manage_org(actor, org))
}

/// The memberships of a person the viewer is shown: all of them to the person, to others
/// only those in organizations they manage.
pub fn shown_membership(actor: &Principal, person: &user::Model, org: &organization::Model) -> bool {
    actor.viewer.user_id == person.id || can_manage_org(actor, org)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use entity::UserStatus;

    use crate::organizations::access::fixtures::{actor, org};

    fn person() -> user::Model {
        user::Model {
            id: Uuid::now_v7(),
            phone: "13900000000".into(),
            name: "某委员".into(),
            password_hash: String::new(),
            status: UserStatus::Active,
            must_change_password: false,
            password_changed_at: Utc::now(),
            created_in_organization_id: None,
            left_organization_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn member_of(p: &user::Model, o: &organization::Model) -> membership::Model {
        membership::Model {
            id: Uuid::now_v7(),
            user_id: p.id,
            organization_id: o.id,
            role: Role::Member,
            sector_id: None,
            party: None,
            standing_committee: false,
            office: None,
            term: None,
            handling_unit_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_former_member_is_looked_after_by_the_admins_of_their_last_committee_only() {
        let province = org("/p/", None);
        let city = org("/p/c/", Some(province.id));
        let other = org("/p/d/", Some(province.id));
        let p = person();
        let left = Unattached { created_in: None, left: Some(&city) };
        assert!(looks_after(&actor(Role::Admin, &city), &p, &[], &left));
        assert!(looks_after(&actor(Role::Admin, &province), &p, &[], &left));
        assert!(!looks_after(&actor(Role::Staff, &city), &p, &[], &left), "staff do not take over a former member");
        assert!(!looks_after(&actor(Role::Admin, &other), &p, &[], &left), "nor another committee");
        assert!(!sees_private(&actor(Role::Staff, &other), &p, &[], &left));
    }

    #[test]
    fn a_new_account_is_looked_after_by_the_office_that_made_it() {
        let city = org("/c/", None);
        let other = org("/d/", None);
        let p = person();
        let new = Unattached { created_in: Some(&city), left: None };
        assert!(looks_after(&actor(Role::Staff, &city), &p, &[], &new));
        assert!(!looks_after(&actor(Role::Staff, &other), &p, &[], &new));
        assert!(!looks_after(&actor(Role::Admin, &other), &p, &[], &new));
    }

    #[test]
    fn personal_data_follows_the_memberships_the_office_manages() {
        let province = org("/p/", None);
        let city = org("/p/c/", Some(province.id));
        let sibling = org("/p/d/", Some(province.id));
        let p = person();
        let m = member_of(&p, &city);
        let held = [(&m, &city)];
        let none = Unattached { created_in: None, left: None };
        assert!(sees_private(&actor(Role::Staff, &city), &p, &held, &none));
        assert!(sees_private(&actor(Role::Admin, &province), &p, &held, &none));
        assert!(!sees_private(&actor(Role::Staff, &sibling), &p, &held, &none), "a sibling committee's staff");
        assert!(!sees_private(&actor(Role::Staff, &province), &p, &held, &none), "the staff above");
        assert!(!sees_private(&actor(Role::Member, &city), &p, &held, &none), "other members");
        let mut own = actor(Role::Member, &sibling);
        own.viewer.user_id = p.id;
        assert!(sees_private(&own, &p, &held, &none), "the person themself");
        assert!(shown_membership(&actor(Role::Admin, &province), &p, &city));
        assert!(!shown_membership(&actor(Role::Staff, &sibling), &p, &city));
    }
}
