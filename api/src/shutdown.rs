//! Stopping cleanly (issue 16 item 1). Docker, Kubernetes and systemd stop a service with
//! SIGTERM and kill it a grace period later; Ctrl-C sends SIGINT. On either the server stops
//! accepting connections, lets the requests in flight (an upload included) finish within
//! `SHUTDOWN_GRACE_SECS`, closes subscription sockets with 1001 (going away: the client
//! reconnects, to another process behind the load balancer) and exits 0.
use std::sync::Arc;

use tokio::sync::watch;

/// Whether this process is stopping; every part that holds something open (a socket) waits
/// on it.
#[derive(Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Starts stopping (once; later calls change nothing).
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    pub fn is_begun(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once stopping has begun (at once when it has).
    pub async fn begun(&self) {
        let mut stopping = self.0.subscribe();
        // The sender lives as long as `self`: the wait cannot fail.
        let _ = stopping.wait_for(|s| *s).await;
    }
}

/// Resolves on SIGTERM or SIGINT.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                    _ = int.recv() => tracing::info!("SIGINT: stopping"),
                }
            }
            _ => {
                tracing::warn!("cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
