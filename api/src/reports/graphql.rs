//! GraphQL face of the annual report: `annualReport(year, organizationId)` and
//! `publishAnnualReport(year, organizationId)`; the names are the contract.
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::{figures, service};
use crate::{
    commendations::graphql::CommendationSubjectKind,
    graphql::{
        context::{ContextExt, actor, parse_id, to_id},
        enums::OrganizationLevel,
    },
    organizations::graphql::Organization,
    plenary::graphql::PlenarySession,
    proposals::graphql::{ProposalKind, ReplyOutcome},
    visits::graphql::VisitKind,
};

#[derive(SimpleObject)]
pub struct AnnualKindCount {
    pub kind: ProposalKind,
    pub count: u64,
}

#[derive(SimpleObject)]
pub struct AnnualCategoryCount {
    pub category: String,
    pub count: u64,
}

#[derive(SimpleObject)]
pub struct AnnualOutcomeCount {
    /// A 已解决或基本解决；B 正在解决或列入计划；C 留作参考
    pub outcome: ReplyOutcome,
    pub count: u64,
}

/// 重点提案
#[derive(SimpleObject)]
pub struct AnnualKeyProposalSummary {
    pub id: ID,
    pub title: String,
    /// 领办领导
    pub lead_official: Option<String>,
    /// 督办的副主席
    pub supervisor: Option<String>,
    /// 促办的专门委员会
    pub promoting_committee: Option<String>,
    /// 委员已评价办理结果
    pub evaluated: bool,
    /// 办理结果已公开
    pub published: bool,
}

/// 提案工作
#[derive(SimpleObject)]
pub struct AnnualProposalReport {
    /// 当年提交（首次提交日期）
    pub submitted: u64,
    /// 当年立案（立案日期）
    pub registered: u64,
    /// 当年提交、不予立案
    pub not_registered: u64,
    /// 当年提交、并案
    pub merged: u64,
    /// 当年提交、撤回
    pub withdrawn: u64,
    pub by_kind: Vec<AnnualKindCount>,
    pub by_category: Vec<AnnualCategoryCount>,
    /// 主办单位本轮答复的办理结果
    pub reply_outcomes: Vec<AnnualOutcomeCount>,
    /// 满意率（满意、基本满意 / 已评价；按每件的最近一次评价）
    pub satisfaction_rate: f64,
    /// 当年公开办理结果
    pub results_published: u64,
    /// 重点提案数
    pub key: u64,
    pub key_proposals: Vec<AnnualKeyProposalSummary>,
}

/// 上级政协当年的届次会议：本会委员向其提交的提案
#[derive(SimpleObject)]
pub struct AnnualUpperSessionReport {
    pub session: PlenarySession,
    /// 提交提案的本会委员人数
    pub members: u64,
    pub submitted: u64,
    pub registered: u64,
}

#[derive(SimpleObject)]
pub struct AnnualLevelCount {
    pub level: OrganizationLevel,
    pub count: u64,
}

/// 社情民意信息工作
#[derive(SimpleObject)]
pub struct AnnualSuggestionReport {
    /// 收到（提交日期）
    pub received: u64,
    /// 采编（采编日期）
    pub accepted: u64,
    /// 编发的期数
    pub bulletins_published: u64,
    /// 报送的篇数（每篇一次）
    pub reported: u64,
    /// 各级采用的篇数（每篇每级一次，计入该级首次采用的年度）
    pub adopted_by_level: Vec<AnnualLevelCount>,
    /// 获领导批示的篇数
    pub instructions: u64,
}

#[derive(SimpleObject)]
pub struct AnnualVisitKindReport {
    pub kind: VisitKind,
    /// 批次（已完成的活动，按开始日期）
    pub batches: u64,
    /// 人次：实到人员加随行嘉宾（来访团组人数）
    pub person_times: u64,
    /// 参加的人数（每人一次）
    pub members: u64,
}

#[derive(SimpleObject)]
pub struct AnnualVisitTotals {
    pub batches: u64,
    pub person_times: u64,
    pub members: u64,
}

#[derive(SimpleObject)]
pub struct AnnualRegionCount {
    /// 来访团组的地区（未填为空）
    pub region: String,
    pub batches: u64,
    pub person_times: u64,
}

/// 视察调研、交流考察
#[derive(SimpleObject)]
pub struct AnnualVisitReport {
    pub by_kind: Vec<AnnualVisitKindReport>,
    pub total: AnnualVisitTotals,
    pub inbound_regions: Vec<AnnualRegionCount>,
}

#[derive(SimpleObject)]
pub struct AnnualSourceCount {
    pub source: String,
    pub count: u64,
}

/// 情况通报
#[derive(SimpleObject)]
pub struct AnnualBriefingReport {
    pub published: u64,
    pub by_source: Vec<AnnualSourceCount>,
    /// 平均阅读率（各通报已读人数 / 接收人数的平均）
    pub average_read_rate: f64,
}

#[derive(SimpleObject)]
pub struct AnnualCommendationCount {
    pub subject_kind: CommendationSubjectKind,
    pub count: u64,
}

