//! Rules for briefings: drafting, publishing to an audience, withdrawing, reading, and the
//! feed. Free of GraphQL.
use std::collections::HashSet;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use super::search;
use crate::audience::{self, Audience};
use crate::{
    attachments::service::{self as attachments, AttachmentList},
    auth::Viewer,
    content_safety,
    error::{AppError, AppResult},
    organizations::access::require,
    paging,
    sql::like_contains,
    validate,
};
use entity::{
    AttachmentPurpose, BriefingStatus, briefing, briefing_event, briefing_recipient, briefing_term, membership,
};

pub const MAX_TITLE: usize = 200;
pub const MAX_SUMMARY: usize = 500;
pub const MAX_BODY: usize = 100_000;
/// Rows per statement when writing recipients and terms (SQLite binds at most 32766 values).
const CHUNK: usize = 500;

const NOT_FOUND: &str = "情况通报不存在";

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

/// Applies and checks fields on an active model; returns the new attachment list if given.
fn apply(am: &mut briefing::ActiveModel, f: BriefingFields) -> AppResult<Option<AttachmentList>> {
    if let Some(v) = f.title {
        am.title = Set(validate::required(&v, "title", MAX_TITLE)?);
    }
    if let Some(v) = f.summary {
        am.summary = Set(validate::bounded(&v, "summary", MAX_SUMMARY)?);
    }
    if let Some(v) = f.body {
        // Markdown: keep the author's whitespace, bound the size.
        if v.chars().count() > MAX_BODY {
            return Err(AppError::bad_input("body", format!("正文不能超过{MAX_BODY}个字")));
        }
        am.body = Set(v);
    }
    if let Some(v) = f.source {
        am.source = Set(validate::required(&v, "source", 50)?);
    }
    if let Some(v) = f.category {
        am.category = Set(validate::required(&v, "category", 50)?);
    }
    if let Some(v) = f.briefed_at {
        am.briefed_at = Set(v);
    }
    if let Some(v) = f.audience {
        am.audience = Set(v.to_json());
    }
    if let Some(v) = f.pinned {
        am.pinned = Set(v);
    }
    if let Some(v) = f.confidential {
        am.confidential = Set(v);
    }
    if let Some(v) = f.expires_at {
        am.expires_at = Set(v);
    }
    if let Some(list) = &f.attachments {
        // Kept on the briefing so that the feed can show a paper clip without a join.
        am.attachment_count = Set(i32::try_from(list.ids.len()).unwrap_or(i32::MAX));
    }
    Ok(f.attachments)
}

/// Staff and admins of the briefing's organization manage it.
fn require_office(viewer: &Viewer, org: Uuid) -> AppResult<()> {
    require(viewer.is_office() && viewer.organization_id == org)
}

async fn record(
    db: &impl ConnectionTrait,
    briefing: Uuid,
    action: &str,
    actor: Uuid,
    note: Option<String>,
) -> AppResult<()> {
    briefing_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        briefing_id: Set(briefing),
        action: Set(action.to_owned()),
        from_status: Set(None),
        to_status: Set(None),
        actor_id: Set(actor),
        at: Set(Utc::now()),
        note: Set(note),
    }
    .insert(db)
    .await?;
    Ok(())
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
        .map(|term| briefing_term::ActiveModel { term: Set(term), briefing_id: Set(b.id) })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        briefing_term::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// Makes the recipient rows match the briefing: its audience today when published (rows of
