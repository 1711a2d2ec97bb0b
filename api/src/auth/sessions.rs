//! Login sessions, kept in the shared store (Redis in production) so that every server
//! process sees a logout at once. One hash per session, plus a set of session ids per
//! user for "log out everywhere" and the device list.
//!
//! The refresh token is `<session id>.<32 random bytes>`; only its SHA-256 is stored.
//! Rotation is a compare-and-set on that hash. The hashes it replaced are kept (the last
//! few), so a rotated token that comes back is recognised as stolen and ends the session.
use std::{collections::HashMap, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    kv::Kv,
};
use entity::Role;

/// How many replaced refresh-token hashes a session remembers for theft detection.
const REMEMBERED_ROTATIONS: usize = 16;
/// `last_seen_at` is written at most this often, not on every request.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub user_id: Uuid,
    pub organization_id: Uuid,
    pub role: Role,
    pub device: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// What went wrong with a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum RefreshRefused {
    /// Unknown, malformed, or of a session that has ended.
    Invalid,
    /// A token this session already rotated away: the session was revoked.
    Reused,
}

#[derive(Clone)]
pub struct Sessions {
    kv: Arc<dyn Kv>,
    prefix: String,
    ttl: Duration,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn parse_time(s: Option<&String>) -> DateTime<Utc> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

impl Sessions {
    pub fn new(kv: Arc<dyn Kv>, prefix: &str, ttl: Duration) -> Self {
        Self { kv, prefix: prefix.to_owned(), ttl }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn key(&self, sid: &str) -> String {
        format!("{}session:{sid}", self.prefix)
    }

    fn user_key(&self, user: Uuid) -> String {
        format!("{}user-sessions:{user}", self.prefix)
    }

    /// Starts a session; returns it with its first refresh token.
    pub async fn create(&self, user: Uuid, org: Uuid, role: Role, device: &str) -> AppResult<(Session, String)> {
        let sid = Uuid::new_v4().simple().to_string();
        let refresh = format!("{sid}.{}", random_token());
        let now = Utc::now();
        let stamp = now.to_rfc3339();
        self.kv
            .hash_set(
                &self.key(&sid),
                &[
                    ("user_id", user.to_string()),
                    ("organization_id", org.to_string()),
                    ("role", role.as_str().to_owned()),
                    ("device", device.to_owned()),
                    ("created_at", stamp.clone()),
                    ("last_seen_at", stamp),
                    ("refresh_hash", digest(&refresh)),
                    ("previous_hashes", String::new()),
                ],
                Some(self.ttl),
            )
            .await?;
        self.kv.set_add(&self.user_key(user), &sid, Some(self.ttl)).await?;
        let session = Session {
            id: sid,
            user_id: user,
            organization_id: org,
            role,
            device: device.to_owned(),
            created_at: now,
            last_seen_at: now,
        };
        Ok((session, refresh))
    }

    fn decode(sid: &str, fields: &HashMap<String, String>) -> Option<Session> {
        Some(Session {
            id: sid.to_owned(),
            user_id: fields.get("user_id")?.parse().ok()?,
            organization_id: fields.get("organization_id")?.parse().ok()?,
            role: Role::parse(fields.get("role")?)?,
            device: fields.get("device").cloned().unwrap_or_default(),
            created_at: parse_time(fields.get("created_at")),
            last_seen_at: parse_time(fields.get("last_seen_at")),
        })
    }

    pub async fn get(&self, sid: &str) -> AppResult<Option<Session>> {
        let fields = self.kv.hash_get_all(&self.key(sid)).await?;
        Ok(Self::decode(sid, &fields))
    }

    /// Records activity, at most once a minute, without resurrecting a revoked session.
    pub async fn touch(&self, session: &Session) -> AppResult<()> {
        if (Utc::now() - session.last_seen_at).num_seconds() < TOUCH_EVERY_SECS {
            return Ok(());
        }
        self.kv
            .hash_set_if(
                &self.key(&session.id),
                "user_id",
                &session.user_id.to_string(),
                &[("last_seen_at", Utc::now().to_rfc3339())],
                None,
            )
            .await?;
        Ok(())
    }

    /// Exchanges a refresh token for a new one (and optionally moves the session to
    /// another organization). The old token stops working at once.
    pub async fn rotate(
        &self,
        refresh: &str,
        switch_to: Option<(Uuid, Role)>,
    ) -> AppResult<Result<(Session, String), RefreshRefused>> {
        let Some((sid, _)) = refresh.split_once('.') else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        if sid.is_empty() || sid.len() > 64 || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Err(RefreshRefused::Invalid));
        }
        let key = self.key(sid);
        let fields = self.kv.hash_get_all(&key).await?;
        let Some(mut session) = Self::decode(sid, &fields) else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        let presented = digest(refresh);
        let current = fields.get("refresh_hash").cloned().unwrap_or_default();
        let previous = fields.get("previous_hashes").cloned().unwrap_or_default();
        if presented != current {
            if previous.split(' ').any(|h| h == presented) {
                tracing::warn!(user = %session.user_id, session = %sid, "rotated refresh token reused; session revoked");
                self.revoke(session.user_id, sid).await?;
                return Ok(Err(RefreshRefused::Reused));
            }
            return Ok(Err(RefreshRefused::Invalid));
        }
        let mut remembered: Vec<&str> = previous.split(' ').filter(|h| !h.is_empty()).collect();
        remembered.push(&current);
        let skip = remembered.len().saturating_sub(REMEMBERED_ROTATIONS);
        let remembered = remembered[skip..].join(" ");

