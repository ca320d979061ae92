//! The HTTP edge: the request context every handler extracts (public base URL, media
//! type preference, checked query parameters), request bodies, and the route builder
//! that answers OPTIONS and 405 from the same method list.

pub(crate) mod auth;
pub(crate) mod body;
pub(crate) mod compress;
pub(crate) mod consistency;
pub(crate) mod observe;
pub(crate) mod routes;

use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};

use serde_json::Value;
use url::Url;

pub use body::parse_uri_list;
pub(crate) use body::Body;
pub(crate) use routes::{Registrar, Routes};

use crate::db::{DbConn, PooledConn};
use crate::error::{ApiError, ApiResult};
use crate::hal::{self, Item, Links, HAL_FORMS, HAL_JSON};
use crate::query::Query;
use crate::state::AppState;

/// The links of a request: under the configured public URL, or else under the scheme
/// and host the client used (and the path prefix). `Forwarded` and `X-Forwarded-*` count
/// only from a trusted proxy: from anyone else they could point every link (and what a
/// shared cache stores) at a host of their choosing.
pub(crate) fn links_for(req: &HttpRequest, state: &AppState) -> ApiResult<Links> {
    if let Some(url) = &state.public_url {
        return Ok(Links::new(url.clone()));
    }
    let (scheme, host) = origin(req, state);
    let root = format!("{}/", state.prefix);
    let text = format!("{scheme}://{host}{root}");
    let known = LAST_BASE.with_borrow(|last| {
        last.as_ref()
            .filter(|(seen, _)| *seen == text)
            .map(|(_, links)| links.clone())
    });
    if let Some(links) = known {
        return Ok(links);
    }
    // A Host with '/', '?', '#' or '@' still parses, but as a path, query or user
    // name: links would point somewhere the client never named.
    let base = Url::parse(&text)
        .ok()
        .filter(|url| {
            url.path() == root
                && url.query().is_none()
                && url.fragment().is_none()
                && url.username().is_empty()
                && url.password().is_none()
        })
        .ok_or_else(|| ApiError::field("Host", "is not a valid host name"))?;
    let links = Links::new(base);
    LAST_BASE.set(Some((text, links.clone())));
    Ok(links)
}

thread_local! {
    /// The last base this worker parsed, by the text it was parsed from. Nearly every
    /// request names the same host, and parsing the base again was a twentieth of a
    /// single read's CPU (docs/benchmarks.md); one entry per thread bounds it.
    static LAST_BASE: std::cell::RefCell<Option<(String, Links)>> =
        const { std::cell::RefCell::new(None) };
}

/// The scheme and host the client used: as a trusted proxy forwards them, or else as
/// the connection and its `Host` header say.
fn origin(req: &HttpRequest, state: &AppState) -> (String, String) {
    if from_trusted_proxy(req, state) {
        let info = req.connection_info();
        return (info.scheme().to_owned(), info.host().to_owned());
    }
    let config = req.app_config();
    let scheme = if config.secure() { "https" } else { "http" };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_else(|| config.host());
    (scheme.to_owned(), host.to_owned())
}

/// True when the peer is one of `--trusted-proxies` (an IPv4 peer on an IPv6 socket
/// counts by its IPv4 address).
pub(crate) fn from_trusted_proxy(req: &HttpRequest, state: &AppState) -> bool {
    req.peer_addr().is_some_and(|peer| {
        state
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.contains(&peer.ip().to_canonical()))
    })
}

/// A request extension: the HAL-FORMS templates of the resource itself are wanted, not
/// those of its embedded items (set by the browsable API, `crate::html`).
pub(crate) struct OwnFormsOnly;

/// Everything a handler needs from the request, extracted once.
pub(crate) struct Ctx {
    /// Shared state: pool, page tokens, settings.
    pub(crate) state: web::Data<AppState>,
    /// Link builder for this request's public base.
    pub(crate) links: Links,
    /// True when the client prefers HAL-FORMS.
    pub(crate) forms: bool,
    /// True when embedded items carry their own `_templates` too: for HAL-FORMS
    /// clients, but not for the browsable API, whose pages show the forms of the
    /// resource itself only.
    pub(crate) embedded_forms: bool,
    /// The request.
    pub(crate) req: HttpRequest,
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Ctx, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ctx::new(req))
    }
}

