//! Rules for organizations and their catalogues.
use std::collections::HashSet;

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::access::{can_administer, can_manage_org, load_catalogue_for, load_org_for, require};
use crate::auth::principal::Principal;
use crate::{
    error::{AppError, AppResult},
    validate,
};
use entity::{
    OrganizationLevel, ProposalNumbering, Role, handling_unit, membership, organization, sector, sector_convener,
    special_committee,
};

/// Trims a required name and bounds its length.
pub fn clean_name(raw: &str, field: &str) -> AppResult<String> {
    validate::required(raw, field, 100)
}

/// An optional text: blank becomes none.
pub fn clean_optional(raw: Option<String>, field: &str, max: usize) -> AppResult<Option<String>> {
    validate::optional(raw, field, max)
}

/// A unique violation on a per-organization name becomes a field error.
fn name_taken(err: DbErr) -> AppError {
    if AppError::is_unique_violation(&err) {
        AppError::conflict("name", "本组织已有同名记录")
    } else {
        err.into()
    }
}

pub async fn find_org(db: &impl ConnectionTrait, id: Uuid, field: &str) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::bad_input(field, "政协组织不存在"))
}

/// Reads an organization and locks its row for the rest of the write transaction. Steps
/// whose rules span the organization's people take it first: a publication resolving a
/// briefing's audience, and a membership change recomputing that person's recipient rows,
/// so the two never interleave (PostgreSQL `FOR NO KEY UPDATE`; on SQLite the write
/// transaction already holds the database's write lock).
pub async fn lock_organization(txn: &DatabaseTransaction, id: Uuid) -> AppResult<organization::Model> {
    crate::transition::lock::<organization::Entity>(txn, id).await?.ok_or_else(|| AppError::not_found("政协组织不存在"))
}

pub struct NewOrganization {
    pub name: String,
    pub short_name: Option<String>,
    pub level: OrganizationLevel,
    pub parent_id: Option<Uuid>,
    pub region: Option<String>,
}

