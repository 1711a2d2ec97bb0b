//! `Subscription { notificationReceived unreadCounts }` and the `unreadCounts` query.
//!
//! A subscription listens to the broker and, for each signal about its person, reads
//! what changed from the database: signals say *that* something changed, never what, so
//! a subscriber cannot be told anything the database would not show it.
use std::sync::Arc;

use async_graphql::{Context, Object, Result, SimpleObject, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{Signal, counts};
use crate::{
    auth::Viewer,
    graphql::context::ContextExt,
    notifications::{graphql::Notification, service},
    state::State,
};

/// Notifications read back at once after signals were lost; older ones stay in the inbox.
const CATCH_UP: u64 = 50;
/// Notices a subscription remembers having sent, so none is sent twice.
const REMEMBERED: usize = 256;

/// 角标数字：当前组织里等我处理的
#[derive(SimpleObject, Clone, Copy, PartialEq, Eq)]
pub struct UnreadCounts {
    /// 未读通报
    pub briefings: u64,
    /// 未读通知
    pub notifications: u64,
    /// 待我答复的联名邀请
    pub co_sign_invitations: u64,
    /// 已答复、待我评价的提案
    pub proposals_to_evaluate: u64,
}

impl From<counts::Counts> for UnreadCounts {
    fn from(c: counts::Counts) -> Self {
        Self {
            briefings: c.briefings,
            notifications: c.notifications,
            co_sign_invitations: c.co_sign_invitations,
            proposals_to_evaluate: c.proposals_to_evaluate,
        }
    }
}

#[derive(Default)]
pub struct LiveQuery;

#[Object]
impl LiveQuery {
    /// 角标数字（通报、通知、联名邀请、待评价提案），一次取齐；订阅 unreadCounts 可在变化时收到
    async fn unread_counts(&self, ctx: &Context<'_>) -> Result<UnreadCounts> {
        let viewer = ctx.viewer()?;
        Ok(counts::of(ctx.state()?, viewer).await?.into())
    }
}

#[derive(Default)]
pub struct SubscriptionRoot;

/// The next signal about `user`; a receiver that fell behind resyncs instead.
async fn next_signal(rx: &mut tokio::sync::broadcast::Receiver<Arc<Signal>>, user: Uuid) -> Option<Arc<Signal>> {
    loop {
        match rx.recv().await {
            Ok(signal) if signal.concerns(user) => return Some(signal),
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return Some(Arc::new(Signal::Resync)),
            Err(RecvError::Closed) => return None,
        }
    }
}

fn subscriber(ctx: &Context<'_>) -> Result<(State, Viewer)> {
    Ok((ctx.state()?.clone(), ctx.viewer()?.clone()))
}

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// 我收到的新通知（当前组织），到达即推送；断线期间的通知在 notifications 里
    async fn notification_received(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = Notification> + use<>> {
        let (state, viewer) = subscriber(ctx)?;
        // Listening before the starting point is read: nothing falls between the two.
        let mut rx = state.live.subscribe();
        let mut last = service::newest(&state.db, &viewer).await?;
        let mut sent = std::collections::BTreeSet::new();
        Ok(async_stream::stream! {
            while let Some(signal) = next_signal(&mut rx, viewer.user_id).await {
                let found = match &*signal {
                    Signal::Notified { event, .. } => service::one(&state.db, &viewer, *event).await.map(Vec::from_iter),
                    Signal::Resync => service::since(&state.db, &viewer, last, CATCH_UP).await,
                    _ => continue,
                };
                match found {
                    Ok(rows) => {
                        for n in rows {
                            // A resync and a late signal may both find one notice: it is sent once.
                            if !sent.insert(n.event_id) {
                                continue;
                            }
                            if sent.len() > REMEMBERED {
                                sent.pop_first();
                            }
                            last = last.max(Some(n.event_id));
                            yield Notification(n);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "live notification not read; the inbox has it"),
                }
            }
        })
    }

    /// 角标数字：订阅时先推送一次，此后任一数字变化时推送
    async fn unread_counts(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = UnreadCounts> + use<>> {
        let (state, viewer) = subscriber(ctx)?;
        let mut rx = state.live.subscribe();
        let first = counts::of(&state, &viewer).await?;
        Ok(async_stream::stream! {
            let mut shown = first;
            yield UnreadCounts::from(first);
            while let Some(signal) = next_signal(&mut rx, viewer.user_id).await {
                if matches!(&*signal, Signal::SessionsEnded { .. }) {
                    continue;
                }
                match counts::of(&state, &viewer).await {
                    Ok(now) if now != shown => {
                        shown = now;
                        yield UnreadCounts::from(now);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "badge numbers not read; they follow with the next change"),
                }
            }
        })
    }
}
