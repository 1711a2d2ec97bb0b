//! The places of a visit. `confirmed_count` moves only together with the participant's
//! step that justifies it, in the same transaction, with the visit locked by the caller;
//! the conditional UPDATEs below are the guarantee besides the lock, so the counter can
//! never pass the capacity nor go below zero.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    transition::{self, Step},
    visits::{
        records::{ParticipantKey, ParticipantRecord},
        workflow::{self, ParticipantAction},
    },
};
use entity::{ParticipantStatus, visit, visit_participant};

/// Takes one place if there is one.
pub async fn take(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<bool> {
    let res = visit::Entity::update_many()
        .col_expr(visit::Column::ConfirmedCount, Expr::col(visit::Column::ConfirmedCount).add(1))
        .filter(visit::Column::Id.eq(visit))
        .filter(
            Condition::any()
                .add(visit::Column::Capacity.is_null())
                .add(Expr::col(visit::Column::ConfirmedCount).lt(Expr::col(visit::Column::Capacity))),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives a place back.
pub async fn free(db: &impl ConnectionTrait, visit: Uuid) -> AppResult<()> {
    let res = visit::Entity::update_many()
        .col_expr(visit::Column::ConfirmedCount, Expr::col(visit::Column::ConfirmedCount).sub(1))
        .filter(visit::Column::Id.eq(visit))
        .filter(visit::Column::ConfirmedCount.gt(0))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::internal(format!("visit {visit}: a place freed that nobody held")));
    }
    Ok(())
}

/// Moves the counter by what a participant's step from `from` to `to` justifies.
pub async fn follow(
    db: &impl ConnectionTrait,
    visit: Uuid,
    from: Option<ParticipantStatus>,
    to: ParticipantStatus,
) -> AppResult<()> {
    match workflow::place_change(from, to) {
        1 if !take(db, visit).await? => Err(AppError::Conflict { field: None, message: "名额已满".into() }),
        -1 => free(db, visit).await,
        _ => Ok(()),
    }
}

/// Gives free places to the waiting list, first come first served.
pub async fn promote_waitlist(db: &impl ConnectionTrait, visit: Uuid, org: Uuid, by: Uuid) -> AppResult<()> {
    let waiting = visit_participant::Entity::find()
        .filter(visit_participant::Column::VisitId.eq(visit))
        .filter(visit_participant::Column::Status.eq(ParticipantStatus::Waitlisted))
        .order_by_asc(visit_participant::Column::SignedUpAt)
        .order_by_asc(visit_participant::Column::UserId)
        .all(db)
        .await?;
    for next in waiting {
        if !take(db, visit).await? {
            break;
        }
        let to = workflow::participant_step(ParticipantAction::Promote, Some(next.status))
            .map_err(|m| AppError::internal(format!("promotion: {m}")))?;
        let key = ParticipantKey { visit, user: next.user_id };
        let step = Step::<ParticipantRecord>::new(
            key,
            org,
            next.status,
            next.version,
            to,
            ParticipantAction::Promote.code(),
            by,
        )
        .data(json!({ "userId": next.user_id }));
        transition::apply(db, step).await?;
    }
    Ok(())
}
