//! GraphQL face of public-opinion information.
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use super::service::{self, Filter, NewAdoption, NewSuggestion, Recipients};
use crate::{
    attachments::graphql::{self as attachments, Attachment},
    error::AppError,
    graphql::{
        context::{ContextExt, parse_id, parse_ids, retry_key, to_id},
        enums::OrganizationLevel,
        loaders::{
            self, AdoptionsOf, BulletinIssueKey, BulletinItemOf, OrganizationKey, ReportsOf, SectorKey,
            SuggestionAuthorsOf, UserKey,
        },
        pagination::{Page, connection, decode_cursor, page_size},
    },
    members::graphql::User,
    organizations::graphql::{Organization, Sector},
};
use entity::{bulletin_issue, suggestion};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::SuggestionStatus")]
/// 状态：已报送待处理、已采编、未采用、已合并、已编发、已报送上级、已被采用
pub enum SuggestionStatus {
    Submitted,
    Accepted,
    Declined,
    Merged,
    Published,
    Reported,
    Adopted,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::BulletinStatus")]
pub enum BulletinStatus {
    Draft,
    Published,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::AdoptionForm")]
/// 单篇采用、综合采用
pub enum AdoptionForm {
    Single,
    Combined,
}

/// 编发情况
#[derive(SimpleObject)]
pub struct BulletinPlacement {
    issue: BulletinIssue,
    edited_title: String,
    edited_content: String,
}

/// 报送记录
#[derive(SimpleObject)]
pub struct SuggestionReport {
    recipient_name: String,
    recipient_organization_id: Option<ID>,
    reported_at: DateTime<Utc>,
}

/// 采用记录
#[derive(SimpleObject)]
pub struct Adoption {
    level: OrganizationLevel,
    form: AdoptionForm,
    adopted_by: String,
    adopted_at: NaiveDate,
    /// 领导批示
    instruction: Option<String>,
    instructed_by: Option<String>,
}

/// 处理过程
#[derive(SimpleObject)]
pub struct SuggestionEvent {
    /// SUBMITTED、ACCEPTED、DECLINED、MERGED、PUBLISHED、REPORTED、RECEIVED、ADOPTED……
    action: String,
    at: DateTime<Utc>,
    note: Option<String>,
}

/// 社情民意信息
pub struct Suggestion(pub suggestion::Model);

impl Suggestion {
    /// Authors' names: shown to the authors, to the office, and — for a piece marked
    /// anonymous — only to the office where it was first submitted.
    fn names_visible(&self, ctx: &Context<'_>, authors: &[uuid::Uuid]) -> bool {
        let Some(viewer) = ctx.viewer_opt() else { return false };
        if authors.contains(&viewer.user_id) {
            return true;
        }
        !self.0.anonymous_to_public || self.0.source_suggestion_id.is_none()
    }
}

#[Object]
impl Suggestion {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn content(&self) -> &str {
        &self.0.content
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn status(&self) -> SuggestionStatus {
        self.0.status.into()
    }
    async fn anonymous_to_public(&self) -> bool {
        self.0.anonymous_to_public
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.0.id).await
    }
    /// 作者（报送人在前，联名人在后）；匿名信息在上级只显示为空
    async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = loaders::load(ctx, SuggestionAuthorsOf(self.0.id)).await?.unwrap_or_default();
        if !self.names_visible(ctx, &ids) {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(u) = loaders::load(ctx, UserKey(id)).await? {
                out.push(User::new(u));
            }
        }
        Ok(out)
    }
    /// 以界别名义报送时的界别
    async fn sector(&self, ctx: &Context<'_>) -> Result<Option<Sector>> {
        let Some(id) = self.0.sector_id else { return Ok(None) };
        Ok(loaders::load(ctx, SectorKey(id)).await?.map(Sector))
    }
    /// 未采用的原因
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }
    /// 合并到的信息
    async fn merged_into_id(&self) -> Option<ID> {
        self.0.merged_into_id.map(to_id)
    }
    /// 是否为下级报送来的信息
    async fn incoming(&self) -> bool {
        self.0.source_suggestion_id.is_some()
    }
    /// 报送来的下级政协组织
    async fn source_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let Some(id) = self.0.source_organization_id else { return Ok(None) };
        Ok(loaders::load(ctx, OrganizationKey(id)).await?.map(Organization))
    }
    /// 编入的期刊及编辑后的文字
    async fn bulletin(&self, ctx: &Context<'_>) -> Result<Option<BulletinPlacement>> {
        let Some(item) = loaders::load(ctx, BulletinItemOf(self.0.id)).await?.unwrap_or_default().into_iter().next()
        else {
            return Ok(None);
        };
        let issue = loaders::load(ctx, BulletinIssueKey(item.issue_id)).await?;
        Ok(issue.map(|issue| BulletinPlacement {
            issue: BulletinIssue(issue),
            edited_title: item.edited_title,
            edited_content: item.edited_content,
        }))
    }
    /// 报送去向
    async fn reports(&self, ctx: &Context<'_>) -> Result<Vec<SuggestionReport>> {
        let list = loaders::load(ctx, ReportsOf(self.0.id)).await?.unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|r| SuggestionReport {
                recipient_name: r.recipient_name,
                recipient_organization_id: r.recipient_organization_id.map(to_id),
                reported_at: r.reported_at,
            })
            .collect())
    }
    /// 采用情况（含领导批示）
    async fn adoptions(&self, ctx: &Context<'_>) -> Result<Vec<Adoption>> {
        let list = loaders::load(ctx, AdoptionsOf(self.0.id)).await?.unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|a| Adoption {
                level: a.level.into(),
                form: a.form.into(),
                adopted_by: a.adopted_by,
                adopted_at: a.adopted_at,
                instruction: a.instruction,
                instructed_by: a.instructed_by,
            })
            .collect())
    }
    /// 处理过程（反馈）
    async fn timeline(&self, ctx: &Context<'_>) -> Result<Vec<SuggestionEvent>> {
        let list = service::timeline(&ctx.state()?.db, self.0.id).await?;
        Ok(list.into_iter().map(|e| SuggestionEvent { action: e.action, at: e.at, note: e.note }).collect())
    }
}

