//! The year's figures of visits, counted as the annual review counts them.
use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::{auth::principal::Principal, calendar::year_range, error::AppResult, organizations::access::require};
use entity::{VisitKind, VisitStatus, visit, visit_participant};

/// One kind's figures for a year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindFigures {
    /// 批: visits that took place (completed).
    pub batches: u64,
    /// 人次: attended participants plus guests, summed over the visits.
    pub person_times: u64,
    /// Members (people in the system) who attended at least one.
    pub members: u64,
}

pub struct YearFigures {
    pub by_kind: Vec<(VisitKind, KindFigures)>,
    pub total: KindFigures,
}

/// The year's figures of the viewer's organization, counted as the annual review counts
/// them ("外出考察调研4批18人次").
pub async fn stats(db: &impl ConnectionTrait, who: &Principal, year: i32) -> AppResult<YearFigures> {
    require(who.is_office())?;
    let (from, to) = year_range(year)?;
    let visits = visit::Entity::find()
        .filter(visit::Column::OrganizationId.eq(who.organization_id))
        .filter(visit::Column::Status.eq(VisitStatus::Completed))
        .filter(visit::Column::StartsAt.gte(from))
        .filter(visit::Column::StartsAt.lt(to))
        .all(db)
        .await?;
    let ids: Vec<Uuid> = visits.iter().map(|v| v.id).collect();
    let attended: Vec<(Uuid, Uuid)> = visit_participant::Entity::find()
        .select_only()
        .column(visit_participant::Column::VisitId)
        .column(visit_participant::Column::UserId)
        .filter(visit_participant::Column::VisitId.is_in(ids))
        .filter(visit_participant::Column::Attended.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let figures = |of: &[&visit::Model]| {
        let ids: HashSet<Uuid> = of.iter().map(|v| v.id).collect();
        let present: Vec<&(Uuid, Uuid)> = attended.iter().filter(|(v, _)| ids.contains(v)).collect();
        let guests: u64 = of.iter().map(|v| u64::try_from(v.guest_count).unwrap_or(0)).sum();
        KindFigures {
            batches: of.len() as u64,
            person_times: present.len() as u64 + guests,
            members: present.iter().map(|(_, u)| u).collect::<HashSet<_>>().len() as u64,
        }
    };
    use sea_orm::Iterable;
    let by_kind = VisitKind::iter()
        .map(|kind| {
            let of: Vec<&visit::Model> = visits.iter().filter(|v| v.kind == kind).collect();
            (kind, figures(&of))
        })
        .collect();
    let all: Vec<&visit::Model> = visits.iter().collect();
    Ok(YearFigures { by_kind, total: figures(&all) })
}
