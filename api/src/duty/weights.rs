//! The duty score's weights: whole points per figure, configured per organization by its
//! office; an organization that never set them scores with `Weights::default()`.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::duty_score_weights;

/// Points per unit of each figure. The defaults follow how offices usually weigh a year's
/// work: an adoption counts more the higher the level that adopted it; a registered or key
/// proposal adds to having led it; a leave (an excused absence) costs nothing; reading every
/// briefing of the year is worth `briefing_read_rate` points, partly reading a share of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub proposal_led: i32,
    pub proposal_cosigned: i32,
    pub proposal_registered: i32,
    pub proposal_key: i32,
    pub piece_submitted: i32,
    pub adopted_national: i32,
    pub adopted_provincial: i32,
    pub adopted_municipal: i32,
    pub adopted_county: i32,
    pub visit_attended: i32,
    pub visit_leave: i32,
    pub briefing_read_rate: i32,
    pub commendation: i32,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            proposal_led: 5,
            proposal_cosigned: 2,
            proposal_registered: 3,
            proposal_key: 5,
            piece_submitted: 1,
            adopted_national: 10,
            adopted_provincial: 6,
            adopted_municipal: 3,
            adopted_county: 2,
            visit_attended: 2,
            visit_leave: 0,
            briefing_read_rate: 5,
            commendation: 5,
        }
    }
}

/// A weight's bounds: negative for a figure the office wants to cost points.
pub const RANGE: std::ops::RangeInclusive<i32> = -100..=100;

/// A change to some weights; `None` keeps the current one.
#[derive(Debug, Default, Clone)]
pub struct WeightChanges {
    pub proposal_led: Option<i32>,
    pub proposal_cosigned: Option<i32>,
    pub proposal_registered: Option<i32>,
    pub proposal_key: Option<i32>,
    pub piece_submitted: Option<i32>,
    pub adopted_national: Option<i32>,
    pub adopted_provincial: Option<i32>,
    pub adopted_municipal: Option<i32>,
    pub adopted_county: Option<i32>,
    pub visit_attended: Option<i32>,
    pub visit_leave: Option<i32>,
    pub briefing_read_rate: Option<i32>,
    pub commendation: Option<i32>,
}

impl WeightChanges {
    /// Every weight once: its column, the change asked for, the input field it came from and
    /// its default (the value an organization's first row takes when it is not changed).
    fn entries(&self) -> [(duty_score_weights::Column, Option<i32>, &'static str, i32); 13] {
        use duty_score_weights::Column as C;
        let d = Weights::default();
        [
            (C::ProposalLed, self.proposal_led, "proposalLed", d.proposal_led),
            (C::ProposalCosigned, self.proposal_cosigned, "proposalCoSigned", d.proposal_cosigned),
            (C::ProposalRegistered, self.proposal_registered, "proposalRegistered", d.proposal_registered),
            (C::ProposalKey, self.proposal_key, "proposalKey", d.proposal_key),
            (C::PieceSubmitted, self.piece_submitted, "pieceSubmitted", d.piece_submitted),
            (C::AdoptedNational, self.adopted_national, "adoptedNational", d.adopted_national),
            (C::AdoptedProvincial, self.adopted_provincial, "adoptedProvincial", d.adopted_provincial),
            (C::AdoptedMunicipal, self.adopted_municipal, "adoptedMunicipal", d.adopted_municipal),
            (C::AdoptedCounty, self.adopted_county, "adoptedCounty", d.adopted_county),
            (C::VisitAttended, self.visit_attended, "visitAttended", d.visit_attended),
            (C::VisitLeave, self.visit_leave, "visitLeave", d.visit_leave),
            (C::BriefingReadRate, self.briefing_read_rate, "briefingReadRate", d.briefing_read_rate),
            (C::Commendation, self.commendation, "commendation", d.commendation),
        ]
    }

    /// Refuses a weight outside `RANGE`, naming its field.
    pub fn check(&self) -> AppResult<()> {
        for (_, change, field, _) in self.entries() {
            if change.is_some_and(|value| !RANGE.contains(&value)) {
                return Err(AppError::bad_input(
                    format!("input.{field}"),
                    format!("权重应在{}到{}之间", RANGE.start(), RANGE.end()),
                ));
            }
        }
        Ok(())
    }
}

impl Weights {
    fn from_row(r: &duty_score_weights::Model) -> Self {
        Self {
            proposal_led: r.proposal_led,
            proposal_cosigned: r.proposal_cosigned,
            proposal_registered: r.proposal_registered,
            proposal_key: r.proposal_key,
            piece_submitted: r.piece_submitted,
            adopted_national: r.adopted_national,
            adopted_provincial: r.adopted_provincial,
            adopted_municipal: r.adopted_municipal,
            adopted_county: r.adopted_county,
            visit_attended: r.visit_attended,
            visit_leave: r.visit_leave,
            briefing_read_rate: r.briefing_read_rate,
            commendation: r.commendation,
        }
    }
}

/// An organization's weights, and whether they are the defaults (never set).
pub async fn of_org(db: &impl ConnectionTrait, org: Uuid) -> AppResult<(Weights, bool)> {
    Ok(match duty_score_weights::Entity::find_by_id(org).one(db).await? {
        Some(row) => (Weights::from_row(&row), false),
        None => (Weights::default(), true),
    })
}

/// Applies `changes` to an organization's weights in one statement and returns the weights
/// as stored. Only the changed columns are written: two clerks changing different weights at
/// once both keep their change (a read-merge-write would let the later one put back the
/// other's old value); changing the same weight at once leaves one of the two values.
pub async fn change(db: &impl ConnectionTrait, org: Uuid, by: Uuid, changes: &WeightChanges) -> AppResult<Weights> {
    use duty_score_weights::Column as C;
    changes.check()?;
    let mut row = duty_score_weights::ActiveModel {
        organization_id: Set(org),
        updated_by: Set(by),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let mut changed = vec![C::UpdatedBy, C::UpdatedAt];
    for (column, change, _, default) in changes.entries() {
        row.set(column, change.unwrap_or(default).into());
        if change.is_some() {
            changed.push(column);
        }
    }
    duty_score_weights::Entity::insert(row)
        .on_conflict(OnConflict::column(C::OrganizationId).update_columns(changed).to_owned())
        .exec(db)
        .await?;
    Ok(of_org(db, org).await?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_checked_against_the_bounds() {
        assert!(WeightChanges { visit_leave: Some(-100), ..Default::default() }.check().is_ok());
        assert!(WeightChanges { commendation: Some(101), ..Default::default() }.check().is_err());
    }
}
