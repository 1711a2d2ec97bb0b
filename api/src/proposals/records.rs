//! How the proposal and its assignments take part in the one transition mechanism
//! (`crate::transition`): their keys, columns, and the timeline their steps are written to.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    keyed_by_id,
    transition::{Entry, Stateful, Timeline},
};
use entity::{AssignmentStatus, CoSignStatus, ProposalStatus, proposal, proposal_assignment, proposal_cosigner};

/// 提案.
pub struct ProposalRecord;

/// The proposal's timeline, which its people read as `Proposal.timeline`.
const TIMELINE: Timeline = Timeline { table: "proposal_event", subject: "proposal_id" };

impl Stateful for ProposalRecord {
    type Entity = proposal::Entity;
    type Status = ProposalStatus;
    keyed_by_id!(proposal);

    const SUBJECT: &'static str = "proposal";
    const NOUN: &'static str = "提案";

    fn updated_at_column() -> Option<proposal::Column> {
        Some(proposal::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, ProposalStatus>) -> AppResult<()> {
        TIMELINE.write(db, key, e).await
    }
}

/// One unit's assignment (交办). Its steps show on the proposal's timeline, without
/// from / to there (those are the proposal's states); the event carries the assignment's.
pub struct AssignmentRecord;

#[derive(Debug, Clone, Copy)]
pub struct AssignmentKey {
    pub proposal: Uuid,
    pub assignment: Uuid,
}

impl Stateful for AssignmentRecord {
    type Entity = proposal_assignment::Entity;
    type Status = AssignmentStatus;
    type Key = AssignmentKey;

    const SUBJECT: &'static str = "proposal";
    const NOUN: &'static str = "交办";

    fn filter(key: AssignmentKey) -> Condition {
        Condition::all().add(proposal_assignment::Column::Id.eq(key.assignment))
    }
    fn subject_id(key: AssignmentKey) -> Uuid {
        key.proposal
    }
    fn status_column() -> proposal_assignment::Column {
        proposal_assignment::Column::Status
    }
    fn version_column() -> proposal_assignment::Column {
        proposal_assignment::Column::Version
    }
    fn updated_at_column() -> Option<proposal_assignment::Column> {
        None
    }
    async fn write_timeline(
        db: &impl ConnectionTrait,
        key: AssignmentKey,
        e: &Entry<'_, AssignmentStatus>,
    ) -> AppResult<()> {
        // Re-opened assignments follow the proposal's own REHANDLING step, which tells the
        // story; their events still reach the units.
        if e.to == Some(AssignmentStatus::Assigned) && e.from == Some(AssignmentStatus::Replied) {
            return Ok(());
        }
        TIMELINE.write_inner(db, key.proposal, e).await
    }
}

/// A member's invitation to co-sign (联名邀请). Its steps show on the proposal's timeline.
pub struct CoSignRecord;

#[derive(Debug, Clone, Copy)]
pub struct CoSignKey {
    pub proposal: Uuid,
    pub user: Uuid,
}

impl Stateful for CoSignRecord {
    type Entity = proposal_cosigner::Entity;
    type Status = CoSignStatus;
    type Key = CoSignKey;

    const SUBJECT: &'static str = "proposal";
    const NOUN: &'static str = "联名邀请";

    fn filter(key: CoSignKey) -> Condition {
        Condition::all()
            .add(proposal_cosigner::Column::ProposalId.eq(key.proposal))
            .add(proposal_cosigner::Column::UserId.eq(key.user))
    }
    fn subject_id(key: CoSignKey) -> Uuid {
        key.proposal
    }
    fn status_column() -> proposal_cosigner::Column {
        proposal_cosigner::Column::Status
    }
    fn version_column() -> proposal_cosigner::Column {
        proposal_cosigner::Column::Version
    }
    fn updated_at_column() -> Option<proposal_cosigner::Column> {
        None
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: CoSignKey, e: &Entry<'_, CoSignStatus>) -> AppResult<()> {
        // Invitations lapse with the submission, which the timeline already shows.
        if e.to == Some(CoSignStatus::Lapsed) {
            return Ok(());
        }
        TIMELINE.write_inner(db, key.proposal, e).await
    }
}
