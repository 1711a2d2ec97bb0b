//! GraphQL face of organizations and their catalogues.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};

use super::{
    platform,
    service::{self, HandlingUnitFields, NewOrganization, OrganizationChanges},
};
use crate::{
    error::AppError,
    graphql::{
        context::{ContextExt, actor, parse_id, parse_ids, to_id},
        enums::OrganizationLevel,
        loaders::{self, ConvenersOf, OrganizationKey, UserKey},
    },
    members::graphql::User,
};
use entity::{handling_unit, organization, sector, special_committee};

/// 政协组织
pub struct Organization(pub organization::Model);

#[Object]
impl Organization {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    async fn level(&self) -> OrganizationLevel {
        self.0.level.into()
    }
    /// 所在地区，如“河北省石家庄市”
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = self.0.parent_id else { return Ok(None) };
        Ok(loaders::load(ctx, OrganizationKey(id)).await?.map(Organization))
    }
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let rows = service::children(&ctx.state()?.db, self.0.id).await?;
        Ok(rows.into_iter().map(Organization).collect())
    }
    /// 界别
    async fn sectors(&self, ctx: &Context<'_>) -> Result<Vec<Sector>> {
        let rows = service::catalogue::<sector::Entity>(&ctx.state()?.db, self.0.id).await?;
        Ok(rows.into_iter().map(Sector).collect())
    }
    /// 专门委员会
    async fn special_committees(&self, ctx: &Context<'_>) -> Result<Vec<SpecialCommittee>> {
        let rows = service::catalogue::<special_committee::Entity>(&ctx.state()?.db, self.0.id).await?;
        Ok(rows.into_iter().map(SpecialCommittee).collect())
    }
    /// 承办单位
    async fn handling_units(&self, ctx: &Context<'_>) -> Result<Vec<HandlingUnit>> {
        let rows = service::catalogue::<handling_unit::Entity>(&ctx.state()?.db, self.0.id).await?;
        Ok(rows.into_iter().map(HandlingUnit).collect())
    }
    /// 立案号的编号方式：按年度（默认）或按届次会议
    async fn proposal_numbering(&self) -> crate::plenary::graphql::ProposalNumbering {
        self.0.proposal_numbering.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

async fn organization_of(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Organization> {
    let found = loaders::load(ctx, OrganizationKey(id)).await?;
    Ok(Organization(found.ok_or_else(|| AppError::internal("record without organization"))?))
}

/// 界别
pub struct Sector(pub sector::Model);

#[Object]
impl Sector {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_of(ctx, self.0.organization_id).await
    }
    /// 召集人
    async fn conveners(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = loaders::load(ctx, ConvenersOf(self.0.id)).await?.unwrap_or_default();
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = loaders::load(ctx, UserKey(id)).await? {
                users.push(User::new(u));
            }
        }
        Ok(users)
    }
}

/// 专门委员会
pub struct SpecialCommittee(pub special_committee::Model);

#[Object]
impl SpecialCommittee {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_of(ctx, self.0.organization_id).await
    }
}

/// 承办单位
pub struct HandlingUnit(pub handling_unit::Model);

#[Object]
impl HandlingUnit {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn contact_person(&self) -> Option<&str> {
        self.0.contact_person.as_deref()
    }
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_of(ctx, self.0.organization_id).await
    }
}

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
    /// 当前登录所在的政协组织
    async fn current_organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        Ok(Organization(actor(ctx).await?.org.clone()))
    }

    /// 可见的政协组织：本级及上级；管理员还可见全部下级
    async fn organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let actor = actor(ctx).await?;
        let list = service::visible_organizations(&ctx.state()?.db, actor).await?;
        Ok(list.into_iter().map(Organization).collect())
    }

    async fn organization(&self, ctx: &Context<'_>, id: ID) -> Result<Organization> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "id")?;
        let list = service::visible_organizations(&ctx.state()?.db, actor).await?;
        let found = list.into_iter().find(|o| o.id == id);
        Ok(Organization(found.ok_or_else(|| AppError::not_found("政协组织不存在"))?))
    }
}

#[derive(InputObject)]
pub struct CreateOrganizationInput {
    pub name: String,
    pub short_name: Option<String>,
    pub level: OrganizationLevel,
    /// 上级政协组织（须在管理员的管辖范围内）；不填则新建顶级政协组织（仅平台管理员，新建者成为其管理员）
    pub parent_id: Option<ID>,
    pub region: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    pub name: Option<String>,
    pub short_name: MaybeUndefined<String>,
    pub region: MaybeUndefined<String>,
    /// 立案号的编号方式（管理员）
    pub proposal_numbering: Option<crate::plenary::graphql::ProposalNumbering>,
}