/// Inserts an organization; the root of a deployment is made by the bootstrap only.
pub async fn insert_organization(db: &impl ConnectionTrait, input: NewOrganization) -> AppResult<organization::Model> {
    let name = clean_name(&input.name, "name")?;
    let parent = match input.parent_id {
        Some(id) => Some(find_org(db, id, "parentId").await?),
        None => None,
    };
    if let Some(parent) = &parent
        && input.level.depth() <= parent.level.depth()
    {
        return Err(AppError::bad_input("level", "下级政协组织的级别必须低于上级"));
    }
    let id = Uuid::now_v7();
    let path = format!("{}{id}/", parent.as_ref().map_or("/", |p| p.path.as_str()));
    let now = Utc::now();
    Ok(organization::ActiveModel {
        id: Set(id),
        name: Set(name),
        short_name: Set(clean_optional(input.short_name, "shortName", 50)?),
        level: Set(input.level),
        parent_id: Set(input.parent_id),
        path: Set(path),
        region: Set(clean_optional(input.region, "region", 100)?),
        proposal_numbering: Set(ProposalNumbering::PerYear),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// A committee under `input.parent_id`. The parent is locked first: a platform admin
/// moving the tree (`platform::attach`) rewrites the paths the child's is built from.
pub async fn create_organization(
    db: &DatabaseConnection,
    actor: &Principal,
    input: NewOrganization,
) -> AppResult<organization::Model> {
    let parent_id = input.parent_id.ok_or_else(|| AppError::bad_input("parentId", "请指定上级政协组织"))?;
    let txn = crate::db::write(db).await?;
    let parent =
        lock_organization(&txn, parent_id).await.map_err(|_| AppError::bad_input("parentId", "政协组织不存在"))?;
    // The actor's organization as it is now: the request read it before the lock, and a
    // move of the tree in between rewrote both paths.
    let now = Principal { org: find_org(&txn, actor.org.id, "parentId").await?, ..actor.clone() };
    require(can_administer(&now, &parent))?;
    let org = insert_organization(&txn, input).await?;
    txn.commit().await?;
    Ok(org)
}

pub struct OrganizationChanges {
    pub name: Option<String>,
    pub short_name: Option<Option<String>>,
    pub region: Option<Option<String>>,
    pub proposal_numbering: Option<ProposalNumbering>,
}

pub async fn update_organization(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Uuid,
    changes: OrganizationChanges,
) -> AppResult<organization::Model> {
    let org = load_org_for(db, actor, id).await?;
    let mut am: organization::ActiveModel = org.into();
    if let Some(name) = changes.name {
        am.name = Set(clean_name(&name, "name")?);
    }
    if let Some(short) = changes.short_name {
        am.short_name = Set(clean_optional(short, "shortName", 50)?);
    }
    if let Some(region) = changes.region {
        am.region = Set(clean_optional(region, "region", 100)?);
    }
    if let Some(numbering) = changes.proposal_numbering {
        // Takes effect at the next registration; numbers already given stay as they are.
        am.proposal_numbering = Set(numbering);
    }
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// The organizations an actor sees: its own, its ancestors, and for admins its subtree.
pub async fn visible_organizations(
    db: &impl ConnectionTrait,
    actor: &Principal,
) -> AppResult<Vec<organization::Model>> {
    let ancestors: Vec<Uuid> = actor.org.path.split('/').filter_map(|s| s.parse().ok()).collect();
    let mut visible = Condition::any().add(organization::Column::Id.is_in(ancestors));
    if actor.role() == Role::Admin {
        visible = visible.add(organization::Column::Path.starts_with(&actor.org.path));
    }
    Ok(organization::Entity::find().filter(visible).order_by_asc(organization::Column::Path).all(db).await?)
}

pub async fn children(db: &impl ConnectionTrait, org: Uuid) -> AppResult<Vec<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::ParentId.eq(org))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?)
}

/// One of an organization's catalogues (sectors, special committees, handling units: every
/// table with an `organization_id`), in the order they were created.
pub async fn catalogue<E: EntityTrait>(db: &impl ConnectionTrait, org: Uuid) -> AppResult<Vec<E::Model>> {
    Ok(E::find().filter(Expr::col("organization_id").eq(org)).order_by_asc(Expr::col("id")).all(db).await?)
}

/// The organization a catalogue entry goes into: the one named, or the actor's own.
async fn target_org(db: &impl ConnectionTrait, actor: &Principal, id: Option<Uuid>) -> AppResult<organization::Model> {
    let org = match id {
        Some(id) => find_org(db, id, "organizationId").await?,
        None => actor.org.clone(),
    };
    require(can_manage_org(actor, &org))?;
    Ok(org)
}

/// Conveners must be members of the sector's organization.
async fn check_conveners(db: &impl ConnectionTrait, org: Uuid, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let unique: Vec<Uuid> = ids.iter().copied().collect::<HashSet<_>>().into_iter().collect();
    let found = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(org))
        .filter(membership::Column::Role.eq(Role::Member))
        .filter(membership::Column::UserId.is_in(unique.clone()))
        .all(db)
        .await?;
    if found.len() != unique.len() {
        return Err(AppError::bad_input("convenerIds", "召集人必须是本组织的委员"));
    }
    Ok(unique)
}

