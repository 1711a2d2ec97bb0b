//! The HTTP surface: `POST /graphql` (the API; JSON, or multipart for uploads),
//! `GET /graphql` (queries in the query string; GraphiQL for a browser; subscriptions
//! over a WebSocket upgrade), `GET /files/{id}` (signed attachment downloads),
//! `GET /reports/annual/{year}` (the annual report as a document, bearer token),
//! `GET /exports/duty-records/{year}.csv` (the office's spreadsheet of duty records),
//! `/healthz` and `/readyz`. Authentication happens here, before the schema runs: a
//! request that carries a bad token is refused whole, never answered in part.
use poem::web::{CompressionAlgo, CompressionLevel};
use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, get, handler,
    http::{Method, StatusCode, header},
    middleware::{Compression, Cors},
    web::{Data, Json, websocket::WebSocket},
};
use serde_json::json;

use crate::{
    attachments::{download::download, intake::human_size},
    audit,
    auth::{ClientInfo, SignedIn, Viewer, service::authenticate},
    config::Settings,
    error::AppError,
    graphql::{AppSchema, IntrospectionSchema, loaders},
    limits::multipart::Unread,
    state::State,
    transport::{self, Format, Params},
};

pub fn routes(state: State, schema: AppSchema, introspection: IntrospectionSchema) -> impl poem::Endpoint {
    let cors = cors(&state.settings.cors_allowed_origins);
    let security_headers = crate::limits::headers::SecurityHeaders::new(&state.settings);
    Route::new()
        // Answers compressed for phones on mobile data (a feed page: 8.7 KB, 2.1 KB gzipped).
        // Level 4: brotli's default (11) costs far too much CPU for answers made per request.
        .at("/graphql", get(graphql_get).post(graphql_post).with(compression()))
        .at("/ide/:file", get(crate::ide::asset))
        .at("/files/:id", get(download))
        .at("/reports/annual/:year", get(crate::reports::download::annual))
        .at("/exports/duty-records/:file", get(crate::duty::export::duty_records_csv))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .at("/metrics", get(metrics_with_token))
        .data(state.clone())
        .data(schema)
        .data(introspection)
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .with(security_headers)
        .with(crate::request_log::RequestLog(state.metrics.clone()))
}

/// What the separate metrics address (`METRICS_BIND_ADDR`) serves: `/metrics` alone, with
/// no token (the address is the protection) and nothing else of the API.
pub fn metrics_routes(state: State) -> impl poem::Endpoint {
    Route::new().at("/metrics", get(metrics)).data(state)
}

#[handler]
async fn metrics(state: Data<&State>) -> Response {
    scrape(&state)
}

fn scrape(state: &State) -> Response {
    Response::builder()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render(&state.db))
}

/// Compares the digests, not the texts: how long the comparison takes then tells nothing
/// about how much of the token a guess got right.
fn same_secret(sent: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(sent.as_bytes()) == Sha256::digest(expected.as_bytes())
}

/// `/metrics` on the main address: only with `METRICS_TOKEN` set, and only to a scraper
/// that sends it; otherwise the path does not exist (404), as for any unknown path.
#[handler]
async fn metrics_with_token(req: &Request, state: Data<&State>) -> Response {
    let Some(token) = &state.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sent = req.header(header::AUTHORIZATION).and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
    if !same_secret(sent, secrecy::ExposeSecret::expose_secret(token)) {
        return Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")
            .finish();
    }
    scrape(&state)
}

fn compression() -> Compression {
    Compression::new()
        .algorithms([CompressionAlgo::BR, CompressionAlgo::GZIP])
        .with_quality(CompressionLevel::Precise(4))
}

/// CORS for the origins in `CORS_ALLOWED_ORIGINS` (a web front end or an H5 page served
/// elsewhere); `None` without any, and then no CORS headers at all. Bearer tokens, not
/// cookies: no credentials mode.
fn cors(origins: &[String]) -> Option<Cors> {
    if origins.is_empty() {
        return None;
    }
    Some(
        Cors::new()
            .allow_origins(origins.iter().map(String::as_str))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                "authorization",
                "content-type",
                "accept",
                "apollo-require-preflight",
                "x-apollo-operation-name",
                "apollographql-client-name",
                "apollographql-client-version",
            ])
            .expose_headers([
                "retry-after",
                "ratelimit-policy",
                "ratelimit-limit",
                "ratelimit-remaining",
                "ratelimit-reset",
                "www-authenticate",
            ])
            .max_age(600),
    )
}

