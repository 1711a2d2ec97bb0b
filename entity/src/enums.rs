//! Enumerations stored as short strings, so that the same rows read the same on SQLite
//! and PostgreSQL and new variants need no database type migration.
use sea_orm::entity::prelude::*;

/// 政协组织的级别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrganizationLevel {
    #[sea_orm(string_value = "NATIONAL")]
    National,
    #[sea_orm(string_value = "PROVINCIAL")]
    Provincial,
    #[sea_orm(string_value = "MUNICIPAL")]
    Municipal,
    #[sea_orm(string_value = "COUNTY")]
    County,
}

impl OrganizationLevel {
    /// 0 for the national committee, growing downwards.
    pub fn depth(self) -> u8 {
        match self {
            Self::National => 0,
            Self::Provincial => 1,
            Self::Municipal => 2,
            Self::County => 3,
        }
    }
}

/// A user's role in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "UNIT")]
    Unit,
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "MEMBER",
            Self::Staff => "STAFF",
            Self::Unit => "UNIT",
            Self::Admin => "ADMIN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "MEMBER" => Some(Self::Member),
            "STAFF" => Some(Self::Staff),
            "UNIT" => Some(Self::Unit),
            "ADMIN" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// 党派: CPC, the eight democratic parties, and non-party people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Party {
    #[sea_orm(string_value = "CPC")]
    Cpc,
    #[sea_orm(string_value = "RCCK")]
    Rcck,
    #[sea_orm(string_value = "CDL")]
    Cdl,
    #[sea_orm(string_value = "CNDCA")]
    Cndca,
    #[sea_orm(string_value = "CAPD")]
    Capd,
    #[sea_orm(string_value = "CPWDP")]
    Cpwdp,
    #[sea_orm(string_value = "CZGP")]
    Czgp,
    #[sea_orm(string_value = "JS")]
    Js,
    #[sea_orm(string_value = "TDSGL")]
    Tdsgl,
    #[sea_orm(string_value = "NONPARTY")]
    NonParty,
}

/// 职务 of a member within the committee's leadership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Office {
    #[sea_orm(string_value = "CHAIR")]
    Chair,
    #[sea_orm(string_value = "VICE_CHAIR")]
    ViceChair,
    #[sea_orm(string_value = "SECRETARY_GENERAL")]
    SecretaryGeneral,
    #[sea_orm(string_value = "DEPUTY_SECRETARY_GENERAL")]
    DeputySecretaryGeneral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DISABLED")]
    Disabled,
}

/// What an attachment was uploaded for: the kind of record it may be linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AttachmentPurpose {
    /// 情况通报的附件
    #[sea_orm(string_value = "BRIEFING")]
    Briefing,
    /// 提案的附件
    #[sea_orm(string_value = "PROPOSAL")]
    Proposal,
    /// 承办单位答复的附件
    #[sea_orm(string_value = "PROPOSAL_REPLY")]
    ProposalReply,
    /// 社情民意信息的附件（如现场照片）
    #[sea_orm(string_value = "SUGGESTION")]
    Suggestion,
    /// 视察调研报告的附件
    #[sea_orm(string_value = "VISIT_REPORT")]
    VisitReport,
}

/// 情况通报的状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum BriefingStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// 视察调研、交流考察的种类.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum VisitKind {
    /// 视察
    #[sea_orm(string_value = "INSPECTION")]
    Inspection,
    /// 调研
    #[sea_orm(string_value = "RESEARCH")]
    Research,
    /// 外出考察
    #[sea_orm(string_value = "OUTBOUND_STUDY")]
    OutboundStudy,
    /// 接待来访
    #[sea_orm(string_value = "INBOUND_RECEPTION")]
    InboundReception,
    /// 上级来访
    #[sea_orm(string_value = "UPPER_LEVEL_VISIT")]
    UpperLevelVisit,
    /// 培训学习
    #[sea_orm(string_value = "TRAINING")]
    Training,
    /// 联动视察
    #[sea_orm(string_value = "JOINT_INSPECTION")]
    JointInspection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// A participant's standing for a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ParticipantStatus {
    /// Has a place.
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// On the waiting list (the visit was full).
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    /// Asked for leave; keeps the place until the office decides.
    #[sea_orm(string_value = "LEAVE_REQUESTED")]
    LeaveRequested,
    /// Leave approved: the place went to the waiting list.
    #[sea_orm(string_value = "ON_LEAVE")]
    OnLeave,
    /// Withdrew the sign-up.
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// 社情民意信息的状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SuggestionStatus {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    /// 采编: accepted for editing.
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// Merged into another piece (汇总).
    #[sea_orm(string_value = "MERGED")]
    Merged,
    /// 编发: carried by a published bulletin issue.
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    /// 报送: sent to recipients.
    #[sea_orm(string_value = "REPORTED")]
    Reported,
    /// 采用: adopted by at least one level.
    #[sea_orm(string_value = "ADOPTED")]
    Adopted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum BulletinStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
}

