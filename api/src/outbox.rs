//! Domain events (ARCHITECTURE §3). Every step writes one in its own transaction, so an
//! event exists exactly when its step happened; a crash between commit and delivery loses
//! nothing. Consumers — the notification inbox, live subscriptions, the audit log — come
//! with their issues and read the table in id (time) order, marking what they dispatched.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::error::AppResult;
use entity::outbox;

pub struct Event<'a> {
    pub organization_id: Uuid,
    pub subject_type: &'a str,
    pub subject_id: Uuid,
    pub kind: &'a str,
    pub actor: Uuid,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

pub async fn write(db: &impl ConnectionTrait, e: Event<'_>) -> AppResult<()> {
    outbox::Entity::insert(outbox::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(e.organization_id),
        subject_type: Set(e.subject_type.to_owned()),
        subject_id: Set(e.subject_id),
        kind: Set(e.kind.to_owned()),
        actor_id: Set(e.actor),
        payload: Set(e.payload),
        occurred_at: Set(e.at),
        dispatched_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
