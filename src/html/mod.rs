//! The browsable API. A request whose `Accept` prefers `text/html` (a browser's
//! navigation) is answered with a page rendered from the very HAL-FORMS body a JSON
//! client would get: the handlers never know, so the page can show nothing the API does
//! not offer. Everything else passes through untouched, and JSON clients see no change.
//!
//! The page's forms are driven by a small script served here with its style sheet
//! (`/_browser/…`): no external asset, nothing inline, so the Content-Security-Policy
//! allows no script but that file. Writes go out from the script as JSON (or
//! `text/uri-list`) requests with an explicit `Authorization` header.
//!
//! The bearer token a person types in is kept in a cookie so that page navigations (which
//! cannot send headers) can show their cart. The cookie is only ever read for a `GET` of
//! an HTML page without an `Authorization` header of its own: it never authorises a
//! write (so a forged cross-site form can do nothing), is `SameSite=Strict`, and JSON
//! requests ignore it. See docs/api.md, "Browsing with a web browser".

mod page;

/// HTML-escaped text, for element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    page::Esc(text).to_string()
}

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use serde_json::Value;

use crate::error::PROBLEM_JSON;
use crate::hal::{HAL_FORMS, HAL_JSON};
use crate::http::{self, OwnFormsOnly};

/// The cookie holding the bearer token typed into a page.
pub(crate) const TOKEN_COOKIE: &str = "halyard_token";

/// The page's style sheet and script, compiled in.
const STYLE: &str = include_str!("halyard.css");
const SCRIPT: &str = include_str!("halyard.js");

/// The routes of the two assets.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        &format!("/{}/halyard.css", page::ASSETS),
        web::get().to(|| async { asset("text/css; charset=utf-8", STYLE) }),
    )
    .route(
        &format!("/{}/halyard.js", page::ASSETS),
        web::get().to(|| async { asset("text/javascript; charset=utf-8", SCRIPT) }),
    );
}

fn asset(content_type: &'static str, text: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(text)
}

/// The middleware: asks the handlers for HAL-FORMS and renders their answer as a page
/// when the client prefers HTML.
pub(crate) async fn browse(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // HEAD gets the JSON headers: a page cannot be rendered from an empty body.
    if !http::prefers(req.headers(), "text/html") || req.method() == Method::HEAD {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    // Validated: letters, digits and '_' (every token's alphabet) make a header value.
    let cookie_token = (req.method() == Method::GET
        && !req.headers().contains_key(header::AUTHORIZATION))
    .then(|| req.cookie(TOKEN_COOKIE))
    .flatten()
    .map(|cookie| cookie.value().to_owned())
    .filter(|token| {
        !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    req.extensions_mut().insert(OwnFormsOnly);
    let headers = req.headers_mut();
    headers.insert(header::ACCEPT, HeaderValue::from_static(HAL_FORMS));
    if let Some(token) = &cookie_token {
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            headers.insert(header::AUTHORIZATION, value);
        }
    }
    let response = next.call(req).await?;
    let is_hal = [HAL_FORMS, HAL_JSON, PROBLEM_JSON].iter().any(|media| {
        response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(media.as_bytes()))
    });
    if !is_hal {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let status = response.status();
    let original = response.headers().clone();
    let bytes = body::to_bytes(response.into_body())
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into()))?;
    let Ok(document) = serde_json::from_slice::<Value>(&bytes) else {
        // Not JSON after all: the answer goes out as it came.
        let mut unchanged = HttpResponse::build(status).body(bytes);
        *unchanged.headers_mut() = original;
        return Ok(ServiceResponse::new(request, unchanged));
    };
    let etag = original
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let view = page::Page::of(&request, status, etag);
    let html = page::render(&view, &document);
    let mut page = HttpResponse::build(status).body(html);
    page_headers(&original, &view.origins(), page.headers_mut());
    Ok(ServiceResponse::new(request, page))
}

/// The page's headers: those of the JSON answer that still hold (`Allow`, `Location`,
/// `WWW-Authenticate`, `Retry-After`, `Vary`, `Cache-Control`, CORS), without those that
/// described its body (type, length, `ETag`: the page is another representation), and
/// the page's own. Only Halyard's own script and style sheet may load (no inline script
/// or style, no other origin), and forms may only post here.
fn page_headers(json: &HeaderMap, origins: &str, page: &mut HeaderMap) {
    for (name, value) in json {
        if !matches!(
            *name,
            header::CONTENT_TYPE | header::CONTENT_LENGTH | header::ETAG
        ) {
            page.append(name.clone(), value.clone());
        }
    }
    let policy = format!(
        "default-src 'none'; script-src {origins}; style-src {origins}; \
         connect-src {origins}; img-src 'self' data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    let mut own = vec![
        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::REFERRER_POLICY, "same-origin".to_owned()),
    ];
    // The page depends on Accept (every answer here does) and on the token cookie.
    let varies = |what: &str| {
        json.get_all(header::VARY)
            .any(|v| v.to_str().is_ok_and(|v| v.contains(what)))
    };
    for what in ["Accept", "Cookie"] {
        if !varies(what) {
            own.push((header::VARY, what.to_owned()));
        }
    }
    if !json.contains_key(header::CACHE_CONTROL) {
        // A page may show a cart: never kept by a shared cache, revalidated each time.
        own.push((header::CACHE_CONTROL, "private, no-cache".to_owned()));
    }
    for (name, value) in own {
        if let Ok(value) = HeaderValue::from_str(&value) {
            page.append(name, value);
        }
    }
}
