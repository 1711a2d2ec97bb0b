//! GraphQL face of proposals. Operation names are the contract of the app and the office.
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use super::{
    service::{self, DraftFields, Filter, KeyDesignation, NewAssignment, NewEvaluation, NewReply, Who},
    workflow::Action,
};
use crate::{
    attachments::graphql::{self as attachments, Attachment},
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id, parse_ids, to_id},
        enums::Party,
        loaders::{
            self, AssignmentsOf, CoSignersOf, HandlingUnitKey, ProposalKey, RepliesOf, SectorKey, SpecialCommitteeKey,
            UserKey,
        },
        pagination::{Page, connection, decode_cursor, page_size},
    },
    members::graphql::User,
    organizations::graphql::{HandlingUnit, Sector, SpecialCommittee},
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
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
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
    /// 立案号，如“2026-0012”；立案前为 null
    async fn serial_number(&self) -> Option<String> {
        Some(format!("{}-{:04}", self.0.serial_year?, self.0.serial_no?))
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
        Ok(service::timeline(&ctx.state()?.db, self.0.id).await?.into_iter().map(ProposalEvent).collect())
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
}

#[derive(SimpleObject)]
pub struct NamedCount {
    name: String,
    count: u64,
}

#[derive(SimpleObject)]
pub struct UnitCounts {
    unit: Option<HandlingUnit>,
    assigned: u64,
    replied: u64,
}

/// 提案全年统计
#[derive(SimpleObject)]
pub struct ProposalStats {
    year: i32,
    submitted: u64,
    registered: u64,
    not_registered: u64,
    merged: u64,
    withdrawn: u64,
    by_kind: Vec<NamedCount>,
    by_category: Vec<NamedCount>,
    by_unit: Vec<UnitCounts>,
    key: u64,
    /// 答复类别 A、B、C
    outcomes: Vec<NamedCount>,
    /// 最近一次评价
    satisfaction: Vec<NamedCount>,
    evaluated: u64,
    /// 满意率：（满意+基本满意）/已评价
    satisfaction_rate: f64,
    overdue: u64,
}

fn named(map: std::collections::BTreeMap<String, u64>) -> Vec<NamedCount> {
    map.into_iter().map(|(name, count)| NamedCount { name, count }).collect()
}

async fn who(ctx: &Context<'_>) -> Result<Who, AppError> {
    let viewer = ctx.viewer()?;
    Who::load(&ctx.state()?.db, viewer).await
}

#[derive(Default)]
pub struct ProposalQuery;

#[Object]
impl ProposalQuery {
    /// 我的提案（含草稿和联名的），新的在前
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn my_proposals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Proposal>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (rows, total) = service::mine(&ctx.state()?.db, viewer, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |p| p.id, Proposal))
    }

    /// 等我答复的联名邀请
    async fn co_sign_invitations(&self, ctx: &Context<'_>) -> Result<Vec<Proposal>> {
        let viewer = ctx.viewer()?;
        Ok(service::invitations(&ctx.state()?.db, viewer).await?.into_iter().map(Proposal).collect())
    }

    async fn proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::visible(&ctx.state()?.db, &who, parse_id(&id, "id")?).await?))
    }

    /// 提案列表：机关看全部（草稿除外），承办单位只看交办给本单位的
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn proposals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProposalFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Proposal>> {
        let who = who(ctx).await?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            status: f.status.map(Into::into),
            kind: f.kind.map(Into::into),
            category: f.category,
            year: f.year,
            key: f.key,
            unit_id: f.unit_id.as_ref().map(|u| parse_id(u, "filter.unitId")).transpose()?,
            overdue: f.overdue,
            search: f.search,
        };
        let (rows, total) = service::list(&ctx.state()?.db, &who, &filter, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |p| p.id, Proposal))
    }

    /// 提案全年统计（机关）；年份默认今年
    async fn proposal_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<ProposalStats> {
        let viewer = ctx.viewer()?;
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let s = service::stats(&ctx.state()?.db, viewer, year).await?;
        let mut by_unit = Vec::with_capacity(s.by_unit.len());
        for (unit, assigned, replied) in s.by_unit {
            let unit = loaders::load(ctx, HandlingUnitKey(unit)).await?.map(HandlingUnit);
            by_unit.push(UnitCounts { unit, assigned, replied });
        }
        let content = s.satisfaction.get("SATISFIED").copied().unwrap_or(0)
            + s.satisfaction.get("BASICALLY_SATISFIED").copied().unwrap_or(0);
        let rate = if s.evaluated == 0 { 0.0 } else { content as f64 / s.evaluated as f64 };
        Ok(ProposalStats {
            year,
            submitted: s.submitted,
            registered: s.registered,
            not_registered: s.not_registered,
            merged: s.merged,
            withdrawn: s.withdrawn,
            by_kind: named(s.by_kind),
            by_category: named(s.by_category),
            by_unit,
            key: s.key,
            outcomes: named(s.outcomes),
            satisfaction: named(s.satisfaction),
            evaluated: s.evaluated,
            satisfaction_rate: rate,
            overdue: s.overdue,
        })
    }
}

