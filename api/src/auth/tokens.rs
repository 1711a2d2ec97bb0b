//! Access tokens: short-lived HS256 JWTs. The algorithm is pinned on both sides, and
//! issuer, audience and expiry are required, so `alg: none`, a token of another service
//! or one without `exp` is refused. Refresh tokens are opaque and live in `sessions`.
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use entity::Role;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: String,
    pub org: Uuid,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: chrono::Duration,
}

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl: std::time::Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::minutes(15)),
        }
    }

    pub fn issue(&self, user: Uuid, sid: &str, org: Uuid, role: Role) -> AppResult<(String, DateTime<Utc>)> {
        let now = Utc::now();
        let expires = now + self.ttl;
        let claims = Claims {
            sub: user,
            sid: sid.to_owned(),
            org,
            role: role.as_str().to_owned(),
            iat: now.timestamp(),
            exp: expires.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("jwt encode: {e}")))?;
        Ok((token, expires))
    }

    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            tracing::debug!(reason = %e, "access token refused");
            AppError::unauthenticated("登录已失效，请重新登录")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "aud", std::time::Duration::from_secs(60))
    }

    #[test]
    fn round_trip() {
        let t = tokens();
        let user = Uuid::now_v7();
        let org = Uuid::now_v7();
        let (token, _) = t.issue(user, "sid", org, Role::Staff).unwrap_or_default();
        let claims = t.verify(&token).ok();
        assert_eq!(claims.as_ref().map(|c| c.sub), Some(user));
        assert_eq!(claims.map(|c| c.role), Some("STAFF".into()));
    }

    #[test]
    fn refuses_other_keys_and_audiences() {
        let (token, _) = tokens().issue(Uuid::nil(), "s", Uuid::nil(), Role::Member).unwrap_or_default();
        let other_key =
            Tokens::new(b"another-secret-another-secret-xx", "iss", "aud", std::time::Duration::from_secs(60));
        assert!(other_key.verify(&token).is_err());
        let other_aud =
            Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "other", std::time::Duration::from_secs(60));
        assert!(other_aud.verify(&token).is_err());
    }
}
