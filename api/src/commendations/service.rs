//! Recording, listing and deleting commendations.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    ModelTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::policy;
use crate::{
    auth::principal::Principal,
    calendar,
    error::{AppError, AppResult},
    organizations::{
        access::{can_manage_org, require},
        service::find_org,
    },
    validate,
};
use entity::{CommendationSubjectKind, OrganizationLevel, commendation};

pub struct NewCommendation {
    /// None: the actor's own organization.
    pub organization_id: Option<Uuid>,
    pub year: i32,
    pub awarded_by: String,
    pub level: OrganizationLevel,
    pub title: String,
    pub subject_kind: CommendationSubjectKind,
    pub subject_id: Uuid,
}

/// A commendation's year is a real China calendar year, not one still to come.
pub fn check_year(year: i32) -> AppResult<i32> {
    calendar::year_range(year)?;
    if year > calendar::this_year() {
        return Err(AppError::bad_input("year", "不能登记未来年份的表彰"));
    }
    Ok(year)
}

fn recorded_twice(err: DbErr) -> AppError {
    if AppError::is_unique_violation(&err) {
        AppError::conflict("title", "该对象本年度已登记过这项表彰")
    } else {
        err.into()
    }
}

/// 登记表彰 (office staff of the organization, or an admin above it).
pub async fn record(
    db: &DatabaseConnection,
    actor: &Principal,
    input: NewCommendation,
) -> AppResult<commendation::Model> {
    let org = match input.organization_id {
        Some(id) => find_org(db, id, "organizationId").await?,
        None => actor.org.clone(),
    };
    // A subject outside the committee's reach is NOT_FOUND whatever the role (another
    // committee's records are not told about), so it is looked at first; then the role:
    // recording, also into another committee named (a public body), is for its office.
    let subject_name = policy::subject_name(db, &org, input.subject_kind, input.subject_id).await?;
    require(can_manage_org(actor, &org))?;
    let year = check_year(input.year)?;
    let awarded_by = validate::required(&input.awarded_by, "awardedBy", 100)?;
    let title = validate::required(&input.title, "title", 200)?;
    commendation::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        year: Set(year),
        awarded_by: Set(awarded_by),
        level: Set(input.level),
        title: Set(title),
        subject_kind: Set(input.subject_kind),
        subject_id: Set(input.subject_id),
        subject_name: Set(subject_name.chars().take(300).collect()),
        recorded_by: Set(actor.user_id),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(recorded_twice)
}

/// An organization's commendations of a year, optionally of one subject kind, in the
/// order they were recorded.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Principal,
    year: i32,
    organization_id: Option<Uuid>,
    kind: Option<CommendationSubjectKind>,
) -> AppResult<Vec<commendation::Model>> {
    calendar::year_range(year)?;
    let org = policy::readable_org(db, actor, organization_id).await?;
    let mut q = commendation::Entity::find()
        .filter(commendation::Column::OrganizationId.eq(org.id))
        .filter(commendation::Column::Year.eq(year));
    if let Some(kind) = kind {
        q = q.filter(commendation::Column::SubjectKind.eq(kind));
    }
    Ok(q.order_by_asc(commendation::Column::Id).all(db).await?)
}

/// Deletes a commendation recorded by mistake.
pub async fn delete(db: &DatabaseConnection, actor: &Principal, id: Uuid) -> AppResult<Uuid> {
    let found = policy::load_for_office(db, actor, id).await?;
    found.delete(db).await?;
    Ok(id)
}
