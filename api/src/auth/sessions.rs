//! Login sessions, kept in the shared store (Redis in production) so that every server
//! process sees a logout at once. One hash per session, plus a set of session ids per
//! user for "log out everywhere" and the device list, plus a small per-user *gate*.
//!
//! The refresh token is `<session id>.<32 random bytes>`; only its SHA-256 is stored.
//! Rotation is a compare-and-set on that hash. The hashes it replaced are kept (the last
//! few), so a rotated token that comes back is recognised as stolen and ends the session —
//! except the token rotated last, within a short grace window: a phone that refreshes
//! twice at once when it wakes, or retries after a lost answer, gets the same new refresh
//! token again instead of being logged out.
//!
//! The gate (`user-gate:<user>`: `disabled`, `generation`) is what makes "this user's
//! sessions end now" hold even for a session that no index lists: a login that was
//! between its password check and its session when the user was disabled, or a session
//! the per-user index lost. Every request reads the gate together with its session (one
//! round trip) and is refused while the user is disabled, or when the session was made
//! under an older generation than the gate's: "log out everywhere", a disable and a
//! password reset move the generation on. A counter rather than a "valid after" time, so
//! that the clocks of several server processes never have to agree.
use std::{collections::HashMap, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    kv::Kv,
    live::{Broker, Signal},
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
    /// The user's account is disabled.
    Disabled,
}

/// Why a session no longer admits requests.
#[derive(Debug, PartialEq, Eq)]
pub enum SessionRefused {
    /// Gone, expired, of another user, or made before the user's sessions were ended.
    Ended,
    /// The user's account is disabled.
    Disabled,
}

impl From<SessionRefused> for RefreshRefused {
    fn from(r: SessionRefused) -> Self {
        match r {
            SessionRefused::Ended => Self::Invalid,
            SessionRefused::Disabled => Self::Disabled,
        }
    }
}

#[derive(Clone)]
pub struct Sessions {
    kv: Arc<dyn Kv>,
    prefix: String,
    ttl: Duration,
    /// How long the refresh token rotated last may be presented again.
    grace: Duration,
    /// Tells live subscriptions (in every process) that sessions ended, so their sockets
    /// close now rather than at their next check.
    live: Broker,
}

/// The secret half of a refresh token.
fn new_secret() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn token(sid: &str, secret: &[u8; 32]) -> String {
    format!("{sid}.{}", URL_SAFE_NO_PAD.encode(secret))
}

/// The session id a refresh token names, if it looks like one.
fn session_id_of(refresh: &str) -> Option<&str> {
    let (sid, _) = refresh.split_once('.')?;
    let plausible = !sid.is_empty() && sid.len() <= 64 && sid.chars().all(|c| c.is_ascii_alphanumeric());
    plausible.then_some(sid)
}

/// The key that seals a successor token for the grace window: derived from the token it
/// replaced, which the server does not keep. So the store never holds a usable refresh
/// token, and only the holder of the old token can open the seal.
fn grace_key(presented: &str) -> [u8; 32] {
    Sha256::new().chain_update(b"cppcc refresh grace\0").chain_update(presented.as_bytes()).finalize().into()
}

fn seal(presented: &str, next: &[u8; 32]) -> String {
    let key = grace_key(presented);
    hex::encode(std::array::from_fn::<u8, 32, _>(|i| next[i] ^ key[i]))
}

fn open(presented: &str, sealed: &str) -> Option<[u8; 32]> {
    let sealed: [u8; 32] = hex::decode(sealed).ok()?.try_into().ok()?;
    let key = grace_key(presented);
    Some(std::array::from_fn(|i| sealed[i] ^ key[i]))
}

/// The generation a session or gate holds (absent: 0, so sessions made before gates existed
/// still match a user who never had one).
fn generation(fields: &HashMap<String, String>) -> i64 {
    fields.get("generation").and_then(|g| g.parse().ok()).unwrap_or(0)
}

