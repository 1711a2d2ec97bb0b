//! One log line per request (issue 16 item 8): its id — taken from `X-Request-Id` when the
//! proxy or the client sent a sensible one, generated otherwise, and returned in that header
//! so a member's complaint can be matched to the line — with the method, the path (never
//! the query string: signed file links and persisted-query hashes live there), the status,
//! the duration, and for GraphQL the operation's name, the user id and the outcome code.
//! No personal data: a user id, never a name or a phone number.
use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use poem::{Endpoint, IntoResponse, Middleware, Request, Response, http::HeaderValue};
use tracing::Instrument;
use uuid::Uuid;

use crate::metrics::Metrics;

pub const HEADER: &str = "x-request-id";

/// What the GraphQL side learns about a request, for its log line.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub operation: Option<String>,
    pub user: Option<Uuid>,
    /// `OK`, or the first error's `extensions.code`.
    pub code: Option<String>,
}

/// The code of a request refused before the schema ran (a bad token, a spent budget, a
/// store that is down), left on the response by `http::refuse`.
#[derive(Debug, Clone, Copy)]
pub struct RefusedWith(pub &'static str);

/// Shared between the middleware and the handler through the request's extensions.
#[derive(Debug, Default, Clone)]
pub struct OutcomeSlot(Arc<Mutex<Outcome>>);

impl OutcomeSlot {
    pub fn set(&self, outcome: Outcome) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = outcome;
        }
    }

    fn take(&self) -> Outcome {
        self.0.lock().map(|mut o| std::mem::take(&mut *o)).unwrap_or_default()
    }
}

/// A request id a client or proxy sent, if it is one we may echo and log: short, and only
/// letters, digits and `-_.:`.
fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The log line, and the request's count and duration in `/metrics` (GraphQL requests).
pub struct RequestLog(pub Metrics);

impl<E: Endpoint> Middleware<E> for RequestLog {
    type Output = RequestLogEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestLogEndpoint { inner, metrics: self.0.clone() }
    }
}

pub struct RequestLogEndpoint<E> {
    inner: E,
    metrics: Metrics,
}

impl<E: Endpoint> Endpoint for RequestLogEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Self::Output> {
        let id = req
            .header(HEADER)
            .filter(|id| usable(id))
            .map_or_else(|| Uuid::now_v7().simple().to_string(), str::to_owned);
        let slot = OutcomeSlot::default();
        req.extensions_mut().insert(slot.clone());
        let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
        let started = Instant::now();
        // The fields filled in below are for the trace of the request (OTLP, when on).
        let span = tracing::info_span!(
            "request",
            request_id = %id,
            http.method = %method,
            http.path = %path,
            http.status = tracing::field::Empty,
            graphql.operation = tracing::field::Empty,
            graphql.code = tracing::field::Empty,
            user = tracing::field::Empty,
        );
        crate::telemetry::continue_trace(&span, req.headers());
        let result = self.inner.call(req).instrument(span.clone()).await;
        let mut response = match result {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert(HEADER, value);
        }
        let mut outcome = slot.take();
        if outcome.code.is_none()
            && let Some(RefusedWith(code)) = response.extensions().get::<RefusedWith>()
        {
            outcome.code = Some((*code).to_owned());
        }
        let status = response.status().as_u16();
        if let Some(code) = &outcome.code {
            self.metrics.request(outcome.operation.as_deref(), code, started.elapsed());
        }
        let duration_ms = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0;
        span.record("http.status", status);
        if let Some(operation) = &outcome.operation {
            span.record("graphql.operation", operation.as_str());
        }
        if let Some(code) = &outcome.code {
            span.record("graphql.code", code.as_str());
        }
        if let Some(user) = outcome.user {
            span.record("user", tracing::field::display(user));
        }
        span.in_scope(|| {
            tracing::info!(
                target: "request",
                request_id = %id,
                method,
                path,
                status,
                duration_ms,
                operation = outcome.operation.as_deref().or(outcome.code.is_some().then_some("(anonymous)")),
                user = outcome.user.map(|u| u.to_string()),
                code = outcome.code.as_deref(),
                "request"
            );
        });
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::usable;

    #[test]
    fn only_plain_ids_are_taken() {
        assert!(usable("3f2a-9c1e_7.b:1"));
        assert!(!usable(""));
        assert!(!usable("abc def"));
        assert!(!usable("a\nb"));
        assert!(!usable(&"x".repeat(129)));
    }
}
