//! One HAL-FORMS document (or problem) as one HTML page: its properties, its links as
//! anchors (templated ones as small forms) beside their relation's documentation, its
//! embedded resources as tables, the pagination links as controls, a form per
//! HAL-FORMS template, and the response the page was rendered from.
//!
//! The markup is written with `maud`, which escapes every value it interpolates, in
//! element content and in attributes alike: a book titled `<script>alert(1)</script>`
//! is shown as text, and no code here escapes by hand.

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use maud::{html, Markup, PreEscaped};
use serde_json::{Map, Value};
use url::Url;

use crate::http;
use crate::state::AppState;

/// Where the page's style sheet and script are served, relative to the root.
pub(crate) const ASSETS: &str = "_browser";

/// The HTML reference of the OpenAPI document, relative to the root.
pub(crate) const REFERENCE: &str = "openapi.html";

/// Relations registered with IANA (RFC 8288) that Halyard uses: they mean what the
/// registry says, so they get no `/rels` page and their names are not links.
const IANA_RELATIONS: &[&str] = &[
    "self",
    "next",
    "prev",
    "previous",
    "first",
    "last",
    "collection",
    "item",
    "up",
    "curies",
];

/// Where the page is: the root URL, the breadcrumbs to the current resource, the status
/// of the answer and the headers it carried.
pub(crate) struct Page {
    pub(crate) root: String,
    crumbs: Vec<(String, String)>,
    status: StatusCode,
    /// The JSON representation's `ETag`: the page's forms send it as `If-Match`.
    etag: Option<String>,
    /// The headers of the JSON answer worth showing, in the order shown.
    headers: Vec<(String, String)>,
}

impl Page {
    /// The view of `req`'s answer with `status` and the JSON answer's `headers`
    /// (`etag` among them), as the response panel shows them.
    pub(crate) fn of(
        req: &HttpRequest,
        status: StatusCode,
        headers: Vec<(String, String)>,
    ) -> Page {
        let root = root_of(req);
        let prefix = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.prefix.clone())
            .unwrap_or_default();
        let path = req.path().strip_prefix(&prefix).unwrap_or(req.path());
        let mut crumbs = vec![("Home".to_owned(), root.clone())];
        let mut href = root.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if !href.ends_with('/') {
                href.push('/');
            }
            href.push_str(segment);
            crumbs.push((segment.to_owned(), href.clone()));
        }
        let etag = headers
            .iter()
            .find(|(name, _)| name == "ETag")
            .map(|(_, value)| value.clone());
        Page {
            root,
            crumbs,
            status,
            etag,
            headers,
        }
    }

    /// The origins the page may load its script and style sheet from and send its
    /// requests to: its own, and the public URL's when one is configured.
    pub(crate) fn origins(&self) -> String {
        origins(&self.root)
    }

    fn is_problem(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }
}

/// The root URL of the API as `req` reaches it (the public URL when configured).
pub(crate) fn root_of(req: &HttpRequest) -> String {
    let state = req.app_data::<web::Data<AppState>>();
    let prefix = state.map(|s| s.prefix.as_str()).unwrap_or_default();
    state
        .and_then(|s| http::links_for(req, s).ok())
        .map(|links| links.base().to_string())
        .unwrap_or_else(|| format!("{prefix}/"))
}

/// The CSP source list of a page under `root`.
pub(crate) fn origins(root: &str) -> String {
    match Url::parse(root) {
        Ok(url) => format!("'self' {}", url.origin().ascii_serialization()),
        Err(_) => "'self'".to_owned(),
    }
}