/// A GraphQL-shaped error for refusals that happen before execution.
pub fn refuse(status: StatusCode, err: &AppError) -> Response {
    let mut response = Json(json!({ "errors": [err.to_graphql()] })).with_status(status).into_response();
    if let AppError::Unavailable { retry_after_secs, .. } | AppError::RateLimited { retry_after_secs, .. } = err {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after_secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    // For the request's log line and `/metrics`: refused before the schema ran.
    response.extensions_mut().insert(crate::request_log::RefusedWith(err.code().as_str()));
    response
}

/// The client's address, for per-address limits. Behind a trusted proxy (`trust`), the
/// entry of `X-Forwarded-For` that the proxy appended: `hops` places from the right (every
/// proxy appends the address it received the request from; everything further left the
/// client wrote itself and may be anything). An entry that is not an IP address, or a
/// header too short for the proxies configured, falls back to the socket's peer.
fn client_ip(forwarded_for: &[&str], peer: Option<std::net::IpAddr>, trust: bool, hops: usize) -> String {
    let peer = || peer.map_or_else(|| "unknown".into(), |ip| ip.to_string());
    if !trust || hops == 0 {
        return peer();
    }
    // Several `X-Forwarded-For` headers are one list, in order.
    let entries: Vec<&str> = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).collect();
    let Some(entry) = entries.len().checked_sub(hops).and_then(|i| entries.get(i)) else {
        return peer();
    };
    parse_ip(entry).map_or_else(peer, |ip| ip.to_string())
}

/// `203.0.113.7`, `2001:db8::1`, and the forms with a port some proxies write
/// (`203.0.113.7:5120`, `[2001:db8::1]:5120`).
fn parse_ip(entry: &str) -> Option<std::net::IpAddr> {
    entry
        .parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

fn request_ip(req: &Request, settings: &Settings) -> String {
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
    client_ip(&forwarded, peer, settings.trust_forwarded_for, settings.trusted_proxy_hops)
}

/// Root fields that work without a session and ignore whatever `Authorization` header
/// comes with them: client auth links attach the (possibly expired, possibly revoked)
/// access token to every request, including the one that gets a new one.
const WITHOUT_SESSION: [&str; 3] = ["login", "refreshSession", "__typename"];

/// Whether the operation the request runs is a mutation made only of `login` and
/// `refreshSession`. Anything else (another field beside them, a fragment at the root,
/// a document that does not parse) is not, and a bad token refuses it whole.
fn needs_no_session(request: &mut async_graphql::Request) -> bool {
    use async_graphql::parser::types::{OperationType, Selection};
    transport::selected_operation(request).is_some_and(|operation| {
        operation.ty == OperationType::Mutation
            && operation.selection_set.node.items.iter().all(|item| match &item.node {
                Selection::Field(field) => WITHOUT_SESSION.contains(&field.node.name.node.as_str()),
                _ => false,
            })
    })
}

/// The person the `Authorization` header names, if it names one; a header that is there
/// but does not hold a live session refuses the request whole (401, or 503 when the
/// session store cannot be asked).
pub(crate) async fn viewer_from_header(req: &Request, state: &State) -> Result<Option<Viewer>, Response> {
    let Some(auth) = req.header(header::AUTHORIZATION) else { return Ok(None) };
    let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")).unwrap_or("").trim();
    let viewer = if token.is_empty() {
        Err(AppError::unauthenticated("Authorization 头应为 “Bearer <访问令牌>”"))
    } else {
        authenticate(state, token).await
    };
    match viewer {
        Ok(viewer) => Ok(Some(viewer)),
        Err(err @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
            Err(refuse(StatusCode::SERVICE_UNAVAILABLE, &err))
        }
        Err(err) => Err(refuse(StatusCode::UNAUTHORIZED, &err)),
    }
}

/// The two schemas: the API, and its twin that lets the standard introspection query
/// through the depth limit (see `graphql::is_introspection`).
struct Schemas<'a> {
    api: &'a AppSchema,
    introspection: &'a IntrospectionSchema,
}

