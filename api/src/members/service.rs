//! Rules for users and memberships.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::policy;
use crate::{
    auth::principal::Principal,
    auth::{
        password::{self, Passwords},
        sessions::Sessions,
    },
    briefings::service as briefings,
    db,
    error::{AppError, AppResult},
    notifications::push,
    organizations::{
        access::{can_grant, require, sees_org},
        service::{clean_name, find_org, lock_organization},
    },
    phone,
    sql::like_contains,
};
use entity::{Office, Party, Role, UserStatus, handling_unit, membership, organization, sector, user};

/// A user's memberships, oldest first (the first is where a login lands by default).
pub async fn memberships_of(db: &impl ConnectionTrait, user: Uuid) -> AppResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?)
}

/// The user's membership in one organization, if any.
pub async fn membership_in(db: &impl ConnectionTrait, user: Uuid, org: Uuid) -> AppResult<Option<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::UserId.eq(user))
        .filter(membership::Column::OrganizationId.eq(org))
        .one(db)
        .await?)
}

fn phone_taken(err: DbErr) -> AppError {
    if AppError::is_unique_violation(&err) { AppError::conflict("phone", "该手机号已注册") } else { err.into() }
}

pub struct NewUser {
    pub phone: String,
    pub name: String,
    pub password: String,
}

/// Inserts a user without permission checks (bootstrap, demo data, and `create_user`);
/// `created_in` is the organization whose office looks after the account until it joins one.
pub async fn insert_user(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    input: NewUser,
    must_change_password: bool,
    created_in: Option<Uuid>,
) -> AppResult<user::Model> {
    let phone = phone::normalize(&input.phone, "phone")?;
    let name = clean_name(&input.name, "name")?;
    password::check_strength(&input.password, "password")?;
    let hash = passwords.hash(input.password).await?;
    let now = Utc::now();
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        phone: Set(phone),
        name: Set(name),
        password_hash: Set(hash),
        status: Set(UserStatus::Active),
        must_change_password: Set(must_change_password),
        password_changed_at: Set(now),
        created_in_organization_id: Set(created_in),
        left_organization_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(phone_taken)
}

pub async fn create_user(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    actor: &Principal,
    input: NewUser,
) -> AppResult<user::Model> {
    require(actor.viewer.is_office())?;
    insert_user(db, passwords, input, false, Some(actor.org.id)).await
}

/// A person as the rules about their account see them: the memberships they hold (with
/// their organizations) and, when they hold none, where the account came from.
pub struct Standing {
    pub person: user::Model,
    pub held: Vec<(membership::Model, organization::Model)>,
    pub created_in: Option<organization::Model>,
    pub left: Option<organization::Model>,
}

impl Standing {
    pub async fn load(db: &impl ConnectionTrait, person: user::Model) -> AppResult<Self> {
        let memberships = memberships_of(db, person.id).await?;
        let mut ids: Vec<Uuid> = memberships.iter().map(|m| m.organization_id).collect();
        ids.extend(person.created_in_organization_id);
        ids.extend(person.left_organization_id);
        let orgs: Vec<organization::Model> =
            organization::Entity::find().filter(organization::Column::Id.is_in(ids)).all(db).await?;
        let org = |id: Option<Uuid>| id.and_then(|id| orgs.iter().find(|o| o.id == id).cloned());
        let held = memberships.into_iter().filter_map(|m| org(Some(m.organization_id)).map(|o| (m, o))).collect();
        let created_in = org(person.created_in_organization_id);
        let left = org(person.left_organization_id);
        Ok(Self { person, held, created_in, left })
    }

    fn held(&self) -> Vec<policy::Held<'_>> {
        self.held.iter().map(|(m, o)| (m, o)).collect()
    }

    fn unattached(&self) -> policy::Unattached<'_> {
        policy::Unattached { created_in: self.created_in.as_ref(), left: self.left.as_ref() }
    }

    pub fn looked_after_by(&self, actor: &Principal) -> bool {
        policy::looks_after(actor, &self.person, &self.held(), &self.unattached())
    }

    pub fn private_to(&self, actor: &Principal) -> bool {
        policy::sees_private(actor, &self.person, &self.held(), &self.unattached())
    }

    /// Office-only operations on a person: a person in the actor's sight (themself, or one
    /// with a membership in an organization the actor sees) is `FORBIDDEN` to anyone but the
    /// office; anyone else is `NOT_FOUND`, as for a person of another committee. The office
    /// then sees only those whose personal data it may read (`private_to`).
    fn office_door(&self, actor: &Principal) -> AppResult<()> {
        if !actor.viewer.is_office() {
            let in_sight =
                self.person.id == actor.viewer.user_id || self.held.iter().any(|(_, org)| sees_org(actor, org));
            return Err(if in_sight {
                AppError::forbidden("没有权限执行此操作")
            } else {
                AppError::not_found("用户不存在")
            });
        }
        if self.private_to(actor) { Ok(()) } else { Err(AppError::not_found("用户不存在")) }
    }
}

