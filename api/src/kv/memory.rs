//! In-process store for the quick start: one server process, nothing survives a restart.
use std::{
    collections::{BTreeSet, HashMap},
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;

use super::{Kv, KvError, KvResult, Spent, Taken};

enum Value {
    Hash(HashMap<String, String>),
    Set(BTreeSet<String>),
    Counter(u64),
}

struct Entry {
    value: Value,
    expires: Option<Instant>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
    fn secs_left(&self, now: Instant) -> u64 {
        self.expires.map_or(0, |at| at.saturating_duration_since(now).as_secs().max(1))
    }
}

#[derive(Default)]
pub struct MemoryKv {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>, Instant) -> T) -> KvResult<T> {
        let mut map = self.entries.lock().map_err(|_| KvError("memory store poisoned".into()))?;
        let now = Instant::now();
        // Expired entries are dropped lazily; the map is small in the quick start.
        map.retain(|_, e| e.live(now));
        Ok(f(&mut map, now))
    }
}

fn set_fields(
    map: &mut HashMap<String, Entry>,
    key: &str,
    fields: &[(&str, String)],
    ttl: Option<Duration>,
    now: Instant,
) {
    let entry =
        map.entry(key.to_owned()).or_insert_with(|| Entry { value: Value::Hash(HashMap::new()), expires: None });
    if !matches!(entry.value, Value::Hash(_)) {
        entry.value = Value::Hash(HashMap::new());
    }
    if let Value::Hash(hash) = &mut entry.value {
        for (k, v) in fields {
            hash.insert((*k).to_owned(), v.clone());
        }
    }
    if let Some(ttl) = ttl {
        entry.expires = Some(now + ttl);
    }
}

#[async_trait]
impl Kv for MemoryKv {
    async fn hash_get_all(&self, key: &str) -> KvResult<HashMap<String, String>> {
        self.with(|map, _| match map.get(key).map(|e| &e.value) {
            Some(Value::Hash(h)) => h.clone(),
            _ => HashMap::new(),
        })
    }

    async fn hash_get_all_many(&self, keys: &[String]) -> KvResult<Vec<HashMap<String, String>>> {
        self.with(|map, _| {
            keys.iter()
                .map(|key| match map.get(key).map(|e| &e.value) {
                    Some(Value::Hash(h)) => h.clone(),
                    _ => HashMap::new(),
                })
                .collect()
        })
    }