/// `POST /graphql`: a JSON body, or a graphql-multipart-request for uploads.
#[handler]
async fn graphql_post(
    req: &Request,
    body: Body,
    state: Data<&State>,
    schema: Data<&AppSchema>,
    introspection: Data<&IntrospectionSchema>,
) -> Response {
    let format = Format::negotiate(req.header(header::ACCEPT));
    let schemas = Schemas { api: schema.0, introspection: introspection.0 };
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        // Who uploads is settled before a byte of the file is stored.
        let viewer = match upload_viewer(req, &state).await {
            Ok(viewer) => viewer,
            Err(refusal) => {
                drain(body, upload_bytes_bound(&state.settings)).await;
                return refusal;
            }
        };
        return match read_multipart(req, body, &state.settings).await {
            Ok(request) => execute(req, format, request, Some(viewer), &state, &schemas).await,
            Err(refusal) => refusal,
        };
    }
    let params = match read_json(&content_type, body, &state.settings).await {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    let mut request = match request_from(params, &state).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let viewer = if needs_no_session(&mut request) {
        None
    } else {
        match viewer_from_header(req, &state).await {
            Ok(viewer) => viewer,
            Err(refusal) => return refusal,
        }
    };
    execute(req, format, request, viewer, &state, &schemas).await
}

/// `GET /graphql`: a WebSocket upgrade for subscriptions (`live::socket`); the IDE for a
/// browser (or anyone who sends no query); otherwise a query in the query string (never a
/// mutation), so a persisted query's hash makes a short URL that caches can keep.
#[handler]
async fn graphql_get(
    req: &Request,
    websocket: Option<WebSocket>,
    state: Data<&State>,
    schema: Data<&AppSchema>,
    introspection: Data<&IntrospectionSchema>,
) -> Response {
    if let Some(websocket) = websocket {
        let protocol = crate::live::socket::protocol(req.header(header::SEC_WEBSOCKET_PROTOCOL));
        let ip = request_ip(req, &state.settings);
        return crate::live::socket::upgrade(websocket, protocol, state.0.clone(), schema.0.clone(), ip);
    }
    let query_string = req.uri().query().unwrap_or_default();
    // Nothing to run: the page, unless a GraphQL client asked (it gets the 400 below).
    if query_string.is_empty() && !transport::wants_json(req.header(header::ACCEPT)) {
        return crate::ide::page();
    }
    let format = Format::negotiate(req.header(header::ACCEPT));
    let schemas = Schemas { api: schema.0, introspection: introspection.0 };
    let params = match Params::from_query_string(query_string) {
        Ok(params) => params,
        Err(err) => return refuse(StatusCode::BAD_REQUEST, &err),
    };
    let mut request = match request_from(params, &state).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if transport::is_mutation(&mut request) {
        let err = AppError::bad_input("query", "变更（mutation）只能用 POST 发送");
        let mut refusal = refuse(StatusCode::METHOD_NOT_ALLOWED, &err);
        refusal.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return refusal;
    }
    let viewer = match viewer_from_header(req, &state).await {
        Ok(viewer) => viewer,
        Err(refusal) => return refusal,
    };
    execute(req, format, request, viewer, &state, &schemas).await
}

/// The request the parameters describe, its query looked up first when it came as a
/// persisted query's hash.
async fn request_from(mut params: Params, state: &State) -> Result<async_graphql::Request, Response> {
    match state.persisted_queries.resolve(&mut params.query, params.extensions.as_ref()).await {
        Ok(()) => {}
        // Apollo's and urql's links expect this as an ordinary GraphQL answer, and resend.
        Err(err @ AppError::PersistedQueryNotFound) => return Err(refuse(StatusCode::OK, &err)),
        Err(err @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
            return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, &err));
        }
        Err(err) => return Err(refuse(StatusCode::BAD_REQUEST, &err)),
    }
    params.into_request().map_err(|err| refuse(StatusCode::BAD_REQUEST, &err))
}

