//! What the office does to briefings, and a member's read receipt.
use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::types::Briefing;
use crate::{
    attachments::graphql as attachments,
    briefings::service::{self, BriefingFields},
    graphql::{
        audience::AudienceInput,
        context::{ContextExt, parse_id, principal, retry_key, to_id},
    },
};

/// What `markBriefingRead` changed: the briefing, and the badge.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct BriefingRead {
    pub briefing: Briefing,
    /// 标记后的未读通报数（角标）
    pub unread_briefing_count: u64,
}

#[async_graphql::ComplexObject]
impl BriefingRead {
    /// 查询根：在这里选 `unreadBriefingCount` 等根字段，Apollo Client、urql 的规范化缓存会把
    /// 新值写回根查询，角标无须重新请求
    async fn query(&self) -> crate::graphql::QueryRoot {
        crate::graphql::QueryRoot::default()
    }
}

#[derive(InputObject)]
pub struct CreateBriefingInput {
    pub title: String,
    #[graphql(default)]
    pub summary: String,
    /// Markdown
    #[graphql(default)]
    pub body: String,
    /// 通报单位，如“市政府”“市纪委监委”
    pub source: String,
    /// 默认“综合”
    pub category: Option<String>,
    pub briefed_at: Option<NaiveDate>,
    pub audience: AudienceInput,
    #[graphql(default)]
    pub pinned: bool,
    #[graphql(default)]
    pub confidential: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// 已上传附件（用途 BRIEFING）的 id，按显示顺序
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
}

/// 省略的字段保持不变；briefedAt、expiresAt 显式传 null 则清空；attachmentIds 给出时整体替换
#[derive(InputObject)]
pub struct UpdateBriefingInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub briefed_at: MaybeUndefined<NaiveDate>,
    pub audience: Option<AudienceInput>,
    pub pinned: Option<bool>,
    pub confidential: Option<bool>,
    pub expires_at: MaybeUndefined<DateTime<Utc>>,
    pub attachment_ids: Option<Vec<ID>>,
}

#[derive(SimpleObject)]
pub struct DeletedBriefing {
    pub id: ID,
}

#[derive(Default)]
pub struct BriefingMutation;

#[Object]
impl BriefingMutation {
    /// 起草通报（机关工作人员、管理员），返回草稿；带 idempotencyKey 重试时返回第一次建的草稿
    async fn create_briefing(
        &self,
        ctx: &Context<'_>,
        input: CreateBriefingInput,
        #[graphql(desc = "幂等键：8到100个字符，每个新操作生成一个（如 UUID），重试同一操作时原样带上")]
        idempotency_key: Option<String>,
    ) -> Result<Briefing> {
        let who = principal(ctx).await?;
        let key = retry_key(ctx, idempotency_key.as_deref())?;
        let fields = BriefingFields {
            title: Some(input.title),
            summary: Some(input.summary),
            body: Some(input.body),
            source: Some(input.source),
            category: input.category,
            briefed_at: Some(input.briefed_at),
            audience: Some(input.audience.into_audience()?),
            pinned: Some(input.pinned),
            confidential: Some(input.confidential),
            expires_at: Some(input.expires_at),
            attachments: Some(attachments::list(ctx, &input.attachment_ids)?),
        };
        let model = service::create(&ctx.state()?.db, who, fields, key).await?;
        Ok(Briefing { model, receipt: None })
    }

    /// 修改通报；已发布的通报修改后重新审查内容并更新通报对象
    async fn update_briefing(&self, ctx: &Context<'_>, id: ID, input: UpdateBriefingInput) -> Result<Briefing> {
        let who = principal(ctx).await?;
        let fields = BriefingFields {
            title: input.title,
            summary: input.summary,
            body: input.body,
            source: input.source,
            category: input.category,
            briefed_at: input.briefed_at.into(),
            audience: input.audience.map(AudienceInput::into_audience).transpose()?,
            pinned: input.pinned,
            confidential: input.confidential,
            expires_at: input.expires_at.into(),
            attachments: attachments::list_opt(ctx, input.attachment_ids.as_deref())?,
        };
        let model = service::update(&ctx.state()?.db, who, parse_id(&id, "id")?, fields).await?;
        crate::live::briefings_moved(ctx.state()?, model.organization_id).await;
        Ok(Briefing { model, receipt: None })
    }

    /// 发布：先审查标题、摘要、正文中的违规推广内容，命中则拒绝并指出片段
    async fn publish_briefing(&self, ctx: &Context<'_>, id: ID) -> Result<Briefing> {
        let who = principal(ctx).await?;
        let model = service::publish(&ctx.state()?.db, who, parse_id(&id, "id")?).await?;
        crate::live::briefings_moved(ctx.state()?, model.organization_id).await;
        Ok(Briefing { model, receipt: None })
    }

    /// 撤回：从所有人的列表中消失，阅读记录保留
    async fn withdraw_briefing(&self, ctx: &Context<'_>, id: ID, reason: Option<String>) -> Result<Briefing> {
        let who = principal(ctx).await?;
        let model = service::withdraw(&ctx.state()?.db, who, parse_id(&id, "id")?, reason).await?;
        crate::live::briefings_moved(ctx.state()?, model.organization_id).await;
        Ok(Briefing { model, receipt: None })
    }

    /// 删除草稿
    async fn delete_briefing(&self, ctx: &Context<'_>, id: ID) -> Result<DeletedBriefing> {
        let who = principal(ctx).await?;
        let id = service::delete(&ctx.state()?.db, who, parse_id(&id, "id")?).await?;
        Ok(DeletedBriefing { id: to_id(id) })
    }

    /// 标记已读（重复调用保留首次阅读时间）；同时给出新的未读数，客户端缓存中的角标随之更新
    async fn mark_briefing_read(&self, ctx: &Context<'_>, id: ID) -> Result<BriefingRead> {
        let who = principal(ctx).await?;
        let state = ctx.state()?;
        let (model, receipt) = service::mark_read(&state.db, who, parse_id(&id, "id")?).await?;
        crate::live::badge_moved(state, who.user_id).await;
        let unread_briefing_count = service::unread_count_kept(&state.db, &state.live.kept().badges, who).await?;
        Ok(BriefingRead { briefing: Briefing { model, receipt: Some(receipt) }, unread_briefing_count })
    }
}
