//! The HAL vocabulary: absolute links built from the public base URL, single resources
//! with their strong ETags, references in requests, and the HAL-FORMS template shape.
//! It knows no resource and no application state.

pub(crate) mod forms;
pub mod reference;
pub(crate) mod tags;

use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::error::{ApiError, ApiResult};

/// `application/hal+json`: every resource.
pub(crate) const HAL_JSON: &str = "application/hal+json";
/// `application/prs.hal-forms+json`: the same body plus `_templates`.
pub(crate) const HAL_FORMS: &str = "application/prs.hal-forms+json";

/// Builds absolute links from the public base URL (always ending in `/`).
#[derive(Debug, Clone)]
pub(crate) struct Links {
    base: Url,
}

impl Links {
    /// Links under `base`; a missing trailing slash is added so that joins keep its path.
    pub(crate) fn new(mut base: Url) -> Self {
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);
        Links { base }
    }

    /// The public base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// The absolute URL of a path relative to the base (`books/1`).
    pub(crate) fn url(&self, path: &str) -> Url {
        // "./" keeps a colon in the path (`cart:checkout`) from reading as a scheme.
        self.base
            .join(&format!("./{}", path.trim_start_matches('/')))
            .unwrap_or_else(|_| self.base.clone())
    }

    /// The absolute `href` of a path relative to the base.
    pub(crate) fn href(&self, path: &str) -> String {
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
    pub(crate) fn href_query(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = self.url(path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url.into()
    }

    /// A link object `{"href": ...}`.
    pub(crate) fn link(&self, path: &str) -> Value {
        serde_json::json!({ "href": self.href(path) })
    }

    /// A link object with a human `title`.
    pub(crate) fn titled(&self, path: &str, title: &str) -> Value {
        serde_json::json!({ "href": self.href(path), "title": title })
    }

    /// The `curies` of every HAL body: `doc`, templated to the `/rels/{rel}` pages, so
    /// a HAL browser finds a relation's documentation (docs/api.md, "Curies").
    pub(crate) fn curies(&self) -> Value {
        let mut doc = self.templated("rels/{rel}");
        doc["name"] = Value::from("doc");
        Value::Array(vec![doc])
    }

    /// A templated link (RFC 6570); the template's variables stay unescaped.
    pub(crate) fn templated(&self, template: &str) -> Value {
        let href = format!("{}{}", self.base, template.trim_start_matches('/'));
        serde_json::json!({ "href": href, "templated": true })
    }
}

/// A rendered single resource and its strong ETag.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The HAL body.
    body: Value,
    /// The strong ETag of the canonical body (quoted).
    pub(crate) etag: String,
    /// The canonical body as sent, serialized once for the ETag and kept for the
    /// response; dropped when the body is decorated ([`Item::body_mut`]).
    text: Option<String>,
}

impl Item {
    /// Wraps a canonical body (no `_embedded`, no `_templates`), gives it its `curies`
    /// and computes its ETag over the bytes a client receives, so the tag changes
    /// exactly when the representation does and the body is serialized once.
    /// Read from a replica (or the primary beside replicas), the tag also names the WAL
    /// position it was read at (`"tag@16b3748"`), so revalidating it is served by a server
    /// at least that far along; comparisons look at the tag alone.
    pub(crate) fn new(links: &Links, mut body: Value) -> Self {
        if let Some(Value::Object(link_map)) = body.get_mut("_links") {
            link_map.entry("curies").or_insert_with(|| links.curies());
        }
        let text = body.to_string();
        let digest = Sha256::digest(text.as_bytes());
        let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        let etag = match crate::db::replicas::position() {
            Some(at) => format!("\"{tag}@{at:x}\""),
            None => format!("\"{tag}\""),
        };
        Item {
            body,
            etag,
            text: Some(text),
        }
    }

    /// The HAL body.
    pub(crate) fn body(&self) -> &Value {
        &self.body
    }

    /// The body, to decorate (`_embedded`, `_templates`): the ETag stays that of the
    /// canonical body, and the response serializes the decorated one.
    pub(crate) fn body_mut(&mut self) -> &mut Value {
        self.text = None;
        &mut self.body
    }

    /// The body and, while it is the canonical one, its serialized text.
    pub(crate) fn into_parts(self) -> (Value, Option<String>) {
        (self.body, self.text)
    }

