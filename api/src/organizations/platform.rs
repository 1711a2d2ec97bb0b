//! The committee tree upward (issue 15): a deployment that started with a city can take in
//! the province above it. Platform admins (the first admin, and whom they name) create a
//! committee with no parent and attach existing roots under another committee. Everything
//! below a moved root moves with it: its `path` is rewritten in one statement.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{BinOper, Expr, ExprTrait, Func, OnConflict},
};
use uuid::Uuid;

use super::service::{NewOrganization, insert_organization, lock_organization};
use crate::{
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    members::service::{MembershipFields, insert_membership},
};
use entity::{Role, organization, platform_admin};

/// Makes `user` a platform admin (again: no error).
pub async fn grant(db: &impl ConnectionTrait, user: Uuid) -> AppResult<()> {
    platform_admin::Entity::insert(platform_admin::ActiveModel { user_id: Set(user), granted_at: Set(Utc::now()) })
        .on_conflict(OnConflict::column(platform_admin::Column::UserId).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn is_platform_admin(db: &impl ConnectionTrait, user: Uuid) -> AppResult<bool> {
    Ok(platform_admin::Entity::find_by_id(user).one(db).await?.is_some())
}

async fn require_platform_admin(db: &impl ConnectionTrait, actor: &Principal) -> AppResult<()> {
    if is_platform_admin(db, actor.viewer.user_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden("只有平台管理员可以创建顶级政协组织或调整组织的上下级关系"))
    }
}

/// A committee with no parent. Its creator becomes its first admin, so they can switch to
/// it and appoint its own admins and staff.
pub async fn create_root(
    db: &DatabaseConnection,
    actor: &Principal,
    input: NewOrganization,
) -> AppResult<organization::Model> {
    let txn = db::write(db).await?;
    require_platform_admin(&txn, actor).await?;
    let org = insert_organization(&txn, NewOrganization { parent_id: None, ..input }).await?;
    let admin = MembershipFields { role: Some(Role::Admin), ..Default::default() };
    insert_membership(&txn, actor.viewer.user_id, &org, admin).await?;
    txn.commit().await?;
    Ok(org)
}

/// Puts the root `id` (with everything below it) under `parent_id`.
pub async fn attach(
    db: &DatabaseConnection,
    actor: &Principal,
    id: Uuid,
    parent_id: Uuid,
) -> AppResult<organization::Model> {
    let txn = db::write(db).await?;
    require_platform_admin(&txn, actor).await?;
    // Both rows locked, in one order, and read again under the lock: two attaches at once
    // (A under B, B under A) cannot both pass the cycle check below.
    let (first, second) = if id < parent_id { (id, parent_id) } else { (parent_id, id) };
    let a = lock_organization(&txn, first).await?;
    let b = lock_organization(&txn, second).await?;
    let (org, parent) = if a.id == id { (a, b) } else { (b, a) };
    if org.parent_id.is_some() {
        return Err(AppError::conflict("id", "只能挂接顶级政协组织（它已有上级）"));
    }
    if org.contains(&parent) {
        return Err(AppError::bad_input("parentId", "不能挂接到自身或自己的下级之下"));
    }
    if parent.level.depth() >= org.level.depth() {
        return Err(AppError::bad_input("parentId", "上级政协组织的级别必须高于下级"));
    }
    // "/<org>/…" becomes "<parent path><org>/…" for the root and every descendant.
    // `||` and SUBSTR mean the same in PostgreSQL and SQLite.
    let rest = Func::cust("SUBSTR").arg(Expr::col(organization::Column::Path)).arg(2);
    let rewritten = Expr::val(parent.path.clone()).cast_as("TEXT").binary(BinOper::Custom("||"), rest);
    organization::Entity::update_many()
        .col_expr(organization::Column::Path, rewritten)
        .col_expr(organization::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(organization::Column::Path.starts_with(&org.path))
        .exec(&txn)
        .await?;
    let mut moved: organization::ActiveModel = organization::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("政协组织不存在"))?
        .into();
    moved.parent_id = Set(Some(parent.id));
    let moved = moved.update(&txn).await?;
    txn.commit().await?;
    Ok(moved)
}
