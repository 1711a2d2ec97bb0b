//! How a briefing takes part in the one transition mechanism (`crate::transition`): its
//! key, columns, and the history its steps are written to (`briefing_event`, which the
//! office reads as `Briefing.history`).
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    error::AppResult,
    keyed_by_id,
    transition::{Entry, Stateful, Timeline},
};
use entity::{BriefingStatus, briefing};

/// 情况通报.
pub struct BriefingRecord;

impl Stateful for BriefingRecord {
    type Entity = briefing::Entity;
    type Status = BriefingStatus;
    keyed_by_id!(briefing);

    const SUBJECT: &'static str = "briefing";
    const NOUN: &'static str = "通报";

    fn updated_at_column() -> Option<briefing::Column> {
        Some(briefing::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, BriefingStatus>) -> AppResult<()> {
        Timeline { table: "briefing_event", subject: "briefing_id" }.write(db, key, e).await
    }
}
