//! Signals between server processes: "these people have news", "their badge numbers
//! moved", "this session ended". Redis pub/sub carries them between processes (one
//! channel per deployment, `<REDIS_KEY_PREFIX>live`); without Redis (the quick start) a
//! channel inside the process does the same for its one process.
//!
//! A signal is a hint, never the data: a subscriber reads what changed from the database
//! (notifications) or the session store (sessions). So a lost signal costs a delay, not a
//! wrong answer, and whenever signals may have been lost (the Redis subscription
//! reconnected, a slow socket fell behind) every subscriber is told to look again
//! (`Signal::Resync`).
use std::{sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::{
    briefings::kept::{BriefingCaches, Sizes},
    metrics::{Metrics, RedisPart},
};

/// Signals kept for slow subscribers before they are told to resync instead.
const BACKLOG: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub enum Signal {
    /// An event's notifications are written (the dispatcher, after its commit).
    Notified { event: Uuid, users: Vec<Uuid> },
    /// Something behind these people's badge numbers changed (a read mark, their own step).
    Counts { users: Vec<Uuid> },
    /// A session ended (logout, revoked, theft), or all of a user's (`session: None`:
    /// logout everywhere, a disabled account, a password reset).
    SessionsEnded { user: Uuid, session: Option<String> },
    /// A briefing of the organization was published, withdrawn or edited: whose feeds and
    /// badges it is in may have changed (what the process keeps, `briefings::kept`).
    Briefings { org: Uuid },
    /// These people's own rows changed (name, phone, status, password): what a process
    /// keeps of them goes (`briefings::kept`, the feed's authors).
    People { users: Vec<Uuid> },
    /// Signals may have been lost: look again.
    Resync,
}

impl Signal {
    /// Whether the signal may change what `user` sees.
    pub fn concerns(&self, user: Uuid) -> bool {
        match self {
            Signal::Notified { users, .. } | Signal::Counts { users } => users.contains(&user),
            Signal::SessionsEnded { user: u, .. } => *u == user,
            // Subscriptions learn of their person's new briefings from the notifications.
            Signal::Briefings { .. } | Signal::People { .. } => false,
            Signal::Resync => true,
        }
    }
}

#[derive(Clone)]
pub struct Broker {
    local: broadcast::Sender<Arc<Signal>>,
    redis: Option<Publisher>,
    /// Forgets what each signal changed before the signal is handed on, so that a
    /// subscriber re-reading the badge never gets the number from before (`briefings::kept`).
    kept: Arc<BriefingCaches>,
}

#[derive(Clone)]
struct Publisher {
    conn: redis::aio::ConnectionManager,
    channel: String,
    metrics: Metrics,
}

impl Broker {
    /// Signals reach this process only.
    pub fn in_process() -> Self {
        Self::in_process_with(Sizes::default())
    }

    /// Signals reach this process only; what of briefings it keeps is bounded by `sizes`.
    pub fn in_process_with(sizes: Sizes) -> Self {
        Self { local: broadcast::channel(BACKLOG).0, redis: None, kept: Arc::new(BriefingCaches::new(sizes, true)) }
    }

    /// Signals go through Redis to every process with the same key prefix, this one
    /// included (it hears its own signals back from Redis, so there is one path).
    /// Connects on first use, like the session store: Redis may come after the process.
    /// What of briefings it keeps (bounded by `sizes`) is kept while the subscription is up.
    pub fn redis(url: &str, prefix: &str, timeout: Duration, sizes: Sizes, metrics: Metrics) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let config = crate::kv::redis_manager_config(timeout);
        let conn =
            redis::aio::ConnectionManager::new_lazy_with_config(client.clone(), config).map_err(|e| e.to_string())?;
        let channel = format!("{prefix}live");
        let local = broadcast::channel(BACKLOG).0;
        let kept = Arc::new(BriefingCaches::new(sizes, false));
        tokio::spawn(listen(client, channel.clone(), local.clone(), kept.clone(), metrics.clone()));
        Ok(Self { local, redis: Some(Publisher { conn, channel, metrics }), kept })
    }

    /// What of briefings this process keeps (the badge, first feed pages).
    pub fn kept(&self) -> &BriefingCaches {
        &self.kept
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Signal>> {
        self.local.subscribe()
    }

    /// Sends a signal to every process. Best effort: a signal that cannot be sent is
    /// logged, and the subscribers it was for see the change on their next resync or
    /// in the inbox; the step that caused it has already committed.
    pub async fn publish(&self, signal: Signal) {
        // This process forgets at once (its next request must see the change); the others
        // when the signal reaches them, and this one again then, harmlessly.
        self.kept.forget(&signal);
        match &self.redis {
            None => {
                // No subscriber is not an error.
                let _ = self.local.send(Arc::new(signal));
            }
            Some(p) => {
                let Ok(payload) = serde_json::to_string(&signal) else { return };
                let mut conn = p.conn.clone();
                let sent: redis::RedisResult<i64> =
                    redis::cmd("PUBLISH").arg(&p.channel).arg(payload).query_async(&mut conn).await;
                if let Err(e) = sent {
                    p.metrics.redis_error(RedisPart::PubSub);
                    tracing::warn!(error = %e, "live signal not published");
                }
            }
        }
    }
}

/// Holds the Redis subscription for the life of the process, reconnecting with a growing
/// pause; after each (re)connection subscribers resync, since signals sent while it was
/// down are gone.
async fn listen(
    client: redis::Client,
    channel: String,
    local: broadcast::Sender<Arc<Signal>>,
    kept: Arc<BriefingCaches>,
    metrics: Metrics,
) {
    use futures_util::StreamExt;
    let mut pause = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    pause = Duration::from_millis(100);
                    kept.set_listening(true);
                    let _ = local.send(Arc::new(Signal::Resync));
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        match serde_json::from_slice::<Signal>(message.get_payload_bytes()) {
                            Ok(signal) => {
                                kept.forget(&signal);
                                let _ = local.send(Arc::new(signal));
                            }
                            Err(e) => tracing::warn!(error = %e, "unreadable live signal ignored"),
                        }
                    }
                    kept.set_listening(false);
                    tracing::warn!("live signal subscription lost; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "live signal subscription refused; retrying"),
            },
            Err(e) => tracing::warn!(error = %e, "live signal connection failed; retrying"),
        }
        metrics.redis_error(RedisPart::PubSub);
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_read_back_as_written() {
        let user = Uuid::now_v7();
        let signals = [
            Signal::Notified { event: Uuid::now_v7(), users: vec![user] },
            Signal::Counts { users: vec![user] },
            Signal::SessionsEnded { user, session: Some("abc".into()) },
            Signal::Resync,
        ];
        for s in signals {
            let text = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(serde_json::from_str::<Signal>(&text).ok(), Some(s.clone()), "{text}");
            assert!(s.concerns(user));
            assert_eq!(s.concerns(Uuid::now_v7()), s == Signal::Resync);
        }
        let moved = Signal::Briefings { org: Uuid::now_v7() };
        let text = serde_json::to_string(&moved).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Signal>(&text).ok(), Some(moved.clone()), "{text}");
        assert!(!moved.concerns(user));
    }
}
