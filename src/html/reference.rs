//! The reference pages in the same layout as the resources' pages, under the same
//! Content-Security-Policy: a relation's `/rels/{name}` page, and the OpenAPI reference
//! (`/openapi.html`), rendered from the very document `/openapi.json` serves.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde_json::Value;

use super::page::{self, REFERENCE};

/// A page of its own (not a resource's): `crumbs` after Home, the last one current.
fn standalone(
    req: &HttpRequest,
    title: &str,
    crumbs: &[(&str, &str)],
    content: Markup,
) -> HttpResponse {
    let root = page::root_of(req);
    let mut trail = vec![("Home".to_owned(), root.clone())];
    trail.extend(
        crumbs
            .iter()
            .map(|(name, path)| ((*name).to_owned(), format!("{root}{path}"))),
    );
    let here = trail
        .last()
        .map(|(_, href)| href.clone())
        .unwrap_or_default();
    let html = page::layout(
        &root,
        title,
        &trail,
        [("self", &here), ("parent", &root), ("etag", "")],
        "reference",
        content,
    );
    let mut response = HttpResponse::Ok().body(html);
    page::page_headers(
        &HeaderMap::new(),
        &page::origins(&root),
        response.headers_mut(),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    response
}

/// `/rels/{name}`: what the relation means (one paragraph a meaning) and which methods
/// its target takes.
pub(crate) fn rel_page(
    req: &HttpRequest,
    name: &str,
    meanings: &[String],
    methods: &str,
) -> HttpResponse {
    let path = format!("rels/{name}");
    let content = html! {
        h1 { "Relation " code { (name) } }
        @for meaning in meanings { p.meaning { (meaning) } }
        p { "Methods on the target: " (methods) "." }
        p.note {
            "In HAL, Halyard's bodies name this page through the curie "
            code { "doc" } " (" code { "_links.curies" } "), templated as "
            code { "/rels/{rel}" } "."
        }
    };
    standalone(
        req,
        &format!("Relation {name}"),
        &[("rels", &path), (name, &path)],
        content,
    )
}

/// The HTTP methods an OpenAPI path item may hold, in the order shown.
const METHODS: &[&str] = &["get", "head", "post", "put", "patch", "delete", "options"];

/// `/openapi.html`: every operation of `document`, grouped by path, with its
/// parameters, request bodies and responses.
pub(crate) fn openapi_page(req: &HttpRequest, document: &Value) -> HttpResponse {
    let info = &document["info"];
    let paths = document["paths"].as_object();
    let content = html! {
        h1 { (info["title"].as_str().unwrap_or("API reference")) }
        p.status {
            "OpenAPI " (document["openapi"].as_str().unwrap_or_default())
            " · version " (info["version"].as_str().unwrap_or_default())
            " · " a href={ (page::root_of(req)) "openapi.json" } { "the document as JSON" }
        }
        @if let Some(description) = info["description"].as_str() { p { (description) } }
        nav.toc aria-label="Paths" {
            h2 { "Paths" }
            ul {
                @for (path, _) in paths.into_iter().flatten() {
                    li { a href={ "#" (anchor_id(path)) } { code { (path) } } }
                }
            }
        }
        @for (path, item) in paths.into_iter().flatten() {
            section.path id=(anchor_id(path)) {
                h2 { code { (path) } }
                @for method in METHODS {
                    @if let Some(op) = item.get(*method).filter(|op| op.is_object()) {
                        (operation(method, path, op, item, document))
                    }
                }
            }
        }
    };
    standalone(
        req,
        "API reference",
        &[("API reference", REFERENCE)],
        content,
    )
}

/// An id for a path's section: letters and digits kept, everything else `-`.
fn anchor_id(path: &str) -> String {
    let id: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("path{id}")
}

fn operation(method: &str, path: &str, op: &Value, item: &Value, document: &Value) -> Markup {
    let parameters: Vec<&Value> = item["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(op["parameters"].as_array().into_iter().flatten())
        .collect();
    let body = op["requestBody"]["content"].as_object();
    let responses = op["responses"].as_object();
    html! {
        div.operation {
            h3 { span.method { (method.to_ascii_uppercase()) } " " code { (path) } }
            @if let Some(summary) = op["summary"].as_str() { p { (summary) } }
            @if let Some(description) = op["description"].as_str() { p.note { (description) } }
            @if !parameters.is_empty() {
                table.parameters {
                    thead { tr { th scope="col" { "parameter" } th scope="col" { "in" } th scope="col" { "required" } th scope="col" { "example or schema" } } }
                    tbody {
                        @for p in &parameters {
                            tr {
                                td { code { (p["name"].as_str().unwrap_or_default()) } }
                                td { (p["in"].as_str().unwrap_or_default()) }
                                td { @if p["required"] == true { "yes" } @else { "no" } }
                                td { code { (compact(p.get("example").unwrap_or(&p["schema"]))) } }
                            }
                        }
                    }
                }
            }
            @if let Some(body) = body {
                p { "Request body: " @for (i, (media, _)) in body.iter().enumerate() { @if i > 0 { ", " } code { (media) } } }
                @for (media, content) in body {
                    @if let Some(example) = content.get("example") {
                        details { summary { "Example " (media) " body" } pre { (pretty(example)) } }
                    }
                }
            }
            @if let Some(responses) = responses {
                table.responses {
                    thead { tr { th scope="col" { "status" } th scope="col" { "meaning" } } }
                    tbody {
                        @for (status, response) in responses {
                            tr {
                                td { code { (status) } }
                                td { (described(document, response)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A response's description, following a `$ref` to `components/responses`.
fn described<'a>(document: &'a Value, response: &'a Value) -> &'a str {
    let shared = response["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .map(|name| &document["components"]["responses"][name]);
    shared.unwrap_or(response)["description"]
        .as_str()
        .unwrap_or_default()
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn pretty(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}
