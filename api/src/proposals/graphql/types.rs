//! The GraphQL types of proposals: the proposal and its parts, filters and figures.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use crate::{
    attachments::graphql::{self as attachments, Attachment},
    graphql::{
        context::{ContextExt, to_id},
        enums::Party,
        loaders::{
            self, AssignmentsOf, CoSignersOf, HandlingUnitKey, PlenarySessionKey, ProposalKey, RepliesOf, SectorKey,
            SpecialCommitteeKey, UserKey,
        },
    },
    members::graphql::User,
    organizations::graphql::{HandlingUnit, Sector, SpecialCommittee},
    plenary::graphql::PlenarySession,
    proposals::service,
};
use entity::proposal;

macro_rules! remote_enum {
    ($(#[$doc:meta])* $name:ident => $remote:literal { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
        #[graphql(remote = $remote)]
        pub enum $name { $($variant),* }
    };
}

remote_enum!(
    /// 提案状态
    ProposalStatus => "entity::ProposalStatus" {
        Draft, Submitted, Returned, Withdrawn, Registered, Rejected, Merged, Assigned, Replied, Evaluated, Rehandling, Concluded
    }
);
remote_enum!(
    /// 个人、联名、党派、界别、专委会提案
    ProposalKind => "entity::ProposalKind" { Individual, Joint, Party, Sector, Committee }
);
remote_enum!(
    /// 大会期间、平时
    SubmittedDuring => "entity::SubmittedDuring" { Session, Recess }
);
remote_enum!(CoSignStatus => "entity::CoSignStatus" { Invited, Accepted, Declined, Lapsed });
remote_enum!(
    /// 主办、会办、分办
    AssignmentRole => "entity::AssignmentRole" { Lead, Joint, Separate }
);
remote_enum!(AssignmentStatus => "entity::AssignmentStatus" { Assigned, Acknowledged, Replied, ReassignRequested });
remote_enum!(
    /// A 已解决或基本解决；B 正在解决或列入计划；C 因条件限制留作参考
    ReplyOutcome => "entity::ReplyOutcome" { A, B, C }
);
remote_enum!(
    /// 满意、基本满意、不满意
    Satisfaction => "entity::Satisfaction" { Satisfied, BasicallySatisfied, Unsatisfied }
);

/// 联名人
pub struct CoSigner(entity::proposal_cosigner::Model);

#[Object]
impl CoSigner {
    async fn user(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::load(ctx, UserKey(self.0.user_id)).await?.map(User::new))
    }
    async fn status(&self) -> CoSignStatus {
        self.0.status.into()
    }
    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.0.responded_at
    }
}

/// 交办
pub struct Assignment {
    row: entity::proposal_assignment::Model,
    overdue: bool,
}

#[Object]
impl Assignment {
    async fn id(&self) -> ID {
        to_id(self.row.id)
    }
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<HandlingUnit>> {
        Ok(loaders::load(ctx, HandlingUnitKey(self.row.unit_id)).await?.map(HandlingUnit))
    }
    async fn role(&self) -> AssignmentRole {
        self.row.role.into()
    }
    async fn deadline(&self) -> DateTime<Utc> {
        self.row.deadline
    }
    async fn status(&self) -> AssignmentStatus {
        self.row.status.into()
    }
    /// 逾期未答复
    async fn overdue(&self) -> bool {
        self.overdue
    }
    async fn round(&self) -> i32 {
        self.row.round
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.row.acknowledged_at
    }
    async fn reassign_reason(&self) -> Option<&str> {
        self.row.reassign_reason.as_deref()
    }
}

/// 答复
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProposalReply {
    #[graphql(skip)]
    id: uuid::Uuid,
    unit_id: ID,
    round: i32,
    outcome: ReplyOutcome,
    content: String,
    contact: String,
    replied_at: DateTime<Utc>,
}

#[async_graphql::ComplexObject]
impl ProposalReply {
    /// 答复函及附件
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.id).await
    }
}

/// 提案人评价
#[derive(SimpleObject)]
pub struct ProposalEvaluation {
    round: i32,
    satisfaction: Satisfaction,
    /// 沟通联系
    communication: Satisfaction,
    /// 办理态度
    attitude: Satisfaction,
    /// 落实情况
    implementation: Satisfaction,
    comment: Option<String>,
    evaluated_at: DateTime<Utc>,
}

/// 办理过程：每一步的前后状态、操作人、时间、说明
pub struct ProposalEvent(entity::proposal_event::Model);

