//! The push outbox (issue 14): notifications reach the phone when the app is closed.
//!
//! ```text
//! registerPushToken ─ push_token (one per session; a token moved to whoever registers it)
//! dispatcher, in the transaction that writes an event's notifications:
//!   enqueue(event) → one INSERT … SELECT: notification ⋈ push_token, kinds turned off skipped
//!                    → push_delivery PENDING
//! sender (every process, every PUSH_SEND_INTERVAL_MS):
//!   claim  — one short transaction: due PENDING rows (SKIP LOCKED), attempts + 1, a lease
//!   send   — no transaction open: token still this person's? session still live? → vendor
//!   record — SENT | PENDING with back-off | FAILED | DROPPED (and the token deleted)
//! ```
//!
//! A push carries the notification's title and body and nothing else: a confidential
//! briefing's notice has no body, so nothing of it reaches a lock screen.
//!
//! A real vendor (APNs, FCM, HarmonyOS Push, 个推/极光) is one implementation of
//! [`PushSender`] plus its credentials in the settings; [`PerPlatform`] routes each platform
//! to its own. The sender never holds a transaction while it talks to the vendor: the claim
//! moves `next_attempt_at` forward by a lease, so the rows are nobody else's while the
//! vendor answers, and the outcome is written only if the row is still the one claimed
//! (same attempt), so a sender whose lease ran out cannot overwrite the next one's outcome.
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, future::BoxFuture, stream};
use rand::Rng;
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query},
};
use uuid::Uuid;

use crate::{
    auth::Viewer,
    config::Settings,
    db,
    error::{AppError, AppResult},
    state::{AppState, State},
    transition,
};
use entity::{
    notification, notification_preference, outbox,
    push_delivery::{self, PushStatus},
    push_token::{self, PushPlatform},
};

// ---- Device tokens ------------------------------------------------------------------

/// Vendor tokens are 19 (极光) to about 200 characters (FCM, APNs' hex); room to spare.
const TOKEN_MIN: usize = 8;
const TOKEN_MAX: usize = 512;

/// A token as the vendors make them: letters, digits and `-_:.`, of a sane length. Anything
/// else (spaces, quotes, a JSON blob) is a client bug, refused before it reaches a vendor.
pub fn check_token(token: &str) -> AppResult<()> {
    let len = token.len();
    if !(TOKEN_MIN..=TOKEN_MAX).contains(&len) {
        return Err(AppError::bad_input("token", format!("推送令牌长度应为{TOKEN_MIN}到{TOKEN_MAX}个字符")));
    }
    if !token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')) {
        return Err(AppError::bad_input("token", "推送令牌只能包含字母、数字和 - _ : ."));
    }
    Ok(())
}

/// The first characters of a token, for logs: enough to tell devices apart, useless to
/// anyone who reads the log.
pub fn mask(token: &str) -> String {
    let head: String = token.chars().take(6).collect();
    format!("{head}…")
}

/// Registers the device of the viewer's session for pushes. A session is one device, so
/// it holds one token: a new one (the vendor rotated it) replaces the old. A token held
/// by another session — the phone was signed in as someone else, or before a logout the
/// server missed — moves to this one, so the device never gets two people's pushes.
/// Anyone signed in may register their phone: an office's admin is often its head, who
/// reads briefings on the phone like everyone else.
pub async fn register(
    db: &sea_orm::DatabaseConnection,
    viewer: &Viewer,
    platform: PushPlatform,
    token: &str,
) -> AppResult<push_token::Model> {
    check_token(token)?;
    let now = transition::now();
    let txn = db::write(db).await?;
    push_token::Entity::delete_many()
        .filter(push_token::Column::SessionId.eq(&viewer.session_id))
        .filter(push_token::Column::Token.ne(token))
        .exec(&txn)
        .await?;
    use push_token::Column as C;
    // On a move the token is new to its session: its times start again.
    let same_holder = "push_token.session_id = excluded.session_id AND push_token.user_id = excluded.user_id";
    push_token::Entity::insert(push_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(viewer.user_id),
        session_id: Set(viewer.session_id.clone()),
        platform: Set(platform),
        token: Set(token.to_owned()),
        created_at: Set(now),
        registered_at: Set(now),
        last_used_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(C::Token)
            .value(
                C::CreatedAt,
                Expr::cust(format!("CASE WHEN {same_holder} THEN push_token.created_at ELSE excluded.created_at END")),
            )
            .value(
                C::LastUsedAt,
                Expr::cust(format!("CASE WHEN {same_holder} THEN push_token.last_used_at ELSE NULL END")),
            )
            .update_columns([C::UserId, C::SessionId, C::Platform, C::RegisteredAt])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let saved = push_token::Entity::find()
        .filter(C::Token.eq(token))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal("push token vanished in its own transaction"))?;
    txn.commit().await?;
    Ok(saved)
}

