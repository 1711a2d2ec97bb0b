//! GraphQL face of users and memberships; resolvers only translate and call `service`.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    policy,
    service::{self, MemberFilter as Filter, MembershipFields, NewUser, Person, UserChanges},
};
use crate::{
    auth::principal::Principal,
    error::AppError,
    graphql::{
        context::{ContextExt, actor, parse_id, to_id},
        enums::{Office, Party, Role, UserStatus},
        loaders::{self, HandlingUnitKey, MembershipsOf, OrganizationKey, SectorKey, UserKey},
        pagination::{Page, connection, decode_cursor, page_size},
    },
    organizations::graphql::{HandlingUnit, Organization, Sector},
};
use entity::{membership, organization, user};

/// 用户：用手机号和密码登录的人
pub struct User(pub user::Model, pub Audience);

/// Who a `User` is being shown to, when the request itself cannot tell (the answer to
/// `login` is read by the user who just logged in, before any token exists).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Viewer,
    Themself,
}

impl User {
    pub fn new(model: user::Model) -> Self {
        Self(model, Audience::Viewer)
    }

    /// The viewer as the rules about personal data see them (none for the user
    /// themself right after logging in, or for a member, who never sees others' data).
    async fn office_actor<'a>(&self, ctx: &'a Context<'_>) -> Result<Option<&'a Principal>> {
        if !ctx.viewer_opt().is_some_and(|v| v.is_office() && v.user_id != self.0.id) {
            return Ok(None);
        }
        Ok(Some(actor(ctx).await?))
    }

    /// The person's memberships with their organizations, through the loaders.
    async fn held(&self, ctx: &Context<'_>) -> Result<Vec<(membership::Model, organization::Model)>> {
        let mut held = Vec::new();
        for m in loaders::load(ctx, MembershipsOf(self.0.id)).await?.unwrap_or_default() {
            if let Some(org) = loaders::load(ctx, OrganizationKey(m.organization_id)).await? {
                held.push((m, org));
            }
        }
        Ok(held)
    }

    fn is_themself(&self, ctx: &Context<'_>) -> bool {
        self.1 == Audience::Themself || ctx.viewer_opt().is_some_and(|v| v.user_id == self.0.id)
    }