/// Whether the user's gate still admits a session: not disabled, same generation.
fn admits(session: &HashMap<String, String>, gate: &HashMap<String, String>) -> Result<(), SessionRefused> {
    if gate.get("disabled").is_some_and(|d| d == "1") {
        return Err(SessionRefused::Disabled);
    }
    if generation(session) != generation(gate) {
        return Err(SessionRefused::Ended);
    }
    Ok(())
}

/// What a presented refresh token is to its session.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    /// The live token: rotate it.
    Current,
    /// The token rotated last, within the grace window: answer with its successor again.
    JustRotated,
    /// A token rotated away earlier (or after the window): theft, the session ends.
    Replaced,
    /// Not of this session at all.
    Unknown,
}

fn judge(fields: &HashMap<String, String>, presented: &str, now: DateTime<Utc>) -> Presented {
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    if presented == field("refresh_hash") {
        return Presented::Current;
    }
    let until = field("grace_until").parse::<i64>().unwrap_or(0);
    if !field("grace_hash").is_empty() && presented == field("grace_hash") && now.timestamp_millis() < until {
        return Presented::JustRotated;
    }
    if field("previous_hashes").split(' ').any(|h| !h.is_empty() && h == presented) {
        return Presented::Replaced;
    }
    Presented::Unknown
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn parse_time(s: Option<&String>) -> DateTime<Utc> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map_or_else(Utc::now, |t| t.with_timezone(&Utc))
}

