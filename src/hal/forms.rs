//! HAL-FORMS `_templates`, derived from the same descriptors that validate writes.

use serde_json::{json, Value};

use crate::hal::Links;
use crate::resources::entity::{Access, Entity, Kind};

/// The template properties of an entity's writable fields.
fn properties(links: &Links, entity: &Entity, for_create: bool) -> Vec<Value> {
    entity
        .fields
        .iter()
        .filter(|f| f.access != Access::ReadOnly && (for_create || f.access != Access::Immutable))
        .map(|field| {
            let mut property = json!({
                "name": field.name,
                "prompt": field.name,
                "required": matches!(field.access, Access::Required | Access::Immutable),
            });
            match field.kind {
                Kind::Text { max } => {
                    property["type"] = json!("text");
                    property["maxLength"] = json!(max);
                }
                Kind::Email { .. } => {
                    property["type"] = json!("email");
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
                    property["options"] = json!({
                        "link": { "href": links.href(target.path) },
                        "maxItems": 1,
                    });
                }
            }
            property
        })
        .collect()
}

/// A single resource's templates: `default` updates it (PATCH), `delete` deletes it.
pub fn item(links: &Links, entity: &Entity) -> Value {
    json!({
        "default": {
            "title": format!("Update the {}", entity.name),
            "method": "PATCH",
            "contentType": "application/json",
            "properties": properties(links, entity, false),
        },
        "delete": {
            "title": format!("Delete the {}", entity.name),
            "method": "DELETE",
            "properties": [],
        },
    })
}

/// A collection's template: `default` creates a member (POST).
pub fn collection(links: &Links, entity: &Entity) -> Value {
    json!({
        "default": {
            "title": format!("Create a {}", entity.name),
            "method": "POST",
            "contentType": "application/json",
            "properties": properties(links, entity, true),
        },
    })
}
