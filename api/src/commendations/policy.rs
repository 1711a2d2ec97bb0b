//! Who may record, read and delete commendations, and which subjects an organization may
//! commend: its own records and people and those of the committees below it (its reach).
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query};
use uuid::Uuid;

use crate::{
    auth::principal::Principal,
    error::{AppError, AppResult},
    organizations::access::{authorize, can_manage_org},
};
use entity::{
    CommendationSubjectKind, ProposalStatus, commendation, handling_unit, membership, organization, proposal,
    suggestion, user,
};

const MISSING: &str = "表彰记录不存在";
const NO_SUBJECT: &str = "表彰对象不存在";

/// Whether a subject of organization `subject` is within the reach of `org`: the same
/// committee or one below it.
pub fn in_reach(org: &organization::Model, subject: &organization::Model) -> bool {
    org.contains(subject)
}

/// A commendation `id` when the actor may delete it (office of its organization, or an
/// admin above it); one out of sight is NOT_FOUND.
pub async fn load_for_office(db: &impl ConnectionTrait, actor: &Principal, id: Uuid) -> AppResult<commendation::Model> {
    let found = commendation::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(MISSING))?;
    let org = organization::Entity::find_by_id(found.organization_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(MISSING))?;
    authorize(actor, &org, can_manage_org(actor, &org), MISSING)?;
    Ok(found)
}

/// The organization whose commendations the actor lists: the one named when the actor sees
/// it (public honours: its own committee, those above, and for admins those below), else
/// NOT_FOUND.
pub async fn readable_org(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Option<Uuid>,
) -> AppResult<organization::Model> {
    const NO_ORG: &str = "政协组织不存在";
    let org = match id {
        Some(id) => organization::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NO_ORG))?,
        None => actor.org.clone(),
    };
    authorize(actor, &org, true, NO_ORG)?;
    Ok(org)
}

async fn org_of(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<organization::Model>> {
    Ok(organization::Entity::find_by_id(id).one(db).await?)
}

/// The subject's name as the honour reads, when the subject exists and is in `org`'s
/// reach; NOT_FOUND otherwise (another committee's records are not told about). A draft
/// is its author's alone and is never a subject.
pub async fn subject_name(
    db: &impl ConnectionTrait,
    org: &organization::Model,
    kind: CommendationSubjectKind,
    id: Uuid,
) -> AppResult<String> {
    let reach = |o: Option<organization::Model>| o.is_some_and(|o| in_reach(org, &o));
    let found = match kind {
        CommendationSubjectKind::Proposal => match proposal::Entity::find_by_id(id).one(db).await? {
            Some(p) if p.status != ProposalStatus::Draft && reach(org_of(db, p.organization_id).await?) => {
                Some(p.title)
            }
            _ => None,
        },
        CommendationSubjectKind::Suggestion => match suggestion::Entity::find_by_id(id).one(db).await? {
            Some(s) if reach(org_of(db, s.organization_id).await?) => Some(s.title),
            _ => None,
        },
        CommendationSubjectKind::HandlingUnit => match handling_unit::Entity::find_by_id(id).one(db).await? {
            Some(u) if reach(org_of(db, u.organization_id).await?) => Some(u.name),
            _ => None,
        },
        CommendationSubjectKind::Organization => org_of(db, id).await?.filter(|o| in_reach(org, o)).map(|o| o.name),
        CommendationSubjectKind::User => {
            // A person in reach holds a membership in the organization or one below it.
            let orgs_in_reach = Query::select()
                .column(organization::Column::Id)
                .from(organization::Entity)
                .and_where(organization::Column::Path.starts_with(&org.path))
                .to_owned();
            let member = membership::Entity::find()
                .filter(membership::Column::UserId.eq(id))
                .filter(membership::Column::OrganizationId.in_subquery(orgs_in_reach))
                .one(db)
                .await?;
            match member {
                Some(_) => user::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
                None => None,
            }
        }
    };
    found.ok_or_else(|| AppError::not_found(NO_SUBJECT))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organizations::access::fixtures::org;

    #[test]
    fn reach_is_the_committee_and_those_below() {
        let city = org("/c/", None);
        let county = org("/c/x/", None);
        let sibling = org("/d/", None);
        assert!(in_reach(&city, &city));
        assert!(in_reach(&city, &county));
        assert!(!in_reach(&county, &city), "not the committee above");
        assert!(!in_reach(&city, &sibling), "not another committee");
    }
}