/// A whole page: the head with Halyard's style sheet and script, the header with the
/// breadcrumbs (`crumbs` as text and href; the last is the current page) and the token
/// box, then `content` in `main`. `data` are the body's `data-*` attributes the script
/// reads.
pub(crate) fn layout(
    root: &str,
    title: &str,
    crumbs: &[(String, String)],
    data: [(&str, &str); 3],
    kind: &str,
    content: Markup,
) -> String {
    let last = crumbs.len().saturating_sub(1);
    let [(_, here), (_, parent), (_, etag)] = data;
    let markup = html! {
        (PreEscaped("<!doctype html>"))
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Halyard" }
                link rel="stylesheet" href={ (root) (ASSETS) "/halyard.css" };
                script src={ (root) (ASSETS) "/halyard.js" } defer {}
            }
            body data-root=(root) data-self=(here) data-parent=(parent) data-etag=(etag) {
                a.skip href="#main" { "Skip to content" }
                header {
                    a.brand href=(root) { "Halyard" }
                    nav aria-label="Breadcrumb" {
                        ol {
                            @for (i, (name, href)) in crumbs.iter().enumerate() {
                                li {
                                    @if i == last {
                                        a href=(href) aria-current="page" { (name) }
                                    } @else {
                                        a href=(href) { (name) }
                                    }
                                }
                            }
                        }
                    }
                    a.reference href={ (root) (REFERENCE) } { "API reference" }
                    form #token-form autocomplete="off" {
                        label for="token-input" { "Bearer token" }
                        input #token-input name="token" type="password" placeholder="hal_…" spellcheck="false";
                        button type="submit" { "Use token" }
                        button #token-forget type="button" { "Forget" }
                    }
                }
                main #main class=(kind) {
                    div #flash role="status" aria-live="polite" hidden {}
                    (content)
                }
                footer {
                    a href=(root) { "Halyard" } " · "
                    a href={ (root) (REFERENCE) } { "API reference" } " · "
                    a href={ (root) "openapi.json" } { "OpenAPI document" }
                }
            }
        }
    };
    markup.into_string()
}

/// The page of `document` as `view` shows it.
pub(crate) fn render(view: &Page, document: &Value) -> String {
    let heading = heading(view, document);
    let here = document["_links"]["self"]["href"]
        .as_str()
        .unwrap_or_else(|| &view.crumbs[view.crumbs.len() - 1].1)
        .to_owned();
    let parent = view.crumbs[view.crumbs.len().saturating_sub(2)].1.clone();
    let mut crumbs = view.crumbs.clone();
    if let (Some(last), Some(name)) = (crumbs.last_mut(), label(document)) {
        // The current resource is named by its title where it has one ("Title 1", not "1").
        last.0 = name;
    }
    let content = html! {
        h1 { (heading) }
        p.status { span.code { (view.status) } " " code { (here) } }
        @if view.is_problem() {
            (problem(view, document))
        } @else {
            (properties(document))
            (links(&view.root, document))
            (embedded(&view.root, document))
            (forms(document))
        }
        (response(view, document, &here))
    };
    layout(
        &view.root,
        &heading,
        &crumbs,
        [
            ("self", &here),
            ("parent", &parent),
            ("etag", view.etag.as_deref().unwrap_or_default()),
        ],
        if view.is_problem() {
            "problem"
        } else {
            "resource"
        },
        content,
    )
}

/// The page's `h1`: a problem's status and title, a resource's label, or a readable
/// name for the place (the root is "Halyard", the cart "Cart", a collection its path).
fn heading(view: &Page, document: &Value) -> String {
    if view.is_problem() {
        return format!(
            "{} {}",
            view.status.as_u16(),
            document["title"]
                .as_str()
                .or(view.status.canonical_reason())
                .unwrap_or("Error")
        );
    }
    if let Some(name) = label(document) {
        return name;
    }
    let segments: Vec<&str> = view.crumbs[1..].iter().map(|(s, _)| s.as_str()).collect();
    let is_collection =
        document.get("_embedded").is_some() || document.get("nextPageToken").is_some();
    match segments.as_slice() {
        [] => "Halyard".to_owned(),
        [.., last] if is_collection => (*last).to_owned(),
        [.., collection, id] if id.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{} {id}", sentence_case(collection))
        }
        [.., last] => sentence_case(last),
    }
}

/// `cart` → "Cart", `books-authors` → "Books authors".
fn sentence_case(name: &str) -> String {
    crate::hal::forms::sentence(&name.replace(['-', '_'], " "))
}

