//! References to other resources in request bodies.
//!
//! HAL clients naturally send back the links the server gave them, while hand-written
//! requests tend to use bare ids or short names, so every field that names another
//! resource accepts all of these for a collection `authors` and an id `3`:
//!
//! - an absolute URL under the public base: `http://host:port/authors/3`, or
//!   `https://x.example/api/v1/authors/3` when the base is `https://x.example/api/v1/`;
//! - an absolute path: `/authors/3`, and also `/api/v1/authors/3` when the base has
//!   that prefix (clients may think of paths relative to either the host or the API);
//! - a relative name: `authors/3`;
//! - a bare JSON integer: `3`.
//!
//! Everything else is refused rather than guessed at, so that a link to another
//! server or another collection can never be mistaken for a local id.

use serde_json::Value;
use url::Url;

/// Reads a reference to a resource of `collection` from a JSON value and returns its id.
///
/// `base` is the public root URL, always ending in '/', e.g. "http://127.0.0.1:8080/"
/// or "https://x.example/api/v1/". An id of 0 is accepted: it is well-formed and will
/// simply not exist. The error is a short message to show next to the field name.
pub fn parse_reference(value: &Value, collection: &str, base: &Url) -> Result<i64, String> {
    match value {
        Value::Number(number) => {
            if let Some(id) = number.as_i64() {
                if id < 0 {
                    Err(problem(collection, "got a negative number"))
                } else {
                    Ok(id)
                }
            } else if number.is_u64() {
                Err(problem(collection, "the id is too large"))
            } else {
                Err(problem(
                    collection,
                    "the id must be a whole number without a decimal point",
                ))
            }
        }
        Value::String(text) => parse_reference_str(text, collection, base),
        Value::Bool(_) => Err(problem(collection, "got a boolean")),
        Value::Null => Err(problem(collection, "got null")),
        Value::Array(_) => Err(problem(collection, "got an array")),
        Value::Object(_) => Err(problem(collection, "got an object")),
    }
}

/// Reads a reference to a resource of `collection` from text (a JSON string or a line of
/// a `text/uri-list`) and returns its id. Bare digits are refused here: as text they
/// are none of the accepted forms, and an id must be sent as a JSON number.
pub fn parse_reference_str(text: &str, collection: &str, base: &Url) -> Result<i64, String> {
    let fail = |reason: &str| problem(collection, reason);
    if text.is_empty() {
        return Err(fail("got an empty string"));
    }
    // The URL parser silently drops tabs and newlines and turns '\' into '/', which would
    // make what we accept depend on its leniency; refuse such text outright.
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return Err(fail(
            "got spaces or characters that are not allowed in a link",
        ));
    }
    let prefix = base_prefix(base);

    if text.starts_with("//") {
        // A scheme-relative URL names a host, which is easy to get wrong; ask for a
        // form whose meaning does not depend on the request's scheme.
        return Err(fail("got a link without a scheme"));
    }
    if text.starts_with('/') {
        reject_query_and_fragment(text).map_err(fail)?;
        // Try the API's own prefix first, then the path as if the API were at the root.
        let rest = match text.strip_prefix(prefix) {
            Some(rest) if prefix != "/" => rest,
            _ => text.strip_prefix('/').unwrap_or(text),
        };
        return resource_id(rest, collection).map_err(fail);
    }

    match Url::parse(text) {
        Ok(url) => {
            if url.scheme() != base.scheme() {
                return Err(fail("got a link with another scheme"));
            }
            if url.host() != base.host()
                || url.port_or_known_default() != base.port_or_known_default()
            {
                return Err(fail("got a link to another host"));
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(fail("got a link with a user name or password"));
            }
            if url.query().is_some() {
                return Err(fail("got a query string"));
            }
            if url.fragment().is_some() {
                return Err(fail("got a fragment"));
            }
            match url.path().strip_prefix(prefix) {
                Some(rest) => resource_id(rest, collection).map_err(fail),
                None => Err(problem(
                    collection,
                    &format!("got a link outside the API root {prefix}"),
                )),
            }
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            reject_query_and_fragment(text).map_err(fail)?;
            if text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(fail(
                    "got a string of digits; send the id as a JSON number, or send a link",
                ));
            }
            resource_id(text, collection).map_err(fail)
        }
        Err(_) => Err(fail("got text that is not a valid link")),
    }
}

/// The message shown for every refused reference: what is accepted, then why not.
fn problem(collection: &str, reason: &str) -> String {
    format!(
        "must be a link to /{collection}/{{id}}, an id, or a relative name like \
         {collection}/3; {reason}"
    )
}

