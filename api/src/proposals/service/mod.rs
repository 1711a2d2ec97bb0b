//! Rules for proposals, free of GraphQL, split by who acts: the proposer (`draft`,
//! `evaluation`), invited co-signers (`cosign`), the proposal committee's office
//! (`office`), handling units (`units`); what people read is in `queries`, the year's
//! figures in `stats`.
//!
//! Every step runs in one write transaction (`db::write`) that locks the proposal first
//! (`transition::lock`), decides on the row as locked with the workflow table, and moves
//! it through `transition::apply`: the guarded UPDATE, the timeline row and the domain
//! event together. Rules over other rows (every answering unit has replied, the master of
//! a merge is alive) are decided on rows nobody else can change meanwhile.
mod cosign;
mod draft;
mod evaluation;
mod office;
mod queries;
mod stats;
mod units;

pub use cosign::{invite_cosigners, respond_to_cosign};
pub use draft::{DraftFields, create_draft, resubmit, submit, update_draft, withdraw};
pub use evaluation::{NewEvaluation, evaluate};
pub use office::{
    KeyDesignation, NewAssignment, assign, conclude, designate_key, merge, publish_result, register, reject,
    return_proposal,
};
pub use queries::{
    Filter, assignments, authors_of, awaiting_evaluation_count, cosigners, evaluations, invitation_count, invitations,
    is_overdue, list, mine, visible,
};
pub use stats::{Stats, stats};
pub use units::{NewReply, acknowledge, reply, request_reassignment};

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use super::{
    policy::not_found,
    records::ProposalRecord,
    workflow::{self, Action, Actor},
};
use crate::{
    error::{AppError, AppResult},
    transition::Step,
};
use entity::proposal;

/// Three months, the default handling time.
pub const DEFAULT_DEADLINE_DAYS: i64 = 91;

async fn reload(db: &impl ConnectionTrait, id: Uuid) -> AppResult<proposal::Model> {
    proposal::Entity::find_by_id(id).one(db).await?.ok_or_else(not_found)
}

/// The step `actor` takes on `p` by `action`, as the workflow table decides it; a refusal
/// names the current state and the action.
fn step(p: &proposal::Model, action: Action, actor: Actor, by: Uuid) -> AppResult<Step<'static, ProposalRecord>> {
    let to = workflow::check(action, actor, p.status).map_err(|m| AppError::bad_input("id", m))?;
    Ok(Step::new(p.id, p.organization_id, p.status, p.version, to, action_code(action), by))
}

fn action_code(a: Action) -> &'static str {
    match a {
        Action::Submit => "SUBMITTED",
        Action::Resubmit => "RESUBMITTED",
        Action::Withdraw => "WITHDRAWN",
        Action::Return => "RETURNED",
        Action::Register => "REGISTERED",
        Action::Reject => "REJECTED",
        Action::Merge => "MERGED",
        Action::Assign => "ASSIGNED",
        Action::RequestReassignment => "REASSIGNMENT_REQUESTED",
        Action::Reply => "REPLIED",
        Action::Evaluate => "EVALUATED",
        Action::Conclude => "CONCLUDED",
        Action::PublishResult => "RESULT_PUBLISHED",
        Action::DesignateKey => "KEY_DESIGNATED",
    }
}
