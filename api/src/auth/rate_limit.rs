//! Failed-login limits, counted in the shared store so that every server process counts
//! together: a fixed window per phone and per client address. A hand-written counter
//! rather than a crate: the in-process limiters (governor and friends) cannot share state
//! between processes, and the Redis side is one atomic script (`Kv::incr_in_window`).
use std::{sync::Arc, time::Duration};

use sha2::{Digest, Sha256};

use crate::{
    error::{AppError, AppResult},
    kv::Kv,
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

    /// Refuses before the password is even checked when either window is full.
    pub async fn check(&self, phone: &str, ip: &str) -> AppResult<()> {
        let (by_phone, phone_left) = self.kv.counter(&self.phone_key(phone)).await?;
        let (by_ip, ip_left) = self.kv.counter(&self.ip_key(ip)).await?;
        let mut wait = 0;
        if by_phone >= self.per_phone {
            wait = phone_left;
        }
        if by_ip >= self.per_ip {
            wait = wait.max(ip_left);
        }
        if wait > 0 { Err(Self::refused(wait)) } else { Ok(()) }
    }

    pub async fn record_failure(&self, phone: &str, ip: &str) -> AppResult<()> {
        self.kv.incr_in_window(&self.phone_key(phone), self.window).await?;
        self.kv.incr_in_window(&self.ip_key(ip), self.window).await?;
        Ok(())
    }

    /// A successful login forgives the phone's earlier mistakes (not the address's).
    pub async fn clear_phone(&self, phone: &str) -> AppResult<()> {
        self.kv.delete(&[self.phone_key(phone)]).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    #[tokio::test]
    async fn fifth_failure_closes_the_window() {
        let limiter = LoginLimiter::new(Arc::new(MemoryKv::new()), "t:", 5, 50, Duration::from_secs(900));
        for _ in 0..5 {
            assert!(limiter.check("13800138000", "1.2.3.4").await.is_ok());
            assert!(limiter.record_failure("13800138000", "1.2.3.4").await.is_ok());
        }
        let err = limiter.check("13800138000", "1.2.3.4").await.err();
        assert!(matches!(err, Some(AppError::RateLimited { retry_after_secs, .. }) if retry_after_secs > 800));
        assert!(limiter.check("13900139000", "1.2.3.4").await.is_ok(), "other phones still pass");
        assert!(limiter.clear_phone("13800138000").await.is_ok());
        assert!(limiter.check("13800138000", "1.2.3.4").await.is_ok());
    }
}
