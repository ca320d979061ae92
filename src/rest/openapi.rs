//! The OpenAPI vocabulary: schemas of an entity's representation and bodies, examples,
//! parameters, and an operation builder that knows the problem statuses. `api::openapi`
//! assembles the document; each relationship style adds its paths with these.

use serde_json::{json, Map, Value};

use super::narrowing;
use super::style::Site;
use crate::model::{Access, Entity, Kind};

/// A reference to the schema of `entity`'s representation.
pub(crate) fn item(entity: &Entity) -> Value {
    reference(&schema_name(entity))
}

/// A reference to the schema of a paginated list.
pub(crate) fn list() -> Value {
    reference("Collection")
}

/// A schema name for an entity: "cart item" → `CartItem`.
pub(crate) fn schema_name(entity: &Entity) -> String {
    entity
        .name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

pub(crate) fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Makes a schema accept null, in the dialect of the document's version.
pub(crate) fn nullable(mut schema: Value, legacy: bool) -> Value {
    if legacy {
        schema["nullable"] = json!(true);
    } else if let Some(ty) = schema["type"].as_str() {
        schema["type"] = json!([ty, "null"]);
    }
    schema
}

/// The schema of one field's value.
pub(crate) fn field_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text { max } => json!({ "type": "string", "maxLength": max }),
        Kind::Email { .. } => json!({ "type": "string", "format": "email" }),
        Kind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Timestamp => json!({ "type": "string", "format": "date-time" }),
        Kind::Decimal { scale, .. } => {
            json!({ "type": "string", "pattern": format!(r"^-?\d+(\.\d{{1,{scale}}})?$") })
        }
        Kind::Choice(choices) => json!({ "type": "string", "enum": choices }),
        Kind::Money => json!({ "type": "string", "pattern": r"^\d+\.\d{2}$" }),
        Kind::Share { .. } => json!({ "type": "string", "pattern": r"^\d(\.\d{1,4})?$" }),
        Kind::Ref { .. } => json!({ "type": "integer", "minimum": 0 }),
    }
}

/// A valid example value for a field (`n` makes unique values differ).
pub(crate) fn field_example(entity: &Entity, name: &str, kind: Kind, n: usize) -> Value {
    match kind {
        Kind::Text { max } => {
            let text = if name == "expiry" {
                "12/39".to_owned()
            } else {
                format!("Example {} {n}", entity.name)
            };
            json!(text.chars().take(max).collect::<String>())
        }
        Kind::Email { .. } => json!(format!("reader{n}@example.org")),
        Kind::Int { min, .. } => json!(min.max(1)),
        Kind::Date => json!("2026-11-01"),
        Kind::Timestamp => json!("2026-11-01T09:30:00Z"),
        Kind::Decimal { scale, min, max } => {
            json!(crate::decimal::format(0.clamp(min, max), scale))
        }
        Kind::Choice(choices) => json!(choices.first().copied().unwrap_or_default()),
        Kind::Money => json!("9.99"),
        Kind::Share { .. } => json!("0.0500"),
        Kind::Ref { .. } => json!(1),
    }
}

/// The representation of an entity's resources; the parts of a singleton are columns
/// of its row and have no id of their own.
pub(crate) fn output_schema(entity: &Entity, has_id: bool, legacy: bool) -> Value {
    let mut properties = Map::new();
    let mut required = vec![json!("_links")];
    if has_id {
        properties.insert("id".into(), json!({ "type": "integer" }));
        required.push(json!("id"));
    }
    for field in entity.fields {
        let schema = field_schema(field.kind);
        // Optional and computed properties may be null; the required ones never are.
        let schema = if field.access == Access::Required || field.access == Access::Immutable {
            schema
        } else {
            nullable(schema, legacy)
        };
        properties.insert(field.name.into(), schema);
    }
    properties.insert("_links".into(), reference("Links"));
    properties.insert("_embedded".into(), json!({ "type": "object" }));
    properties.insert("_templates".into(), json!({ "type": "object" }));
    json!({ "type": "object", "required": required, "properties": properties })
}

/// A request body for an entity: every writable property, `required` when creating.
pub(crate) fn input_schema(entity: &Entity, create: bool, legacy: bool) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in entity
        .fields
        .iter()
        .filter(|f| f.access != Access::ReadOnly)
    {
        let mut schema = field_schema(field.kind);
        if field.access == Access::Optional || field.access == Access::Assigned {
            schema = nullable(schema, legacy);
        } else if create || field.access == Access::Required {
            required.push(json!(field.name));
        }
        properties.insert(field.name.into(), schema);
    }
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() && create {
        schema["required"] = json!(required);
    }
    schema
}

