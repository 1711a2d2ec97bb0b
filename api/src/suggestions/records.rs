//! How pieces of public-opinion information and bulletin issues take part in the one
//! transition mechanism (`crate::transition`): their keys, columns, and timelines.
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    error::AppResult,
    keyed_by_id,
    transition::{Entry, Stateful, Timeline},
};
use entity::{BulletinStatus, SuggestionStatus, bulletin_issue, suggestion};

/// 社情民意信息. Its timeline is the feedback its authors read.
pub struct SuggestionRecord;

impl Stateful for SuggestionRecord {
    type Entity = suggestion::Entity;
    type Status = SuggestionStatus;
    keyed_by_id!(suggestion);

    const SUBJECT: &'static str = "suggestion";
    const NOUN: &'static str = "信息";

    fn updated_at_column() -> Option<suggestion::Column> {
        Some(suggestion::Column::UpdatedAt)
    }
    async fn write_timeline(db: &impl ConnectionTrait, key: Uuid, e: &Entry<'_, SuggestionStatus>) -> AppResult<()> {
        Timeline { table: "suggestion_event", subject: "suggestion_id" }.write(db, key, e).await
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
    keyed_by_id!(bulletin_issue);

    const SUBJECT: &'static str = "bulletin_issue";
    const NOUN: &'static str = "期刊";

    fn updated_at_column() -> Option<bulletin_issue::Column> {
        None
    }
    async fn write_timeline(_: &impl ConnectionTrait, _: Uuid, _: &Entry<'_, BulletinStatus>) -> AppResult<()> {
        Ok(())
    }
}