/// Runs the request as `viewer` and answers in `format`; what the audit log needs is
/// written on the way out.
async fn execute(
    req: &Request,
    format: Format,
    request: async_graphql::Request,
    viewer: Option<Viewer>,
    state: &State,
    schemas: &Schemas<'_>,
) -> Response {
    let ip = request_ip(req, &state.settings);
    let mut sender = audit::Sender { viewer: viewer.clone(), client_ip: ip.clone() };
    let signed_in = std::sync::Arc::new(SignedIn::default());
    let mut request =
        request.data(ClientInfo { ip: ip.clone() }).data(loaders::new(state.db.clone())).data(signed_in.clone());
    if let Some(viewer) = viewer {
        // The principal (membership, handling unit) is read by the first resolver that asks.
        request = request.data(viewer).data(crate::auth::principal::PrincipalSlot::default());
    }
    let admitted = match crate::limits::admit(state, &mut request, sender.viewer.as_ref(), &ip).await {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    // What the audit log needs of the request (a few hundred bytes), looked at after it ran
    // only when it may matter: a mutation, or a refusal.
    let operation = operation_name(&mut request);
    let (query, variables) = (request.query.clone(), request.variables.clone());
    // The introspection query nests deeper than ordinary queries may: it runs on the twin
    // schema whose depth limit allows it (`graphql::is_introspection`).
    let schema: &AppSchema =
        if crate::graphql::is_introspection(&query) { &schemas.introspection.0 } else { schemas.api };
    let mut response = schema.execute(request).await;
    // Parse and validation errors (and the depth and complexity limits) come from
    // async-graphql without a code, in English; they are the client's mistakes.
    response.errors.iter_mut().for_each(crate::messages::localize);
    if sender.viewer.is_none() {
        sender.viewer = signed_in.take();
    }
    if audit::trail::may_matter(&query) || !response.errors.is_empty() {
        audit::record(&state.db, &sender, &query, operation.as_deref(), &variables, &response.errors).await;
    }
    if let Some(slot) = req.extensions().get::<crate::request_log::OutcomeSlot>() {
        let code = response.errors.first().map_or_else(
            || "OK".to_owned(),
            |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
                Some(async_graphql::Value::String(code)) => code.clone(),
                _ => "GRAPHQL_ERROR".to_owned(),
            },
        );
        slot.set(crate::request_log::Outcome {
            operation: operation.clone(),
            user: sender.viewer.as_ref().map(|v| v.user_id),
            code: Some(code),
        });
    }
    let mut response = transport::respond(format, response);
    admitted.decorate(&mut response);
    response
}

/// The operation's name, for the log line and `/metrics`: as the client sent it, or else
/// the name of the document's only operation (`query Feed { … }` sent without
/// `operationName`, as most clients do). The document is parsed already (the limits).
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    use async_graphql::parser::types::DocumentOperations;
    if let Some(name) = &request.operation_name {
        return Some(name.clone());
    }
    match &request.parsed_query().ok()?.operations {
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.keys().next().map(ToString::to_string)
        }
        _ => None,
    }
}

/// Headers a browser only sends after a CORS preflight: an HTML form on another site can
/// post `multipart/form-data` without one, so uploads must carry one of these.
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// A JSON body's parameters. Only JSON: a browser form can post `text/plain` to another
/// site without a CORS preflight, and would otherwise be read as JSON.
async fn read_json(content_type: &str, body: Body, settings: &Settings) -> Result<Params, Response> {
    if !content_type.starts_with("application/json") {
        let err = AppError::bad_input("Content-Type", "请求须为 application/json（上传文件用 multipart/form-data）");
        return Err(refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, &err));
    }
    let bytes = match body.into_bytes_limit(settings.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            let err = AppError::bad_input("body", format!("请求体不能超过{}字节", settings.max_body_bytes));
            return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, &err));
        }
        Err(e) => {
            return Err(refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", format!("无法读取请求体: {e}"))));
        }
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", "不支持批量请求，请逐个发送")));
    }
    Params::from_json(&bytes).map_err(|err| refuse(StatusCode::BAD_REQUEST, &err))
}

/// Who is uploading: an upload needs the preflight header and a live session, both
/// checked before the body is read.
async fn upload_viewer(req: &Request, state: &State) -> Result<Viewer, Response> {
    if !PREFLIGHT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
        let err = AppError::bad_input("Apollo-Require-Preflight", "上传请求须带 Apollo-Require-Preflight: true 头");
        return Err(refuse(StatusCode::BAD_REQUEST, &err));
    }
    match viewer_from_header(req, state).await? {
        Some(viewer) => Ok(viewer),
        None => Err(refuse(StatusCode::UNAUTHORIZED, &AppError::unauthenticated("请先登录再上传文件"))),
    }
}

/// The most an upload request may carry: its files and the JSON parts around them.
fn upload_bytes_bound(settings: &Settings) -> u64 {
    (settings.upload_max_file_bytes as u64)
        .saturating_mul(settings.upload_max_files_per_request as u64)
        .saturating_add(settings.max_body_bytes as u64)
}

