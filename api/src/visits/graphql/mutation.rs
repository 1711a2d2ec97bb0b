//! What the office and members do to visits. Operation names are the contract of the app
//! and the office.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};

use super::types::{Participant, Visit, VisitKind};
use crate::{
    attachments::graphql as attachments,
    error::AppError,
    graphql::{
        audience::AudienceInput,
        context::{ContextExt, parse_id, parse_ids, principal, retry_key},
    },
    visits::{
        policy,
        service::{self, AgendaItem, OutcomeKind, Report, VisitFields},
        workflow::VisitAction,
    },
};

#[derive(InputObject)]
pub struct AgendaItemInput {
    pub starts_at: Option<DateTime<Utc>>,
    pub title: String,
    pub place: Option<String>,
}

impl From<AgendaItemInput> for AgendaItem {
    fn from(a: AgendaItemInput) -> Self {
        Self { starts_at: a.starts_at, title: a.title, place: a.place }
    }
}

#[derive(InputObject)]
pub struct CreateVisitInput {
    pub kind: VisitKind,
    pub title: String,
    #[graphql(default)]
    pub topic: String,
    /// 地点或目的地
    pub place: String,
    pub counterpart: Option<String>,
    pub counterpart_region: Option<String>,
    pub starts_at: DateTime<Utc>,
    /// 默认同开始时间
    pub ends_at: Option<DateTime<Utc>>,
    /// 名额；不填为不限
    pub capacity: Option<i32>,
    pub signup_deadline: Option<DateTime<Utc>>,
    /// 邀请范围；默认本组织全体
    pub audience: Option<AudienceInput>,
    #[graphql(default)]
    pub guest_count: i32,
    #[graphql(default)]
    pub agenda: Vec<AgendaItemInput>,
    /// 联动视察：邀请的上级或下级政协组织
    #[graphql(default)]
    pub invited_organization_ids: Vec<ID>,
}

