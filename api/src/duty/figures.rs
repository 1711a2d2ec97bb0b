//! The figures of a duty record, counted in SQL for all the members in scope at once: one
//! GROUP BY query per kind of fact, by the China-time business date of the fact (never
//! `created_at`), so the cost does not grow with queries per member.
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, QueryResult,
    sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement},
};
use uuid::Uuid;

use crate::{calendar, error::AppResult};
use entity::{
    CoSignStatus, CommendationSubjectKind, OrganizationLevel, ParticipantStatus, ProposalKind, ProposalStatus, Role,
    VisitStatus, briefing_recipient, commendation, membership, proposal, proposal_cosigner, sector, suggestion,
    suggestion_adoption, suggestion_author, user, visit, visit_participant,
};

/// Whose records are counted: the members (role MEMBER) of one organization, optionally of
/// one sector.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub organization_id: Uuid,
    pub sector_id: Option<Uuid>,
    pub year: i32,
}

/// A member as the list shows them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub sector: Option<String>,
}

/// The levels an adoption is counted by, in the order records show them.
pub const LEVELS: [OrganizationLevel; 4] = [
    OrganizationLevel::National,
    OrganizationLevel::Provincial,
    OrganizationLevel::Municipal,
    OrganizationLevel::County,
];

/// One member's year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Individual and joint proposals they lead (领衔), submitted in the year; a draft or
    /// a withdrawn one is not counted. Collective proposals are their group's.
    pub proposals_led: i64,
    /// Proposals submitted in the year that they agreed to co-sign (附议).
    pub proposals_cosigned: i64,
    /// Proposals they lead registered (立案) in the year.
    pub proposals_registered: i64,
    /// Proposals they lead, submitted in the year, chosen as key proposals.
    pub proposals_key: i64,
    /// Pieces of information (社情民意) they (co-)authored, received in the year.
    pub pieces_submitted: i64,
    /// Pieces adopted in the year, per level of `LEVELS`: each piece once per level.
    pub adopted: [i64; 4],
    /// Visits starting in the year (cancelled ones excluded) they were marked present at.
    pub visits_attended: i64,
    /// Such visits they were excused from (leave approved).
    pub visit_leaves: i64,
    /// Briefings published to them in the year, and how many of those they read.
    pub briefings_received: i64,
    pub briefings_read: i64,
    /// Commendations of the year naming them.
    pub commendations: i64,
}

impl Figures {
    pub fn adopted_total(&self) -> i64 {
        self.adopted.iter().sum()
    }

    /// Read briefings over received ones; none when none were received.
    pub fn read_rate(&self) -> Option<f64> {
        (self.briefings_received > 0).then(|| self.briefings_read as f64 / self.briefings_received as f64)
    }
}

/// The members in scope, by name then id.
pub async fn members(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<Member>> {
    let mut q = Query::select();
    q.expr_as(Expr::col((membership::Entity, membership::Column::UserId)), "u")
        .expr_as(Expr::col((user::Entity, user::Column::Name)), "name")
        .expr_as(Expr::col((sector::Entity, sector::Column::Name)), "sector")
        .from(membership::Entity)
        .inner_join(
            user::Entity,
            Expr::col((user::Entity, user::Column::Id)).equals((membership::Entity, membership::Column::UserId)),
        )
        .left_join(
            sector::Entity,
            Expr::col((sector::Entity, sector::Column::Id)).equals((membership::Entity, membership::Column::SectorId)),
        )
        .and_where(Expr::col((membership::Entity, membership::Column::OrganizationId)).eq(scope.organization_id))
        .and_where(Expr::col((membership::Entity, membership::Column::Role)).eq(Role::Member.to_value()))
        .order_by((user::Entity, user::Column::Name), Order::Asc)
        .order_by((membership::Entity, membership::Column::UserId), Order::Asc);
    if let Some(s) = scope.sector_id {
        q.and_where(Expr::col((membership::Entity, membership::Column::SectorId)).eq(s));
    }
    let rows = run(db, &q).await?;
    rows.iter()
        .map(|r| {
            Ok(Member { user_id: r.try_get("", "u")?, name: r.try_get("", "name")?, sector: r.try_get("", "sector")? })
        })
        .collect()
}

/// The user ids of the members in scope, as a subquery.
fn member_ids(scope: &Scope) -> SelectStatement {
    let mut q = Query::select();
    q.column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::OrganizationId.eq(scope.organization_id))
        .and_where(membership::Column::Role.eq(Role::Member));
    if let Some(s) = scope.sector_id {
        q.and_where(membership::Column::SectorId.eq(s));
    }
    q
}

