//! The duty score's weights: whole points per figure, configured per organization by its
//! office; an organization that never set them scores with `Weights::default()`.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, sea_query::OnConflict};
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

impl Weights {
    /// The weights with `changes` applied, each checked to be within `RANGE`.
    pub fn apply(mut self, changes: &WeightChanges) -> AppResult<Self> {
        let fields: [(&mut i32, Option<i32>, &str); 13] = [
            (&mut self.proposal_led, changes.proposal_led, "proposalLed"),
            (&mut self.proposal_cosigned, changes.proposal_cosigned, "proposalCoSigned"),
            (&mut self.proposal_registered, changes.proposal_registered, "proposalRegistered"),
            (&mut self.proposal_key, changes.proposal_key, "proposalKey"),
            (&mut self.piece_submitted, changes.piece_submitted, "pieceSubmitted"),
            (&mut self.adopted_national, changes.adopted_national, "adoptedNational"),
            (&mut self.adopted_provincial, changes.adopted_provincial, "adoptedProvincial"),
            (&mut self.adopted_municipal, changes.adopted_municipal, "adoptedMunicipal"),
            (&mut self.adopted_county, changes.adopted_county, "adoptedCounty"),
            (&mut self.visit_attended, changes.visit_attended, "visitAttended"),
            (&mut self.visit_leave, changes.visit_leave, "visitLeave"),
            (&mut self.briefing_read_rate, changes.briefing_read_rate, "briefingReadRate"),
            (&mut self.commendation, changes.commendation, "commendation"),
        ];
        for (slot, change, field) in fields {
            if let Some(value) = change {
                if !RANGE.contains(&value) {
                    return Err(AppError::bad_input(
                        format!("input.{field}"),
                        format!("权重应在{}到{}之间", RANGE.start(), RANGE.end()),
                    ));
                }
                *slot = value;
            }
        }
        Ok(self)
    }

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

/// Stores an organization's weights (one row per organization: insert or overwrite, so two
/// clerks saving at once leave one of their versions, never an error).
pub async fn store(db: &impl ConnectionTrait, org: Uuid, by: Uuid, w: &Weights) -> AppResult<()> {
    use duty_score_weights::Column as C;
    let row = duty_score_weights::ActiveModel {
        organization_id: Set(org),
        proposal_led: Set(w.proposal_led),
        proposal_cosigned: Set(w.proposal_cosigned),
        proposal_registered: Set(w.proposal_registered),
        proposal_key: Set(w.proposal_key),
        piece_submitted: Set(w.piece_submitted),
        adopted_national: Set(w.adopted_national),
        adopted_provincial: Set(w.adopted_provincial),
        adopted_municipal: Set(w.adopted_municipal),
        adopted_county: Set(w.adopted_county),
        visit_attended: Set(w.visit_attended),
        visit_leave: Set(w.visit_leave),
        briefing_read_rate: Set(w.briefing_read_rate),
        commendation: Set(w.commendation),
        updated_by: Set(by),
        updated_at: Set(Utc::now()),
    };
    let all = [
        C::ProposalLed,
        C::ProposalCosigned,
        C::ProposalRegistered,
        C::ProposalKey,
        C::PieceSubmitted,
        C::AdoptedNational,
        C::AdoptedProvincial,
        C::AdoptedMunicipal,
        C::AdoptedCounty,
        C::VisitAttended,
        C::VisitLeave,
        C::BriefingReadRate,
        C::Commendation,
        C::UpdatedBy,
        C::UpdatedAt,
    ];
    duty_score_weights::Entity::insert(row)
        .on_conflict(OnConflict::column(C::OrganizationId).update_columns(all).to_owned())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_within_bounds() {
        let changed = Weights::default().apply(&WeightChanges { visit_leave: Some(-1), ..Default::default() });
        assert_eq!(changed.ok().map(|w| (w.visit_leave, w.proposal_led)), Some((-1, 5)));
        let refused = Weights::default().apply(&WeightChanges { commendation: Some(101), ..Default::default() });
        assert!(refused.is_err());
    }
}