/// people who left the audience are kept, inactive, for their read history), all inactive
/// otherwise. Ordering keys are copied onto every row.
async fn sync_recipients(db: &impl ConnectionTrait, b: &briefing::Model) -> AppResult<()> {
    let live = b.status == BriefingStatus::Published;
    let published_at = b.published_at.unwrap_or(b.updated_at);
    briefing_recipient::Entity::update_many()
        .col_expr(briefing_recipient::Column::Active, Expr::value(false))
        .col_expr(briefing_recipient::Column::Pinned, Expr::value(b.pinned))
        .col_expr(briefing_recipient::Column::PublishedAt, Expr::value(published_at))
        .col_expr(briefing_recipient::Column::ExpiresAt, Expr::value(b.expires_at))
        .filter(briefing_recipient::Column::BriefingId.eq(b.id))
        .exec(db)
        .await?;
    if !live {
        return Ok(());
    }
    let wanted: HashSet<Uuid> =
        audience::resolve(db, b.organization_id, &Audience::from_json(&b.audience)).await?.into_iter().collect();
    let existing: HashSet<Uuid> = briefing_recipient::Entity::find()
        .select_only()
        .column(briefing_recipient::Column::UserId)
        .filter(briefing_recipient::Column::BriefingId.eq(b.id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let keep: Vec<Uuid> = wanted.intersection(&existing).copied().collect();
    for chunk in keep.chunks(CHUNK) {
        briefing_recipient::Entity::update_many()
            .col_expr(briefing_recipient::Column::Active, Expr::value(true))
            .filter(briefing_recipient::Column::BriefingId.eq(b.id))
            .filter(briefing_recipient::Column::UserId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    let new: Vec<briefing_recipient::ActiveModel> =
        wanted.difference(&existing).map(|user| recipient_row(b, *user, published_at)).collect();
    for chunk in new.chunks(CHUNK) {
        briefing_recipient::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

fn recipient_row(b: &briefing::Model, user: Uuid, published_at: DateTime<Utc>) -> briefing_recipient::ActiveModel {
    briefing_recipient::ActiveModel {
        briefing_id: Set(b.id),
        user_id: Set(user),
        organization_id: Set(b.organization_id),
        active: Set(true),
        pinned: Set(b.pinned),
        published_at: Set(published_at),
        expires_at: Set(b.expires_at),
        read_at: Set(None),
    }
}

pub async fn create(db: &DatabaseConnection, viewer: &Viewer, fields: BriefingFields) -> AppResult<briefing::Model> {
    require(viewer.is_office())?;
    let org = viewer.organization_id;
    if fields.title.is_none() {
        return Err(AppError::bad_input("title", "不能为空"));
    }
    if fields.source.is_none() {
        return Err(AppError::bad_input("source", "不能为空"));
    }
    if let Some(a) = &fields.audience {
        audience::validate(db, org, a).await?;
    }
    let now = Utc::now().trunc_subsecs(6);
    let mut am = briefing::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        title: Set(String::new()),
        summary: Set(String::new()),
        body: Set(String::new()),
        source: Set(String::new()),
        category: Set("综合".into()),
        briefed_at: Set(None),
        pinned: Set(false),
        confidential: Set(false),
        expires_at: Set(None),
        status: Set(BriefingStatus::Draft),
        version: Set(0),
        audience: Set(Audience::default().to_json()),
        attachment_count: Set(0),
        created_by: Set(viewer.user_id),
        created_at: Set(now),
        updated_by: Set(viewer.user_id),
        updated_at: Set(now),
        published_at: Set(None),
    };
    let attachments = apply(&mut am, fields)?;
    let txn = db.begin().await?;
    let created = am.insert(&txn).await?;
    if let Some(list) = attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Briefing, created.id, &list).await?;
    }
    index_terms(&txn, &created).await?;
    record(&txn, created.id, "CREATED", viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(created)
}

/// Finds a briefing the viewer manages.
async fn managed(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<briefing::Model> {
    let found = briefing::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if found.organization_id != viewer.organization_id {
        return Err(AppError::not_found(NOT_FOUND));
    }
    require_office(viewer, found.organization_id)?;
    Ok(found)
}

fn screen(b: &briefing::Model) -> AppResult<()> {
    content_safety::check(&[("title", &b.title), ("summary", &b.summary), ("body", &b.body)])
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    fields: BriefingFields,
) -> AppResult<briefing::Model> {
    let found = managed(db, viewer, id).await?;
    if let Some(a) = &fields.audience {
        audience::validate(db, found.organization_id, a).await?;
    }
    let mut am: briefing::ActiveModel = found.into();
    let attachments = apply(&mut am, fields)?;
    am.updated_by = Set(viewer.user_id);
    am.updated_at = Set(Utc::now().trunc_subsecs(6));
    let txn = db.begin().await?;
    let updated = am.update(&txn).await?;
    if updated.status == BriefingStatus::Published {
        // What members already see must stay clean.
        screen(&updated)?;
        check_publishable(&updated)?;
    }
    if let Some(list) = attachments {
        attachments::set_for(&txn, viewer, AttachmentPurpose::Briefing, updated.id, &list).await?;
    }
    index_terms(&txn, &updated).await?;
    sync_recipients(&txn, &updated).await?;
    record(&txn, updated.id, "UPDATED", viewer.user_id, None).await?;
    txn.commit().await?;
    Ok(updated)
}

fn check_publishable(b: &briefing::Model) -> AppResult<()> {
    if b.body.trim().is_empty() {
        return Err(AppError::bad_input("body", "正文不能为空"));
    }
    if Audience::from_json(&b.audience).is_empty() {
        return Err(AppError::bad_input("audience", "请选择通报对象"));
    }
    if b.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::bad_input("expiresAt", "过期时间已过"));
    }
    Ok(())
}

pub async fn publish(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<briefing::Model> {
    let found = managed(db, viewer, id).await?;
    if found.status == BriefingStatus::Published {
        return Err(AppError::Conflict { field: None, message: "该通报已发布".into() });
    }
    check_publishable(&found)?;
    screen(&found)?;
    let audience_now = audience::resolve(db, found.organization_id, &Audience::from_json(&found.audience)).await?;
    if audience_now.is_empty() {
        return Err(AppError::bad_input("audience", "通报对象中还没有人"));
    }
    let now = Utc::now().trunc_subsecs(6);
    let first_time = found.published_at.is_none();
    let mut am: briefing::ActiveModel = found.into();
    am.status = Set(BriefingStatus::Published);
    if first_time {
        am.published_at = Set(Some(now));
    }
    am.updated_by = Set(viewer.user_id);
    am.updated_at = Set(now);
    let txn = db.begin().await?;
    let published = am.update(&txn).await?;
    sync_recipients(&txn, &published).await?;
    record(&txn, published.id, "PUBLISHED", viewer.user_id, Some(format!("{}人", audience_now.len()))).await?;
    txn.commit().await?;
    Ok(published)
}

pub async fn withdraw(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    reason: Option<String>,
) -> AppResult<briefing::Model> {
    let found = managed(db, viewer, id).await?;
    if found.status != BriefingStatus::Published {
        return Err(AppError::Conflict { field: None, message: "只有已发布的通报可以撤回".into() });
    }
    let mut am: briefing::ActiveModel = found.into();
    am.status = Set(BriefingStatus::Withdrawn);
    am.updated_by = Set(viewer.user_id);
    am.updated_at = Set(Utc::now().trunc_subsecs(6));
    let txn = db.begin().await?;
    let withdrawn = am.update(&txn).await?;
    sync_recipients(&txn, &withdrawn).await?;
    let reason = reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    record(&txn, withdrawn.id, "WITHDRAWN", viewer.user_id, reason).await?;
    txn.commit().await?;
    Ok(withdrawn)
}

pub async fn delete(db: &DatabaseConnection, viewer: &Viewer, id: Uuid) -> AppResult<Uuid> {
    let found = managed(db, viewer, id).await?;
    if found.status != BriefingStatus::Draft {
        return Err(AppError::Conflict {
            field: None, message: "只能删除草稿；已发布的通报请撤回".into()
        });
    }
    let txn = db.begin().await?;
    attachments::release_all(&txn, found.id).await?;
    briefing::Entity::delete_by_id(found.id).exec(&txn).await?;
    txn.commit().await?;
    tracing::info!(briefing = %found.id, by = %viewer.user_id, "draft briefing deleted");
    Ok(found.id)
}

/// A briefing as one viewer may see it, with their receipt when they are in its audience.
/// Outside the audience it does not exist (`NOT_FOUND`), so that its existence does not leak.
pub async fn visible(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(briefing::Model, Option<briefing_recipient::Model>)> {
    let found = briefing::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if found.organization_id != viewer.organization_id {
        return Err(AppError::not_found(NOT_FOUND));
    }
    let receipt = briefing_recipient::Entity::find_by_id((id, viewer.user_id)).one(db).await?;
    if viewer.is_office() {
        return Ok((found, receipt));
    }
    match receipt {
        Some(r) if r.active && r.expires_at.is_none_or(|at| at > Utc::now()) => Ok((found, Some(r))),
        _ => Err(AppError::not_found(NOT_FOUND)),
    }
}

/// Attachments of a briefing are read by its audience and its office.
pub struct BriefingAttachments;

impl crate::attachments::owners::OwnerRule for BriefingAttachments {
    fn readable<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        viewer: &'a Viewer,
        owner: Uuid,
    ) -> futures_util::future::BoxFuture<'a, AppResult<()>> {
        Box::pin(async move { visible(db, viewer, owner).await.map(drop) })
    }
}

/// Marks read once; the first read time stays.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<(briefing::Model, briefing_recipient::Model)> {
    let (found, receipt) = visible(db, viewer, id).await?;
    let receipt = receipt.filter(|r| r.active).ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    if receipt.read_at.is_some() {
        return Ok((found, receipt));
    }
    let now = Utc::now().trunc_subsecs(6);
    briefing_recipient::Entity::update_many()
        .col_expr(briefing_recipient::Column::ReadAt, Expr::value(now))
        .filter(briefing_recipient::Column::BriefingId.eq(id))
        .filter(briefing_recipient::Column::UserId.eq(viewer.user_id))
        .filter(briefing_recipient::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    let receipt = briefing_recipient::Entity::find_by_id((id, viewer.user_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(NOT_FOUND))?;
    Ok((found, receipt))
}

/// The viewer's live rows: active, not expired, in their current organization.
fn live_rows(viewer: &Viewer) -> Condition {
    Condition::all()
        .add(briefing_recipient::Column::UserId.eq(viewer.user_id))
        .add(briefing_recipient::Column::OrganizationId.eq(viewer.organization_id))
        .add(briefing_recipient::Column::Active.eq(true))
        .add(
            Condition::any()
                .add(briefing_recipient::Column::ExpiresAt.is_null())
                .add(briefing_recipient::Column::ExpiresAt.gt(Utc::now())),
        )
}

/// The badge. Written to match the partial index `ix_briefing_recipient_unread` (`WHERE
/// active AND read_at IS NULL`): the predicate is spelled as in the index, not with a bound
/// `active = $1`, so that both databases can prove the index applies.
pub async fn unread_count(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<u64> {
    Ok(briefing_recipient::Entity::find()
        .filter(briefing_recipient::Column::UserId.eq(viewer.user_id))
        .filter(briefing_recipient::Column::OrganizationId.eq(viewer.organization_id))
        .filter(Expr::col(briefing_recipient::Column::Active))
        .filter(briefing_recipient::Column::ReadAt.is_null())
        .filter(
            Condition::any()
                .add(briefing_recipient::Column::ExpiresAt.is_null())
                .add(briefing_recipient::Column::ExpiresAt.gt(Utc::now())),
        )
        .count(db)
        .await?)
}

#[derive(Debug, Default)]
pub struct FeedFilter {
    pub unread_only: bool,
    pub category: Option<String>,
    pub source: Option<String>,
    pub search: Option<String>,
}

/// Position in the feed: pinned first, then newest, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursor {
    pub pinned: bool,
    pub published_at: DateTime<Utc>,
    pub id: Uuid,
}

impl FeedCursor {
    pub fn of(r: &briefing_recipient::Model) -> Self {
        Self { pinned: r.pinned, published_at: r.published_at, id: r.briefing_id }
    }

    pub fn encode(&self) -> String {
        let raw = format!("{}|{}|{}", u8::from(self.pinned), self.published_at.timestamp_micros(), self.id);
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(cursor: &str) -> AppResult<Self> {
        let bad = || AppError::bad_input("after", "分页游标无效");
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?).map_err(|_| bad())?;
        let mut parts = raw.splitn(3, '|');
        let pinned = parts.next() == Some("1");
        let micros: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let id: Uuid = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let published_at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
        Ok(Self { pinned, published_at, id })
    }

    /// Rows that come after this one in feed order.
    fn after(&self) -> Condition {
        use briefing_recipient::Column as C;
        Condition::any()
            .add(C::Pinned.lt(self.pinned))
            .add(Condition::all().add(C::Pinned.eq(self.pinned)).add(C::PublishedAt.lt(self.published_at)))
            .add(
                Condition::all()
                    .add(C::Pinned.eq(self.pinned))
                    .add(C::PublishedAt.eq(self.published_at))
                    .add(C::BriefingId.lt(self.id)),
            )
    }
}

/// Narrows the viewer's rows by briefing attributes, through subqueries on `briefing`.
fn feed_condition(viewer: &Viewer, filter: &FeedFilter) -> Condition {
    let mut cond = live_rows(viewer);
    if filter.unread_only {
        cond = cond.add(briefing_recipient::Column::ReadAt.is_null());
    }
    let mut on_briefing = Condition::all();
    let mut narrowed = false;
    if let Some(category) = filter.category.as_ref().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        on_briefing = on_briefing.add(briefing::Column::Category.eq(category));
        narrowed = true;
    }
    if let Some(source) = filter.source.as_ref().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        on_briefing = on_briefing.add(briefing::Column::Source.eq(source));
        narrowed = true;
    }
    if let Some(q) = filter.search.as_deref().map(search::normalize).filter(|q| !q.is_empty()) {
        let terms = search::query_terms(&q);
        if !terms.is_empty() {
            // Candidates from the bigram index: briefings holding every bigram of the query.
            let n = i64::try_from(terms.len()).unwrap_or(i64::MAX);
            let candidates = Query::select()
                .column(briefing_term::Column::BriefingId)
                .from(briefing_term::Entity)
                .and_where(briefing_term::Column::Term.is_in(terms))
                .group_by_col(briefing_term::Column::BriefingId)
                .and_having(Expr::col(briefing_term::Column::Term).count().eq(n))
                .to_owned();
            cond = cond.add(briefing_recipient::Column::BriefingId.in_subquery(candidates));
        }
        // …confirmed by the exact substring.
        let pattern = like_contains(&q);
        on_briefing = on_briefing.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(briefing::Column::Title))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(briefing::Column::Summary))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(briefing::Column::Body))).like(pattern)),
        );
        narrowed = true;
    }
    if narrowed {
        let ids =
            Query::select().column(briefing::Column::Id).from(briefing::Entity).cond_where(on_briefing).to_owned();
        cond = cond.add(briefing_recipient::Column::BriefingId.in_subquery(ids));
    }
    cond
}

