//! Relay cursor connections (`edges`, `node`, `cursor`, `pageInfo`, `totalCount`) over
//! keyset pages: a page is "rows after this id", so it stays stable while rows are added.
use async_graphql::{
    OutputType, SimpleObject,
    connection::{Connection, Edge},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;

#[derive(SimpleObject)]
pub struct TotalCount {
    /// 符合条件的总数
    pub total_count: u64,
}

pub type Page<N> = Connection<String, N, TotalCount>;

/// `first`, defaulted and capped (`BAD_USER_INPUT` above the cap rather than a silent cut).
pub fn page_size(first: Option<i32>) -> AppResult<u64> {
    let n = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(0..=MAX_PAGE_SIZE).contains(&n) {
        return Err(AppError::bad_input("first", format!("first 应在0到{MAX_PAGE_SIZE}之间")));
    }
    Ok(u64::try_from(n).unwrap_or(0))
}

pub fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_cursor(after: Option<&str>) -> AppResult<Option<Uuid>> {
    after
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|bytes| Uuid::from_slice(&bytes).ok())
                .ok_or_else(|| AppError::bad_input("after", "分页游标无效"))
        })
        .transpose()
}

/// Builds a connection from `limit + 1` fetched rows.
pub fn connection<R, N: OutputType>(
    mut rows: Vec<R>,
    limit: u64,
    total: u64,
    after_given: bool,
    id: impl Fn(&R) -> Uuid,
    node: impl Fn(R) -> N,
) -> Page<N> {
    let has_next = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut page = Connection::with_additional_fields(after_given, has_next, TotalCount { total_count: total });
    page.edges.extend(rows.into_iter().map(|r| Edge::new(encode_cursor(id(&r)), node(r))));
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_defaults_and_caps() {
        assert_eq!(page_size(None).ok(), Some(20));
        assert_eq!(page_size(Some(100)).ok(), Some(100));
        assert!(page_size(Some(101)).is_err());
        assert!(page_size(Some(-1)).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(Some(&encode_cursor(id))).ok().flatten(), Some(id));
        assert!(decode_cursor(Some("not a cursor")).is_err());
        assert_eq!(decode_cursor(None).ok().flatten(), None);
    }
}
