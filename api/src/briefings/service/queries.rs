//! What the office looks at: its list of briefings, who has read one, and its history.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    auth::principal::Principal,
    briefings::{policy::require_office, search},
    error::AppResult,
    organizations::access::require,
    paging,
    sql::like_contains,
};
use entity::{BriefingStatus, briefing, briefing_event, briefing_recipient};

#[derive(Debug, Default)]
pub struct ManagedFilter {
    pub status: Option<BriefingStatus>,
    pub category: Option<String>,
    pub search: Option<String>,
}

/// The office's list of all briefings of its organization, newest first.
pub async fn managed_list(
    db: &impl ConnectionTrait,
    who: &Principal,
    filter: &ManagedFilter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<briefing::Model>, u64)> {
    require(who.is_office())?;
    let mut cond = Condition::all().add(briefing::Column::OrganizationId.eq(who.organization_id));
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

pub async fn read_stats(db: &impl ConnectionTrait, who: &Principal, b: &briefing::Model) -> AppResult<ReadStats> {
    require_office(who, b.organization_id)?;
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
    who: &Principal,
    b: &briefing::Model,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<Uuid>, u64)> {
    require_office(who, b.organization_id)?;
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
    who: &Principal,
    b: &briefing::Model,
) -> AppResult<Vec<briefing_event::Model>> {
    require_office(who, b.organization_id)?;
    Ok(briefing_event::Entity::find()
        .filter(briefing_event::Column::BriefingId.eq(b.id))
        .order_by_asc(briefing_event::Column::At)
        .order_by_asc(briefing_event::Column::Id)
        .all(db)
        .await?)
}