impl Ctx {
    fn new(req: &HttpRequest) -> ApiResult<Ctx> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
        let forms = prefers(req.headers(), HAL_FORMS);
        Ok(Ctx {
            links: links_for(req, &state)?,
            forms,
            embedded_forms: forms && !req.extensions().contains::<OwnFormsOnly>(),
            req: req.clone(),
            state,
        })
    }

    /// Runs one blocking unit of database work on the blocking pool: diesel is
    /// synchronous, and running it on the async workers stalls every other request.
    /// With read replicas, a `GET` or `HEAD` reads from one that has replayed what the
    /// request must see ([`consistency`]), and a write records the position it committed
    /// at, for the response's consistency token.
    pub(crate) async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.state.pool.clone();
        // The blocking thread logs as this request, its database errors included.
        let request = crate::logging::request_id();
        let checkout = Checkout {
            asked: Instant::now(),
            timeout: self.state.checkout_timeout,
        };
        let Some(replicas) = self.state.replicas.clone() else {
            return web::block(move || {
                crate::logging::in_request(request, || {
                    let mut conn = checkout.get(&pool)?;
                    work(&mut conn)
                })
            })
            .await?;
        };
        if matches!(*self.req.method(), Method::GET | Method::HEAD) {
            let required = consistency::required(&self.req, &self.state);
            return web::block(move || {
                crate::logging::in_request(request, || {
                    let (mut conn, at, served) = replicas.read(required)?;
                    crate::metrics::metrics().read_served(&served.label());
                    crate::db::replicas::reading_at(Some(at), || work(&mut conn))
                })
            })
            .await?;
        }
        let (out, at) = web::block(move || {
            crate::logging::in_request(request, || {
                let mut conn = checkout.get(&pool)?;
                let out = work(&mut conn)?;
                Ok::<_, ApiError>((out, crate::db::replicas::primary_position(&mut conn)))
            })
        })
        .await??;
        if let Some(at) = at {
            consistency::wrote(&self.req, at);
        }
        Ok(out)
    }

    /// Runs `work` in a write transaction (which moves the representation version): on
    /// SQLite through the writer ([`crate::db::writer`]), in a group of writes committed
    /// together; on PostgreSQL on a pooled connection of its own, as [`Ctx::db`] does.
    /// Either way the answer comes once the write is committed.
    pub(crate) async fn write<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let Some(writer) = &self.state.writer else {
            return self.db(move |conn| crate::db::write(conn, work)).await;
        };
        let request = crate::logging::request_id();
        writer
            .write(move |conn| crate::logging::in_request(request, || work(conn)))
            .await
    }

    /// [`Ctx::write`], tried first as a whole write in one statement on PostgreSQL
    /// ([`crate::db::moving_version`]): `one` runs outside a transaction and answers
    /// `Some` when its statement did the write; when it wrote nothing (`None`), `work`
    /// runs as [`Ctx::write`] runs it, on the same connection, and decides. On SQLite,
    /// whose writer groups writes anyway, `work` alone runs.
    pub(crate) async fn write_in_one<T, O, F>(&self, one: O, work: F) -> ApiResult<T>
    where
        O: FnOnce(&mut DbConn) -> ApiResult<Option<T>> + Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.state.writer.is_some() {
            return self.write(work).await;
        }
        self.db(move |conn| {
            if crate::db::is_postgres(conn) {
                if let Some(value) = one(conn)? {
                    return Ok(value);
                }
            }
            crate::db::write(conn, work)
        })
        .await
    }

    /// [`Ctx::db`] for a read whose cost the primary key bounds (one item and what it
    /// shows). On SQLite with a connection idle this runs on the worker itself: in WAL
    /// mode a reader never waits for a writer's lock, so such a read takes tens of
    /// microseconds, as long as the hop to a blocking thread and back would. Anything
    /// else (PostgreSQL, whose statements wait on the network; a busy pool) goes
    /// through [`Ctx::db`].
    pub(crate) async fn db_point_read<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.state.inline_point_reads {
            if let Some(mut conn) = self.state.pool.try_get() {
                crate::metrics::metrics().checked_out_at_once();
                // As on a blocking thread, a panic in the work is a 500 for this
                // request, not a dropped connection.
                return std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut conn)))
                    .unwrap_or_else(|_| Err(ApiError::Internal("a point read panicked".into())));
            }
        }
        self.db(work).await
    }

    /// The id in the path segment `name` (`{id}`); 404 unless it is digits.
    pub(crate) fn id(&self, name: &str) -> ApiResult<i64> {
        path_id(self.req.match_info().get(name).unwrap_or(""))
    }

    /// The query parameters, checked against the names this endpoint accepts.
    pub(crate) fn query(&self, allowed: &[&str]) -> ApiResult<Query> {
        Query::parse(self.req.query_string(), allowed)
    }

    /// The `If-Match` header, if any.
    pub(crate) fn if_match(&self) -> Option<String> {
        header_text(self.req.headers(), &header::IF_MATCH)
    }

    /// A response carrying a HAL body in the negotiated media type. Every body leaves
    /// here or as an [`Item`], which gives it its `curies` itself, so this is where
    /// every other body gets them (see [`WithCuries`]).
    pub(crate) fn respond(&self, status: StatusCode, body: &Value) -> HttpResponse {
        let curies = self.links.curies();
        let text = serde_json::to_string(&WithCuries {
            body,
            curies: &curies,
        })
        .unwrap_or_else(|_| body.to_string());
        self.respond_text(status, text)
    }

    /// A response carrying HAL text, serialized already, in the negotiated media type.
    fn respond_text(&self, status: StatusCode, text: String) -> HttpResponse {
        let content_type = if self.forms { HAL_FORMS } else { HAL_JSON };
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::VARY, "Accept"))
            .body(text)
    }

    /// The `If-None-Match` header of a `GET` or `HEAD`, the only methods it makes
    /// conditional here.
    pub(crate) fn if_none_match(&self) -> Option<String> {
        if self.req.method() == Method::GET || self.req.method() == Method::HEAD {
            header_text(self.req.headers(), &header::IF_NONE_MATCH)
        } else {
            None
        }
    }

    /// The tags a revalidation may be answered from without rendering (see
    /// `hal::tags`): not beside read replicas, whose ETags name the position read at.
    pub(crate) fn remembered_tags(&self) -> Option<std::sync::Arc<hal::tags::Tags>> {
        self.state
            .replicas
            .is_none()
            .then(|| self.state.tags.clone())
    }

    /// 304 for a representation whose ETag is `etag`.
    pub(crate) fn not_modified(&self, etag: &str) -> HttpResponse {
        HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .insert_header((header::VARY, "Accept"))
            .finish()
    }

    /// A single resource: `ETag`, and 304 when `If-None-Match` matches on GET. The
    /// canonical body goes out as the text its ETag was computed over.
    pub(crate) fn respond_item(&self, status: StatusCode, item: Item) -> HttpResponse {
        if let Some(tags) = self.if_none_match() {
            if hal::etag_matches_weakly(&tags, &item.etag) {
                return self.not_modified(&item.etag);
            }
        }
        let etag = header::HeaderValue::from_str(&item.etag).ok();
        let mut response = match item.into_parts() {
            (_, Some(text)) => self.respond_text(status, text),
            (body, None) => self.respond(status, &body),
        };
        if let Some(value) = etag {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    }

    /// 201 with `Location` and the new resource.
    pub(crate) fn created(&self, item: Item) -> HttpResponse {
        let location = item
            .self_href()
            .and_then(|href| header::HeaderValue::from_str(&href).ok());
        let mut response = self.respond_item(StatusCode::CREATED, item);
        if let Some(value) = location {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }
}

/// A HAL body with the `doc` curie among its `_links` and those of every resource it
/// embeds (an embedded item is its full representation, the same as its own GET),
/// written out without copying the body. The curie is derived from the base URL alone, which the body's
/// `self` link already carries, so an ETag over the body without it changes exactly
/// when one over the body with it would. Keys stay in the sorted order of every other
/// `_links` map.
struct WithCuries<'a> {
    body: &'a Value,
    curies: &'a Value,
}

