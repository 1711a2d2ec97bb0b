//! Retries are safe by construction (ARCHITECTURE §4). A phone on a bad network sends a
//! create again when the answer got lost; with the same idempotency key it must get the
//! first result, not a second record — also while the first request is still running —
//! and a key reused for a different request is refused.
//!
//! `(user, operation, key) → (fingerprint of the arguments, result id)` lives under a
//! unique key. [`claim`] inserts it as the first write of the creating transaction: a
//! second request with the key waits on the first one's row (PostgreSQL waits for the
//! inserting transaction; SQLite serialises writers) and then finds it, so it never makes
//! a record of its own and never answers CONFLICT for a retry.
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::idempotency_key;

pub const FIELD: &str = "idempotencyKey";

/// A client's key with the fingerprint of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    key: String,
    fingerprint: String,
}

impl Key {
    /// 8 to 100 characters (a UUID fits), so that keys are not guessed or reused by accident.
    pub fn new(key: &str, fingerprint: String) -> AppResult<Self> {
        let key = key.trim();
        if !(8..=100).contains(&key.chars().count()) {
            return Err(AppError::bad_input(FIELD, "幂等键长度应为8到100个字符"));
        }
        Ok(Self { key: key.to_owned(), fingerprint })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }
}

/// The fingerprint of a request: SHA-256 over the operation and its arguments in a
/// canonical form (object keys sorted), so the same request always gives the same one.
pub fn fingerprint(operation: &str, arguments: &serde_json::Value) -> String {
    let mut canonical = String::new();
    write_canonical(arguments, &mut canonical);
    let mut hash = Sha256::new();
    hash.update(operation.as_bytes());
    hash.update([0]);
    hash.update(canonical.as_bytes());
    hex::encode(hash.finalize())
}

fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: go on and make `result`.
    Fresh,
    /// The same request went through before: answer with this record. The caller rolls
    /// its transaction back (nothing was written).
    Replay(Uuid),
}

/// Claims `key` for `user`'s `operation`, naming `result` as the record the request makes.
/// Must be the first write of the transaction that makes it (see the module comment).
pub async fn claim(
    txn: &impl ConnectionTrait,
    user: Uuid,
    operation: &str,
    key: &Key,
    result: Uuid,
) -> AppResult<Claim> {
    let row = idempotency_key::ActiveModel {
        user_id: Set(user),
        operation: Set(operation.to_owned()),
        key: Set(key.key.clone()),
        fingerprint: Set(Some(key.fingerprint.clone())),
        result_id: Set(result),
        created_at: Set(Utc::now()),
    };
    let inserted = idempotency_key::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                idempotency_key::Column::UserId,
                idempotency_key::Column::Operation,
                idempotency_key::Column::Key,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        .or_else(|e| if matches!(e, DbErr::RecordNotInserted) { Ok(0) } else { Err(e) })?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let first = idempotency_key::Entity::find_by_id((user, operation.to_owned(), key.key.clone()))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal("idempotency key vanished after a conflict"))?;
    match first.fingerprint {
        Some(f) if f != key.fingerprint => {
            Err(AppError::conflict(FIELD, "该幂等键已用于另一个不同的请求，请换一个新的键"))
        }
        _ => Ok(Claim::Replay(first.result_id)),
    }
}

/// [`claim`] when the client sent a key: `Some(first result)` when this is a retry.
pub async fn claim_opt(
    txn: &impl ConnectionTrait,
    user: Uuid,
    operation: &str,
    key: Option<&Key>,
    result: Uuid,
) -> AppResult<Option<Uuid>> {
    match key {
        Some(key) => match claim(txn, user, operation, key, result).await? {
            Claim::Fresh => Ok(None),
            Claim::Replay(first) => Ok(Some(first)),
        },
        None => Ok(None),
    }
}

/// The record an earlier request made with this key, if any (a read outside any
/// transaction: for answering early, never as the guarantee).
pub async fn find(db: &impl ConnectionTrait, user: Uuid, operation: &str, key: &Key) -> AppResult<Option<Uuid>> {
    let found = idempotency_key::Entity::find_by_id((user, operation.to_owned(), key.key.clone())).one(db).await?;
    match found {
        Some(row) if row.fingerprint.as_ref().is_some_and(|f| *f != key.fingerprint) => {
            Err(AppError::conflict(FIELD, "该幂等键已用于另一个不同的请求，请换一个新的键"))
        }
        Some(row) => Ok(Some(row.result_id)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fingerprints_ignore_key_order_and_see_every_value() {
        let a = fingerprint("op", &json!({ "input": { "title": "东门积水", "content": "……" }, "id": "1" }));
        let b = fingerprint("op", &json!({ "id": "1", "input": { "content": "……", "title": "东门积水" } }));
        assert_eq!(a, b);
        assert_ne!(a, fingerprint("op", &json!({ "id": "1", "input": { "content": "……", "title": "西门积水" } })));
        assert_ne!(a, fingerprint("other", &json!({ "input": { "title": "东门积水", "content": "……" }, "id": "1" })));
        assert_ne!(fingerprint("op", &json!(["a", "b"])), fingerprint("op", &json!(["b", "a"])));
    }

    #[test]
    fn keys_are_bounded() {
        assert!(Key::new("short", String::new()).is_err());
        assert!(Key::new(&"k".repeat(101), String::new()).is_err());
        assert_eq!(Key::new("  phone-0001 ", String::new()).map(|k| k.key).ok().as_deref(), Some("phone-0001"));
    }
}
