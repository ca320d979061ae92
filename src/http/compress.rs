//! Response compression, negotiated by `Accept-Encoding`: brotli or gzip for a textual
//! body (HAL, JSON, problems, HTML, the console's script and style) of at least
//! [`MIN_BYTES`]. Each coding has a strong ETag of its own (`"tag+br"`, `"tag+gzip"`):
//! a strong tag names exact bytes, and the coded bytes are not the identity ones. Every
//! comparison (`If-None-Match`, `If-Match`) looks through the coding to the
//! representation (`hal::etag_matches`), so a client may send back whichever tag it
//! got; a 304 answers with the tag the client's copy carries. A body that could have
//! been coded says `Vary: Accept-Encoding`, whichever coding it went out in.

use std::io::Write;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use crate::hal::{coded_etag, etag_coding, etag_matches_weakly};

/// Bodies shorter than this go out as they are: the coding's framing and CPU would
/// cost more than the bytes saved (a book with two authors is about 500 bytes).
const MIN_BYTES: usize = 1024;

/// A content coding Halyard sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    /// Its name in `Accept-Encoding`, `Content-Encoding` and coded tags.
    fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// `body` in this coding: brotli at quality 4, its window fitted to the body (at
    /// least 2^16 bytes), and gzip at level 6, the usual settings for bodies made per
    /// request (most of the size saved for little CPU).
    fn encode(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(body.len() / 4 + 64);
        match self {
            Coding::Brotli => {
                let window = (usize::BITS - body.len().leading_zeros()).clamp(16, 22);
                brotli::CompressorWriter::new(&mut out, 4096, 4, window).write_all(body)?;
                Ok(out)
            }
            Coding::Gzip => {
                let mut writer = flate2::write::GzEncoder::new(out, flate2::Compression::new(6));
                writer.write_all(body)?;
                writer.finish()
            }
        }
    }
}

/// The coding `Accept-Encoding` prefers among those Halyard sends: the higher `q` wins,
/// brotli on a tie; `*` stands for any coding not named; `q=0` (or a `q` that does not
/// parse) refuses. None: identity, which is always acceptable here (a client refusing
/// identity too gets it all the same, as RFC 9110 allows).
fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let (mut brotli, mut gzip, mut any) = (None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| {
                    let (key, q) = p.split_once('=')?;
                    key.trim().eq_ignore_ascii_case("q").then(|| q.trim())
                })
                .map_or(1.0, |q| q.parse::<f32>().unwrap_or(0.0));
            match name.as_str() {
                "br" => brotli = Some(q),
                "gzip" | "x-gzip" => gzip = Some(q),
                "*" => any = Some(q),
                _ => {}
            }
        }
    }
    let brotli = brotli.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    if brotli > 0.0 && brotli >= gzip {
        Some(Coding::Brotli)
    } else if gzip > 0.0 {
        Some(Coding::Gzip)
    } else {
        None
    }
}

/// True for the media types worth coding: text, and JSON of every kind.
fn is_textual(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim())
        .is_some_and(|media| {
            media.starts_with("text/") || media.ends_with("json") || media.ends_with("javascript")
        })
}

/// Middleware: codes each answer as [the module](self) says.
pub(crate) async fn compress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let coding = negotiate(req.headers());
    let revalidated = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (request, response) = next.call(req).await?.into_parts();
    let response = if response.status() == StatusCode::NOT_MODIFIED {
        confirm_copy(response.map_into_boxed_body(), revalidated.as_deref())
    } else {
        code(response, coding)
    };
    Ok(ServiceResponse::new(request, response))
}

/// A 304 names the copy the client holds: when the tag it revalidated with is a coded
/// one of this representation, the 304 carries that tag.
fn confirm_copy(mut response: HttpResponse, revalidated: Option<&str>) -> HttpResponse {
    let Some(etag) = response
        .headers()
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    let copy = revalidated
        .into_iter()
        .flat_map(|tags| tags.split(','))
        .find(|tag| etag_coding(tag).is_some() && etag_matches_weakly(tag, &etag));
    if let Some(coding) = copy.and_then(etag_coding) {
        if let Ok(value) = HeaderValue::from_str(&coded_etag(&etag, coding)) {
            let headers = response.headers_mut();
            headers.insert(header::ETAG, value);
            headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
    }
    response
}

/// The answer in `coding`, when its body is textual, whole, not coded yet and long
/// enough; as it is otherwise.
fn code<B: MessageBody + 'static>(
    response: HttpResponse<B>,
    coding: Option<Coding>,
) -> HttpResponse {
    if !is_textual(response.headers()) || response.headers().contains_key(header::CONTENT_ENCODING)
    {
        return response.map_into_boxed_body();
    }
    let (response, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) if bytes.len() >= MIN_BYTES => bytes,
        Ok(bytes) => return response.set_body(BoxBody::new(bytes)),
        Err(body) => return response.set_body(BoxBody::new(body)),
    };
    let mut response = response.set_body(());
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let coded = coding.and_then(|coding| Some((coding, coding.encode(&bytes).ok()?)));
    let Some((coding, coded)) = coded else {
        return response.set_body(BoxBody::new(bytes));
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(coding.name()),
    );
    let etag = headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(|etag| HeaderValue::from_str(&coded_etag(etag, coding.name())).ok());
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    response.set_body(BoxBody::new(coded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn the_higher_q_wins_brotli_on_a_tie_and_q_0_refuses() {
        assert_eq!(negotiate(&accepting("gzip, br")), Some(Coding::Brotli));
        assert_eq!(
            negotiate(&accepting("gzip;q=1, br;q=0.5")),
            Some(Coding::Gzip)
        );
        assert_eq!(negotiate(&accepting("br;q=0, gzip")), Some(Coding::Gzip));
        assert_eq!(negotiate(&accepting("*;q=0.1, br;q=0")), Some(Coding::Gzip));
        assert_eq!(negotiate(&accepting("gzip;q=nonsense")), None);
        assert_eq!(negotiate(&accepting("identity, deflate")), None);
        assert_eq!(negotiate(&HeaderMap::new()), None);
    }
}