impl serde::Serialize for WithCuries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(top) = self.body else {
            return self.body.serialize(serializer);
        };
        let mut map = serializer.serialize_map(Some(top.len()))?;
        for (key, value) in top {
            match value {
                Value::Object(links) if key == "_links" && !links.contains_key("curies") => {
                    map.serialize_entry(key, &LinksWithCuries(links, self.curies))?;
                }
                Value::Object(embedded) if key == "_embedded" => {
                    map.serialize_entry(key, &EmbeddedWithCuries(embedded, self.curies))?;
                }
                _ => map.serialize_entry(key, value)?,
            }
        }
        map.end()
    }
}

struct EmbeddedWithCuries<'a>(&'a serde_json::Map<String, Value>, &'a Value);

impl serde::Serialize for EmbeddedWithCuries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        struct Many<'a>(&'a [Value], &'a Value);
        impl serde::Serialize for Many<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for body in self.0 {
                    seq.serialize_element(&WithCuries {
                        body,
                        curies: self.1,
                    })?;
                }
                seq.end()
            }
        }
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (rel, value) in self.0 {
            match value {
                Value::Array(items) => map.serialize_entry(rel, &Many(items, self.1))?,
                body => map.serialize_entry(
                    rel,
                    &WithCuries {
                        body,
                        curies: self.1,
                    },
                )?,
            }
        }
        map.end()
    }
}