/// Removes one of the viewer's tokens (the person turned pushes off on the device). A token
/// that is not theirs is left alone and answers like one that does not exist: `false`.
pub async fn unregister(db: &impl ConnectionTrait, viewer: &Viewer, token: &str) -> AppResult<bool> {
    check_token(token)?;
    let done = push_token::Entity::delete_many()
        .filter(push_token::Column::Token.eq(token))
        .filter(push_token::Column::UserId.eq(viewer.user_id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// A session ended (logout, revoked): its device gets no more pushes.
pub async fn forget_session(db: &impl ConnectionTrait, session_id: &str) -> AppResult<u64> {
    let done = push_token::Entity::delete_many().filter(push_token::Column::SessionId.eq(session_id)).exec(db).await?;
    Ok(done.rows_affected)
}

/// Every session of a user ended (logout everywhere, disabled, password changed or reset)
/// except `keep`: their devices get no more pushes.
pub async fn forget_user(db: &impl ConnectionTrait, user: Uuid, keep: Option<&str>) -> AppResult<u64> {
    let mut delete = push_token::Entity::delete_many().filter(push_token::Column::UserId.eq(user));
    if let Some(keep) = keep {
        delete = delete.filter(push_token::Column::SessionId.ne(keep));
    }
    Ok(delete.exec(db).await?.rows_affected)
}

// ---- Deliveries, written with the notifications -------------------------------------

/// Queues the pushes of one event: its notification rows (just written, same transaction)
/// joined with their owners' devices, except kinds the owner turned off. One statement
/// however many people and devices; a (event, device) already queued is kept.
pub async fn enqueue(db: &impl ConnectionTrait, event: &outbox::Model) -> AppResult<u64> {
    use notification::Column as N;
    use notification_preference::Column as P;
    use push_token::Column as T;
    let (n, p, t) = (notification::Entity, notification_preference::Entity, push_token::Entity);
    let turned_off = Query::select()
        .expr(Expr::val(1))
        .from(p)
        .and_where(Expr::col((p, P::UserId)).equals((n, N::UserId)))
        .and_where(Expr::col((p, P::Kind)).equals((n, N::Kind)))
        .and_where(Expr::col((p, P::Push)).eq(false))
        .to_owned();
    let now = transition::now();
    let select = Query::select()
        .column((n, N::EventId))
        .column((t, T::Id))
        .column((n, N::UserId))
        .column((t, T::Platform))
        .column((n, N::Title))
        .column((n, N::Body))
        .expr(Expr::val(PushStatus::Pending.to_value()))
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(n)
        .inner_join(t, Expr::col((t, T::UserId)).equals((n, N::UserId)))
        .and_where(Expr::col((n, N::EventId)).eq(event.id))
        .and_where(Expr::not_exists(turned_off))
        .to_owned();
    use push_delivery::Column as D;
    let mut insert = Query::insert();
    insert
        .into_table(push_delivery::Entity)
        .columns([
            D::EventId,
            D::TokenId,
            D::UserId,
            D::Platform,
            D::Title,
            D::Body,
            D::Status,
            D::Attempts,
            D::NextAttemptAt,
            D::CreatedAt,
        ])
        .select_from(select)
        .map_err(AppError::internal)?
        .on_conflict(OnConflict::columns([D::EventId, D::TokenId]).do_nothing().to_owned());
    let done = db.execute_raw(db.get_database_backend().build(&insert)).await?;
    Ok(done.rows_affected())
}

// ---- The sender ---------------------------------------------------------------------

/// One push as a vendor receives it. No `Debug`: it holds the whole token.
pub struct PushMessage {
    pub platform: PushPlatform,
    pub token: String,
    pub title: String,
    pub body: Option<String>,
    /// The notification's id (`Notification.id`), for the app to open it.
    pub notification_id: Uuid,
    /// What the notification links to, and in which organization (the app may have to
    /// `switchOrganization` first).
    pub subject_type: String,
    pub subject_id: Uuid,
    pub organization_id: Uuid,
}

/// What a vendor made of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Accepted.
    Sent,
    /// Not now (network, throttling, the vendor's 5xx): try again later.
    Retry(String),
    /// The vendor says the token is dead (app uninstalled, token rotated): never again.
    TokenInvalid,
}

/// A push vendor. Implement `send` for APNs, FCM, HarmonyOS Push, 个推 or 极光 (an HTTP
/// call with the vendor's credentials, mapping its answer to a [`PushOutcome`]), pick it in
/// [`sender_from`], and nothing else changes. `send` must not panic; the worker gives it
/// `SEND_TIMEOUT` and counts a slower answer as `Retry`.
pub trait PushSender: Send + Sync {
    fn send<'a>(&'a self, message: &'a PushMessage) -> BoxFuture<'a, PushOutcome>;
}

/// Development: writes each push to the log instead of sending it — platform, the token's
/// first characters and the title, never the whole token nor the body.
pub struct LoggingSender;

impl PushSender for LoggingSender {
    fn send<'a>(&'a self, m: &'a PushMessage) -> BoxFuture<'a, PushOutcome> {
        Box::pin(async move {
            tracing::info!(platform = m.platform.to_value(), token = %mask(&m.token), title = %m.title, "push (logged, not sent)");
            PushOutcome::Sent
        })
    }
}

/// Each platform to its own vendor (iOS to APNs, Android to FCM or 个推, HarmonyOS to Push
/// Kit).
pub struct PerPlatform {
    pub android: Arc<dyn PushSender>,
    pub ios: Arc<dyn PushSender>,
    pub harmony: Arc<dyn PushSender>,
}

impl PushSender for PerPlatform {
    fn send<'a>(&'a self, m: &'a PushMessage) -> BoxFuture<'a, PushOutcome> {
        match m.platform {
            PushPlatform::Android => self.android.send(m),
            PushPlatform::Ios => self.ios.send(m),
            PushPlatform::Harmony => self.harmony.send(m),
        }
    }
}

/// The sender `PUSH_SENDER` names (`Settings::problems` refuses any other name).
pub fn sender_from(settings: &Settings) -> Arc<dyn PushSender> {
    if settings.app_env == crate::config::AppEnv::Production {
        // Not a refusal to start: the inbox and live updates work without pushes.
        tracing::warn!("PUSH_SENDER=log: pushes are written to the log, no phone receives them");
    }
    Arc::new(LoggingSender)
}

/// Deliveries claimed at once, and sent at once out of those: with `SEND_TIMEOUT` a claim
/// is worked off well within its `LEASE` even when the vendor hangs.
const BATCH: u64 = 20;
const CONCURRENCY: usize = 8;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const LEASE: Duration = Duration::from_secs(120);
/// Back-off: 15 s after the first failure, doubling, at most an hour, then jittered.
const BACKOFF_BASE: Duration = Duration::from_secs(15);
const BACKOFF_CAP: Duration = Duration::from_secs(3600);

/// The wait after `attempts` failed attempts: exponential, capped, and scaled by
/// `0.5 + 0.5 × jitter` (`jitter` in [0, 1)), so that pushes that failed together (a vendor
/// outage) do not all come back in the same second.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let doubled = BACKOFF_BASE.saturating_mul(1u32 << Ord::min(attempts.saturating_sub(1), 16));
    doubled.min(BACKOFF_CAP).mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

fn later(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// Runs the sender in the background for the life of the process.
pub fn spawn(state: State, sender: Arc<dyn PushSender>) -> tokio::task::JoinHandle<()> {
    let interval = Duration::from_millis(Ord::max(state.settings.push_send_interval_ms, 10));
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = run_until_idle(&state, sender.as_ref()).await {
                tracing::warn!(error = %e, "push sending failed; it runs again later");
            }
        }
    })
}