#[derive(InputObject)]
pub struct CreateProposalDraftInput {
    /// 案由
    pub title: String,
    /// 情况分析
    #[graphql(default)]
    pub background: String,
    /// 具体建议
    #[graphql(default)]
    pub suggestions: String,
    /// 经济、政治、文化、社会、生态文明、其他……
    pub category: String,
    #[graphql(default_with = "ProposalKind::Individual")]
    pub kind: ProposalKind,
    #[graphql(default_with = "SubmittedDuring::Recess")]
    pub submitted_during: SubmittedDuring,
    /// 党派提案的党派
    pub party: Option<Party>,
    /// 界别提案的界别
    pub sector_id: Option<ID>,
    /// 专委会提案的专门委员会
    pub committee_id: Option<ID>,
    /// 已上传附件（用途 PROPOSAL）的 id，按显示顺序
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
}

/// 省略的字段保持不变；attachmentIds 给出时整体替换
#[derive(InputObject)]
pub struct UpdateProposalDraftInput {
    pub title: Option<String>,
    pub background: Option<String>,
    pub suggestions: Option<String>,
    pub category: Option<String>,
    pub kind: Option<ProposalKind>,
    pub submitted_during: Option<SubmittedDuring>,
    pub party: MaybeUndefined<Party>,
    pub sector_id: MaybeUndefined<ID>,
    pub committee_id: MaybeUndefined<ID>,
    pub attachment_ids: Option<Vec<ID>>,
}

fn maybe_id(v: MaybeUndefined<ID>, field: &str) -> Result<Option<Option<uuid::Uuid>>, AppError> {
    let v: Option<Option<ID>> = v.into();
    v.map(|o| o.map(|id| parse_id(&id, field)).transpose()).transpose()
}

#[derive(InputObject)]
pub struct AssignmentInput {
    pub unit_id: ID,
    pub role: AssignmentRole,
    /// 办理期限，默认三个月
    pub deadline: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct EvaluationInput {
    /// 总体评价；不满意将重新办理
    pub satisfaction: Satisfaction,
    pub communication: Satisfaction,
    pub attitude: Satisfaction,
    pub implementation: Satisfaction,
    pub comment: Option<String>,
}

#[derive(InputObject)]
pub struct KeyProposalInput {
    /// 领办领导，如“分管副市长”
    pub lead_official: Option<String>,
    /// 督办的政协副主席（用户 ID）
    pub supervisor_id: Option<ID>,
    /// 促办的专门委员会
    pub promoting_committee_id: Option<ID>,
    /// 协办，如“两办督查室”
    pub assisting_office: Option<String>,
}

#[derive(InputObject)]
pub struct ReplyInput {
    pub outcome: ReplyOutcome,
    /// 答复正文
    pub content: String,
    /// 联系人及电话
    pub contact: String,
    /// 已上传附件（用途 PROPOSAL_REPLY，如盖章的答复函）的 id
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
}

#[derive(Default)]
pub struct ProposalMutation;

#[Object]
impl ProposalMutation {
    async fn create_proposal_draft(&self, ctx: &Context<'_>, input: CreateProposalDraftInput) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let f = DraftFields {
            title: Some(input.title),
            background: Some(input.background),
            suggestions: Some(input.suggestions),
            category: Some(input.category),
            kind: Some(input.kind.into()),
            submitted_during: Some(input.submitted_during.into()),
            party: Some(input.party.map(|p| entity::Party::from(p).to_value())),
            sector_id: Some(input.sector_id.as_ref().map(|s| parse_id(s, "sectorId")).transpose()?),
            committee_id: Some(input.committee_id.as_ref().map(|c| parse_id(c, "committeeId")).transpose()?),
            attachments: Some(attachments::list(ctx, &input.attachment_ids)?),
        };
        Ok(Proposal(service::create_draft(&ctx.state()?.db, viewer, f).await?))
    }