struct LinksWithCuries<'a>(&'a serde_json::Map<String, Value>, &'a Value);

impl serde::Serialize for LinksWithCuries<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len() + 1))?;
        let mut pending = true;
        for (key, value) in self.0 {
            if pending && key.as_str() > "curies" {
                map.serialize_entry("curies", self.1)?;
                pending = false;
            }
            map.serialize_entry(key, value)?;
        }
        if pending {
            map.serialize_entry("curies", self.1)?;
        }
        map.end()
    }
}

/// A connection wanted since `asked`: the pool timeout counts from then, not from when a
/// blocking thread took the work up, so time queued for a thread counts too and a request
/// never waits for the database longer than `--pool-timeout-ms` in all.
#[derive(Clone, Copy)]
struct Checkout {
    asked: Instant,
    timeout: Duration,
}

impl Checkout {
    fn get(self, pool: &crate::db::Pool) -> ApiResult<PooledConn> {
        let left = self.timeout.saturating_sub(self.asked.elapsed());
        if left.is_zero() {
            // Queued past the deadline: a 503 now, not a connection whose statement
            // may then wait as long again.
            crate::metrics::metrics().checkout_timed_out();
            return Err(ApiError::Unavailable(
                "every database connection is busy; retry shortly".into(),
            ));
        }
        Ok(pool.get_timeout(left)?)
    }
}

fn header_text(headers: &HeaderMap, name: &header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// True when `Accept` ranks `wanted` strictly first among the types it names.
pub(crate) fn prefers(headers: &HeaderMap, wanted: &str) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut best: Option<(f32, String)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if best.as_ref().is_none_or(|(bq, _)| q > *bq) {
            best = Some((q, media));
        }
    }
    best.is_some_and(|(q, media)| q > 0.0 && media == wanted)
}

/// Parses a path id: digits only (so `/books/abc:archive` is 404, not a panic or 400).
pub(crate) fn path_id(text: &str) -> ApiResult<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::NotFound(format!("no resource with id {text:?}")));
    }
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no resource with id {text:?}")))
}

/// Middleware for every path about one account's own resources (a singleton, its items and
/// parts, orders). The token is looked at before anything else: without a well-formed
/// one the answer is 401, whatever else is wrong with the request (`OPTIONS` passes, so a
/// client can learn the methods first). Each answer, the 401 and other errors included,
/// is `Cache-Control: private` and varies by `Authorization`: the same URL shows each
/// account its own, and a 404 or 409 tells as much about it as a 200 does.
pub(crate) async fn account_only(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refused = (req.method() != Method::OPTIONS)
        .then(|| auth::presented(req.request()).err())
        .flatten();
    let mut response = match refused {
        Some(problem) => req.error_response(problem).map_into_right_body(),
        None => next.call(req).await?.map_into_left_body(),
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    // Replaces the `Vary: Accept` of the representation: both select what is shown.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    Ok(response)
}