    /// Whether private fields (phone, memberships) are shown: to the user themself, and to
    /// the office of an organization where they hold a membership it manages
    /// (`members::policy`).
    async fn private_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        if self.is_themself(ctx) {
            return Ok(true);
        }
        let Some(actor) = self.office_actor(ctx).await? else { return Ok(false) };
        let held = self.held(ctx).await?;
        if held.is_empty() {
            let state = ctx.state()?;
            let standing = service::Standing::load(&state.db, self.0.clone()).await?;
            return Ok(standing.private_to(actor));
        }
        let held: Vec<policy::Held<'_>> = held.iter().map(|(m, o)| (m, o)).collect();
        let nowhere = policy::Unattached { created_in: None, left: None };
        Ok(policy::sees_private(actor, &self.0, &held, &nowhere))
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// 姓名
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// 手机号：仅本人，以及其所在组织（由查看者管理的组织）的机关工作人员和管理员可见，其他人看到 null
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<&str>> {
        Ok(self.private_visible(ctx).await?.then_some(self.0.phone.as_str()))
    }
    async fn status(&self) -> UserStatus {
        self.0.status.into()
    }
    /// 初始密码或被重置的密码：应用应提示用户修改
    async fn must_change_password(&self) -> bool {
        self.0.must_change_password
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// 该用户在各政协组织中的身份：本人看到全部；机关工作人员和管理员只看到其管理的组织中的身份
    async fn memberships(&self, ctx: &Context<'_>) -> Result<Option<Vec<Membership>>> {
        if self.is_themself(ctx) {
            let list = loaders::load(ctx, MembershipsOf(self.0.id)).await?.unwrap_or_default();
            return Ok(Some(list.into_iter().map(Membership).collect()));
        }
        if !self.private_visible(ctx).await? {
            return Ok(None);
        }
        let Some(actor) = self.office_actor(ctx).await? else { return Ok(None) };
        let shown = self.held(ctx).await?.into_iter().filter(|(_, org)| policy::shown_membership(actor, &self.0, org));
        Ok(Some(shown.map(|(m, _)| Membership(m)).collect()))
    }
}

/// 委员身份/岗位：一个用户在一个政协组织中的角色
pub struct Membership(pub membership::Model);

#[Object]
impl Membership {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let found = loaders::load(ctx, UserKey(self.0.user_id)).await?;
        Ok(User::new(found.ok_or_else(|| AppError::internal("membership without user"))?))
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        let found = loaders::load(ctx, OrganizationKey(self.0.organization_id)).await?;
        Ok(Organization(found.ok_or_else(|| AppError::internal("membership without organization"))?))
    }
    /// 界别
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        let Some(id) = self.0.sector_id else { return Ok(None) };
        Ok(loaders::load(ctx, SectorKey(id)).await?.map(Sector))
    }
    /// 党派
    async fn party(&self) -> Option<Party> {
        self.0.party.map(Into::into)
    }
    /// 是否常委
    async fn standing_committee(&self) -> bool {
        self.0.standing_committee
    }
    /// 职务
    async fn office(&self) -> Option<Office> {
        self.0.office.map(Into::into)
    }
    /// 届次
    async fn term(&self) -> Option<i32> {
        self.0.term
    }
    /// 承办单位账号所属的承办单位
    async fn handling_unit(&self, ctx: &Context<'_>) -> Result<Option<HandlingUnit>> {
        let Some(id) = self.0.handling_unit_id else { return Ok(None) };
        Ok(loaders::load(ctx, HandlingUnitKey(id)).await?.map(HandlingUnit))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct MemberFilter {
    pub sector_id: Option<ID>,
    pub party: Option<Party>,
    pub standing_committee: Option<bool>,
    /// 按姓名（机关工作人员和管理员还可按手机号）模糊查找
    pub search: Option<String>,
    /// 默认只列出委员（MEMBER）
    pub role: Option<Role>,
}

#[derive(Default)]
pub struct MemberQuery;

#[Object]
impl MemberQuery {
    /// 本组织委员名录（按加入顺序，游标分页）
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        filter: Option<MemberFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Membership>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            role: f.role.map(Into::into),
            sector_id: f.sector_id.as_ref().map(|id| parse_id(id, "filter.sectorId")).transpose()?,
            party: f.party.map(Into::into),
            standing_committee: f.standing_committee,
            search: f.search,
        };
        let state = ctx.state()?;
        let (rows, total) =
            service::list_members(&state.db, viewer.organization_id, filter, viewer.is_office(), cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |m| m.id, Membership))
    }

    /// 按 ID 查看用户：机关工作人员和管理员
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "id")?;
        Ok(User::new(service::visible_user(&ctx.state()?.db, actor, id).await?))
    }

    /// 当前登录所在组织中的身份
    async fn current_membership(&self, ctx: &Context<'_>) -> Result<Membership> {
        let viewer = ctx.viewer()?;
        let list = service::memberships_of(&ctx.state()?.db, viewer.user_id).await?;
        let found = list.into_iter().find(|m| m.organization_id == viewer.organization_id);
        Ok(Membership(found.ok_or_else(|| AppError::unauthenticated("登录已失效，请重新登录"))?))
    }
}

#[derive(InputObject)]
pub struct CreateUserInput {
    /// 11位大陆手机号，即登录名
    pub phone: String,
    pub name: String,
    /// 初始密码：8到128位，至少包含字母、数字、符号中的两种
    pub password: String,
}

#[derive(InputObject)]
pub struct UpdateUserInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// 重置密码（8到128位，至少包含字母、数字、符号中的两种）：该用户的所有登录都将失效，下次登录后应修改密码
    pub password: Option<String>,
}

/// 给出 userId（本机关新建或管理的账号）或 phone（按手机号添加已有账号）其中之一
#[derive(InputObject)]
pub struct AddMembershipInput {
    pub user_id: Option<ID>,
    /// 已有账号的手机号：其他政协组织的委员加入本组织时使用
    pub phone: Option<String>,
    pub organization_id: ID,
    pub role: Role,
    pub sector_id: Option<ID>,
    pub party: Option<Party>,
    #[graphql(default)]
    pub standing_committee: bool,
    pub office: Option<Office>,
    pub term: Option<i32>,
    /// UNIT 角色必填
    pub handling_unit_id: Option<ID>,
}

/// 省略的字段保持不变；显式传 null 则清空
#[derive(InputObject)]
pub struct UpdateMembershipInput {
    pub role: Option<Role>,
    pub sector_id: MaybeUndefined<ID>,
    pub party: MaybeUndefined<Party>,
    pub standing_committee: Option<bool>,
    pub office: MaybeUndefined<Office>,
    pub term: MaybeUndefined<i32>,
    pub handling_unit_id: MaybeUndefined<ID>,
}

fn maybe_id(value: MaybeUndefined<ID>, field: &str) -> Result<Option<Option<uuid::Uuid>>, AppError> {
    let value: Option<Option<ID>> = value.into();
    value.map(|v| v.map(|id| parse_id(&id, field)).transpose()).transpose()
}

