//! Request bodies: JSON objects in the media types the contract accepts, and
//! `text/uri-list`, read up to the configured limit (413 beyond it).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// A request body, read up to the configured limit (413 beyond it).
pub(crate) struct Body {
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
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }

    /// True when the body is `text/uri-list`.
    pub(crate) fn is_uri_list(&self) -> bool {
        self.content_type.as_deref() == Some("text/uri-list")
    }

    /// The body as a JSON object, for a request with `method`. Accepts
    /// `application/json`, `application/hal+json` and, for PATCH,
    /// `application/merge-patch+json`; anything else is 415.
    pub(crate) fn json_object(&self, method: &Method) -> ApiResult<Map<String, Value>> {
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
    pub(crate) fn uri_list(&self) -> ApiResult<Vec<(usize, String)>> {
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
}
