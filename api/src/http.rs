//! The HTTP surface: `POST /graphql` (the API), `GET /graphql` (GraphiQL for admins),
//! `/healthz` and `/readyz`. Authentication happens here, before the schema runs: a
//! request that carries a bad token is refused whole, never answered in part.
use async_graphql::http::GraphiQLSource;
use async_graphql_poem::GraphQLResponse;
use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, get, handler,
    http::{StatusCode, header},
    middleware::Tracing,
    web::{Data, Html, Json},
};
use serde_json::json;

use crate::{
    auth::{ClientInfo, service::authenticate},
    error::{AppError, ErrorCode},
    graphql::{AppSchema, loaders},
    state::State,
};

pub fn routes(state: State, schema: AppSchema) -> impl poem::Endpoint {
    Route::new()
        .at("/graphql", get(graphiql).post(graphql))
        .at("/healthz", get(healthz))
        .at("/readyz", get(readyz))
        .data(state)
        .data(schema)
        .with(Tracing)
}

/// A GraphQL-shaped error for refusals that happen before execution.
fn refuse(status: StatusCode, err: &AppError) -> Response {
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
async fn graphql(req: &Request, body: Body, state: Data<&State>, schema: Data<&AppSchema>) -> Response {
    // Only JSON: a browser form can post `text/plain` or `multipart/form-data` to another
    // site without a CORS preflight, and async-graphql would parse those too.
    let content_type = req.header(header::CONTENT_TYPE).unwrap_or_default().to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        let err = AppError::bad_input("Content-Type", "请求须为 application/json");
        return refuse(StatusCode::UNSUPPORTED_MEDIA_TYPE, &err);
    }
    let bytes = match body.into_bytes_limit(state.settings.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            let err = AppError::bad_input("body", format!("请求体不能超过{}字节", state.settings.max_body_bytes));
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, &err);
        }
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", format!("无法读取请求体: {e}"))),
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return refuse(StatusCode::BAD_REQUEST, &AppError::bad_input("body", "不支持批量请求，请逐个发送"));
    }
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &AppError::bad_input("body", format!("请求不是有效的 GraphQL JSON: {e}")),
            );
        }
    };

    let mut request = request
        .data(ClientInfo { ip: client_ip(req, state.settings.trust_forwarded_for) })
        .data(loaders::new(state.db.clone()));
    if let Some(auth) = req.header(header::AUTHORIZATION) {
        let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")).unwrap_or("").trim();
        let viewer = if token.is_empty() {
            Err(AppError::unauthenticated("Authorization 头应为 “Bearer <访问令牌>”"))
        } else {
            authenticate(&state, token).await
        };
        match viewer {
            Ok(viewer) => request = request.data(viewer),
            Err(err @ AppError::Internal(_)) => return refuse(StatusCode::SERVICE_UNAVAILABLE, &err),
            Err(err) => return refuse(StatusCode::UNAUTHORIZED, &err),
        }
    }
    let mut response = schema.execute(request).await;
    // Parse and validation errors (and the depth and complexity limits) come from
    // async-graphql without a code; they are the client's mistakes.
    for err in &mut response.errors {
        let ext = err.extensions.get_or_insert_with(Default::default);
        if ext.get("code").is_none() {
            ext.set("code", ErrorCode::BadUserInput.as_str());
        }
    }
    GraphQLResponse(response).into_response()
}

#[handler]
async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").title("政协委员履职平台 · GraphQL").finish())
}

#[handler]
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

#[handler]
async fn readyz(state: Data<&State>) -> Response {
    let database = state.db.ping().await.is_ok();
    let store = state.kv.ping().await.is_ok();
    let status = if database && store { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    Json(json!({
        "status": word(database && store),
        "database": word(database),
        "sessionStore": { "backend": state.kv.backend(), "status": word(store) },
    }))
    .with_status(status)
    .into_response()
}
