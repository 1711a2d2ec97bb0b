//! Plenary sessions: created and corrected by the office of their organization, read by
//! everyone who sees the organization, and consulted when a proposal is submitted and
//! registered.
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::rules;
use crate::{
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    organizations::{
        access::{authorize, can_manage_org, require},
        service::{find_org, lock_organization},
    },
    validate,
};
use entity::{organization, plenary_session};

const MISSING: &str = "届次会议不存在";

pub struct SessionFields {
    pub term: i32,
    pub number: i32,
    /// None: the default name (“十二届三次会议”).
    pub name: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

struct Checked {
    term: i32,
    number: i32,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
}

fn check(f: SessionFields) -> AppResult<Checked> {
    let term = rules::check_ordinal(f.term, "term")?;
    let number = rules::check_ordinal(f.number, "number")?;
    rules::check_dates(f.starts_on, f.ends_on)?;
    let name = match f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => validate::required(n, "name", 100)?,
        None => rules::default_name(term, number),
    };
    Ok(Checked { term, number, name, starts_on: f.starts_on, ends_on: f.ends_on })
}

/// The same term and number twice in one organization is a CONFLICT on `number` (the
/// unique index decides when two clerks type it at once).
fn number_taken(err: DbErr) -> AppError {
    if AppError::is_unique_violation(&err) {
        AppError::conflict("number", "本组织已有该届次会议")
    } else {
        err.into()
    }
}

/// Refuses dates that share a day with another session of the organization. Called with
/// the organization row locked, so two overlapping sessions cannot be written at once.
async fn check_no_overlap(db: &impl ConnectionTrait, org: Uuid, except: Option<Uuid>, c: &Checked) -> AppResult<()> {
    let mut q = plenary_session::Entity::find()
        .filter(plenary_session::Column::OrganizationId.eq(org))
        .filter(plenary_session::Column::StartsOn.lte(c.ends_on))
        .filter(plenary_session::Column::EndsOn.gte(c.starts_on));
    if let Some(id) = except {
        q = q.filter(plenary_session::Column::Id.ne(id));
    }
    if let Some(other) = q.one(db).await? {
        debug_assert!(rules::overlaps((c.starts_on, c.ends_on), (other.starts_on, other.ends_on)));
        return Err(AppError::conflict(
            "startsOn",
            format!("会期与“{}”（{}至{}）重叠", other.name, other.starts_on, other.ends_on),
        ));
    }
    Ok(())
}

/// The organization a session goes into: the one named, or the actor's own. Naming one
/// the actor does not run is FORBIDDEN (organizations are public bodies).
async fn target_org(db: &impl ConnectionTrait, actor: &Principal, id: Option<Uuid>) -> AppResult<organization::Model> {
    let org = match id {
        Some(id) => find_org(db, id, "organizationId").await?,
        None => actor.org.clone(),
    };
    require(can_manage_org(actor, &org))?;
    Ok(org)
}

/// 新建届次会议 (office staff of the organization, or an admin above it).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Principal,
    organization_id: Option<Uuid>,
    fields: SessionFields,
) -> AppResult<plenary_session::Model> {
    let org = target_org(db, actor, organization_id).await?;
    let c = check(fields)?;
    let txn = db::write(db).await?;
    lock_organization(&txn, org.id).await?;
    check_no_overlap(&txn, org.id, None, &c).await?;
    let now = Utc::now();
    let created = plenary_session::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        term: Set(c.term),
        number: Set(c.number),
        name: Set(c.name),
        starts_on: Set(c.starts_on),
        ends_on: Set(c.ends_on),
        last_serial: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(number_taken)?;
    txn.commit().await?;
    Ok(created)
}

/// Corrects a session's fields. Proposals keep the session they were submitted during:
/// moving the dates does not move proposals in or out (that was decided at submission).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Principal,
    id: Uuid,
    fields: SessionFields,
) -> AppResult<plenary_session::Model> {
    let c = check(fields)?;
    let txn = db::write(db).await?;
    let found = plenary_session::Entity::find_by_id(id).one(&txn).await?.ok_or_else(|| AppError::not_found(MISSING))?;
    let org = lock_organization(&txn, found.organization_id).await?;
    authorize(actor, &org, can_manage_org(actor, &org), MISSING)?;
    check_no_overlap(&txn, org.id, Some(id), &c).await?;
    let mut am = found.into_active_model();
    am.term = Set(c.term);
    am.number = Set(c.number);
    am.name = Set(c.name);
    am.starts_on = Set(c.starts_on);
    am.ends_on = Set(c.ends_on);
    am.updated_at = Set(Utc::now());
    let updated = am.update(&txn).await.map_err(number_taken)?;
    txn.commit().await?;
    Ok(updated)
}

/// The sessions of an organization the actor sees (its own and those above it; for admins
/// also those below), newest first. One out of sight is NOT_FOUND.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Principal,
    organization_id: Option<Uuid>,
) -> AppResult<Vec<plenary_session::Model>> {
    let org = match organization_id {
        Some(id) => {
            organization::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("政协组织不存在"))?
        }
        None => actor.org.clone(),
    };
    authorize(actor, &org, true, "政协组织不存在")?;
    Ok(plenary_session::Entity::find()
        .filter(plenary_session::Column::OrganizationId.eq(org.id))
        .order_by_desc(plenary_session::Column::StartsOn)
        .all(db)
        .await?)
}

/// The session of `org` held on China date `day`, if any: what a proposal submitted that
/// day belongs to.
pub async fn held_on(db: &impl ConnectionTrait, org: Uuid, day: NaiveDate) -> AppResult<Option<Uuid>> {
    Ok(plenary_session::Entity::find()
        .filter(plenary_session::Column::OrganizationId.eq(org))
        .filter(plenary_session::Column::StartsOn.lte(day))
        .filter(plenary_session::Column::EndsOn.gte(day))
        .one(db)
        .await?
        .map(|s| s.id))
}

/// The next registration number of a session, inside the registering transaction: the
/// guarded increment locks the session row (PostgreSQL) or runs under the write lock
/// (SQLite), and a failed registration rolls it back, so numbers are unique and gap-free.
pub async fn next_serial(txn: &impl ConnectionTrait, session: Uuid) -> AppResult<(i32, String)> {
    plenary_session::Entity::update_many()
        .col_expr(plenary_session::Column::LastSerial, Expr::col(plenary_session::Column::LastSerial).add(1))
        .filter(plenary_session::Column::Id.eq(session))
        .exec(txn)
        .await?;
    let row = plenary_session::Entity::find_by_id(session)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("proposal of a missing session"))?;
    Ok((row.last_serial, row.name))
}
