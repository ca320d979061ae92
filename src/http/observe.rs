//! What every request leaves behind: its request id (`X-Request-Id`, from a trusted
//! proxy or made here, echoed on the response), its counts in `crate::metrics`, and one
//! log line. The line names the route template, never the raw path, and query
//! parameters by name only: a path or a filter may hold an address or a token.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use serde_json::json;

use crate::config::LogFormat;
use crate::error::ProblemType;
use crate::logging::{self, REQUEST_TARGET};
use crate::metrics::metrics;
use crate::state::AppState;

/// The header that carries a request's id.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The route of a request that matched none.
const UNMATCHED: &str = "unmatched";

/// Middleware, outermost: ids, counts and logs each request.
pub(crate) async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let state = state.as_ref().map(|data| data.get_ref());
    let id = given_id(&req, state).unwrap_or_else(new_id);
    let format = state.map_or(LogFormat::Text, |s| s.log_format);
    let method = req.method().as_str().to_owned();
    let version = format!("{:?}", req.version());
    let names = query_names(req.query_string());
    let in_flight = metrics().in_flight();
    let result = logging::scope(id.clone(), next.call(req)).await;
    drop(in_flight);
    let took = started.elapsed();
    let mut response = match result {
        Ok(response) => response,
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            metrics().request(&method, UNMATCHED, status, took);
            return Err(error);
        }
    };
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let status = response.status().as_u16();
    metrics().request(&method, &route, status, took);
    let bytes = match response.response().body().size() {
        BodySize::Sized(n) => Some(n),
        _ => None,
    };
    let problem = response
        .response()
        .extensions()
        .get::<ProblemType>()
        .map(|p| p.0);
    let millis = took.as_secs_f64() * 1000.0;
    let line = match format {
        LogFormat::Json => json!({
            "request_id": id,
            "method": method,
            "route": route,
            "query": names,
            "status": status,
            "duration_ms": (millis * 1000.0).round() / 1000.0,
            "bytes": bytes,
            "error": problem,
        })
        .to_string(),
        LogFormat::Text => {
            let query = if names.is_empty() {
                String::new()
            } else {
                format!("?{}", names.join("&"))
            };
            format!(
                "{method} {route}{query} {version} {status} {millis:.2}ms {}B{}",
                bytes.unwrap_or(0),
                problem.map(|p| format!(" {p}")).unwrap_or_default()
            )
        }
    };
    logging::scope(id.clone(), async {
        log::info!(target: REQUEST_TARGET, "{line}");
    })
    .await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// The id a trusted proxy gave, when it is a sane one (1 to 128 of `A-Z a-z 0-9 . _ -`).
fn given_id(req: &ServiceRequest, state: Option<&AppState>) -> Option<String> {
    let state = state?;
    if !super::from_trusted_proxy(req.request(), state) {
        return None;
    }
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let sane = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    sane.then(|| value.to_owned())
}

/// A new id: a random prefix per process and a counter, so ids are unique across
/// instances without a random draw a request.
fn new_id() -> String {
    static PREFIX: LazyLock<String> = LazyLock::new(|| {
        let mut bytes = [0u8; 6];
        // Without randomness, ids are still unique within this process.
        let _ = getrandom::getrandom(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    });
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{}-{:x}", *PREFIX, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The names of the query parameters, in order, without their values.
fn query_names(query: &str) -> Vec<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_dropped_and_names_kept() {
        assert_eq!(
            query_names("filter=emailAddress%20eq%20%27a%40b.example%27&pageSize=5"),
            ["filter", "pageSize"]
        );
        assert!(query_names("").is_empty());
    }

    #[test]
    fn new_ids_differ() {
        assert_ne!(new_id(), new_id());
    }
}