/// The account, if the actor looks after it (see `policy::looks_after`); `FORBIDDEN`
/// when they only see it, `NOT_FOUND` when they do not even see it.
async fn require_manages_user(db: &impl ConnectionTrait, actor: &Principal, target: Uuid) -> AppResult<user::Model> {
    let found = user::Entity::find_by_id(target).one(db).await?.ok_or_else(|| AppError::not_found("用户不存在"))?;
    let standing = Standing::load(db, found).await?;
    standing.office_door(actor)?;
    require(standing.looked_after_by(actor))?;
    Ok(standing.person)
}

pub struct UserChanges {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// A reset by the office: the user is asked to choose a new one, other sessions end.
    pub password: Option<String>,
}

pub async fn update_user(
    db: &impl ConnectionTrait,
    sessions: &Sessions,
    passwords: &Passwords,
    actor: &Principal,
    id: Uuid,
    changes: UserChanges,
) -> AppResult<user::Model> {
    let found = require_manages_user(db, actor, id).await?;
    let mut am: user::ActiveModel = found.into();
    if let Some(name) = changes.name {
        am.name = Set(clean_name(&name, "name")?);
    }
    if let Some(raw) = changes.phone {
        am.phone = Set(phone::normalize(&raw, "phone")?);
    }
    let reset = changes.password.is_some();
    if let Some(new) = changes.password {
        password::check_strength(&new, "password")?;
        am.password_hash = Set(passwords.hash(new).await?);
        am.must_change_password = Set(true);
        am.password_changed_at = Set(Utc::now());
    }
    am.updated_at = Set(Utc::now());
    let updated = am.update(db).await.map_err(phone_taken)?;
    if reset {
        sessions.revoke_all(id, None).await?;
        push::forget_user(db, id, None).await?;
    }
    Ok(updated)
}

/// Disables (or re-enables) an account. Disabling ends all of its sessions at once, also
/// one a login in flight is creating (see `Sessions::disable_user`).
pub async fn set_user_status(
    db: &impl ConnectionTrait,
    sessions: &Sessions,
    actor: &Principal,
    id: Uuid,
    status: UserStatus,
) -> AppResult<user::Model> {
    if id == actor.viewer.user_id {
        return Err(AppError::bad_input("id", "不能停用自己的账号"));
    }
    let found = require_manages_user(db, actor, id).await?;
    let mut am: user::ActiveModel = found.into();
    am.status = Set(status);
    am.updated_at = Set(Utc::now());
    let updated = am.update(db).await?;
    // The gate follows the committed status, never leads it: a gate closed for a status
    // that failed to commit would lock out an active user.
    if status == UserStatus::Disabled {
        let ended = sessions.disable_user(id).await?;
        push::forget_user(db, id, None).await?;
        tracing::info!(user = %id, sessions = ended, "user disabled");
    } else {
        sessions.enable_user(id).await?;
    }
    Ok(updated)
}

/// The member-specific attributes of a membership.
#[derive(Default)]
pub struct MembershipFields {
    pub role: Option<Role>,
    pub sector_id: Option<Option<Uuid>>,
    pub party: Option<Option<Party>>,
    pub standing_committee: Option<bool>,
    pub office: Option<Option<Office>>,
    pub term: Option<Option<i32>>,
    pub handling_unit_id: Option<Option<Uuid>>,
}

