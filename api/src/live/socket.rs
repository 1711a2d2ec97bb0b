//! The WebSocket side of `/graphql`: GraphQL subscriptions over `graphql-transport-ws`
//! (and the older `graphql-ws` of subscriptions-transport-ws, which async-graphql speaks
//! too).
//!
//! - The access token comes in `connection_init`'s payload (`{"Authorization": "Bearer …"}`)
//!   and is checked as an HTTP request's would be; a refusal closes with 4403.
//! - Only subscriptions run here. Queries and mutations go over HTTP, where the audit log,
//!   the idempotency keys and the HTTP status codes are.
//! - Each operation passes the same document limits and request budget as over HTTP, and a
//!   socket holds at most `LIVE_MAX_SUBSCRIPTIONS` at once.
//! - When the session ends (logout, revoked, the account disabled, expiry) the socket is
//!   closed with 4403: at once on the broker's signal, and in any case at the next check of
//!   the session store (every `LIVE_SESSION_CHECK_SECS`).
//! - A client that does not send `connection_init` in time is closed with 4408.
//! - One person holds at most `LIVE_MAX_SOCKETS_PER_USER` sockets on a process; one more is
//!   closed with 1008 at `connection_init` (`sockets`).
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_graphql::{
    Data, Executor, Pos,
    futures_util::stream::BoxStream,
    http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage},
    parser::types::OperationType,
};
use futures_util::{SinkExt, StreamExt, future};
use poem::{
    IntoResponse, Response,
    http::StatusCode,
    web::websocket::{Message, WebSocket, WebSocketConfig, WebSocketStream},
};
use tokio::sync::{broadcast::error::RecvError, watch};

use super::Signal;
use crate::{
    auth::{Viewer, principal::PrincipalSlot, service::authenticate},
    error::AppError,
    graphql::AppSchema,
    http::refuse,
    state::State,
    transport,
};

/// Close codes of graphql-transport-ws.
mod close {
    pub const GOING_AWAY: u16 = 1001;
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    /// Policy violation: the person holds `LIVE_MAX_SOCKETS_PER_USER` sockets already. Not
    /// 4403, which clients take for "signed out".
    pub const TOO_MANY_SOCKETS: u16 = 1008;
}

/// Answers a WebSocket upgrade of `/graphql`.
pub fn upgrade(
    ws: WebSocket,
    protocol: Option<WebSocketProtocols>,
    state: State,
    schema: AppSchema,
    ip: String,
) -> Response {
    let Some(protocol) = protocol else {
        let err = AppError::bad_input("Sec-WebSocket-Protocol", "WebSocket 须使用 graphql-transport-ws 子协议");
        return refuse(StatusCode::BAD_REQUEST, &err);
    };
    let size = Some(state.settings.max_body_bytes);
    ws.protocols(ALL_WEBSOCKET_PROTOCOLS)
        .config(WebSocketConfig::default().max_message_size(size).max_frame_size(size))
        .on_upgrade(move |socket| serve(socket, protocol, state, schema, ip))
        .into_response()
}

/// The protocol the client asked for, if it is one we speak.
pub fn protocol(header: Option<&str>) -> Option<WebSocketProtocols> {
    header?.split(',').find_map(|p| p.trim().parse().ok())
}

async fn serve(socket: WebSocketStream, protocol: WebSocketProtocols, state: State, schema: AppSchema, ip: String) {
    let _open = state.metrics.socket_opened();
    let (mut sink, incoming) = socket.split();
    let incoming = incoming
        .take_while(|m| future::ready(m.is_ok()))
        .filter_map(|m| future::ready(m.ok().filter(|m| m.is_text() || m.is_binary())))
        .map(Message::into_bytes);
    let (who_tx, who) = watch::channel(None::<Viewer>);
    let refused = Arc::new(AtomicBool::new(false));
    let executor = Guarded { schema, state: state.clone(), ip, open: Arc::default(), who: who.clone() };
    let too_many = Arc::new(AtomicBool::new(false));
    // The person's place among their open sockets, held until this socket closes.
    let place = Arc::new(std::sync::Mutex::new(None));
    let (init_state, init_refused, init_too_many, init_place) =
        (state.clone(), refused.clone(), too_many.clone(), place.clone());
    let graphql = async_graphql::http::WebSocket::new(executor, incoming, protocol).on_connection_init(
        move |payload| async move {
            match authenticate_init(&init_state, &payload).await {
                Ok(viewer) => {
                    let max = init_state.settings.live_max_sockets_per_user;
                    let Some(slot) = init_state.live_sockets.admit(viewer.user_id, max) else {
                        init_too_many.store(true, Ordering::Relaxed);
                        return Err(async_graphql::Error::new(format!("同时打开的实时连接过多（每人最多{max}个）")));
                    };
                    if let Ok(mut place) = init_place.lock() {
                        *place = Some(slot);
                    }
                    let mut data = Data::default();
                    data.insert(viewer.clone());
                    let _ = who_tx.send(Some(viewer));
                    Ok(data)
                }
                Err(err) => {
                    init_refused.store(true, Ordering::Relaxed);
                    Err(async_graphql::Error::new(err.public_message()))
                }
            }
        },
    );
    futures_util::pin_mut!(graphql);
    let shutdown = state.shutdown.clone();
    let stopping = shutdown.begun();
    futures_util::pin_mut!(stopping);
    let ended = session_end(state, who);
    futures_util::pin_mut!(ended);
    loop {
        tokio::select! {
            message = graphql.next() => match message {
                Some(WsMessage::Text(text)) => {
                    if sink.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let (code, reason) = if too_many.load(Ordering::Relaxed) {
                        (close::TOO_MANY_SOCKETS, reason)
                    } else {
                        translate(code, reason, refused.load(Ordering::Relaxed))
                    };
                    let _ = sink.send(Message::close_with(code, reason)).await;
                    break;
                }
                None => break,
            },
            (code, reason) = &mut ended => {
                let _ = sink.send(Message::close_with(code, reason)).await;
                break;
            }
            () = &mut stopping => {
                // 1001 going away: the client reconnects (to another process, or to this
                // one restarted) and finds what it missed in its inbox.
                let _ = sink.send(Message::close_with(close::GOING_AWAY, "server restarting")).await;
                break;
            }
        }
    }
    let _ = sink.close().await;
}