#[derive(SimpleObject)]
pub struct RemovedMembership {
    pub id: ID,
}

#[derive(Default)]
pub struct MemberMutation;

#[Object]
impl MemberMutation {
    /// 新建用户（机关工作人员、管理员）
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let actor = actor(ctx).await?;
        let new = NewUser { phone: input.phone, name: input.name, password: input.password };
        let state = ctx.state()?;
        Ok(User::new(service::create_user(&state.db, &state.passwords, actor, new).await?))
    }

    async fn update_user(&self, ctx: &Context<'_>, id: ID, input: UpdateUserInput) -> Result<User> {
        let actor = actor(ctx).await?;
        let state = ctx.state()?;
        let changes = UserChanges { name: input.name, phone: input.phone, password: input.password };
        let id = parse_id(&id, "id")?;
        let updated = service::update_user(&state.db, &state.sessions, &state.passwords, actor, id, changes).await?;
        crate::live::person_changed(state, id).await;
        Ok(User::new(updated))
    }

    /// 停用账号：该用户的所有登录立即失效
    async fn disable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let actor = actor(ctx).await?;
        let state = ctx.state()?;
        let id = parse_id(&id, "id")?;
        let disabled =
            service::set_user_status(&state.db, &state.sessions, actor, id, entity::UserStatus::Disabled).await?;
        crate::live::person_changed(state, id).await;
        Ok(User::new(disabled))
    }

    async fn enable_user(&self, ctx: &Context<'_>, id: ID) -> Result<User> {
        let actor = actor(ctx).await?;
        let state = ctx.state()?;
        let id = parse_id(&id, "id")?;
        let enabled =
            service::set_user_status(&state.db, &state.sessions, actor, id, entity::UserStatus::Active).await?;
        crate::live::person_changed(state, id).await;
        Ok(User::new(enabled))
    }

    async fn add_membership(&self, ctx: &Context<'_>, input: AddMembershipInput) -> Result<Membership> {
        let actor = actor(ctx).await?;
        let fields = MembershipFields {
            role: Some(input.role.into()),
            sector_id: Some(input.sector_id.as_ref().map(|id| parse_id(id, "sectorId")).transpose()?),
            party: Some(input.party.map(Into::into)),
            standing_committee: Some(input.standing_committee),
            office: Some(input.office.map(Into::into)),
            term: Some(input.term),
            handling_unit_id: Some(
                input.handling_unit_id.as_ref().map(|id| parse_id(id, "handlingUnitId")).transpose()?,
            ),
        };
        let person = match (input.user_id, input.phone) {
            (Some(id), None) => Person::Id(parse_id(&id, "userId")?),
            (None, Some(phone)) => Person::Phone(phone),
            _ => return Err(AppError::bad_input("userId", "请给出 userId 或 phone 其中之一").into()),
        };
        let org = parse_id(&input.organization_id, "organizationId")?;
        let state = ctx.state()?;
        let added = service::add_membership(&state.db, actor, person, org, fields).await?;
        // The person's briefings there follow the new membership: so does their badge.
        crate::live::badge_moved(state, added.user_id).await;
        Ok(Membership(added))
    }

    async fn update_membership(&self, ctx: &Context<'_>, id: ID, input: UpdateMembershipInput) -> Result<Membership> {
        let actor = actor(ctx).await?;
        let state = ctx.state()?;
        let fields = MembershipFields {
            role: input.role.map(Into::into),
            sector_id: maybe_id(input.sector_id, "sectorId")?,
            party: Option::<Option<Party>>::from(input.party).map(|p| p.map(Into::into)),
            standing_committee: input.standing_committee,
            office: Option::<Option<Office>>::from(input.office).map(|o| o.map(Into::into)),
            term: input.term.into(),
            handling_unit_id: maybe_id(input.handling_unit_id, "handlingUnitId")?,
        };
        let id = parse_id(&id, "id")?;
        let updated = service::update_membership(&state.db, &state.sessions, actor, id, fields).await?;
        crate::live::badge_moved(state, updated.user_id).await;
        Ok(Membership(updated))
    }

    /// 移除身份：该用户在此组织中的登录随即失效
    async fn remove_membership(&self, ctx: &Context<'_>, id: ID) -> Result<RemovedMembership> {
        let actor = actor(ctx).await?;
        let state = ctx.state()?;
        let removed = service::remove_membership(&state.db, &state.sessions, actor, parse_id(&id, "id")?).await?;
        crate::live::badge_moved(state, removed.user_id).await;
        // Belonging nowhere now changes their row too (`leftOrganization`).
        crate::live::person_changed(state, removed.user_id).await;
        Ok(RemovedMembership { id: to_id(removed.id) })
    }
}