    /// 修改草稿（或被退回修改的提案）
    async fn update_proposal_draft(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProposalDraftInput,
    ) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let party: Option<Option<Party>> = input.party.into();
        let f = DraftFields {
            title: input.title,
            background: input.background,
            suggestions: input.suggestions,
            category: input.category,
            kind: input.kind.map(Into::into),
            submitted_during: input.submitted_during.map(Into::into),
            party: party.map(|p| p.map(|p| entity::Party::from(p).to_value())),
            sector_id: maybe_id(input.sector_id, "sectorId")?,
            committee_id: maybe_id(input.committee_id, "committeeId")?,
            attachments: attachments::list_opt(ctx, input.attachment_ids.as_deref())?,
        };
        Ok(Proposal(service::update_draft(&ctx.state()?.db, viewer, parse_id(&id, "id")?, f).await?))
    }

    /// 邀请联名
    async fn invite_co_signers(&self, ctx: &Context<'_>, proposal_id: ID, user_ids: Vec<ID>) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let users = parse_ids(&user_ids, "userIds")?;
        Ok(Proposal(
            service::invite_cosigners(&ctx.state()?.db, viewer, parse_id(&proposal_id, "proposalId")?, &users).await?,
        ))
    }

    /// 答复联名邀请
    async fn respond_to_co_sign(&self, ctx: &Context<'_>, proposal_id: ID, accept: bool) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(
            service::respond_to_cosign(&ctx.state()?.db, viewer, parse_id(&proposal_id, "proposalId")?, accept).await?,
        ))
    }

    /// 提交；同一 idempotencyKey 重试只提交一次并返回同样结果
    async fn submit_proposal(&self, ctx: &Context<'_>, id: ID, idempotency_key: String) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::submit(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &idempotency_key).await?))
    }

    /// 立案前撤回
    async fn withdraw_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::proposer_step(&ctx.state()?.db, viewer, parse_id(&id, "id")?, Action::Withdraw).await?))
    }

    /// 退回修改后重新提交
    async fn resubmit_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::proposer_step(&ctx.state()?.db, viewer, parse_id(&id, "id")?, Action::Resubmit).await?))
    }

    /// 提案人评价办理情况
    async fn evaluate_proposal(&self, ctx: &Context<'_>, id: ID, input: EvaluationInput) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let e = NewEvaluation {
            satisfaction: input.satisfaction.into(),
            communication: input.communication.into(),
            attitude: input.attitude.into(),
            implementation: input.implementation.into(),
            comment: input.comment,
        };
        Ok(Proposal(service::evaluate(&ctx.state()?.db, viewer, parse_id(&id, "id")?, e).await?))
    }

    /// 退回修改（机关）
    async fn return_proposal(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::return_proposal(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason).await?))
    }

    /// 立案：按组织和年度连续编号
    async fn register_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::register(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 不予立案；可转为社情民意信息
    async fn reject_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        #[graphql(default)] convert_to_suggestion: bool,
    ) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(
            service::reject(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason, convert_to_suggestion).await?,
        ))
    }

    /// 并案
    async fn merge_proposal(&self, ctx: &Context<'_>, id: ID, into_id: ID) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(
            service::merge(&ctx.state()?.db, viewer, parse_id(&id, "id")?, parse_id(&into_id, "intoId")?).await?,
        ))
    }

    /// 交办：至少一个主办或分办单位，默认期限三个月
    async fn assign_proposal(&self, ctx: &Context<'_>, id: ID, assignments: Vec<AssignmentInput>) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let list = assignments
            .into_iter()
            .map(|a| {
                Ok(NewAssignment {
                    unit_id: parse_id(&a.unit_id, "assignments.unitId")?,
                    role: a.role.into(),
                    deadline: a.deadline,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(Proposal(service::assign(&ctx.state()?.db, viewer, parse_id(&id, "id")?, list).await?))
    }

    /// 承办单位申请退回重新交办（申退）
    async fn request_reassignment(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::request_reassignment(&ctx.state()?.db, &who, parse_id(&id, "id")?, &reason).await?))
    }

    /// 确定为重点提案：领办、督办、促办、协办
    async fn designate_key_proposal(&self, ctx: &Context<'_>, id: ID, input: KeyProposalInput) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        let k = KeyDesignation {
            lead_official: input.lead_official,
            supervisor_id: input.supervisor_id.as_ref().map(|s| parse_id(s, "supervisorId")).transpose()?,
            promoting_committee_id: input
                .promoting_committee_id
                .as_ref()
                .map(|c| parse_id(c, "promotingCommitteeId"))
                .transpose()?,
            assisting_office: input.assisting_office,
        };
        Ok(Proposal(service::designate_key(&ctx.state()?.db, viewer, parse_id(&id, "id")?, k).await?))
    }

    /// 办结
    async fn conclude_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::conclude(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 公开办理结果（经内容安全审查）
    async fn publish_proposal_result(&self, ctx: &Context<'_>, id: ID, summary: String) -> Result<Proposal> {
        let viewer = ctx.viewer()?;
        Ok(Proposal(service::publish_result(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &summary).await?))
    }

    /// 承办单位签收
    async fn acknowledge_assignment(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::acknowledge(&ctx.state()?.db, &who, parse_id(&id, "id")?).await?))
    }

    /// 承办单位答复（每轮一次）
    async fn reply_to_proposal(&self, ctx: &Context<'_>, id: ID, input: ReplyInput) -> Result<Proposal> {
        let who = who(ctx).await?;
        let r = NewReply {
            outcome: input.outcome.into(),
            content: input.content,
            contact: input.contact,
            attachments: attachments::list(ctx, &input.attachment_ids)?,
        };
        Ok(Proposal(service::reply(&ctx.state()?.db, &who, parse_id(&id, "id")?, r).await?))
    }
}