/// 省略的字段保持不变；可空字段显式传 null 则清空；agenda、invitedOrganizationIds 给出时整体替换
#[derive(InputObject)]
pub struct UpdateVisitInput {
    pub kind: Option<VisitKind>,
    pub title: Option<String>,
    pub topic: Option<String>,
    pub place: Option<String>,
    pub counterpart: MaybeUndefined<String>,
    pub counterpart_region: MaybeUndefined<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub capacity: MaybeUndefined<i32>,
    pub signup_deadline: MaybeUndefined<DateTime<Utc>>,
    pub audience: Option<AudienceInput>,
    pub guest_count: Option<i32>,
    pub agenda: Option<Vec<AgendaItemInput>>,
    pub invited_organization_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct VisitReportInput {
    /// 总体情况
    pub summary: String,
    /// 发现的问题
    pub findings: Option<String>,
    /// 意见建议
    pub suggestions: Option<String>,
    /// 已上传附件（用途 VISIT_REPORT）的 id；给出时整体替换
    pub attachment_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct VisitMutation;

async fn transition(ctx: &Context<'_>, id: &ID, action: VisitAction, reason: Option<String>) -> Result<Visit> {
    let who = principal(ctx).await?;
    let db = &ctx.state()?.db;
    Ok(service::transition(db, who, parse_id(id, "id")?, action, reason).await?.into())
}

#[Object]
impl VisitMutation {
    /// 新建活动（机关），状态为“计划中”
    async fn create_visit(
        &self,
        ctx: &Context<'_>,
        input: CreateVisitInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Visit> {
        let actor = principal(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
        let fields = VisitFields {
            kind: Some(input.kind.into()),
            title: Some(input.title),
            topic: Some(input.topic),
            place: Some(input.place),
            counterpart: Some(input.counterpart),
            counterpart_region: Some(input.counterpart_region),
            starts_at: Some(input.starts_at),
            ends_at: input.ends_at,
            capacity: Some(input.capacity),
            signup_deadline: Some(input.signup_deadline),
            audience: input.audience.map(AudienceInput::into_audience).transpose()?,
            guest_count: Some(input.guest_count),
            agenda: Some(input.agenda.into_iter().map(Into::into).collect()),
            invited_organization_ids: Some(parse_ids(&input.invited_organization_ids, "invitedOrganizationIds")?),
        };
        Ok(service::create(&ctx.state()?.db, actor, fields, key).await?.into())
    }

    async fn update_visit(&self, ctx: &Context<'_>, id: ID, input: UpdateVisitInput) -> Result<Visit> {
        let actor = principal(ctx).await?;
        let fields = VisitFields {
            kind: input.kind.map(Into::into),
            title: input.title,
            topic: input.topic,
            place: input.place,
            counterpart: input.counterpart.into(),
            counterpart_region: input.counterpart_region.into(),
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            capacity: input.capacity.into(),
            signup_deadline: input.signup_deadline.into(),
            audience: input.audience.map(AudienceInput::into_audience).transpose()?,
            guest_count: input.guest_count,
            agenda: input.agenda.map(|a| a.into_iter().map(Into::into).collect()),
            invited_organization_ids: input
                .invited_organization_ids
                .map(|ids| parse_ids(&ids, "invitedOrganizationIds"))
                .transpose()?,
        };
        Ok(service::update(&ctx.state()?.db, actor, parse_id(&id, "id")?, fields).await?.into())
    }

    /// 开始报名
    async fn open_visit_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, VisitAction::OpenSignup, None).await
    }
    /// 截止报名
    async fn close_visit_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, VisitAction::CloseSignup, None).await
    }
    /// 活动开始
    async fn start_visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, VisitAction::Start, None).await
    }
    /// 活动结束
    async fn complete_visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, VisitAction::Complete, None).await
    }
    /// 取消活动：已报名的人在列表中看到取消及原因
    async fn cancel_visit(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Visit> {
        transition(ctx, &id, VisitAction::Cancel, Some(reason)).await
    }

    /// 报名；名额已满时进入候补。带 idempotencyKey 重试时返回第一次的报名结果
    async fn sign_up_for_visit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Participant> {
        let who = principal(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
        Ok(Participant(service::sign_up(&ctx.state()?.db, who, parse_id(&id, "id")?, key).await?))
    }
    /// 取消报名；空出的名额给候补的第一人
    async fn cancel_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Participant> {
        let who = principal(ctx).await?;
        Ok(Participant(service::cancel_signup(&ctx.state()?.db, who, parse_id(&id, "id")?).await?))
    }
    /// 请假
    async fn request_leave(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Participant> {
        let who = principal(ctx).await?;
        Ok(Participant(service::request_leave(&ctx.state()?.db, who, parse_id(&id, "id")?, &reason).await?))
    }
    /// 审批请假（机关）：批准后名额给候补
    async fn approve_leave(
        &self,
        ctx: &Context<'_>,
        visit_id: ID,
        user_id: ID,
        #[graphql(default = true)] approve: bool,
    ) -> Result<Participant> {
        let who = principal(ctx).await?;
        let visit = parse_id(&visit_id, "visitId")?;
        let user = parse_id(&user_id, "userId")?;
        Ok(Participant(service::approve_leave(&ctx.state()?.db, who, visit, user, approve).await?))
    }
    /// 登记出席（机关）；未报名的本组织人员（如接待陪同）一并加入
    async fn mark_attendance(
        &self,
        ctx: &Context<'_>,
        visit_id: ID,
        user_ids: Vec<ID>,
        attended: bool,
    ) -> Result<Vec<Participant>> {
        let who = principal(ctx).await?;
        let visit = parse_id(&visit_id, "visitId")?;
        let users = parse_ids(&user_ids, "userIds")?;
        let list = service::mark_attendance(&ctx.state()?.db, who, visit, &users, attended).await?;
        Ok(list.into_iter().map(Participant).collect())
    }
    /// 提交活动报告（机关）
    async fn submit_visit_report(&self, ctx: &Context<'_>, visit_id: ID, input: VisitReportInput) -> Result<Visit> {
        let who = principal(ctx).await?;
        let report = Report {
            summary: input.summary,
            findings: input.findings,
            suggestions: input.suggestions,
            attachments: attachments::list_opt(ctx, input.attachment_ids.as_deref())?,
        };
        Ok(service::submit_report(&ctx.state()?.db, who, parse_id(&visit_id, "visitId")?, report).await?.into())
    }
    /// 关联活动成果：由此形成的提案或社情民意信息（二者给一个）
    async fn link_visit_outcome(
        &self,
        ctx: &Context<'_>,
        visit_id: ID,
        proposal_id: Option<ID>,
        suggestion_id: Option<ID>,
        title: String,
    ) -> Result<Visit> {
        let who = principal(ctx).await?;
        let (kind, id) = match (proposal_id, suggestion_id) {
            (Some(p), None) => (OutcomeKind::Proposal, parse_id(&p, "proposalId")?),
            (None, Some(s)) => (OutcomeKind::Suggestion, parse_id(&s, "suggestionId")?),
            _ => return Err(AppError::bad_input("proposalId", "请给出 proposalId 或 suggestionId 其中之一").into()),
        };
        let db = &ctx.state()?.db;
        let visit = parse_id(&visit_id, "visitId")?;
        service::link_outcome(db, who, visit, kind, id, &title).await?;
        Ok(policy::access(db, who, visit).await?.into())
    }
}
