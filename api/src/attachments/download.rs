//! `GET /files/{id}`: serves an attachment to the viewer a signed link was made for, after
//! checking again that they may see the record it belongs to. Correct type, the original
//! (Chinese) name per RFC 6266/5987, a strong ETag (the content hash), and byte ranges for
//! large PDFs read page by page.
use std::ops::Bound;

use chrono::Utc;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use poem::{
    Body, IntoResponse, Request, Response, handler,
    http::{HeaderValue, StatusCode, header},
    web::{
        Data, Path,
        headers::{HeaderMapExt, Range},
    },
};
use sea_orm::EntityTrait;
use serde::Deserialize;
use uuid::Uuid;

use super::{
    service,
    signing::{LinkClaims, LinkRefused, Variant},
};
use crate::{auth::Viewer, error::AppError, http::refuse, members::service as members, state::State};
use entity::{UserStatus, user};

#[derive(Deserialize)]
struct LinkParams {
    u: Uuid,
    o: Uuid,
    e: i64,
    s: String,
    v: Option<String>,
}

/// RFC 5987 `attr-char`s stay as they are; everything else is percent-encoded.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `inline; filename="fallback.pdf"; filename*=UTF-8''%E9%80%9A%E6%8A%A5.pdf`: browsers and
/// phones that read `filename*` get the Chinese name, older ones an ASCII stand-in.
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    // The plain `filename` only when the name is plain ASCII; otherwise a neutral stand-in
    // rather than the few ASCII characters of a Chinese name.
    let plain = !stem.trim().is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || "-_ .".contains(c));
    let ascii = if plain { stem.trim() } else { "file" };
    let fallback = if ext.is_empty() { ascii.to_owned() } else { format!("{ascii}.{ext}") };
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{}", utf8_percent_encode(name, ATTR_CHAR))
}

fn forbidden(message: &str) -> Response {
    refuse(StatusCode::FORBIDDEN, &AppError::forbidden(message))
}

/// The viewer a link was made for, as they are now: still active, still in the organization.
async fn viewer_of(state: &State, claims: &LinkClaims) -> Result<Option<Viewer>, AppError> {
    let active =
        user::Entity::find_by_id(claims.user_id).one(&state.db).await?.is_some_and(|u| u.status == UserStatus::Active);
    if !active {
        return Ok(None);
    }
    let m = members::membership_in(&state.db, claims.user_id, claims.organization_id).await?;
    Ok(m.map(|m| Viewer {
        user_id: claims.user_id,
        session_id: String::new(),
        organization_id: claims.organization_id,
        role: m.role,
    }))
}

/// The first range of a `Range` header as offsets into a file of `size` bytes; `None` when
/// it lies outside the file. (Several ranges would need a multipart answer; the first is
/// what PDF readers ask for.)
fn first_range(r: &Range, size: u64) -> Option<std::ops::Range<u64>> {
    let (start, end) = r.satisfiable_ranges(size).next()?;
    let start = match start {
        Bound::Included(n) => n,
        Bound::Excluded(n) => n + 1,
        Bound::Unbounded => 0,
    };
    let end = match end {
        Bound::Included(n) => n + 1,
        Bound::Excluded(n) => n,
        Bound::Unbounded => size,
    }
    .min(size);
    (start < end).then_some(start..end)
}

