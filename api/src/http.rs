//! The HTTP surface: `POST /graphql` (the API; JSON, or multipart for uploads),
//! `GET /graphql` (GraphiQL for admins), `GET /files/{id}` (signed attachment downloads),
//! `/healthz` and `/readyz`. Authentication happens here, before the schema runs: a
//! request that carries a bad token is refused whole, never answered in part.
use async_graphql::{
    ParseRequestError,
    http::{MultipartOptions, receive_body},
};
use async_graphql_poem::GraphQLResponse;
use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    middleware::Tracing,
    web::{Data, Json},
};
use serde_json::json;
use tokio_util::compat::TokioAsyncReadCompatExt;

use crate::{
    attachments::{download::download, intake::human_size},
    audit,
    auth::{ClientInfo, service::authenticate},
    config::Settings,
    error::{AppError, ErrorCode},
    graphql::{AppSchema, IntrospectionSchema, loaders},
    state::State,
};

pub fn routes(state: State, schema: AppSchema, introspection: IntrospectionSchema) -> impl poem::Endpoint {
    Route::new()
        .at("/graphql", get(graphiql).post(graphql))
        .at("/ide/:file", get(crate::ide::asset))
        .at("/files/:id", get(download))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .data(state)
        .data(schema)
        .data(introspection)
        .with(Tracing)
}

/// A GraphQL-shaped error for refusals that happen before execution.
pub fn refuse(status: StatusCode, err: &AppError) -> Response {
    let mut response = Json(json!({ "errors": [err.to_graphql()] })).with_status(status).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
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
    use async_graphql::parser::types::{DocumentOperations, OperationType, Selection};
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else { return false };
    let operation = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.iter().find(|(n, _)| n.as_str() == name) {
            Some((_, op)) => op,
            None => return false,
        },
        (DocumentOperations::Multiple(_), None) => return false,
    };
    operation.node.ty == OperationType::Mutation
        && operation.node.selection_set.node.items.iter().all(|item| match &item.node {
            Selection::Field(field) => WITHOUT_SESSION.contains(&field.node.name.node.as_str()),
            _ => false,
        })
}

#[handler]
async fn graphql(
    req: &Request,
    body: Body,
    state: Data<&State>,
    schema: Data<&AppSchema>,
    introspection: Data<&IntrospectionSchema>,
) -> Response {
    let request = match read_request(req, body, &state.settings).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };

    let ip = request_ip(req, &state.settings);
    let mut sender = audit::Sender { viewer: None, client_ip: ip.clone() };
    let mut request = request.data(ClientInfo { ip }).data(loaders::new(state.db.clone()));
    if let Some(auth) = req.header(header::AUTHORIZATION)
        && !needs_no_session(&mut request)
    {
        let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")).unwrap_or("").trim();
        let viewer = if token.is_empty() {
            Err(AppError::unauthenticated("Authorization 头应为 “Bearer <访问令牌>”"))
        } else {
            authenticate(&state, token).await
        };
        match viewer {
            Ok(viewer) => {
                sender.viewer = Some(viewer.clone());
                request = request.data(viewer).data(crate::auth::principal::PrincipalSlot::default());
            }
            Err(err @ AppError::Internal(_)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, &err),
            Err(err) => return refuse(StatusCode::UNAUTHORIZED, &err),
        }
    }
    // What the audit log needs of the request (a few hundred bytes), looked at after it ran
    // only when it may matter: a mutation, or a refusal.
    let (query, operation, variables) =
        (request.query.clone(), request.operation_name.clone(), request.variables.clone());
    // The introspection query nests deeper than ordinary queries may: it runs on the twin
    // schema whose depth limit allows it (`graphql::is_introspection`).
    let schema: &AppSchema = if crate::graphql::is_introspection(&query) { &introspection.0.0 } else { schema.0 };
    let mut response = schema.execute(request).await;
    // Parse and validation errors (and the depth and complexity limits) come from
    // async-graphql without a code; they are the client's mistakes.
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
    if audit::trail::may_matter(&query) || !response.errors.is_empty() {
        audit::record(&state.db, &sender, &query, operation.as_deref(), &variables, &response.errors).await;
    }
    GraphQLResponse(response).into_response()
}

/// Headers a browser only sends after a CORS preflight: an HTML form on another site can
/// post `multipart/form-data` without one, so uploads must carry one of these.
const PREFLIGHT_HEADERS: [&str; 2] = ["apollo-require-preflight", "x-apollo-operation-name"];

/// The GraphQL request in the body: JSON, or (for uploads) a graphql-multipart-request.
async fn read_request(req: &Request, body: Body, settings: &Settings) -> Result<async_graphql::Request, Response> {
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return read_multipart(req, body, settings).await;
    }
    // Otherwise only JSON: a browser form can post `text/plain` to another site without a
    // CORS preflight, and async-graphql would parse it.
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
    serde_json::from_slice(&bytes).map_err(|e| {
        refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", format!("请求不是有效的 GraphQL JSON: {e}")))
    })
}

async fn read_multipart(req: &Request, body: Body, settings: &Settings) -> Result<async_graphql::Request, Response> {
    if !PREFLIGHT_HEADERS.iter().any(|h| req.headers().contains_key(*h)) {
        let err = AppError::bad_input("Apollo-Require-Preflight", "上传请求须带 Apollo-Require-Preflight: true 头");
        return Err(refuse(StatusCode::BAD_REQUEST, &err));
    }
    let (max_size, max_files) = (settings.upload_max_file_bytes, settings.upload_max_files_per_request);
    let too_large = || {
        let limit = human_size(max_size as u64);
        AppError::bad_input("file", format!("文件不能超过{limit}，每次最多上传{max_files}个"))
    };
    let options = MultipartOptions::default().max_file_size(max_size).max_num_files(max_files);
    let content_type = req.header(header::CONTENT_TYPE);
    // The files go to anonymous temporary files, gone when the request is.
    let request = match receive_body(content_type, body.into_async_read().compat(), options).await {
        Ok(request) => request,
        Err(ParseRequestError::PayloadTooLarge) => return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, &too_large())),
        Err(ParseRequestError::UnsupportedBatch) => {
            return Err(refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", "不支持批量请求，请逐个发送")));
        }
        Err(e) => {
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
fn graphiql() -> Response {
    crate::ide::page()
}

#[handler]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

#[handler]
async fn readyz(state: Data<&State>) -> Response {
    let database = state.db.ping().await.is_ok();
    let store = state.kv.ping().await.is_ok();
    let files = state.files.ping().await;
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
