//! The information office decides on what members sent: accept for editing (采编), decline
//! with a reason, or fold pieces about the same problem into one (汇总). A piece declined
//! or merged leaves the draft bulletin issue it was edited into, in the same transaction.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::{add_authors, authors, bulletins::take_out_of_draft, reload, step};
use crate::{
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    suggestions::{
        policy,
        records::SuggestionRecord,
        workflow::{self, Action},
    },
    transition::{self, Stateful},
    validate,
};
use entity::{SuggestionStatus, suggestion};

/// The version of the piece as this request found it, read before waiting for any lock.
async fn as_found(db: &DatabaseConnection, id: Uuid) -> AppResult<i32> {
    Ok(reload(db, id).await?.version)
}

/// The piece as its office, locked, for a decision (accept, decline) made on what the
/// person deciding saw: the status the client says it saw (`expected`), else the piece as
/// this request found it on arrival. When another step moved the piece in between — two
/// people deciding at once — the later decision is refused instead of being applied on top
/// of the first. (An accepted piece can still be declined, by someone who saw it accepted.)
async fn deciding(
    txn: &DatabaseTransaction,
    who: &Principal,
    id: Uuid,
    found: i32,
    expected: Option<SuggestionStatus>,
) -> AppResult<suggestion::Model> {
    let s = policy::load_for_office(txn, who, id).await?;
    if expected.is_some_and(|e| e != s.status) {
        return Err(AppError::Conflict {
            field: None,
            message: format!("该信息刚被他人处理，当前状态为“{}”，请刷新后重试", workflow::status_name(s.status)),
        });
    }
    if s.version != found {
        return Err(transition::raced(SuggestionRecord::NOUN));
    }
    Ok(s)
}

/// A decision entered later is not dated before the piece was received.
fn after_receipt(at: Option<DateTime<Utc>>, s: &suggestion::Model) -> AppResult<()> {
    transition::not_before(at, Some(s.submitted_at), "收到时间")
}

/// 采编; `at` when the office enters the decision later (代录).
pub async fn accept(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    expected: Option<SuggestionStatus>,
    at: Option<DateTime<Utc>>,
) -> AppResult<suggestion::Model> {
    let at = transition::entered_at(who, at)?;
    let found = as_found(db, id).await?;
    let txn = db::write(db).await?;
    let s = deciding(&txn, who, id, found, expected).await?;
    let accepted = step(&s, Action::Accept, who.user_id)?
        .set(suggestion::Column::AcceptedAt, sea_orm::sea_query::Expr::value(transition::when(at)))
        .at(at);
    after_receipt(at, &s)?;
    transition::apply(&txn, accepted).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// 不予采用, with the reason the submitter reads.
pub async fn decline(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    reason: &str,
    expected: Option<SuggestionStatus>,
    at: Option<DateTime<Utc>>,
) -> AppResult<suggestion::Model> {
    let at = transition::entered_at(who, at)?;
    let found = as_found(db, id).await?;
    let reason = validate::required(reason, "reason", 500)?;
    let txn = db::write(db).await?;
    let s = deciding(&txn, who, id, found, expected).await?;
    let step = step(&s, Action::Decline, who.user_id)?
        .set(suggestion::Column::DeclineReason, Some(reason.clone()))
        .note(reason)
        .at(at);
    after_receipt(at, &s)?;
    // A piece taken in and then turned down is turned down after it was taken in.
    transition::not_before(at, s.accepted_at, "采编时间")?;
    transition::apply(&txn, step).await?;
    take_out_of_draft(&txn, &s, who.user_id).await?;
    txn.commit().await?;
    reload(db, id).await
}

/// Folds pieces that report the same problem into one (汇总); their authors become
/// co-authors of the piece they were merged into, so they follow its feedback.
///
/// Every piece involved, the master included, is locked in id order, and the master must
/// still receive merges when the merge happens: merging A into B and B into A at once
/// leaves exactly one of them.
pub async fn merge(db: &DatabaseConnection, who: &Principal, ids: &[Uuid], into: Uuid) -> AppResult<suggestion::Model> {
    let merged: BTreeSet<Uuid> = ids.iter().copied().filter(|id| *id != into).collect();
    if merged.is_empty() {
        return Err(AppError::bad_input("ids", "请选择要合并的信息"));
    }
    let mut all = merged.clone();
    all.insert(into);
    // A piece's organization never changes, so this unlocked read may already refuse
    // pieces of other organizations: only the office's own pieces get locked below.
    let found = suggestion::Entity::find().filter(suggestion::Column::Id.is_in(all.iter().copied())).all(db).await?;
    for s in &found {
        policy::as_office(who, s)?;
    }
    if found.len() != all.len() {
        return Err(policy::not_found());
    }

    let txn = db::write(db).await?;
    let mut rows = HashMap::new();
    for id in &all {
        rows.insert(*id, policy::load_for_office(&txn, who, *id).await?);
    }
    let master = rows.get(&into).ok_or_else(policy::not_found)?;
    let receive = step(master, Action::ReceiveMerge, who.user_id)?;
    let mut new_authors = Vec::new();
    for id in &merged {
        let s = rows.get(id).ok_or_else(policy::not_found)?;
        let step = step(s, Action::Merge, who.user_id)?
            .set(suggestion::Column::MergedIntoId, Some(into))
            .note(format!("并入“{}”", master.title))
            .data(json!({ "intoId": into }));
        transition::apply(&txn, step).await?;
        take_out_of_draft(&txn, s, who.user_id).await?;
        new_authors.extend(authors(&txn, *id).await?);
    }
    add_authors(&txn, into, &new_authors).await?;
    let receive = receive.note(format!("合并{}条", merged.len())).data(json!({ "mergedIds": merged }));
    transition::apply(&txn, receive).await?;
    txn.commit().await?;
    reload(db, into).await
}
