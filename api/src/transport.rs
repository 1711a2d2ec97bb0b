//! GraphQL over HTTP, as the spec (graphql.github.io/graphql-over-http) and the clients that
//! follow it expect: what a request may look like (a JSON body, or the query string of a
//! GET), which media type the answer has (`application/graphql-response+json` for clients
//! that ask for it, `application/json` otherwise) and which status code goes with it.
//!
//! The status code follows the media type, as the spec says. With
//! `application/graphql-response+json` a request that never ran (it did not parse, did not
//! validate, or its variables did not fit) is a 400 without `data`; with the older
//! `application/json` every answer the schema gave is a 200, because clients of that type
//! read the errors from the body.
use async_graphql::{
    Variables,
    parser::types::{DocumentOperations, OperationDefinition, OperationType},
};
use poem::{
    IntoResponse, Response,
    http::{HeaderValue, StatusCode, header},
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::AppError;

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
pub const JSON: &str = "application/json; charset=utf-8";

/// The media type of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/graphql-response+json`: the status code tells a request error apart.
    GraphqlResponse,
    /// `application/json`: always 200 once the schema answered.
    Json,
}

impl Format {
    /// From the `Accept` header: the newer type when the client lists it (Apollo Client and
    /// urql list both, the newer first), `application/json` for anything else (`*/*`, no
    /// header, a browser).
    pub fn negotiate(accept: Option<&str>) -> Self {
        let accepts_new = accept.unwrap_or_default().split(',').any(|part| {
            let mut params = part.split(';').map(str::trim);
            let media = params.next().unwrap_or_default();
            let refused = params.any(|p| p.replace(' ', "") == "q=0");
            media.eq_ignore_ascii_case("application/graphql-response+json") && !refused
        });
        if accepts_new { Self::GraphqlResponse } else { Self::Json }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponse => GRAPHQL_RESPONSE_JSON,
            Self::Json => JSON,
        }
    }
}

/// Whether the `Accept` header names a JSON type (a GraphQL client, not a browser).
pub fn wants_json(accept: Option<&str>) -> bool {
    accept.unwrap_or_default().to_ascii_lowercase().contains("json")
}

/// The parameters of a GraphQL request, whichever way they came. Each has the type the
/// spec gives it; anything else (a `query` that is an object, `variables` given as a
/// string in a JSON body, …) is a 400 with the parameter named.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    pub query: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<Map<String, Value>>,
    pub extensions: Option<Map<String, Value>>,
}

impl Params {
    /// A JSON body: `{"query": "…", "operationName": …, "variables": {…}, "extensions": {…}}`.
    pub fn from_json(body: &[u8]) -> Result<Self, AppError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| AppError::bad_input("body", format!("请求体不是有效的 JSON：{e}")))?;
        let Value::Object(mut fields) = value else {
            return Err(AppError::bad_input("body", "请求体应为 JSON 对象 {\"query\": …}"));
        };
        let text = |fields: &mut Map<String, Value>, name: &str| match fields.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(AppError::bad_input(name, format!("{name} 应为字符串"))),
        };
        let map = |fields: &mut Map<String, Value>, name: &str| match fields.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(AppError::bad_input(name, format!("{name} 应为 JSON 对象"))),
        };
        Ok(Self {
            query: text(&mut fields, "query")?,
            operation_name: text(&mut fields, "operationName")?,
            variables: map(&mut fields, "variables")?,
            extensions: map(&mut fields, "extensions")?,
        })
    }

    /// A GET's query string: `?query=…&operationName=…&variables={…}&extensions={…}`, the
    /// last two as URL-encoded JSON.
    pub fn from_query_string(query_string: &str) -> Result<Self, AppError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            query: Option<String>,
            operation_name: Option<String>,
            variables: Option<String>,
            extensions: Option<String>,
        }
        let raw: Raw = serde_urlencoded::from_str(query_string)
            .map_err(|e| AppError::bad_input("query", format!("查询参数格式不正确：{e}")))?;
        let map = |name: &str, text: Option<String>| -> Result<Option<Map<String, Value>>, AppError> {
            match text.as_deref().map(serde_json::from_str::<Value>) {
                None | Some(Ok(Value::Null)) => Ok(None),
                Some(Ok(Value::Object(m))) => Ok(Some(m)),
                Some(_) => Err(AppError::bad_input(name, format!("{name} 应为 URL 编码的 JSON 对象"))),
            }
        };
        Ok(Self {
            query: raw.query,
            operation_name: raw.operation_name.filter(|n| !n.is_empty()),
            variables: map("variables", raw.variables)?,
            extensions: map("extensions", raw.extensions)?,
        })
    }

    /// The request for the schema, once `query` is known (see `persisted_queries`).
    pub fn into_request(self) -> Result<async_graphql::Request, AppError> {
        let query = self.query.filter(|q| !q.trim().is_empty());
        let Some(query) = query else {
            return Err(AppError::bad_input("query", "请求缺少 query（GraphQL 查询文本）"));
        };
        let mut request = async_graphql::Request::new(query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(Variables::from_json(Value::Object(variables)));
        }
        for (key, value) in self.extensions.unwrap_or_default() {
            request.extensions.insert(key, async_graphql::Value::from_json(value).unwrap_or_default());
        }
        Ok(request)
    }
}

