//! Duty records: a member's year, the organization's ranking by duty score (with stable
//! keyset cursors), and the weights' settings.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{
    figures::{self, Figures, Member, Scope},
    policy,
    weights::{self, WeightChanges, Weights},
};
use crate::{
    auth::principal::Principal,
    calendar,
    error::{AppError, AppResult},
};
use entity::sector;

/// One member's record: who, their figures, their score and place.
#[derive(Debug, Clone)]
pub struct DutyRecord {
    pub member: Member,
    pub year: i32,
    pub figures: Figures,
    /// The score in hundredths of a point (integer, so ranking and cursors compare exactly).
    pub score_cents: i64,
    /// 1 + how many in the list scored more (equal scores share a rank).
    pub rank: u64,
}

impl DutyRecord {
    pub fn score(&self) -> f64 {
        self.score_cents as f64 / 100.0
    }
}

/// The weighted sum, in hundredths of a point, rounded.
pub fn score_cents(f: &Figures, w: &Weights) -> i64 {
    let whole = f.proposals_led * i64::from(w.proposal_led)
        + f.proposals_cosigned * i64::from(w.proposal_cosigned)
        + f.proposals_registered * i64::from(w.proposal_registered)
        + f.proposals_key * i64::from(w.proposal_key)
        + f.pieces_submitted * i64::from(w.piece_submitted)
        + f.adopted[0] * i64::from(w.adopted_national)
        + f.adopted[1] * i64::from(w.adopted_provincial)
        + f.adopted[2] * i64::from(w.adopted_municipal)
        + f.adopted[3] * i64::from(w.adopted_county)
        + f.visits_attended * i64::from(w.visit_attended)
        + f.visit_leaves * i64::from(w.visit_leave)
        + f.commendations * i64::from(w.commendation);
    // The read rate's share, exact in integers: weight × read / received, in hundredths.
    let reading = if f.briefings_received > 0 {
        let num = i64::from(w.briefing_read_rate) * f.briefings_read * 100;
        // Round half away from zero.
        let den = f.briefings_received;
        (2 * num + num.signum() * den) / (2 * den)
    } else {
        0
    };
    whole * 100 + reading
}

/// Every member in scope with their record, ranked: score descending, then name, then id.
pub async fn ranking(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<DutyRecord>> {
    calendar::year_range(scope.year)?;
    let (w, _) = weights::of_org(db, scope.organization_id).await?;
    let members = figures::members(db, scope).await?;
    let mut by_user = figures::figures(db, scope, &members).await?;
    let mut records: Vec<DutyRecord> = members
        .into_iter()
        .map(|member| {
            let figures = by_user.remove(&member.user_id).unwrap_or_default();
            let score_cents = score_cents(&figures, &w);
            DutyRecord { member, year: scope.year, figures, score_cents, rank: 0 }
        })
        .collect();
    records.sort_by_key(order_key);
    let mut rank = 0;
    let mut previous = None;
    for (i, r) in records.iter_mut().enumerate() {
        if previous != Some(r.score_cents) {
            rank = i as u64 + 1;
            previous = Some(r.score_cents);
        }
        r.rank = rank;
    }
    Ok(records)
}

/// Where a record stands in the ranking; a cursor is this key.
type Key = (i64, String, Uuid);

fn order_key(r: &DutyRecord) -> Key {
    (-r.score_cents, r.member.name.clone(), r.member.user_id)
}

pub fn encode_cursor(r: &DutyRecord) -> String {
    let (score, name, id) = order_key(r);
    URL_SAFE_NO_PAD.encode(serde_json::json!([score, name, id]).to_string())
}

fn decode_cursor(cursor: &str) -> AppResult<Key> {
    let bad = || AppError::bad_input("after", "分页游标无效");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    serde_json::from_slice::<Key>(&bytes).map_err(|_| bad())
}

/// A page of the ranking: the records after the cursor's place (by score, name and id, so a
/// page follows on from the last one even when scores moved in between), up to `limit`,
/// whether more follow, and the total.
pub struct RankingPage {
    pub records: Vec<DutyRecord>,
    pub has_next: bool,
    pub total: u64,
}

pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Principal,
    year: i32,
    sector_id: Option<Uuid>,
    after: Option<&str>,
    limit: u64,
) -> AppResult<RankingPage> {
    policy::may_oversee(actor, &actor.org)?;
    let after = after.map(decode_cursor).transpose()?;
    if let Some(s) = sector_id {
        let found =
            sector::Entity::find_by_id(s).filter(sector::Column::OrganizationId.eq(actor.org.id)).one(db).await?;
        found.ok_or_else(|| AppError::not_found("界别不存在"))?;
    }
    let all = ranking(db, &Scope { organization_id: actor.org.id, sector_id, year }).await?;
    let total = all.len() as u64;
    let mut rest: Vec<DutyRecord> = match after {
        Some(key) => all.into_iter().filter(|r| order_key(r) > key).collect(),
        None => all,
    };
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_next = rest.len() > limit;
    rest.truncate(limit);
    Ok(RankingPage { records: rest, has_next, total })
}

/// One member's record, with their rank in the whole organization.
pub async fn record(db: &impl ConnectionTrait, actor: &Principal, user_id: Uuid, year: i32) -> AppResult<DutyRecord> {
    let all = ranking(db, &Scope { organization_id: actor.org.id, sector_id: None, year }).await?;
    let found = all.into_iter().find(|r| r.member.user_id == user_id).ok_or_else(policy::no_member)?;
    policy::may_read(actor, &actor.org, user_id)?;
    Ok(found)
}

/// The whole ranking, for the office's export.
pub async fn export(db: &impl ConnectionTrait, actor: &Principal, year: i32) -> AppResult<Vec<DutyRecord>> {
    policy::may_oversee(actor, &actor.org)?;
    ranking(db, &Scope { organization_id: actor.org.id, sector_id: None, year }).await
}

/// The weights of the actor's organization (everyone in it may see how they are scored).
pub async fn weights_of(db: &impl ConnectionTrait, actor: &Principal) -> AppResult<(Weights, bool)> {
    weights::of_org(db, actor.org.id).await
}

/// Changes some weights of the actor's organization (its office).
pub async fn set_weights(db: &impl ConnectionTrait, actor: &Principal, changes: &WeightChanges) -> AppResult<Weights> {
    policy::may_oversee(actor, &actor.org)?;
    weights::change(db, actor.org.id, actor.user_id, changes).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_the_weighted_sum_with_the_read_rate_share() {
        let f = Figures {
            proposals_led: 2,
            proposals_cosigned: 1,
            proposals_registered: 1,
            proposals_key: 1,
            pieces_submitted: 3,
            adopted: [1, 1, 1, 0],
            visits_attended: 2,
            visit_leaves: 1,
            briefings_received: 3,
            briefings_read: 2,
            commendations: 1,
        };
        // 10 + 2 + 3 + 5 + 3 + 10 + 6 + 3 + 4 + 0 + 5 = 51, plus 5 × 2/3 = 3.33.
        assert_eq!(score_cents(&f, &Weights::default()), 5433);
        let none = Figures::default();
        assert_eq!(score_cents(&none, &Weights::default()), 0);
    }
}