/// 社情民意信息期刊的一期
pub struct BulletinIssue(pub bulletin_issue::Model);

/// 期刊中的一篇（编辑后的文字）
pub struct BulletinItem {
    suggestion: suggestion::Model,
    edited_title: String,
    edited_content: String,
}

#[Object]
impl BulletinItem {
    async fn edited_title(&self) -> &str {
        &self.edited_title
    }
    async fn edited_content(&self) -> &str {
        &self.edited_content
    }
    async fn suggestion(&self) -> Suggestion {
        Suggestion(self.suggestion.clone())
    }
}

#[Object]
impl BulletinIssue {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    /// 期号
    async fn number(&self) -> i32 {
        self.0.number
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> BulletinStatus {
        self.0.status.into()
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    /// 本期各篇（机关）
    async fn items(&self, ctx: &Context<'_>) -> Result<Vec<BulletinItem>> {
        let viewer = ctx.viewer()?;
        crate::organizations::access::require(viewer.is_office() && viewer.organization_id == self.0.organization_id)?;
        let db = &ctx.state()?.db;
        let mut out = Vec::new();
        for item in service::bulletin_items(db, self.0.id).await? {
            let s = service::visible(db, viewer, item.suggestion_id).await?;
            out.push(BulletinItem {
                suggestion: s,
                edited_title: item.edited_title,
                edited_content: item.edited_content,
            });
        }
        Ok(out)
    }
}

#[derive(InputObject, Default)]
pub struct SuggestionFilter {
    pub status: Option<SuggestionStatus>,
    pub category: Option<String>,
    pub year: Option<i32>,
    /// 在标题和正文中查找
    pub search: Option<String>,
    /// 被哪一级采用
    pub adopted_level: Option<OrganizationLevel>,
    /// true 只看下级报送来的，false 只看本级委员的
    pub incoming: Option<bool>,
}

#[derive(SimpleObject)]
pub struct LevelCount {
    level: OrganizationLevel,
    count: u64,
}

#[derive(SimpleObject)]
pub struct SuggestionCounts {
    received: u64,
    accepted: u64,
    adopted: u64,
}

#[derive(SimpleObject)]
pub struct SectorSuggestionCounts {
    /// 无界别的委员为 null
    sector: Option<Sector>,
    counts: SuggestionCounts,
}

#[derive(SimpleObject)]
pub struct MemberSuggestionCounts {
    member: User,
    counts: SuggestionCounts,
}

/// 社情民意信息全年统计
#[derive(SimpleObject)]
pub struct SuggestionStats {
    year: i32,
    /// 收到（含下级报送来的）
    received: u64,
    /// 采编
    accepted: u64,
    declined: u64,
    merged: u64,
    /// 编发期数
    bulletins_published: u64,
    /// 报送篇数
    reported: u64,
    /// 各级采用篇数（同一篇在同一级只计一次）
    adopted_by_level: Vec<LevelCount>,
    /// 被采用篇数
    adopted: u64,
    /// 获领导批示篇数
    with_instruction: u64,
    by_sector: Vec<SectorSuggestionCounts>,
    by_member: Vec<MemberSuggestionCounts>,
}

fn counts(c: service::Counts) -> SuggestionCounts {
    SuggestionCounts { received: c.received, accepted: c.accepted, adopted: c.adopted }
}

#[derive(Default)]
pub struct SuggestionQuery;

#[Object]
impl SuggestionQuery {
    /// 我的社情民意信息（报送的和联名的），新的在前，含处理反馈
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn my_suggestions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Suggestion>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let (rows, total) = service::mine(&ctx.state()?.db, viewer, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |s| s.id, Suggestion))
    }

