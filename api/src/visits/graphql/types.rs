//! The GraphQL types of visits: the visit as a viewer stands towards it, sign-ups, the
//! report, outcomes, the history and the year's figures.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::{
    attachments::graphql::{self as attachments, Attachment},
    audience::Audience,
    error::AppError,
    graphql::{
        audience::AudienceRules,
        context::{ContextExt, to_id},
        loaders::{self, AgendaOf, InvitationsOf, OrganizationKey, ParticipantsOf, UserKey},
    },
    members::graphql::User,
    organizations::{access::require, graphql::Organization},
    visits::{policy::Access, service},
};
use entity::{ParticipantStatus as Status, visit, visit_agenda_item, visit_participant};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::VisitKind")]
/// 活动类型：视察、调研、外出考察、接待来访、上级来访、培训学习、联动视察
pub enum VisitKind {
    Inspection,
    Research,
    OutboundStudy,
    InboundReception,
    UpperLevelVisit,
    Training,
    JointInspection,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::VisitStatus")]
/// 活动状态：计划中、报名中、报名截止、进行中、已完成、已取消
pub enum VisitStatus {
    Planned,
    Open,
    Closed,
    InProgress,
    Completed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::ParticipantStatus")]
/// 报名状态：已确认、候补、请假待批、已请假、已取消
pub enum ParticipantStatus {
    Confirmed,
    Waitlisted,
    LeaveRequested,
    OnLeave,
    Cancelled,
}

/// 日程
pub struct AgendaItemView(visit_agenda_item::Model);

#[Object(name = "AgendaItem")]
impl AgendaItemView {
    async fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.0.starts_at
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }
}

/// 报名记录
pub struct Participant(pub visit_participant::Model);

#[Object]
impl Participant {
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        let u = loaders::load(ctx, UserKey(self.0.user_id)).await?;
        Ok(User::new(u.ok_or_else(|| AppError::internal("participant without user"))?))
    }
    /// 从哪个政协组织报名（联动视察有多个）
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(loaders::load(ctx, OrganizationKey(self.0.organization_id)).await?.map(Organization))
    }
    async fn status(&self) -> ParticipantStatus {
        self.0.status.into()
    }
    async fn leave_reason(&self) -> Option<&str> {
        self.0.leave_reason.as_deref()
    }
    /// 是否出席；尚未登记为 null
    async fn attended(&self) -> Option<bool> {
        self.0.attended
    }
    async fn signed_up_at(&self) -> DateTime<Utc> {
        self.0.signed_up_at
    }
}

/// 活动成果：由此形成的提案、社情民意信息
#[derive(SimpleObject)]
pub struct VisitOutcome {
    /// PROPOSAL 或 SUGGESTION
    pub kind: String,
    pub ref_id: Option<ID>,
    pub title: String,
    pub linked_at: DateTime<Utc>,
}

/// 活动报告
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct VisitReport {
    #[graphql(skip)]
    visit_id: uuid::Uuid,
    summary: String,
    findings: Option<String>,
    suggestions: Option<String>,
    reported_at: Option<DateTime<Utc>>,
}

#[async_graphql::ComplexObject]
impl VisitReport {
    /// 报告附件（现场照片、调研材料）
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.visit_id).await
    }
}

pub struct VisitEvent(entity::visit_event::Model);