#[handler]
pub async fn download(req: &Request, Path(id): Path<String>, state: Data<&State>) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return refuse(StatusCode::NOT_FOUND, &AppError::not_found("附件不存在"));
    };
    let Ok(params) = req.params::<LinkParams>() else {
        return forbidden("下载链接不完整，请重新获取附件地址");
    };
    let variant = match params.v.as_deref() {
        None => Variant::Original,
        Some("preview") => Variant::Preview,
        Some(_) => return forbidden("下载链接无效"),
    };
    let claims = LinkClaims { user_id: params.u, organization_id: params.o, expires: params.e };
    match state.links.verify(id, variant, &claims, &params.s, Utc::now()) {
        Ok(()) => {}
        Err(LinkRefused::BadSignature) => return forbidden("下载链接无效"),
        Err(LinkRefused::Expired) => return forbidden("下载链接已过期，请刷新后重试"),
    }
    let viewer = match viewer_of(&state, &claims).await {
        Ok(Some(v)) => v,
        Ok(None) => return forbidden("账号已不能访问该组织的附件"),
        Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, &e),
    };
    let a = match service::readable(&state.db, &state.attachment_owners, &viewer, id).await {
        Ok(a) => a,
        Err(e @ (AppError::Internal(_) | AppError::Unavailable { .. })) => {
            return refuse(StatusCode::SERVICE_UNAVAILABLE, &e);
        }
        Err(e) => return refuse(StatusCode::NOT_FOUND, &e),
    };

    // A preview is small and served whole; the original is streamed, by ranges if asked.
    let (key, content_type, etag, name) = match (variant, &a.preview_key) {
        (Variant::Original, _) => {
            (a.storage_key.clone(), a.content_type.clone(), format!("\"{}\"", a.checksum), a.file_name.clone())
        }
        (Variant::Preview, Some(k)) => {
            let stem = a.file_name.rsplit_once('.').map_or(a.file_name.as_str(), |(s, _)| s);
            (k.clone(), "image/jpeg".to_owned(), format!("\"{}-preview\"", a.checksum), format!("{stem}（预览）.jpg"))
        }
        (Variant::Preview, None) => return refuse(StatusCode::NOT_FOUND, &AppError::not_found("该附件没有预览图")),
    };
    let max_age = (claims.expires - Utc::now().timestamp()).max(0);
    let disposition =
        if content_type.starts_with("image/") || content_type == "application/pdf" { "inline" } else { "attachment" };
    let mut builder = Response::builder()
        .header(header::ETAG, etag.clone())
        .header(header::CACHE_CONTROL, format!("private, max-age={max_age}"))
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        // A file is never a page: no scripts, no frames, even if a PDF or image is opened directly.
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox")
        .header(header::LAST_MODIFIED, httpdate::fmt_http_date(a.created_at.into()));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(disposition, &name)) {
        builder = builder.header(header::CONTENT_DISPOSITION, v);
    }

    let none_match = req.header(header::IF_NONE_MATCH).unwrap_or_default();
    if none_match.split(',').any(|t| t.trim() == etag || t.trim() == "*") {
        return builder.status(StatusCode::NOT_MODIFIED).finish();
    }

    if variant == Variant::Preview {
        return match state.files.read(&key).await {
            Ok(bytes) => builder.content_type(content_type).body(Body::from_bytes(bytes)),
            Err(e) => refuse(StatusCode::SERVICE_UNAVAILABLE, &e),
        };
    }
    let size = u64::try_from(a.size).unwrap_or_default();
    // A range is honoured unless `If-Range` names another version of the file.
    let if_range_ok = req.header(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = match req.headers().typed_get::<Range>() {
        Some(r) if if_range_ok => match first_range(&r, size) {
            Some(range) => Some(range),
            None => {
                return builder
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .header(header::CONTENT_RANGE, format!("bytes */{size}"))
                    .finish();
            }
        },
        _ => None,
    };
    let partial = range.is_some();
    match state.files.get(&key, range).await {
        Ok((served, stream)) => {
            builder = builder.content_type(content_type).header(header::CONTENT_LENGTH, served.end - served.start);
            if partial {
                builder = builder
                    .status(StatusCode::PARTIAL_CONTENT)
                    .header(header::CONTENT_RANGE, format!("bytes {}-{}/{size}", served.start, served.end - 1));
            }
            builder.body(Body::from_bytes_stream(stream))
        }
        Err(e @ AppError::NotFound(_)) => {
            tracing::error!(attachment = %a.id, "the file of an attachment is missing from the store");
            refuse(StatusCode::NOT_FOUND, &e)
        }
        Err(e) => refuse(StatusCode::SERVICE_UNAVAILABLE, &e),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_encoded_per_rfc_5987() {
        assert_eq!(
            content_disposition("inline", "现场照片.jpg"),
            "inline; filename=\"file.jpg\"; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg"
        );
        assert_eq!(
            content_disposition("attachment", "2026年 报告(终稿).docx"),
            "attachment; filename=\"file.docx\"; filename*=UTF-8''2026%E5%B9%B4%20%E6%8A%A5%E5%91%8A%28%E7%BB%88%E7%A8%BF%29.docx"
        );
        assert!(content_disposition("inline", "a\"b.pdf").starts_with("inline; filename=\"file.pdf\""));
        assert!(content_disposition("inline", "report-2026.pdf").starts_with("inline; filename=\"report-2026.pdf\""));
    }
}
