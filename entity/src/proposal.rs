use sea_orm::entity::prelude::*;

use crate::{ProposalKind, ProposalStatus, SubmittedDuring};

/// 提案.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Year and number given at registration (立案号), gap-free per organization and year.
    pub serial_year: Option<i32>,
    pub serial_no: Option<i32>,
    /// The plenary session whose sequence gave `serial_no` (none: the year's sequence).
    pub serial_session_id: Option<Uuid>,
    /// The plenary session it was submitted during (China date of its first submission).
    pub session_id: Option<Uuid>,
    /// 案由.
    pub title: String,
    /// 情况分析.
    pub background: String,
    /// 具体建议.
    pub suggestions: String,
    pub category: String,
    pub kind: ProposalKind,
    pub submitted_during: SubmittedDuring,
    /// The proposer, or who drafted a collective proposal.
    pub author_id: Uuid,
    /// For PARTY proposals: the party's code.
    pub party: Option<String>,
    pub sector_id: Option<Uuid>,
    pub committee_id: Option<Uuid>,
    pub status: ProposalStatus,
    pub version: i32,
    /// 1, then 2 after re-handling, …
    pub round: i32,
    pub merged_into_id: Option<Uuid>,
    pub is_key: bool,
    /// 领办: the leading official, e.g. the vice-mayor in charge.
    pub lead_official: Option<String>,
    /// 督办: the supervising vice-chair.
    pub supervisor_id: Option<Uuid>,
    /// 促办: the promoting special committee.
    pub promoting_committee_id: Option<Uuid>,
    /// 协办: the assisting office.
    pub assisting_office: Option<String>,
    pub return_reason: Option<String>,
    pub reject_reason: Option<String>,
    pub converted_suggestion_id: Option<Uuid>,
    pub result_summary: Option<String>,
    pub result_published_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub registered_at: Option<DateTimeUtc>,
    pub concluded_at: Option<DateTimeUtc>,
    /// The staff member who typed in a proposal handed in on paper (代录); none for one the
    /// member drafted on the phone.
    pub entered_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
