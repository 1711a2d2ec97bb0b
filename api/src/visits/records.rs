//! How visits and sign-ups take part in the one transition mechanism (`crate::transition`):
//! their keys, columns, and the visit's history their steps are written to.
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    keyed_by_id,
    transition::{Entry, Stateful, Timeline},
};
use entity::{ParticipantStatus, VisitStatus, visit, visit_participant};

/// 视察调研、交流考察.
pub struct VisitRecord;

/// The visit's history, which the office reads as `Visit.history`.
const TIMELINE: Timeline = Timeline { table: "visit_event", subject: "visit_id" };

impl Stateful for VisitRecord {
    type Entity = visit::Entity;
    type Status = VisitStatus;
    keyed_by_id!(visit);

    const SUBJECT: &'static str = "visit";
    const NOUN: &'static str = "活动";

    fn updated_at_column() -> Option<visit::Column> {
        Some(visit::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, VisitStatus>) -> AppResult<()> {
        TIMELINE.write(db, key, e).await
    }
}

/// One person's sign-up for a visit. Its steps go to the visit's history, naming the person.
pub struct ParticipantRecord;

#[derive(Debug, Clone, Copy)]
pub struct ParticipantKey {
    pub visit: Uuid,
    pub user: Uuid,
}

impl Stateful for ParticipantRecord {
    type Entity = visit_participant::Entity;
    type Status = ParticipantStatus;
    type Key = ParticipantKey;

    const SUBJECT: &'static str = "visit_participant";
    const NOUN: &'static str = "报名";

    fn filter(key: ParticipantKey) -> Condition {
        Condition::all()
            .add(visit_participant::Column::VisitId.eq(key.visit))
            .add(visit_participant::Column::UserId.eq(key.user))
    }
    fn subject_id(key: ParticipantKey) -> Uuid {
        key.visit
    }
    fn status_column() -> visit_participant::Column {
        visit_participant::Column::Status
    }
    fn version_column() -> visit_participant::Column {
        visit_participant::Column::Version
    }
    fn updated_at_column() -> Option<visit_participant::Column> {
        Some(visit_participant::Column::UpdatedAt)
    }
    async fn write_timeline(
        db: &impl ConnectionTrait,
        key: ParticipantKey,
        e: &Entry<'_, ParticipantStatus>,
    ) -> AppResult<()> {
        TIMELINE.write_for(db, key.visit, ("participant_id", key.user), e).await
    }
}