    /// The `_links.self.href`.
    pub(crate) fn self_href(&self) -> Option<String> {
        self.body["_links"]["self"]["href"]
            .as_str()
            .map(str::to_owned)
    }

    /// Fails with 412 unless `if_match` (the header) names this item's ETag or `*`.
    pub(crate) fn check_if_match(&self, if_match: Option<&str>) -> ApiResult<()> {
        match if_match {
            Some(tags) if !etag_matches(tags, &self.etag) => Err(ApiError::PreconditionFailed(
                "If-Match does not match the current ETag: the resource changed; fetch it again"
                    .into(),
            )),
            _ => Ok(()),
        }
    }
}

/// Strong comparison against a header list such as `"a", "b"` or `*` (`If-Match`).
pub(crate) fn etag_matches(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || bare(tag) == bare(etag))
}

/// A tag as Halyard computed it, without the read position and the content coding it
/// may carry: `"abc@16b3748+gzip"` is `"abc`.
fn bare(tag: &str) -> &str {
    let tag = uncoded(tag);
    tag.rsplit_once('@').map_or(tag, |(tag, _)| tag)
}

/// A tag without its closing quote and the content coding it may carry.
fn uncoded(tag: &str) -> &str {
    let tag = tag.trim().trim_end_matches('"');
    tag.rsplit_once(CODED).map_or(tag, |(tag, _)| tag)
}

/// What separates a tag from the content coding of the bytes it names; the tag itself
/// is base64url, which has no `+`.
const CODED: char = '+';

/// The tag of `etag`'s representation sent in `coding`: `"abc"` is `"abc+gzip"` (and
/// `W/"abc"` is `W/"abc+gzip"`), so each coding has a strong tag of its own and every
/// comparison still finds the representation it names.
pub(crate) fn coded_etag(etag: &str, coding: &str) -> String {
    match etag.strip_suffix('"') {
        Some(open) => format!("{open}{CODED}{coding}\""),
        None => etag.to_owned(),
    }
}

/// The content coding a tag of [`coded_etag`] names, if any.
pub(crate) fn etag_coding(tag: &str) -> Option<&str> {
    let (_, coding) = tag.trim().trim_end_matches('"').rsplit_once(CODED)?;
    Some(coding)
}

/// The highest read position named by the tags of an `If-Match` or `If-None-Match`.
pub(crate) fn etag_position(header_value: &str) -> Option<u64> {
    header_value
        .split(',')
        .filter_map(|tag| {
            let (_, at) = uncoded(tag).rsplit_once('@')?;
            u64::from_str_radix(at, 16).ok()
        })
        .max()
}

/// Weak comparison, as RFC 9110 prescribes for `If-None-Match`: a cache or proxy that
/// weakened our tag (`W/"a"`) still gets its 304.
pub(crate) fn etag_matches_weakly(header_value: &str, etag: &str) -> bool {
    header_value
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || bare(tag.strip_prefix("W/").unwrap_or(tag)) == bare(etag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_matches_whatever_read_position_it_carries() {
        assert!(etag_matches("\"abc@16b3748\"", "\"abc\""));
        assert!(etag_matches("\"abc\"", "\"abc@ff\""));
        assert!(etag_matches_weakly("W/\"abc@1\"", "\"abc@2\""));
        assert!(!etag_matches("\"abd@1\"", "\"abc@1\""));
        assert_eq!(etag_position("\"a@10\", W/\"b@ff\", \"c\""), Some(0xff));
        assert_eq!(etag_position("\"c\""), None);
    }

    #[test]
    fn a_coded_tag_names_its_coding_and_matches_its_representation() {
        assert_eq!(coded_etag("\"abc@1f\"", "gzip"), "\"abc@1f+gzip\"");
        assert_eq!(coded_etag("W/\"abc\"", "br"), "W/\"abc+br\"");
        assert_eq!(etag_coding("\"abc@1f+gzip\""), Some("gzip"));
        assert_eq!(etag_coding("\"a-b_c\""), None);
        assert!(etag_matches("\"abc+br\"", "\"abc\""));
        assert!(etag_matches_weakly("W/\"abc@2+gzip\"", "\"abc@1\""));
        assert!(!etag_matches("\"abd+gzip\"", "\"abc\""));
        assert_eq!(etag_position("\"a@10+gzip\""), Some(0x10));
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
