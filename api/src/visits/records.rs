//! How visits and sign-ups take part in the one transition mechanism (`crate::transition`):
//! their keys, columns, and the visit's history their steps are written to.
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    transition::{Entry, Stateful},
};
use entity::{ParticipantStatus, VisitStatus, visit, visit_event, visit_participant};

/// 视察调研、交流考察.
pub struct VisitRecord;

impl Stateful for VisitRecord {
    type Entity = visit::Entity;
    type Status = VisitStatus;
    type Key = Uuid;

    const SUBJECT: &'static str = "visit";
    const NOUN: &'static str = "活动";

    fn filter(key: Uuid) -> Condition {
        Condition::all().add(visit::Column::Id.eq(key))
    }
    fn subject_id(key: Uuid) -> Uuid {
        key
    }
    fn status_column() -> visit::Column {
        visit::Column::Status
    }
    fn version_column() -> visit::Column {
        visit::Column::Version
    }
    fn updated_at_column() -> Option<visit::Column> {
        Some(visit::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, VisitStatus>) -> AppResult<()> {
        write(db, key, None, e.from_value(), e.to_value(), e).await
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
        write(db, key.visit, Some(key.user), e.from_value(), e.to_value(), e).await
    }
}

async fn write<S>(
    db: &impl ConnectionTrait,
    visit: Uuid,
    participant: Option<Uuid>,
    from: Option<String>,
    to: Option<String>,
    e: &Entry<'_, S>,
) -> AppResult<()> {
    visit_event::Entity::insert(visit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        visit_id: Set(visit),
        action: Set(e.action.to_owned()),
        from_status: Set(from),
        to_status: Set(to),
        actor_id: Set(e.actor),
        at: Set(e.at),
        note: Set(e.note.clone()),
        participant_id: Set(participant),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
