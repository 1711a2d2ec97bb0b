//! The office's side of the text: a draft (retry-safe), edits — of a published briefing
//! too, re-screened and with its audience re-resolved — and the deletion of drafts.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use serde_json::json;
use uuid::Uuid;

use super::{CHUNK, publishing, recipients, reload, step};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    audience::{self, Audience},
    auth::principal::Principal,
    briefings::{policy, records::BriefingRecord, search, workflow::Action},
    db,
    error::{AppError, AppResult},
    idempotency::{self, Key},
    organizations::{access::require, service::lock_organization},
    outbox,
    transition::{self, Stateful},
    validate,
};
use entity::{AttachmentPurpose, BriefingStatus, briefing, briefing_term};

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 500;
pub const MAX_BODY: usize = 100_000;

/// The editable fields; `None` leaves a field as it is (for updates).
#[derive(Debug, Default)]
pub struct BriefingFields {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub source: Option<String>,
    pub category: Option<String>,
    pub briefed_at: Option<Option<NaiveDate>>,
    pub audience: Option<Audience>,
    pub pinned: Option<bool>,
    pub confidential: Option<bool>,
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// Replaces the attachments when given.
    pub attachments: Option<AttachmentList>,
}

/// Applies and checks fields on the briefing as it will be; returns the new attachment
/// list if given.
fn apply(b: &mut briefing::Model, f: BriefingFields) -> AppResult<Option<AttachmentList>> {
    if let Some(v) = f.title {
        b.title = validate::required(&v, "title", MAX_TITLE)?;
    }
    if let Some(v) = f.summary {
        b.summary = validate::bounded(&v, "summary", MAX_SUMMARY)?;
    }
    if let Some(v) = f.body {
        // Markdown: keep the author's whitespace, bound the size.
        if v.chars().count() > MAX_BODY {
            return Err(AppError::bad_input("body", format!("正文不能超过{MAX_BODY}个字")));
        }
        b.body = v;
    }
    if let Some(v) = f.source {
        b.source = validate::required(&v, "source", 50)?;
    }
    if let Some(v) = f.category {
        b.category = validate::required(&v, "category", 50)?;
    }
    if let Some(v) = f.briefed_at {
        b.briefed_at = v;
    }
    if let Some(v) = f.audience {
        b.audience = v.to_json();
    }
    if let Some(v) = f.pinned {
        b.pinned = v;
    }
    if let Some(v) = f.confidential {
        b.confidential = v;
    }
    if let Some(v) = f.expires_at {
        b.expires_at = v;
    }
    if let Some(list) = &f.attachments {
        // Kept on the briefing so that the feed can show a paper clip without a join.
        b.attachment_count = i32::try_from(list.ids.len()).unwrap_or(i32::MAX);
    }
    Ok(f.attachments)
}