async fn run(db: &impl ConnectionTrait, q: &SelectStatement) -> AppResult<Vec<QueryResult>> {
    Ok(db.query_all_raw(db.get_database_backend().build(q)).await?)
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)`.
fn count_if(cond: Expr) -> Expr {
    Expr::case(cond, 1).finally(0).into()
}

fn sum(e: Expr) -> Expr {
    Func::sum(e).into()
}

/// Runs a query whose rows are `u` and `c0`, `c1`, … and adds each count into the member's
/// figures with `put`.
async fn add_counts(
    db: &impl ConnectionTrait,
    q: &SelectStatement,
    n: usize,
    by_user: &mut HashMap<Uuid, Figures>,
    put: impl Fn(&mut Figures, &[i64]),
) -> AppResult<()> {
    for row in run(db, q).await? {
        let user: Uuid = row.try_get("", "u")?;
        let mut counts = Vec::with_capacity(n);
        for i in 0..n {
            counts.push(row.try_get::<Option<i64>>("", &format!("c{i}"))?.unwrap_or(0));
        }
        if let Some(f) = by_user.get_mut(&user) {
            put(f, &counts);
        }
    }
    Ok(())
}

/// The figures of every member in scope (members with nothing have all zeros).
pub async fn figures(
    db: &impl ConnectionTrait,
    scope: &Scope,
    members: &[Member],
) -> AppResult<HashMap<Uuid, Figures>> {
    let (from, to) = calendar::year_range(scope.year)?;
    let first_day = NaiveDate::from_ymd_opt(scope.year, 1, 1);
    let last_day = NaiveDate::from_ymd_opt(scope.year, 12, 31);
    let mut by_user: HashMap<Uuid, Figures> = members.iter().map(|m| (m.user_id, Figures::default())).collect();
    let org = scope.organization_id;
    let led_kinds = [ProposalKind::Individual.to_value(), ProposalKind::Joint.to_value()];
    let not_submitted = [ProposalStatus::Draft.to_value(), ProposalStatus::Withdrawn.to_value()];
    let p = |c: proposal::Column| Expr::col((proposal::Entity, c));

    // Proposals led (and of those, key), by the date of submission.
    let mut q = Query::select();
    q.expr_as(p(proposal::Column::AuthorId), "u")
        .expr_as(Func::count(Expr::col((proposal::Entity, proposal::Column::Id))), "c0")
        .expr_as(sum(count_if(p(proposal::Column::IsKey).eq(true))), "c1")
        .from(proposal::Entity)
        .and_where(p(proposal::Column::OrganizationId).eq(org))
        .and_where(p(proposal::Column::Kind).is_in(led_kinds.clone()))
        .and_where(p(proposal::Column::Status).is_not_in(not_submitted.clone()))
        .and_where(p(proposal::Column::SubmittedAt).gte(from))
        .and_where(p(proposal::Column::SubmittedAt).lt(to))
        .and_where(p(proposal::Column::AuthorId).in_subquery(member_ids(scope)))
        .group_by_col((proposal::Entity, proposal::Column::AuthorId));
    add_counts(db, &q, 2, &mut by_user, |f, c| {
        f.proposals_led = c[0];
        f.proposals_key = c[1];
    })
    .await?;

    // Proposals led registered, by the date of registration.
    let mut q = Query::select();
    q.expr_as(p(proposal::Column::AuthorId), "u")
        .expr_as(Func::count(Expr::col((proposal::Entity, proposal::Column::Id))), "c0")
        .from(proposal::Entity)
        .and_where(p(proposal::Column::OrganizationId).eq(org))
        .and_where(p(proposal::Column::Kind).is_in(led_kinds))
        .and_where(p(proposal::Column::RegisteredAt).gte(from))
        .and_where(p(proposal::Column::RegisteredAt).lt(to))
        .and_where(p(proposal::Column::AuthorId).in_subquery(member_ids(scope)))
        .group_by_col((proposal::Entity, proposal::Column::AuthorId));
    add_counts(db, &q, 1, &mut by_user, |f, c| f.proposals_registered = c[0]).await?;

    // Co-signed: invitations accepted, on proposals submitted in the year.
    let cs = |c: proposal_cosigner::Column| Expr::col((proposal_cosigner::Entity, c));
    let mut q = Query::select();
    q.expr_as(cs(proposal_cosigner::Column::UserId), "u")
        .expr_as(Func::count(cs(proposal_cosigner::Column::ProposalId)), "c0")
        .from(proposal_cosigner::Entity)
        .inner_join(
            proposal::Entity,
            p(proposal::Column::Id).equals((proposal_cosigner::Entity, proposal_cosigner::Column::ProposalId)),
        )
        .and_where(cs(proposal_cosigner::Column::Status).eq(CoSignStatus::Accepted.to_value()))
        .and_where(p(proposal::Column::OrganizationId).eq(org))
        .and_where(p(proposal::Column::Status).is_not_in(not_submitted))
        .and_where(p(proposal::Column::SubmittedAt).gte(from))
        .and_where(p(proposal::Column::SubmittedAt).lt(to))
        .and_where(cs(proposal_cosigner::Column::UserId).in_subquery(member_ids(scope)))
        .group_by_col((proposal_cosigner::Entity, proposal_cosigner::Column::UserId));
    add_counts(db, &q, 1, &mut by_user, |f, c| f.proposals_cosigned = c[0]).await?;

    // Pieces of information (co-)authored, by the date received.
    let s = |c: suggestion::Column| Expr::col((suggestion::Entity, c));
    let sa = |c: suggestion_author::Column| Expr::col((suggestion_author::Entity, c));
    let mut q = Query::select();
    q.expr_as(sa(suggestion_author::Column::UserId), "u")
        .expr_as(Func::count(sa(suggestion_author::Column::SuggestionId)), "c0")
        .from(suggestion_author::Entity)
        .inner_join(
            suggestion::Entity,
            s(suggestion::Column::Id).equals((suggestion_author::Entity, suggestion_author::Column::SuggestionId)),
        )
        .and_where(s(suggestion::Column::OrganizationId).eq(org))
        .and_where(s(suggestion::Column::SubmittedAt).gte(from))
        .and_where(s(suggestion::Column::SubmittedAt).lt(to))
        .and_where(sa(suggestion_author::Column::UserId).in_subquery(member_ids(scope)))
        .group_by_col((suggestion_author::Entity, suggestion_author::Column::UserId));
    add_counts(db, &q, 1, &mut by_user, |f, c| f.pieces_submitted = c[0]).await?;

    // Adoptions, by the date adopted and level: a piece adopted twice at one level counts once.
    let ad = |c: suggestion_adoption::Column| Expr::col((suggestion_adoption::Entity, c));
    let mut q = Query::select();
    q.expr_as(sa(suggestion_author::Column::UserId), "u")
        .expr_as(ad(suggestion_adoption::Column::Level), "level")
        .expr_as(Func::count_distinct(ad(suggestion_adoption::Column::SuggestionId)), "c0")
        .from(suggestion_adoption::Entity)
        .inner_join(
            suggestion::Entity,
            s(suggestion::Column::Id).equals((suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId)),
        )
        .inner_join(
            suggestion_author::Entity,
            sa(suggestion_author::Column::SuggestionId)
                .equals((suggestion_adoption::Entity, suggestion_adoption::Column::SuggestionId)),
        )
        .and_where(s(suggestion::Column::OrganizationId).eq(org))
        .and_where(ad(suggestion_adoption::Column::AdoptedAt).gte(first_day))
        .and_where(ad(suggestion_adoption::Column::AdoptedAt).lte(last_day))
        .and_where(sa(suggestion_author::Column::UserId).in_subquery(member_ids(scope)))
        .group_by_col((suggestion_author::Entity, suggestion_author::Column::UserId))
        .group_by_col((suggestion_adoption::Entity, suggestion_adoption::Column::Level));
    for row in run(db, &q).await? {
        let user: Uuid = row.try_get("", "u")?;
        let level: String = row.try_get("", "level")?;
        let count: i64 = row.try_get("", "c0")?;
        let slot = LEVELS.iter().position(|l| l.to_value() == level);
        if let (Some(f), Some(i)) = (by_user.get_mut(&user), slot) {
            f.adopted[i] = count;
        }
    }

    // Visits starting in the year, not cancelled: present, and excused.
    let v = |c: visit::Column| Expr::col((visit::Entity, c));
    let vp = |c: visit_participant::Column| Expr::col((visit_participant::Entity, c));
    let mut q = Query::select();
    q.expr_as(vp(visit_participant::Column::UserId), "u")
        .expr_as(sum(count_if(vp(visit_participant::Column::Attended).eq(true))), "c0")
        .expr_as(sum(count_if(vp(visit_participant::Column::Status).eq(ParticipantStatus::OnLeave.to_value()))), "c1")
        .from(visit_participant::Entity)
        .inner_join(
            visit::Entity,
            v(visit::Column::Id).equals((visit_participant::Entity, visit_participant::Column::VisitId)),
        )
        .and_where(vp(visit_participant::Column::OrganizationId).eq(org))
        .and_where(v(visit::Column::Status).ne(VisitStatus::Cancelled.to_value()))
        .and_where(v(visit::Column::StartsAt).gte(from))
        .and_where(v(visit::Column::StartsAt).lt(to))
        .and_where(vp(visit_participant::Column::UserId).in_subquery(member_ids(scope)))
        .group_by_col((visit_participant::Entity, visit_participant::Column::UserId));
    add_counts(db, &q, 2, &mut by_user, |f, c| {
        f.visits_attended = c[0];
        f.visit_leaves = c[1];
    })
    .await?;

    // Briefings published to them in the year (withdrawn ones are no longer theirs), read or not.
    let br = |c: briefing_recipient::Column| Expr::col((briefing_recipient::Entity, c));
    let mut q = Query::select();
    q.expr_as(br(briefing_recipient::Column::UserId), "u")
        .expr_as(Func::count(br(briefing_recipient::Column::BriefingId)), "c0")
        .expr_as(Func::count(br(briefing_recipient::Column::ReadAt)), "c1")
        .from(briefing_recipient::Entity)
        .and_where(br(briefing_recipient::Column::OrganizationId).eq(org))
        .and_where(br(briefing_recipient::Column::Active).eq(true))
        .and_where(br(briefing_recipient::Column::PublishedAt).gte(from))
        .and_where(br(briefing_recipient::Column::PublishedAt).lt(to))
        .and_where(br(briefing_recipient::Column::UserId).in_subquery(member_ids(scope)))
        .group_by_col((briefing_recipient::Entity, briefing_recipient::Column::UserId));
    add_counts(db, &q, 2, &mut by_user, |f, c| {
        f.briefings_received = c[0];
        f.briefings_read = c[1];
    })
    .await?;

    // Commendations of the year whose subject is the person, whoever recorded them.
    let cm = |c: commendation::Column| Expr::col((commendation::Entity, c));
    let mut q = Query::select();
    q.expr_as(cm(commendation::Column::SubjectId), "u")
        .expr_as(Func::count(cm(commendation::Column::Id)), "c0")
        .from(commendation::Entity)
        .and_where(cm(commendation::Column::SubjectKind).eq(CommendationSubjectKind::User.to_value()))
        .and_where(cm(commendation::Column::Year).eq(scope.year))
        .and_where(cm(commendation::Column::SubjectId).in_subquery(member_ids(scope)))
        .group_by_col((commendation::Entity, commendation::Column::SubjectId));
    add_counts(db, &q, 1, &mut by_user, |f, c| f.commendations = c[0]).await?;

    Ok(by_user)
}