/// Checks references against the organization and the UNIT ⇔ handling unit rule, on the
/// membership as it will be after the change.
async fn check_membership(db: &impl ConnectionTrait, m: &membership::ActiveModel) -> AppResult<()> {
    let org = *m.organization_id.as_ref();
    if let Some(sector_id) = *m.sector_id.as_ref() {
        let found = sector::Entity::find_by_id(sector_id).one(db).await?;
        if found.is_none_or(|s| s.organization_id != org) {
            return Err(AppError::bad_input("sectorId", "界别不存在或不属于该政协组织"));
        }
    }
    match (*m.role.as_ref(), *m.handling_unit_id.as_ref()) {
        (Role::Unit, None) => return Err(AppError::bad_input("handlingUnitId", "承办单位账号须指定所属承办单位")),
        (Role::Unit, Some(unit)) => {
            let found = handling_unit::Entity::find_by_id(unit).one(db).await?;
            if found.is_none_or(|u| u.organization_id != org) {
                return Err(AppError::bad_input("handlingUnitId", "承办单位不存在或不属于该政协组织"));
            }
        }
        (_, Some(_)) => return Err(AppError::bad_input("handlingUnitId", "只有承办单位账号可以指定承办单位")),
        (_, None) => {}
    }
    if let Some(term) = *m.term.as_ref()
        && !(1..=99).contains(&term)
    {
        return Err(AppError::bad_input("term", "届次应为1到99"));
    }
    Ok(())
}

fn apply_fields(am: &mut membership::ActiveModel, f: MembershipFields) {
    if let Some(role) = f.role {
        am.role = Set(role);
    }
    if let Some(v) = f.sector_id {
        am.sector_id = Set(v);
    }
    if let Some(v) = f.party {
        am.party = Set(v);
    }
    if let Some(v) = f.standing_committee {
        am.standing_committee = Set(v);
    }
    if let Some(v) = f.office {
        am.office = Set(v);
    }
    if let Some(v) = f.term {
        am.term = Set(v);
    }
    if let Some(v) = f.handling_unit_id {
        am.handling_unit_id = Set(v);
    }
}

/// Whom a membership is for: an account the office looks after (by id), or an existing
/// account linked by its phone number — which whoever links it then knows anyway — so an
/// office cannot attach a stranger by a bare id and read their personal data.
pub enum Person {
    Id(Uuid),
    Phone(String),
}

/// Adds a membership, with the recipient rows of the briefings now addressed to the
/// person, in one write transaction.
pub async fn add_membership(
    db: &DatabaseConnection,
    actor: &Principal,
    person: Person,
    organization_id: Uuid,
    fields: MembershipFields,
) -> AppResult<membership::Model> {
    let role = fields.role.ok_or_else(|| AppError::bad_input("role", "请指定角色"))?;
    let txn = db::write(db).await?;
    let org = find_org(&txn, organization_id, "organizationId").await?;
    require(can_grant(actor, &org, role))?;
    let user_id = match person {
        Person::Id(id) => {
            let found = user::Entity::find_by_id(id).one(&txn).await?;
            let found = found.ok_or_else(|| AppError::bad_input("userId", "用户不存在"))?;
            let standing = Standing::load(&txn, found).await?;
            if !standing.looked_after_by(actor) {
                return Err(AppError::bad_input("userId", "该用户不由本机关管理，请用手机号添加已有账号"));
            }
            id
        }
        Person::Phone(raw) => {
            let phone = phone::normalize(&raw, "phone")?;
            let found = user::Entity::find().filter(user::Column::Phone.eq(&phone)).one(&txn).await?;
            found.ok_or_else(|| AppError::bad_input("phone", "该手机号尚未注册，请先新建用户"))?.id
        }
    };
    let inserted = insert_membership(&txn, user_id, &org, fields).await?;
    txn.commit().await?;
    Ok(inserted)
}

/// Inserts a membership after checking its references (no permission check), inside the
/// caller's write transaction: the organization is locked first and the person receives
/// the live briefings addressed to people like them, so that a briefing published at the
/// same moment reaches them exactly once (see `briefings::service::membership_changed`).
pub async fn insert_membership(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    org: &organization::Model,
    fields: MembershipFields,
) -> AppResult<membership::Model> {
    lock_organization(txn, org.id).await?;
    let now = Utc::now();
    let mut am = membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        organization_id: Set(org.id),
        role: Set(Role::Member),
        sector_id: Set(None),
        party: Set(None),
        standing_committee: Set(false),
        office: Set(None),
        term: Set(None),
        handling_unit_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    apply_fields(&mut am, fields);
    check_membership(txn, &am).await?;
    let inserted = am.insert(txn).await.map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::conflict("userId", "该用户已在此政协组织中")
        } else {
            e.into()
        }
    })?;
    briefings::membership_changed(txn, inserted.user_id, inserted.organization_id, Some(&inserted)).await?;
    Ok(inserted)
}

