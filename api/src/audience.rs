//! Who something is for — a briefing, a visit. The rules (everyone, the standing committee,
//! sectors, parties, named people; any combination, as a union) are kept on the record as
//! JSON. Briefings resolve them into recipient rows at publication (which then carry the
//! read receipts); visits check them when a member looks or signs up, and the notice of an
//! opened visit reaches the same people through `Audience::condition` (the rules as SQL).
use std::collections::HashSet;

use sea_orm::{ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::{Party, Role, membership, sector};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Audience {
    /// Everyone in the organization (members and office; not handling-unit operators).
    pub everyone: bool,
    pub standing_committee: bool,
    pub sector_ids: Vec<Uuid>,
    /// Party codes as stored (`CDL`, `NONPARTY`, …).
    pub parties: Vec<String>,
    pub user_ids: Vec<Uuid>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        !self.everyone
            && !self.standing_committee
            && self.sector_ids.is_empty()
            && self.parties.is_empty()
            && self.user_ids.is_empty()
    }

    pub fn from_json(value: &serde_json::Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn parties(&self) -> Vec<Party> {
        self.parties.iter().filter_map(|p| Party::try_from_value(p).ok()).collect()
    }

    /// The rules this audience turns on.
    fn rules(&self) -> Vec<Rule<'_>> {
        let mut rules = Vec::new();
        if self.everyone {
            rules.push(Rule::Everyone);
        }
        if self.standing_committee {
            rules.push(Rule::StandingCommittee);
        }
        if !self.sector_ids.is_empty() {
            rules.push(Rule::Sectors(&self.sector_ids));
        }
        if !self.parties.is_empty() {
            rules.push(Rule::Parties(self.parties()));
        }
        if !self.user_ids.is_empty() {
            rules.push(Rule::People(&self.user_ids));
        }
        rules
    }

    /// Whether a membership of the briefing's organization falls under these rules.
    pub fn includes(&self, m: &membership::Model) -> bool {
        self.rules().iter().any(|r| (m.role != Role::Unit || r.reaches_units()) && r.matches(m))
    }

    /// `includes` as SQL: a condition on `membership` rows (to be combined with the
    /// organization), for statements that reach the audience in one go. No rule: no row
    /// (the `id IS NULL` seed is false for every row, and keeps an empty union from being
    /// read as "no condition").
    pub fn condition(&self) -> Condition {
        self.rules().iter().fold(Condition::any().add(membership::Column::Id.is_null()), |any, r| {
            let rule = if r.reaches_units() {
                r.condition()
            } else {
                Condition::all().add(membership::Column::Role.ne(Role::Unit)).add(r.condition())
            };
            any.add(rule)
        })
    }
}

/// One rule, in its two forms side by side: a test on a membership in memory (sign-up,
/// the visit list) and the same test in SQL (the notice of an opened visit). Keeping them
/// in one `match` each, next to each other, is what stops them from drifting apart; the
/// tests below run both over the same memberships.
enum Rule<'a> {
    Everyone,
    StandingCommittee,
    Sectors(&'a [Uuid]),
    /// Unknown party codes are ignored.
    Parties(Vec<Party>),
    People(&'a [Uuid]),
}

impl Rule<'_> {
    /// Handling-unit operators are in an audience only by name: "everyone" means the
    /// committee's people.
    fn reaches_units(&self) -> bool {
        matches!(self, Rule::People(_))
    }

    fn matches(&self, m: &membership::Model) -> bool {
        match self {
            Rule::Everyone => true,
            Rule::StandingCommittee => m.standing_committee,
            Rule::Sectors(ids) => m.sector_id.is_some_and(|s| ids.contains(&s)),
            Rule::Parties(parties) => m.party.is_some_and(|p| parties.contains(&p)),
            Rule::People(ids) => ids.contains(&m.user_id),
        }
    }

    fn condition(&self) -> Condition {
        use membership::Column as M;
        let one = match self {
            // Every row: the id is never NULL.
            Rule::Everyone => M::Id.is_not_null(),
            Rule::StandingCommittee => M::StandingCommittee.eq(true),
            Rule::Sectors(ids) => M::SectorId.is_in(ids.iter().copied()),
            Rule::Parties(parties) => M::Party.is_in(parties.iter().copied()),
            Rule::People(ids) => M::UserId.is_in(ids.iter().copied()),
        };
        Condition::all().add(one)
    }
}

/// Checks that named sectors and people belong to the organization.
pub async fn validate(db: &impl ConnectionTrait, org: Uuid, audience: &Audience) -> AppResult<()> {
    if !audience.sector_ids.is_empty() {
        let wanted: HashSet<Uuid> = audience.sector_ids.iter().copied().collect();
        let found = sector::Entity::find()
            .filter(sector::Column::OrganizationId.eq(org))
            .filter(sector::Column::Id.is_in(wanted.iter().copied()))
            .all(db)
            .await?;
        if found.len() != wanted.len() {
            return Err(AppError::bad_input("audience.sectorIds", "所选界别不存在或不属于本组织"));
        }
    }
    if !audience.user_ids.is_empty() {
        let wanted: HashSet<Uuid> = audience.user_ids.iter().copied().collect();
        let found = membership::Entity::find()
            .filter(membership::Column::OrganizationId.eq(org))
            .filter(membership::Column::UserId.is_in(wanted.iter().copied()))
            .all(db)
            .await?;
        if found.len() != wanted.len() {
            return Err(AppError::bad_input("audience.userIds", "所选人员不是本组织成员"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn member(role: Role, standing: bool, sector: Option<Uuid>, party: Option<Party>) -> membership::Model {
        membership::Model {
            id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            organization_id: Uuid::nil(),
            role,
            sector_id: sector,
            party,
            standing_committee: standing,
            office: None,
            term: None,
            handling_unit_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn rules_combine_as_a_union() {
        let economy = Uuid::now_v7();
        let standing = member(Role::Member, true, None, None);
        let in_sector = member(Role::Member, false, Some(economy), None);
        let cdl = member(Role::Member, false, None, Some(Party::Cdl));
        let other = member(Role::Member, false, None, Some(Party::Cpc));
        let audience = Audience {
            standing_committee: true,
            sector_ids: vec![economy],
            parties: vec!["CDL".into()],
            ..Audience::default()
        };
        assert!(audience.includes(&standing));
        assert!(audience.includes(&in_sector));
        assert!(audience.includes(&cdl));
        assert!(!audience.includes(&other));
        let named = Audience { user_ids: vec![other.user_id], ..Audience::default() };
        assert!(named.includes(&other));
        assert!(!named.includes(&cdl));
    }

    #[test]
    fn everyone_means_committee_people_not_unit_operators() {
        let all = Audience { everyone: true, ..Audience::default() };
        assert!(all.includes(&member(Role::Member, false, None, None)));
        assert!(all.includes(&member(Role::Staff, false, None, None)));
        assert!(!all.includes(&member(Role::Unit, false, None, None)));
        assert!(Audience::default().is_empty());
    }

    #[test]
    fn json_round_trip() {
        let a = Audience { everyone: true, parties: vec!["JS".into()], ..Audience::default() };
        assert_eq!(Audience::from_json(&a.to_json()), a);
    }
}
