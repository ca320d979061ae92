//! HAL-FORMS `_templates`, derived from the same descriptors that validate writes and
//! register routes: an [`Entity`]'s fields give the properties, each style of a pair and
//! each one-to-many relationship the relationship templates. Nothing here is written per
//! resource, so a form can never offer a write the routes do not take.
//!
//! Every template names its `target`, even one that acts on the resource itself: the
//! same body is served at other URLs too (`/books/1/authors/3` shows author 3), and a
//! form without a target would then aim at the wrong place.

use serde_json::{json, Map, Value};

use super::style::Site;
use crate::hal::forms::{a, pick_one, template};
use crate::hal::Links;
use crate::model::{Access, Children, Entity, Kind};

/// `options` that let a client pick one resource of `target` by `value_field`.
pub(crate) fn pick(links: &Links, target: &Entity, value_field: &str) -> Value {
    pick_one(links, target.path, target.label_property(), value_field)
}

/// The template properties of an entity's writable fields. `skip_column` leaves out the
/// field a target URL already fixes (a line item's invoice).
pub(crate) fn properties(
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
                "prompt": field.prompt,
                "help": field.help,
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
                Kind::Timestamp => {
                    property["type"] = json!("text");
                    property["regex"] = json!(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$");
                }
                Kind::Decimal { scale, .. } => {
                    property["type"] = json!("text");
                    property["regex"] = json!(format!(r"^-?\d+(\.\d{{1,{scale}}})?$"));
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
                    property["options"] = pick(links, target, "id");
                }
            }
            property
        })
        .collect()
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
pub(crate) fn item(site: Site, links: &Links, entity: &'static Entity, body: &Value) -> Value {
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
        for view in site.model.views_from(entity) {
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
            for style in site.styles_of(view.pair) {
                style.forms(links, view, id, &linked, &mut out);
            }
        }
        for children in site.model.children_of(entity) {
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
pub(crate) fn collection(links: &Links, entity: &Entity, target: Option<&str>) -> Value {
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
pub(crate) fn custom(links: &Links, templates: &[(&str, String, &str, &str, Vec<Value>)]) -> Value {
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

/// The templates of a singleton's part: `default` replaces it (PUT, with `properties`),
/// `update` patches it (the same properties, none required).
pub(crate) fn part(links: &Links, entity: &Entity, properties: Vec<Value>) -> Value {
    let optional: Vec<Value> = properties
        .iter()
        .cloned()
        .map(|mut p| {
            p["required"] = json!(false);
            p
        })
        .collect();
    custom(
        links,
        &[
            (
                "default",
                format!("Replace the {}", entity.name),
                "PUT",
                entity.path,
                properties,
            ),
            (
                "update",
                format!("Update the {}", entity.name),
                "PATCH",
                entity.path,
                optional,
            ),
        ],
    )
}
