//! How a briefing takes part in the one transition mechanism (`crate::transition`): its
//! key, columns, and the history its steps are written to (`briefing_event`, which the
//! office reads as `Briefing.history`).
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    transition::{Entry, Stateful},
};
use entity::{BriefingStatus, briefing, briefing_event};

/// 情况通报.
pub struct BriefingRecord;

impl Stateful for BriefingRecord {
    type Entity = briefing::Entity;
    type Status = BriefingStatus;
    type Key = Uuid;

    const SUBJECT: &'static str = "briefing";
    const NOUN: &'static str = "通报";

    fn filter(key: Uuid) -> Condition {
        Condition::all().add(briefing::Column::Id.eq(key))
    }
    fn subject_id(key: Uuid) -> Uuid {
        key
    }
    fn status_column() -> briefing::Column {
        briefing::Column::Status
    }
    fn version_column() -> briefing::Column {
        briefing::Column::Version
    }
    fn updated_at_column() -> Option<briefing::Column> {
        Some(briefing::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, BriefingStatus>) -> AppResult<()> {
        briefing_event::Entity::insert(briefing_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            briefing_id: Set(key),
            action: Set(e.action.to_owned()),
            from_status: Set(e.from_value()),
            to_status: Set(e.to_value()),
            actor_id: Set(e.actor),
            at: Set(e.at),
            note: Set(e.note.clone()),
        })
        .exec_without_returning(db)
        .await?;
        Ok(())
    }
}