/// Sends until nothing is due (what the background task does each tick; tests call it to
/// be done now). Returns how many deliveries it worked on.
pub async fn run_until_idle(state: &AppState, sender: &dyn PushSender) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let done = pass(state, sender).await?;
        total += done;
        if done == 0 {
            return Ok(total);
        }
    }
}

/// A delivery this pass holds: its row as claimed, and the attempt it is on.
struct Claimed {
    row: push_delivery::Model,
    attempt: i32,
}

/// One claim, sent and recorded.
pub async fn pass(state: &AppState, sender: &dyn PushSender) -> AppResult<usize> {
    let claimed = claim(&state.db, state.settings.push_max_attempts).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let tokens: HashMap<Uuid, push_token::Model> = push_token::Entity::find()
        .filter(push_token::Column::Id.is_in(claimed.iter().map(|c| c.row.token_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let notices: HashMap<(Uuid, Uuid), notification::Model> = notification::Entity::find()
        .filter(notification::Column::EventId.is_in(claimed.iter().map(|c| c.row.event_id)))
        .filter(notification::Column::UserId.is_in(claimed.iter().map(|c| c.row.user_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|n| ((n.user_id, n.event_id), n))
        .collect();
    let count = claimed.len();
    let results: Vec<AppResult<()>> = stream::iter(claimed)
        .map(|c| {
            let token = tokens.get(&c.row.token_id);
            let notice = notices.get(&(c.row.user_id, c.row.event_id));
            async move {
                let verdict = deliver(state, sender, &c, token, notice).await;
                record(&state.db, state.settings.push_max_attempts, &c, token, verdict).await
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    for r in results {
        r?;
    }
    Ok(count)
}

/// Takes up to `BATCH` due deliveries for this sender: one short transaction that counts
/// the attempt and moves `next_attempt_at` a lease ahead, so no other sender sees them due
/// while this one talks to the vendor. A delivery whose last attempt never recorded an
/// outcome (its sender died) is FAILED here rather than tried past the limit.
async fn claim(db: &sea_orm::DatabaseConnection, max_attempts: u32) -> AppResult<Vec<Claimed>> {
    use push_delivery::Column as D;
    let now = transition::now();
    let due = || Condition::all().add(D::Status.eq(PushStatus::Pending)).add(D::NextAttemptAt.lte(now));
    // Nothing due is the common case: answer it without a write transaction (on SQLite that
    // would take the database's write lock every second).
    let any = push_delivery::Entity::find().select_only().column(D::EventId).filter(due()).limit(1);
    if any.into_tuple::<Uuid>().one(db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = db::write(db).await?;
    let mut select = push_delivery::Entity::find().filter(due()).order_by_asc(D::NextAttemptAt).limit(BATCH);
    if db.get_database_backend() == DbBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    let rows = select.all(&txn).await?;
    let max = i32::try_from(max_attempts).unwrap_or(i32::MAX);
    let key = |r: &push_delivery::Model| Condition::all().add(D::EventId.eq(r.event_id)).add(D::TokenId.eq(r.token_id));
    let (spent, live): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.attempts >= max);
    if !spent.is_empty() {
        push_delivery::Entity::update_many()
            .col_expr(D::Status, Expr::value(PushStatus::Failed.to_value()))
            .col_expr(D::LastError, Expr::value("no outcome recorded for the last attempt"))
            .filter(spent.iter().fold(Condition::any(), |any, r| any.add(key(r))))
            .exec(&txn)
            .await?;
    }
    if !live.is_empty() {
        push_delivery::Entity::update_many()
            .col_expr(D::Attempts, Expr::col(D::Attempts).add(1))
            .col_expr(D::NextAttemptAt, Expr::value(later(now, LEASE)))
            .filter(live.iter().fold(Condition::any(), |any, r| any.add(key(r))))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(live.into_iter().map(|row| Claimed { attempt: row.attempts + 1, row }).collect())
}

/// What became of one attempt.
enum Verdict {
    Sent,
    Retry(String),
    /// Never to be sent; `forget` deletes the token (dead, or its session ended).
    Drop {
        reason: &'static str,
        forget: bool,
    },
}

/// Checks that the device is still this person's and signed in, then sends.
async fn deliver(
    state: &AppState,
    sender: &dyn PushSender,
    c: &Claimed,
    token: Option<&push_token::Model>,
    notice: Option<&notification::Model>,
) -> Verdict {
    if notice.is_some_and(|n| n.read_at.is_some()) {
        // Read in the app (or on another device) while this push waited for a retry: it
        // would only be an old badge.
        return Verdict::Drop { reason: "the notification was read already", forget: false };
    }
    let Some(token) = token else {
        return Verdict::Drop { reason: "the device's token was removed", forget: false };
    };
    if token.user_id != c.row.user_id {
        // The phone was signed in as someone else since: not theirs to read.
        return Verdict::Drop { reason: "the token moved to another person", forget: false };
    }
    // A session can also end without a logout here: expired, or revoked in Redis after
    // refresh-token theft. Its device must not go on getting the person's pushes.
    match state.sessions.live(&token.session_id, token.user_id).await {
        Ok(Ok(_)) => {}
        Ok(Err(_)) => return Verdict::Drop { reason: "the device's session has ended", forget: true },
        Err(e) => return Verdict::Retry(format!("session store: {e}")),
    }
    let message = PushMessage {
        platform: token.platform,
        token: token.token.clone(),
        title: c.row.title.clone(),
        body: c.row.body.clone(),
        notification_id: c.row.event_id,
        subject_type: notice.map(|n| n.subject_type.clone()).unwrap_or_default(),
        subject_id: notice.map_or(Uuid::nil(), |n| n.subject_id),
        organization_id: notice.map_or(Uuid::nil(), |n| n.organization_id),
    };
    match tokio::time::timeout(SEND_TIMEOUT, sender.send(&message)).await {
        Ok(PushOutcome::Sent) => Verdict::Sent,
        Ok(PushOutcome::Retry(e)) => Verdict::Retry(e),
        Ok(PushOutcome::TokenInvalid) => Verdict::Drop { reason: "the vendor rejected the token", forget: true },
        Err(_) => Verdict::Retry(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
    }
}

/// Writes an attempt's outcome — only onto the row as this sender claimed it (still
/// PENDING, same attempt): if the lease ran out and another sender took the row, its
/// outcome stands.
async fn record(
    db: &sea_orm::DatabaseConnection,
    max_attempts: u32,
    c: &Claimed,
    token: Option<&push_token::Model>,
    verdict: Verdict,
) -> AppResult<()> {
    use push_delivery::Column as D;
    let now = transition::now();
    let mut update = push_delivery::Entity::update_many()
        .filter(D::EventId.eq(c.row.event_id))
        .filter(D::TokenId.eq(c.row.token_id))
        .filter(D::Status.eq(PushStatus::Pending))
        .filter(D::Attempts.eq(c.attempt));
    let error = |e: &str| Expr::value(e.chars().take(500).collect::<String>());
    match &verdict {
        Verdict::Sent => {
            update = update
                .col_expr(D::Status, Expr::value(PushStatus::Sent.to_value()))
                .col_expr(D::SentAt, Expr::value(now))
                .col_expr(D::LastError, Expr::value(Option::<String>::None));
        }
        Verdict::Retry(e) if c.attempt >= i32::try_from(max_attempts).unwrap_or(i32::MAX) => {
            update =
                update.col_expr(D::Status, Expr::value(PushStatus::Failed.to_value())).col_expr(D::LastError, error(e));
        }
        Verdict::Retry(e) => {
            let wait = backoff(u32::try_from(c.attempt).unwrap_or(1), rand::rng().random::<f64>());
            update = update.col_expr(D::NextAttemptAt, Expr::value(later(now, wait))).col_expr(D::LastError, error(e));
        }
        Verdict::Drop { reason, .. } => {
            update = update
                .col_expr(D::Status, Expr::value(PushStatus::Dropped.to_value()))
                .col_expr(D::LastError, error(reason));
        }
    }
    let txn = db::write(db).await?;
    let recorded = update.exec(&txn).await?.rows_affected > 0;
    if recorded && let Some(t) = token {
        match verdict {
            Verdict::Sent => {
                push_token::Entity::update_many()
                    .col_expr(push_token::Column::LastUsedAt, Expr::value(now))
                    .filter(push_token::Column::Id.eq(t.id))
                    .exec(&txn)
                    .await?;
            }
            Verdict::Drop { forget: true, reason } => {
                // Only the token as it was read: if it was registered again since (a new
                // session on the same phone), it lives on.
                push_token::Entity::delete_many()
                    .filter(push_token::Column::Id.eq(t.id))
                    .filter(push_token::Column::SessionId.eq(&t.session_id))
                    .filter(push_token::Column::UserId.eq(t.user_id))
                    .exec(&txn)
                    .await?;
                tracing::info!(platform = t.platform.to_value(), token = %mask(&t.token), reason, "push token removed");
            }
            _ => {}
        }
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_of_every_vendor_pass_and_junk_does_not() {
        let apns = "a1b2c3d4".repeat(8);
        let fcm = "cXk1:APA91bH-_abcdefghijklmnopqrstuvwxyz0123456789.";
        for ok in [apns.as_str(), fcm, "1a0018970a8b3c4d5e6"] {
            assert!(check_token(ok).is_ok(), "{ok}");
        }
        for bad in ["short", "has space in it", "quote\"token1", "令牌令牌令牌令牌", &"x".repeat(513)] {
            assert!(check_token(bad).is_err(), "{bad}");
        }
    }

    /// Answers as it was told, so a test can see which vendor a push went to.
    struct Fixed(PushOutcome);

    impl PushSender for Fixed {
        fn send<'a>(&'a self, _: &'a PushMessage) -> BoxFuture<'a, PushOutcome> {
            Box::pin(async move { self.0.clone() })
        }
    }

    #[tokio::test]
    async fn each_platform_goes_to_its_own_vendor() {
        let route = PerPlatform {
            android: Arc::new(Fixed(PushOutcome::Sent)),
            ios: Arc::new(Fixed(PushOutcome::TokenInvalid)),
            harmony: Arc::new(Fixed(PushOutcome::Retry("harmony".into()))),
        };
        let message = |platform| PushMessage {
            platform,
            token: "a1b2c3d4e5f6".into(),
            title: "通报".into(),
            body: None,
            notification_id: Uuid::nil(),
            subject_type: "briefing".into(),
            subject_id: Uuid::nil(),
            organization_id: Uuid::nil(),
        };
        assert_eq!(route.send(&message(PushPlatform::Android)).await, PushOutcome::Sent);
        assert_eq!(route.send(&message(PushPlatform::Ios)).await, PushOutcome::TokenInvalid);
        assert_eq!(route.send(&message(PushPlatform::Harmony)).await, PushOutcome::Retry("harmony".into()));
        assert_eq!(LoggingSender.send(&message(PushPlatform::Ios)).await, PushOutcome::Sent);
    }

    #[test]
    fn a_masked_token_keeps_six_characters() {
        assert_eq!(mask("abcdefghijkl"), "abcdef…");
    }

    #[test]
    fn back_off_doubles_up_to_the_cap_with_jitter_below_it() {
        assert_eq!(backoff(1, 1.0), Duration::from_secs(15));
        assert_eq!(backoff(1, 0.0), Duration::from_millis(7500));
        assert_eq!(backoff(2, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(4, 1.0), Duration::from_secs(120));
        assert_eq!(backoff(9, 1.0), BACKOFF_CAP);
        assert_eq!(backoff(40, 1.0), BACKOFF_CAP, "no overflow");
        assert_eq!(backoff(40, 0.0), BACKOFF_CAP / 2);
        for n in 1..12 {
            assert!(backoff(n, 0.3) <= backoff(n, 0.9));
        }
    }
}
