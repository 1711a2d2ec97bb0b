//! Start-up: settings → state (database migrated, session store, keys) → bootstrap →
//! HTTP server. `spawn` is what the end-to-end tests call, with port 0.
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};
use rand::RngCore;
use secrecy::ExposeSecret;

use crate::{
    attachments::{self, owners::Owners, service::UploadGuard, signing::FileLinks, store::Files},
    auth::{password::Passwords, rate_limit::LoginLimiter, sessions::Sessions, tokens::Tokens},
    bootstrap, briefings,
    config::Settings,
    db,
    graphql::{self, Limits},
    http,
    kv::{Kv, MemoryKv, RedisKv},
    live::Broker,
    metrics::Metrics,
    notifications,
    persisted_queries::PersistedQueries,
    proposals, reminders,
    state::{AppState, State},
    suggestions, visits,
};
use entity::AttachmentPurpose;

pub async fn build_state(settings: Settings) -> Result<State, String> {
    let problems = settings.problems();
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let metrics = Metrics::new();
    let (db, queries) = db::connect(&settings, &metrics).await?;
    let redis_timeout = Duration::from_millis(settings.redis_timeout_ms.max(1));
    let kept = crate::briefings::kept::Sizes {
        badges: settings.briefing_badge_cache_entries,
        feeds: settings.briefing_feed_cache_entries,
    };
    let live = match &settings.redis_url {
        Some(url) => Broker::redis(url, &settings.redis_key_prefix, redis_timeout, kept, metrics.clone())
            .map_err(|e| format!("REDIS_URL: {e}"))?,
        None => Broker::in_process_with(kept),
    };
    let kv: Arc<dyn Kv> = match &settings.redis_url {
        Some(url) => {
            Arc::new(RedisKv::connect(url, redis_timeout, metrics.clone()).map_err(|e| format!("REDIS_URL: {e}"))?)
        }
        None => {
            tracing::warn!(
                "REDIS_URL is not set: sessions and login limits are kept in this process only; \
                 they are lost on restart and not shared with other server processes"
            );
            Arc::new(MemoryKv::new())
        }
    };
    let secret: Vec<u8> = match &settings.jwt_secret {
        Some(secret) => secret.expose_secret().as_bytes().to_vec(),
        None => {
            tracing::warn!("JWT_SECRET is not set: using a random key, so access tokens end with this process");
            let mut key = vec![0u8; 48];
            rand::rng().fill_bytes(&mut key);
            STANDARD.encode(&key).into_bytes()
        }
    };
    let tokens = Tokens::new(&secret, &settings.jwt_issuer, &settings.jwt_audience, settings.access_token_ttl());
    let sessions = Sessions::new(
        kv.clone(),
        &settings.redis_key_prefix,
        settings.refresh_token_ttl(),
        settings.refresh_reuse_grace(),
        live.clone(),
    );
    let passwords = Passwords::new(settings.password_hash_concurrency, settings.password_hash_max_wait());
    let limiter = LoginLimiter::new(
        kv.clone(),
        &settings.redis_key_prefix,
        settings.login_max_failures_per_phone,
        settings.login_max_failures_per_ip,
        settings.login_failure_window(),
    );
    let files = Files::from_settings(&settings)?;
    let link_secret = settings.file_url_secret.as_ref().map_or(secret, |s| s.expose_secret().as_bytes().to_vec());
    let links = FileLinks::new(&link_secret, settings.file_url_ttl(), settings.public_base_url.as_deref());
    let uploads = UploadGuard::new(kv.clone(), &settings.redis_key_prefix, settings.uploads_per_hour);
    let attachment_owners = attachment_owners();
    let persisted_queries = PersistedQueries::new(
        kv.clone(),
        &settings.redis_key_prefix,
        Duration::from_secs(settings.persisted_query_ttl_secs),
        settings.persisted_query_local_entries,
    );
    Ok(Arc::new(AppState {
        settings: Arc::new(settings),
        db,
        kv,
        sessions,
        tokens,
        limiter,
        passwords,
        queries,
        files,
        links,
        uploads,
        attachment_owners,
        persisted_queries,
        live,
        live_sockets: crate::live::sockets::SocketCounts::default(),
        metrics,
        metrics_addr: std::sync::OnceLock::new(),
        shutdown: crate::shutdown::Shutdown::default(),
    }))
}