pub struct FeedPage {
    pub rows: Vec<(briefing_recipient::Model, briefing::Model)>,
    pub has_next: bool,
}

/// One row of the feed query: a receipt and its briefing without the body (bodies can be
/// long and a feed shows none; `Briefing.body` loads it when asked).
#[derive(Debug, FromQueryResult)]
struct FeedRow {
    r_user_id: Uuid,
    r_active: bool,
    r_pinned: bool,
    r_published_at: DateTime<Utc>,
    r_expires_at: Option<DateTime<Utc>>,
    r_read_at: Option<DateTime<Utc>>,
    id: Uuid,
    organization_id: Uuid,
    title: String,
    summary: String,
    source: String,
    category: String,
    briefed_at: Option<NaiveDate>,
    pinned: bool,
    confidential: bool,
    expires_at: Option<DateTime<Utc>>,
    status: BriefingStatus,
    version: i32,
    audience: serde_json::Value,
    attachment_count: i32,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    updated_by: Uuid,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

impl FeedRow {
    fn split(self) -> (briefing_recipient::Model, briefing::Model) {
        let receipt = briefing_recipient::Model {
            briefing_id: self.id,
            user_id: self.r_user_id,
            organization_id: self.organization_id,
            active: self.r_active,
            pinned: self.r_pinned,
            published_at: self.r_published_at,
            expires_at: self.r_expires_at,
            read_at: self.r_read_at,
        };
        let briefing = briefing::Model {
            id: self.id,
            organization_id: self.organization_id,
            title: self.title,
            summary: self.summary,
            body: String::new(),
            source: self.source,
            category: self.category,
            briefed_at: self.briefed_at,
            pinned: self.pinned,
            confidential: self.confidential,
            expires_at: self.expires_at,
            status: self.status,
            version: self.version,
            audience: self.audience,
            attachment_count: self.attachment_count,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
            published_at: self.published_at,
        };
        (receipt, briefing)
    }
}

/// One page of the viewer's feed in one query: the viewer's receipts (an index range scan
/// in feed order) joined to their briefings by primary key. The briefings come without
/// their bodies.
pub async fn feed(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &FeedFilter,
    after: Option<FeedCursor>,
    limit: u64,
) -> AppResult<FeedPage> {
    let mut cond = feed_condition(viewer, filter);
    if let Some(c) = after {
        cond = cond.add(c.after());
    }
    use briefing::Column as B;
    use briefing_recipient::Column as R;
    let mut rows: Vec<FeedRow> = briefing_recipient::Entity::find()
        .select_only()
        .column_as(R::UserId, "r_user_id")
        .column_as(R::Active, "r_active")
        .column_as(R::Pinned, "r_pinned")
        .column_as(R::PublishedAt, "r_published_at")
        .column_as(R::ExpiresAt, "r_expires_at")
        .column_as(R::ReadAt, "r_read_at")
        .columns([B::Id, B::OrganizationId, B::Title, B::Summary, B::Source, B::Category, B::BriefedAt, B::Pinned])
        .columns([B::Confidential, B::ExpiresAt, B::Status, B::Version, B::Audience, B::AttachmentCount, B::CreatedBy])
        .columns([B::CreatedAt, B::UpdatedBy, B::UpdatedAt, B::PublishedAt])
        .join(JoinType::InnerJoin, briefing_recipient::Relation::Briefing.def())
        .filter(cond)
        .order_by_desc(R::Pinned)
        .order_by_desc(R::PublishedAt)
        .order_by_desc(R::BriefingId)
        .limit(limit + 1)
        .into_model::<FeedRow>()
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let rows = rows.into_iter().map(FeedRow::split).collect();
    Ok(FeedPage { rows, has_next })
}

pub async fn feed_total(db: &impl ConnectionTrait, viewer: &Viewer, filter: &FeedFilter) -> AppResult<u64> {
    Ok(briefing_recipient::Entity::find().filter(feed_condition(viewer, filter)).count(db).await?)
}

#[derive(Debug, Default)]
pub struct ManagedFilter {
    pub status: Option<BriefingStatus>,
    pub category: Option<String>,
    pub search: Option<String>,
}

/// The office's list of all briefings of its organization, newest first.
pub async fn managed_list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: &ManagedFilter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<briefing::Model>, u64)> {
    require(viewer.is_office())?;
    let mut cond = Condition::all().add(briefing::Column::OrganizationId.eq(viewer.organization_id));
    if let Some(status) = filter.status {
        cond = cond.add(briefing::Column::Status.eq(status));
    }
    if let Some(category) = filter.category.as_ref().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        cond = cond.add(briefing::Column::Category.eq(category));
    }
    if let Some(q) = filter.search.as_deref().map(search::normalize).filter(|q| !q.is_empty()) {
        cond = cond.add(Expr::expr(Func::lower(Expr::col(briefing::Column::Title))).like(like_contains(&q)));
    }
    paging::newest_first::<briefing::Entity>(db, cond, briefing::Column::Id, after, limit).await
}