#[Object]
impl ProposalEvent {
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn from(&self) -> Option<ProposalStatus> {
        self.0.from_status.as_ref().and_then(|s| entity::ProposalStatus::try_from_value(s).ok()).map(Into::into)
    }
    async fn to(&self) -> Option<ProposalStatus> {
        self.0.to_status.as_ref().and_then(|s| entity::ProposalStatus::try_from_value(s).ok()).map(Into::into)
    }
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::load(ctx, UserKey(self.0.actor_id)).await?.map(User::new))
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

/// 重点提案的领办、督办、促办、协办
pub struct KeyProposal<'a>(&'a proposal::Model);

#[Object]
impl KeyProposal<'_> {
    /// 领办领导
    async fn lead_official(&self) -> Option<&str> {
        self.0.lead_official.as_deref()
    }
    /// 督办的政协领导
    async fn supervisor(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.supervisor_id else { return Ok(None) };
        Ok(loaders::load(ctx, UserKey(id)).await?.map(User::new))
    }
    /// 促办的专门委员会
    async fn promoting_committee(&self, ctx: &Context<'_>) -> Result<Option<SpecialCommittee>> {
        let Some(id) = self.0.promoting_committee_id else { return Ok(None) };
        Ok(loaders::load(ctx, SpecialCommitteeKey(id)).await?.map(SpecialCommittee))
    }
    /// 协办
    async fn assisting_office(&self) -> Option<&str> {
        self.0.assisting_office.as_deref()
    }
}

/// 公开的办理结果
#[derive(SimpleObject)]
pub struct ProposalResult {
    summary: String,
    published_at: DateTime<Utc>,
}

/// 提案
pub struct Proposal(pub proposal::Model);

#[Object]
impl Proposal {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    /// 立案号：按年度编号的如“2026-0012”，按届次会议编号的如“12-3-0012”（届-次-号）；立案前为 null
    async fn serial_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (Some(year), Some(no)) = (self.0.serial_year, self.0.serial_no) else { return Ok(None) };
        if let Some(id) = self.0.serial_session_id
            && let Some(s) = loaders::load(ctx, PlenarySessionKey(id)).await?
        {
            return Ok(Some(format!("{}-{}-{no:04}", s.term, s.number)));
        }
        Ok(Some(format!("{year}-{no:04}")))
    }
    /// 提交时所在的届次会议（大会期间提交的）；闭会期间提交的为 null
    async fn session(&self, ctx: &Context<'_>) -> Result<Option<PlenarySession>> {
        let Some(id) = self.0.session_id else { return Ok(None) };
        Ok(loaders::load(ctx, PlenarySessionKey(id)).await?.map(PlenarySession))
    }
    /// 案由
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// 情况分析
    async fn background(&self) -> &str {
        &self.0.background
    }
    /// 具体建议
    async fn suggestions(&self) -> &str {
        &self.0.suggestions
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn kind(&self) -> ProposalKind {
        self.0.kind.into()
    }
    async fn submitted_during(&self) -> SubmittedDuring {
        self.0.submitted_during.into()
    }
    async fn status(&self) -> ProposalStatus {
        self.0.status.into()
    }
    /// 并案后随主案的状态；未并案时同 status
    async fn effective_status(&self, ctx: &Context<'_>) -> Result<ProposalStatus> {
        match self.0.merged_into_id {
            Some(master) => {
                let m = loaders::load(ctx, ProposalKey(master)).await?;
                Ok(m.map_or(self.0.status, |m| m.status).into())
            }
            None => Ok(self.0.status.into()),
        }
    }
    async fn merged_into_id(&self) -> Option<ID> {
        self.0.merged_into_id.map(to_id)
    }
    /// 提案人（集体提案为起草人）
    async fn proposer(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::load(ctx, UserKey(self.0.author_id)).await?.map(User::new))
    }
    async fn party(&self) -> Option<Party> {
        self.0.party.as_ref().and_then(|p| entity::Party::try_from_value(p).ok()).map(Into::into)
    }
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        let Some(id) = self.0.sector_id else { return Ok(None) };
        Ok(loaders::load(ctx, SectorKey(id)).await?.map(Sector))
    }
    async fn committee(&self, ctx: &Context<'_>) -> Result<Option<SpecialCommittee>> {
        let Some(id) = self.0.committee_id else { return Ok(None) };
        Ok(loaders::load(ctx, SpecialCommitteeKey(id)).await?.map(SpecialCommittee))
    }
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.0.id).await
    }
    async fn co_signers(&self, ctx: &Context<'_>) -> Result<Vec<CoSigner>> {
        Ok(loaders::load(ctx, CoSignersOf(self.0.id)).await?.unwrap_or_default().into_iter().map(CoSigner).collect())
    }
    /// 是否重点提案
    async fn is_key(&self) -> bool {
        self.0.is_key
    }
    async fn key_proposal(&self) -> Option<KeyProposal<'_>> {
        self.0.is_key.then_some(KeyProposal(&self.0))
    }
    async fn return_reason(&self) -> Option<&str> {
        self.0.return_reason.as_deref()
    }
    async fn reject_reason(&self) -> Option<&str> {
        self.0.reject_reason.as_deref()
    }
    /// 不予立案后转成的社情民意信息
    async fn converted_suggestion_id(&self) -> Option<ID> {
        self.0.converted_suggestion_id.map(to_id)
    }
    /// 第几轮办理（不满意重办后加一）
    async fn round(&self) -> i32 {
        self.0.round
    }
    async fn assignments(&self, ctx: &Context<'_>) -> Result<Vec<Assignment>> {
        let list = loaders::load(ctx, AssignmentsOf(self.0.id)).await?.unwrap_or_default();
        Ok(list.into_iter().map(|row| Assignment { overdue: service::is_overdue(&self.0, &row), row }).collect())
    }
    /// 有逾期未答复的交办
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        let list = loaders::load(ctx, AssignmentsOf(self.0.id)).await?.unwrap_or_default();
        Ok(list.iter().any(|a| service::is_overdue(&self.0, a)))
    }
    async fn replies(&self, ctx: &Context<'_>) -> Result<Vec<ProposalReply>> {
        let list = loaders::load(ctx, RepliesOf(self.0.id)).await?.unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|r| ProposalReply {
                id: r.id,
                unit_id: to_id(r.unit_id),
                round: r.round,
                outcome: r.outcome.into(),
                content: r.content,
                contact: r.contact,
                replied_at: r.replied_at,
            })
            .collect())
    }
    async fn evaluations(&self, ctx: &Context<'_>) -> Result<Vec<ProposalEvaluation>> {
        let list = service::evaluations(&ctx.state()?.db, self.0.id).await?;
        Ok(list
            .into_iter()
            .map(|e| ProposalEvaluation {
                round: e.round,
                satisfaction: e.satisfaction.into(),
                communication: e.communication.into(),
                attitude: e.attitude.into(),
                implementation: e.implementation.into(),
                comment: e.comment,
                evaluated_at: e.evaluated_at,
            })
            .collect())
    }
    /// 办理过程（只增不改）
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<ProposalEvent>> {
        // Through the request's loader: a list of proposals with their timelines is one query.
        let list = loaders::load(ctx, loaders::ProposalTimelineOf(self.0.id)).await?.unwrap_or_default();
        Ok(list.into_iter().map(ProposalEvent).collect())
    }
    async fn result(&self) -> Option<ProposalResult> {
        Some(ProposalResult { summary: self.0.result_summary.clone()?, published_at: self.0.result_published_at? })
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    async fn registered_at(&self) -> Option<DateTime<Utc>> {
        self.0.registered_at
    }
    async fn concluded_at(&self) -> Option<DateTime<Utc>> {
        self.0.concluded_at
    }
}