        let next = format!("{sid}.{}", random_token());
        let now = Utc::now();
        let mut update =
            vec![("refresh_hash", digest(&next)), ("previous_hashes", remembered), ("last_seen_at", now.to_rfc3339())];
        if let Some((org, role)) = switch_to {
            update.push(("organization_id", org.to_string()));
            update.push(("role", role.as_str().to_owned()));
            session.organization_id = org;
            session.role = role;
        }
        // Two requests racing with the same token: only one wins the compare-and-set; the
        // other sees a hash that has just been rotated away, as a thief would.
        if !self.kv.hash_set_if(&key, "refresh_hash", &current, &update, Some(self.ttl)).await? {
            self.revoke(session.user_id, sid).await?;
            return Ok(Err(RefreshRefused::Reused));
        }
        self.kv.set_add(&self.user_key(session.user_id), sid, Some(self.ttl)).await?;
        session.last_seen_at = now;
        Ok(Ok((session, next)))
    }

    /// Moves a live session to another organization (the caller checked the membership);
    /// the client gets a new token pair, the old refresh token stops working.
    pub async fn switch(&self, session: &Session, org: Uuid, role: Role) -> AppResult<(Session, String)> {
        let fields = self.kv.hash_get_all(&self.key(&session.id)).await?;
        let current = fields.get("refresh_hash").cloned().unwrap_or_default();
        // Rotation needs the refresh token in clear, which the server never keeps: set the
        // new hash directly, guarded by the current one.
        let next = format!("{}.{}", session.id, random_token());
        let previous = fields.get("previous_hashes").cloned().unwrap_or_default();
        let remembered = format!("{previous} {current}").trim().to_owned();
        let ok = self
            .kv
            .hash_set_if(
                &self.key(&session.id),
                "refresh_hash",
                &current,
                &[
                    ("refresh_hash", digest(&next)),
                    ("previous_hashes", remembered),
                    ("organization_id", org.to_string()),
                    ("role", role.as_str().to_owned()),
                ],
                Some(self.ttl),
            )
            .await?;
        if !ok {
            return Err(AppError::unauthenticated("登录已失效，请重新登录"));
        }
        let mut moved = session.clone();
        moved.organization_id = org;
        moved.role = role;
        Ok((moved, next))
    }

    pub async fn revoke(&self, user: Uuid, sid: &str) -> AppResult<()> {
        self.kv.delete(&[self.key(sid)]).await?;
        self.kv.set_remove(&self.user_key(user), &[sid.to_owned()]).await?;
        Ok(())
    }

    /// Ends every session of a user except `keep`; returns how many ended.
    pub async fn revoke_all(&self, user: Uuid, keep: Option<&str>) -> AppResult<usize> {
        let ids: Vec<String> = self
            .kv
            .set_members(&self.user_key(user))
            .await?
            .into_iter()
            .filter(|sid| Some(sid.as_str()) != keep)
            .collect();
        let keys: Vec<String> = ids.iter().map(|sid| self.key(sid)).collect();
        self.kv.delete(&keys).await?;
        self.kv.set_remove(&self.user_key(user), &ids).await?;
        Ok(ids.len())
    }

    /// The user's live sessions, newest first; forgets ids whose session has expired.
    pub async fn list(&self, user: Uuid) -> AppResult<Vec<Session>> {
        let mut live = Vec::new();
        let mut gone = Vec::new();
        for sid in self.kv.set_members(&self.user_key(user)).await? {
            match self.get(&sid).await? {
                Some(s) if s.user_id == user => live.push(s),
                _ => gone.push(sid),
            }
        }
        self.kv.set_remove(&self.user_key(user), &gone).await?;
        live.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(live)
    }

    /// After a membership changed: sessions in that organization take the new role, or end
    /// when the membership is gone.
    pub async fn apply_membership_change(&self, user: Uuid, org: Uuid, role: Option<Role>) -> AppResult<()> {
        for session in self.list(user).await? {
            if session.organization_id != org {
                continue;
            }
            match role {
                Some(role) => {
                    self.kv
                        .hash_set_if(
                            &self.key(&session.id),
                            "user_id",
                            &user.to_string(),
                            &[("role", role.as_str().to_owned())],
                            None,
                        )
                        .await?;
                }
                None => self.revoke(user, &session.id).await?,
            }
        }
        Ok(())
    }
}