/// async-graphql's close codes where graphql-transport-ws names its own: a refused
/// `connection_init` is 4403 (async-graphql says 1002), a subscription before the
/// acknowledgement 4401 (1011), a message that is not of the protocol 4400 (1002).
fn translate(code: u16, reason: String, init_refused: bool) -> (u16, String) {
    match code {
        1002 if init_refused => (close::FORBIDDEN, reason),
        1002 => (close::BAD_REQUEST, reason),
        1011 => (close::UNAUTHORIZED, "Unauthorized".into()),
        _ => (code, reason),
    }
}

/// The viewer the `connection_init` payload's access token names.
async fn authenticate_init(state: &State, payload: &serde_json::Value) -> Result<Viewer, AppError> {
    let field = |name: &str| payload.get(name).or_else(|| payload.get("headers")?.get(name))?.as_str();
    let header = field("Authorization").or_else(|| field("authorization")).unwrap_or_default();
    let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).unwrap_or("").trim();
    if token.is_empty() {
        return Err(AppError::unauthenticated("connection_init 须带 {\"Authorization\": \"Bearer <访问令牌>\"}"));
    }
    authenticate(state, token).await
}

/// How long a socket may stay open without `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves, with the close code and reason, when the socket's session no longer admits
/// requests; or when no `connection_init` came in time.
async fn session_end(state: State, mut who: watch::Receiver<Option<Viewer>>) -> (u16, String) {
    let viewer = match tokio::time::timeout(INIT_TIMEOUT, who.wait_for(Option::is_some)).await {
        Ok(Ok(viewer)) => viewer.clone(),
        // Refused: the GraphQL side closes the socket.
        Ok(Err(_)) => None,
        Err(_) => return (close::INIT_TIMEOUT, "Connection initialisation timeout".into()),
    };
    let Some(viewer) = viewer else { return future::pending().await };
    let mut signals = state.live.subscribe();
    let every = Duration::from_secs(state.settings.live_session_check_secs.max(1));
    let mut checks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            signal = signals.recv() => match signal {
                Ok(s) if matches!(&*s, Signal::SessionsEnded { .. } | Signal::Resync) && s.concerns(viewer.user_id) => {}
                Ok(_) => continue,
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => {
                    checks.tick().await;
                }
            },
            _ = checks.tick() => {}
        }
        match state.sessions.live(&viewer.session_id, viewer.user_id).await {
            // The session moved to another organization or role: the socket's viewer is
            // not who the session is any more.
            Ok(Ok(s)) if s.organization_id == viewer.organization_id && s.role == viewer.role => {}
            Ok(_) => return (close::FORBIDDEN, "Forbidden: 会话已结束，请重新登录".into()),
            // The store cannot be asked: keep the socket and ask again at the next check.
            Err(e) => tracing::warn!(error = %e, "live session check failed"),
        }
    }
}

/// The schema behind one socket: each operation passes the HTTP side's limits first.
#[derive(Clone)]
struct Guarded {
    schema: AppSchema,
    state: State,
    ip: String,
    /// Subscriptions running on this socket.
    open: Arc<AtomicUsize>,
    who: watch::Receiver<Option<Viewer>>,
}

/// Takes back a socket's subscription slot when its stream ends or is dropped.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn refusal(err: AppError) -> async_graphql::Response {
    async_graphql::Response::from_errors(vec![err.to_graphql().into_server_error(Pos::default())])
}

impl Executor for Guarded {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        self.schema.execute(request).await
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let this = self.clone();
        Box::pin(async_stream::stream! {
            let mut request = request.data(PrincipalSlot::default());
            let viewer = this.who.borrow().clone();
            if transport::selected_operation(&mut request).is_some_and(|op| op.ty != OperationType::Subscription) {
                yield refusal(AppError::bad_input("query", "WebSocket 上只接受订阅（subscription）；查询和变更请用 HTTP POST /graphql"));
                return;
            }
            let limit = this.state.settings.live_max_subscriptions;
            if this.open.fetch_add(1, Ordering::Relaxed) >= limit {
                this.open.fetch_sub(1, Ordering::Relaxed);
                yield refusal(AppError::bad_input("query", format!("每个连接最多同时{limit}个订阅")));
                return;
            }
            let _slot = Slot(this.open.clone());
            if let Err(refused) = crate::limits::judge(&this.state, &mut request, viewer.as_ref(), &this.ip).await {
                yield refusal(refused.error);
                return;
            }
            let mut responses = this.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default());
            while let Some(mut response) = responses.next().await {
                response.errors.iter_mut().for_each(crate::messages::localize);
                yield response;
            }
        })
    }
}
