//! What members and the office do: submit (retry-safe), accept, decline, merge, edit and
//! publish bulletin issues, report, record adoptions. Operation names are the contract of
//! the app and the office; the rules are in `service`.
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::types::{AdoptionForm, BulletinIssue, Suggestion, SuggestionStatus};
use crate::{
    attachments::graphql as attachments,
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id, parse_ids, principal, retry_key},
        enums::OrganizationLevel,
    },
    idempotency,
    suggestions::service::{self, NewAdoption, NewSuggestion, Recipients},
};

#[derive(InputObject)]
pub struct SubmitSuggestionInput {
    /// 标题
    pub title: String,
    /// 正文（简明扼要，不超过5000字）
    pub content: String,
    /// 类别，如“城市管理”“医疗卫生”
    pub category: String,
    /// 对外隐去作者姓名
    #[graphql(default)]
    pub anonymous_to_public: bool,
    /// 已上传附件（用途 SUGGESTION，如现场照片）的 id，最多9个
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
    /// 联名委员（用户 ID）
    #[graphql(default)]
    pub co_author_ids: Vec<ID>,
    /// 召集人以界别名义报送时的界别
    pub sector_id: Option<ID>,
    /// 代录：委员电话报送或交来的信息，由机关工作人员录入时填报送委员的用户 ID（仅机关）
    pub author_id: Option<ID>,
    /// 代录：收到的实际时间，统计按其北京时间日期计；不得晚于现在；仅机关工作人员可填，委员填写为 FORBIDDEN；省略即现在
    pub at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CreateBulletinIssueInput {
    pub title: String,
    /// 期号，每年从1起
    pub number: i32,
    /// 默认今年
    pub year: Option<i32>,
}

#[derive(InputObject)]
pub struct ReportRecipientsInput {
    /// 上级政协组织
    #[graphql(default)]
    pub organization_ids: Vec<ID>,
    /// 本地机关，如“市委”“市政府”
    #[graphql(default)]
    pub bodies: Vec<String>,
}

#[derive(InputObject)]
pub struct RecordAdoptionInput {
    pub level: OrganizationLevel,
    pub form: AdoptionForm,
    /// 采用单位，如“全国政协办公厅”
    pub adopted_by: String,
    /// 采用日期（北京时间日期，按采用通知所署日期；统计按此日期所在年度计）。不得晚于今天、不得早于报送日期；
    /// 早于今天即为补录，处理过程中标为后补录入。这是采用的 at，只有机关可登记
    pub adopted_at: NaiveDate,
    /// 领导批示内容
    pub instruction: Option<String>,
    /// 批示领导
    pub instructed_by: Option<String>,
}

#[derive(Default)]
pub struct SuggestionMutation;

#[Object]
impl SuggestionMutation {
    /// 报送社情民意信息。同一 idempotencyKey 重试只生成一条，返回第一次的结果
    async fn submit_suggestion(
        &self,
        ctx: &Context<'_>,
        input: SubmitSuggestionInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: String,
    ) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let new = NewSuggestion {
            title: input.title,
            content: input.content,
            category: input.category,
            anonymous_to_public: input.anonymous_to_public,
            attachments: attachments::list(ctx, &input.attachment_ids)?,
            co_author_ids: parse_ids(&input.co_author_ids, "coAuthorIds")?,
            sector_id: input.sector_id.as_ref().map(|s| parse_id(s, "sectorId")).transpose()?,
            author_id: input.author_id.as_ref().map(|a| parse_id(a, "authorId")).transpose()?,
            at: input.at,
        };
        let key = retry_key(ctx, Some(&idempotency_key))?
            .ok_or_else(|| AppError::bad_input(idempotency::FIELD, "请提供幂等键"))?;
        Ok(Suggestion(service::submit(&ctx.state()?.db, who, new, key).await?))
    }

    /// 采编（机关）
    async fn accept_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_status: Option<SuggestionStatus>,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如采编不早于收到）；仅机关工作人员可填，委员填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let expected = expected_status.map(Into::into);
        Ok(Suggestion(service::accept(&ctx.state()?.db, who, parse_id(&id, "id")?, expected, at).await?))
    }

    /// 不予采用（机关），须说明原因
    async fn decline_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        expected_status: Option<SuggestionStatus>,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如采编不早于收到）；仅机关工作人员可填，委员填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let expected = expected_status.map(Into::into);
        Ok(Suggestion(service::decline(&ctx.state()?.db, who, parse_id(&id, "id")?, &reason, expected, at).await?))
    }

    /// 合并反映同一问题的信息（汇总），返回合并后的信息
    async fn merge_suggestions(&self, ctx: &Context<'_>, ids: Vec<ID>, into: ID) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let ids = parse_ids(&ids, "ids")?;
        Ok(Suggestion(service::merge(&ctx.state()?.db, who, &ids, parse_id(&into, "into")?).await?))
    }

    /// 新建一期（机关）
    async fn create_bulletin_issue(&self, ctx: &Context<'_>, input: CreateBulletinIssueInput) -> Result<BulletinIssue> {
        let who = principal(ctx).await?;
        let issue = service::create_bulletin(&ctx.state()?.db, who, &input.title, input.number, input.year).await?;
        Ok(BulletinIssue(issue))
    }

    /// 编入一期：编辑后的文字对外，委员原文保留
    async fn add_to_bulletin(
        &self,
        ctx: &Context<'_>,
        issue_id: ID,
        suggestion_id: ID,
        edited_title: String,
        edited_content: String,
    ) -> Result<BulletinIssue> {
        let who = principal(ctx).await?;
        let issue = parse_id(&issue_id, "issueId")?;
        let s = parse_id(&suggestion_id, "suggestionId")?;
        Ok(BulletinIssue(
            service::add_to_bulletin(&ctx.state()?.db, who, issue, s, &edited_title, &edited_content).await?,
        ))
    }

    /// 印发一期（编发）
    async fn publish_bulletin(
        &self,
        ctx: &Context<'_>,
        issue_id: ID,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如采编不早于收到）；仅机关工作人员可填，委员填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<BulletinIssue> {
        let who = principal(ctx).await?;
        Ok(BulletinIssue(service::publish_bulletin(&ctx.state()?.db, who, parse_id(&issue_id, "issueId")?, at).await?))
    }

    /// 报送：上级政协组织（本系统内的会收到一条关联原件的来件）和本地机关
    async fn report_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        recipients: ReportRecipientsInput,
        #[graphql(
            desc = "补录（代录）：这一步实际发生的时间，统计按其北京时间日期计；不得晚于现在，不得早于上一步（如采编不早于收到）；仅机关工作人员可填，委员填写为 FORBIDDEN；省略即现在"
        )]
        at: Option<DateTime<Utc>>,
    ) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let to = Recipients {
            organization_ids: parse_ids(&recipients.organization_ids, "recipients.organizationIds")?,
            bodies: recipients.bodies,
        };
        Ok(Suggestion(service::report(&ctx.state()?.db, who, parse_id(&id, "id")?, to, at).await?))
    }

    /// 登记采用（可多次：如省政协、全国政协先后采用）；在来件上登记的采用同时反馈到下级原件
    async fn record_adoption(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: RecordAdoptionInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Suggestion> {
        let who = principal(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
        let a = NewAdoption {
            level: input.level.into(),
            form: input.form.into(),
            adopted_by: input.adopted_by,
            adopted_at: input.adopted_at,
            instruction: input.instruction,
            instructed_by: input.instructed_by,
        };
        Ok(Suggestion(service::record_adoption(&ctx.state()?.db, who, parse_id(&id, "id")?, a, key).await?))
    }
}
