//! Redis through a `ConnectionManager`: one multiplexed connection per process that
//! reconnects by itself, cheap to clone into every request.
use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use redis::{Script, aio::ConnectionManager};

use super::{Kv, KvError, KvResult, Spent, Taken};
use crate::metrics::{Metrics, RedisPart};

#[derive(Clone)]
pub struct RedisKv {
    conn: ConnectionManager,
    /// Counts the commands that failed (`cppcc_redis_errors_total{component="store"}`).
    metrics: Metrics,
}

fn err(e: redis::RedisError) -> KvError {
    KvError(format!("redis: {e}"))
}

fn ttl_ms(ttl: Option<Duration>) -> i64 {
    ttl.map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// KEYS[1] hash; ARGV: guard field, expected value, ttl ms (0 keeps it), then field/value pairs.
const HASH_SET_IF: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1";

/// KEYS[1] counter; ARGV[1] window ms. Returns {count, ms left}.
const INCR_IN_WINDOW: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); left = tonumber(ARGV[1]) end
return {n, left}";

/// KEYS counters; ARGV[1] window ms, then one limit per key. Counts in every counter, or,
/// when one is at its limit, in none and returns {0, ms until the longest such window ends}.
const INCR_ALL_BELOW: &str = r"
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 1])
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= limit then
    local left = redis.call('PTTL', key)
    if left <= 0 then left = tonumber(ARGV[1]) end
    if left > wait then wait = left end
  end
end
if wait > 0 then return {0, wait} end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 or redis.call('PTTL', key) < 0 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return {1, 0}";

/// KEYS counters; ARGV[1] window ms, ARGV[2] amount, then one limit per key. Adds the
/// amount to every counter when each stays within its limit, else to none. Returns
/// {granted, then value and ms left per counter}.
const SPEND_WITHIN: &str = r"
local window = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local granted = 1
local used, left = {}, {}
for i, key in ipairs(KEYS) do
  used[i] = tonumber(redis.call('GET', key) or '0')
  left[i] = redis.call('PTTL', key)
  if left[i] < 0 then left[i] = window end
  if used[i] + amount > tonumber(ARGV[i + 2]) then granted = 0 end
end
if granted == 1 then
  for i, key in ipairs(KEYS) do
    used[i] = redis.call('INCRBY', key, amount)
    if used[i] == amount or redis.call('PTTL', key) < 0 then
      redis.call('PEXPIRE', key, window)
      left[i] = window
    end
  end
end
local out = {granted}
for i = 1, #KEYS do
  out[#out + 1] = used[i]
  out[#out + 1] = left[i]
end
return out";

/// KEYS[1] counter: one less, never below zero; DECR keeps the key's expiry.
const DECR_COUNTER: &str = r"
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 0";

impl RedisKv {
    /// A manager that connects on first use (issue 16 item 3): a process started while
    /// Redis is down comes up, answers `/readyz` 503, and is ready once Redis is. Every
    /// connection attempt and every command is bounded by `timeout`, so a Redis that stops
    /// answering fails the requests that need it within a second instead of holding them.
    pub fn connect(url: &str, timeout: Duration, metrics: Metrics) -> KvResult<Self> {
        let client = redis::Client::open(url).map_err(err)?;
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config(timeout)).map_err(err)?;
        Ok(Self { conn, metrics })
    }

    fn failed(&self, e: redis::RedisError) -> KvError {
        self.metrics.redis_error(RedisPart::Store);
        err(e)
    }
}

/// Bounded attempts and commands; one quick retry, then the request fails and the next one
/// tries again (the manager reconnects by itself when Redis is back).
pub fn manager_config(timeout: Duration) -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(200))
}

fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

