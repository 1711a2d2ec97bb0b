//! Security headers on every response. What a page sets itself (the IDE's own
//! `Content-Security-Policy`, a download's `Cache-Control`) is left as it is.
use poem::{
    Endpoint, IntoResponse, Middleware, Request, Response, Result,
    http::{HeaderValue, Method, header},
};

use crate::config::Settings;

/// Nothing the API answers is a page to frame, run scripts from or load anything into.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
/// Browsers remember to use https only for a year, subdomains too.
const HSTS: &str = "max-age=31536000; includeSubDomains";

pub struct SecurityHeaders {
    hsts: bool,
}

impl SecurityHeaders {
    /// `Strict-Transport-Security` only when the public address is https: over plain http a
    /// browser ignores it, and a development server must stay reachable.
    pub fn new(settings: &Settings) -> Self {
        let https = settings.public_base_url.as_deref().is_some_and(|u| u.to_ascii_lowercase().starts_with("https://"));
        Self { hsts: https }
    }
}

impl<E: Endpoint> Middleware<E> for SecurityHeaders {
    type Output = Secured<E>;

    fn transform(&self, ep: E) -> Self::Output {
        Secured { inner: ep, hsts: self.hsts }
    }
}

pub struct Secured<E> {
    inner: E,
    hsts: bool,
}

impl<E: Endpoint> Endpoint for Secured<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let post = req.method() == Method::POST;
        let mut response = match self.inner.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let headers = response.headers_mut();
        let mut set = |name: header::HeaderName, value: &'static str| {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        };
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(header::CONTENT_SECURITY_POLICY, DEFAULT_CSP);
        set(header::X_FRAME_OPTIONS, "DENY");
        set(header::REFERRER_POLICY, "no-referrer");
        if self.hsts {
            set(header::STRICT_TRANSPORT_SECURITY, HSTS);
        }
        // API answers carry tokens (login, refreshSession) and personal data: no cache
        // (a proxy's or the phone's) keeps them.
        if post {
            set(header::CACHE_CONTROL, "no-store");
        }
        Ok(response)
    }
}