    async fn hash_incr(&self, key: &str, field: &str, by: i64) -> KvResult<i64> {
        self.with(|map, now| {
            let current = match map.get(key).map(|e| &e.value) {
                Some(Value::Hash(h)) => h.get(field).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0),
                _ => 0,
            };
            let next = current.saturating_add(by);
            set_fields(map, key, &[(field, next.to_string())], None, now);
            next
        })
    }

    async fn hash_set(&self, key: &str, fields: &[(&str, String)], ttl: Option<Duration>) -> KvResult<()> {
        self.with(|map, now| set_fields(map, key, fields, ttl, now))
    }

    async fn hash_set_if(
        &self,
        key: &str,
        guard_field: &str,
        expected: &str,
        fields: &[(&str, String)],
        ttl: Option<Duration>,
    ) -> KvResult<bool> {
        self.with(|map, now| {
            let holds = matches!(map.get(key).map(|e| &e.value),
                Some(Value::Hash(h)) if h.get(guard_field).map(String::as_str) == Some(expected));
            if holds {
                set_fields(map, key, fields, ttl, now);
            }
            holds
        })
    }

    async fn delete(&self, keys: &[String]) -> KvResult<()> {
        self.with(|map, _| {
            for key in keys {
                map.remove(key);
            }
        })
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Option<Duration>) -> KvResult<()> {
        self.with(|map, now| {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| Entry { value: Value::Set(BTreeSet::new()), expires: None });
            if let Value::Set(set) = &mut entry.value {
                set.insert(member.to_owned());
            }
            if let Some(ttl) = ttl {
                entry.expires = Some(now + ttl);
            }
        })
    }

    async fn set_remove(&self, key: &str, members: &[String]) -> KvResult<()> {
        self.with(|map, _| {
            if let Some(Entry { value: Value::Set(set), .. }) = map.get_mut(key) {
                for m in members {
                    set.remove(m);
                }
            }
        })
    }

    async fn set_members(&self, key: &str) -> KvResult<Vec<String>> {
        self.with(|map, _| match map.get(key).map(|e| &e.value) {
            Some(Value::Set(s)) => s.iter().cloned().collect(),
            _ => Vec::new(),
        })
    }

    async fn incr_in_window(&self, key: &str, window: Duration) -> KvResult<(u64, u64)> {
        self.with(|map, now| {
            let entry = map
                .entry(key.to_owned())
                .or_insert_with(|| Entry { value: Value::Counter(0), expires: Some(now + window) });
            let count = match &mut entry.value {
                Value::Counter(c) => {
                    *c += 1;
                    *c
                }
                _ => 0,
            };
            (count, entry.secs_left(now))
        })
    }

    async fn counter(&self, key: &str) -> KvResult<(u64, u64)> {
        self.with(|map, now| match map.get(key) {
            Some(e @ Entry { value: Value::Counter(c), .. }) => (*c, e.secs_left(now)),
            _ => (0, 0),
        })
    }

    async fn incr_all_below(&self, counters: &[(String, u64)], window: Duration) -> KvResult<Taken> {
        // One lock around the check and the increments: the same atomicity as the script.
        self.with(|map, now| {
            let mut wait = 0;
            for (key, limit) in counters {
                if let Some(e @ Entry { value: Value::Counter(c), .. }) = map.get(key)
                    && *c >= *limit
                {
                    wait = wait.max(e.secs_left(now).max(1));
                }
                if *limit == 0 {
                    wait = wait.max(window.as_secs().max(1));
                }
            }
            if wait > 0 {
                return Taken::Full { retry_after_secs: wait };
            }
            for (key, _) in counters {
                let entry = map
                    .entry(key.clone())
                    .or_insert_with(|| Entry { value: Value::Counter(0), expires: Some(now + window) });
                match &mut entry.value {
                    Value::Counter(c) => *c += 1,
                    other => {
                        *other = Value::Counter(1);
                        entry.expires = Some(now + window);
                    }
                }
            }
            Taken::Counted
        })
    }

    async fn spend_within(&self, counters: &[(String, u64)], amount: u64, window: Duration) -> KvResult<Spent> {
        // One lock around the check and the additions: the same atomicity as the script.
        self.with(|map, now| {
            let current = |map: &HashMap<String, Entry>, key: &str| match map.get(key) {
                Some(e @ Entry { value: Value::Counter(c), .. }) => (*c, e.secs_left(now)),
                _ => (0, window.as_secs()),
            };
            let granted = counters.iter().all(|(key, limit)| current(map, key).0.saturating_add(amount) <= *limit);
            if granted {
                for (key, _) in counters {
                    let entry = map
                        .entry(key.clone())
                        .or_insert_with(|| Entry { value: Value::Counter(0), expires: Some(now + window) });
                    match &mut entry.value {
                        Value::Counter(c) => *c = c.saturating_add(amount),
                        other => {
                            *other = Value::Counter(amount);
                            entry.expires = Some(now + window);
                        }
                    }
                }
            }
            Spent { granted, counters: counters.iter().map(|(key, _)| current(map, key)).collect() }
        })
    }

    async fn decr_counter(&self, key: &str) -> KvResult<()> {
        self.with(|map, _| {
            if let Some(Entry { value: Value::Counter(c), .. }) = map.get_mut(key) {
                *c = c.saturating_sub(1);
            }
        })
    }

    async fn ping(&self) -> KvResult<()> {
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
