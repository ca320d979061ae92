//! The HAL core used by every resource: the request context (public base URL, media
//! type preference, query parameters, body), link building, responses with ETags, and
//! paginated collections.

pub mod filter;
pub mod forms;
pub mod page;
pub mod reference;
pub mod token;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use base64::Engine;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::app::AppState;
use crate::db::PooledConn;
use crate::error::{ApiError, ApiResult};

/// `application/hal+json`: every resource.
pub const HAL_JSON: &str = "application/hal+json";
/// `application/prs.hal-forms+json`: the same body plus `_templates`.
pub const HAL_FORMS: &str = "application/prs.hal-forms+json";

/// Builds absolute links from the public base URL (always ending in `/`).
#[derive(Debug, Clone)]
pub struct Links {
    base: Url,
}

impl Links {
    /// Links under `base`; a missing trailing slash is added so that joins keep its path.
    pub fn new(mut base: Url) -> Self {
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        Links { base }
    }

    /// The public base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The absolute URL of a path relative to the base (`books/1`).
    pub fn url(&self, path: &str) -> Url {
        // "./" keeps a colon in the path (`cart:checkout`) from reading as a scheme.
        self.base
            .join(&format!("./{}", path.trim_start_matches('/')))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// The absolute `href` of a path relative to the base.
    pub fn href(&self, path: &str) -> String {
        let relative = path.trim_start_matches('/');
        // Performance (docs/benchmarks.md): a page of 25 books carries some 300 links,
        // and `Url::join` re-parses the whole URL for each one. For a plain path
        // (letters, digits, `-`, `_`, `/`: every resource path Halyard builds) joining
        // "./path" to a base that ends in '/' and has no query or fragment gives exactly
        // the base followed by the path, so it is appended; anything else (a dot, a
        // colon, a percent sign, a query) still goes through `Url::join`.
        if relative
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'))
        {
            let base = self.base.as_str();
            let mut href = String::with_capacity(base.len() + relative.len());
            href.push_str(base);
            href.push_str(relative);
            return href;
        }
        self.url(path).into()
    }

    /// The absolute `href` of a path with query parameters.
    pub fn href_query(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.into()
    }

    /// A link object `{"href": ...}`.
    pub fn link(&self, path: &str) -> Value {
        serde_json::json!({ "href": self.href(path) })
    }

    /// A link object with a human `title`.
    pub fn titled(&self, path: &str, title: &str) -> Value {
        serde_json::json!({ "href": self.href(path), "title": title })
    }

    /// A templated link (RFC 6570); the template's variables stay unescaped.
    pub fn templated(&self, template: &str) -> Value {
        let href = format!("{}{}", self.base, template.trim_start_matches('/'));
        serde_json::json!({ "href": href, "templated": true })
    }
}

/// The links of a request: under the configured public URL, or else under the scheme
/// and host the client used (and the path prefix).
pub fn links_for(req: &HttpRequest, state: &AppState) -> ApiResult<Links> {
    let base = match &state.public_url {
        Some(url) => url.clone(),
        None => {
            let info = req.connection_info();
            let root = format!("{}/", state.prefix);
            // A Host with '/', '?', '#' or '@' still parses, but as a path, query or
            // user name: links would point somewhere the client never named.
            Url::parse(&format!("{}://{}{root}", info.scheme(), info.host()))
                .ok()
                .filter(|url| {
                    url.path() == root
                        && url.query().is_none()
                        && url.fragment().is_none()
                        && url.username().is_empty()
                        && url.password().is_none()
                })
                .ok_or_else(|| ApiError::field("Host", "is not a valid host name"))?
        }
    };
    Ok(Links::new(base))
}

/// A request extension: the HAL-FORMS templates of the resource itself are wanted, not
/// those of its embedded items (set by the browsable API, `crate::html`).
pub struct OwnFormsOnly;

/// Everything a handler needs from the request, extracted once.
pub struct Ctx {
    /// Shared state: pool, page tokens, settings.
    pub state: web::Data<AppState>,
    /// Link builder for this request's public base.
    pub links: Links,
    /// True when the client prefers HAL-FORMS.
    pub forms: bool,
    /// True when embedded items carry their own `_templates` too: for HAL-FORMS
    /// clients, but not for the browsable API, whose pages show the forms of the
    /// resource itself only.
    pub embedded_forms: bool,
    /// The request.
    pub req: HttpRequest,
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
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.state.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await?
    }

