//! Signed file links: `/files/{id}?u=<user>&o=<organization>&e=<expiry>&s=<signature>`,
//! the signature an HMAC-SHA256 over the id, the variant, the viewer and the expiry. A
//! link works without a bearer token (an `<img src>` cannot send one), only for a few
//! minutes, and only for the viewer it was made for: the download checks again that this
//! viewer may see the record the file belongs to.
use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The file itself or its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Preview,
}

impl Variant {
    fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Preview => "preview",
        }
    }
}

/// Whom a link was made for, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub expires: i64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum LinkRefused {
    BadSignature,
    Expired,
}

pub struct FileLinks {
    key: Vec<u8>,
    ttl: Duration,
    base: String,
}

impl FileLinks {
    /// `secret` is the configured link secret or the token secret; the key is derived from
    /// it so that a file link can never pass for anything else signed with the same secret.
    pub fn new(secret: &[u8], ttl: Duration, base: Option<&str>) -> Self {
        let key = match HmacSha256::new_from_slice(secret) {
            Ok(mut mac) => {
                mac.update(b"cppcc file links v1");
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => secret.to_vec(), // HMAC takes keys of any length; this is unreachable
        };
        Self { key, ttl, base: base.unwrap_or_default().trim_end_matches('/').to_owned() }
    }

    fn mac(&self, id: Uuid, variant: Variant, claims: &LinkClaims) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
        let message =
            format!("{id}|{}|{}|{}|{}", variant.as_str(), claims.user_id, claims.organization_id, claims.expires);
        mac.update(message.as_bytes());
        mac
    }

    /// The expiry of links made at `now`: at least the TTL ahead, rounded up to a fifth of
    /// it, so that a list fetched twice within a minute hands out the same links and the
    /// phone's image cache can use them.
    pub fn expiry(&self, now: DateTime<Utc>) -> i64 {
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 4).max(1);
        let step = (ttl / 5).max(1);
        ((now.timestamp() + ttl) / step + 1) * step
    }

    pub fn url(&self, id: Uuid, variant: Variant, claims: &LinkClaims) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.mac(id, variant, claims).finalize().into_bytes());
        let preview = if variant == Variant::Preview { "&v=preview" } else { "" };
        format!(
            "{}/files/{id}?u={}&o={}&e={}{preview}&s={sig}",
            self.base, claims.user_id, claims.organization_id, claims.expires
        )
    }

    /// Checks the signature (in constant time), then the expiry.
    pub fn verify(
        &self,
        id: Uuid,
        variant: Variant,
        claims: &LinkClaims,
        signature: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LinkRefused> {
        let sig = URL_SAFE_NO_PAD.decode(signature).map_err(|_| LinkRefused::BadSignature)?;
        self.mac(id, variant, claims).verify_slice(&sig).map_err(|_| LinkRefused::BadSignature)?;
        if claims.expires <= now.timestamp() {
            return Err(LinkRefused::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> FileLinks {
        FileLinks::new(b"secret", Duration::from_secs(300), Some("https://api.example.org/"))
    }

    fn signature(url: &str) -> String {
        url.rsplit_once("s=").map(|(_, s)| s.to_owned()).unwrap_or_default()
    }

    #[test]
    fn a_link_opens_only_what_it_was_made_for() {
        let l = links();
        let now = Utc::now();
        let id = Uuid::new_v4();
        let claims = LinkClaims { user_id: Uuid::new_v4(), organization_id: Uuid::new_v4(), expires: l.expiry(now) };
        let url = l.url(id, Variant::Original, &claims);
        assert!(url.starts_with(&format!("https://api.example.org/files/{id}?u=")), "{url}");
        let sig = signature(&url);
        assert_eq!(l.verify(id, Variant::Original, &claims, &sig, now), Ok(()));
        assert_eq!(l.verify(Uuid::new_v4(), Variant::Original, &claims, &sig, now), Err(LinkRefused::BadSignature));
        assert_eq!(l.verify(id, Variant::Preview, &claims, &sig, now), Err(LinkRefused::BadSignature));
        let other = LinkClaims { user_id: Uuid::new_v4(), ..claims.clone() };
        assert_eq!(l.verify(id, Variant::Original, &other, &sig, now), Err(LinkRefused::BadSignature));
        let longer = LinkClaims { expires: claims.expires + 3600, ..claims.clone() };
        assert_eq!(l.verify(id, Variant::Original, &longer, &sig, now), Err(LinkRefused::BadSignature));
        let later = now + chrono::Duration::seconds(400);
        assert_eq!(l.verify(id, Variant::Original, &claims, &sig, later), Err(LinkRefused::Expired));
        let other_key = FileLinks::new(b"another", Duration::from_secs(300), None);
        assert_eq!(other_key.verify(id, Variant::Original, &claims, &sig, now), Err(LinkRefused::BadSignature));
    }

    #[test]
    fn expiry_is_stable_within_a_step_and_never_short() {
        let l = links();
        let now = Utc::now();
        let e = l.expiry(now);
        assert!(e >= now.timestamp() + 300 && e <= now.timestamp() + 360, "{e}");
        assert_eq!(e % 60, 0);
    }
}
