//! Failed-login limits, counted in the shared store so that every server process counts
//! together: a fixed window per phone and per client address. An attempt is counted when
//! it starts, atomically with the check, and given back when it turns out not to be a
//! failure. A hand-written counter rather than a crate: the in-process limiters (governor
//! and friends) cannot share state between processes, and the Redis side is one atomic
//! script (`Kv::incr_all_below`).
use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    error::{AppError, AppResult},
    kv::{Kv, Taken},
};

#[derive(Clone)]
pub struct LoginLimiter {
    kv: Arc<dyn Kv>,
    prefix: String,
    per_phone: u64,
    per_ip: u64,
    window: Duration,
}

impl LoginLimiter {
    pub fn new(kv: Arc<dyn Kv>, prefix: &str, per_phone: u32, per_ip: u32, window: Duration) -> Self {
        Self { kv, prefix: prefix.to_owned(), per_phone: per_phone.into(), per_ip: per_ip.into(), window }
    }

    /// Phones are hashed so that the store holds no phone numbers.
    fn phone_key(&self, phone: &str) -> String {
        let h = hex::encode(Sha256::digest(phone.as_bytes()));
        format!("{}login-fail:phone:{}", self.prefix, &h[..24])
    }

    fn ip_key(&self, ip: &str) -> String {
        format!("{}login-fail:ip:{ip}", self.prefix)
    }

    fn refused(secs: u64) -> AppError {
        AppError::retry_later("登录尝试过多", secs)
    }

    /// Counts a login attempt for the phone and the address *before* the password is
    /// checked, in one atomic step with the check of both limits. Counting after the check
    /// (as a failure) let a burst through: forty requests sent at once all saw an empty
    /// counter. Now at most the limit's worth of attempts are ever being checked, and the
    /// rest are refused with `RATE_LIMITED` at once.
    pub async fn begin(&self, phone: &str, ip: &str) -> AppResult<Attempt> {
        let attempt = Attempt { phone_key: self.phone_key(phone), ip_key: self.ip_key(ip) };
        let counters = [(attempt.phone_key.clone(), self.per_phone), (attempt.ip_key.clone(), self.per_ip)];
        match self.kv.incr_all_below(&counters, self.window).await? {
            Taken::Counted => Ok(attempt),
            Taken::Full { retry_after_secs } => Err(Self::refused(retry_after_secs)),
        }
    }

    /// The password was right: the phone's earlier mistakes are forgiven, and the address
    /// gets its attempt back (the address limit counts failures: many people share a
    /// carrier's address).
    pub async fn succeeded(&self, attempt: Attempt) -> AppResult<()> {
        self.kv.delete(std::slice::from_ref(&attempt.phone_key)).await?;
        self.kv.decr_counter(&attempt.ip_key).await?;
        Ok(())
    }

    /// The password was never checked (the server was too busy): the attempt is given back.
    pub async fn not_checked(&self, attempt: Attempt) -> AppResult<()> {
        self.kv.decr_counter(&attempt.phone_key).await?;
        self.kv.decr_counter(&attempt.ip_key).await?;
        Ok(())
    }
}

/// A counted login attempt. A wrong password leaves it counted; `succeeded` and
/// `not_checked` settle it otherwise.
#[must_use = "a counted attempt is settled by `succeeded` or `not_checked`, or stays counted as a failure"]
pub struct Attempt {
    phone_key: String,
    ip_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    fn limiter() -> LoginLimiter {
        LoginLimiter::new(Arc::new(MemoryKv::new()), "t:", 5, 50, Duration::from_secs(900))
    }

    #[tokio::test]
    async fn the_sixth_attempt_is_refused_before_any_is_settled() {
        let limiter = limiter();
        let mut pending = Vec::new();
        for _ in 0..5 {
            pending.push(limiter.begin("13800138000", "1.2.3.4").await.ok());
        }
        assert!(pending.iter().all(Option::is_some));
        let err = limiter.begin("13800138000", "1.2.3.4").await.err();
        assert!(matches!(err, Some(AppError::RateLimited { retry_after_secs, .. }) if retry_after_secs > 800));
        assert!(limiter.begin("13900139000", "1.2.3.4").await.is_ok(), "other phones still pass");
        // A success forgives the phone.
        if let Some(Some(attempt)) = pending.pop() {
            assert!(limiter.succeeded(attempt).await.is_ok());
        }
        assert!(limiter.begin("13800138000", "1.2.3.4").await.is_ok());
    }

    #[tokio::test]
    async fn unchecked_attempts_are_given_back() {
        let limiter = limiter();
        for _ in 0..20 {
            let attempt = limiter.begin("13800138000", "1.2.3.4").await;
            assert!(attempt.is_ok());
            if let Ok(attempt) = attempt {
                assert!(limiter.not_checked(attempt).await.is_ok());
            }
        }
    }

    #[tokio::test]
    async fn the_address_limit_counts_only_failures() {
        let limiter = LoginLimiter::new(Arc::new(MemoryKv::new()), "t:", 5, 3, Duration::from_secs(900));
        for i in 0..10 {
            let attempt = limiter.begin(&format!("1390013900{i}"), "1.2.3.4").await;
            assert!(attempt.is_ok(), "successes give the address its attempt back");
            if let Ok(attempt) = attempt {
                assert!(limiter.succeeded(attempt).await.is_ok());
            }
        }
        for i in 0..3 {
            assert!(limiter.begin(&format!("1370013700{i}"), "1.2.3.4").await.is_ok());
        }
        assert!(limiter.begin("13600136000", "1.2.3.4").await.is_err());
    }
}
