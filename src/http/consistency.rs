//! Read-your-writes over read replicas. Every answer to a write carries a consistency
//! token: the WAL position the write committed at, signed like a page token, in the
//! `Halyard-Consistency` header and a cookie of the same name. A read that brings one
//! (header or cookie), or a page token or ETag that names a position, must see at least
//! that position, so `db::replicas` serves it from a replica that has replayed it or
//! from the primary. Without replicas nothing here runs.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use crate::hal::etag_position;
use crate::query::token::PageTokens;
use crate::state::AppState;

/// The header (and, lower-cased with `_`, the cookie) that carries the token.
pub(crate) const HEADER: HeaderName = HeaderName::from_static("halyard-consistency");
const COOKIE: &str = "halyard_consistency";
/// The page-token scope consistency tokens are signed under, apart from every path.
const SCOPE: &str = "\u{0}consistency";

/// A request extension: the position this request's write committed at.
#[derive(Debug, Clone, Copy)]
struct Wrote(u64);

/// Records that the request's write committed at `at`.
pub(crate) fn wrote(req: &HttpRequest, at: u64) {
    let mut extensions = req.extensions_mut();
    let latest = extensions.get::<Wrote>().map_or(at, |w| w.0.max(at));
    extensions.insert(Wrote(latest));
}

/// The position a read must see: the highest of its consistency token, its page token
/// and the ETags it revalidates or matches.
pub(crate) fn required(req: &HttpRequest, state: &AppState) -> Option<u64> {
    let token = req
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.cookie(COOKIE).map(|c| c.value().to_owned()));
    let written = token
        .and_then(|token| state.tokens.verify(SCOPE, &token).ok())
        .and_then(|at| u64::try_from(at).ok());
    let paged = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "page_token" || name == "pageToken")
        .and_then(|(_, token)| PageTokens::position_hint(&token));
    let tagged = [header::IF_NONE_MATCH, header::IF_MATCH]
        .iter()
        .filter_map(|name| req.headers().get(name)?.to_str().ok())
        .filter_map(etag_position)
        .max();
    [written, paged, tagged].into_iter().flatten().max()
}

/// Middleware: the consistency token on every answer to a write that committed.
pub(crate) async fn tokens(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let wrote = response.request().extensions().get::<Wrote>().copied();
    let state = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned();
    if let (Some(Wrote(at)), Some(state)) = (wrote, state) {
        let token = state.tokens.sign(SCOPE, at as i64);
        let path = format!("{}/", state.prefix);
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&token) {
            headers.insert(HEADER, value);
        }
        // Short-lived: replicas catch up in well under a minute.
        let cookie = format!("{COOKIE}={token}; Path={path}; Max-Age=60; HttpOnly; SameSite=Lax");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}