/// The base's path up to and including its last '/', so that resource paths can be
/// matched against it even if a caller forgot the trailing slash.
fn base_prefix(base: &Url) -> &str {
    let prefix = base.path().trim_end_matches(|c| c != '/');
    if prefix.is_empty() {
        "/"
    } else {
        prefix
    }
}

fn reject_query_and_fragment(text: &str) -> Result<(), &'static str> {
    if text.contains('?') {
        Err("got a query string")
    } else if text.contains('#') {
        Err("got a fragment")
    } else {
        Ok(())
    }
}

/// Reads `collection/id` exactly: no other collection, no further segments.
fn resource_id(rest: &str, collection: &str) -> Result<i64, &'static str> {
    let Some((name, id)) = rest.split_once('/') else {
        return Err(if rest == collection {
            "the id is missing"
        } else {
            "got text that is not a link"
        });
    };
    if name != collection {
        return Err("got a link to another collection");
    }
    if id.is_empty() {
        return Err("the id is missing");
    }
    if let Some((_, after)) = id.split_once('/') {
        return Err(if after.is_empty() {
            "got a trailing slash"
        } else {
            "got extra path segments"
        });
    }
    if !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the id must be a non-negative whole number");
    }
    id.parse().map_err(|_| "the id is too large")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Url {
        Url::parse("http://127.0.0.1:8080/").expect("a valid test URL")
    }

    fn prefixed() -> Url {
        Url::parse("https://x.example/api/v1/").expect("a valid test URL")
    }

    fn text(value: &str, base: &Url) -> Result<i64, String> {
        parse_reference_str(value, "authors", base)
    }

    fn fails_with(result: Result<i64, String>, reason: &str) {
        match result {
            Ok(id) => panic!("accepted as {id}, expected failure: {reason}"),
            Err(message) => {
                assert!(
                    message.starts_with("must be a link to /authors/{id}, an id, or a relative name like authors/3; "),
                    "{message}"
                );
                assert!(
                    message.ends_with(reason),
                    "{message} should end with {reason}"
                );
            }
        }
    }

    #[test]
    fn accepts_every_form_without_a_prefix() {
        let base = root();
        assert_eq!(text("http://127.0.0.1:8080/authors/3", &base), Ok(3));
        assert_eq!(text("HTTP://127.0.0.1:8080/authors/3", &base), Ok(3));
        assert_eq!(text("/authors/3", &base), Ok(3));
        assert_eq!(text("authors/3", &base), Ok(3));
        assert_eq!(text("authors/0", &base), Ok(0));
        assert_eq!(text(&format!("authors/{}", i64::MAX), &base), Ok(i64::MAX));
        assert_eq!(parse_reference(&json!(3), "authors", &base), Ok(3));
        assert_eq!(parse_reference(&json!(0), "authors", &base), Ok(0));
        assert_eq!(
            parse_reference(&json!("/authors/12"), "authors", &base),
            Ok(12)
        );
    }

    #[test]
    fn accepts_every_form_with_a_prefix() {
        let base = prefixed();
        assert_eq!(text("https://x.example/api/v1/authors/3", &base), Ok(3));
        assert_eq!(text("https://x.example:443/api/v1/authors/3", &base), Ok(3));
        assert_eq!(text("https://X.EXAMPLE/api/v1/authors/3", &base), Ok(3));
        assert_eq!(text("/api/v1/authors/3", &base), Ok(3));
        assert_eq!(text("/authors/3", &base), Ok(3));
        assert_eq!(text("authors/3", &base), Ok(3));
        assert_eq!(parse_reference(&json!(3), "authors", &base), Ok(3));
    }

    #[test]
    fn a_base_without_trailing_slash_keeps_its_prefix() {
        let base = Url::parse("https://x.example/api/v1").expect("a valid test URL");
        assert_eq!(text("https://x.example/api/authors/3", &base), Ok(3));
    }

    #[test]
    fn rejects_other_hosts_schemes_and_ports() {
        let base = root();
        fails_with(
            text("http://127.0.0.1:8081/authors/3", &base),
            "got a link to another host",
        );
        fails_with(
            text("http://127.0.0.1/authors/3", &base),
            "got a link to another host",
        );
        fails_with(
            text("http://localhost:8080/authors/3", &base),
            "got a link to another host",
        );
        fails_with(
            text("http://evil.example/authors/3", &base),
            "got a link to another host",
        );
        fails_with(
            text("https://127.0.0.1:8080/authors/3", &base),
            "got a link with another scheme",
        );
        fails_with(
            text("mailto:authors/3", &base),
            "got a link with another scheme",
        );
        fails_with(
            text("urn:authors:3", &base),
            "got a link with another scheme",
        );
        fails_with(
            text("http://user:pw@127.0.0.1:8080/authors/3", &base),
            "got a link with a user name or password",
        );
        fails_with(
            text("https://x.example:8443/api/v1/authors/3", &prefixed()),
            "got a link to another host",
        );
        fails_with(
            text("//evil.example/authors/3", &base),
            "got a link without a scheme",
        );
    }

    #[test]
    fn rejects_absolute_urls_outside_the_prefix() {
        fails_with(
            text("https://x.example/authors/3", &prefixed()),
            "got a link outside the API root /api/v1/",
        );
        fails_with(
            text("https://x.example/api/v2/authors/3", &prefixed()),
            "got a link outside the API root /api/v1/",
        );
    }

    #[test]
    fn rejects_the_wrong_collection() {
        for base in [root(), prefixed()] {
            fails_with(text("/books/3", &base), "got a link to another collection");
            fails_with(text("books/3", &base), "got a link to another collection");
            fails_with(
                text("/api/v2/authors/3", &base),
                "got a link to another collection",
            );
            fails_with(
                text("/Authors/3", &base),
                "got a link to another collection",
            );
        }
        fails_with(
            text("http://127.0.0.1:8080/books/3", &root()),
            "got a link to another collection",
        );
        fails_with(text("authors", &root()), "the id is missing");
        fails_with(text("/authors/", &root()), "the id is missing");
    }

    #[test]
    fn rejects_malformed_ids() {
        for base in [root(), prefixed()] {
            for bad in [
                "authors/x",
                "authors/+3",
                "authors/-3",
                "authors/1.5",
                "authors/3a",
            ] {
                fails_with(
                    text(bad, &base),
                    "the id must be a non-negative whole number",
                );
                fails_with(
                    text(&format!("/{bad}"), &base),
                    "the id must be a non-negative whole number",
                );
            }
            fails_with(
                text("authors/9223372036854775808", &base),
                "the id is too large",
            );
            fails_with(
                text(&format!("authors/{}", "9".repeat(10_000)), &base),
                "the id is too large",
            );
        }
        fails_with(
            text("http://127.0.0.1:8080/authors/%33", &root()),
            "the id must be a non-negative whole number",
        );
    }

    #[test]
    fn rejects_extra_segments_queries_and_fragments() {
        for base in [root(), prefixed()] {
            fails_with(text("/authors/3/", &base), "got a trailing slash");
            fails_with(text("authors/3/", &base), "got a trailing slash");
            fails_with(text("/authors/3/books", &base), "got extra path segments");
            fails_with(text("/authors/3?x=1", &base), "got a query string");
            fails_with(text("authors/3?", &base), "got a query string");
            fails_with(text("/authors/3#top", &base), "got a fragment");
        }
        fails_with(
            text("http://127.0.0.1:8080/authors/3/", &root()),
            "got a trailing slash",
        );
        fails_with(
            text("http://127.0.0.1:8080/authors/3?", &root()),
            "got a query string",
        );
        fails_with(
            text("http://127.0.0.1:8080/authors/3#", &root()),
            "got a fragment",
        );
    }

    #[test]
    fn rejects_empty_and_odd_strings() {
        let base = root();
        fails_with(text("", &base), "got an empty string");
        fails_with(
            text("3", &base),
            "got a string of digits; send the id as a JSON number, or send a link",
        );
        for odd in [
            " /authors/3",
            "/authors/3 ",
            "/authors/\n3",
            "\\authors\\3",
            "/authors/3\u{0}",
        ] {
            fails_with(
                text(odd, &base),
                "got spaces or characters that are not allowed in a link",
            );
        }
        fails_with(text("http://", &base), "got text that is not a valid link");
        fails_with(text("авторы/3", &base), "got a link to another collection");
        fails_with(
            text("authors/٣", &base),
            "the id must be a non-negative whole number",
        );
        fails_with(
            text(&"/".repeat(100_000), &base),
            "got a link without a scheme",
        );
        fails_with(
            text(&"a".repeat(100_000), &base),
            "got text that is not a link",
        );
    }

    #[test]
    fn rejects_json_values_of_other_kinds() {
        let base = root();
        let reject = |value: serde_json::Value, reason: &str| {
            fails_with(parse_reference(&value, "authors", &base), reason);
        };
        reject(json!(-1), "got a negative number");
        reject(
            json!(1.5),
            "the id must be a whole number without a decimal point",
        );
        reject(
            json!(3.0),
            "the id must be a whole number without a decimal point",
        );
        reject(
            json!(1e300),
            "the id must be a whole number without a decimal point",
        );
        reject(json!(u64::MAX), "the id is too large");
        reject(json!(true), "got a boolean");
        reject(json!(null), "got null");
        reject(json!({"href": "/authors/3"}), "got an object");
        reject(json!([3]), "got an array");
        reject(
            json!("3"),
            "got a string of digits; send the id as a JSON number, or send a link",
        );
    }
}
