//! Redis through a `ConnectionManager`: one multiplexed connection per process that
//! reconnects by itself, cheap to clone into every request.
use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use redis::{Script, aio::ConnectionManager};

use super::{Kv, KvError, KvResult};

#[derive(Clone)]
pub struct RedisKv {
    conn: ConnectionManager,
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

impl RedisKv {
    pub async fn connect(url: &str) -> KvResult<Self> {
        let client = redis::Client::open(url).map_err(err)?;
        let conn = client.get_connection_manager().await.map_err(err)?;
        Ok(Self { conn })
    }
}

fn ms_to_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(0)).unwrap_or(0).div_ceil(1000)
}

#[async_trait]
impl Kv for RedisKv {
    async fn hash_get_all(&self, key: &str) -> KvResult<HashMap<String, String>> {
        let mut conn = self.conn.clone();
        redis::cmd("HGETALL").arg(key).query_async(&mut conn).await.map_err(err)
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
        pipe.query_async::<()>(&mut conn).await.map_err(err)
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
        let done: i64 = call.invoke_async(&mut conn).await.map_err(err)?;
        Ok(done == 1)
    }

    async fn delete(&self, keys: &[String]) -> KvResult<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        redis::cmd("DEL").arg(keys).query_async::<()>(&mut conn).await.map_err(err)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Option<Duration>) -> KvResult<()> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("SADD").arg(key).arg(member).ignore();
        if ttl.is_some() {
            pipe.cmd("PEXPIRE").arg(key).arg(ttl_ms(ttl)).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.map_err(err)
    }

    async fn set_remove(&self, key: &str, members: &[String]) -> KvResult<()> {
        if members.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        redis::cmd("SREM").arg(key).arg(members).query_async::<()>(&mut conn).await.map_err(err)
    }

    async fn set_members(&self, key: &str) -> KvResult<Vec<String>> {
        let mut conn = self.conn.clone();
        redis::cmd("SMEMBERS").arg(key).query_async(&mut conn).await.map_err(err)
    }

    async fn incr_in_window(&self, key: &str, window: Duration) -> KvResult<(u64, u64)> {
        let mut conn = self.conn.clone();
        let (count, left): (i64, i64) = Script::new(INCR_IN_WINDOW)
            .key(key)
            .arg(ttl_ms(Some(window)))
            .invoke_async(&mut conn)
            .await
            .map_err(err)?;
        Ok((u64::try_from(count).unwrap_or(0), ms_to_secs(left)))
    }

    async fn counter(&self, key: &str) -> KvResult<(u64, u64)> {
        let mut conn = self.conn.clone();
        let (count, left): (Option<u64>, i64) =
            redis::pipe().cmd("GET").arg(key).cmd("PTTL").arg(key).query_async(&mut conn).await.map_err(err)?;
        Ok((count.unwrap_or(0), ms_to_secs(left)))
    }

    async fn ping(&self) -> KvResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(err)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
