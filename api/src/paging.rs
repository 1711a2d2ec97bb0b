//! Keyset pages of the office lists: newest first by a time-ordered (UUIDv7) id, with the
//! total of the filtered list. A page is "rows older than the cursor", so it stays stable
//! while new rows arrive.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::error::AppResult;

/// Up to `limit + 1` rows (the extra one tells that more follow) and the total.
pub async fn newest_first<E>(
    db: &impl ConnectionTrait,
    cond: Condition,
    id: E::Column,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<(Vec<E::Model>, u64)>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    let total = E::find().filter(cond.clone()).count(db).await?;
    let mut q = E::find().filter(cond);
    if let Some(after) = after {
        q = q.filter(id.lt(after));
    }
    let rows = q.order_by_desc(id).limit(limit + 1).all(db).await?;
    Ok((rows, total))
}
