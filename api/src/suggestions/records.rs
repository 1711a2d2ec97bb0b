//! How pieces of public-opinion information and bulletin issues take part in the one
//! transition mechanism (`crate::transition`): their keys, columns, and timelines.
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{
    error::AppResult,
    transition::{Entry, Stateful},
};
use entity::{BulletinStatus, SuggestionStatus, bulletin_issue, suggestion, suggestion_event};

/// 社情民意信息. Its timeline is the feedback its authors read.
pub struct SuggestionRecord;

impl Stateful for SuggestionRecord {
    type Entity = suggestion::Entity;
    type Status = SuggestionStatus;
    type Key = Uuid;

    const SUBJECT: &'static str = "suggestion";
    const NOUN: &'static str = "信息";

    fn filter(key: Uuid) -> Condition {
        Condition::all().add(suggestion::Column::Id.eq(key))
    }
    fn subject_id(key: Uuid) -> Uuid {
        key
    }
    fn status_column() -> suggestion::Column {
        suggestion::Column::Status
    }
    fn version_column() -> suggestion::Column {
        suggestion::Column::Version
    }
    fn updated_at_column() -> Option<suggestion::Column> {
        Some(suggestion::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, SuggestionStatus>) -> AppResult<()> {
        suggestion_event::Entity::insert(suggestion_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            suggestion_id: Set(key),
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

/// One issue (期) of the bulletin. It has no timeline of its own: what its publication
/// means to people shows on the timelines of the pieces it prints (each a PUBLISHED step
/// naming the issue, written in the same transaction), and the issue's own steps still
/// reach the outbox as events for whoever consumes them. A second timeline table would
/// only repeat the pieces' lines.
pub struct BulletinIssueRecord;

impl Stateful for BulletinIssueRecord {
    type Entity = bulletin_issue::Entity;
    type Status = BulletinStatus;
    type Key = Uuid;

    const SUBJECT: &'static str = "bulletin_issue";
    const NOUN: &'static str = "期刊";

    fn filter(key: Uuid) -> Condition {
        Condition::all().add(bulletin_issue::Column::Id.eq(key))
    }
    fn subject_id(key: Uuid) -> Uuid {
        key
    }
    fn status_column() -> bulletin_issue::Column {
        bulletin_issue::Column::Status
    }
    fn version_column() -> bulletin_issue::Column {
        bulletin_issue::Column::Version
    }
    fn updated_at_column() -> Option<bulletin_issue::Column> {
        None
    }
    async fn write_timeline(_: &impl ConnectionTrait, _: Uuid, _: &Entry<'_, BulletinStatus>) -> AppResult<()> {
        Ok(())
    }
}
