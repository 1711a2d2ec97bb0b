//! The year's figures of an organization's public-opinion work, as the annual review
//! reports them ("全国政协采用6篇,省政协采用17篇").
use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{auth::principal::Principal, calendar::year_range, error::AppResult, suggestions::policy};
use entity::{
    BulletinStatus, OrganizationLevel, SuggestionStatus, bulletin_issue, membership, suggestion, suggestion_adoption,
    suggestion_report,
};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub received: u64,
    pub accepted: u64,
    pub adopted: u64,
}

pub struct Stats {
    pub received: u64,
    pub accepted: u64,
    pub declined: u64,
    pub merged: u64,
    pub bulletins_published: u64,
    pub reported: u64,
    /// Pieces adopted per level, each piece once per level.
    pub adopted_by_level: Vec<(OrganizationLevel, u64)>,
    pub adopted: u64,
    pub with_instruction: u64,
    pub by_sector: Vec<(Option<Uuid>, Counts)>,
    pub by_member: Vec<(Uuid, Counts)>,
}

/// The year's figures of the viewer's organization ("全国政协采用6篇,省政协采用17篇").
/// Counted over the pieces received that year (by submission date, China time).
pub async fn stats(db: &impl ConnectionTrait, who: &Principal, year: i32) -> AppResult<Stats> {
    policy::office(who)?;
    let (from, to) = year_range(year)?;
    let pieces = suggestion::Entity::find()
        .filter(suggestion::Column::OrganizationId.eq(who.organization_id))
        .filter(suggestion::Column::SubmittedAt.gte(from))
        .filter(suggestion::Column::SubmittedAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = pieces.iter().map(|p| p.id).collect();
    let adoptions = suggestion_adoption::Entity::find()
        .filter(suggestion_adoption::Column::SuggestionId.is_in(ids.clone()))
        .all(db)
        .await?;
    let reported: HashSet<Uuid> = suggestion_report::Entity::find()
        .select_only()
        .column(suggestion_report::Column::SuggestionId)
        .filter(suggestion_report::Column::SuggestionId.is_in(ids.clone()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let bulletins_published = bulletin_issue::Entity::find()
        .filter(bulletin_issue::Column::OrganizationId.eq(who.organization_id))
        .filter(bulletin_issue::Column::Status.eq(BulletinStatus::Published))
        .filter(bulletin_issue::Column::Year.eq(year))
        .count(db)
        .await?;
    let accepted_states = [
        SuggestionStatus::Accepted,
        SuggestionStatus::Published,
        SuggestionStatus::Reported,
        SuggestionStatus::Adopted,
    ];
    let adopted_ids: HashSet<Uuid> = adoptions.iter().map(|a| a.suggestion_id).collect();
    let mut per_level: BTreeMap<u8, (OrganizationLevel, HashSet<Uuid>)> = BTreeMap::new();
    for a in &adoptions {
        per_level.entry(a.level.depth()).or_insert_with(|| (a.level, HashSet::new())).1.insert(a.suggestion_id);
    }
    let with_instruction: HashSet<Uuid> =
        adoptions.iter().filter(|a| a.instruction.is_some()).map(|a| a.suggestion_id).collect();

    // By sector: the piece's sector when sent in a sector's name, else the submitter's.
    let members: HashMap<Uuid, Option<Uuid>> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(who.organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, m.sector_id))
        .collect();
    let mut by_sector: BTreeMap<Option<Uuid>, Counts> = BTreeMap::new();
    let mut by_member: BTreeMap<Uuid, Counts> = BTreeMap::new();
    let own: Vec<&suggestion::Model> = pieces.iter().filter(|p| p.source_suggestion_id.is_none()).collect();
    for p in &own {
        let accepted = accepted_states.contains(&p.status);
        let adopted = adopted_ids.contains(&p.id);
        let bump = |c: &mut Counts| {
            c.received += 1;
            c.accepted += u64::from(accepted);
            c.adopted += u64::from(adopted);
        };
        let sector = p.sector_id.or_else(|| members.get(&p.submitted_by).copied().flatten());
        bump(by_sector.entry(sector).or_default());
        bump(by_member.entry(p.submitted_by).or_default());
    }
    Ok(Stats {
        received: pieces.len() as u64,
        accepted: pieces.iter().filter(|p| accepted_states.contains(&p.status)).count() as u64,
        declined: pieces.iter().filter(|p| p.status == SuggestionStatus::Declined).count() as u64,
        merged: pieces.iter().filter(|p| p.status == SuggestionStatus::Merged).count() as u64,
        bulletins_published,
        reported: reported.len() as u64,
        adopted_by_level: per_level.into_values().map(|(level, set)| (level, set.len() as u64)).collect(),
        adopted: adopted_ids.len() as u64,
        with_instruction: with_instruction.len() as u64,
        by_sector: by_sector.into_iter().collect(),
        by_member: by_member.into_iter().collect(),
    })
}
