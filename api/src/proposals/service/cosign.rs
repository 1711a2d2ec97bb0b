//! Joint proposals (联名): the proposer invites members, each accepts or declines. Both
//! happen while the proposal is with its author (a draft, or returned for changes).
use std::collections::HashSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::OnConflict,
};
use serde_json::json;
use uuid::Uuid;

use super::reload;
use crate::{
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    proposals::{
        policy::{self, Part},
        records::{CoSignKey, CoSignRecord, ProposalRecord},
    },
    transition::{self, Step},
};
use entity::{CoSignStatus, ProposalKind, ProposalStatus, Role, membership, proposal, proposal_cosigner};

/// While its author holds it, a joint proposal gathers co-signers.
fn with_author(p: &proposal::Model) -> bool {
    matches!(p.status, ProposalStatus::Draft | ProposalStatus::Returned)
}

pub async fn invite_cosigners(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    users: &[Uuid],
) -> AppResult<proposal::Model> {
    let users: Vec<Uuid> =
        users.iter().copied().filter(|u| *u != viewer.user_id).collect::<HashSet<_>>().into_iter().collect();
    let txn = db::write(db).await?;
    let p = policy::load_for(&txn, viewer, id, Part::Author).await?;
    if p.kind != ProposalKind::Joint || !with_author(&p) {
        return Err(AppError::bad_input("proposalId", "只能为联名提案的草稿邀请联名人"));
    }
    if users.is_empty() {
        return Err(AppError::bad_input("userIds", "请选择联名委员"));
    }
    let members = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(p.organization_id))
        .filter(membership::Column::Role.eq(Role::Member))
        .filter(membership::Column::UserId.is_in(users.clone()))
        .count(&txn)
        .await?;
    if members != users.len() as u64 {
        return Err(AppError::bad_input("userIds", "联名人必须是本组织的委员"));
    }
    let now = transition::now();
    let rows = users.iter().map(|user| proposal_cosigner::ActiveModel {
        proposal_id: Set(id),
        user_id: Set(*user),
        status: Set(CoSignStatus::Invited),
        version: Set(0),
        invited_at: Set(now),
        responded_at: Set(None),
    });
    // Someone invited before keeps their invitation (and their answer).
    proposal_cosigner::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([proposal_cosigner::Column::ProposalId, proposal_cosigner::Column::UserId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .or_else(|e| if matches!(e, DbErr::RecordNotInserted) { Ok(0) } else { Err(e) })?;
    transition::record::<ProposalRecord>(
        &txn,
        id,
        p.organization_id,
        "COSIGNERS_INVITED",
        viewer.user_id,
        Some(format!("{}人", users.len())),
        json!({ "userIds": users }),
    )
    .await?;
    txn.commit().await?;
    reload(db, id).await
}

pub async fn respond_to_cosign(
    db: &DatabaseConnection,
    viewer: &Principal,
    id: Uuid,
    accept: bool,
) -> AppResult<proposal::Model> {
    let txn = db::write(db).await?;
    let (p, invitation) = policy::load_for_cosigner(&txn, viewer, id).await?;
    if invitation.status != CoSignStatus::Invited || !with_author(&p) {
        return Err(AppError::bad_input("proposalId", "该联名邀请已处理或已失效"));
    }
    let (to, action) =
        if accept { (CoSignStatus::Accepted, "COSIGN_ACCEPTED") } else { (CoSignStatus::Declined, "COSIGN_DECLINED") };
    let step = Step::<CoSignRecord>::new(
        CoSignKey { proposal: id, user: viewer.user_id },
        p.organization_id,
        invitation.status,
        invitation.version,
        to,
        action,
        viewer.user_id,
    )
    .set(proposal_cosigner::Column::RespondedAt, Some(transition::now()))
    .data(json!({ "userId": viewer.user_id, "authorId": p.author_id }));
    transition::apply(&txn, step).await?;
    txn.commit().await?;
    reload(db, id).await
}
