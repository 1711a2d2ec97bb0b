use sea_orm::entity::prelude::*;

use crate::{VisitKind, VisitStatus};

/// 视察、调研、考察、接待、培训: one visit is one batch (批).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "visit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub kind: VisitKind,
    pub title: String,
    pub topic: String,
    /// Place or destination.
    pub place: String,
    /// The other committee or body, e.g. an inbound delegation's 黑龙江省政协.
    pub counterpart: Option<String>,
    pub counterpart_region: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// Places for members; none means no limit.
    pub capacity: Option<i32>,
    pub confirmed_count: i32,
    pub signup_deadline: Option<DateTimeUtc>,
    pub audience: Json,
    /// People not in the system: an inbound delegation's size, trainees from elsewhere.
    pub guest_count: i32,
    pub status: VisitStatus,
    /// Moves on with every step, so a stale client's step is refused.
    pub version: i32,
    pub cancel_reason: Option<String>,
    pub report_summary: Option<String>,
    pub report_findings: Option<String>,
    pub report_suggestions: Option<String>,
    pub reported_by: Option<Uuid>,
    pub reported_at: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