    async fn suggestion(&self, ctx: &Context<'_>, id: ID) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        Ok(Suggestion(service::visible(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 本组织收到的全部社情民意信息（机关），含下级报送来的
    #[graphql(complexity = "first.unwrap_or(20).clamp(0, 100) as usize * child_complexity + 1")]
    async fn suggestions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SuggestionFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Suggestion>> {
        let viewer = ctx.viewer()?;
        let limit = page_size(first)?;
        let cursor = decode_cursor(after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            status: f.status.map(Into::into),
            category: f.category,
            year: f.year,
            search: f.search,
            adopted_level: f.adopted_level.map(Into::into),
            incoming: f.incoming,
        };
        let (rows, total) = service::list(&ctx.state()?.db, viewer, &filter, cursor, limit).await?;
        Ok(connection(rows, limit, total, cursor.is_some(), |s| s.id, Suggestion))
    }

    /// 期刊列表（机关）
    async fn bulletin_issues(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<Vec<BulletinIssue>> {
        let viewer = ctx.viewer()?;
        Ok(service::bulletins(&ctx.state()?.db, viewer, year).await?.into_iter().map(BulletinIssue).collect())
    }

    /// 社情民意信息全年统计（机关）；年份默认今年
    async fn suggestion_stats(&self, ctx: &Context<'_>, year: Option<i32>) -> Result<SuggestionStats> {
        let viewer = ctx.viewer()?;
        let year = year.unwrap_or_else(crate::calendar::this_year);
        let s = service::stats(&ctx.state()?.db, viewer, year).await?;
        let mut by_sector = Vec::with_capacity(s.by_sector.len());
        for (sector, c) in s.by_sector {
            let sector = match sector {
                Some(id) => loaders::load(ctx, SectorKey(id)).await?.map(Sector),
                None => None,
            };
            by_sector.push(SectorSuggestionCounts { sector, counts: counts(c) });
        }
        let mut by_member = Vec::with_capacity(s.by_member.len());
        for (user, c) in s.by_member {
            if let Some(u) = loaders::load(ctx, UserKey(user)).await? {
                by_member.push(MemberSuggestionCounts { member: User::new(u), counts: counts(c) });
            }
        }
        Ok(SuggestionStats {
            year,
            received: s.received,
            accepted: s.accepted,
            declined: s.declined,
            merged: s.merged,
            bulletins_published: s.bulletins_published,
            reported: s.reported,
            adopted_by_level: s
                .adopted_by_level
                .into_iter()
                .map(|(l, count)| LevelCount { level: l.into(), count })
                .collect(),
            adopted: s.adopted,
            with_instruction: s.with_instruction,
            by_sector,
            by_member,
        })
    }
}

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
        idempotency_key: String,
    ) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        let new = NewSuggestion {
            title: input.title,
            content: input.content,
            category: input.category,
            anonymous_to_public: input.anonymous_to_public,
            attachments: attachments::list(ctx, &input.attachment_ids)?,
            co_author_ids: parse_ids(&input.co_author_ids, "coAuthorIds")?,
            sector_id: input.sector_id.as_ref().map(|s| parse_id(s, "sectorId")).transpose()?,
        };
        let key = retry_key(ctx, Some(&idempotency_key))?
            .ok_or_else(|| AppError::bad_input(crate::idempotency::FIELD, "请提供幂等键"))?;
        let (s, _) = service::submit(&ctx.state()?.db, viewer, new, key).await?;
        Ok(Suggestion(s))
    }

    /// 采编（机关）
    async fn accept_suggestion(&self, ctx: &Context<'_>, id: ID) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        Ok(Suggestion(service::accept(&ctx.state()?.db, viewer, parse_id(&id, "id")?).await?))
    }

    /// 不予采用（机关），须说明原因
    async fn decline_suggestion(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        Ok(Suggestion(service::decline(&ctx.state()?.db, viewer, parse_id(&id, "id")?, &reason).await?))
    }

    /// 合并反映同一问题的信息（汇总），返回合并后的信息
    async fn merge_suggestions(&self, ctx: &Context<'_>, ids: Vec<ID>, into: ID) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        let ids = parse_ids(&ids, "ids")?;
        Ok(Suggestion(service::merge(&ctx.state()?.db, viewer, &ids, parse_id(&into, "into")?).await?))
    }

    /// 新建一期（机关）
    async fn create_bulletin_issue(&self, ctx: &Context<'_>, input: CreateBulletinIssueInput) -> Result<BulletinIssue> {
        let viewer = ctx.viewer()?;
        let issue = service::create_bulletin(&ctx.state()?.db, viewer, &input.title, input.number, input.year).await?;
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
        let viewer = ctx.viewer()?;
        let issue = parse_id(&issue_id, "issueId")?;
        let s = parse_id(&suggestion_id, "suggestionId")?;
        Ok(BulletinIssue(
            service::add_to_bulletin(&ctx.state()?.db, viewer, issue, s, &edited_title, &edited_content).await?,
        ))
    }

    /// 印发一期（编发）
    async fn publish_bulletin(&self, ctx: &Context<'_>, issue_id: ID) -> Result<BulletinIssue> {
        let viewer = ctx.viewer()?;
        Ok(BulletinIssue(service::publish_bulletin(&ctx.state()?.db, viewer, parse_id(&issue_id, "issueId")?).await?))
    }

    /// 报送：上级政协组织（本系统内的会收到一条关联原件的来件）和本地机关
    async fn report_suggestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        recipients: ReportRecipientsInput,
    ) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        let to = Recipients {
            organization_ids: parse_ids(&recipients.organization_ids, "recipients.organizationIds")?,
            bodies: recipients.bodies,
        };
        Ok(Suggestion(service::report(&ctx.state()?.db, viewer, parse_id(&id, "id")?, to).await?))
    }

    /// 登记采用（可多次：如省政协、全国政协先后采用）；在来件上登记的采用同时反馈到下级原件
    async fn record_adoption(&self, ctx: &Context<'_>, id: ID, input: RecordAdoptionInput) -> Result<Suggestion> {
        let viewer = ctx.viewer()?;
        let a = NewAdoption {
            level: input.level.into(),
            form: input.form.into(),
            adopted_by: input.adopted_by,
            adopted_at: input.adopted_at,
            instruction: input.instruction,
            instructed_by: input.instructed_by,
        };
        Ok(Suggestion(service::record_adoption(&ctx.state()?.db, viewer, parse_id(&id, "id")?, a).await?))
    }
}