    /// The id in the path segment `name` (`{id}`); 404 unless it is digits.
    pub fn id(&self, name: &str) -> ApiResult<i64> {
        path_id(self.req.match_info().get(name).unwrap_or(""))
    }

    /// The query parameters, checked against the names this endpoint accepts.
    pub fn query(&self, allowed: &[&str]) -> ApiResult<Query> {
        Query::parse(self.req.query_string(), allowed)
    }

    /// The `If-Match` header, if any.
    pub fn if_match(&self) -> Option<String> {
        header_text(self.req.headers(), &header::IF_MATCH)
    }

    /// A response carrying a HAL body in the negotiated media type.
    pub fn respond(&self, status: StatusCode, body: &Value) -> HttpResponse {
        let content_type = if self.forms { HAL_FORMS } else { HAL_JSON };
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::VARY, "Accept"))
            .body(body.to_string())
    }

    /// A single resource: `ETag`, and 304 when `If-None-Match` matches on GET.
    pub fn respond_item(&self, status: StatusCode, item: &Item) -> HttpResponse {
        if self.req.method() == Method::GET || self.req.method() == Method::HEAD {
            if let Some(tags) = header_text(self.req.headers(), &header::IF_NONE_MATCH) {
                if etag_matches_weakly(&tags, &item.etag) {
                    return HttpResponse::NotModified()
                        .insert_header((header::ETAG, item.etag.clone()))
                        .insert_header((header::VARY, "Accept"))
                        .finish();
                }
            }
        }
        let mut response = self.respond(status, &item.body);
        if let Ok(value) = header::HeaderValue::from_str(&item.etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        response
    }

    /// 201 with `Location` and the new resource.
    pub fn created(&self, item: &Item) -> HttpResponse {
        let mut response = self.respond_item(StatusCode::CREATED, item);
        if let Some(location) = item.self_href() {
            if let Ok(value) = header::HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, value);
            }
        }
        response
    }
}

/// A rendered single resource and its strong ETag.
#[derive(Debug, Clone)]
pub struct Item {
    /// The HAL body.
    pub body: Value,
    /// The strong ETag of the canonical body (quoted).
    pub etag: String,
}

impl Item {
    /// Wraps a canonical body (no `_embedded`, no `_templates`) and computes its ETag, so
    /// the tag changes exactly when the representation does.
    pub fn new(body: Value) -> Self {
        let digest = Sha256::digest(body.to_string().as_bytes());
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        Item {
            body,
            etag: format!("\"{tag}\""),
        }
    }

    /// The `_links.self.href`.
    pub fn self_href(&self) -> Option<String> {
        self.body["_links"]["self"]["href"]
            .as_str()
            .map(str::to_owned)
    }

    /// Fails with 412 unless `if_match` (the header) names this item's ETag or `*`.
    pub fn check_if_match(&self, if_match: Option<&str>) -> ApiResult<()> {
        match if_match {
            Some(tags) if !etag_matches(tags, &self.etag) => Err(ApiError::PreconditionFailed(
                "If-Match does not match the current ETag: the resource changed; fetch it again"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

fn header_text(headers: &HeaderMap, name: &header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Strong comparison against a header list such as `"a", "b"` or `*` (`If-Match`).
fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag == etag)
}

/// Weak comparison, as RFC 9110 prescribes for `If-None-Match`: a cache or proxy that
/// weakened our tag (`W/"a"`) still gets its 304.
fn etag_matches_weakly(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

/// True when `Accept` ranks `wanted` strictly first among the types it names.
pub fn prefers(headers: &HeaderMap, wanted: &str) -> bool {
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

/// Query parameters, checked once: known names only, no duplicates, no empty values.
#[derive(Debug, Default, Clone)]
pub struct Query {
    values: BTreeMap<String, String>,
}

impl Query {
    /// Parses a raw query string. Each allowed name may also be written in camelCase
    /// (`book_id` or `bookId`); anything else is a 400 naming the parameter.
    pub fn parse(raw: &str, allowed: &[&str]) -> ApiResult<Query> {
        let mut values = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let canonical = allowed
                .iter()
                .find(|a| **a == name || camel_case(a) == name)
                .ok_or_else(|| {
                    ApiError::field(
                        name.to_string(),
                        format!(
                            "unknown query parameter; this path accepts {}",
                            if allowed.is_empty() {
                                "none".to_owned()
                            } else {
                                allowed.join(", ")
                            }
                        ),
                    )
                })?;
            if value.is_empty() {
                return Err(ApiError::field(name.to_string(), "must not be empty"));
            }
            if values
                .insert((*canonical).to_owned(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::field(name.to_string(), "is given more than once"));
            }
        }
        Ok(Query { values })
    }

    /// The value of a parameter, by its canonical (snake_case) name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// True when no parameter was given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Every parameter given, canonical names, sorted.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// `book_id` → `bookId`.
pub fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A request body, read up to the configured limit (413 beyond it).
pub struct Body {
    content_type: Option<String>,
    bytes: web::Bytes,
}

impl FromRequest for Body {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Body, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|error| {
                if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge("the request body is over the size limit".into())
                } else {
                    ApiError::field("body", format!("could not be read: {error}"))
                }
            })?;
            Ok(Body {
                content_type,
                bytes,
            })
        })
    }
}

impl Body {
    /// True when the body is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// True when the body is `text/uri-list`.
    pub fn is_uri_list(&self) -> bool {
        self.content_type.as_deref() == Some("text/uri-list")
    }