/// Rebuilds the search terms of a briefing (see `search`).
async fn index_terms(db: &impl ConnectionTrait, b: &briefing::Model) -> AppResult<()> {
    briefing_term::Entity::delete_many().filter(briefing_term::Column::BriefingId.eq(b.id)).exec(db).await?;
    let mut terms = search::terms(&b.title);
    terms.extend(search::terms(&b.summary));
    terms.extend(search::terms(&b.body));
    let rows: Vec<briefing_term::ActiveModel> = terms
        .into_iter()
        .filter(|t| t.chars().count() <= 16)
        .map(|term| briefing_term::ActiveModel { term: sea_orm::Set(term), briefing_id: sea_orm::Set(b.id) })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        briefing_term::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

fn blank(id: Uuid, who: &Principal) -> briefing::Model {
    let now = transition::now();
    briefing::Model {
        id,
        organization_id: who.organization_id,
        title: String::new(),
        summary: String::new(),
        body: String::new(),
        source: String::new(),
        category: "综合".into(),
        briefed_at: None,
        pinned: false,
        confidential: false,
        expires_at: None,
        status: BriefingStatus::Draft,
        version: 0,
        audience: Audience::default().to_json(),
        attachment_count: 0,
        created_by: who.user_id,
        created_at: now,
        updated_by: who.user_id,
        updated_at: now,
        published_at: None,
    }
}

/// A new draft. Phones and office browsers retry: with a key, the same request returns
/// the draft the first one made — also while the first is still running — and the key
/// with other fields is a CONFLICT on `idempotencyKey`.
pub async fn create(
    db: &DatabaseConnection,
    who: &Principal,
    fields: BriefingFields,
    key: Option<Key>,
) -> AppResult<briefing::Model> {
    require(who.is_office())?;
    if fields.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    if fields.source.is_none() {
        return Err(AppError::bad_input("source", "不能为空"));
    }
    let id = Uuid::now_v7();
    let mut draft = blank(id, who);
    let audience_given = fields.audience.clone();
    let attachments = apply(&mut draft, fields)?;
    let txn = db::write(db).await?;
    if let Some(first) = idempotency::claim_opt(&txn, who.user_id, "createBriefing", key.as_ref(), id).await? {
        drop(txn);
        let first = reload(db, first).await?;
        policy::as_office(who, &first)?;
        return Ok(first);
    }
    if let Some(a) = &audience_given {
        audience::validate(&txn, who.organization_id, a).await?;
    }
    let created = draft.into_active_model().reset_all().insert(&txn).await?;
    if let Some(list) = attachments {
        attachments::set_for(&txn, who, AttachmentPurpose::Briefing, created.id, &list).await?;
    }
    index_terms(&txn, &created).await?;
    transition::created::<BriefingRecord>(
        &txn,
        id,
        created.organization_id,
        BriefingStatus::Draft,
        "CREATED",
        who.user_id,
        None,
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Edits a briefing in any state: a step to the same state, guarded by the version. What
/// members already see must stay clean and complete, so a published briefing is screened
/// and checked again, and its recipients follow the new audience at once.
pub async fn update(
    db: &DatabaseConnection,
    who: &Principal,
    id: Uuid,
    fields: BriefingFields,
) -> AppResult<briefing::Model> {
    let txn = db::write(db).await?;
    // The audience may change: serialised with membership changes, like a publication.
    lock_organization(&txn, who.organization_id).await?;
    let found = policy::load_for_office(&txn, who, id).await?;
    let step = step(&found, Action::Update, who.user_id)?;
    if let Some(a) = &fields.audience {
        audience::validate(&txn, found.organization_id, a).await?;
    }
    let mut after = found.clone();
    let attachments = apply(&mut after, fields)?;
    if after.status == BriefingStatus::Published {
        publishing::screen(&after)?;
        publishing::check_publishable(&after)?;
    }
    use briefing::Column as C;
    let step = step
        .set(C::Title, after.title.clone())
        .set(C::Summary, after.summary.clone())
        .set(C::Body, after.body.clone())
        .set(C::Source, after.source.clone())
        .set(C::Category, after.category.clone())
        .set(C::BriefedAt, after.briefed_at)
        .set(C::Audience, after.audience.clone())
        .set(C::Pinned, after.pinned)
        .set(C::Confidential, after.confidential)
        .set(C::ExpiresAt, after.expires_at)
        .set(C::AttachmentCount, after.attachment_count);
    transition::apply(&txn, step).await?;
    let updated = reload(&txn, id).await?;
    if let Some(list) = attachments {
        attachments::set_for(&txn, who, AttachmentPurpose::Briefing, updated.id, &list).await?;
    }
    index_terms(&txn, &updated).await?;
    recipients::sync(&txn, &updated).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a draft (what was published is withdrawn instead, so its receipts stay). The
/// event stays in the outbox; the history goes with the draft.
pub async fn delete(db: &DatabaseConnection, who: &Principal, id: Uuid) -> AppResult<Uuid> {
    let txn = db::write(db).await?;
    let found = policy::load_for_office(&txn, who, id).await?;
    step(&found, Action::Delete, who.user_id)?;
    attachments::release_all(&txn, found.id).await?;
    let deleted = briefing::Entity::delete_many()
        .filter(briefing::Column::Id.eq(found.id))
        .filter(briefing::Column::Status.eq(found.status))
        .filter(briefing::Column::Version.eq(found.version))
        .exec(&txn)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(transition::raced(<BriefingRecord as Stateful>::NOUN));
    }
    outbox::write(
        &txn,
        outbox::Event {
            organization_id: found.organization_id,
            subject_type: <BriefingRecord as Stateful>::SUBJECT,
            subject_id: found.id,
            kind: Action::Delete.code(),
            actor: who.user_id,
            payload: json!({ "from": found.status.to_value(), "to": null, "note": null }),
            at: transition::now(),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(briefing = %found.id, by = %who.user_id, "draft briefing deleted");
    Ok(found.id)
}
