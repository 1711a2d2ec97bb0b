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

fn client_ip(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(first) =
            req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    req.remote_addr().as_socket_addr().map_or_else(|| "unknown".into(), |a| a.ip().to_string())
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

    let ip = client_ip(req, state.settings.trust_forwarded_for);
    let mut sender = audit::Sender { viewer: None, client_ip: ip.clone() };
    let mut request = request.data(ClientInfo { ip }).data(loaders::new(state.db.clone()));
    if let Some(auth) = req.header(header::AUTHORIZATION) {
        let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")).unwrap_or("").trim();
        let viewer = if token.is_empty() {
            Err(AppError::unauthenticated("Authorization 头应为 “Bearer <访问令牌>”"))
        } else {
            authenticate(&state, token).await
        };
        match viewer {
            Ok(viewer) => {
                sender.viewer = Some(viewer.clone());
                request = request.data(viewer);
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