/// The response panel: the status and headers of the JSON answer the page was rendered
/// from, its body as `application/hal+json` (without the forms, shown above as forms),
/// and a box that sends the same GET again with other headers.
fn response(view: &Page, document: &Value, here: &str) -> Markup {
    let json = serde_json::to_string_pretty(&without_templates(document)).unwrap_or_default();
    html! {
        section #response {
            h2 { "Response" }
            p.note {
                "This page shows the answer to " code { "GET " (path_of(here)) }
                " asked for as " code { "application/prs.hal-forms+json" } "."
            }
            table.headers {
                tbody {
                    tr { th scope="row" { "Status" } td { code { (view.status) } } }
                    @for (name, value) in &view.headers {
                        tr data-header=(name.to_ascii_lowercase()) {
                            th scope="row" { (name) }
                            td { code { (value) } }
                        }
                    }
                }
            }
            details #json {
                summary {
                    "As " @if view.is_problem() { "application/problem+json" } @else { "application/hal+json" }
                }
                pre { (json) }
            }
            form #request-form data-target=(here) {
                h3 { "Send this GET again" }
                label {
                    span.prompt { "Accept" }
                    select name="accept" {
                        option value="application/hal+json" { "application/hal+json" }
                        option value="application/prs.hal-forms+json" { "application/prs.hal-forms+json (with _templates)" }
                        option value="application/json" { "application/json" }
                    }
                }
                label {
                    span.prompt { "If-None-Match" }
                    input name="if-none-match" type="text" spellcheck="false" value=[view.etag.as_deref()];
                    small.help { "A matching ETag gets 304 Not Modified; leave empty for a full answer." }
                }
                label {
                    span.prompt { "Authorization" }
                    input name="authorization" type="text" spellcheck="false" placeholder="Bearer hal_… (empty: the token in use, if any)";
                }
                div.actions { button type="submit" { "Send GET" } }
                div #request-result hidden {
                    p.status { code data-part="status" {} }
                    table.headers { tbody data-part="headers" {} }
                    pre data-part="body" {}
                }
            }
        }
    }
}