#[derive(InputObject)]
pub struct CreateSectorInput {
    /// 默认为当前登录所在组织
    pub organization_id: Option<ID>,
    pub name: String,
    /// 召集人（本组织委员的用户 ID）
    #[graphql(default)]
    pub convener_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateSectorInput {
    pub name: Option<String>,
    /// 给出时整体替换召集人名单
    pub convener_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct CreateSpecialCommitteeInput {
    pub organization_id: Option<ID>,
    pub name: String,
}

#[derive(InputObject)]
pub struct UpdateSpecialCommitteeInput {
    pub name: String,
}

#[derive(InputObject)]
pub struct CreateHandlingUnitInput {
    pub organization_id: Option<ID>,
    pub name: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateHandlingUnitInput {
    pub name: Option<String>,
    pub contact_person: MaybeUndefined<String>,
    pub contact_phone: MaybeUndefined<String>,
}

fn optional_id(id: Option<&ID>, field: &str) -> Result<Option<uuid::Uuid>, AppError> {
    id.map(|id| parse_id(id, field)).transpose()
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// 新建下级政协组织（管理员）；不指定上级则新建顶级政协组织（平台管理员，如在市政协之上建省政协）
    async fn create_organization(&self, ctx: &Context<'_>, input: CreateOrganizationInput) -> Result<Organization> {
        let actor = actor(ctx).await?;
        let parent_id = input.parent_id.as_ref().map(|p| parse_id(p, "parentId")).transpose()?;
        let new = NewOrganization {
            name: input.name,
            short_name: input.short_name,
            level: input.level.into(),
            parent_id,
            region: input.region,
        };
        let db = &ctx.state()?.db;
        let created = match parent_id {
            Some(_) => service::create_organization(db, actor, new).await?,
            None => platform::create_root(db, actor, new).await?,
        };
        Ok(Organization(created))
    }

    /// 把一个顶级政协组织（连同其全部下级）挂到另一政协组织之下（平台管理员），如把市政协挂到新建的省政协下
    async fn attach_organization(&self, ctx: &Context<'_>, id: ID, parent_id: ID) -> Result<Organization> {
        let actor = actor(ctx).await?;
        let (id, parent_id) = (parse_id(&id, "id")?, parse_id(&parent_id, "parentId")?);
        Ok(Organization(platform::attach(&ctx.state()?.db, actor, id, parent_id).await?))
    }

    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateOrganizationInput,
    ) -> Result<Organization> {
        let actor = actor(ctx).await?;
        let changes = OrganizationChanges {
            name: input.name,
            short_name: input.short_name.into(),
            region: input.region.into(),
            proposal_numbering: input.proposal_numbering.map(Into::into),
        };
        let id = parse_id(&id, "id")?;
        Ok(Organization(service::update_organization(&ctx.state()?.db, actor, id, changes).await?))
    }

    async fn create_sector(&self, ctx: &Context<'_>, input: CreateSectorInput) -> Result<Sector> {
        let actor = actor(ctx).await?;
        let org = optional_id(input.organization_id.as_ref(), "organizationId")?;
        let conveners = parse_ids(&input.convener_ids, "convenerIds")?;
        Ok(Sector(service::create_sector(&ctx.state()?.db, actor, org, &input.name, &conveners).await?))
    }

    async fn update_sector(&self, ctx: &Context<'_>, id: ID, input: UpdateSectorInput) -> Result<Sector> {
        let actor = actor(ctx).await?;
        let conveners = input.convener_ids.as_deref().map(|ids| parse_ids(ids, "convenerIds")).transpose()?;
        let id = parse_id(&id, "id")?;
        Ok(Sector(service::update_sector(&ctx.state()?.db, actor, id, input.name, conveners).await?))
    }

    async fn create_special_committee(
        &self,
        ctx: &Context<'_>,
        input: CreateSpecialCommitteeInput,
    ) -> Result<SpecialCommittee> {
        let actor = actor(ctx).await?;
        let org = optional_id(input.organization_id.as_ref(), "organizationId")?;
        Ok(SpecialCommittee(service::create_special_committee(&ctx.state()?.db, actor, org, &input.name).await?))
    }

    async fn update_special_committee(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSpecialCommitteeInput,
    ) -> Result<SpecialCommittee> {
        let actor = actor(ctx).await?;
        let id = parse_id(&id, "id")?;
        Ok(SpecialCommittee(service::update_special_committee(&ctx.state()?.db, actor, id, &input.name).await?))
    }

    async fn create_handling_unit(&self, ctx: &Context<'_>, input: CreateHandlingUnitInput) -> Result<HandlingUnit> {
        let actor = actor(ctx).await?;
        let org = optional_id(input.organization_id.as_ref(), "organizationId")?;
        let fields = HandlingUnitFields {
            name: Some(input.name),
            contact_person: Some(input.contact_person),
            contact_phone: Some(input.contact_phone),
        };
        Ok(HandlingUnit(service::create_handling_unit(&ctx.state()?.db, actor, org, fields).await?))
    }

    async fn update_handling_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateHandlingUnitInput,
    ) -> Result<HandlingUnit> {
        let actor = actor(ctx).await?;
        let fields = HandlingUnitFields {
            name: input.name,
            contact_person: input.contact_person.into(),
            contact_phone: input.contact_phone.into(),
        };
        let id = parse_id(&id, "id")?;
        Ok(HandlingUnit(service::update_handling_unit(&ctx.state()?.db, actor, id, fields).await?))
    }
}
