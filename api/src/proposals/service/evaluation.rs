//! The proposer's evaluation of the handling (评价). UNSATISFIED sends the proposal back to
//! its lead and separate units in a new round, with a new deadline.
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::{DEFAULT_DEADLINE_DAYS, reload, step};
use crate::{
    auth::principal::Principal,
    db,
    error::AppResult,
    proposals::{
        policy::{self, Part},
        records::{AssignmentKey, AssignmentRecord},
        workflow::{self, Action, Actor, AssignmentAction},
    },
    transition::{self, Step},
    validate,
};
use entity::{AssignmentRole, AssignmentStatus, Satisfaction, proposal, proposal_assignment, proposal_evaluation};

pub struct NewEvaluation {
    pub satisfaction: Satisfaction,
    pub communication: Satisfaction,
    pub attitude: Satisfaction,
    pub implementation: Satisfaction,
    pub comment: Option<String>,
}

pub async fn evaluate(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    e: NewEvaluation,
) -> AppResult<proposal::Model> {
    let comment = e.comment.map(|c| validate::bounded(&c, "comment", 2000)).transpose()?.filter(|c| !c.is_empty());
    let unsatisfied = e.satisfaction == Satisfaction::Unsatisfied;
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    let mut step = step(&p, Action::Evaluate, Actor::Proposer, viewer.user_id)?;
    step.to = workflow::after_evaluation(unsatisfied);
    proposal_evaluation::Entity::insert(proposal_evaluation::ActiveModel {
        id: Set(Uuid::now_v7()),
        proposal_id: Set(id),
        round: Set(p.round),
        satisfaction: Set(e.satisfaction),
        communication: Set(e.communication),
        attitude: Set(e.attitude),
        implementation: Set(e.implementation),
        comment: Set(comment.clone()),
        evaluated_by: Set(viewer.user_id),
        evaluated_at: Set(transition::now()),
    })
    .exec_without_returning(&txn)
    .await?;
    let next_round = p.round + 1;
    let satisfaction = sea_orm::ActiveEnum::to_value(&e.satisfaction);
    let mut step = step.note(comment).data(json!({ "satisfaction": satisfaction }));
    if unsatisfied {
        step = step.set(proposal::Column::Round, next_round);
    }
    transition::apply(&txn, step).await?;
    if unsatisfied {
        // The units that answer are asked again, in the new round, with a new deadline.
        let answered = proposal_assignment::Entity::find()
            .filter(proposal_assignment::Column::ProposalId.eq(id))
            .filter(proposal_assignment::Column::Role.is_in([AssignmentRole::Lead, AssignmentRole::Separate]))
            .filter(proposal_assignment::Column::Status.eq(AssignmentStatus::Replied))
            .all(&txn)
            .await?;
        let deadline = transition::now() + chrono::Duration::days(DEFAULT_DEADLINE_DAYS);
        for a in answered {
            let to = workflow::assignment_step(AssignmentAction::Reopen, a.status)
                .map_err(crate::error::AppError::internal)?;
            let key = AssignmentKey { proposal: id, assignment: a.id };
            let reopen = Step::<AssignmentRecord>::new(
                key,
                p.organization_id,
                a.status,
                a.version,
                to,
                "REHANDLING_REQUESTED",
                viewer.user_id,
            )
            .set(proposal_assignment::Column::Round, next_round)
            .set(proposal_assignment::Column::Deadline, deadline)
            .data(json!({ "unitId": a.unit_id, "assignmentId": a.id, "round": next_round }));
            transition::apply(&txn, reopen).await?;
        }
    }
    txn.commit().await?;
    reload(db, id).await
}
