//! Who something is for — a briefing, a visit. The rules (everyone, the standing committee,
//! sectors, parties, named people; any combination, as a union) are kept on the record as
//! JSON. Briefings resolve them into recipient rows at publication (which then carry the
//! read receipts); visits check them when a member looks or signs up.
use std::collections::HashSet;

use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
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

    /// Whether a membership of the briefing's organization falls under these rules.
    pub fn includes(&self, m: &membership::Model) -> bool {
        if m.role == Role::Unit {
            return self.user_ids.contains(&m.user_id);
        }
        self.everyone
            || (self.standing_committee && m.standing_committee)
            || m.sector_id.is_some_and(|s| self.sector_ids.contains(&s))
            || m.party.is_some_and(|p| self.parties.contains(&p.to_value()))
            || self.user_ids.contains(&m.user_id)
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

/// The people the rules name today.
pub async fn resolve(db: &impl ConnectionTrait, org: Uuid, audience: &Audience) -> AppResult<Vec<Uuid>> {
    let members = membership::Entity::find().filter(membership::Column::OrganizationId.eq(org)).all(db).await?;
    Ok(members.into_iter().filter(|m| audience.includes(m)).map(|m| m.user_id).collect())
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