/// A valid example body creating (or replacing) one of `entity`, leaving out the
/// column a URL already fixes.
pub(crate) fn input_example(entity: &Entity, skip_column: Option<&str>, n: usize) -> Value {
    let mut body = Map::new();
    for field in entity
        .fields
        .iter()
        .filter(|f| f.access != Access::ReadOnly && Some(f.column) != skip_column)
    {
        if field.access == Access::Assigned {
            continue;
        }
        body.insert(
            field.name.into(),
            field_example(entity, field.name, field.kind, n),
        );
    }
    Value::Object(body)
}

pub(crate) fn id_param(name: &str, example: i64) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "schema": { "type": "integer", "minimum": 0 }, "example": example })
}

pub(crate) fn query_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" },
            "description": description })
}

/// Builds operations; knows the problem statuses and the security scheme.
pub(crate) struct Op {
    value: Value,
}

impl Op {
    pub(crate) fn new(summary: String, ok: &str, body: Option<Value>, problems: &[&str]) -> Op {
        let mut responses = Map::new();
        let success = match &body {
            Some(schema) if ok != "204" => json!({ "description": "success",
                "content": { "application/hal+json": { "schema": schema } } }),
            _ => json!({ "description": "success, no content" }),
        };
        responses.insert(ok.into(), success);
        for status in problems {
            responses.insert(
                (*status).into(),
                json!({ "$ref": format!("#/components/responses/Problem{status}") }),
            );
        }
        Op {
            value: json!({ "summary": summary, "responses": responses }),
        }
    }

    pub(crate) fn also(mut self, status: &str, description: &str, schema: Option<Value>) -> Op {
        self.value["responses"][status] = match schema {
            Some(schema) => json!({ "description": description,
                "content": { "application/hal+json": { "schema": schema } } }),
            None => json!({ "description": description }),
        };
        self
    }

    pub(crate) fn json_body(mut self, schema: Value, example: Value) -> Op {
        // One media type: `application/hal+json` (and `merge-patch+json` for PATCH) are
        // taken too, as the description says, but listing them would make testers such
        // as dredd send every example three times.
        self.value["requestBody"] = json!({ "required": true,
            "description": "application/json; also application/hal+json, and for PATCH application/merge-patch+json",
            "content": { "application/json": { "schema": schema, "example": example } } });
        self
    }

    pub(crate) fn uri_list_body(mut self, example: &str) -> Op {
        self.value["requestBody"] = json!({ "required": true, "content": {
            "text/uri-list": { "schema": { "type": "string" }, "example": example } } });
        self
    }

    pub(crate) fn params(mut self, params: Vec<Value>) -> Op {
        self.value["parameters"] = Value::Array(params);
        self
    }

    pub(crate) fn secured(mut self) -> Op {
        self.value["security"] = json!([{ "bearer": [] }]);
        self.value["responses"]["401"] = json!({ "$ref": "#/components/responses/Problem401" });
        self
    }

    pub(crate) fn done(self) -> Value {
        self.value
    }
}

pub(crate) const READ: &[&str] = &["400", "404"];
/// PUT and PATCH of an item.
pub(crate) const UPDATE: &[&str] = &["400", "404", "409", "412", "413", "415", "422"];
/// POST creating a resource in a collection that always exists.
pub(crate) const CREATE: &[&str] = &["400", "409", "413", "415", "422"];
/// POST under a resource named in the path.
pub(crate) const CREATE_UNDER: &[&str] = &["400", "404", "409", "413", "415", "422"];
/// A write to a singleton that always exists (the cart's parts).
pub(crate) const PART: &[&str] = &["400", "412", "413", "415"];

pub(crate) fn page_params(site: Site, entity: &'static Entity, narrowing: bool) -> Vec<Value> {
    let mut params = vec![
        json!({ "name": "maxPageSize", "in": "query", "required": false,
                "schema": { "type": "integer", "minimum": 0 },
                "description": "Items a page (default 25, at most 1000; 0 means the default)." }),
        query_param(
            "pageToken",
            "The opaque token of the next page, from `nextPageToken`.",
        ),
        query_param(
            "filter",
            "An AIP-160 subset: `title : \"dune\" AND price < 10`.",
        ),
    ];
    if narrowing {
        for name in narrowing::names(site, entity, None) {
            params.push(query_param(&name, "Narrows the list to the resources related to this one (an id for `*_id`, a hyperlink otherwise)."));
        }
    }
    params
}