impl Sessions {
    pub fn new(kv: Arc<dyn Kv>, prefix: &str, ttl: Duration, grace: Duration, live: Broker) -> Self {
        Self { kv, prefix: prefix.to_owned(), ttl, grace, live }
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

    fn gate_key(&self, user: Uuid) -> String {
        format!("{}user-gate:{user}", self.prefix)
    }

    /// Starts a session; returns it with its first refresh token. The session takes the
    /// user's current generation: if their sessions are ended while it is being made, it
    /// is born ended.
    pub async fn create(&self, user: Uuid, org: Uuid, role: Role, device: &str) -> AppResult<(Session, String)> {
        let sid = Uuid::new_v4().simple().to_string();
        let refresh = token(&sid, &new_secret());
        let generation = generation(&self.kv.hash_get_all(&self.gate_key(user)).await?);
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
                    ("generation", generation.to_string()),
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

    /// The session behind an access token, if it still admits requests: it exists, is
    /// `user`'s, and the user's gate lets it through. Session and gate in one round trip.
    pub async fn live(&self, sid: &str, user: Uuid) -> AppResult<Result<Session, SessionRefused>> {
        let read = self.kv.hash_get_all_many(&[self.key(sid), self.gate_key(user)]).await?;
        let (Some(fields), Some(gate)) = (read.first(), read.get(1)) else {
            return Ok(Err(SessionRefused::Ended));
        };
        let Some(session) = Self::decode(sid, fields).filter(|s| s.user_id == user) else {
            return Ok(Err(SessionRefused::Ended));
        };
        Ok(admits(fields, gate).map(|()| session))
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

    /// Exchanges a refresh token for a new one. The old token stops working at once,
    /// except that for the grace window it may come back once more and is answered with
    /// the same successor.
    pub async fn rotate(&self, refresh: &str) -> AppResult<Result<(Session, String), RefreshRefused>> {
        let Some(sid) = session_id_of(refresh) else {
            return Ok(Err(RefreshRefused::Invalid));
        };
        let key = self.key(sid);
        let presented = digest(refresh);
        // Two refreshes with the same token at the same moment: one wins the
        // compare-and-set, the other reads again and finds its token just rotated, within
        // the grace window. A third read is never needed; the bound is only a bound.
        for _ in 0..3 {
            let fields = self.kv.hash_get_all(&key).await?;
            let Some(mut session) = Self::decode(sid, &fields) else {
                return Ok(Err(RefreshRefused::Invalid));
            };
            let gate = self.kv.hash_get_all(&self.gate_key(session.user_id)).await?;
            if let Err(refused) = admits(&fields, &gate) {
                return Ok(Err(refused.into()));
            }
            let now = Utc::now();
            match judge(&fields, &presented, now) {
                Presented::Current => {}
                Presented::JustRotated => {
                    let successor = fields.get("grace_next").and_then(|sealed| open(refresh, sealed));
                    // Only while the successor is still the live token: a session rotated
                    // on since, or switched, does not hand out a dead one.
                    let next = successor.map(|secret| token(sid, &secret));
                    return Ok(match next {
                        Some(next) if fields.get("refresh_hash") == Some(&digest(&next)) => Ok((session, next)),
                        _ => Err(RefreshRefused::Invalid),
                    });
                }
                Presented::Replaced => {
                    tracing::warn!(user = %session.user_id, session = %sid, "rotated refresh token reused; session revoked");
                    self.revoke(session.user_id, sid).await?;
                    return Ok(Err(RefreshRefused::Reused));
                }
                Presented::Unknown => return Ok(Err(RefreshRefused::Invalid)),
            }
            let current = presented.clone();
            let previous = fields.get("previous_hashes").cloned().unwrap_or_default();
            let mut remembered: Vec<&str> = previous.split(' ').filter(|h| !h.is_empty()).collect();
            remembered.push(&current);
            let skip = remembered.len().saturating_sub(REMEMBERED_ROTATIONS);
            let remembered = remembered[skip..].join(" ");

            let secret = new_secret();
            let next = token(sid, &secret);
            let grace_until = now + chrono::Duration::from_std(self.grace).unwrap_or_default();
            let (grace_hash, grace_next) = if self.grace.is_zero() {
                (String::new(), String::new())
            } else {
                (current.clone(), seal(refresh, &secret))
            };
            let update = [
                ("refresh_hash", digest(&next)),
                ("previous_hashes", remembered),
                ("last_seen_at", now.to_rfc3339()),
                ("grace_hash", grace_hash),
                ("grace_next", grace_next),
                ("grace_until", grace_until.timestamp_millis().to_string()),
            ];
            if self.kv.hash_set_if(&key, "refresh_hash", &current, &update, Some(self.ttl)).await? {
                self.kv.set_add(&self.user_key(session.user_id), sid, Some(self.ttl)).await?;
                session.last_seen_at = now;
                return Ok(Ok((session, next)));
            }
        }
        Ok(Err(RefreshRefused::Invalid))
    }

    /// Moves a live session to another organization (the caller checked the membership);
    /// the client gets a new token pair, the old refresh token stops working.
    pub async fn switch(&self, session: &Session, org: Uuid, role: Role) -> AppResult<(Session, String)> {
        let fields = self.kv.hash_get_all(&self.key(&session.id)).await?;
        let current = fields.get("refresh_hash").cloned().unwrap_or_default();
        // Rotation needs the refresh token in clear, which the server never keeps: set the
        // new hash directly, guarded by the current one.
        let next = token(&session.id, &new_secret());
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
                    // The token rotated last before the switch is not handed its old
                    // successor any more: that one is gone too.
                    ("grace_hash", String::new()),
                    ("grace_next", String::new()),
                ],
                Some(self.ttl),
            )
            .await?;
        if !ok {
            return Err(AppError::unauthenticated("登录已失效，请重新登录"));
        }
        // The session lives on for a full TTL; so must the index that lists it, or a
        // later "log out everywhere" or disable would not find it.
        self.kv.set_add(&self.user_key(session.user_id), &session.id, Some(self.ttl)).await?;
        let mut moved = session.clone();
        moved.organization_id = org;
        moved.role = role;
        // A socket opened in the old organization answers for it: it closes, and the app
        // reconnects with the new token.
        self.live.publish(Signal::SessionsEnded { user: session.user_id, session: Some(session.id.clone()) }).await;
        Ok((moved, next))
    }

    pub async fn revoke(&self, user: Uuid, sid: &str) -> AppResult<()> {
        self.kv.delete(&[self.key(sid)]).await?;
        self.kv.set_remove(&self.user_key(user), &[sid.to_owned()]).await?;
        self.live.publish(Signal::SessionsEnded { user, session: Some(sid.to_owned()) }).await;
        Ok(())
    }

    /// Ends every session of a user except `keep`; returns how many ended (of those the
    /// index lists). The generation moves on first, so that sessions the index does not
    /// list (one a login was making at this moment) end too; `keep` is moved to the new
    /// generation. Between those two writes `keep` is refused for an instant: at worst
    /// one request of the person changing their own password answers 401 and the app
    /// refreshes.
    pub async fn revoke_all(&self, user: Uuid, keep: Option<&str>) -> AppResult<usize> {
        let generation = self.kv.hash_incr(&self.gate_key(user), "generation", 1).await?;
        if let Some(keep) = keep {
            self.kv
                .hash_set_if(
                    &self.key(keep),
                    "user_id",
                    &user.to_string(),
                    &[("generation", generation.to_string())],
                    None,
                )
                .await?;
        }
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
        // After `keep` moved on: its socket checks and stays open.
        self.live.publish(Signal::SessionsEnded { user, session: None }).await;
        Ok(ids.len())
    }

    /// A disabled user's sessions are refused from the next request on, by every process,
    /// including one that a login in flight creates after this (its login also re-checks
    /// the account and ends it). Called after the status is committed.
    pub async fn disable_user(&self, user: Uuid) -> AppResult<usize> {
        self.kv.hash_set(&self.gate_key(user), &[("disabled", "1".to_owned())], None).await?;
        self.revoke_all(user, None).await
    }

    /// Lifts the gate's refusal. Sessions from before the disable stay ended: their
    /// generation is past.
    pub async fn enable_user(&self, user: Uuid) -> AppResult<()> {
        self.kv.hash_set(&self.gate_key(user), &[("disabled", "0".to_owned())], None).await?;
        Ok(())
    }

    /// The user's live sessions, newest first; forgets ids whose session has expired.
    pub async fn list(&self, user: Uuid) -> AppResult<Vec<Session>> {
        let mut live = Vec::new();
        let mut gone = Vec::new();
        let gate = self.kv.hash_get_all(&self.gate_key(user)).await?;
        for sid in self.kv.set_members(&self.user_key(user)).await? {
            let fields = self.kv.hash_get_all(&self.key(&sid)).await?;
            match Self::decode(&sid, &fields) {
                // A session of an older generation is not listed, nor forgotten here: it
                // may be the one `revoke_all` is moving to the new generation right now.
                Some(s) if s.user_id == user => {
                    if admits(&fields, &gate).is_ok() {
                        live.push(s);
                    }
                }
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
        if role.is_some() {
            // Sockets opened under the old role close; the app reconnects as what it is now.
            self.live.publish(Signal::SessionsEnded { user, session: None }).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::MemoryKv;

    fn sessions(grace_secs: u64) -> Sessions {
        let (ttl, grace) = (Duration::from_secs(3600), Duration::from_secs(grace_secs));
        Sessions::new(Arc::new(MemoryKv::new()), "t:", ttl, grace, Broker::in_process())
    }

    async fn started(s: &Sessions) -> (Session, String) {
        let created = s.create(Uuid::now_v7(), Uuid::now_v7(), Role::Member, "phone").await;
        created.ok().unwrap_or_else(|| panic!("session created"))
    }

    #[test]
    fn a_sealed_successor_opens_only_with_the_token_it_replaced() {
        let next = new_secret();
        let sealed = seal("sid.old-token", &next);
        assert_eq!(open("sid.old-token", &sealed), Some(next));
        assert_ne!(open("sid.other-token", &sealed), Some(next));
        assert!(!sealed.contains(&hex::encode(next)), "the store does not hold the successor");
    }

    #[tokio::test]
    async fn the_token_rotated_last_gets_the_same_successor_within_the_window() {
        let s = sessions(30);
        let (_, first) = started(&s).await;
        let second = s.rotate(&first).await.ok().and_then(Result::ok).map(|(_, t)| t);
        let again = s.rotate(&first).await.ok().and_then(Result::ok).map(|(_, t)| t);
        assert!(second.is_some());
        assert_eq!(again, second, "the same new refresh token");
        let third = s.rotate(second.as_deref().unwrap_or_default()).await.ok().and_then(Result::ok);
        assert!(third.is_some(), "the successor still works");
        // The first token is now two rotations back: theft, the session ends.
        assert_eq!(s.rotate(&first).await.ok().and_then(Result::err), Some(RefreshRefused::Reused));
        let third = third.map(|(_, t)| t).unwrap_or_default();
        assert_eq!(s.rotate(&third).await.ok().and_then(Result::err), Some(RefreshRefused::Invalid));
    }

    #[tokio::test]
    async fn without_a_window_reuse_ends_the_session() {
        let s = sessions(0);
        let (_, first) = started(&s).await;
        let second = s.rotate(&first).await.ok().and_then(Result::ok).map(|(_, t)| t).unwrap_or_default();
        assert_eq!(s.rotate(&first).await.ok().and_then(Result::err), Some(RefreshRefused::Reused));
        assert_eq!(s.rotate(&second).await.ok().and_then(Result::err), Some(RefreshRefused::Invalid));
    }

    #[tokio::test]
    async fn the_gate_refuses_disabled_users_and_older_generations() {
        let s = sessions(30);
        let (a, refresh_a) = started(&s).await;
        assert!(matches!(s.live(&a.id, a.user_id).await, Ok(Ok(_))));
        assert!(matches!(s.live(&a.id, Uuid::now_v7()).await, Ok(Err(SessionRefused::Ended))), "another user");

        // A session the index does not list (as one a login is still making): the gate
        // ends it all the same.
        assert!(s.kv.set_remove(&s.user_key(a.user_id), std::slice::from_ref(&a.id)).await.is_ok());
        assert!(s.disable_user(a.user_id).await.is_ok());
        assert!(matches!(s.live(&a.id, a.user_id).await, Ok(Err(SessionRefused::Disabled))));
        assert_eq!(s.rotate(&refresh_a).await.ok().and_then(Result::err), Some(RefreshRefused::Disabled));

        // Enabled again: the old session stays ended, a new one works.
        assert!(s.enable_user(a.user_id).await.is_ok());
        assert!(matches!(s.live(&a.id, a.user_id).await, Ok(Err(SessionRefused::Ended))));
        let fresh = s.create(a.user_id, a.organization_id, a.role, "phone").await.ok().map(|(s, _)| s);
        let fresh = fresh.unwrap_or_else(|| panic!("session created"));
        assert!(matches!(s.live(&fresh.id, a.user_id).await, Ok(Ok(_))));

        // Ending the others keeps the one asked for.
        let other = s.create(a.user_id, a.organization_id, a.role, "tablet").await.ok().map(|(s, _)| s);
        let other = other.unwrap_or_else(|| panic!("session created"));
        assert_eq!(s.revoke_all(a.user_id, Some(&fresh.id)).await.ok(), Some(1));
        assert!(matches!(s.live(&fresh.id, a.user_id).await, Ok(Ok(_))));
        assert!(matches!(s.live(&other.id, a.user_id).await, Ok(Err(SessionRefused::Ended))));
    }

    #[tokio::test]
    async fn a_switch_keeps_the_session_listed() {
        let s = sessions(30);
        let (a, _) = started(&s).await;
        let switched = s.switch(&a, Uuid::now_v7(), Role::Staff).await;
        assert!(switched.is_ok());
        let listed = s.list(a.user_id).await.ok().unwrap_or_default();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed.first().map(|s| s.role), Some(Role::Staff));
    }
}
