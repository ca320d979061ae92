//! One HAL-FORMS document (or problem) as one HTML page: its properties, its links as
//! anchors (templated ones as small forms), its embedded resources as tables, the
//! pagination links as controls, and a form per HAL-FORMS template.
//!
//! Every piece of text taken from the document goes through [`Esc`], in element content
//! and in attributes alike: a book titled `<script>alert(1)</script>` is shown as text.

use std::fmt::{self, Display, Write};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde_json::{Map, Value};
use url::Url;

use crate::http;
use crate::state::AppState;

/// Where the page's style sheet and script are served, relative to the root.
pub(crate) const ASSETS: &str = "_browser";

/// HTML-escaped text, for element content and quoted attribute values.
pub(crate) struct Esc<'a>(pub(crate) &'a str);

impl Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// Where the page is: the root URL, the breadcrumbs to the current resource, and the
/// status of the answer.
pub(crate) struct Page {
    root: String,
    crumbs: Vec<(String, String)>,
    status: StatusCode,
    /// The JSON representation's `ETag`: the page's forms send it as `If-Match`.
    etag: Option<String>,
}

impl Page {
    /// The view of `req`'s answer with `status` and the JSON answer's `etag`.
    pub(crate) fn of(req: &HttpRequest, status: StatusCode, etag: Option<String>) -> Page {
        let state = req.app_data::<web::Data<AppState>>();
        let prefix = state.map(|s| s.prefix.as_str()).unwrap_or_default();
        let root = state
            .and_then(|s| http::links_for(req, s).ok())
            .map(|links| links.base().to_string())
            .unwrap_or_else(|| format!("{prefix}/"));
        let path = req.path().strip_prefix(prefix).unwrap_or(req.path());
        let mut crumbs = vec![("Home".to_owned(), root.clone())];
        let mut href = root.clone();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if !href.ends_with('/') {
                href.push('/');
            }
            href.push_str(segment);
            crumbs.push((segment.to_owned(), href.clone()));
        }
        Page {
            root,
            crumbs,
            status,
            etag,
        }
    }

    /// The origins the page may load its script and style sheet from and send its
    /// requests to: its own, and the public URL's when one is configured.
    pub(crate) fn origins(&self) -> String {
        match Url::parse(&self.root) {
            Ok(url) => format!("'self' {}", url.origin().ascii_serialization()),
            Err(_) => "'self'".to_owned(),
        }
    }

    fn is_problem(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }
}

/// The page of `document` as `view` shows it.
pub(crate) fn render(view: &Page, document: &Value) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let heading = if view.is_problem() {
        format!(
            "{} {}",
            view.status.as_u16(),
            document["title"]
                .as_str()
                .or(view.status.canonical_reason())
                .unwrap_or("Error")
        )
    } else {
        label(document).unwrap_or_else(|| match view.crumbs.len() {
            1 => "Halyard".to_owned(),
            _ => view.crumbs[view.crumbs.len() - 1].0.clone(),
        })
    };
    head(&mut out, view, document, &heading);
    if view.is_problem() {
        problem(&mut out, view, document);
    } else {
        properties(&mut out, document);
        links(&mut out, document);
        embedded(&mut out, document);
        forms(&mut out, document);
    }
    let json = serde_json::to_string_pretty(&without_templates(document)).unwrap_or_default();
    _ = write!(
        out,
        "<details id=\"json\"><summary>As application/hal+json</summary><pre>{}</pre></details>\
         </main><footer><a href=\"{root}\">Halyard</a> · \
         <a href=\"{root}openapi.json\">OpenAPI document</a></footer></body></html>",
        Esc(&json),
        root = Esc(&view.root),
    );
    out
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

