//! The HAL-FORMS vocabulary: a template, an option list that picks resources from a
//! collection, and the article of a title. What the templates of a resource are is
//! derived from the model in `rest::forms`.

use serde_json::{json, Value};

use super::Links;

/// One template.
pub(crate) fn template(
    title: String,
    method: &str,
    target: &str,
    content_type: Option<&str>,
    properties: Vec<Value>,
) -> Value {
    let mut t = json!({
        "title": title,
        "method": method,
        "target": target,
        "properties": properties,
    });
    if let Some(content_type) = content_type {
        t["contentType"] = json!(content_type);
    }
    t
}

/// `options` that let a client pick one resource of the collection at `path` by
/// `value_field`, shown by `prompt_field` when the resources have a label.
pub(crate) fn pick_one(
    links: &Links,
    path: &str,
    prompt_field: Option<&str>,
    value_field: &str,
) -> Value {
    let mut options = json!({
        "link": { "href": links.href(path), "type": "application/hal+json" },
        "valueField": value_field,
        "minItems": 1,
        "maxItems": 1,
    });
    if let Some(prompt) = prompt_field {
        options["promptField"] = json!(prompt);
    }
    options
}

/// "a book", "an author": template titles are read by people.
pub(crate) fn a(name: &str) -> String {
    // No 'u': every name here that starts with one says "you" (a user).
    let article = if name.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// A prompt made from a resource's name: "author" → "Author", "books" → "Books".
pub(crate) fn sentence(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
