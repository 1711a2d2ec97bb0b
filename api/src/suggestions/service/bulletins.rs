//! The bulletin (社情民意专刊): numbered issues the office edits accepted pieces into and
//! publishes (编发). An issue is locked before any of its pieces. An item is added only
//! while holding the issue's and the piece's locks and deleted only while holding the
//! piece's, so publication — which holds the issue and every piece in it — prints exactly
//! the pieces that are still ACCEPTED in the issue when it commits.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{queries::bulletin_items, step};
use crate::{
    auth::principal::Principal,
    calendar::year_range,
    content_safety, db,
    error::{AppError, AppResult},
    suggestions::{
        policy,
        records::{BulletinIssueRecord, SuggestionRecord},
        workflow::{self, Action, IssueAction},
    },
    transition::{self, Step},
    validate,
};
use entity::{BulletinStatus, SuggestionStatus, bulletin_issue, bulletin_item, suggestion};

pub async fn create_bulletin(
    db: &DatabaseConnection,
    who: &Principal,
    title: &str,
    number: i32,
    year: Option<i32>,
) -> AppResult<bulletin_issue::Model> {
    policy::office(who)?;
    let title = validate::required(title, "title", 100)?;
    if !(1..=9999).contains(&number) {
        return Err(AppError::bad_input("number", "期号应为1到9999"));
    }
    let year = year.unwrap_or_else(crate::calendar::this_year);
    year_range(year)?;
    let txn = db::write(db).await?;
    let created = bulletin_issue::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(who.organization_id),
        year: Set(year),
        number: Set(number),
        title: Set(title),
        status: Set(BulletinStatus::Draft),
        version: Set(0),
        published_at: Set(None),
        created_by: Set(who.user_id),
        created_at: Set(transition::now()),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if AppError::is_unique_violation(&e) {
            AppError::conflict("number", format!("{year}年第{number}期已存在"))
        } else {
            e.into()
        }
    })?;
    transition::created::<BulletinIssueRecord>(
        &txn,
        created.id,
        created.organization_id,
        BulletinStatus::Draft,
        "CREATED",
        who.user_id,
        None,
        json!({ "year": year, "number": number }),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The issue as its organization's office, locked; `action` must be open to it.
async fn issue_for(
    txn: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
    action: IssueAction,
) -> AppResult<(bulletin_issue::Model, BulletinStatus)> {
    let issue = policy::load_issue_for_office(txn, who, id).await?;
    let to =
        workflow::check_issue(action, issue.status).map_err(|message| AppError::Conflict { field: None, message })?;
    Ok((issue, to))
}

fn issue_label(issue: &bulletin_issue::Model) -> String {
    format!("{}年第{}期《{}》", issue.year, issue.number, issue.title)
}

/// Puts an accepted piece into a draft issue with the office's edited text; the member's
/// original stays as it was. Adding it again to the same issue replaces the edit.
pub async fn add_to_bulletin(
    db: &DatabaseConnection,
    who: &Principal,
    issue_id: Uuid,
    suggestion_id: Uuid,
    edited_title: &str,
    edited_content: &str,
) -> AppResult<bulletin_issue::Model> {
    let title = validate::required(edited_title, "editedTitle", 100)?;
    let content = validate::required(edited_content, "editedContent", 10_000)?;
    let txn = db::write(db).await?;
    let (issue, _) = issue_for(&txn, who, issue_id, IssueAction::Edit).await?;
    let s = policy::load_for_office(&txn, who, suggestion_id).await?;
    step(&s, Action::EnterBulletin, who.user_id)?;
    let existing =
        bulletin_item::Entity::find().filter(bulletin_item::Column::SuggestionId.eq(suggestion_id)).one(&txn).await?;
    match existing {
        Some(item) if item.issue_id != issue_id => {
            return Err(AppError::Conflict { field: None, message: "该信息已编入其他期".into() });
        }
        Some(item) => {
            let mut am: bulletin_item::ActiveModel = item.into();
            am.edited_title = Set(title);
            am.edited_content = Set(content);
            am.update(&txn).await?;
        }
        None => {
            let last = bulletin_item::Entity::find()
                .filter(bulletin_item::Column::IssueId.eq(issue_id))
                .order_by_desc(bulletin_item::Column::Position)
                .one(&txn)
                .await?;
            bulletin_item::ActiveModel {
                issue_id: Set(issue_id),
                suggestion_id: Set(suggestion_id),
                position: Set(last.map_or(0, |i| i.position.saturating_add(1))),
                edited_title: Set(title),
                edited_content: Set(content),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(issue)
}

/// Takes a piece that leaves the workflow (declined, merged) out of the draft issue it was
/// edited into, noting it on its timeline. The caller holds the piece's lock; an issue
/// already printed keeps what it printed.
pub(super) async fn take_out_of_draft(txn: &impl ConnectionTrait, s: &suggestion::Model, by: Uuid) -> AppResult<()> {
    let Some(item) =
        bulletin_item::Entity::find().filter(bulletin_item::Column::SuggestionId.eq(s.id)).one(txn).await?
    else {
        return Ok(());
    };
    let issue = bulletin_issue::Entity::find_by_id(item.issue_id).one(txn).await?;
    let Some(issue) = issue.filter(|i| i.status == BulletinStatus::Draft) else { return Ok(()) };
    remove_item(txn, s, &issue, by).await
}

async fn remove_item(
    txn: &impl ConnectionTrait,
    s: &suggestion::Model,
    issue: &bulletin_issue::Model,
    by: Uuid,
) -> AppResult<()> {
    bulletin_item::Entity::delete_many()
        .filter(bulletin_item::Column::IssueId.eq(issue.id))
        .filter(bulletin_item::Column::SuggestionId.eq(s.id))
        .exec(txn)
        .await?;
    transition::record::<SuggestionRecord>(
        txn,
        s.id,
        s.organization_id,
        "REMOVED_FROM_BULLETIN",
        by,
        Some(format!("撤出{}", issue_label(issue))),
        json!({ "issueId": issue.id }),
    )
    .await
}

/// Publishes an issue (编发): the issue, then every piece in it in id order, are locked;
/// the items are read again under those locks, their edited texts screened, and each piece
/// still ACCEPTED moves to PUBLISHED with the issue. (A piece in the issue that is no longer
/// ACCEPTED — an incoming copy adopted meanwhile — is taken out rather than printed.)
pub async fn publish_bulletin(
    db: &DatabaseConnection,
    who: &Principal,
    issue_id: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<bulletin_issue::Model> {
    let at = transition::entered_at(who, at)?;
    let txn = db::write(db).await?;
    let (issue, to) = issue_for(&txn, who, issue_id, IssueAction::Publish).await?;
    let mut ids: Vec<Uuid> = bulletin_items(&txn, issue_id).await?.into_iter().map(|i| i.suggestion_id).collect();
    ids.sort();
    let mut pieces = HashMap::new();
    for id in ids {
        // The issue's pieces are its office's own (they entered through `load_for_office`).
        pieces.insert(id, policy::load_for_office(&txn, who, id).await?);
    }
    // Items are added only under the issue's lock, which this transaction holds, so the
    // list can only have shrunk since the first read.
    let mut printed = Vec::new();
    for item in bulletin_items(&txn, issue_id).await? {
        let Some(s) = pieces.get(&item.suggestion_id) else { continue };
        if s.status == SuggestionStatus::Accepted {
            printed.push((item, s));
        } else {
            remove_item(&txn, s, &issue, who.user_id).await?;
        }
    }
    if printed.is_empty() {
        return Err(AppError::bad_input("issueId", "该期还没有编入任何信息"));
    }
    let last_accepted = printed.iter().filter_map(|(_, s)| s.accepted_at).max();
    transition::not_before(at, last_accepted, "所编信息的采编时间")?;
    for (item, _) in &printed {
        content_safety::check(&[("editedTitle", &item.edited_title), ("editedContent", &item.edited_content)])?;
    }
    let ids: Vec<Uuid> = printed.iter().map(|(_, s)| s.id).collect();
    let publish = Step::<BulletinIssueRecord>::new(
        issue.id,
        issue.organization_id,
        issue.status,
        issue.version,
        to,
        "PUBLISHED",
        who.user_id,
    )
    .set(bulletin_issue::Column::PublishedAt, Some(transition::when(at)))
    .at(at)
    .note(issue_label(&issue))
    .data(json!({ "suggestionIds": ids }));
    transition::apply(&txn, publish).await?;
    for (_, s) in printed {
        let step = step(s, Action::Publish, who.user_id)?
            .note(issue_label(&issue))
            .data(json!({ "issueId": issue.id }))
            .at(at);
        transition::apply(&txn, step).await?;
    }
    txn.commit().await?;
    bulletin_issue::Entity::find_by_id(issue_id).one(db).await?.ok_or_else(policy::issue_not_found)
}
