//! GraphQL face of visits.
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::service::{self, Access, AgendaItem, OutcomeKind, Report, VisitFields, VisitFilter};
use crate::{
    attachments::graphql::{self as attachments, Attachment},
    audience::Audience,
    error::AppError,
    graphql::{
        audience::{AudienceInput, AudienceRules},
        context::{ContextExt, actor, parse_id, parse_ids, to_id},
        loaders::{self, AgendaOf, InvitationsOf, OrganizationKey, ParticipantsOf, UserKey},
        pagination::{Page, TotalCount, decode_cursor, encode_cursor, page_size},
    },
    members::graphql::User,
    organizations::{access::require, graphql::Organization},
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
    kind: String,
    ref_id: Option<ID>,
    title: String,
    linked_at: DateTime<Utc>,
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

/// 修改记录
#[derive(SimpleObject)]
pub struct VisitEvent {
    action: String,
    actor: User,
    at: DateTime<Utc>,
    note: Option<String>,
}

/// 视察调研、交流考察、接待来访（一次活动为一“批”）
pub struct Visit {
    model: visit::Model,
    mine: Option<visit_participant::Model>,
    invited: bool,
}

impl From<Access> for Visit {
    fn from(a: Access) -> Self {
        Self { model: a.visit, mine: a.participant, invited: a.invited }
    }
}

impl Visit {
    fn require_office(&self, ctx: &Context<'_>) -> Result<(), AppError> {
        let viewer = ctx.viewer()?;
        require(viewer.is_office() && viewer.organization_id == self.model.organization_id)
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
        self.mine.as_ref().map(|p| p.status.into())
    }
    /// 我是否出席
    async fn my_attendance(&self) -> Option<bool> {
        self.mine.as_ref().and_then(|p| p.attended)
    }
    /// 我能否报名（在邀请范围内、报名中、未截止、未报名）
    async fn can_sign_up(&self) -> bool {
        self.invited
            && self.model.status == entity::VisitStatus::Open
            && self.model.signup_deadline.is_none_or(|d| d > Utc::now())
            && self.mine.as_ref().is_none_or(|p| p.status == Status::Cancelled)
    }
    /// 活动报告（参加者和机关可见）
    async fn report(&self, ctx: &Context<'_>) -> Result<Option<VisitReport>> {
        let viewer = ctx.viewer()?;
        if !service::may_read_report(viewer, self.mine.as_ref()) {
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
        let mut out = Vec::new();
        for e in service::history(&ctx.state()?.db, self.model.id).await? {
            let actor = loaders::load(ctx, UserKey(e.actor_id))
                .await?
                .ok_or_else(|| AppError::internal("event without actor"))?;
            out.push(VisitEvent { action: e.action, actor: User::new(actor), at: e.at, note: e.note });
        }
        Ok(out)
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
    kind: Option<VisitKind>,
    /// 批次：已完成的活动数
    batches: u64,
    /// 人次：出席人数加系统外人员
    person_times: u64,
    /// 参加的人数（去重）
    members: u64,
}

/// 视察调研、交流考察全年统计
#[derive(SimpleObject)]
pub struct VisitStats {
    year: i32,
    by_kind: Vec<VisitKindFigures>,
    total: VisitKindFigures,
}

#[derive(Default)]
pub struct VisitQuery;

#[Object]
impl VisitQuery {
    /// 活动列表：按开始时间从新到旧
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn visits(
        &self,
        ctx: &Context<'_>,
        filter: Option<VisitListFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Visit>> {
        let viewer = ctx.viewer()?;
        let limit = usize::try_from(page_size(first)?).unwrap_or(100);
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = VisitFilter { kind: f.kind.map(Into::into), upcoming: f.upcoming, mine: f.mine, year: f.year };
        let all = service::list(&ctx.state()?.db, viewer, &filter).await?;
        let total = all.len() as u64;
        let start = match cursor {
            Some(id) => all.iter().position(|a| a.visit.id == id).map_or(all.len(), |i| i + 1),
            None => 0,
        };
        let rest: Vec<Access> = all.into_iter().skip(start).collect();
        let has_next = rest.len() > limit;
        let mut page = Page::with_additional_fields(start > 0, has_next, TotalCount { total_count: total });
        page.edges.extend(
            rest.into_iter()
                .take(limit)
                .map(|a| async_graphql::connection::Edge::new(encode_cursor(a.visit.id), Visit::from(a))),
        );
        Ok(page)
    }

    async fn visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        let viewer = ctx.viewer()?;
        Ok(service::access(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?.into())
    }

    /// 全年视察调研、交流考察统计（机关）；年份默认今年
    async fn visit_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<VisitStats> {
        let viewer = ctx.viewer()?;
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let figures = service::stats(&ctx.state()?.db, viewer, year).await?;
        let row = |kind: Option<VisitKind>, f: service::KindFigures| VisitKindFigures {
            kind,
            batches: f.batches,
            person_times: f.person_times,
            members: f.members,
        };
        Ok(VisitStats {
            year,
            by_kind: figures.by_kind.into_iter().map(|(k, f)| row(Some(k.into()), f)).collect(),
            total: row(None, figures.total),
        })
    }
}

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

async fn transition(ctx: &Context<'_>, id: &ID, to: entity::VisitStatus, reason: Option<String>) -> Result<Visit> {
    let viewer = ctx.viewer()?;
    let db = &ctx.state()?.db;
    let v = service::transition(db, viewer, parse_id(id, "id")?, to, reason).await?;
    Ok(Visit { model: v, mine: None, invited: false })
}

fn own(v: visit::Model) -> Visit {
    Visit { model: v, mine: None, invited: false }
}

#[Object]
impl VisitMutation {
    /// 新建活动（机关），状态为“计划中”
    async fn create_visit(&self, ctx: &Context<'_>, input: CreateVisitInput) -> Result<Visit> {
        let actor = actor(ctx).await?;
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
        Ok(own(service::create(&ctx.state()?.db, &actor, fields).await?))
    }

    async fn update_visit(&self, ctx: &Context<'_>, id: ID, input: UpdateVisitInput) -> Result<Visit> {
        let actor = actor(ctx).await?;
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
        Ok(own(service::update(&ctx.state()?.db, &actor, parse_id(&id, "id")?, fields).await?))
    }

    /// 开始报名
    async fn open_visit_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, entity::VisitStatus::Open, None).await
    }
    /// 截止报名
    async fn close_visit_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, entity::VisitStatus::Closed, None).await
    }
    /// 活动开始
    async fn start_visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, entity::VisitStatus::InProgress, None).await
    }
    /// 活动结束
    async fn complete_visit(&self, ctx: &Context<'_>, id: ID) -> Result<Visit> {
        transition(ctx, &id, entity::VisitStatus::Completed, None).await
    }
    /// 取消活动：已报名的人在列表中看到取消及原因
    async fn cancel_visit(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Visit> {
        transition(ctx, &id, entity::VisitStatus::Cancelled, Some(reason)).await
    }

    /// 报名；名额已满时进入候补
    async fn sign_up_for_visit(&self, ctx: &Context<'_>, id: ID) -> Result<Participant> {
        let viewer = ctx.viewer()?;
        Ok(Participant(service::sign_up(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }
    /// 取消报名；空出的名额给候补的第一人
    async fn cancel_signup(&self, ctx: &Context<'_>, id: ID) -> Result<Participant> {
        let viewer = ctx.viewer()?;
        Ok(Participant(service::cancel_signup(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }
    /// 请假
    async fn request_leave(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Participant> {
        let viewer = ctx.viewer()?;
        Ok(Participant(service::request_leave(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason).await?))
    }
    /// 审批请假（机关）：批准后名额给候补
    async fn approve_leave(
        &self,
        ctx: &Context<'_>,
        visit_id: ID,
        user_id: ID,
        #[graphql(default = true)] approve: bool,
    ) -> Result<Participant> {
        let viewer = ctx.viewer()?;
        let visit = parse_id(&visit_id, "visitId")?;
        let user = parse_id(&user_id, "userId")?;
        Ok(Participant(service::approve_leave(&ctx.state()?.db, viewer, visit, user, approve).await?))
    }
    /// 登记出席（机关）；未报名的本组织人员（如接待陪同）一并加入
    async fn mark_attendance(
        &self,
        ctx: &Context<'_>,
        visit_id: ID,
        user_ids: Vec<ID>,
        attended: bool,
    ) -> Result<Vec<Participant>> {
        let viewer = ctx.viewer()?;
        let visit = parse_id(&visit_id, "visitId")?;
        let users = parse_ids(&user_ids, "userIds")?;
        let list = service::mark_attendance(&ctx.state()?.db, viewer, visit, &users, attended).await?;
        Ok(list.into_iter().map(Participant).collect())
    }
    /// 提交活动报告（机关）
    async fn submit_visit_report(&self, ctx: &Context<'_>, visit_id: ID, input: VisitReportInput) -> Result<Visit> {
        let viewer = ctx.viewer()?;
        let report = Report {
            summary: input.summary,
            findings: input.findings,
            suggestions: input.suggestions,
            attachments: attachments::list_opt(ctx, input.attachment_ids.as_deref())?,
        };
        Ok(own(service::submit_report(&ctx.state()?.db, viewer, parse_id(&visit_id, "visitId")?, report).await?))
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
        let viewer = ctx.viewer()?;
        let (kind, id) = match (proposal_id, suggestion_id) {
            (Some(p), None) => (OutcomeKind::Proposal, parse_id(&p, "proposalId")?),
            (None, Some(s)) => (OutcomeKind::Suggestion, parse_id(&s, "suggestionId")?),
            _ => return Err(AppError::bad_input("proposalId", "请给出 proposalId 或 suggestionId 其中之一").into()),
        };
        let db = &ctx.state()?.db;
        let visit = parse_id(&visit_id, "visitId")?;
        service::link_outcome(db, viewer, visit, kind, id, &title).await?;
        Ok(service::access(db, viewer, visit).await?.into())
    }
}
