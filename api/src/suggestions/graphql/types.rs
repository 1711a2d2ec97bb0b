//! The types of public-opinion information as the app and the office read them.
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    attachments::graphql::{self as attachments, Attachment},
    graphql::{
        context::{ContextExt, principal, to_id},
        enums::OrganizationLevel,
        loaders::{
            self, AdoptionsOf, BulletinIssueKey, BulletinItemOf, OrganizationKey, ReportsOf, SectorKey,
            SuggestionAuthorsOf, UserKey,
        },
    },
    members::graphql::User,
    organizations::graphql::{Organization, Sector},
    suggestions::{policy, service},
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
    /// 发生时间（业务时间）；补录的步骤为其实际发生时间
    at: DateTime<Utc>,
    note: Option<String>,
    /// 是否为事后由机关补录（代录）
    entered_later: bool,
    /// 补录的录入时间；当场办理的步骤为 null
    recorded_at: Option<DateTime<Utc>>,
}

/// 社情民意信息
pub struct Suggestion(pub suggestion::Model);

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
    /// 收到时间（业务时间；代录的为委员实际报送的时间）
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// 采编时间（业务时间）；未采编为 null
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Vec<Attachment>> {
        attachments::of(ctx, self.0.id).await
    }
    /// 作者（报送人在前，联名人在后）；匿名信息在上级只显示为空
    async fn authors(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        let ids = loaders::load(ctx, SuggestionAuthorsOf(self.0.id)).await?.unwrap_or_default();
        if !policy::names_visible(ctx.viewer_opt(), &self.0, &ids) {
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
        let mut list = loaders::load(ctx, AdoptionsOf(self.0.id)).await?.unwrap_or_default();
        // Adoptions of one day in the order they were recorded (ids are time-ordered).
        list.sort_by_key(|a| (a.adopted_at, a.id));
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
        // Through the request's loader: a list of pieces with their timelines is one query.
        let list = loaders::load(ctx, loaders::SuggestionTimelineOf(self.0.id)).await?.unwrap_or_default();
        Ok(list
            .into_iter()
            .map(|e| SuggestionEvent {
                action: e.action,
                at: e.at,
                note: e.note,
                entered_later: e.recorded_at.is_some(),
                recorded_at: e.recorded_at,
            })
            .collect())
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
        let list = service::issue_items(&ctx.state()?.db, principal(ctx).await?, &self.0).await?;
        Ok(list
            .into_iter()
            .map(|i| BulletinItem {
                suggestion: i.suggestion,
                edited_title: i.item.edited_title,
                edited_content: i.item.edited_content,
            })
            .collect())
    }
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

impl SuggestionStats {
    /// The figures with their sectors and members loaded (batched).
    pub async fn load(ctx: &Context<'_>, year: i32, s: service::Stats) -> Result<Self> {
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