async fn replace_conveners(db: &impl ConnectionTrait, sector: Uuid, users: Vec<Uuid>) -> AppResult<()> {
    sector_convener::Entity::delete_many().filter(sector_convener::Column::SectorId.eq(sector)).exec(db).await?;
    let rows: Vec<sector_convener::ActiveModel> = users
        .into_iter()
        .map(|user_id| sector_convener::ActiveModel { sector_id: Set(sector), user_id: Set(user_id) })
        .collect();
    if !rows.is_empty() {
        sector_convener::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

pub async fn create_sector(
    db: &DatabaseConnection,
    actor: &Principal,
    organization_id: Option<Uuid>,
    name: &str,
    convener_ids: &[Uuid],
) -> AppResult<sector::Model> {
    let org = target_org(db, actor, organization_id).await?;
    let name = clean_name(name, "name")?;
    let conveners = check_conveners(db, org.id, convener_ids).await?;
    let txn = db.begin().await?;
    let now = Utc::now();
    let sector = sector::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        name: Set(name),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(name_taken)?;
    replace_conveners(&txn, sector.id, conveners).await?;
    txn.commit().await?;
    Ok(sector)
}

pub async fn update_sector(
    db: &DatabaseConnection,
    actor: &Principal,
    id: Uuid,
    name: Option<String>,
    convener_ids: Option<Vec<Uuid>>,
) -> AppResult<sector::Model> {
    let sector = load_catalogue_for::<sector::Entity>(db, actor, id, "界别不存在", |s| s.organization_id).await?;
    let conveners = match &convener_ids {
        Some(ids) => Some(check_conveners(db, sector.organization_id, ids).await?),
        None => None,
    };
    let txn = db.begin().await?;
    let mut am: sector::ActiveModel = sector.into();
    if let Some(name) = name {
        am.name = Set(clean_name(&name, "name")?);
    }
    am.updated_at = Set(Utc::now());
    let sector = am.update(&txn).await.map_err(name_taken)?;
    if let Some(conveners) = conveners {
        replace_conveners(&txn, sector.id, conveners).await?;
    }
    txn.commit().await?;
    Ok(sector)
}

pub async fn create_special_committee(
    db: &impl ConnectionTrait,
    actor: &Principal,
    organization_id: Option<Uuid>,
    name: &str,
) -> AppResult<special_committee::Model> {
    let org = target_org(db, actor, organization_id).await?;
    let now = Utc::now();
    special_committee::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        name: Set(clean_name(name, "name")?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(name_taken)
}

pub async fn update_special_committee(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Uuid,
    name: &str,
) -> AppResult<special_committee::Model> {
    let found = load_catalogue_for::<special_committee::Entity>(db, actor, id, "专门委员会不存在", |c| {
        c.organization_id
    })
    .await?;
    let mut am: special_committee::ActiveModel = found.into();
    am.name = Set(clean_name(name, "name")?);
    am.updated_at = Set(Utc::now());
    am.update(db).await.map_err(name_taken)
}

pub struct HandlingUnitFields {
    pub name: Option<String>,
    pub contact_person: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
}

fn apply_unit_fields(am: &mut handling_unit::ActiveModel, fields: HandlingUnitFields) -> AppResult<()> {
    if let Some(name) = fields.name {
        am.name = Set(clean_name(&name, "name")?);
    }
    if let Some(person) = fields.contact_person {
        am.contact_person = Set(clean_optional(person, "contactPerson", 50)?);
    }
    if let Some(phone) = fields.contact_phone {
        // Office landlines are fine here: only the length is bounded.
        am.contact_phone = Set(clean_optional(phone, "contactPhone", 30)?);
    }
    Ok(())
}

pub async fn create_handling_unit(
    db: &impl ConnectionTrait,
    actor: &Principal,
    organization_id: Option<Uuid>,
    fields: HandlingUnitFields,
) -> AppResult<handling_unit::Model> {
    let org = target_org(db, actor, organization_id).await?;
    if fields.name.is_none() {
        return Err(AppError::bad_input("name", "名称不能为空"));
    }
    let now = Utc::now();
    let mut am = handling_unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org.id),
        contact_person: Set(None),
        contact_phone: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply_unit_fields(&mut am, fields)?;
    am.insert(db).await.map_err(name_taken)
}

pub async fn update_handling_unit(
    db: &impl ConnectionTrait,
    actor: &Principal,
    id: Uuid,
    fields: HandlingUnitFields,
) -> AppResult<handling_unit::Model> {
    let found =
        load_catalogue_for::<handling_unit::Entity>(db, actor, id, "承办单位不存在", |u| u.organization_id).await?;
    let mut am: handling_unit::ActiveModel = found.into();
    apply_unit_fields(&mut am, fields)?;
    am.updated_at = Set(Utc::now());
    am.update(db).await.map_err(name_taken)
}