pub struct ReadStats {
    pub audience_size: u64,
    pub read_count: u64,
}

/// The recipient rows that make up the audience: the current one while published; the
/// last one (every row ever made, read history included) once withdrawn.
fn audience_rows(b: &briefing::Model) -> Condition {
    let mut cond = Condition::all().add(briefing_recipient::Column::BriefingId.eq(b.id));
    if b.status == BriefingStatus::Published {
        cond = cond.add(briefing_recipient::Column::Active.eq(true));
    }
    cond
}

pub async fn read_stats(db: &impl ConnectionTrait, viewer: &Viewer, b: &briefing::Model) -> AppResult<ReadStats> {
    require_office(viewer, b.organization_id)?;
    let audience_size = briefing_recipient::Entity::find().filter(audience_rows(b)).count(db).await?;
    let read_count = briefing_recipient::Entity::find()
        .filter(audience_rows(b))
        .filter(briefing_recipient::Column::ReadAt.is_not_null())
        .count(db)
        .await?;
    Ok(ReadStats { audience_size, read_count })
}

/// Who in the audience has not read yet, by user id, after a cursor.
pub async fn not_yet_read(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    b: &briefing::Model,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<Uuid>, u64)> {
    require_office(viewer, b.organization_id)?;
    let cond = audience_rows(b).add(briefing_recipient::Column::ReadAt.is_null());
    let total = briefing_recipient::Entity::find().filter(cond.clone()).count(db).await?;
    let mut page = briefing_recipient::Entity::find().filter(cond);
    if let Some(after) = after {
        page = page.filter(briefing_recipient::Column::UserId.gt(after));
    }
    let ids = page
        .select_only()
        .column(briefing_recipient::Column::UserId)
        .order_by_asc(briefing_recipient::Column::UserId)
        .limit(limit + 1)
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    Ok((ids, total))
}