/// 活动记录：活动本身的每一步，以及每个人报名、取消、请假、审批、候补转正的每一步
#[Object]
impl VisitEvent {
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// 操作人
    async fn actor(&self, ctx: &Context<'_>) -> Result<User> {
        let u = loaders::load(ctx, UserKey(self.0.actor_id)).await?;
        Ok(User::new(u.ok_or_else(|| AppError::internal("event without actor"))?))
    }
    /// 这一步涉及的参加人（报名、请假等）；活动本身的步骤为 null
    async fn participant(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.participant_id else { return Ok(None) };
        Ok(loaders::load(ctx, UserKey(id)).await?.map(User::new))
    }
    /// 之前的状态（活动的或报名的）
    async fn from(&self) -> Option<&str> {
        self.0.from_status.as_deref()
    }
    /// 之后的状态
    async fn to(&self) -> Option<&str> {
        self.0.to_status.as_deref()
    }
    /// 发生时间（业务时间）；补录的步骤为其实际发生时间
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// 是否为事后补录（代录）：at 为实际发生时间，recordedAt 为录入时间，actor 为录入人
    async fn entered_later(&self) -> bool {
        self.0.recorded_at.is_some()
    }
    /// 补录的录入时间；当场办理的步骤为 null
    async fn recorded_at(&self) -> Option<DateTime<Utc>> {
        self.0.recorded_at
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// 视察调研、交流考察、接待来访（一次活动为一“批”）
pub struct Visit {
    model: visit::Model,
    access: Option<Access>,
}

impl From<Access> for Visit {
    fn from(a: Access) -> Self {
        Self { model: a.visit.clone(), access: Some(a) }
    }
}

impl From<visit::Model> for Visit {
    /// The visit as the office that runs it sees it (after one of its steps).
    fn from(model: visit::Model) -> Self {
        Self { model, access: None }
    }
}

impl Visit {
    fn require_office(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        let viewer = ctx.viewer()?;
        require(viewer.is_office() && viewer.organization_id == self.model.organization_id)
    }

    fn mine(&self) -> Option<&visit_participant::Model> {
        self.access.as_ref().and_then(|a| a.participant.as_ref())
    }
}

#[Object]
impl Visit {
    async fn id(&self) -> ID {
        to_id(self.model.id)
    }
    async fn kind(&self) -> VisitKind {
        self.model.kind.into()
    }
    async fn title(&self) -> &str {
        &self.model.title
    }
    /// 主题
    async fn topic(&self) -> &str {
        &self.model.topic
    }
    /// 地点或目的地
    async fn place(&self) -> &str {
        &self.model.place
    }
    /// 对方单位，如来访的“黑龙江省政协”
    async fn counterpart(&self) -> Option<&str> {
        self.model.counterpart.as_deref()
    }
    async fn counterpart_region(&self) -> Option<&str> {
        self.model.counterpart_region.as_deref()
    }
    async fn starts_at(&self) -> DateTime<Utc> {
        self.model.starts_at
    }
    async fn ends_at(&self) -> DateTime<Utc> {
        self.model.ends_at
    }
    /// 名额；null 为不限
    async fn capacity(&self) -> Option<i32> {
        self.model.capacity
    }
    /// 已确认人数
    async fn confirmed_count(&self) -> i32 {
        self.model.confirmed_count
    }
    /// 剩余名额；不限名额为 null
    async fn places_left(&self) -> Option<i32> {
        self.model.capacity.map(|c| (c - self.model.confirmed_count).max(0))
    }
    async fn signup_deadline(&self) -> Option<DateTime<Utc>> {
        self.model.signup_deadline
    }
    /// 系统外人员人数（来访团人数、外地学员等），计入人次
    async fn guest_count(&self) -> i32 {
        self.model.guest_count
    }
    async fn status(&self) -> VisitStatus {
        self.model.status.into()
    }
    async fn cancel_reason(&self) -> Option<&str> {
        self.model.cancel_reason.as_deref()
    }
    async fn organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        Ok(loaders::load(ctx, OrganizationKey(self.model.organization_id)).await?.map(Organization))
    }
    /// 联动视察邀请的其他政协组织
    async fn invited_organizations(&self, ctx: &Context<'_>) -> Result<Vec<Organization>> {
        let mut out = Vec::new();
        for i in loaders::load(ctx, InvitationsOf(self.model.id)).await?.unwrap_or_default() {
            if let Some(o) = loaders::load(ctx, OrganizationKey(i)).await? {
                out.push(Organization(o));
            }
        }
        Ok(out)
    }
    /// 日程
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Vec<AgendaItemView>> {
        Ok(loaders::load(ctx, AgendaOf(self.model.id))
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(AgendaItemView)
            .collect())
    }
    /// 还有谁参加（只显示姓名）
    async fn going(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        let list = loaders::load(ctx, ParticipantsOf(self.model.id)).await?.unwrap_or_default();
        let mut names = Vec::with_capacity(list.len());
        for p in list.into_iter().filter(|p| matches!(p.status, Status::Confirmed | Status::LeaveRequested)) {
            if let Some(u) = loaders::load(ctx, UserKey(p.user_id)).await? {
                names.push(u.name);
            }
        }
        Ok(names)
    }
    /// 我的报名状态；未报名为 null
    async fn my_status(&self) -> Option<ParticipantStatus> {
        self.mine().map(|p| p.status.into())
    }
    /// 我是否出席
    async fn my_attendance(&self) -> Option<bool> {
        self.mine().and_then(|p| p.attended)
    }
    /// 我能否报名（在邀请范围内、报名中、未截止、未报名）
    async fn can_sign_up(&self) -> bool {
        self.access.as_ref().is_some_and(Access::can_sign_up)
    }
    /// 活动报告（参加者和机关可见）
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<VisitReport>> {
        let viewer = ctx.viewer()?;
        let may_read = match &self.access {
            Some(a) => a.may_read_report(viewer),
            None => viewer.is_office(),
        };
        if !may_read {
            return Ok(None);
        }
        Ok(self.model.report_summary.clone().map(|summary| VisitReport {
            visit_id: self.model.id,
            summary,
            findings: self.model.report_findings.clone(),
            suggestions: self.model.report_suggestions.clone(),
            reported_at: self.model.reported_at,
        }))
    }
    /// 由此形成的提案、社情民意信息
    async fn outcomes(&self, ctx: &Context<'_>) -> Result<Vec<VisitOutcome>> {
        let list = service::outcomes(&ctx.state()?.db, self.model.id).await?;
        Ok(list
            .into_iter()
            .map(|o| VisitOutcome { kind: o.kind, ref_id: o.ref_id.map(to_id), title: o.title, linked_at: o.linked_at })
            .collect())
    }
    /// 邀请范围（机关）
    async fn audience(&self, ctx: &Context<'_>) -> Result<AudienceRules> {
        self.require_office(ctx)?;
        Ok(AudienceRules(Audience::from_json(&self.model.audience)))
    }
    /// 全部报名记录，含候补、请假、取消（机关）
    async fn participants(&self, ctx: &Context<'_>, status: Option<ParticipantStatus>) -> Result<Vec<Participant>> {
        self.require_office(ctx)?;
        let filter = status.map(|s| vec![Status::from(s)]);
        let list = service::participants(&ctx.state()?.db, self.model.id, filter.as_deref()).await?;
        Ok(list.into_iter().map(Participant).collect())
    }
    /// 修改记录（机关）
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<VisitEvent>> {
        self.require_office(ctx)?;
        Ok(service::history(&ctx.state()?.db, self.model.id).await?.into_iter().map(VisitEvent).collect())
    }
}

#[derive(InputObject, Default)]
pub struct VisitListFilter {
    pub kind: Option<VisitKind>,
    /// 只看尚未开始的
    #[graphql(default)]
    pub upcoming: bool,
    /// 只看我报名的
    #[graphql(default)]
    pub mine: bool,
    /// 按开始时间所在年份（北京时间）
    pub year: Option<i32>,
}

/// 某类活动的全年数字
#[derive(SimpleObject)]
pub struct VisitKindFigures {
    pub kind: Option<VisitKind>,
    /// 批次：已完成的活动数
    pub batches: u64,
    /// 人次：出席人数加系统外人员
    pub person_times: u64,
    /// 参加的人数（去重）
    pub members: u64,
}

/// 视察调研、交流考察全年统计
#[derive(SimpleObject)]
pub struct VisitStats {
    pub year: i32,
    pub by_kind: Vec<VisitKindFigures>,
    pub total: VisitKindFigures,
}