/// Who may read what an attachment belongs to: each domain's rule for its records.
fn attachment_owners() -> Owners {
    Owners::default()
        .register(AttachmentPurpose::Briefing, briefings::policy::BriefingAttachments)
        .register(AttachmentPurpose::Proposal, proposals::policy::ProposalAttachments)
        .register(AttachmentPurpose::ProposalReply, proposals::policy::ReplyAttachments)
        .register(AttachmentPurpose::Suggestion, suggestions::service::SuggestionAttachments)
        .register(AttachmentPurpose::VisitReport, visits::policy::ReportAttachments)
}

fn limits(settings: &Settings) -> Limits {
    Limits {
        depth: settings.graphql_max_depth,
        complexity: settings.graphql_max_complexity,
        suggestions: !settings.introspection_admin_only(),
    }
}

/// The twin schema for introspection-only requests (see `graphql::is_introspection`).
pub fn introspection_schema(state: &State) -> graphql::IntrospectionSchema {
    let limits = limits(&state.settings);
    graphql::IntrospectionSchema(graphql::builder(&graphql::introspection_limits(&limits)).data(state.clone()).finish())
}

pub fn schema(state: &State) -> graphql::AppSchema {
    let limits = limits(&state.settings);
    graphql::builder(&limits).data(state.clone()).finish()
}

/// The listener of `METRICS_BIND_ADDR` (only `/metrics`), stopping with the main one; its
/// bound address goes into `state.metrics_addr` (port 0 in tests).
async fn metrics_server(state: State) -> Result<Option<impl Future<Output = std::io::Result<()>>>, String> {
    let Some(bind) = state.settings.metrics_bind_addr.clone() else { return Ok(None) };
    let acceptor =
        TcpListener::bind(bind.clone()).into_acceptor().await.map_err(|e| format!("METRICS_BIND_ADDR {bind}: {e}"))?;
    if let Some(addr) = acceptor.local_addr().first().and_then(|a| a.as_socket_addr().copied()) {
        tracing::info!(%addr, "metrics listening");
        let _ = state.metrics_addr.set(addr);
    }
    let stopping = state.shutdown.clone();
    Ok(Some(Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
        http::metrics_routes(state),
        // The main server begins the shutdown on the signal.
        async move { stopping.begun().await },
        Some(Duration::from_secs(1)),
    )))
}

/// Binds, bootstraps an empty database, and returns the bound address with the server
/// future (run it, or spawn it).
pub async fn spawn(
    settings: Settings,
) -> Result<(SocketAddr, State, impl Future<Output = std::io::Result<()>>), String> {
    let bind = settings.bind_addr.clone();
    let state = build_state(settings).await?;
    bootstrap::first_start(&state).await.map_err(|e| format!("bootstrap: {e}"))?;
    let acceptor =
        TcpListener::bind(bind.clone()).into_acceptor().await.map_err(|e| format!("BIND_ADDR {bind}: {e}"))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .ok_or_else(|| format!("BIND_ADDR {bind}: no local address"))?;
    attachments::spawn_sweeper(state.clone());
    notifications::dispatcher::spawn(state.clone());
    reminders::spawn(state.clone());
    crate::retention::spawn(state.clone());
    notifications::push::spawn(state.clone(), notifications::push::sender_from(&state.settings));
    let routes = http::routes(state.clone(), schema(&state), introspection_schema(&state));
    // Stops on SIGTERM / SIGINT, or when something in this process begins the shutdown (a
    // test). Poem then stops accepting and waits up to the grace period for the
    // connections in flight; the sockets close themselves on `state.shutdown`.
    let stopping = state.shutdown.clone();
    let grace = Duration::from_secs(state.settings.shutdown_grace_secs);
    let server = Server::new_with_acceptor(acceptor).run_with_graceful_shutdown(
        routes,
        async move {
            tokio::select! {
                () = crate::shutdown::signal() => {}
                () = stopping.begun() => {}
            }
            stopping.begin();
            tracing::info!(grace_secs = grace.as_secs(), "no new connections; finishing the requests in flight");
        },
        Some(grace),
    );
    let metrics = metrics_server(state.clone()).await?;
    let both = async move {
        match metrics {
            Some(metrics) => tokio::try_join!(server, metrics).map(|_| ()),
            None => server.await,
        }
    };
    Ok((addr, state, both))
}