#[async_trait]
impl Kv for RedisKv {
    async fn hash_get_all(&self, key: &str) -> KvResult<HashMap<String, String>> {
        let mut conn = self.conn.clone();
        redis::cmd("HGETALL").arg(key).query_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn hash_get_all_many(&self, keys: &[String]) -> KvResult<Vec<HashMap<String, String>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.cmd("HGETALL").arg(key);
        }
        pipe.query_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn hash_incr(&self, key: &str, field: &str, by: i64) -> KvResult<i64> {
        let mut conn = self.conn.clone();
        redis::cmd("HINCRBY").arg(key).arg(field).arg(by).query_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn hash_set(&self, key: &str, fields: &[(&str, String)], ttl: Option<Duration>) -> KvResult<()> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("HSET").arg(key);
        for (k, v) in fields {
            pipe.arg(*k).arg(v);
        }
        pipe.ignore();
        if ttl.is_some() {
            pipe.cmd("PEXPIRE").arg(key).arg(ttl_ms(ttl)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn hash_set_if(
        &self,
        key: &str,
        guard_field: &str,
        expected: &str,
        fields: &[(&str, String)],
        ttl: Option<Duration>,
    ) -> KvResult<bool> {
        let mut conn = self.conn.clone();
        let script = Script::new(HASH_SET_IF);
        let mut call = script.key(key);
        call.arg(guard_field).arg(expected).arg(ttl_ms(ttl));
        for (k, v) in fields {
            call.arg(*k).arg(v);
        }
        let done: i64 = call.invoke_async(&mut conn).await.map_err(|e| self.failed(e))?;
        Ok(done == 1)
    }

    async fn delete(&self, keys: &[String]) -> KvResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        redis::cmd("DEL").arg(keys).query_async::<()>(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Option<Duration>) -> KvResult<()> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("SADD").arg(key).arg(member).ignore();
        if ttl.is_some() {
            pipe.cmd("PEXPIRE").arg(key).arg(ttl_ms(ttl)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn set_remove(&self, key: &str, members: &[String]) -> KvResult<()> {
        if members.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        redis::cmd("SREM").arg(key).arg(members).query_async::<()>(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn set_members(&self, key: &str) -> KvResult<Vec<String>> {
        let mut conn = self.conn.clone();
        redis::cmd("SMEMBERS").arg(key).query_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn incr_in_window(&self, key: &str, window: Duration) -> KvResult<(u64, u64)> {
        let mut conn = self.conn.clone();
        let (count, left): (i64, i64) = Script::new(INCR_IN_WINDOW)
            .key(key)
            .arg(ttl_ms(Some(window)))
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        Ok((u64::try_from(count).unwrap_or(0), ms_to_secs(left)))
    }

    async fn counter(&self, key: &str) -> KvResult<(u64, u64)> {
        let mut conn = self.conn.clone();
        let (count, left): (Option<u64>, i64) = redis::pipe()
            .cmd("GET")
            .arg(key)
            .cmd("PTTL")
            .arg(key)
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        Ok((count.unwrap_or(0), ms_to_secs(left)))
    }

    async fn incr_all_below(&self, counters: &[(String, u64)], window: Duration) -> KvResult<Taken> {
        if counters.is_empty() {
            return Ok(Taken::Counted);
        }
        let mut conn = self.conn.clone();
        let script = Script::new(INCR_ALL_BELOW);
        let mut call = script.prepare_invoke();
        for (key, _) in counters {
            call.key(key);
        }
        call.arg(ttl_ms(Some(window)));
        for (_, limit) in counters {
            call.arg(*limit);
        }
        let (counted, wait_ms): (i64, i64) = call.invoke_async(&mut conn).await.map_err(|e| self.failed(e))?;
        Ok(if counted == 1 { Taken::Counted } else { Taken::Full { retry_after_secs: ms_to_secs(wait_ms).max(1) } })
    }

    async fn spend_within(&self, counters: &[(String, u64)], amount: u64, window: Duration) -> KvResult<Spent> {
        if counters.is_empty() {
            return Ok(Spent { granted: true, counters: Vec::new() });
        }
        let mut conn = self.conn.clone();
        let script = Script::new(SPEND_WITHIN);
        let mut call = script.prepare_invoke();
        for (key, _) in counters {
            call.key(key);
        }
        call.arg(ttl_ms(Some(window))).arg(amount);
        for (_, limit) in counters {
            call.arg(*limit);
        }
        let out: Vec<i64> = call.invoke_async(&mut conn).await.map_err(|e| self.failed(e))?;
        let granted = out.first() == Some(&1);
        let counters = out
            .get(1..)
            .unwrap_or_default()
            .chunks(2)
            .map(|c| (c[0].max(0).unsigned_abs(), ms_to_secs(c[1])))
            .collect();
        Ok(Spent { granted, counters })
    }

    async fn decr_counter(&self, key: &str) -> KvResult<()> {
        let mut conn = self.conn.clone();
        Script::new(DECR_COUNTER).key(key).invoke_async::<i64>(&mut conn).await.map(|_| ()).map_err(|e| self.failed(e))
    }

    async fn ping(&self) -> KvResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(|e| self.failed(e))
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
