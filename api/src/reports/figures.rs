//! The figures of a year, each one an SQL aggregate (`COUNT`, `SUM(CASE …)` as the portable
//! `FILTER`, `GROUP BY`) over the business dates of the facts in China time — never
//! `created_at` and never rows loaded to be counted here.
//!
//! What counts where:
//! - proposals: the year's proposals are those first submitted in it (`submitted_at`); of
//!   them, not registered (rejected), merged, withdrawn, by kind and category, key, the reply
//!   outcomes (the lead units' replies of the current round) and the satisfaction rate (each
//!   proposal's latest evaluation). `registered` counts by `registered_at`, `resultsPublished`
//!   by `result_published_at`.
//! - upper sessions: sessions of the organizations above that start in the year; `members`
//!   are people holding a membership here who submitted to the session.
//! - suggestions: received by `submitted_at`, accepted by `accepted_at`, bulletin issues by
//!   `published_at`, reported by `reported_at` (each piece once), adopted per level in the
//!   year of the piece's first adoption at that level, instructions by `adopted_at`.
//! - visits: those that took place (COMPLETED, as `visitStats` counts them: a cancelled one
//!   or one still planned is no batch), by the China date of `starts_at`; person-times are
//!   the participants marked attended plus the visit's `guest_count` (guests not in the
//!   system, the size of an inbound delegation); members, each attendee once.
//! - briefings: published ones (not withdrawn) by `published_at`; the read rate is the mean
//!   over those briefings of read / active recipients.
use chrono::NaiveDate;
use sea_orm::{
    ActiveEnum, ConnectionTrait, QueryResult,
    sea_query::{Alias, Cond, Expr, ExprTrait, Func, IntoIden, JoinType, Order, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{calendar, error::AppError, error::AppResult};
use entity::{
    AssignmentRole, BriefingStatus, CommendationSubjectKind, OrganizationLevel, ProposalKind, ProposalStatus,
    ReplyOutcome, Satisfaction, VisitKind, VisitStatus, briefing, briefing_recipient, bulletin_issue, commendation,
    membership, organization, plenary_session, proposal, proposal_assignment, proposal_evaluation, proposal_reply,
    special_committee, suggestion, suggestion_adoption, suggestion_report, user, visit, visit_participant,
};

#[derive(Debug, Clone, Default)]
pub struct ProposalFigures {
    pub submitted: u64,
    pub registered: u64,
    pub not_registered: u64,
    pub merged: u64,
    pub withdrawn: u64,
    pub by_kind: Vec<(ProposalKind, u64)>,
    pub by_category: Vec<(String, u64)>,
    pub reply_outcomes: Vec<(ReplyOutcome, u64)>,
    pub evaluated: u64,
    /// 满意率: satisfied or basically satisfied over evaluated; 0 when none was evaluated.
    pub satisfaction_rate: f64,
    pub results_published: u64,
    pub key: u64,
    pub key_proposals: Vec<KeyProposal>,
}

#[derive(Debug, Clone)]
pub struct KeyProposal {
    pub id: Uuid,
    pub title: String,
    pub lead_official: Option<String>,
    pub supervisor: Option<String>,
    pub promoting_committee: Option<String>,
    pub evaluated: bool,
    pub published: bool,
}

#[derive(Debug, Clone)]
pub struct UpperSession {
    pub session: plenary_session::Model,
    pub organization_name: String,
    pub members: u64,
    pub submitted: u64,
    pub registered: u64,
}

#[derive(Debug, Clone, Default)]
pub struct SuggestionFigures {
    pub received: u64,
    pub accepted: u64,
    pub bulletins_published: u64,
    pub reported: u64,
    pub adopted_by_level: Vec<(OrganizationLevel, u64)>,
    pub instructions: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitCounts {
    pub batches: u64,
    pub person_times: u64,
    pub members: u64,
}

#[derive(Debug, Clone, Default)]
pub struct VisitFigures {
    pub by_kind: Vec<(VisitKind, VisitCounts)>,
    pub total: VisitCounts,
    /// Inbound delegations per region of origin ("" when not recorded): batches, person-times.
    pub inbound_regions: Vec<(String, u64, u64)>,
}

#[derive(Debug, Clone, Default)]
pub struct BriefingFigures {
    pub published: u64,
    pub by_source: Vec<(String, u64)>,
    pub average_read_rate: f64,
}

#[derive(Debug, Clone)]
pub struct Figures {
    pub proposals: ProposalFigures,
    pub upper_sessions: Vec<UpperSession>,
    pub suggestions: SuggestionFigures,
    pub visits: VisitFigures,
    pub briefings: BriefingFigures,
    pub commendations: Vec<(CommendationSubjectKind, u64)>,
}

/// The China calendar year as instants `[from, to)` and as dates `[first, next)`.
#[derive(Clone, Copy)]
struct Year {
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    first: NaiveDate,
    next: NaiveDate,
}

impl Year {
    fn of(year: i32) -> AppResult<Self> {
        let (from, to) = calendar::year_range(year)?;
        let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| AppError::bad_input("year", "年份不正确"));
        Ok(Self { from, to, first: day(year)?, next: day(year + 1)? })
    }

    /// `col` (a timestamp) falls in the year.
    fn holds(&self, col: Expr) -> Cond {
        Cond::all().add(col.clone().gte(self.from)).add(col.lt(self.to))
    }

    /// `col` (a date) falls in the year.
    fn holds_date(&self, col: Expr) -> Cond {
        Cond::all().add(col.clone().gte(self.first)).add(col.lt(self.next))
    }
}

fn col(table: impl IntoIden, column: impl IntoIden) -> Expr {
    Expr::col((table, column))
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)`: `COUNT(*) FILTER (WHERE cond)` on both databases.
fn count_if(cond: impl Into<Cond>) -> Expr {
    Func::sum(Expr::case(cond.into(), 1).finally(0)).into()
}

fn count_all() -> Expr {
    Func::count(Expr::cust("*")).into()
}

async fn rows(db: &impl ConnectionTrait, q: &SelectStatement) -> AppResult<Vec<QueryResult>> {
    Ok(db.query_all_raw(db.get_database_backend().build(q)).await?)
}

async fn one(db: &impl ConnectionTrait, q: &SelectStatement) -> AppResult<Option<QueryResult>> {
    Ok(rows(db, q).await?.into_iter().next())
}

/// An integer aggregate; `SUM` over no rows is NULL, read as 0.
fn n(row: &QueryResult, name: &str) -> AppResult<u64> {
    let v: Option<i64> = row.try_get("", name)?;
    Ok(u64::try_from(v.unwrap_or(0)).unwrap_or(0))
}

async fn count(db: &impl ConnectionTrait, q: &SelectStatement) -> AppResult<u64> {
    match one(db, q).await? {
        Some(row) => n(&row, "n"),
        None => Ok(0),
    }
}

/// Rows of `(key, n)`: a `GROUP BY` with its key read as the enum's stored value.
async fn tally<T: ActiveEnum<Value = String>>(
    db: &impl ConnectionTrait,
    q: &SelectStatement,
) -> AppResult<Vec<(T, u64)>> {
    let mut out = Vec::new();
    for row in rows(db, q).await? {
        let key: String = row.try_get("", "k")?;
        let key = T::try_from_value(&key).map_err(|e| AppError::internal(format!("{key}: {e}")))?;
        out.push((key, n(&row, "n")?));
    }
    Ok(out)
}

async fn text_tally(db: &impl ConnectionTrait, q: &SelectStatement) -> AppResult<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for row in rows(db, q).await? {
        let key: Option<String> = row.try_get("", "k")?;
        out.push((key.unwrap_or_default(), n(&row, "n")?));
    }
    Ok(out)
}

pub async fn compute(db: &impl ConnectionTrait, org: &organization::Model, year: i32) -> AppResult<Figures> {
    let y = Year::of(year)?;
    Ok(Figures {
        proposals: proposals(db, org.id, y).await?,
        upper_sessions: upper_sessions(db, org, y).await?,
        suggestions: suggestions(db, org.id, y).await?,
        visits: visits(db, org.id, y).await?,
        briefings: briefings(db, org.id, y).await?,
        commendations: commendations(db, org.id, year).await?,
    })
}

/// The proposals first submitted in the year (the year's proposals).
fn cohort(org: Uuid, y: Year) -> Cond {
    Cond::all()
        .add(col(proposal::Entity, proposal::Column::OrganizationId).eq(org))
        .add(y.holds(col(proposal::Entity, proposal::Column::SubmittedAt)))
}

async fn proposals(db: &impl ConnectionTrait, org: Uuid, y: Year) -> AppResult<ProposalFigures> {
    let status = || col(proposal::Entity, proposal::Column::Status);
    let totals = Query::select()
        .expr_as(count_all(), "submitted")
        .expr_as(count_if(status().eq(ProposalStatus::Rejected)), "not_registered")
        .expr_as(count_if(status().eq(ProposalStatus::Merged)), "merged")
        .expr_as(count_if(status().eq(ProposalStatus::Withdrawn)), "withdrawn")
        .expr_as(count_if(col(proposal::Entity, proposal::Column::IsKey).eq(true)), "key")
        .from(proposal::Entity)
        .cond_where(cohort(org, y))
        .to_owned();
    let mut f = ProposalFigures::default();
    if let Some(row) = one(db, &totals).await? {
        f.submitted = n(&row, "submitted")?;
        f.not_registered = n(&row, "not_registered")?;
        f.merged = n(&row, "merged")?;
        f.withdrawn = n(&row, "withdrawn")?;
        f.key = n(&row, "key")?;
    }
    let own = || col(proposal::Entity, proposal::Column::OrganizationId).eq(org);
    let by_date = |c: proposal::Column| {
        Query::select()
            .expr_as(count_all(), "n")
            .from(proposal::Entity)
            .cond_where(Cond::all().add(own()).add(y.holds(col(proposal::Entity, c))))
            .to_owned()
    };
    f.registered = count(db, &by_date(proposal::Column::RegisteredAt)).await?;
    f.results_published = count(db, &by_date(proposal::Column::ResultPublishedAt)).await?;
    let grouped = |c: proposal::Column| {
        Query::select()
            .expr_as(col(proposal::Entity, c), "k")
            .expr_as(count_all(), "n")
            .from(proposal::Entity)
            .cond_where(cohort(org, y))
            .group_by_col((proposal::Entity, c))
            .order_by_expr(count_all(), Order::Desc)
            .order_by((proposal::Entity, c), Order::Asc)
            .to_owned()
    };
    f.by_kind = tally(db, &grouped(proposal::Column::Kind)).await?;
    f.by_kind.sort_by_key(|(k, _)| *k as u8);
    f.by_category = text_tally(db, &grouped(proposal::Column::Category)).await?;

    // The outcome a proposal got is its lead units' answer in its current round.
    let outcomes = Query::select()
        .expr_as(col(proposal_reply::Entity, proposal_reply::Column::Outcome), "k")
        .expr_as(count_all(), "n")
        .from(proposal_reply::Entity)
        .inner_join(
            proposal::Entity,
            Cond::all()
                .add(
                    col(proposal::Entity, proposal::Column::Id)
                        .equals((proposal_reply::Entity, proposal_reply::Column::ProposalId)),
                )
                .add(
                    col(proposal::Entity, proposal::Column::Round)
                        .equals((proposal_reply::Entity, proposal_reply::Column::Round)),
                ),
        )
        .inner_join(
            proposal_assignment::Entity,
            col(proposal_assignment::Entity, proposal_assignment::Column::Id)
                .equals((proposal_reply::Entity, proposal_reply::Column::AssignmentId)),
        )
        .cond_where(
            cohort(org, y)
                .add(col(proposal_assignment::Entity, proposal_assignment::Column::Role).eq(AssignmentRole::Lead)),
        )
        .group_by_col((proposal_reply::Entity, proposal_reply::Column::Outcome))
        .order_by((proposal_reply::Entity, proposal_reply::Column::Outcome), Order::Asc)
        .to_owned();
    f.reply_outcomes = tally(db, &outcomes).await?;

    // Each proposal's latest evaluation: none with a later round exists.
    let later = Alias::new("later");
    let later_round = Query::select()
        .expr(Expr::val(1))
        .from_as(proposal_evaluation::Entity, later.clone())
        .and_where(
            Expr::col((later.clone(), proposal_evaluation::Column::ProposalId))
                .equals((proposal_evaluation::Entity, proposal_evaluation::Column::ProposalId)),
        )
        .and_where(
            Expr::col((later, proposal_evaluation::Column::Round))
                .gt(col(proposal_evaluation::Entity, proposal_evaluation::Column::Round)),
        )
        .to_owned();
    let satisfied = col(proposal_evaluation::Entity, proposal_evaluation::Column::Satisfaction)
        .is_in([Satisfaction::Satisfied, Satisfaction::BasicallySatisfied]);
    let evaluations = Query::select()
        .expr_as(count_all(), "evaluated")
        .expr_as(count_if(satisfied), "satisfied")
        .from(proposal_evaluation::Entity)
        .inner_join(
            proposal::Entity,
            col(proposal::Entity, proposal::Column::Id)
                .equals((proposal_evaluation::Entity, proposal_evaluation::Column::ProposalId)),
        )
        .cond_where(cohort(org, y).add(Expr::exists(later_round).not()))
        .to_owned();
    if let Some(row) = one(db, &evaluations).await? {
        f.evaluated = n(&row, "evaluated")?;
        let content = n(&row, "satisfied")?;
        f.satisfaction_rate = if f.evaluated == 0 { 0.0 } else { content as f64 / f.evaluated as f64 };
    }
    f.key_proposals = key_proposals(db, org, y).await?;
    Ok(f)
}

/// The year's key proposals with the people and committee promoting them. A list, not a
/// figure: a committee chooses a handful a year.
async fn key_proposals(db: &impl ConnectionTrait, org: Uuid, y: Year) -> AppResult<Vec<KeyProposal>> {
    let evaluated = Query::select()
        .expr(Expr::val(1))
        .from(proposal_evaluation::Entity)
        .and_where(
            col(proposal_evaluation::Entity, proposal_evaluation::Column::ProposalId)
                .equals((proposal::Entity, proposal::Column::Id)),
        )
        .to_owned();
    let q = Query::select()
        .expr_as(col(proposal::Entity, proposal::Column::Id), "id")
        .expr_as(col(proposal::Entity, proposal::Column::Title), "title")
        .expr_as(col(proposal::Entity, proposal::Column::LeadOfficial), "lead_official")
        .expr_as(col(user::Entity, user::Column::Name), "supervisor")
        .expr_as(col(special_committee::Entity, special_committee::Column::Name), "committee")
        .expr_as(count_if(Expr::exists(evaluated)), "evaluated")
        .expr_as(count_if(col(proposal::Entity, proposal::Column::ResultPublishedAt).is_not_null()), "published")
        .from(proposal::Entity)
        .join(
            JoinType::LeftJoin,
            user::Entity,
            col(user::Entity, user::Column::Id).equals((proposal::Entity, proposal::Column::SupervisorId)),
        )
        .join(
            JoinType::LeftJoin,
            special_committee::Entity,
            col(special_committee::Entity, special_committee::Column::Id)
                .equals((proposal::Entity, proposal::Column::PromotingCommitteeId)),
        )
        .cond_where(cohort(org, y).add(col(proposal::Entity, proposal::Column::IsKey).eq(true)))
        .group_by_columns([
            (proposal::Entity, proposal::Column::Id),
            (proposal::Entity, proposal::Column::Title),
            (proposal::Entity, proposal::Column::LeadOfficial),
            (proposal::Entity, proposal::Column::SerialNo),
        ])
        .group_by_col((user::Entity, user::Column::Name))
        .group_by_col((special_committee::Entity, special_committee::Column::Name))
        .order_by((proposal::Entity, proposal::Column::SerialNo), Order::Asc)
        .order_by((proposal::Entity, proposal::Column::Id), Order::Asc)
        .to_owned();
    let mut out = Vec::new();
    for row in rows(db, &q).await? {
        out.push(KeyProposal {
            id: row.try_get("", "id")?,
            title: row.try_get("", "title")?,
            lead_official: row.try_get("", "lead_official")?,
            supervisor: row.try_get("", "supervisor")?,
            promoting_committee: row.try_get("", "committee")?,
            evaluated: n(&row, "evaluated")? > 0,
            published: n(&row, "published")? > 0,
        });
    }
    Ok(out)
}

/// The organizations above `org`, read from its path ("/root/…/parent/org/").
fn ancestors(org: &organization::Model) -> Vec<Uuid> {
    org.path.split('/').filter_map(|s| s.parse::<Uuid>().ok()).filter(|id| *id != org.id).collect()
}

async fn upper_sessions(db: &impl ConnectionTrait, org: &organization::Model, y: Year) -> AppResult<Vec<UpperSession>> {
    let above = ancestors(org);
    if above.is_empty() {
        return Ok(Vec::new());
    }
    let ours = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(Expr::col(membership::Column::OrganizationId).eq(org.id))
        .to_owned();
    let q = Query::select()
        .expr_as(col(plenary_session::Entity, plenary_session::Column::Id), "id")
        .expr_as(Func::count_distinct(col(proposal::Entity, proposal::Column::AuthorId)), "members")
        .expr_as(Func::count(col(proposal::Entity, proposal::Column::Id)), "submitted")
        .expr_as(count_if(col(proposal::Entity, proposal::Column::RegisteredAt).is_not_null()), "registered")
        .from(plenary_session::Entity)
        .join(
            JoinType::LeftJoin,
            proposal::Entity,
            Cond::all()
                .add(
                    col(proposal::Entity, proposal::Column::SessionId)
                        .equals((plenary_session::Entity, plenary_session::Column::Id)),
                )
                .add(col(proposal::Entity, proposal::Column::SubmittedAt).is_not_null())
                .add(col(proposal::Entity, proposal::Column::AuthorId).in_subquery(ours)),
        )
        .cond_where(
            Cond::all()
                .add(col(plenary_session::Entity, plenary_session::Column::OrganizationId).is_in(above))
                .add(y.holds_date(col(plenary_session::Entity, plenary_session::Column::StartsOn))),
        )
        .group_by_col((plenary_session::Entity, plenary_session::Column::Id))
        .to_owned();
    let found = rows(db, &q).await?;
    let mut counts = std::collections::HashMap::new();
    for row in &found {
        let id: Uuid = row.try_get("", "id")?;
        counts.insert(id, (n(row, "members")?, n(row, "submitted")?, n(row, "registered")?));
    }
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let sessions = plenary_session::Entity::find()
        .filter(plenary_session::Column::Id.is_in(counts.keys().copied()))
        .order_by_asc(plenary_session::Column::StartsOn)
        .all(db)
        .await?;
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(sessions.iter().map(|s| s.organization_id)))
        .all(db)
        .await?;
    Ok(sessions
        .into_iter()
        .map(|s| {
            let (members, submitted, registered) = counts.get(&s.id).copied().unwrap_or_default();
            let organization_name =
                orgs.iter().find(|o| o.id == s.organization_id).map(|o| o.name.clone()).unwrap_or_default();
            UpperSession { session: s, organization_name, members, submitted, registered }
        })
        .collect())
}

async fn suggestions(db: &impl ConnectionTrait, org: Uuid, y: Year) -> AppResult<SuggestionFigures> {
    let own = || col(suggestion::Entity, suggestion::Column::OrganizationId).eq(org);
    let pieces = |c: suggestion::Column| {
        Query::select()
            .expr_as(count_all(), "n")
            .from(suggestion::Entity)
            .cond_where(Cond::all().add(own()).add(y.holds(col(suggestion::Entity, c))))
            .to_owned()
    };
    let bulletins = Query::select()
        .expr_as(count_all(), "n")
        .from(bulletin_issue::Entity)
        .cond_where(
            Cond::all()
                .add(col(bulletin_issue::Entity, bulletin_issue::Column::OrganizationId).eq(org))
                .add(y.holds(col(bulletin_issue::Entity, bulletin_issue::Column::PublishedAt))),
        )
        .to_owned();
    let piece_join = |table: Expr| col(suggestion::Entity, suggestion::Column::Id).eq(table);
    let reported = Query::select()
        .expr_as(Func::count_distinct(col(suggestion_report::Entity, suggestion_report::Column::SuggestionId)), "n")
        .from(suggestion_report::Entity)
        .inner_join(
            suggestion::Entity,
            piece_join(col(suggestion_report::Entity, suggestion_report::Column::SuggestionId)),
        )
        .cond_where(
            Cond::all().add(own()).add(y.holds(col(suggestion_report::Entity, suggestion_report::Column::ReportedAt))),
        )
        .to_owned();
    // A piece counts once per level, in the year of its first adoption at that level.
    let firsts = Query::select()
        .expr_as(col(suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId), "piece")
        .expr_as(col(suggestion_adoption::Entity, suggestion_adoption::Column::Level), "level")
        .expr_as(Func::min(col(suggestion_adoption::Entity, suggestion_adoption::Column::AdoptedAt)), "first_on")
        .from(suggestion_adoption::Entity)
        .inner_join(
            suggestion::Entity,
            piece_join(col(suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId)),
        )
        .cond_where(own())
        .group_by_col((suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId))
        .group_by_col((suggestion_adoption::Entity, suggestion_adoption::Column::Level))
        .to_owned();
    let f = Alias::new("f");
    let by_level = Query::select()
        .expr_as(Expr::col((f.clone(), Alias::new("level"))), "k")
        .expr_as(count_all(), "n")
        .from_subquery(firsts, f.clone())
        .cond_where(y.holds_date(Expr::col((f.clone(), Alias::new("first_on")))))
        .group_by_col((f, Alias::new("level")))
        .to_owned();
    let mut adopted_by_level: Vec<(OrganizationLevel, u64)> = tally(db, &by_level).await?;
    adopted_by_level.sort_by_key(|(level, _)| level.depth());
    let instructions = Query::select()
        .expr_as(Func::count_distinct(col(suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId)), "n")
        .from(suggestion_adoption::Entity)
        .inner_join(
            suggestion::Entity,
            piece_join(col(suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId)),
        )
        .cond_where(
            Cond::all()
                .add(own())
                .add(col(suggestion_adoption::Entity, suggestion_adoption::Column::Instruction).is_not_null())
                .add(y.holds_date(col(suggestion_adoption::Entity, suggestion_adoption::Column::AdoptedAt))),
        )
        .to_owned();
    Ok(SuggestionFigures {
        received: count(db, &pieces(suggestion::Column::SubmittedAt)).await?,
        accepted: count(db, &pieces(suggestion::Column::AcceptedAt)).await?,
        bulletins_published: count(db, &bulletins).await?,
        reported: count(db, &reported).await?,
        adopted_by_level,
        instructions: count(db, &instructions).await?,
    })
}

fn held_visits(org: Uuid, y: Year) -> Cond {
    Cond::all()
        .add(col(visit::Entity, visit::Column::OrganizationId).eq(org))
        .add(col(visit::Entity, visit::Column::Status).eq(VisitStatus::Completed))
        .add(y.holds(col(visit::Entity, visit::Column::StartsAt)))
}

async fn visits(db: &impl ConnectionTrait, org: Uuid, y: Year) -> AppResult<VisitFigures> {
    let attended = || {
        Cond::all()
            .add(
                col(visit_participant::Entity, visit_participant::Column::VisitId)
                    .equals((visit::Entity, visit::Column::Id)),
            )
            .add(col(visit_participant::Entity, visit_participant::Column::Attended).eq(true))
    };
    let user = || col(visit_participant::Entity, visit_participant::Column::UserId);
    // Guests are summed apart: the join repeats a visit once per attendee.
    let people = |by_kind: bool| {
        let mut q = Query::select();
        q.expr_as(Func::count_distinct(col(visit::Entity, visit::Column::Id)), "batches")
            .expr_as(Func::count(user()), "attended")
            .expr_as(Func::count_distinct(user()), "members")
            .from(visit::Entity)
            .join(JoinType::LeftJoin, visit_participant::Entity, attended())
            .cond_where(held_visits(org, y));
        if by_kind {
            q.expr_as(col(visit::Entity, visit::Column::Kind), "k").group_by_col((visit::Entity, visit::Column::Kind));
        }
        q
    };
    let guests = Query::select()
        .expr_as(col(visit::Entity, visit::Column::Kind), "k")
        .expr_as(Func::sum(col(visit::Entity, visit::Column::GuestCount)), "n")
        .from(visit::Entity)
        .cond_where(held_visits(org, y))
        .group_by_col((visit::Entity, visit::Column::Kind))
        .to_owned();
    let guests: Vec<(VisitKind, u64)> = tally(db, &guests).await?;
    let guests_of = |kind: VisitKind| guests.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n);
    let mut f = VisitFigures::default();
    for row in rows(db, &people(true)).await? {
        let kind: String = row.try_get("", "k")?;
        let kind = VisitKind::try_from_value(&kind).map_err(|e| AppError::internal(format!("{kind}: {e}")))?;
        let counts = VisitCounts {
            batches: n(&row, "batches")?,
            person_times: n(&row, "attended")? + guests_of(kind),
            members: n(&row, "members")?,
        };
        f.by_kind.push((kind, counts));
    }
    f.by_kind.sort_by_key(|(k, _)| *k as u8);
    if let Some(row) = one(db, &people(false)).await? {
        f.total = VisitCounts {
            batches: n(&row, "batches")?,
            person_times: n(&row, "attended")? + guests.iter().map(|(_, n)| n).sum::<u64>(),
            members: n(&row, "members")?,
        };
    }
    let region = || col(visit::Entity, visit::Column::CounterpartRegion);
    let inbound = Query::select()
        .expr_as(region(), "k")
        .expr_as(count_all(), "n")
        .expr_as(Func::sum(col(visit::Entity, visit::Column::GuestCount)), "guests")
        .from(visit::Entity)
        .cond_where(held_visits(org, y).add(col(visit::Entity, visit::Column::Kind).eq(VisitKind::InboundReception)))
        .group_by_col((visit::Entity, visit::Column::CounterpartRegion))
        .order_by_expr(count_all(), Order::Desc)
        .order_by((visit::Entity, visit::Column::CounterpartRegion), Order::Asc)
        .to_owned();
    for row in rows(db, &inbound).await? {
        let region: Option<String> = row.try_get("", "k")?;
        f.inbound_regions.push((region.unwrap_or_default(), n(&row, "n")?, n(&row, "guests")?));
    }
    Ok(f)
}

async fn briefings(db: &impl ConnectionTrait, org: Uuid, y: Year) -> AppResult<BriefingFigures> {
    let published = || {
        Cond::all()
            .add(col(briefing::Entity, briefing::Column::OrganizationId).eq(org))
            .add(col(briefing::Entity, briefing::Column::Status).eq(BriefingStatus::Published))
            .add(y.holds(col(briefing::Entity, briefing::Column::PublishedAt)))
    };
    let by_source = Query::select()
        .expr_as(col(briefing::Entity, briefing::Column::Source), "k")
        .expr_as(count_all(), "n")
        .from(briefing::Entity)
        .cond_where(published())
        .group_by_col((briefing::Entity, briefing::Column::Source))
        .order_by_expr(count_all(), Order::Desc)
        .order_by((briefing::Entity, briefing::Column::Source), Order::Asc)
        .to_owned();
    let by_source = text_tally(db, &by_source).await?;
    let per_briefing = Query::select()
        .expr_as(Func::count(col(briefing_recipient::Entity, briefing_recipient::Column::UserId)), "recipients")
        .expr_as(count_if(col(briefing_recipient::Entity, briefing_recipient::Column::ReadAt).is_not_null()), "readers")
        .from(briefing::Entity)
        .inner_join(
            briefing_recipient::Entity,
            Cond::all()
                .add(
                    col(briefing_recipient::Entity, briefing_recipient::Column::BriefingId)
                        .equals((briefing::Entity, briefing::Column::Id)),
                )
                .add(col(briefing_recipient::Entity, briefing_recipient::Column::Active).eq(true)),
        )
        .cond_where(published())
        .group_by_col((briefing::Entity, briefing::Column::Id))
        .to_owned();
    // DOUBLE PRECISION: a float on PostgreSQL, REAL affinity on SQLite.
    let average = Query::select()
        .expr_as(Func::avg(Expr::cust("CAST(r.readers AS DOUBLE PRECISION) / r.recipients")), "rate")
        .from_subquery(per_briefing, Alias::new("r"))
        .to_owned();
    let average_read_rate = match one(db, &average).await? {
        Some(row) => row.try_get::<Option<f64>>("", "rate")?.unwrap_or(0.0),
        None => 0.0,
    };
    Ok(BriefingFigures { published: by_source.iter().map(|(_, n)| n).sum(), by_source, average_read_rate })
}

async fn commendations(
    db: &impl ConnectionTrait,
    org: Uuid,
    year: i32,
) -> AppResult<Vec<(CommendationSubjectKind, u64)>> {
    let q = Query::select()
        .expr_as(col(commendation::Entity, commendation::Column::SubjectKind), "k")
        .expr_as(count_all(), "n")
        .from(commendation::Entity)
        .and_where(col(commendation::Entity, commendation::Column::OrganizationId).eq(org))
        .and_where(col(commendation::Entity, commendation::Column::Year).eq(year))
        .group_by_col((commendation::Entity, commendation::Column::SubjectKind))
        .to_owned();
    let mut out: Vec<(CommendationSubjectKind, u64)> = tally(db, &q).await?;
    out.sort_by_key(|(k, _)| *k as u8);
    Ok(out)
}
