//! HAL-FORMS `_templates`, derived from the same descriptors that validate writes and
//! register routes: an [`Entity`]'s fields give the properties, each [`View`] of a pair
//! and each [`Children`] the relationship templates. Nothing here is written per
//! resource, so a form can never offer a write the routes do not take.
//!
//! Every template names its `target`, even one that acts on the resource itself: the
//! same body is served at other URLs too (`/books/1/authors/3` shows author 3), and a
//! form without a target would then aim at the wrong place.

use serde_json::{json, Map, Value};

use crate::hal::Links;
use crate::relations::children::Children;
use crate::relations::{self, View};
use crate::resources::entity::{Access, Entity, Kind};

/// The name of the property that labels `entity`'s resources (`name` for an author),
/// used as the `promptField` of option lists that pick one.
fn prompt_field(entity: &Entity) -> Option<&'static str> {
    let label = entity.label?;
    entity
        .fields
        .iter()
        .find(|f| f.column == label)
        .map(|f| f.name)
}

/// `options` that let a client pick one resource of `target` by its id.
fn pick_one(links: &Links, target: &Entity, value_field: &str) -> Value {
    let mut options = json!({
        "link": { "href": links.href(target.path), "type": "application/hal+json" },
        "valueField": value_field,
        "minItems": 1,
        "maxItems": 1,
    });
    if let Some(prompt) = prompt_field(target) {
        options["promptField"] = json!(prompt);
    }
    options
}

