//! Automatic persisted queries, Apollo's APQ protocol (also spoken by urql's
//! `persistedExchange`): the app sends the SHA-256 of its query instead of the query; the
//! first time the server answers `PersistedQueryNotFound`, the app sends both once, and from
//! then on the hash alone runs, in a GET the network can cache when the app wants. A feed
//! query of a few kilobytes becomes 64 hex digits on every request of a phone on 4G.
//!
//! The request carries `extensions: { persistedQuery: { version: 1, sha256Hash } }`. A query
//! is only stored under its own hash (checked here), so nobody can plant a different query
//! under a hash another client will send.
//!
//! Where: Redis when configured, so every API process knows every registered query, each
//! entry living `PERSISTED_QUERY_TTL_SECS` after its last registration (Redis's own memory
//! policy bounds the rest); without Redis, a least-recently-used map of
//! `PERSISTED_QUERY_LOCAL_ENTRIES` entries in this process.
use std::{num::NonZeroUsize, sync::Arc, time::Duration};

use lru::LruCache;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    error::{AppError, AppResult},
    kv::Kv,
};

/// The largest query kept (a query over it still runs when sent whole, it is just not
/// remembered): far above any query of the app, far below what would fill the store.
const MAX_QUERY_BYTES: usize = 64 * 1024;

enum Store {
    Shared(Arc<dyn Kv>),
    Local(std::sync::Mutex<LruCache<String, Arc<str>>>),
}

pub struct PersistedQueries {
    store: Store,
    prefix: String,
    ttl: Duration,
}

impl PersistedQueries {
    /// Shares the session store when it is Redis; keeps its own bounded map otherwise.
    pub fn new(kv: Arc<dyn Kv>, prefix: &str, ttl: Duration, local_entries: usize) -> Self {
        let store = if kv.backend() == "redis" {
            Store::Shared(kv)
        } else {
            let cap = NonZeroUsize::new(local_entries.max(1)).unwrap_or(NonZeroUsize::MIN);
            Store::Local(std::sync::Mutex::new(LruCache::new(cap)))
        };
        Self { store, prefix: prefix.to_owned(), ttl }
    }

    /// Completes a request that names a persisted query: fills in `query` from the store,
    /// or stores the `query` it came with under its hash. A request without the extension
    /// is left as it is.
    pub async fn resolve(&self, query: &mut Option<String>, extensions: Option<&Map<String, Value>>) -> AppResult<()> {
        let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return Ok(());
        };
        let hash = parse(persisted)?;
        match query.as_deref() {
            Some(text) if !text.is_empty() => {
                if hex::encode(Sha256::digest(text.as_bytes())) != hash {
                    return Err(AppError::bad_input(
                        "extensions.persistedQuery.sha256Hash",
                        "provided sha does not match query：查询与其 SHA-256 不符",
                    ));
                }
                if text.len() <= MAX_QUERY_BYTES {
                    self.put(&hash, text).await?;
                }
                Ok(())
            }
            _ => match self.get(&hash).await? {
                Some(text) => {
                    *query = Some(text);
                    Ok(())
                }
                None => Err(AppError::PersistedQueryNotFound),
            },
        }
    }

    fn key(&self, hash: &str) -> String {
        format!("{}apq:{hash}", self.prefix)
    }

    async fn get(&self, hash: &str) -> AppResult<Option<String>> {
        match &self.store {
            Store::Shared(kv) => Ok(kv.hash_get_all(&self.key(hash)).await?.remove("q")),
            Store::Local(map) => Ok(lock(map).get(hash).map(|q| q.to_string())),
        }
    }

    async fn put(&self, hash: &str, text: &str) -> AppResult<()> {
        match &self.store {
            Store::Shared(kv) => Ok(kv.hash_set(&self.key(hash), &[("q", text.to_owned())], Some(self.ttl)).await?),
            Store::Local(map) => {
                lock(map).put(hash.to_owned(), Arc::from(text));
                Ok(())
            }
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The map holds no invariant a panic elsewhere could break.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `{ version: 1, sha256Hash: "<64 hex digits>" }`, the hash in lower case.
fn parse(persisted: &Value) -> AppResult<String> {
    let field = "extensions.persistedQuery";
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(AppError::bad_input(field, "只支持 persistedQuery 第 1 版（version: 1）"));
    }
    let hash = persisted.get("sha256Hash").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::bad_input(format!("{field}.sha256Hash"), "sha256Hash 应为 64 位十六进制 SHA-256"));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kv::MemoryKv;

    fn ext(hash: &str) -> Map<String, Value> {
        json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).as_object().cloned().unwrap_or_default()
    }

    #[tokio::test]
    async fn hash_alone_after_the_query_was_sent_once() -> AppResult<()> {
        let apq = PersistedQueries::new(Arc::new(MemoryKv::new()), "t:", Duration::from_secs(60), 2);
        let text = "{ me { name } }";
        let hash = hex::encode(Sha256::digest(text));
        let mut none = None;
        assert!(matches!(apq.resolve(&mut none, Some(&ext(&hash))).await, Err(AppError::PersistedQueryNotFound)));
        let mut wrong = Some("{ __typename }".to_owned());
        assert!(matches!(apq.resolve(&mut wrong, Some(&ext(&hash))).await, Err(AppError::BadInput { .. })));
        let mut both = Some(text.to_owned());
        apq.resolve(&mut both, Some(&ext(&hash))).await?;
        let mut alone = None;
        apq.resolve(&mut alone, Some(&ext(&hash.to_uppercase()))).await?;
        assert_eq!(alone.as_deref(), Some(text));
        Ok(())
    }

    #[tokio::test]
    async fn the_local_store_keeps_only_so_many() -> AppResult<()> {
        let apq = PersistedQueries::new(Arc::new(MemoryKv::new()), "t:", Duration::from_secs(60), 2);
        let texts = ["{ a }", "{ b }", "{ c }"];
        for t in texts {
            apq.resolve(&mut Some(t.to_owned()), Some(&ext(&hex::encode(Sha256::digest(t))))).await?;
        }
        let mut first = None;
        let oldest = ext(&hex::encode(Sha256::digest(texts[0])));
        assert!(matches!(apq.resolve(&mut first, Some(&oldest)).await, Err(AppError::PersistedQueryNotFound)));
        Ok(())
    }
}
