//! Reading and publishing annual reports. The office (staff of the organization, admins of
//! it or above) reads a year's report at any time; its members once the office has
//! published that year (`publish`).
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::figures::{self, Figures};
use crate::{
    auth::principal::Principal,
    calendar,
    error::{AppError, AppResult},
    organizations::access::{authorize, can_manage_org, require},
};
use entity::{Role, annual_report, organization};

const NO_ORG: &str = "政协组织不存在";

pub struct Report {
    pub year: i32,
    pub organization: organization::Model,
    /// When the office showed it to the members; None while it is the office's alone.
    pub published_at: Option<DateTime<Utc>>,
    pub figures: Figures,
}

async fn org_named(db: &impl ConnectionTrait, actor: &Principal, id: Option<Uuid>) -> AppResult<organization::Model> {
    let org = match id {
        Some(id) => organization::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NO_ORG))?,
        None => actor.org.clone(),
    };
    // Another committee's report is not told about (NOT_FOUND); in sight, the role decides.
    authorize(actor, &org, true, NO_ORG)?;
    Ok(org)
}

async fn publication(db: &impl ConnectionTrait, org: Uuid, year: i32) -> AppResult<Option<annual_report::Model>> {
    Ok(annual_report::Entity::find()
        .filter(annual_report::Column::OrganizationId.eq(org))
        .filter(annual_report::Column::Year.eq(year))
        .one(db)
        .await?)
}

fn check_year(year: i32) -> AppResult<i32> {
    calendar::year_range(year)?;
    if year > calendar::this_year() {
        return Err(AppError::bad_input("year", "该年度尚未开始"));
    }
    Ok(year)
}

/// The year's report of the organization named (default: the actor's current one).
pub async fn read(
    db: &impl ConnectionTrait,
    actor: &Principal,
    year: i32,
    organization_id: Option<Uuid>,
) -> AppResult<Report> {
    let org = org_named(db, actor, organization_id).await?;
    let year = check_year(year)?;
    let published = publication(db, org.id, year).await?;
    let member_of_it = actor.role() == Role::Member && actor.org.id == org.id;
    require(can_manage_org(actor, &org) || (member_of_it && published.is_some()))?;
    let figures = figures::compute(db, &org, year).await?;
    Ok(Report { year, organization: org, published_at: published.map(|p| p.published_at), figures })
}

/// 公布年度工作综述: members of the organization may read the year's report from now on.
/// Publishing again changes nothing and answers the first publication.
pub async fn publish(
    db: &impl ConnectionTrait,
    actor: &Principal,
    year: i32,
    organization_id: Option<Uuid>,
) -> AppResult<annual_report::Model> {
    let org = org_named(db, actor, organization_id).await?;
    require(can_manage_org(actor, &org))?;
    let year = check_year(year)?;
    let row = annual_report::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        year: Set(year),
        published_by: Set(actor.user_id),
        published_at: Set(Utc::now()),
    };
    annual_report::Entity::insert(row)
        .on_conflict_do_nothing_on([annual_report::Column::OrganizationId, annual_report::Column::Year])
        .exec_without_returning(db)
        .await?;
    publication(db, org.id, year).await?.ok_or_else(|| AppError::internal("annual report publication not stored"))
}