/// 年度工作综述
pub struct AnnualReport(service::Report);

#[Object]
impl AnnualReport {
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn organization(&self) -> Organization {
        Organization(self.0.organization.clone())
    }
    /// 向委员公布的时间；未公布为空
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn proposals(&self) -> AnnualProposalReport {
        let p = &self.0.figures.proposals;
        AnnualProposalReport {
            submitted: p.submitted,
            registered: p.registered,
            not_registered: p.not_registered,
            merged: p.merged,
            withdrawn: p.withdrawn,
            by_kind: p.by_kind.iter().map(|(k, n)| AnnualKindCount { kind: (*k).into(), count: *n }).collect(),
            by_category: p
                .by_category
                .iter()
                .map(|(c, n)| AnnualCategoryCount { category: c.clone(), count: *n })
                .collect(),
            reply_outcomes: p
                .reply_outcomes
                .iter()
                .map(|(o, n)| AnnualOutcomeCount { outcome: (*o).into(), count: *n })
                .collect(),
            satisfaction_rate: p.satisfaction_rate,
            results_published: p.results_published,
            key: p.key,
            key_proposals: p.key_proposals.iter().map(key_proposal).collect(),
        }
    }
    async fn upper_sessions(&self) -> Vec<AnnualUpperSessionReport> {
        self.0
            .figures
            .upper_sessions
            .iter()
            .map(|s| AnnualUpperSessionReport {
                session: PlenarySession(s.session.clone()),
                members: s.members,
                submitted: s.submitted,
                registered: s.registered,
            })
            .collect()
    }
    async fn suggestions(&self) -> AnnualSuggestionReport {
        let s = &self.0.figures.suggestions;
        AnnualSuggestionReport {
            received: s.received,
            accepted: s.accepted,
            bulletins_published: s.bulletins_published,
            reported: s.reported,
            adopted_by_level: s
                .adopted_by_level
                .iter()
                .map(|(l, n)| AnnualLevelCount { level: (*l).into(), count: *n })
                .collect(),
            instructions: s.instructions,
        }
    }
    async fn visits(&self) -> AnnualVisitReport {
        let v = &self.0.figures.visits;
        AnnualVisitReport {
            by_kind: v
                .by_kind
                .iter()
                .map(|(k, c)| AnnualVisitKindReport {
                    kind: (*k).into(),
                    batches: c.batches,
                    person_times: c.person_times,
                    members: c.members,
                })
                .collect(),
            total: AnnualVisitTotals {
                batches: v.total.batches,
                person_times: v.total.person_times,
                members: v.total.members,
            },
            inbound_regions: v
                .inbound_regions
                .iter()
                .map(|(r, b, p)| AnnualRegionCount { region: r.clone(), batches: *b, person_times: *p })
                .collect(),
        }
    }
    async fn briefings(&self) -> AnnualBriefingReport {
        let b = &self.0.figures.briefings;
        AnnualBriefingReport {
            published: b.published,
            by_source: b.by_source.iter().map(|(s, n)| AnnualSourceCount { source: s.clone(), count: *n }).collect(),
            average_read_rate: b.average_read_rate,
        }
    }
    async fn commendations(&self) -> Vec<AnnualCommendationCount> {
        self.0
            .figures
            .commendations
            .iter()
            .map(|(k, n)| AnnualCommendationCount { subject_kind: (*k).into(), count: *n })
            .collect()
    }
}

fn key_proposal(k: &figures::KeyProposal) -> AnnualKeyProposalSummary {
    AnnualKeyProposalSummary {
        id: to_id(k.id),
        title: k.title.clone(),
        lead_official: k.lead_official.clone(),
        supervisor: k.supervisor.clone(),
        promoting_committee: k.promoting_committee.clone(),
        evaluated: k.evaluated,
        published: k.published,
    }
}

/// 年度工作综述的公布
#[derive(SimpleObject)]
pub struct AnnualReportPublication {
    pub year: i32,
    pub organization_id: ID,
    pub published_at: DateTime<Utc>,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// 年度工作综述（机关工作人员、管理员随时可看；委员在公布后可看本组织的）
    async fn annual_report(&self, ctx: &Context<'_>, year: i32, organization_id: Option<ID>) -> Result<AnnualReport> {
        let actor = actor(ctx).await?;
        let org = organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?;
        Ok(AnnualReport(service::read(&ctx.state()?.db, actor, year, org).await?))
    }
}

#[derive(Default)]
pub struct ReportMutation;

#[Object]
impl ReportMutation {
    /// 向委员公布年度工作综述（机关工作人员、管理员；重复公布不变）
    async fn publish_annual_report(
        &self,
        ctx: &Context<'_>,
        year: i32,
        organization_id: Option<ID>,
    ) -> Result<AnnualReportPublication> {
        let actor = actor(ctx).await?;
        let org = organization_id.as_ref().map(|id| parse_id(id, "organizationId")).transpose()?;
        let p = service::publish(&ctx.state()?.db, actor, year, org).await?;
        Ok(AnnualReportPublication {
            year: p.year,
            organization_id: to_id(p.organization_id),
            published_at: p.published_at,
        })
    }
}