#[derive(InputObject, Default)]
pub struct ProposalFilter {
    pub status: Option<ProposalStatus>,
    pub kind: Option<ProposalKind>,
    pub category: Option<String>,
    /// 提交年份（北京时间）
    pub year: Option<i32>,
    /// 只看（或排除）重点提案
    pub key: Option<bool>,
    pub unit_id: Option<ID>,
    /// 只看（或排除）有逾期交办的
    pub overdue: Option<bool>,
    pub search: Option<String>,
    /// 只看某届次会议期间提交的
    pub session_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct NamedCount {
    pub name: String,
    pub count: u64,
}

#[derive(SimpleObject)]
pub struct UnitCounts {
    pub unit: Option<HandlingUnit>,
    pub assigned: u64,
    pub replied: u64,
}

/// 提案全年统计
#[derive(SimpleObject)]
pub struct ProposalStats {
    pub year: i32,
    pub submitted: u64,
    pub registered: u64,
    pub not_registered: u64,
    pub merged: u64,
    pub withdrawn: u64,
    pub by_kind: Vec<NamedCount>,
    pub by_category: Vec<NamedCount>,
    pub by_unit: Vec<UnitCounts>,
    pub key: u64,
    /// 答复类别 A、B、C
    pub outcomes: Vec<NamedCount>,
    /// 最近一次评价
    pub satisfaction: Vec<NamedCount>,
    pub evaluated: u64,
    /// 满意率：（满意+基本满意）/已评价
    pub satisfaction_rate: f64,
    pub overdue: u64,
}

pub fn named(map: std::collections::BTreeMap<String, u64>) -> Vec<NamedCount> {
    map.into_iter().map(|(name, count)| NamedCount { name, count }).collect()
}
