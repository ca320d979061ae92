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
mod reference;

pub(crate) use reference::{openapi_page, rel_page};

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
use crate::state::AppState;

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
    let shown = shown_headers(&request, &original);
    let view = page::Page::of(&request, status, shown);
    let html = page::render(&view, &document);
    let mut page = HttpResponse::build(status).body(html);
    page::page_headers(&original, &view.origins(), page.headers_mut());
    Ok(ServiceResponse::new(request, page))
}

/// The headers of the JSON answer the response panel shows, by their usual names. A
/// `GET` answer carries no `Allow`; the panel shows the one `OPTIONS` on the same path
/// answers, from the route table.
fn shown_headers(req: &actix_web::HttpRequest, json: &HeaderMap) -> Vec<(String, String)> {
    let mut shown = Vec::new();
    for (name, key) in [
        ("Content-Type", header::CONTENT_TYPE),
        ("ETag", header::ETAG),
        ("Allow", header::ALLOW),
        ("Location", header::LOCATION),
        ("Vary", header::VARY),
        ("Cache-Control", header::CACHE_CONTROL),
        ("WWW-Authenticate", header::WWW_AUTHENTICATE),
    ] {
        let values: Vec<&str> = json.get_all(&key).filter_map(|v| v.to_str().ok()).collect();
        if !values.is_empty() {
            shown.push((name.to_owned(), values.join(", ")));
        } else if key == header::ALLOW {
            if let Some(allow) = allow_of(req) {
                shown.push((name.to_owned(), allow));
            }
        }
    }
    shown
}

/// What `OPTIONS` answers as `Allow` on the route `req` matched.
fn allow_of(req: &actix_web::HttpRequest) -> Option<String> {
    let state = req.app_data::<web::Data<AppState>>()?;
    let pattern = req.match_pattern()?;
    let pattern = pattern.strip_prefix(&state.prefix).unwrap_or(&pattern);
    let table = state.routes.lock().ok()?;
    let methods = table.get(if pattern.is_empty() { "/" } else { pattern })?;
    // The order the route builder registers them in.
    let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
    let mut allow: Vec<&str> = order
        .iter()
        .copied()
        .filter(|m| methods.contains(m) || (*m == "HEAD" && methods.contains("GET")))
        .collect();
    allow.push("OPTIONS");
    Some(allow.join(", "))
}
