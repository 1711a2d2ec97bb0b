//! Shared short-lived state (sessions, rate-limit counters): Redis in production, a map in
//! this process for the quick start. Both implement the same small set of primitives, so
//! the rules built on them (`auth::sessions`, `auth::rate_limit`) are written once.
//!
//! Every operation that must not interleave with another (compare-and-set, counters that
//! start their own window) is atomic in both implementations: a Lua script or a
//! transaction in Redis, one lock in memory.
mod memory;
mod redis_store;

use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;

pub use memory::MemoryKv;
pub use redis_store::{RedisKv, manager_config as redis_manager_config};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KvError(pub String);

pub type KvResult<T> = Result<T, KvError>;

/// What `Kv::incr_all_below` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Every counter went up by one.
    Counted,
    /// A counter was at its limit; nothing was counted. Its window ends in this many seconds.
    Full { retry_after_secs: u64 },
}

/// What `Kv::spend_within` did, and where every counter stands after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spent {
    /// The amount was added to every counter (false: to none).
    pub granted: bool,
    /// Per counter, in the order given: its value and the seconds left in its window.
    pub counters: Vec<(u64, u64)>,
}

#[async_trait]
pub trait Kv: Send + Sync {
    /// All fields of a hash; empty when the key does not exist.
    async fn hash_get_all(&self, key: &str) -> KvResult<HashMap<String, String>>;
    /// All fields of several hashes, in one round trip (a pipeline in Redis): a session
    /// and its user's gate are read together on every request.
    async fn hash_get_all_many(&self, keys: &[String]) -> KvResult<Vec<HashMap<String, String>>>;
    /// Adds `by` to an integer field of a hash (creating both); returns the new value.
    async fn hash_incr(&self, key: &str, field: &str, by: i64) -> KvResult<i64>;
    /// Sets fields of a hash (creating it) and, if given, its time to live.
    async fn hash_set(&self, key: &str, fields: &[(&str, String)], ttl: Option<Duration>) -> KvResult<()>;
    /// Sets fields only while `guard_field` still holds `expected` (false otherwise,
    /// including when the key is gone). Compare-and-set for refresh rotation, and a way
    /// to touch a session without resurrecting one that was just revoked.
    async fn hash_set_if(
        &self,
        key: &str,
        guard_field: &str,
        expected: &str,
        fields: &[(&str, String)],
        ttl: Option<Duration>,
    ) -> KvResult<bool>;
    async fn delete(&self, keys: &[String]) -> KvResult<()>;
    async fn set_add(&self, key: &str, member: &str, ttl: Option<Duration>) -> KvResult<()>;
    async fn set_remove(&self, key: &str, members: &[String]) -> KvResult<()>;
    async fn set_members(&self, key: &str) -> KvResult<Vec<String>>;
    /// Adds one to a counter whose window starts at its first increment; returns the new
    /// count and the seconds left in the window.
    async fn incr_in_window(&self, key: &str, window: Duration) -> KvResult<(u64, u64)>;
    /// A counter's value and the seconds left in its window (0, 0 when absent).
    async fn counter(&self, key: &str) -> KvResult<(u64, u64)>;
    /// Takes one from every `(counter, limit)` at once, or from none: when any counter has
    /// reached its limit nothing is counted and the answer is `Full` with the longest wait.
    /// Each counter's window starts at its first increment. This is what makes a limit
    /// hold under a burst: the check and the count are one atomic step.
    async fn incr_all_below(&self, counters: &[(String, u64)], window: Duration) -> KvResult<Taken>;
    /// Adds `amount` to every `(counter, limit)` when each stays within its limit, or to
    /// none; one atomic step, like `incr_all_below`. A window starts at a counter's first
    /// spend. The request budget (`limits::budget`) is built on it.
    async fn spend_within(&self, counters: &[(String, u64)], amount: u64, window: Duration) -> KvResult<Spent>;
    /// Gives one back to a counter (never below zero), keeping its window.
    async fn decr_counter(&self, key: &str) -> KvResult<()>;
    async fn ping(&self) -> KvResult<()>;
    fn backend(&self) -> &'static str;
}