/// 单篇采用 or 综合采用.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AdoptionForm {
    #[sea_orm(string_value = "SINGLE")]
    Single,
    #[sea_orm(string_value = "COMBINED")]
    Combined,
}

/// 提案的状态 (see `api::proposals::workflow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProposalStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "RETURNED")]
    Returned,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
    #[sea_orm(string_value = "REGISTERED")]
    Registered,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "MERGED")]
    Merged,
    #[sea_orm(string_value = "ASSIGNED")]
    Assigned,
    #[sea_orm(string_value = "REPLIED")]
    Replied,
    #[sea_orm(string_value = "EVALUATED")]
    Evaluated,
    #[sea_orm(string_value = "REHANDLING")]
    Rehandling,
    #[sea_orm(string_value = "CONCLUDED")]
    Concluded,
}

/// 提案类别 by who proposes: one member, members jointly, or a party, sector or committee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProposalKind {
    #[sea_orm(string_value = "INDIVIDUAL")]
    Individual,
    #[sea_orm(string_value = "JOINT")]
    Joint,
    #[sea_orm(string_value = "PARTY")]
    Party,
    #[sea_orm(string_value = "SECTOR")]
    Sector,
    #[sea_orm(string_value = "COMMITTEE")]
    Committee,
}

/// 大会期间 or 平时.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SubmittedDuring {
    #[sea_orm(string_value = "SESSION")]
    Session,
    #[sea_orm(string_value = "RECESS")]
    Recess,
}

/// A co-signer's answer to a joint-proposal invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CoSignStatus {
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// Still pending when the proposal was submitted.
    #[sea_orm(string_value = "LAPSED")]
    Lapsed,
}

/// 主办, 会办 or 分办.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssignmentRole {
    #[sea_orm(string_value = "LEAD")]
    Lead,
    #[sea_orm(string_value = "JOINT")]
    Joint,
    #[sea_orm(string_value = "SEPARATE")]
    Separate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum AssignmentStatus {
    #[sea_orm(string_value = "ASSIGNED")]
    Assigned,
    /// 签收: the unit acknowledged; the clock runs.
    #[sea_orm(string_value = "ACKNOWLEDGED")]
    Acknowledged,
    #[sea_orm(string_value = "REPLIED")]
    Replied,
    /// 申退: the unit asked to be relieved; the office re-assigns.
    #[sea_orm(string_value = "REASSIGN_REQUESTED")]
    ReassignRequested,
}

/// A: solved or mostly solved; B: being solved or planned; C: kept for reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(1))")]
pub enum ReplyOutcome {
    #[sea_orm(string_value = "A")]
    A,
    #[sea_orm(string_value = "B")]
    B,
    #[sea_orm(string_value = "C")]
    C,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Satisfaction {
    #[sea_orm(string_value = "SATISFIED")]
    Satisfied,
    #[sea_orm(string_value = "BASICALLY_SATISFIED")]
    BasicallySatisfied,
    #[sea_orm(string_value = "UNSATISFIED")]
    Unsatisfied,
}

/// How an organization numbers registered proposals (立案号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProposalNumbering {
    /// One sequence per calendar year (China time).
    #[sea_orm(string_value = "PER_YEAR")]
    PerYear,
    /// One sequence per plenary session for proposals submitted during it; per year for
    /// those submitted in recess.
    #[sea_orm(string_value = "PER_SESSION")]
    PerSession,
}

/// What a commendation honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CommendationSubjectKind {
    #[sea_orm(string_value = "PROPOSAL")]
    Proposal,
    #[sea_orm(string_value = "SUGGESTION")]
    Suggestion,
    #[sea_orm(string_value = "HANDLING_UNIT")]
    HandlingUnit,
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "ORGANIZATION")]
    Organization,
}
