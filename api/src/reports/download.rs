//! `GET /reports/annual/{year}[?format=html|docx|md][&organizationId=…]`: the annual report
//! as a document, for the person the bearer token names and by the rule of
//! `annualReport` (401 without a live session, 403 for a role that may not read it, 404
//! for an organization out of sight).
use poem::{
    IntoResponse, Request, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path, Query},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{documents, service};
use crate::{
    attachments::download::content_disposition,
    auth::principal::Principal,
    error::{AppError, ErrorCode},
    http::{refuse, viewer_from_header},
    state::State,
};

#[derive(Deserialize)]
pub struct Params {
    format: Option<String>,
    #[serde(rename = "organizationId")]
    organization_id: Option<Uuid>,
}

fn refused(err: &AppError) -> Response {
    let status = match err.code() {
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    refuse(status, err)
}

#[handler]
pub async fn annual(
    req: &Request,
    Path(year): Path<i32>,
    Query(params): Query<Params>,
    state: Data<&State>,
) -> Response {
    let viewer = match viewer_from_header(req, &state).await {
        Ok(Some(viewer)) => viewer,
        Ok(None) => return refused(&AppError::unauthenticated("请携带访问令牌（Authorization: Bearer …）")),
        Err(refusal) => return refusal,
    };
    let result = async {
        let actor = Principal::load(&state.db, &viewer).await?;
        service::read(&state.db, &actor, year, params.organization_id).await
    }
    .await;
    let report = match result {
        Ok(report) => report,
        Err(err) => return refused(&err),
    };
    let name = documents::title(&report);
    let (body, content_type, ext): (Vec<u8>, &str, &str) = match params.format.as_deref().unwrap_or("html") {
        "html" => (documents::html(&report).into_bytes(), "text/html; charset=utf-8", "html"),
        "md" => (documents::markdown(&report).into_bytes(), "text/markdown; charset=utf-8", "md"),
        "docx" => match documents::docx(&report) {
            Ok(bytes) => (bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
            Err(e) => return refused(&AppError::internal(e)),
        },
        _ => return refused(&AppError::bad_input("format", "format 应为 html、docx 或 md")),
    };
    let disposition = if ext == "html" { "inline" } else { "attachment" };
    Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CONTENT_DISPOSITION, content_disposition(disposition, &format!("{name}.{ext}")))
        .header(header::CACHE_CONTROL, "private, no-store")
        // The page's own style and inline SVG, nothing loaded from anywhere.
        .header(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
        .body(body)
        .into_response()
}