fn head(out: &mut String, view: &Page, document: &Value, heading: &str) {
    let root = Esc(&view.root);
    let here = document["_links"]["self"]["href"]
        .as_str()
        .unwrap_or_else(|| &view.crumbs[view.crumbs.len() - 1].1);
    let parent = &view.crumbs[view.crumbs.len().saturating_sub(2)].1;
    _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Halyard</title>\
         <link rel=\"stylesheet\" href=\"{root}{ASSETS}/halyard.css\">\
         <script src=\"{root}{ASSETS}/halyard.js\" defer></script></head>\
         <body data-root=\"{root}\" data-self=\"{here}\" data-parent=\"{parent}\" \
         data-etag=\"{etag}\">\
         <a class=\"skip\" href=\"#main\">Skip to content</a><header>\
         <a class=\"brand\" href=\"{root}\">Halyard</a>\
         <nav aria-label=\"Breadcrumb\"><ol>",
        title = Esc(heading),
        here = Esc(here),
        parent = Esc(parent),
        etag = Esc(view.etag.as_deref().unwrap_or_default()),
    );
    let last = view.crumbs.len() - 1;
    for (i, (segment, href)) in view.crumbs.iter().enumerate() {
        // The current resource is named by its title where it has one ("Title 1", not "1").
        let (current, name) = match i == last {
            true => (
                " aria-current=\"page\"",
                label(document).unwrap_or_else(|| segment.clone()),
            ),
            false => ("", segment.clone()),
        };
        _ = write!(
            out,
            "<li><a href=\"{}\"{current}>{}</a></li>",
            Esc(href),
            Esc(&name)
        );
    }
    _ = write!(
        out,
        "</ol></nav><form id=\"token-form\" autocomplete=\"off\">\
         <label for=\"token-input\">Bearer token</label>\
         <input id=\"token-input\" name=\"token\" type=\"password\" placeholder=\"hal_…\" \
         spellcheck=\"false\"><button type=\"submit\">Use token</button>\
         <button type=\"button\" id=\"token-forget\">Forget</button></form></header>\
         <main id=\"main\" class=\"{kind}\">\
         <div id=\"flash\" role=\"status\" aria-live=\"polite\" hidden></div><h1>{heading}</h1>\
         <p class=\"status\"><span class=\"code\">{status}</span> <code>{here}</code></p>",
        kind = if view.is_problem() {
            "problem"
        } else {
            "resource"
        },
        heading = Esc(heading),
        status = view.status,
        here = Esc(here),
    );
}

fn problem(out: &mut String, view: &Page, document: &Value) {
    if let Some(detail) = document["detail"].as_str() {
        _ = write!(out, "<p class=\"detail\">{}</p>", Esc(detail));
    }
    if let Some(errors) = document["errors"].as_array().filter(|e| !e.is_empty()) {
        out.push_str(
            "<table class=\"errors\"><thead><tr><th scope=\"col\">field</th>\
             <th scope=\"col\">problem</th></tr></thead><tbody>",
        );
        for error in errors {
            _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                Esc(error["field"].as_str().unwrap_or_default()),
                Esc(error["message"].as_str().unwrap_or_default())
            );
        }
        out.push_str("</tbody></table>");
    }
    if view.status == StatusCode::UNAUTHORIZED {
        out.push_str(
            "<p class=\"hint\">This resource belongs to a user. Enter that user's bearer \
             token at the top of the page (<code>POST /users</code> issues one).</p>",
        );
    }
    if let Some(kind) = document["type"].as_str() {
        _ = write!(
            out,
            "<p class=\"type\">Problem type <code>{}</code></p>",
            Esc(kind)
        );
    }
    _ = write!(
        out,
        "<p><a href=\"{}\">Back to the API root</a></p>",
        Esc(&view.root)
    );
}

/// The resource's own properties (everything not starting with `_`).
fn properties(out: &mut String, document: &Value) {
    let Some(map) = document.as_object() else {
        return;
    };
    let mut rows = map.iter().filter(|(k, _)| !k.starts_with('_')).peekable();
    if rows.peek().is_none() {
        return;
    }
    out.push_str("<section id=\"properties\"><h2>Properties</h2><table><tbody>");
    property_rows(out, rows);
    out.push_str("</tbody></table></section>");
}

