//! The year's figures of proposals (提案全年统计), counted from the rows.
use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::queries::is_overdue;
use crate::{auth::Viewer, calendar::year_range, error::AppResult, organizations::access::require};
use entity::{
    AssignmentStatus, ProposalStatus, Satisfaction, proposal, proposal_assignment, proposal_evaluation, proposal_reply,
};

#[derive(Debug, Default)]
pub struct Stats {
    pub submitted: u64,
    pub registered: u64,
    pub not_registered: u64,
    pub merged: u64,
    pub withdrawn: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    /// Unit id → (assignments, replies).
    pub by_unit: Vec<(Uuid, u64, u64)>,
    pub key: u64,
    pub outcomes: BTreeMap<String, u64>,
    pub satisfaction: BTreeMap<String, u64>,
    pub evaluated: u64,
    /// 满意率: (satisfied + basically satisfied) / evaluated; 0 when nothing was evaluated.
    pub satisfaction_rate: f64,
    pub overdue: u64,
}

/// The year's figures (proposals submitted that year, China time), counted from the rows.
pub async fn stats(db: &impl ConnectionTrait, viewer: &Viewer, year: i32) -> AppResult<Stats> {
    use sea_orm::ActiveEnum;
    require(viewer.is_office())?;
    let (from, to) = year_range(year)?;
    let all = proposal::Entity::find()
        .filter(proposal::Column::OrganizationId.eq(viewer.organization_id))
        .filter(proposal::Column::SubmittedAt.gte(from))
        .filter(proposal::Column::SubmittedAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = all.iter().map(|p| p.id).collect();
    let assigned = proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.is_in(ids.clone()))
        .all(db)
        .await?;
    let replies =
        proposal_reply::Entity::find().filter(proposal_reply::Column::ProposalId.is_in(ids.clone())).all(db).await?;
    let evals =
        proposal_evaluation::Entity::find().filter(proposal_evaluation::Column::ProposalId.is_in(ids)).all(db).await?;
    let mut s = Stats { submitted: all.len() as u64, ..Stats::default() };
    let by_id: HashMap<Uuid, &proposal::Model> = all.iter().map(|p| (p.id, p)).collect();
    for p in &all {
        s.registered += u64::from(p.serial_no.is_some());
        s.not_registered += u64::from(p.status == ProposalStatus::Rejected);
        s.merged += u64::from(p.status == ProposalStatus::Merged);
        s.withdrawn += u64::from(p.status == ProposalStatus::Withdrawn);
        s.key += u64::from(p.is_key);
        *s.by_kind.entry(p.kind.to_value()).or_default() += 1;
        *s.by_category.entry(p.category.clone()).or_default() += 1;
    }
    let mut units: BTreeMap<Uuid, (u64, u64)> = BTreeMap::new();
    for a in &assigned {
        if a.status != AssignmentStatus::ReassignRequested {
            units.entry(a.unit_id).or_default().0 += 1;
        }
        if by_id.get(&a.proposal_id).is_some_and(|p| is_overdue(p, a)) {
            s.overdue += 1;
        }
    }
    for r in &replies {
        units.entry(r.unit_id).or_default().1 += 1;
        *s.outcomes.entry(r.outcome.to_value()).or_default() += 1;
    }
    s.by_unit = units.into_iter().map(|(u, (a, r))| (u, a, r)).collect();
    // Each proposal's latest evaluation counts.
    let mut latest: HashMap<Uuid, &proposal_evaluation::Model> = HashMap::new();
    for e in &evals {
        let keep = latest.get(&e.proposal_id).is_none_or(|prev| prev.round < e.round);
        if keep {
            latest.insert(e.proposal_id, e);
        }
    }
    s.evaluated = latest.len() as u64;
    for e in latest.values() {
        *s.satisfaction.entry(e.satisfaction.to_value()).or_default() += 1;
    }
    let content = latest
        .values()
        .filter(|e| matches!(e.satisfaction, Satisfaction::Satisfied | Satisfaction::BasicallySatisfied))
        .count();
    s.satisfaction_rate = if s.evaluated == 0 { 0.0 } else { content as f64 / s.evaluated as f64 };
    Ok(s)
}
