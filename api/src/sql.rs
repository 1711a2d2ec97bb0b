//! Small SQL helpers the domain modules share.
use sea_orm::sea_query::LikeExpr;

/// A `LIKE` pattern matching `text` anywhere; `%`, `_` and `\\` the user typed match
/// themselves.
pub fn like_contains(text: &str) -> LikeExpr {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}
