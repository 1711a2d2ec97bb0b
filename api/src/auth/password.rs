//! Password hashing with argon2id (the `argon2` crate of RustCrypto, OWASP's first choice),
//! run on the blocking pool because a hash costs tens of milliseconds of CPU.
use std::sync::OnceLock;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

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

fn hash_now(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("argon2: {e}")))
}

pub async fn hash(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(AppError::internal)?
}

/// Verifies against `stored`, or against a fixed dummy hash when there is no user, so that
/// a login for an unknown phone takes as long as one with a wrong password.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let known = stored.is_some();
        let stored = match stored {
            Some(s) => s,
            None => DUMMY.get_or_init(|| hash_now("dummy-password-1").unwrap_or_default()).clone(),
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| AppError::internal(format!("stored hash: {e}")))?;
        Ok(known && Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse 1".into()).await.ok().unwrap_or_default();
        let b = hash("correct horse 1".into()).await.ok().unwrap_or_default();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(verify("correct horse 1".into(), Some(a.clone())).await.unwrap_or(false));
        assert!(!verify("wrong horse 1".into(), Some(a)).await.unwrap_or(true));
        assert!(!verify("dummy-password-1".into(), None).await.unwrap_or(true));
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