/// Changes a membership; the person's briefings follow their new place in the audience
/// (standing committee, sector, party, role…) in the same transaction.
pub async fn update_membership(
    db: &DatabaseConnection,
    sessions: &Sessions,
    actor: &Principal,
    id: Uuid,
    fields: MembershipFields,
) -> AppResult<membership::Model> {
    let txn = db::write(db).await?;
    let (found, org) = policy::load_membership_for(&txn, actor, id).await?;
    if let Some(role) = fields.role {
        require(can_grant(actor, &org, role))?;
    }
    let role_before = found.role;
    let mut am: membership::ActiveModel = found.into();
    apply_fields(&mut am, fields);
    check_membership(&txn, &am).await?;
    am.updated_at = Set(Utc::now());
    let updated = am.update(&txn).await?;
    briefings::membership_changed(&txn, updated.user_id, updated.organization_id, Some(&updated)).await?;
    txn.commit().await?;
    if updated.role != role_before {
        sessions.apply_membership_change(updated.user_id, updated.organization_id, Some(updated.role)).await?;
    }
    Ok(updated)
}

/// Removes a membership; what was addressed to the person there leaves their feed (their
/// read receipts stay), in the same transaction.
pub async fn remove_membership(
    db: &DatabaseConnection,
    sessions: &Sessions,
    actor: &Principal,
    id: Uuid,
) -> AppResult<membership::Model> {
    let txn = db::write(db).await?;
    let (found, _) = policy::load_membership_for(&txn, actor, id).await?;
    if found.user_id == actor.viewer.user_id && found.organization_id == actor.org.id {
        return Err(AppError::bad_input("id", "不能移除自己当前使用的身份"));
    }
    membership::Entity::delete_by_id(found.id).exec(&txn).await?;
    if memberships_of(&txn, found.user_id).await?.is_empty() {
        // Belonging nowhere now, the account is looked after by this organization's admins.
        user::Entity::update_many()
            .col_expr(user::Column::LeftOrganizationId, Expr::value(Some(found.organization_id)))
            .filter(user::Column::Id.eq(found.user_id))
            .exec(&txn)
            .await?;
    }
    briefings::membership_changed(&txn, found.user_id, found.organization_id, None).await?;
    txn.commit().await?;
    sessions.apply_membership_change(found.user_id, found.organization_id, None).await?;
    Ok(found)
}

#[derive(Default)]
pub struct MemberFilter {
    pub role: Option<Role>,
    pub sector_id: Option<Uuid>,
    pub party: Option<Party>,
    pub standing_committee: Option<bool>,
    pub search: Option<String>,
}

/// A page of the member directory of `org`, in joining order, after the cursor `after`.
/// Returns the rows (up to `limit + 1`, the extra one telling that more follow) and the
/// total of the filtered list. Phone search only for the office (`search_phone`).
pub async fn list_members(
    db: &impl ConnectionTrait,
    org: Uuid,
    filter: MemberFilter,
    search_phone: bool,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<membership::Model>, u64)> {
    let mut cond = Condition::all()
        .add(membership::Column::OrganizationId.eq(org))
        .add(membership::Column::Role.eq(filter.role.unwrap_or(Role::Member)));
    if let Some(sector) = filter.sector_id {
        cond = cond.add(membership::Column::SectorId.eq(sector));
    }
    if let Some(party) = filter.party {
        cond = cond.add(membership::Column::Party.eq(party));
    }
    if let Some(sc) = filter.standing_committee {
        cond = cond.add(membership::Column::StandingCommittee.eq(sc));
    }
    if let Some(text) = filter.search.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        let mut matches = Condition::any().add(Expr::col(user::Column::Name).like(like_contains(&text)));
        if search_phone {
            matches = matches.add(Expr::col(user::Column::Phone).like(like_contains(&text)));
        }
        let users = Query::select().column(user::Column::Id).from(user::Entity).cond_where(matches).to_owned();
        cond = cond.add(membership::Column::UserId.in_subquery(users));
    }
    let total = membership::Entity::find().filter(cond.clone()).count(db).await?;
    let mut page = membership::Entity::find().filter(cond);
    if let Some(after) = after {
        page = page.filter(membership::Column::Id.gt(after));
    }
    let rows = page.order_by_asc(membership::Column::Id).limit(limit + 1).all(db).await?;
    Ok((rows, total))
}

/// A user an office actor may look at: one with a membership the actor manages, or one
/// belonging nowhere whose account the actor looks after (`policy`).
pub async fn visible_user(db: &impl ConnectionTrait, actor: &Principal, id: Uuid) -> AppResult<user::Model> {
    let found = user::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("用户不存在"))?;
    let standing = Standing::load(db, found).await?;
    standing.office_door(actor)?;
    Ok(standing.person)
}