/// The operation a request selects (by `operationName` when the document has several);
/// `None` when the document does not parse or names no such operation — the schema then
/// answers with the error.
pub fn selected_operation(request: &mut async_graphql::Request) -> Option<&OperationDefinition> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.iter().find(|(n, _)| n.as_str() == name).map(|(_, op)| &op.node)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// Whether the request is a mutation (refused on GET: a link or an image must never
/// change anything).
pub fn is_mutation(request: &mut async_graphql::Request) -> bool {
    selected_operation(request).is_some_and(|op| op.ty == OperationType::Mutation)
}

/// Whether nothing ran: no data, and only errors that belong to no field (parsing,
/// validation, the limits, variables that do not fit).
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The longest `retryAfter` among the answer's SERVICE_UNAVAILABLE errors, if it has any.
fn unavailable(response: &async_graphql::Response) -> Option<u64> {
    let code = crate::error::ErrorCode::ServiceUnavailable.as_str();
    response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref())
        .filter(|ext| matches!(ext.get("code"), Some(async_graphql::Value::String(c)) if c == code))
        .map(|ext| match ext.get("retryAfter") {
            Some(async_graphql::Value::Number(n)) => n.as_u64().unwrap_or(1),
            _ => 1,
        })
        .max()
}

/// The schema's answer, in the negotiated type with its status code.
pub fn respond(format: Format, response: async_graphql::Response) -> Response {
    let request_error = is_request_error(&response);
    let mut retry_after = None;
    let (status, body) = if format == Format::GraphqlResponse && request_error {
        // A request error has no `data` entry at all (the spec: not even `null`).
        let mut body = serde_json::json!({ "errors": response.errors });
        if !response.extensions.is_empty() {
            body["extensions"] = serde_json::to_value(&response.extensions).unwrap_or_default();
        }
        (StatusCode::BAD_REQUEST, serde_json::to_vec(&body))
    } else if let Some(secs) = unavailable(&response) {
        // A backing service is out: 503 whatever the media type, so load balancers and
        // monitoring see it, with the data that could still be read.
        retry_after = Some(secs);
        (StatusCode::SERVICE_UNAVAILABLE, serde_json::to_vec(&response))
    } else {
        (StatusCode::OK, serde_json::to_vec(&response))
    };
    let body = body.unwrap_or_else(|_| br#"{"errors":[{"message":"internal"}]}"#.to_vec());
    let mut http = body.with_status(status).with_content_type(format.content_type()).into_response();
    for (name, value) in response.http_headers.iter() {
        http.headers_mut().append(name, value.clone());
    }
    if let Some(secs) = retry_after {
        http.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    // The same URL answers in two media types, compressed or not (`http::compression`).
    http.headers_mut().append(header::VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newer_type_only_when_asked_for() {
        assert_eq!(Format::negotiate(None), Format::Json);
        assert_eq!(Format::negotiate(Some("*/*")), Format::Json);
        assert_eq!(Format::negotiate(Some("application/json")), Format::Json);
        assert_eq!(
            Format::negotiate(Some("application/graphql-response+json, application/json;q=0.9")),
            Format::GraphqlResponse
        );
        assert_eq!(Format::negotiate(Some("application/graphql-response+json;q=0, */*")), Format::Json);
    }

    #[test]
    fn parameters_have_their_types() -> Result<(), AppError> {
        assert!(Params::from_json(br#"{"query":"{ a }","variables":null,"extensions":null}"#).is_ok());
        for bad in [r#"{"query":{}}"#, r#"{"query":"{ a }","variables":"{}"}"#, r#"{"operationName":1}"#, "[]"] {
            assert!(Params::from_json(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(Params::from_json(b"{}")?.into_request().is_err(), "no query");
        let get = Params::from_query_string("query=%7B%20a%20%7D&variables=%7B%22x%22%3A1%7D")?;
        assert_eq!(get.query.as_deref(), Some("{ a }"));
        assert!(Params::from_query_string("query=x&variables=%5B%5D").is_err(), "variables as a list");
        Ok(())
    }

    #[test]
    fn mutations_are_told_apart() {
        let mut query = async_graphql::Request::new("query A { a } mutation B { b }").operation_name("B");
        assert!(is_mutation(&mut query));
        let mut query = async_graphql::Request::new("{ a }");
        assert!(!is_mutation(&mut query));
    }
}