/// Reads and drops a body that is refused, up to `limit` bytes and for at most a few
/// seconds: a client that is still sending when the answer comes sees a reset connection
/// (`fetch failed`) instead of the answer. Nothing is kept.
async fn drain(body: Body, limit: u64) {
    use tokio::io::AsyncReadExt;
    let mut reader = body.into_async_read().take(limit);
    let _ = tokio::time::timeout(DRAIN_TIME, tokio::io::copy(&mut reader, &mut tokio::io::sink())).await;
}

const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(30);

async fn read_multipart(req: &Request, body: Body, settings: &Settings) -> Result<async_graphql::Request, Response> {
    let (max_size, max_files) = (settings.upload_max_file_bytes, settings.upload_max_files_per_request);
    let too_large = || {
        let limit = human_size(max_size as u64);
        AppError::bad_input("file", format!("文件不能超过{limit}，每次最多上传{max_files}个"))
    };
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default();
    let limits = crate::limits::multipart::MultipartLimits {
        max_body_bytes: settings.max_body_bytes,
        max_file_bytes: max_size,
        max_files,
    };
    let request = match crate::limits::multipart::receive(content_type, body, &limits).await {
        Ok(request) => request,
        Err(Unread::FileTooLarge) => return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large())),
        Err(Unread::PartTooLarge(part)) => {
            let err = AppError::bad_input(part, format!("请求体不能超过{}字节", settings.max_body_bytes));
            return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, &err));
        }
        Err(Unread::Batch) => {
            return Err(refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", "不支持批量请求，请逐个发送")));
        }
        Err(Unread::Malformed(e)) => {
            let err = AppError::bad_input("body", format!("上传请求格式不正确（graphql-multipart-request）: {e}"));
            return Err(refuse(StatusCode::BAD_REQUEST, &err));
        }
    };
    if request.uploads.len() > max_files {
        return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large()));
    }
    Ok(request)
}

#[handler]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The longest `/readyz` waits for one service.
const READY_CHECK: std::time::Duration = std::time::Duration::from_millis(800);

#[handler]
async fn readyz(state: Data<&State>) -> Response {
    // Within a second whatever is out: the three asked at once, each given at most
    // `READY_CHECK`, a hung service counted as down.
    let (database, store, files) = tokio::join!(
        tokio::time::timeout(READY_CHECK, state.db.ping()),
        tokio::time::timeout(READY_CHECK, state.kv.ping()),
        tokio::time::timeout(READY_CHECK, state.files.ping()),
    );
    let database = matches!(database, Ok(Ok(())));
    let store = matches!(store, Ok(Ok(())));
    let files = matches!(files, Ok(true));
    let status = if database && store && files { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    Json(json!({
        "status": word(database && store && files),
        "database": word(database),
        "fileStore": { "backend": state.files.backend(), "status": word(files) },
        "sessionStore": { "backend": state.kv.backend(), "status": word(store) },
    }))
    .with_status(status)
    .into_response()
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::client_ip;

    const PEER: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    #[test]
    fn the_proxy_appended_entry_counts_not_the_clients() {
        let xff = ["198.51.100.1, 203.0.113.7"];
        assert_eq!(client_ip(&xff, PEER, false, 1), "10.0.0.2", "not trusted: the socket");
        assert_eq!(client_ip(&xff, PEER, true, 1), "203.0.113.7");
        assert_eq!(client_ip(&["spoofed, 198.51.100.1, 203.0.113.7"], PEER, true, 2), "198.51.100.1");
        assert_eq!(client_ip(&["198.51.100.1", "203.0.113.7"], PEER, true, 1), "203.0.113.7", "two headers, one list");
    }

    #[test]
    fn garbage_or_too_few_entries_fall_back_to_the_socket() {
        assert_eq!(client_ip(&["1.2.3.4, not-an-ip"], PEER, true, 1), "10.0.0.2");
        assert_eq!(client_ip(&["203.0.113.7"], PEER, true, 2), "10.0.0.2");
        assert_eq!(client_ip(&[], PEER, true, 1), "10.0.0.2");
        assert_eq!(client_ip(&[" 2001:db8::1 "], PEER, true, 1), "2001:db8::1");
        assert_eq!(client_ip(&["[2001:db8::1]:5120"], PEER, true, 1), "2001:db8::1");
        assert_eq!(client_ip(&["203.0.113.7:5120"], PEER, true, 1), "203.0.113.7");
        assert_eq!(client_ip(&["::ffff:203.0.113.7"], PEER, true, 1), "203.0.113.7", "one address, one key");
    }
}
