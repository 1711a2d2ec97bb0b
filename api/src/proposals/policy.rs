//! Who may read a proposal and who may act on it. Services obtain proposals only through
//! these checks; a proposal someone may not see answers `NOT_FOUND`, so that its existence
//! does not leak.
use futures_util::future::BoxFuture;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::{
    attachments::owners::OwnerRule,
    auth::{Viewer, principal::Principal},
    error::{AppError, AppResult},
    organizations::access::require,
    transition,
};
use entity::{
    AssignmentStatus, ProposalStatus, Role, proposal, proposal_assignment, proposal_cosigner, proposal_reply,
};

pub const NOT_FOUND: &str = "提案不存在";

pub fn not_found() -> AppError {
    AppError::not_found(NOT_FOUND)
}

/// The proposer's own proposal; anyone else gets `NOT_FOUND` (drafts are private).
pub fn as_author(viewer: &Viewer, p: &proposal::Model) -> AppResult<()> {
    if p.author_id == viewer.user_id { Ok(()) } else { Err(not_found()) }
}

/// The proposer's side of a proposal: its author, or — for a proposal handed in on paper
/// and typed in by the office (代录, `entered_by`) — the office of its organization, which
/// carries the paper on through the steps the member took on paper.
pub fn as_proposer(viewer: &Viewer, p: &proposal::Model) -> AppResult<()> {
    if p.entered_by.is_some() && p.organization_id == viewer.organization_id && viewer.is_office() {
        return Ok(());
    }
    as_author(viewer, p)
}

/// A proposal of the viewer's organization, past the draft, as its office.
pub fn as_office(viewer: &Viewer, p: &proposal::Model) -> AppResult<()> {
    if p.organization_id != viewer.organization_id || p.status == ProposalStatus::Draft {
        return Err(not_found());
    }
    require(viewer.is_office())
}

/// What a principal comes to a proposal as, in a step that changes it.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// The proposer (`as_proposer`).
    Author,
    /// The office of its organization (`as_office`).
    Office,
}

/// The proposal `id`, locked for the rest of the write transaction, when `who` may act on it
/// as `part`: how a service step obtains the proposal it changes.
pub async fn load_for(txn: &impl ConnectionTrait, who: &Principal, id: Uuid, part: Part) -> AppResult<proposal::Model> {
    let p = transition::lock::<proposal::Entity>(txn, id).await?.ok_or_else(not_found)?;
    match part {
        Part::Author => as_proposer(who, &p)?,
        Part::Office => as_office(who, &p)?,
    }
    Ok(p)
}

/// The proposal `id` as its proposer reads it back (`as_author`), unlocked: how a step that
/// a retry replays returns the proposal the first request left.
pub async fn load_authored(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    let p = proposal::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    as_proposer(who, &p)?;
    Ok(p)
}

/// The proposal `id`, locked for the rest of the write transaction, and the principal's
/// invitation to co-sign it: how an invitee's answer obtains what it changes. Without an
/// invitation the proposal is `NOT_FOUND`.
pub async fn load_for_cosigner(
    txn: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
) -> AppResult<(proposal::Model, proposal_cosigner::Model)> {
    let p = transition::lock::<proposal::Entity>(txn, id).await?.ok_or_else(not_found)?;
    let invitation = proposal_cosigner::Entity::find_by_id((id, who.user_id)).one(txn).await?.ok_or_else(not_found)?;
    Ok((p, invitation))
}

/// The proposal `id` and the unit's live assignment on it, both locked by the transaction
/// (`unit_assignment`): how a handling unit's step obtains what it answers.
pub async fn load_for_unit(
    txn: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
) -> AppResult<(proposal::Model, proposal_assignment::Model)> {
    let p = transition::lock::<proposal::Entity>(txn, id).await?.ok_or_else(not_found)?;
    let a = unit_assignment(txn, who, &p).await?;
    Ok((p, a))
}

/// The unit's live assignment on a proposal; a unit without one does not see it.
pub async fn unit_assignment(
    db: &impl ConnectionTrait,
    who: &Principal,
    p: &proposal::Model,
) -> AppResult<proposal_assignment::Model> {
    // Another committee's proposal is not there for anyone; in the committee, only units act.
    if p.organization_id != who.viewer.organization_id {
        return Err(not_found());
    }
    let unit = who.unit.ok_or_else(|| AppError::forbidden("只有承办单位可以办理"))?;
    proposal_assignment::Entity::find()
        .filter(proposal_assignment::Column::ProposalId.eq(p.id))
        .filter(proposal_assignment::Column::UnitId.eq(unit))
        .filter(proposal_assignment::Column::Status.ne(AssignmentStatus::ReassignRequested))
        .one(db)
        .await?
        .ok_or_else(not_found)
}

/// States in which other members of the committee may read a proposal.
const PUBLIC_WITHIN: [ProposalStatus; 6] = [
    ProposalStatus::Registered,
    ProposalStatus::Assigned,
    ProposalStatus::Replied,
    ProposalStatus::Evaluated,
    ProposalStatus::Rehandling,
    ProposalStatus::Concluded,
];

/// A proposal as a viewer may see it: drafts to their author (and invited co-signers, who
/// must read before they sign); everything but drafts to the office; to a unit only what is
/// assigned to it; to other members from registration on. Anyone else: `NOT_FOUND`.
pub async fn readable(db: &impl ConnectionTrait, who: &Principal, p: &proposal::Model) -> AppResult<()> {
    let v = &who.viewer;
    if p.author_id == v.user_id || (p.status == ProposalStatus::Draft && as_proposer(v, p).is_ok()) {
        return Ok(());
    }
    if proposal_cosigner::Entity::find_by_id((p.id, v.user_id)).one(db).await?.is_some() {
        return Ok(());
    }
    if p.organization_id != v.organization_id || p.status == ProposalStatus::Draft {
        return Err(not_found());
    }
    if v.is_office() {
        return Ok(());
    }
    if who.unit.is_some() {
        return unit_assignment(db, who, p).await.map(drop);
    }
    if v.role == Role::Member && PUBLIC_WITHIN.contains(&p.status) {
        return Ok(());
    }
    Err(not_found())
}

/// Loads a proposal the viewer may read.
pub async fn load_readable(db: &impl ConnectionTrait, who: &Principal, id: Uuid) -> AppResult<proposal::Model> {
    let p = proposal::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)?;
    readable(db, who, &p).await?;
    Ok(p)
}

/// Attachments of a proposal are read by whoever may read the proposal.
pub struct ProposalAttachments;

impl OwnerRule for ProposalAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { load_readable(db, &Principal::load(db, viewer).await?, owner).await.map(drop) })
    }
}

/// A unit's reply letter is read by whoever may read the proposal it answers.
pub struct ReplyAttachments;

impl OwnerRule for ReplyAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> BoxFuture<'a, AppResult<()>> {
        Box::pin(async move {
            let reply = proposal_reply::Entity::find_by_id(owner).one(db).await?.ok_or_else(not_found)?;
            load_readable(db, &Principal::load(db, viewer).await?, reply.proposal_id).await.map(drop)
        })
    }
}
