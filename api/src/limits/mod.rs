//! Abuse limits, applied to a GraphQL request after authentication and before the schema
//! sees it (`admit`), and headers on every response (`headers`):
//!
//! - text with a NUL character is `BAD_USER_INPUT` (PostgreSQL cannot store it, and the
//!   database error would otherwise be an `INTERNAL`);
//! - the document is measured with its fragments inlined (`document`): fields, aliases and
//!   complexity over their limits are refused before validation, which would walk the
//!   expansion;
//! - the schema may be asked about by admins only (`GRAPHQL_INTROSPECTION`);
//! - the request spends its complexity from the person's and the address's budget
//!   (`budget`), `RATE_LIMITED` with `retryAfter` when spent.
pub mod budget;
pub mod document;
pub mod headers;
pub mod multipart;

use async_graphql::{Value as ConstValue, Variables};
use entity::Role;
use poem::{
    Response,
    http::{HeaderName, HeaderValue, StatusCode, header},
};

use crate::{auth::Viewer, error::AppError, http::refuse, state::State};

/// What an admitted request adds to its answer: the `RateLimit` headers.
#[derive(Default)]
pub struct Admitted {
    meter: Option<budget::Meter>,
}

impl Admitted {
    pub fn decorate(&self, response: &mut Response) {
        if let Some(meter) = &self.meter {
            set_headers(response, &meter.headers());
        }
    }
}

fn set_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().insert(name, value);
        }
    }
}

fn too_big(what: &str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, AppError::bad_input("query", what))
}

/// Why a request is not run: the error, the HTTP status it is answered with, and the
/// budget's standing when the budget refused it.
pub struct Refusal {
    pub status: StatusCode,
    pub error: AppError,
    meter: Option<budget::Meter>,
}

impl Refusal {
    fn new(status: StatusCode, error: AppError) -> Self {
        Self { status, error, meter: None }
    }

    /// The refusal as an HTTP answer, with `Retry-After` and `RateLimit` headers when the
    /// budget refused.
    pub fn into_response(self) -> Response {
        let mut response = refuse(self.status, &self.error);
        if let AppError::RateLimited { retry_after_secs, .. } = self.error
            && let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Some(meter) = self.meter {
            set_headers(&mut response, &meter.headers());
        }
        response
    }
}

/// Lets a request through to the schema, or answers it without running it.
pub async fn admit(
    state: &State,
    request: &mut async_graphql::Request,
    viewer: Option<&Viewer>,
    ip: &str,
) -> Result<Admitted, Response> {
    judge(state, request, viewer, ip).await.map_err(Refusal::into_response)
}

/// The checks of `admit`, for transports that answer refusals their own way (a
/// subscription over WebSocket gets an `error` message).
pub async fn judge(
    state: &State,
    request: &mut async_graphql::Request,
    viewer: Option<&Viewer>,
    ip: &str,
) -> Result<Admitted, Refusal> {
    if let Some(field) = nul_in_request(request) {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, AppError::bad_input(field, "文本中不能含有空字符（\\0）")));
    }
    let s = &state.settings;
    let variables = request.variables.clone();
    // A document that does not parse costs one; the schema answers with the parse error.
    let (cost, sensitive) = match request.parsed_query() {
        Err(_) => (1, false),
        Ok(doc) => {
            let list = s.graphql_list_size_estimate as u64;
            let shape = match document::measure(document::CostModel::global(), doc, &variables, list) {
                Ok(shape) => shape,
                Err(document::Unmeasurable::Cycle(name)) => {
                    return Err(too_big(&format!("片段 {name} 引用了自身，无法执行")));
                }
                Err(document::Unmeasurable::TooDeep) => return Err(too_big("查询嵌套过深")),
            };
            if shape.aliases > s.graphql_max_aliases as u64 {
                return Err(too_big(&format!(
                    "查询中的别名过多（{}个，最多{}个）",
                    shape.aliases, s.graphql_max_aliases
                )));
            }
            if shape.fields > s.graphql_max_fields as u64 {
                let limit = s.graphql_max_fields;
                return Err(too_big(&format!("查询的字段过多（展开片段后{}个，最多{limit}个）", shape.fields)));
            }
            if shape.cost > s.graphql_max_complexity as u64 {
                let limit = s.graphql_max_complexity;
                return Err(too_big(&format!(
                    "查询过于复杂（复杂度{}，上限{limit}），请减少所选字段、列表或每页条数",
                    shape.cost
                )));
            }
            if shape.introspection && s.introspection_admin_only() && viewer.is_none_or(|v| v.role != Role::Admin) {
                let err = AppError::forbidden("接口结构（introspection）仅对管理员开放，请以管理员身份登录后查询");
                return Err(Refusal::new(StatusCode::FORBIDDEN, err));
            }
            let sensitive = document::mutation_fields(doc).iter().any(|f| budget::SENSITIVE.contains(&f.as_str()));
            (shape.cost, sensitive)
        }
    };
    match budget::spend(state, viewer.map(|v| v.user_id), ip, cost, sensitive).await {
        Ok(Ok(meter)) => Ok(Admitted { meter }),
        Ok(Err(refused)) => {
            Err(Refusal { status: StatusCode::TOO_MANY_REQUESTS, error: refused.error, meter: refused.meter })
        }
        // The store is down: the same answer as a session lookup gives then.
        Err(err) => Err(Refusal::new(StatusCode::SERVICE_UNAVAILABLE, err)),
    }
}

/// The input field (as the client spelled it: `title`, or the variable's name) or `query`
/// that holds a NUL character, if any.
fn nul_in_request(request: &async_graphql::Request) -> Option<String> {
    let q = request.query.to_ascii_lowercase();
    if q.contains('\0') || q.contains("\\u0000") || q.contains("\\u{0}") || q.contains("\\u{00}") {
        return Some("query".into());
    }
    nul_in_variables(&request.variables)
}

fn nul_in_variables(variables: &Variables) -> Option<String> {
    fn walk(value: &ConstValue, path: &str) -> Option<String> {
        match value {
            ConstValue::String(s) if s.contains('\0') => Some(path.to_owned()),
            ConstValue::List(items) => items.iter().find_map(|v| walk(v, path)),
            ConstValue::Object(fields) => fields.iter().find_map(|(k, v)| {
                walk(v, &format!("{path}.{k}")).or_else(|| k.contains('\0').then(|| path.to_owned()))
            }),
            _ => None,
        }
    }
    let path = variables.iter().find_map(|(name, value)| walk(value, name.as_str()))?;
    Some(path.rsplit('.').next().unwrap_or(&path).to_owned())
}
