//! What members, the office and handling units do to proposals. Operation names are the
//! contract of the app and the office.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use crate::graphql::context::retry_key;

use super::{
    query::who,
    types::{AssignmentRole, Proposal, ProposalKind, ReplyOutcome, Satisfaction, SubmittedDuring},
};
use crate::{
    attachments::graphql as attachments,
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id, parse_ids},
        enums::Party,
    },
    idempotency,
    proposals::service::{self, DraftFields, KeyDesignation, NewAssignment, NewEvaluation, NewReply},
};

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
    /// 代录纸质提案：提案人（本组织委员）的用户 ID；仅机关工作人员可填。草稿归该委员所有，机关可继续修改并代为提交
    pub author_id: Option<ID>,
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
    /// 机关代录答复函时：答复的承办单位；承办单位自己答复时省略
    pub unit_id: Option<ID>,
    /// 代录：单位答复的实际时间（答复函日期），统计按其北京时间日期计；不得晚于现在、不得早于交办；仅机关工作人员可填，承办单位填写为 FORBIDDEN；省略即现在
    pub at: Option<DateTime<Utc>>,
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
    /// 新建草稿；带 idempotencyKey 重试时返回第一次建的草稿
    async fn create_proposal_draft(
        &self,
        ctx: &Context<'_>,
        input: CreateProposalDraftInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
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
        let author = input.author_id.as_ref().map(|a| parse_id(a, "authorId")).transpose()?;
        Ok(Proposal(service::create_draft(&ctx.state()?.db, viewer, f, key, author).await?))
    }

    /// 修改草稿（或被退回修改的提案）
    async fn update_proposal_draft(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProposalDraftInput,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
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
        let viewer = who(ctx).await?;
        let users = parse_ids(&user_ids, "userIds")?;
        Ok(Proposal(
            service::invite_cosigners(&ctx.state()?.db, viewer, parse_id(&proposal_id, "proposalId")?, &users).await?,
        ))
    }

    /// 答复联名邀请
    async fn respond_to_co_sign(&self, ctx: &Context<'_>, proposal_id: ID, accept: bool) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(
            service::respond_to_cosign(&ctx.state()?.db, viewer, parse_id(&proposal_id, "proposalId")?, accept).await?,
        ))
    }

    /// 提交；同一 idempotencyKey 重试只提交一次并返回同样结果（第一次还在处理时也一样）
    async fn submit_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: String,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        let key = retry_key(ctx, Some(&idempotency_key))?
            .ok_or_else(|| AppError::bad_input(idempotency::FIELD, "请提供幂等键"))?;
        Ok(Proposal(service::submit(&ctx.state()?.db, viewer, parse_id(&id, "id")?, key, at).await?))
    }

    /// 立案前撤回
    async fn withdraw_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::withdraw(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 退回修改后重新提交
    async fn resubmit_proposal(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::resubmit(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 提案人评价办理情况
    async fn evaluate_proposal(&self, ctx: &Context<'_>, id: ID, input: EvaluationInput) -> Result<Proposal> {
        let viewer = who(ctx).await?;
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
    async fn return_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::return_proposal(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason, at).await?))
    }

    /// 立案：按组织和年度（或会次）连续编号；补录时按 at 所在年度
    async fn register_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::register(&ctx.state()?.db, viewer, parse_id(&id, "id")?, at).await?))
    }

    /// 不予立案；可转为社情民意信息
    async fn reject_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        #[graphql(default)] convert_to_suggestion: bool,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(
            service::reject(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason, convert_to_suggestion, at).await?,
        ))
    }

    /// 并案
    async fn merge_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        into_id: ID,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(
            service::merge(&ctx.state()?.db, viewer, parse_id(&id, "id")?, parse_id(&into_id, "intoId")?, at).await?,
        ))
    }

    /// 交办：至少一个主办或分办单位，默认期限三个月
    async fn assign_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        assignments: Vec<AssignmentInput>,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
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
        Ok(Proposal(service::assign(&ctx.state()?.db, viewer, parse_id(&id, "id")?, list, at).await?))
    }

    /// 承办单位申请退回重新交办（申退）
    async fn request_reassignment(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::request_reassignment(&ctx.state()?.db, who, parse_id(&id, "id")?, &reason).await?))
    }

    /// 确定为重点提案：领办、督办、促办、协办
    async fn designate_key_proposal(&self, ctx: &Context<'_>, id: ID, input: KeyProposalInput) -> Result<Proposal> {
        let viewer = who(ctx).await?;
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
    async fn conclude_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::conclude(&ctx.state()?.db, viewer, parse_id(&id, "id")?, at).await?))
    }

    /// 公开办理结果（经内容安全审查）
    async fn publish_proposal_result(
        &self,
        ctx: &Context<'_>,
        id: ID,
        summary: String,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如立案不早于提交）；仅机关工作人员可填，委员和承办单位填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Proposal> {
        let viewer = who(ctx).await?;
        Ok(Proposal(service::publish_result(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &summary, at).await?))
    }

    /// 承办单位签收
    async fn acknowledge_assignment(&self, ctx: &Context<'_>, id: ID) -> Result<Proposal> {
        let who = who(ctx).await?;
        Ok(Proposal(service::acknowledge(&ctx.state()?.db, who, parse_id(&id, "id")?).await?))
    }

    /// 承办单位答复（每轮一次）；带 idempotencyKey 重试时返回同样结果。机关可代录答复函（input.unitId、input.at）
    async fn reply_to_proposal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ReplyInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Proposal> {
        let who = who(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
        let r = NewReply {
            unit_id: input.unit_id.as_ref().map(|u| parse_id(u, "input.unitId")).transpose()?,
            at: input.at,
            outcome: input.outcome.into(),
            content: input.content,
            contact: input.contact,
            attachments: attachments::list(ctx, &input.attachment_ids)?,
        };
        Ok(Proposal(service::reply(&ctx.state()?.db, who, parse_id(&id, "id")?, r, key).await?))
    }
}
