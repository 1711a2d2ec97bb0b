//! What members do: their feed (pinned first, then newest), the unread badge, and marking
//! a briefing read. The feed and the badge are the hot paths: each is one statement over
//! the person's own recipient rows, on the indexes made for them.
use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{
    auth::{Viewer, principal::Principal},
    briefings::{
        kept::{BadgeCache, FeedCache, FeedKey},
        policy::{self, not_found},
        search,
    },
    error::{AppError, AppResult},
    sql::like_contains,
};
use entity::{BriefingStatus, briefing, briefing_recipient, briefing_term};

/// Marks read once; the first read time stays. Only a live receipt is marked: a person
/// who left the audience meanwhile gets `NOT_FOUND`, like anyone outside it.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    who: &Principal,
    id: Uuid,
) -> AppResult<(briefing::Model, briefing_recipient::Model)> {
    let (found, receipt) = policy::visible(db, who, id).await?;
    let receipt = receipt.filter(|r| r.active).ok_or_else(not_found)?;
    if receipt.read_at.is_some() {
        return Ok((found, receipt));
    }
    let now = Utc::now().trunc_subsecs(6);
    briefing_recipient::Entity::update_many()
        .col_expr(briefing_recipient::Column::ReadAt, Expr::value(now))
        .filter(briefing_recipient::Column::BriefingId.eq(id))
        .filter(briefing_recipient::Column::UserId.eq(who.user_id))
        .filter(briefing_recipient::Column::Active.eq(true))
        .filter(briefing_recipient::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    let receipt = briefing_recipient::Entity::find_by_id((id, who.user_id))
        .one(db)
        .await?
        .filter(|r| r.active)
        .ok_or_else(not_found)?;
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

/// When the badge (`unread`) or the feed next changes by itself: the earliest future expiry
/// among the viewer's live receipts, unread ones only for the badge (on the partial index
/// of the count).
async fn next_expiry(db: &impl ConnectionTrait, viewer: &Viewer, unread: bool) -> AppResult<Option<DateTime<Utc>>> {
    use briefing_recipient::Column as R;
    let mut rows = briefing_recipient::Entity::find()
        .select_only()
        .column(R::ExpiresAt)
        .filter(R::UserId.eq(viewer.user_id))
        .filter(R::OrganizationId.eq(viewer.organization_id))
        .filter(Expr::col(R::Active));
    if unread {
        rows = rows.filter(R::ReadAt.is_null());
    }
    Ok(rows
        .filter(R::ExpiresAt.gt(Utc::now()))
        .order_by_asc(R::ExpiresAt)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(db)
        .await?
        .flatten())
}

/// The badge as the process keeps it (`briefings::badge`): read from the database only when
/// it is not kept, or something behind it moved.
pub async fn unread_count_kept(db: &impl ConnectionTrait, badges: &BadgeCache, viewer: &Viewer) -> AppResult<u64> {
    let (user, org) = (viewer.user_id, viewer.organization_id);
    let ticket = match badges.get(user, org, &(), Utc::now()) {
        Ok(count) => return Ok(count),
        Err(ticket) => ticket,
    };
    let count = unread_count(db, viewer).await?;
    if let Some(ticket) = ticket {
        let until = next_expiry(db, viewer, true).await?;
        badges.put(ticket, user, org, (), count, until);
    }
    Ok(count)
}

/// The first page of the viewer's feed (no cursor; no filter but "unread only") as the
/// process keeps it (`briefings::kept`): read from the database only when it is not kept,
/// or something behind it moved.
pub async fn first_page_kept(
    db: &impl ConnectionTrait,
    feeds: &FeedCache,
    viewer: &Viewer,
    unread_only: bool,
    limit: u64,
) -> AppResult<Arc<FeedPage>> {
    let (user, org, what): (_, _, FeedKey) = (viewer.user_id, viewer.organization_id, (limit, unread_only));
    let ticket = match feeds.get(user, org, &what, Utc::now()) {
        Ok(page) => return Ok(page),
        Err(ticket) => ticket,
    };
    let filter = FeedFilter { unread_only, ..FeedFilter::default() };
    let page = Arc::new(feed(db, viewer, &filter, None, limit).await?);
    if let Some(ticket) = ticket {
        let until = next_expiry(db, viewer, unread_only).await?;
        feeds.put(ticket, user, org, what, page.clone(), until);
    }
    Ok(page)
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

#[derive(Debug, Clone)]
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
