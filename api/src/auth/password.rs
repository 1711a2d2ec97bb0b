//! Password hashing with argon2id (the `argon2` crate of RustCrypto, OWASP's first choice).
//!
//! One argon2id hash costs tens of milliseconds of CPU and 19 MiB of memory, and anyone on
//! the internet can ask for one (a login). So hashing is bounded: at most `concurrency`
//! hashes run at once (by default one per core; more would not finish sooner), the others
//! wait for a turn up to `max_wait` and are then refused with `SERVICE_UNAVAILABLE`. Each
//! turn owns one memory buffer, allocated on first use and kept: a burst of logins costs
//! `concurrency × 19 MiB` once, instead of 19 MiB per login allocated on an unbounded
//! blocking pool (which the allocator then kept: 80 logins at once took 3 GB).
//!
//! Every hash goes through here: logins, `createUser`, password changes and resets, the
//! first-start admin and the demo data.
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, Version,
    password_hash::{Output, ParamsString, SaltString, rand_core::OsRng},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{AppError, AppResult};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// At least 8 characters and two kinds among letters, digits and other signs.
pub fn check_strength(password: &str, field: &str) -> AppResult<()> {
    let len = password.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        return Err(AppError::bad_input(field, format!("密码长度应为{MIN_LEN}到{MAX_LEN}位")));
    }
    let kinds = [
        password.chars().any(|c| c.is_alphabetic()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err(AppError::bad_input(field, "密码应至少包含字母、数字、符号中的两种"));
    }
    Ok(())
}

/// The hasher every password goes through. Cheap to share: clone the `Arc` around it.
pub struct Passwords {
    inner: Arc<Inner>,
    max_wait: Duration,
}

struct Inner {
    turns: Arc<Semaphore>,
    /// One buffer per turn, taken by the hash that holds the turn and put back after it.
    buffers: Mutex<Vec<Vec<Block>>>,
}

/// The parameters new hashes get: the crate's defaults (argon2id v19, 19 MiB, t=2, p=1),
/// which are OWASP's recommendation.
fn params() -> Params {
    Params::DEFAULT
}

impl Inner {
    fn take_buffer(&self, blocks: usize) -> Vec<Block> {
        let usual = params().block_count();
        if blocks <= usual
            && let Some(buffer) = self.buffers.lock().ok().and_then(|mut pool| pool.pop())
        {
            return buffer;
        }
        // The first hash of a turn (kept afterwards), or a stored hash made with more
        // memory than today's parameters (a one-off buffer).
        vec![Block::default(); blocks.max(usual)]
    }

    fn put_buffer(&self, buffer: Vec<Block>) {
        if buffer.len() == params().block_count()
            && let Ok(mut pool) = self.buffers.lock()
        {
            pool.push(buffer);
        }
    }
}

/// The computation a turn runs: the argon2 function with the turn's memory.
fn compute(inner: &Inner, argon2: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> AppResult<()> {
    let mut buffer = inner.take_buffer(argon2.params().block_count());
    let result = argon2.hash_password_into_with_memory(password, salt, out, &mut buffer[..]);
    inner.put_buffer(buffer);
    result.map_err(|e| AppError::internal(format!("argon2: {e}")))
}

/// A new hash in the PHC string format (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`),
/// the same string `argon2::PasswordHasher` writes.
fn hash_with(inner: &Inner, password: &[u8]) -> AppResult<String> {
    let broken = |e: argon2::password_hash::Error| AppError::internal(format!("argon2: {e}"));
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(broken)?;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    compute(inner, &argon2, password, salt_raw, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(broken)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(broken)?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a stored PHC string, with the stored hash's own parameters
/// (a hash made with older parameters still verifies), comparing in constant time.
fn verify_with(inner: &Inner, password: &[u8], stored: &str) -> AppResult<bool> {
    let broken = |e: argon2::password_hash::Error| AppError::internal(format!("stored hash: {e}"));
    let parsed = PasswordHash::new(stored).map_err(broken)?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(broken)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| AppError::internal(format!("stored hash: {e}")))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(broken)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(AppError::internal("stored hash: no salt or no hash"));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(broken)?;
    let mut out = vec![0u8; expected.len()];
    compute(inner, &Argon2::new(algorithm, version, params), password, salt_raw, &mut out)?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out).map_err(broken)? == expected)
}

/// What an unknown phone is checked against: a hash of nothing anyone knows, with the
/// parameters of new hashes, so that it costs what a real one costs.
fn verify_nothing(inner: &Inner, password: &[u8]) -> AppResult<bool> {
    let params = params();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    compute(inner, &argon2, password, b"no-such-user-salt", &mut out)?;
    Ok(false)
}