pub async fn history(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    b: &briefing::Model,
) -> AppResult<Vec<briefing_event::Model>> {
    require_office(viewer, b.organization_id)?;
    Ok(briefing_event::Entity::find()
        .filter(briefing_event::Column::BriefingId.eq(b.id))
        .order_by_asc(briefing_event::Column::At)
        .order_by_asc(briefing_event::Column::Id)
        .all(db)
        .await?)
}

/// After a membership was added or changed: the person receives the live briefings of
/// that organization whose audience now includes them.
pub async fn on_membership_changed(db: &impl ConnectionTrait, m: &membership::Model) -> AppResult<()> {
    let live = briefing::Entity::find()
        .filter(briefing::Column::OrganizationId.eq(m.organization_id))
        .filter(briefing::Column::Status.eq(BriefingStatus::Published))
        .filter(
            Condition::any().add(briefing::Column::ExpiresAt.is_null()).add(briefing::Column::ExpiresAt.gt(Utc::now())),
        )
        .all(db)
        .await?;
    let already: HashSet<Uuid> = briefing_recipient::Entity::find()
        .select_only()
        .column(briefing_recipient::Column::BriefingId)
        .filter(briefing_recipient::Column::UserId.eq(m.user_id))
        .filter(briefing_recipient::Column::OrganizationId.eq(m.organization_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let rows: Vec<briefing_recipient::ActiveModel> = live
        .iter()
        .filter(|b| !already.contains(&b.id) && Audience::from_json(&b.audience).includes(m))
        .map(|b| recipient_row(b, m.user_id, b.published_at.unwrap_or(b.updated_at)))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        briefing_recipient::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_cursor_round_trips() {
        let c = FeedCursor { pinned: true, published_at: Utc::now().trunc_subsecs(6), id: Uuid::now_v7() };
        assert_eq!(FeedCursor::decode(&c.encode()).ok(), Some(c));
        assert!(FeedCursor::decode("garbage").is_err());
    }
}