/// A table row per property: its name, and its value as [`property`] shows it.
fn property_rows<'a>(out: &mut String, rows: impl Iterator<Item = (&'a String, &'a Value)>) {
    for (name, value) in rows {
        _ = write!(out, "<tr><th scope=\"row\">{}</th><td>", Esc(name));
        property(out, value);
        out.push_str("</td></tr>");
    }
}

/// One value: scalars as text, objects as nested tables, arrays as lists.
fn property(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("<span class=\"null\">none</span>"),
        Value::String(text) => _ = write!(out, "{}", Esc(text)),
        Value::Array(items) => {
            out.push_str("<ul class=\"values\">");
            for item in items {
                out.push_str("<li>");
                property(out, item);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Value::Object(map) => {
            out.push_str("<table class=\"nested\"><tbody>");
            property_rows(out, map.iter());
            out.push_str("</tbody></table>");
        }
        other => _ = write!(out, "{other}"),
    }
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

fn links(out: &mut String, document: &Value) {
    let Some(map) = document["_links"].as_object() else {
        return;
    };
    out.push_str("<section id=\"links\"><h2>Links</h2><table><tbody>");
    let rels = map.iter().filter(|(rel, _)| *rel == "self").chain(
        map.iter()
            .filter(|(rel, _)| *rel != "self" && *rel != "curies"),
    );
    for (rel, value) in rels {
        _ = write!(out, "<tr><th scope=\"row\">{}</th><td>", Esc(rel));
        let objects = link_objects(value);
        if objects.is_empty() {
            out.push_str("<span class=\"null\">none</span>");
        }
        out.push_str("<ul class=\"links\">");
        for link in objects {
            out.push_str("<li>");
            anchor(out, rel, link);
            out.push_str("</li>");
        }
        out.push_str("</ul></td></tr>");
    }
    out.push_str("</tbody></table></section>");
    pagination(out, map);
}

/// One link: an anchor, or for a templated link a form asking for its variables.
fn anchor(out: &mut String, rel: &str, link: &Value) {
    let href = link["href"].as_str().unwrap_or_default();
    if link["templated"] == true {
        _ = write!(
            out,
            "<form class=\"templated-link\" data-href=\"{href}\" data-rel=\"{rel}\">\
             <code>{href}</code>",
            href = Esc(href),
            rel = Esc(rel)
        );
        for (variable, optional) in template_variables(href) {
            _ = write!(
                out,
                " <label>{name} <input name=\"{name}\" size=\"10\"{required}></label>",
                name = Esc(&variable),
                required = if optional { "" } else { " required" },
            );
        }
        out.push_str(" <button type=\"submit\">Go</button></form>");
        return;
    }
    let text = link["title"].as_str().unwrap_or(href);
    if is_web_link(href) {
        _ = write!(
            out,
            "<a href=\"{}\" data-rel=\"{}\">{}</a>",
            Esc(href),
            Esc(rel),
            Esc(text)
        );
    } else {
        _ = write!(out, "<code>{}</code>", Esc(text));
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
fn pagination(out: &mut String, links: &Map<String, Value>) {
    let pages = [
        ("first", "First page"),
        ("prev", "Previous page"),
        ("next", "Next page"),
        ("last", "Last page"),
    ];
    if !pages.iter().any(|(rel, _)| links.contains_key(*rel)) {
        return;
    }
    out.push_str("<nav aria-label=\"Pagination\" class=\"pagination\">");
    for (rel, text) in pages {
        if let Some(href) = links
            .get(rel)
            .and_then(|l| l["href"].as_str())
            .filter(|h| is_web_link(h))
        {
            _ = write!(out, "<a rel=\"{rel}\" href=\"{}\">{text}</a>", Esc(href));
        }
    }
    out.push_str("</nav>");
}

/// Embedded resources: a table per relation, a row per resource, its label linking to it.
fn embedded(out: &mut String, document: &Value) {
    let Some(map) = document["_embedded"].as_object() else {
        return;
    };
    out.push_str("<section id=\"embedded\"><h2>Embedded</h2>");
    for (rel, value) in map {
        let items = link_objects(value);
        let mut columns: Vec<&str> = Vec::new();
        for item in &items {
            for key in item.as_object().into_iter().flat_map(|m| m.keys()) {
                if !key.starts_with('_') && !columns.contains(&key.as_str()) {
                    columns.push(key);
                }
            }
        }
        _ = write!(
            out,
            "<h3>{rel} <span class=\"count\">({count})</span></h3>\
             <table class=\"items\" data-rel=\"{rel}\"><thead><tr><th scope=\"col\">{rel}</th>",
            rel = Esc(rel),
            count = items.len()
        );
        for column in &columns {
            _ = write!(out, "<th scope=\"col\">{}</th>", Esc(column));
        }
        out.push_str("</tr></thead><tbody>");
        for item in &items {
            let text = label(item)
                .or_else(|| item["id"].as_i64().map(|id| format!("#{id}")))
                .unwrap_or_else(|| rel.clone());
            out.push_str("<tr><td>");
            match item["_links"]["self"]["href"]
                .as_str()
                .filter(|h| is_web_link(h))
            {
                Some(href) => _ = write!(out, "<a href=\"{}\">{}</a>", Esc(href), Esc(&text)),
                None => _ = write!(out, "{}", Esc(&text)),
            }
            out.push_str("</td>");
            for column in &columns {
                out.push_str("<td>");
                match &item[*column] {
                    Value::Null => {}
                    Value::String(text) => _ = write!(out, "{}", Esc(text)),
                    other => _ = write!(out, "{}", Esc(&other.to_string())),
                }
                out.push_str("</td>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

/// A form per HAL-FORMS template, `default` first. The page's script sends them.
fn forms(out: &mut String, document: &Value) {
    let Some(templates) = document["_templates"].as_object().filter(|t| !t.is_empty()) else {
        return;
    };
    out.push_str("<section id=\"forms\"><h2>Actions</h2><div class=\"forms\">");
    let ordered = templates
        .iter()
        .filter(|(key, _)| *key == "default")
        .chain(templates.iter().filter(|(key, _)| *key != "default"));
    for (key, template) in ordered {
        form(out, document, key, template);
    }
    out.push_str("</div></section>");
}

fn form(out: &mut String, document: &Value, key: &str, template: &Value) {
    let method = template["method"].as_str().unwrap_or("GET");
    let target = template["target"].as_str().unwrap_or_default();
    let title = template["title"].as_str().unwrap_or(key);
    let path = Url::parse(target)
        .map(|u| match u.query() {
            Some(query) => format!("{}?{query}", u.path()),
            None => u.path().to_owned(),
        })
        .unwrap_or_else(|_| target.to_owned());
    _ = write!(
        out,
        "<form class=\"hal-form\" data-template=\"{key}\" data-method=\"{method}\" \
         data-target=\"{target}\" data-content-type=\"{content_type}\">\
         <h3>{title}</h3><p class=\"request\"><code>{method} {path}</code></p>",
        key = Esc(key),
        method = Esc(method),
        target = Esc(target),
        content_type = Esc(template["contentType"].as_str().unwrap_or_default()),
        title = Esc(title),
        path = Esc(&path),
    );
    // An update starts from what the resource holds now.
    let current = |name: &str| match (method, &document[name]) {
        ("PATCH" | "PUT", Value::String(text)) => Some(text.clone()),
        ("PATCH" | "PUT", Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    for property in template["properties"].as_array().into_iter().flatten() {
        let name = property["name"].as_str().unwrap_or_default();
        let value = match &property["value"] {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => current(name).or_else(|| linked(document, &property["options"])),
        };
        field(out, property, name, value.as_deref());
    }
    // The button says what it does: the title's verb ("Link", "Unlink"), or its words
    // before a colon ("Check out: turn the cart into an order").
    let verb = match title.split_once(':') {
        Some((short, _)) if short.split_whitespace().count() <= 3 => short,
        _ => title.split_whitespace().next().unwrap_or("Send"),
    };
    _ = write!(
        out,
        "<div class=\"actions\"><button type=\"submit\"{class}>{verb}</button></div>\
         <p class=\"outcome\" role=\"status\" aria-live=\"polite\"></p></form>",
        class = if method == "DELETE" {
            " class=\"danger\""
        } else {
            ""
        },
        verb = Esc(verb),
    );
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

/// One template property as a labelled control: a list for `options`, else an input
/// of the property's type.
fn field(out: &mut String, property: &Value, name: &str, value: Option<&str>) {
    let required = property["required"] == true;
    let prompt = property["prompt"].as_str().unwrap_or(name);
    let kind = property["type"].as_str().unwrap_or("text");
    _ = write!(
        out,
        "<label><span class=\"prompt\">{}{}</span>",
        Esc(prompt),
        if required { " *" } else { "" }
    );
    let mut attributes = format!(" name=\"{}\" data-type=\"{}\"", Esc(name), Esc(kind));
    if required {
        attributes.push_str(" required");
    }
    if property["readOnly"] == true {
        attributes.push_str(" readonly");
    }
    // A fixed value (the book a relation form is for) is shown, not chosen.
    let options = match property["readOnly"] == true && value.is_some() {
        true => &Value::Null,
        false => &property["options"],
    };
    if let Some(choices) = options["inline"].as_array() {
        _ = write!(out, "<select{attributes}>");
        if !required {
            out.push_str("<option value=\"\">(none)</option>");
        }
        for choice in choices {
            let (text, choice_value) = match choice {
                Value::String(text) => (text.as_str(), text.as_str()),
                other => (
                    other["prompt"].as_str().unwrap_or_default(),
                    other["value"].as_str().unwrap_or_default(),
                ),
            };
            let selected = if Some(choice_value) == value {
                " selected"
            } else {
                ""
            };
            _ = write!(
                out,
                "<option value=\"{}\"{selected}>{}</option>",
                Esc(choice_value),
                Esc(text)
            );
        }
        out.push_str("</select>");
    } else if let Some(href) = options["link"]["href"].as_str() {
        // Filled by the page's script from the linked collection.
        let multiple = options.get("maxItems").and_then(Value::as_u64) != Some(1);
        _ = write!(
            out,
            "<select{attributes}{multiple} data-options=\"{href}\" data-value-field=\"{vf}\" \
             data-prompt-field=\"{pf}\" data-value=\"{value}\"><option value=\"\">loading…</option></select>",
            multiple = if multiple { " multiple" } else { "" },
            href = Esc(href),
            vf = Esc(options["valueField"].as_str().unwrap_or("id")),
            pf = Esc(options["promptField"].as_str().unwrap_or_default()),
            value = Esc(value.unwrap_or_default()),
        );
    } else {
        let input_type = match kind {
            "email" | "number" | "date" | "url" | "password" => kind,
            _ => "text",
        };
        _ = write!(out, "<input type=\"{input_type}\"{attributes}");
        for (key, attribute) in [("min", "min"), ("max", "max"), ("maxLength", "maxlength")] {
            if let Some(n) = property[key].as_i64() {
                _ = write!(out, " {attribute}=\"{n}\"");
            }
        }
        if let Some(value) = value {
            _ = write!(out, " value=\"{}\"", Esc(value));
        }
        out.push('>');
    }
    out.push_str("</label>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup_and_no_way_out_of_an_attribute() {
        let escape = |text: &str| Esc(text).to_string();
        assert_eq!(
            escape(r#"<script>alert("1")</script> & 'x'"#),
            "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &amp; &#39;x&#39;"
        );
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("ünïcödé"), "ünïcödé");
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
}