    /// The body as a JSON object, for a request with `method`. Accepts
    /// `application/json`, `application/hal+json` and, for PATCH,
    /// `application/merge-patch+json`; anything else is 415.
    pub fn json_object(&self, method: &Method) -> ApiResult<Map<String, Value>> {
        let accepted = match self.content_type.as_deref() {
            Some("application/json" | "application/hal+json") => true,
            Some("application/merge-patch+json") => method == Method::PATCH,
            _ => false,
        };
        if !accepted {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send the body as application/json or application/hal+json{} (got {})",
                if method == Method::PATCH {
                    " or application/merge-patch+json"
                } else {
                    ""
                },
                self.content_type.as_deref().unwrap_or("no Content-Type")
            )));
        }
        match serde_json::from_slice::<Value>(&self.bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(ApiError::field("body", "must be a JSON object")),
            Err(error) => Err(ApiError::field(
                "body",
                format!(
                    "is not valid JSON: {} at line {} column {}",
                    error_class(&error),
                    error.line(),
                    error.column()
                ),
            )),
        }
    }

    /// The URIs of a `text/uri-list` body (RFC 2483), each with its line number as sent
    /// (counting from 1), so an error can name the line the client wrote; blank lines
    /// and `#` comments are skipped.
    pub fn uri_list(&self) -> ApiResult<Vec<(usize, String)>> {
        parse_uri_list(&self.bytes)
    }
}

/// Parses a `text/uri-list` body (RFC 2483) into its URIs, each with the line number it
/// had as sent (counting from 1); blank lines and `#` comments are skipped. A pure
/// function of the bytes, kept apart from [`Body`] so that it can be fuzzed.
pub fn parse_uri_list(bytes: &[u8]) -> ApiResult<Vec<(usize, String)>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::field("body", "text/uri-list must be UTF-8"))?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(number, line)| (number, line.to_owned()))
        .collect())
}

fn error_class(error: &serde_json::Error) -> &'static str {
    match error.classify() {
        serde_json::error::Category::Eof => "it ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "unreadable",
    }
}

/// Parses a path id: digits only (so `/books/abc:archive` is 404, not a panic or 400).
pub fn path_id(text: &str) -> ApiResult<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::NotFound(format!("no resource with id {text:?}")));
    }
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("no resource with id {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_list_keeps_line_numbers_and_skips_blanks_and_comments() {
        let parsed = parse_uri_list(b"# authors\r\n/authors/1\r\n\r\n  authors/2  \n").unwrap();
        assert_eq!(
            parsed,
            vec![(2, "/authors/1".to_owned()), (4, "authors/2".to_owned())]
        );
    }

    #[test]
    fn a_uri_list_that_is_not_utf8_is_400_not_a_panic() {
        for bytes in [&b"\xff\xfe/authors/1"[..], b"\xc3", b"/authors/\xe2\x82"] {
            assert!(parse_uri_list(bytes).is_err());
        }
        assert_eq!(parse_uri_list(b"").unwrap(), Vec::new());
        assert_eq!(parse_uri_list(b"\r\n\n\r").unwrap(), Vec::new());
    }

    #[test]
    fn plain_paths_are_appended_exactly_as_url_join_would_resolve_them() {
        for base in ["http://h.example/", "https://h.example:8443/api/v1/"] {
            let links = Links::new(Url::parse(base).unwrap());
            for path in [
                "books/1",
                "/books/1/authors",
                "books-authors",
                "cart",
                "a//b",
                "",
            ] {
                let joined: String = links.url(path).into();
                assert_eq!(links.href(path), joined, "{base} + {path}");
            }
        }
    }
}
