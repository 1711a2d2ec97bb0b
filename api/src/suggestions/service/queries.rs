//! What people read: a member's own pieces, the office's list and its bulletin issues, and
//! a piece's parts (authors, the timeline, the bulletin item that carried it).
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, Func, Query},
};
use uuid::Uuid;

use crate::{
    auth::principal::Principal,
    calendar::year_range,
    error::AppResult,
    paging,
    sql::like_contains,
    suggestions::policy::{self, issue_not_found},
};
use entity::{
    OrganizationLevel, SuggestionStatus, bulletin_issue, bulletin_item, suggestion, suggestion_adoption,
    suggestion_author,
};

/// A piece's authors (user ids), submitter first.
pub async fn authors(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(suggestion_author::Entity::find()
        .filter(suggestion_author::Column::SuggestionId.eq(id))
        .order_by_asc(suggestion_author::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// The viewer's own pieces (submitted or co-authored), newest first.
pub async fn mine(
    db: &impl ConnectionTrait,
    who: &Principal,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<suggestion::Model>, u64)> {
    let authored = Query::select()
        .column(suggestion_author::Column::SuggestionId)
        .from(suggestion_author::Entity)
        .and_where(suggestion_author::Column::UserId.eq(who.user_id))
        .to_owned();
    let cond = Condition::all()
        .add(suggestion::Column::Id.in_subquery(authored))
        .add(suggestion::Column::OrganizationId.eq(who.organization_id));
    paging::newest_first::<suggestion::Entity>(db, cond, suggestion::Column::Id, after, limit).await
}

#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<SuggestionStatus>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub search: Option<String>,
    pub adopted_level: Option<OrganizationLevel>,
    /// Only pieces reported from below (true) or only the organization's own (false).
    pub incoming: Option<bool>,
}

/// The office's list of its organization's pieces, incoming ones included, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    who: &Principal,
    f: &Filter,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<suggestion::Model>, u64)> {
    policy::office(who)?;
    let mut cond = Condition::all().add(suggestion::Column::OrganizationId.eq(who.organization_id));
    if let Some(s) = f.status {
        cond = cond.add(suggestion::Column::Status.eq(s));
    }
    if let Some(c) = f.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        cond = cond.add(suggestion::Column::Category.eq(c));
    }
    if let Some(year) = f.year {
        let (from, to) = year_range(year)?;
        cond = cond.add(suggestion::Column::SubmittedAt.gte(from)).add(suggestion::Column::SubmittedAt.lt(to));
    }
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_contains(&q.to_lowercase());
        cond = cond.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(suggestion::Column::Title))).like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(suggestion::Column::Content))).like(pattern)),
        );
    }
    if let Some(level) = f.adopted_level {
        let adopted = Query::select()
            .column(suggestion_adoption::Column::SuggestionId)
            .from(suggestion_adoption::Entity)
            .and_where(suggestion_adoption::Column::Level.eq(level))
            .to_owned();
        cond = cond.add(suggestion::Column::Id.in_subquery(adopted));
    }
    match f.incoming {
        Some(true) => cond = cond.add(suggestion::Column::SourceSuggestionId.is_not_null()),
        Some(false) => cond = cond.add(suggestion::Column::SourceSuggestionId.is_null()),
        None => {}
    }
    paging::newest_first::<suggestion::Entity>(db, cond, suggestion::Column::Id, after, limit).await
}

/// The office's issues, newest first.
pub async fn bulletins(
    db: &impl ConnectionTrait,
    who: &Principal,
    year: Option<i32>,
) -> AppResult<Vec<bulletin_issue::Model>> {
    policy::office(who)?;
    let mut q = bulletin_issue::Entity::find().filter(bulletin_issue::Column::OrganizationId.eq(who.organization_id));
    if let Some(y) = year {
        q = q.filter(bulletin_issue::Column::Year.eq(y));
    }
    Ok(q.order_by_desc(bulletin_issue::Column::Year).order_by_desc(bulletin_issue::Column::Number).all(db).await?)
}

pub async fn bulletin_items(db: &impl ConnectionTrait, issue: Uuid) -> AppResult<Vec<bulletin_item::Model>> {
    Ok(bulletin_item::Entity::find()
        .filter(bulletin_item::Column::IssueId.eq(issue))
        .order_by_asc(bulletin_item::Column::Position)
        .order_by_asc(bulletin_item::Column::SuggestionId)
        .all(db)
        .await?)
}

/// One piece of an issue with its edited text.
pub struct IssueItem {
    pub item: bulletin_item::Model,
    pub suggestion: suggestion::Model,
}

/// An issue's pieces in order, for its office (two queries, whatever the issue's size).
pub async fn issue_items(
    db: &impl ConnectionTrait,
    who: &Principal,
    issue: &bulletin_issue::Model,
) -> AppResult<Vec<IssueItem>> {
    policy::issue_as_office(who, issue)?;
    let items = bulletin_items(db, issue.id).await?;
    let ids: Vec<Uuid> = items.iter().map(|i| i.suggestion_id).collect();
    let mut pieces: HashMap<Uuid, suggestion::Model> = suggestion::Entity::find()
        .filter(suggestion::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let suggestion = pieces.remove(&item.suggestion_id).ok_or_else(issue_not_found)?;
        policy::as_office(who, &suggestion)?;
        out.push(IssueItem { item, suggestion });
    }
    Ok(out)
}

/// The bulletin item that carried a piece, with its issue.
pub async fn bulletin_of(
    db: &impl ConnectionTrait,
    suggestion: Uuid,
) -> AppResult<Option<(bulletin_item::Model, bulletin_issue::Model)>> {
    let Some(item) =
        bulletin_item::Entity::find().filter(bulletin_item::Column::SuggestionId.eq(suggestion)).one(db).await?
    else {
        return Ok(None);
    };
    let issue = bulletin_issue::Entity::find_by_id(item.issue_id).one(db).await?;
    Ok(issue.map(|i| (item, i)))
}
