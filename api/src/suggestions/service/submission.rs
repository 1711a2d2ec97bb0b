//! The member's side: a piece submitted from the phone (retry-safe), and the piece the
//! office makes of a proposal it did not register.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::add_authors;
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::principal::Principal,
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    suggestions::{policy, records::SuggestionRecord},
    transition, validate,
};
use entity::{AttachmentPurpose, Role, SuggestionStatus, membership, sector_convener, suggestion};

/// Photos per piece, at most.
pub const MAX_ATTACHMENTS: usize = 9;

const OPERATION: &str = "submitSuggestion";

pub struct NewSuggestion {
    pub title: String,
    pub content: String,
    pub category: String,
    pub anonymous_to_public: bool,
    pub attachments: AttachmentList,
    pub co_author_ids: Vec<Uuid>,
    /// Submit in a sector's name (conveners only).
    pub sector_id: Option<Uuid>,
    /// The member a piece phoned in or handed over is typed in for (office only, 代录).
    pub author_id: Option<Uuid>,
    /// When it was received, for a piece entered later (office only).
    pub at: Option<DateTime<Utc>>,
}

/// A new piece, SUBMITTED, with the fields every piece has; the caller sets the rest.
pub(super) fn new_piece(
    organization: Uuid,
    submitter: Uuid,
    title: String,
    content: String,
    category: String,
) -> suggestion::ActiveModel {
    let now = transition::now();
    suggestion::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization),
        title: Set(title),
        content: Set(content),
        category: Set(category),
        status: Set(SuggestionStatus::Submitted),
        version: Set(0),
        submitted_by: Set(submitter),
        sector_id: Set(None),
        anonymous_to_public: Set(false),
        decline_reason: Set(None),
        merged_into_id: Set(None),
        source_suggestion_id: Set(None),
        source_organization_id: Set(None),
        submitted_at: Set(now),
        accepted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// Submits a piece. Phones retry: the same idempotency key with the same piece returns the
/// piece the first request made — also to a copy that arrives while the first is still
/// running, which waits for it — and the key with another piece is a CONFLICT on
/// `idempotencyKey`.
pub async fn submit(
    db: &DatabaseConnection,
    who: &Principal,
    input: NewSuggestion,
    key: Key,
) -> AppResult<suggestion::Model> {
    // An early answer for a retry that comes after the first request finished.
    if let Some(first) = idempotency::find(db, who.user_id, OPERATION, &key).await? {
        return policy::load_readable(db, who, first).await;
    }
    let at = transition::entered_at(who, input.at)?;
    // The author: the member on the phone, or the member the office types a piece in for.
    let author = match input.author_id {
        None => {
            policy::may_submit(who)?;
            who.user_id
        }
        Some(member) => crate::organizations::access::typed_in_for(db, who, member, "authorId").await?,
    };
    let title = validate::required(&input.title, "title", 100)?;
    let content = validate::required(&input.content, "content", 5000)?;
    let category = validate::required(&input.category, "category", 50)?;
    let co_authors: Vec<Uuid> = {
        let mut seen = HashSet::from([author]);
        input.co_author_ids.iter().copied().filter(|u| seen.insert(*u)).collect()
    };
    if !co_authors.is_empty() {
        let found = membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(who.organization_id))
            .filter(membership::Column::Role.eq(Role::Member))
            .filter(membership::Column::UserId.is_in(co_authors.clone()))
            .count(db)
            .await?;
        if found != co_authors.len() as u64 {
            return Err(AppError::bad_input("coAuthorIds", "联名人必须是本组织的委员"));
        }
    }
    if let Some(sector) = input.sector_id {
        let convener = sector_convener::Entity::find_by_id((sector, author)).one(db).await?;
        if convener.is_none() {
            return Err(AppError::bad_input("sectorId", "只有该界别的召集人可以以界别名义报送"));
        }
    }
    let mut am = new_piece(who.organization_id, author, title, content, category);
    am.submitted_at = Set(transition::when(at));
    am.sector_id = Set(input.sector_id);
    am.anonymous_to_public = Set(input.anonymous_to_public);
    let id = *am.id.as_ref();

    let txn = db::write(db).await?;
    // The claim is the transaction's first write: a copy of this request in flight waits
    // here for the first one and then answers with its piece.
    if let idempotency::Claim::Replay(first) = idempotency::claim(&txn, who.user_id, OPERATION, &key, id).await? {
        drop(txn);
        return policy::load_readable(db, who, first).await;
    }
    let created = am.insert(&txn).await?;
    let mut authors = vec![author];
    authors.extend(co_authors);
    add_authors(&txn, id, &authors).await?;
    // Nine photos at most, as in a WeChat post; fewer if the deployment allows fewer.
    let mut list = input.attachments;
    list.limits.files = list.limits.files.min(MAX_ATTACHMENTS);
    attachments::set_for(&txn, who, AttachmentPurpose::Suggestion, id, &list).await?;
    transition::created_entered::<SuggestionRecord>(
        &txn,
        id,
        created.organization_id,
        SuggestionStatus::Submitted,
        "SUBMITTED",
        who.user_id,
        input.author_id.map(|_| "机关代录".to_owned()),
        json!({ "authors": authors }),
        at,
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The text a piece made of a proposal takes over.
pub struct ConvertedText<'a> {
    pub title: &'a str,
    pub content: &'a str,
    pub category: &'a str,
}

/// A suggestion made from a proposal that was not registered (不予立案，转为社情民意信息):
/// the proposal's authors become its authors; the office handles it from SUBMITTED on.
/// Runs in the caller's (the rejecting) transaction; `at` is the rejection's business time.
pub async fn insert_converted(
    db: &impl ConnectionTrait,
    organization: Uuid,
    authors_in_order: &[Uuid],
    text: ConvertedText<'_>,
    actor: Uuid,
    at: Option<DateTime<Utc>>,
) -> AppResult<suggestion::Model> {
    let submitter = *authors_in_order.first().ok_or_else(|| AppError::internal("conversion without authors"))?;
    let title = text.title.chars().take(100).collect();
    let mut am = new_piece(organization, submitter, title, text.content.to_owned(), text.category.to_owned());
    // Received when the proposal was turned down, also when that is entered later.
    am.submitted_at = Set(transition::when(at));
    let created = am.insert(db).await?;
    add_authors(db, created.id, authors_in_order).await?;
    transition::created_entered::<SuggestionRecord>(
        db,
        created.id,
        organization,
        SuggestionStatus::Submitted,
        "CONVERTED",
        actor,
        Some("由不予立案的提案转来".into()),
        json!({ "authors": authors_in_order }),
        at,
    )
    .await?;
    Ok(created)
}