/// The template properties of an entity's writable fields. `skip_column` leaves out the
/// field a target URL already fixes (a line item's invoice).
fn properties(
    links: &Links,
    entity: &Entity,
    for_create: bool,
    skip_column: Option<&str>,
) -> Vec<Value> {
    entity
        .fields
        .iter()
        .filter(|f| f.access != Access::ReadOnly && (for_create || f.access != Access::Immutable))
        .filter(|f| Some(f.column) != skip_column)
        .map(|field| {
            let mut property = json!({
                "name": field.name,
                "prompt": field.name,
                "required": for_create && matches!(field.access, Access::Required | Access::Immutable),
            });
            match field.kind {
                Kind::Text { max } => {
                    property["type"] = json!("text");
                    property["maxLength"] = json!(max);
                }
                Kind::Email { .. } => {
                    property["type"] = json!("email");
                    property["regex"] = json!(r"^[^@\s]+@[^@\s]+\.[^@\s]+$");
                }
                Kind::Int { min, max } => {
                    property["type"] = json!("number");
                    property["min"] = json!(min);
                    property["max"] = json!(max);
                }
                Kind::Date => {
                    property["type"] = json!("date");
                    property["regex"] = json!(r"^\d{4}-\d{2}-\d{2}$");
                }
                Kind::Choice(choices) => {
                    property["type"] = json!("text");
                    property["options"] = json!({
                        "inline": choices,
                        "minItems": 1,
                        "maxItems": 1,
                    });
                }
                Kind::Money => {
                    property["type"] = json!("text");
                    property["regex"] = json!(r"^\d+(\.\d{1,2})?$");
                }
                Kind::Share { .. } => {
                    property["type"] = json!("text");
                    property["regex"] = json!(r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$");
                }
                Kind::Ref { target, .. } => {
                    property["type"] = json!("number");
                    property["options"] = pick_one(links, target, "id");
                }
            }
            property
        })
        .collect()
}

/// "a book", "an author": template titles are read by people.
fn a(name: &str) -> String {
    // No 'u': every name here that starts with one says "you" (a user).
    let article = if name.starts_with(['a', 'e', 'i', 'o']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// One template.
fn template(
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

/// The templates of a pair's view on item `id`: link (POST `text/uri-list`), replace
/// the set (PUT `text/uri-list`), create-and-link, unlink each linked item, `:add` and
/// `:remove`, and the cross-resource's create and bulk delete narrowed to this item.
fn view_templates(
    links: &Links,
    view: View,
    id: i64,
    linked: &[(String, String)],
    out: &mut Map<String, Value>,
) {
    let (from, to) = (view.from.entity, view.to.entity);
    let collection = links.href(&view.collection_path(id));
    // A text/uri-list line is a URI: the option's value is the resource's self link.
    let uri_property = |multiple: bool| {
        let mut options = pick_one(links, to, "_links.self.href");
        if multiple {
            options["minItems"] = json!(0);
            if let Some(map) = options.as_object_mut() {
                map.remove("maxItems");
            }
        }
        json!({
            "name": to.name,
            "prompt": format!("The {} to link", to.name),
            "type": "url",
            "required": !multiple,
            "options": options,
        })
    };
    if view.pair.styles.sub_resources {
        out.insert(
            format!("link-{}", to.path),
            template(
                format!("Link an existing {} to this {}", to.name, from.name),
                "POST",
                &collection,
                Some("text/uri-list"),
                vec![uri_property(false)],
            ),
        );
        out.insert(
            format!("set-{}", to.path),
            template(
                format!("Replace this {}'s {}", from.name, to.path),
                "PUT",
                &collection,
                Some("text/uri-list"),
                vec![uri_property(true)],
            ),
        );
        out.insert(
            format!("create-{}", to.path),
            template(
                format!("Create {} linked to this {}", a(to.name), from.name),
                "POST",
                &collection,
                Some("application/json"),
                properties(links, to, true, None),
            ),
        );
        for (href, title) in linked {
            let Some(other) = href.rsplit('/').next() else {
                continue;
            };
            out.insert(
                format!("unlink-{}-{other}", to.name),
                template(
                    format!("Unlink {title}"),
                    "DELETE",
                    &format!("{collection}/{other}"),
                    None,
                    Vec::new(),
                ),
            );
        }
    }
    if view.pair.styles.add_remove && std::ptr::eq(view.from, &view.pair.left) {
        for verb in ["add", "remove"] {
            out.insert(
                format!("{verb}-{}", to.path),
                template(
                    format!(
                        "{} {} {} this {}",
                        if verb == "add" { "Add" } else { "Remove" },
                        a(to.name),
                        if verb == "add" { "to" } else { "from" },
                        from.name
                    ),
                    "POST",
                    &format!("{collection}:{verb}"),
                    Some("application/json"),
                    vec![json!({
                        "name": to.name,
                        "prompt": format!("The {}", to.name),
                        "type": "number",
                        "required": true,
                        "options": pick_one(links, to, "id"),
                    })],
                ),
            );
        }
    }
    if let Some(cross) = view.pair.styles.cross {
        // The side this item is on is fixed by the form: prefilled and read-only.
        let mut props = properties(links, cross, true, None);
        for property in &mut props {
            let is_from = cross
                .fields
                .iter()
                .any(|f| Some(f.name) == property["name"].as_str() && f.column == view.from.column);
            if is_from {
                property["value"] = json!(id);
                property["readOnly"] = json!(true);
            }
        }
        out.insert(
            format!("create-{}", cross.path),
            template(
                format!(
                    "Relate this {} to {}, with properties",
                    from.name,
                    a(to.name)
                ),
                "POST",
                &links.href(cross.path),
                Some("application/json"),
                props,
            ),
        );
        out.insert(
            format!("delete-{}", cross.path),
            template(
                format!("Delete every {} of this {}", cross.name, from.name),
                "DELETE",
                &links.href_query(cross.path, &[(view.from.column, &id.to_string())]),
                None,
                Vec::new(),
            ),
        );
    }
}

/// The template creating a child under item `id`.
fn children_template(links: &Links, children: &Children, id: i64) -> Value {
    template(
        format!(
            "Create {} of this {}",
            a(children.child.name),
            children.parent.name
        ),
        "POST",
        &links.href(&children.collection_path(id)),
        Some("application/json"),
        properties(links, children.child, true, Some(children.column)),
    )
}

/// A single resource's templates: `default` updates it (PATCH), `delete` deletes it,
/// and one per relationship write it allows. `body` is its rendered HAL body (the id,
/// `self` and the item-link arrays come from it).
pub fn item(links: &Links, entity: &'static Entity, body: &Value) -> Value {
    let self_href = body["_links"]["self"]["href"].as_str().unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "default".into(),
        template(
            format!("Update the {}", entity.name),
            "PATCH",
            self_href,
            Some("application/json"),
            properties(links, entity, false, None),
        ),
    );
    out.insert(
        "delete".into(),
        template(
            format!("Delete the {}", entity.name),
            "DELETE",
            self_href,
            None,
            Vec::new(),
        ),
    );
    if let Some(id) = body["id"].as_i64() {
        for view in relations::views_from(entity) {
            let linked: Vec<(String, String)> = body["_links"][view.to.entity.path]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|l| {
                            let href = l["href"].as_str()?.to_owned();
                            let title = l["title"].as_str().unwrap_or(&href).to_owned();
                            Some((href, title))
                        })
                        .collect()
                })
                .unwrap_or_default();
            view_templates(links, view, id, &linked, &mut out);
        }
        for children in relations::children_of(entity) {
            out.insert(
                format!("create-{}", children.child.path),
                children_template(links, children, id),
            );
        }
    }
    Value::Object(out)
}

/// A collection's template: `default` creates a member (POST) at `target`, the
/// collection's own URL when it takes POST. `None` (a list that only reads, such as a
/// group's users) gives no template.
pub fn collection(links: &Links, entity: &Entity, target: Option<&str>) -> Value {
    let Some(target) = target else {
        return json!({});
    };
    json!({
        "default": template(
            format!("Create {}", a(entity.name)),
            "POST",
            &links.href(target),
            Some("application/json"),
            properties(links, entity, true, None),
        ),
    })
}

/// Templates of a resource that is not an [`Entity`] (the cart and its parts): each
/// `(key, title, method, target path, properties)`.
pub fn custom(links: &Links, templates: &[(&str, String, &str, &str, Vec<Value>)]) -> Value {
    let mut out = Map::new();
    for (key, title, method, target, props) in templates {
        let content_type = (*method != "DELETE").then_some("application/json");
        out.insert(
            (*key).to_owned(),
            template(
                title.clone(),
                method,
                &links.href(target),
                content_type,
                props.clone(),
            ),
        );
    }
    Value::Object(out)
}

/// The properties of an entity's writable fields, for [`custom`] templates.
pub fn entity_properties(links: &Links, entity: &Entity, for_create: bool) -> Vec<Value> {
    properties(links, entity, for_create, None)
}