/// The path and query of a URL, for showing the request line.
fn path_of(href: &str) -> String {
    Url::parse(href)
        .map(|u| match u.query() {
            Some(query) => format!("{}?{query}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|_| href.to_owned())
}

/// The document as `application/hal+json` gives it: the page shows the templates as
/// forms, and a page of 25 items would otherwise spell out 25 items' forms again.
fn without_templates(document: &Value) -> Value {
    match document {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| *key != "_templates")
                .map(|(key, value)| (key.clone(), without_templates(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_templates).collect()),
        other => other.clone(),
    }
}

/// The human name of a resource: its title, name or the like.
fn label(resource: &Value) -> Option<String> {
    [
        "title",
        "name",
        "displayName",
        "licensePlate",
        "number",
        "description",
    ]
    .iter()
    .find_map(|key| resource[key].as_str().filter(|s| !s.is_empty()))
    .map(str::to_owned)
}

fn problem(view: &Page, document: &Value) -> Markup {
    let errors = document["errors"].as_array().filter(|e| !e.is_empty());
    html! {
        @if let Some(detail) = document["detail"].as_str() {
            p.detail { (detail) }
        }
        @if let Some(errors) = errors {
            table.errors {
                thead { tr { th scope="col" { "field" } th scope="col" { "problem" } } }
                tbody {
                    @for error in errors {
                        tr {
                            td { code { (error["field"].as_str().unwrap_or_default()) } }
                            td { (error["message"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        @if view.status == StatusCode::UNAUTHORIZED {
            p.hint {
                "This resource belongs to a user. Enter that user's bearer token at the top \
                 of the page (" code { "POST /users" } " issues one)."
            }
        }
        @if let Some(kind) = document["type"].as_str() {
            p.type { "Problem type " code { (kind) } }
        }
        p { a href=(view.root) { "Back to the API root" } }
    }
}

/// The resource's own properties (everything not starting with `_`).
fn properties(document: &Value) -> Markup {
    let rows: Vec<(&String, &Value)> = document
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    html! {
        @if !rows.is_empty() {
            section #properties {
                h2 { "Properties" }
                table { tbody { (property_rows(rows)) } }
            }
        }
    }
}

/// A table row per property: its name, and its value as [`value`] shows it.
fn property_rows<'a>(rows: impl IntoIterator<Item = (&'a String, &'a Value)>) -> Markup {
    html! {
        @for (name, value) in rows {
            tr { th scope="row" { (name) } td { (self::value(value)) } }
        }
    }
}

/// One value, by its type: booleans as Yes or No and timestamps as a readable UTC time,
/// each with the raw JSON value on hover; other text and numbers as they are (money is
/// a decimal string with its two decimals already), objects as nested tables, arrays as
/// lists.
fn value(value: &Value) -> Markup {
    html! {
        @match value {
            Value::Null => span.null { "none" },
            Value::Bool(yes) => span.boolean title=(value.to_string()) {
                @if *yes { "✓ Yes" } @else { "✗ No" }
            },
            Value::String(text) => @match readable_timestamp(text) {
                Some(readable) => time datetime=(text) title=(text) { (readable) },
                None => (text),
            },
            Value::Array(items) => ul.values { @for item in items { li { (self::value(item)) } } },
            Value::Object(map) => table.nested { tbody { (property_rows(map)) } },
            Value::Number(n) => (n.to_string()),
        }
    }
}

/// `2026-12-02T20:09:54Z` (a fraction allowed) → "2 Dec 2026, 20:09:54 UTC"; anything
/// else is not a timestamp.
fn readable_timestamp(text: &str) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|_| &text[range])
    };
    let shape = bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':')
        && text.ends_with('Z');
    let fraction = text.get(19..text.len().saturating_sub(1))?;
    if !shape
        || !(fraction.is_empty()
            || fraction.starts_with('.') && fraction[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let month = MONTHS.get(month.parse::<usize>().ok()?.checked_sub(1)?)?;
    let day = day.trim_start_matches('0');
    Some(format!(
        "{day} {month} {year}, {hour}:{minute}:{second} UTC"
    ))
}

/// The link objects of a relation, whether it holds one or an array.
fn link_objects(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// Only web links become anchors: nothing in a document can make a `javascript:` one.
fn is_web_link(href: &str) -> bool {
    href.starts_with("http://") || href.starts_with("https://") || href.starts_with('/')
}

/// A relation's name, linked to its `/rels` page unless IANA registers it.
fn rel_name(root: &str, rel: &str) -> Markup {
    html! {
        @if IANA_RELATIONS.contains(&rel) {
            (rel)
        } @else {
            a.rel href={ (root) "rels/" (rel) } title={ "What " (rel) " means" } { (rel) }
        }
    }
}

fn links(root: &str, document: &Value) -> Markup {
    let Some(map) = document["_links"].as_object() else {
        return html! {};
    };
    let rels = map.iter().filter(|(rel, _)| *rel == "self").chain(
        map.iter()
            .filter(|(rel, _)| *rel != "self" && *rel != "curies"),
    );
    html! {
        section #links {
            h2 { "Links" }
            table {
                tbody {
                    @for (rel, value) in rels {
                        @let objects = link_objects(value);
                        tr {
                            th scope="row" { (rel_name(root, rel)) }
                            td {
                                @if objects.is_empty() { span.null { "none" } }
                                ul.links { @for link in objects { li { (anchor(rel, link)) } } }
                            }
                        }
                    }
                }
            }
        }
        (pagination(map))
    }
}

/// One link: an anchor, or for a templated link a form asking for its variables.
fn anchor(rel: &str, link: &Value) -> Markup {
    let href = link["href"].as_str().unwrap_or_default();
    let text = link["title"].as_str().unwrap_or(href);
    html! {
        @if link["templated"] == true {
            form.templated-link data-href=(href) data-rel=(rel) {
                code { (href) }
                @for (variable, optional) in template_variables(href) {
                    " "
                    label { (variable) " " input name=(variable) size="10" required[!optional]; }
                }
                " "
                button type="submit" { "Go" }
            }
        } @else if is_web_link(href) {
            a href=(href) data-rel=(rel) { (text) }
        } @else {
            code { (text) }
        }
    }
}

/// The variables of an RFC 6570 template (`{id}`, `{?book_id,author_id}`), each with
/// whether it may be left out (those of a query expression may).
fn template_variables(template: &str) -> Vec<(String, bool)> {
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(expression, _)| expression))
        .flat_map(|expression| {
            let optional = expression.starts_with(['?', '&']);
            expression
                .trim_start_matches(['+', '#', '.', '/', ';', '?', '&'])
                .split(',')
                .map(|v| v.split([':', '*']).next().unwrap_or_default().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| (v, optional))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// First, previous, next and last page, where the document has them.
fn pagination(links: &Map<String, Value>) -> Markup {
    let pages: Vec<(&str, &str, &str)> = [
        ("first", "First page"),
        ("prev", "Previous page"),
        ("next", "Next page"),
        ("last", "Last page"),
    ]
    .into_iter()
    .filter_map(|(rel, text)| {
        let href = links.get(rel)?["href"]
            .as_str()
            .filter(|h| is_web_link(h))?;
        Some((rel, text, href))
    })
    .collect();
    html! {
        @if !pages.is_empty() {
            nav aria-label="Pagination" class="pagination" {
                @for (rel, text, href) in pages { a rel=(rel) href=(href) { (text) } }
            }
        }
    }
}

/// Embedded resources: a table per relation, a row per resource, its label linking to it.
fn embedded(root: &str, document: &Value) -> Markup {
    let Some(map) = document["_embedded"].as_object() else {
        return html! {};
    };
    html! {
        section #embedded {
            h2 { "Embedded" }
            @for (rel, value) in map {
                @let items = link_objects(value);
                @let columns = columns(&items);
                h3 { (rel_name(root, rel)) " " span.count { "(" (items.len()) ")" } }
                table.items data-rel=(rel) {
                    thead {
                        tr {
                            th scope="col" { (rel) }
                            @for column in &columns { th scope="col" { (column) } }
                        }
                    }
                    tbody {
                        @for item in &items {
                            @let text = label(item)
                                .or_else(|| item["id"].as_i64().map(|id| format!("#{id}")))
                                .unwrap_or_else(|| rel.clone());
                            tr {
                                td {
                                    @match item["_links"]["self"]["href"].as_str().filter(|h| is_web_link(h)) {
                                        Some(href) => a href=(href) { (text) },
                                        None => (text),
                                    }
                                }
                                @for column in &columns {
                                    td {
                                        @if !item[*column].is_null() { (self::value(&item[*column])) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The properties of embedded items, in the order they first appear.
fn columns<'a>(items: &[&'a Value]) -> Vec<&'a str> {
    let mut columns: Vec<&str> = Vec::new();
    for item in items {
        for key in item.as_object().into_iter().flat_map(|m| m.keys()) {
            if !key.starts_with('_') && !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    columns
}

/// The key prefix of the templates that unlink one related resource each
/// (`unlink-author-3`): the page shows them as one form choosing among them.
fn unlink_group(key: &str, template: &Value) -> Option<String> {
    let rest = key.strip_prefix("unlink-")?;
    let (name, id) = rest.rsplit_once('-')?;
    let one_delete = template["method"] == "DELETE"
        && template["properties"].as_array().is_none_or(Vec::is_empty);
    (one_delete && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| name.to_owned())
}

/// A form per HAL-FORMS template, `default` first; the templates that unlink one related
/// resource each become one Unlink form per relation. The page's script sends them.
fn forms(document: &Value) -> Markup {
    let Some(templates) = document["_templates"].as_object().filter(|t| !t.is_empty()) else {
        return html! {};
    };
    let ordered = templates
        .iter()
        .filter(|(key, _)| *key == "default")
        .chain(templates.iter().filter(|(key, _)| *key != "default"));
    let mut unlinks: Vec<(String, Vec<&Value>)> = Vec::new();
    let mut singles = Vec::new();
    for (key, template) in ordered {
        match unlink_group(key, template) {
            Some(name) => match unlinks.iter_mut().find(|(n, _)| *n == name) {
                Some((_, group)) => group.push(template),
                None => unlinks.push((name, vec![template])),
            },
            None => singles.push((key, template)),
        }
    }
    html! {
        section #forms {
            h2 { "Actions" }
            div.forms {
                @for (key, template) in singles { (form(document, key, template)) }
                @for (name, group) in &unlinks { (unlink_form(name, group)) }
            }
        }
    }
}

/// The title's verb for the button ("Link", "Unlink"), or its words before a colon
/// ("Check out: turn the cart into an order").
fn verb(title: &str) -> &str {
    match title.split_once(':') {
        Some((short, _)) if short.split_whitespace().count() <= 3 => short,
        _ => title.split_whitespace().next().unwrap_or("Send"),
    }
}

/// What a destructive form asks before it is sent.
fn confirmation(method: &str, title: &str) -> Option<String> {
    (method == "DELETE").then(|| format!("{title}? This cannot be undone."))
}

fn form(document: &Value, key: &str, template: &Value) -> Markup {
    let method = template["method"].as_str().unwrap_or("GET");
    let target = template["target"].as_str().unwrap_or_default();
    let title = template["title"].as_str().unwrap_or(key);
    // A template whose precondition is not met (checking out without shipping) says why.
    let unavailable = template["unavailable"].as_str();
    // An update starts from what the resource holds now.
    let current = |name: &str| match (method, &document[name]) {
        ("PATCH" | "PUT", Value::String(text)) => Some(text.clone()),
        ("PATCH" | "PUT", Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let fields: Vec<Markup> = template["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|property| {
            let name = property["name"].as_str().unwrap_or_default();
            let value = match &property["value"] {
                Value::String(text) => Some(text.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => current(name).or_else(|| linked(document, &property["options"])),
            };
            field(key, property, name, value.as_deref())
        })
        .collect();
    html! {
        form.hal-form data-template=(key) data-method=(method) data-target=(target)
            data-content-type=(template["contentType"].as_str().unwrap_or_default())
            data-confirm=[confirmation(method, title)] {
            h3 { (title) }
            p.request { code { (method) " " (path_of(target)) } }
            fieldset.fields disabled[unavailable.is_some()] {
                @for field in &fields { (field) }
            }
            @if let Some(reason) = unavailable {
                p.unavailable { (reason) }
            }
            div.actions {
                button class=[(method == "DELETE").then_some("danger")] type="submit" disabled[unavailable.is_some()] { (verb(title)) }
            }
            p.outcome role="status" aria-live="polite" {}
        }
    }
}

/// One form for the unlink templates of one relation: a list of the linked resources,
/// each option sending its template's DELETE.
fn unlink_form(name: &str, group: &[&Value]) -> Markup {
    let title = format!("Unlink {}", crate::hal::forms::a(name));
    let choices: Vec<(&str, &str)> = group
        .iter()
        .map(|t| {
            let title = t["title"].as_str().unwrap_or_default();
            (
                t["target"].as_str().unwrap_or_default(),
                title.strip_prefix("Unlink ").unwrap_or(title),
            )
        })
        .collect();
    let collection = choices
        .first()
        .and_then(|(target, _)| target.rsplit_once('/'))
        .map(|(collection, _)| format!("{collection}/{{{name}}}"))
        .unwrap_or_default();
    html! {
        form.hal-form data-template={ "unlink-" (name) } data-method="DELETE" data-target=""
            data-confirm={ "Unlink the chosen " (name) "? The " (name) " itself stays." } {
            h3 { (title) }
            p.request { code { "DELETE " (path_of(&collection)) } }
            label {
                span.prompt { "The " (name) " to unlink" }
                select name={ "unlink-" (name) } data-role="target" required {
                    option value="" { "(choose)" }
                    @for (target, text) in &choices { option value=(target) { (text) } }
                }
                small.help { "Only the link goes; the " (name) " itself stays." }
            }
            div.actions { button.danger type="submit" { "Unlink" } }
            p.outcome role="status" aria-live="polite" {}
        }
    }
}

/// For a list picking several resources (the set of a book's authors), the resources
/// the document links to now, one per line: the form starts from the current set.
fn linked(document: &Value, options: &Value) -> Option<String> {
    let collection = options["link"]["href"].as_str()?;
    if options.get("maxItems").and_then(Value::as_u64) == Some(1) {
        return None;
    }
    let members: Vec<&str> = document["_links"]
        .as_object()?
        .values()
        .flat_map(link_objects)
        .filter_map(|link| link["href"].as_str())
        .filter(|href| {
            href.strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|id| !id.is_empty() && !id.contains(['/', '?']))
        })
        .collect();
    (!members.is_empty()).then(|| members.join("\n"))
}

/// One template property as a labelled control with its help text: a list for
/// `options` (checkboxes when several may be picked), else an input of the property's
/// type.
fn field(form: &str, property: &Value, name: &str, value: Option<&str>) -> Markup {
    let required = property["required"] == true;
    let read_only = property["readOnly"] == true;
    let prompt = property["prompt"].as_str().unwrap_or(name);
    let kind = property["type"].as_str().unwrap_or("text");
    let help = property["help"].as_str();
    let help_id = format!("help-{form}-{name}");
    // A fixed value (the book a relation form is for) is shown, not chosen.
    let options = match read_only && value.is_some() {
        true => &Value::Null,
        false => &property["options"],
    };
    let help_text = html! {
        @if let Some(help) = help { small.help id=(help_id) { (help) } }
    };
    let described = help.map(|_| help_id.as_str());
    let mark = if required { " *" } else { "" };
    if let Some(href) = options["link"]["href"].as_str() {
        if options.get("maxItems").and_then(Value::as_u64) != Some(1) {
            // Several may be picked: a checkbox each, filled by the page's script.
            return html! {
                fieldset.choices data-name=(name) data-type=(kind) data-options=(href)
                    data-value-field=(options["valueField"].as_str().unwrap_or("id"))
                    data-prompt-field=(options["promptField"].as_str().unwrap_or_default())
                    data-value=(value.unwrap_or_default()) aria-describedby=[described] {
                    legend.prompt { (prompt) (mark) }
                    p.loading { "loading…" }
                    (help_text)
                }
            };
        }
    }
    html! {
        label {
            span.prompt { (prompt) (mark) }
            @if let Some(choices) = options["inline"].as_array() {
                select name=(name) data-type=(kind) required[required] readonly[read_only]
                    aria-describedby=[described] {
                    @if !required { option value="" { "(none)" } }
                    @for choice in choices {
                        @let (text, choice_value) = match choice {
                            Value::String(text) => (text.as_str(), text.as_str()),
                            other => (
                                other["prompt"].as_str().unwrap_or_default(),
                                other["value"].as_str().unwrap_or_default(),
                            ),
                        };
                        option value=(choice_value) selected[Some(choice_value) == value] { (text) }
                    }
                }
            } @else if let Some(href) = options["link"]["href"].as_str() {
                // Filled by the page's script from the linked collection.
                select name=(name) data-type=(kind) required[required] readonly[read_only]
                    data-options=(href)
                    data-value-field=(options["valueField"].as_str().unwrap_or("id"))
                    data-prompt-field=(options["promptField"].as_str().unwrap_or_default())
                    data-value=(value.unwrap_or_default()) aria-describedby=[described] {
                    option value="" { "loading…" }
                }
            } @else {
                input type=(input_type(kind)) name=(name) data-type=(kind) required[required]
                    readonly[read_only] min=[property["min"].as_i64()] max=[property["max"].as_i64()]
                    maxlength=[property["maxLength"].as_i64()] value=[value]
                    placeholder=[property["placeholder"].as_str()]
                    aria-describedby=[described];
            }
            (help_text)
        }
    }
}

fn input_type(kind: &str) -> &str {
    match kind {
        "email" | "number" | "date" | "url" | "password" => kind,
        _ => "text",
    }
}

/// The page's headers: those of the JSON answer that still hold (`Allow`, `Location`,
/// `WWW-Authenticate`, `Retry-After`, `Vary`, `Cache-Control`, CORS), without those that
/// described its body (type, length, `ETag`: the page is another representation), and
/// the page's own. Only Halyard's own script and style sheet may load (no inline script
/// or style, no other origin), and forms may only post here.
pub(crate) fn page_headers(json: &HeaderMap, origins: &str, page: &mut HeaderMap) {
    for (name, value) in json {
        if !matches!(
            *name,
            header::CONTENT_TYPE | header::CONTENT_LENGTH | header::ETAG
        ) {
            page.append(name.clone(), value.clone());
        }
    }
    let policy = format!(
        "default-src 'none'; script-src {origins}; style-src {origins}; \
         connect-src {origins}; img-src 'self' data:; form-action 'self'; \
         base-uri 'none'; frame-ancestors 'none'"
    );
    let mut own = vec![
        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::REFERRER_POLICY, "same-origin".to_owned()),
    ];
    // The page depends on Accept (every answer here does) and on the token cookie.
    let varies = |what: &str| {
        json.get_all(header::VARY)
            .any(|v| v.to_str().is_ok_and(|v| v.contains(what)))
    };
    for what in ["Accept", "Cookie"] {
        if !varies(what) {
            own.push((header::VARY, what.to_owned()));
        }
    }
    if !json.contains_key(header::CACHE_CONTROL) {
        // A page may show a cart: never kept by a shared cache, revalidated each time.
        own.push((header::CACHE_CONTROL, "private, no-cache".to_owned()));
    }
    for (name, value) in own {
        if let Ok(value) = HeaderValue::from_str(&value) {
            page.append(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_markup_are_text_in_content_and_attributes() {
        let html = value(&serde_json::json!({
            "title": "<script>alert(\"1\")</script> & 'x'",
        }))
        .into_string();
        assert!(
            html.contains("&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &amp; 'x'"),
            "{html}"
        );
        let link = anchor(
            "authors",
            &serde_json::json!({
                "href": "/authors/1\"><img src=x>", "title": "<b>"
            }),
        )
        .into_string();
        assert!(!link.contains("<img") && !link.contains("<b>"), "{link}");
    }

    #[test]
    fn booleans_and_timestamps_read_as_words_with_the_raw_value_on_hover() {
        assert_eq!(
            value(&Value::Bool(false)).into_string(),
            "<span class=\"boolean\" title=\"false\">✗ No</span>"
        );
        assert_eq!(
            readable_timestamp("2026-12-02T20:09:54.123Z").as_deref(),
            Some("2 Dec 2026, 20:09:54 UTC")
        );
        assert_eq!(readable_timestamp("2026-12-02"), None);
        assert_eq!(readable_timestamp("Title 2026-12-02T20:09:54Z"), None);
        assert!(value(&Value::from("2026-01-31T00:00:00Z"))
            .into_string()
            .starts_with("<time datetime=\"2026-01-31T00:00:00Z\" title="));
    }

    #[test]
    fn template_variables_are_read_from_every_expression() {
        let names = |t: &str| template_variables(t);
        assert_eq!(names("http://h/books/{id}"), [("id".to_owned(), false)]);
        assert_eq!(
            names("http://h/books-authors{?book_id,author_id}"),
            [("book_id".to_owned(), true), ("author_id".to_owned(), true)]
        );
        assert_eq!(
            names("http://h/x{/a*}{&b:3}"),
            [("a".to_owned(), false), ("b".to_owned(), true)]
        );
        assert!(names("http://h/plain").is_empty());
    }

    #[test]
    fn only_web_links_become_anchors() {
        assert!(is_web_link("https://x.example/books/1"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("data:text/html,hi"));
    }

    #[test]
    fn registered_relations_stay_plain_and_halyards_own_link_to_their_page() {
        assert_eq!(rel_name("http://h/", "next").into_string(), "next");
        assert!(rel_name("http://h/", "collection/authors")
            .into_string()
            .starts_with("<a class=\"rel\" href=\"http://h/rels/collection/authors\""));
    }
}