impl Passwords {
    /// `concurrency` hashes at once (0: one per core); a hash waits at most `max_wait` for
    /// its turn.
    pub fn new(concurrency: usize, max_wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let turns = if concurrency == 0 { cores } else { concurrency };
        let inner = Inner { turns: Arc::new(Semaphore::new(turns)), buffers: Mutex::new(Vec::with_capacity(turns)) };
        Self { inner: Arc::new(inner), max_wait }
    }

    /// Waits for a turn, or refuses: the server is busy hashing, nothing was done.
    async fn turn(&self) -> AppResult<OwnedSemaphorePermit> {
        let busy = || {
            tracing::warn!("password hashing is saturated; request refused");
            AppError::unavailable("服务器繁忙，请稍后再试", self.max_wait.as_secs().clamp(1, 30))
        };
        let turns = self.inner.turns.clone();
        if self.max_wait.is_zero() {
            return turns.try_acquire_owned().map_err(|_| busy());
        }
        match tokio::time::timeout(self.max_wait, turns.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) => Err(AppError::internal("password hashing semaphore closed")),
            Err(_) => Err(busy()),
        }
    }

    /// Runs `work` on the blocking pool within a turn. The turn moves into the blocking
    /// task, so a request that goes away (the client hung up) does not hand its turn on
    /// while its hash is still running.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Inner) -> AppResult<T> + Send + 'static) -> AppResult<T> {
        let permit = self.turn().await?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let result = work(&inner);
            drop(permit);
            result
        })
        .await
        .map_err(AppError::internal)?
    }

    pub async fn hash(&self, password: String) -> AppResult<String> {
        self.run(move |inner| hash_with(inner, password.as_bytes())).await
    }

    /// Verifies against `stored`, or, when there is no such user, against nothing at the
    /// same cost: a wrong password for a known phone and any password for an unknown one
    /// each cost exactly one hash, so the time does not tell whether the phone exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> AppResult<bool> {
        self.run(move |inner| match stored {
            Some(stored) => verify_with(inner, password.as_bytes(), &stored),
            None => verify_nothing(inner, password.as_bytes()),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    fn passwords() -> Passwords {
        Passwords::new(2, Duration::from_secs(5))
    }

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let p = passwords();
        let a = p.hash("correct horse 1".into()).await.ok().unwrap_or_default();
        let b = p.hash("correct horse 1".into()).await.ok().unwrap_or_default();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(p.verify("correct horse 1".into(), Some(a.clone())).await.unwrap_or(false));
        assert!(!p.verify("wrong horse 1".into(), Some(a)).await.unwrap_or(true));
        assert!(!p.verify("dummy-password-1".into(), None).await.unwrap_or(true));
    }

    #[tokio::test]
    async fn agrees_with_the_argon2_crate_both_ways() {
        let p = passwords();
        let ours = p.hash("Member-pass-1".into()).await.ok().unwrap_or_default();
        let parsed = PasswordHash::new(&ours);
        assert!(parsed.is_ok_and(|h| Argon2::default().verify_password(b"Member-pass-1", &h).is_ok()));

        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"Member-pass-1", &salt).map(|h| h.to_string());
        let theirs = theirs.unwrap_or_default();
        assert!(p.verify("Member-pass-1".into(), Some(theirs.clone())).await.unwrap_or(false));
        assert!(!p.verify("Member-pass-2".into(), Some(theirs)).await.unwrap_or(true));

        // A hash made with other (older, smaller) parameters still verifies.
        let small =
            Params::new(4096, 3, 1, None).map(|params| Argon2::new(Algorithm::Argon2id, Version::V0x13, params));
        let small = small.ok().and_then(|a| a.hash_password(b"Old-pass-1", &salt).ok()).map(|h| h.to_string());
        assert!(p.verify("Old-pass-1".into(), small).await.unwrap_or(false));
    }

    #[tokio::test]
    async fn a_full_bound_refuses_with_retry_after() {
        let p = Passwords::new(1, Duration::ZERO);
        let held = p.turn().await;
        assert!(held.is_ok());
        let refused = p.hash("correct horse 1".into()).await.err();
        assert!(matches!(refused, Some(AppError::Unavailable { retry_after_secs, .. }) if retry_after_secs >= 1));
        drop(held);
        assert!(p.hash("correct horse 1".into()).await.is_ok());
    }

    #[test]
    fn strength() {
        assert!(check_strength("abc12345", "p").is_ok());
        assert!(check_strength("密码很长很长很长1", "p").is_ok());
        assert!(check_strength("abc123", "p").is_err());
        assert!(check_strength("12345678", "p").is_err());
        assert!(check_strength("abcdefgh", "p").is_err());
    }
}
