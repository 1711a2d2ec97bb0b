//! The admin's GraphQL IDE at `GET /graphql`: GraphiQL with React, pinned and served from
//! this binary (`ide/update.sh` refreshes them from npm into `api/assets/ide`), so the page
//! opens with no request leaving the server — an intranet deployment works as well as one
//! on the internet, and a public CDN's outage or tampering cannot reach the office.
use std::sync::OnceLock;

use poem::{
    Request, Response, handler,
    http::{StatusCode, header},
    web::Path,
};
use sha2::{Digest, Sha256};

macro_rules! asset {
    ($name:literal, $mime:literal) => {
        Asset {
            name: $name,
            mime: $mime,
            plain: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ide/", $name)),
            gzip: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ide/", $name, ".gz")),
        }
    };
}

struct Asset {
    name: &'static str,
    mime: &'static str,
    plain: &'static [u8],
    gzip: &'static [u8],
}

const ASSETS: [Asset; 5] = [
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("react-dom.production.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("start.js", "text/javascript; charset=utf-8"),
];

/// A tag that changes whenever an asset does: the page links `?v=<tag>`, so browsers may
/// keep the assets for a year and still never run a stale one.
fn version() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let mut h = Sha256::new();
        for a in &ASSETS {
            h.update(a.plain);
        }
        hex::encode(h.finalize())[..12].to_owned()
    })
}

/// The page's policy: everything from this origin only; GraphiQL's stylesheet and editor
/// need inline styles, and its bundled code workers run from `blob:` URLs.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub fn page() -> Response {
    let v = version();
    let html = format!(
        r#"<!doctype html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>政协委员履职平台 · GraphQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="/ide/graphiql.min.css?v={v}">
    <style>body {{ margin: 0; overflow: hidden; }} #graphiql {{ height: 100vh; }}</style>
  </head>
  <body>
    <div id="graphiql">正在加载……</div>
    <script src="/ide/react.production.min.js?v={v}"></script>
    <script src="/ide/react-dom.production.min.js?v={v}"></script>
    <script src="/ide/graphiql.min.js?v={v}"></script>
    <script src="/ide/start.js?v={v}"></script>
  </body>
</html>
"#
    );
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .body(html)
}

/// `GET /ide/{file}`: an embedded asset, gzip-compressed for browsers that accept it.
#[handler]
pub fn asset(req: &Request, Path(name): Path<String>) -> Response {
    let Some(a) = ASSETS.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into();
    };
    let gzip = req
        .header(header::ACCEPT_ENCODING)
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")));
    let versioned = req.uri().query().is_some_and(|q| q == format!("v={}", version()));
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, a.mime)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, format!("\"{}\"", version()))
        .header(header::VARY, "Accept-Encoding")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if gzip {
        builder = builder.header(header::CONTENT_ENCODING, "gzip");
        builder.body(a.gzip)
    } else {
        builder.body(a.plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_links_only_this_server() {
        let body = format!("{:?}", page().into_body());
        assert!(!body.contains("http://") && !body.contains("https://") && !body.contains("//unpkg"));
        for a in &ASSETS {
            assert!(!a.plain.is_empty() && !a.gzip.is_empty(), "{}", a.name);
        }
    }
}
