//! Members' side of a visit: sign up (a waiting list when it is full), cancel, ask for
//! leave. Every step locks the visit first, so a double tap, a cancel racing the office's
//! approval of a leave, or sign-ups racing a lower capacity move the places exactly once.
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::json;
use uuid::Uuid;

use super::{locked, participant, places};
use crate::{
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    transition::{self, Step},
    validate,
    visits::{
        policy::{self, Access},
        records::{ParticipantKey, ParticipantRecord},
        workflow::{self, ParticipantAction},
    },
};
use entity::{ParticipantStatus, VisitStatus, visit_participant};

fn conflict(message: &str) -> AppError {
    AppError::Conflict { field: None, message: message.to_owned() }
}

/// Signs the viewer up: a place if one is left, else the waiting list. With a key, a retry
/// returns the sign-up the first request made.
pub async fn sign_up(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    key: Option<Key>,
) -> AppResult<visit_participant::Model> {
    let txn = db::write(db).await?;
    if let Some(first) = idempotency::claim_opt(&txn, who.user_id, "signUpForVisit", key.as_ref(), id).await? {
        drop(txn);
        return participant(db, first, who.user_id).await;
    }
    let v = locked(&txn, id).await?;
    let Access { visit: v, participant: mine, invited } = policy::access_to(&txn, who, v).await?;
    if !invited {
        return Err(AppError::forbidden("您不在本次活动的邀请范围内"));
    }
    match v.status {
        VisitStatus::Open => {}
        VisitStatus::Planned => return Err(conflict("报名尚未开始")),
        other => return Err(conflict(&format!("活动{}，不能报名", workflow::status_name(other)))),
    }
    if v.signup_deadline.is_some_and(|d| d < transition::now()) {
        return Err(conflict("报名已截止"));
    }
    let from = mine.as_ref().map(|p| p.status);
    // Refused before a place is taken (a refusal rolls everything back anyway).
    workflow::participant_step(ParticipantAction::SignUp { place_free: true }, from).map_err(conflict)?;
    let place_free = places::take(&txn, id).await?;
    let action = ParticipantAction::SignUp { place_free };
    let to = workflow::participant_step(action, from).map_err(conflict)?;
    let now = transition::now();
    let key = ParticipantKey { visit: id, user: who.user_id };
    match mine {
        Some(p) => {
            // Signing up again after a cancel: to the back of the queue.
            let step = Step::<ParticipantRecord>::new(
                key,
                v.organization_id,
                p.status,
                p.version,
                to,
                action.code(),
                who.user_id,
            )
            .set(visit_participant::Column::SignedUpAt, now)
            .set(visit_participant::Column::LeaveReason, Option::<String>::None)
            .set(visit_participant::Column::Attended, Option::<bool>::None)
            .set(visit_participant::Column::OrganizationId, who.organization_id)
            .data(json!({ "userId": who.user_id }));
            transition::apply(&txn, step).await?;
        }
        None => {
            visit_participant::ActiveModel {
                visit_id: Set(id),
                user_id: Set(who.user_id),
                organization_id: Set(who.organization_id),
                status: Set(to),
                version: Set(0),
                leave_reason: Set(None),
                attended: Set(None),
                signed_up_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            transition::created::<ParticipantRecord>(
                &txn,
                key,
                v.organization_id,
                to,
                action.code(),
                who.user_id,
                None,
                json!({ "userId": who.user_id }),
            )
            .await?;
        }
    }
    txn.commit().await?;
    participant(db, id, who.user_id).await
}

/// The viewer's own step on their sign-up, before the visit starts.
async fn own_step(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    action: ParticipantAction,
    leave_reason: Option<String>,
) -> AppResult<visit_participant::Model> {
    let txn = db::write(db).await?;
    let v = locked(&txn, id).await?;
    let Access { visit: v, participant: mine, .. } = policy::access_to(&txn, who, v).await?;
    let p = mine.filter(|p| p.status != ParticipantStatus::Cancelled).ok_or_else(|| conflict("您尚未报名此活动"))?;
    policy::member_window(&v)?;
    let to = workflow::participant_step(action, Some(p.status)).map_err(conflict)?;
    let key = ParticipantKey { visit: id, user: who.user_id };
    let mut step =
        Step::<ParticipantRecord>::new(key, v.organization_id, p.status, p.version, to, action.code(), who.user_id)
            .data(json!({ "userId": who.user_id }));
    if let Some(reason) = leave_reason {
        step = step.set(visit_participant::Column::LeaveReason, Some(reason.clone())).note(reason);
    }
    transition::apply(&txn, step).await?;
    places::follow(&txn, id, Some(p.status), to).await?;
    if workflow::place_change(Some(p.status), to) < 0 {
        places::promote_waitlist(&txn, id, v.organization_id, who.user_id).await?;
    }
    txn.commit().await?;
    participant(db, id, who.user_id).await
}

/// Cancels the viewer's sign-up; a place it held goes to the first on the waiting list.
pub async fn cancel_signup(db: &DatabaseConnection, who: &Principal, id: Uuid) -> AppResult<visit_participant::Model> {
    own_step(db, who, id, ParticipantAction::Cancel, None).await
}

/// Asks for leave; the place is kept until the office decides.
pub async fn request_leave(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    reason: &str,
) -> AppResult<visit_participant::Model> {
    let reason = validate::required(reason, "reason", 500)?;
    own_step(db, who, id, ParticipantAction::RequestLeave, Some(reason)).await
}
