//! The OpenAPI vocabulary: schemas of an entity's representation and bodies, examples,
//! parameters, and an operation builder that knows the problem statuses. `api::openapi`
//! assembles the document; each relationship style adds its paths with these.

use serde_json::{json, Map, Value};

use super::input::number_limit;
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

/// A schema name for an entity: "cart item" → `CartItem`. A resource under another
/// path (`cart/payment`) is prefixed with it unless its name already is (`CartPayment`,
/// but `CartItem`), so it does not take the name of a collection's (the invoices'
/// `Payment`).
pub(crate) fn schema_name(entity: &Entity) -> String {
    let camel = |text: &str| -> String {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            })
            .collect()
    };
    let name = camel(entity.name);
    match entity.path.rsplit_once('/') {
        Some((under, _)) if !name.starts_with(&camel(under)) => camel(under) + &name,
        _ => name,
    }
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
    } else if let Some(branches) = schema["anyOf"].as_array_mut() {
        branches.push(json!({ "type": "null" }));
    }
    schema
}

/// The characters Rust's `char::is_whitespace` (Unicode `White_Space`) matches, as a
/// regular-expression class body: a text of only these is refused as empty.
const WHITESPACE: &str =
    r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// A text field: not only whitespace, no NUL (the checks of `rest::input`).
fn text_pattern() -> String {
    format!(r"^[^\u0000]*[^\u0000{WHITESPACE}][^\u0000]*$")
}

/// A decimal string with at most `scale` decimals and at most 16 whole digits (more
/// would not fit the scaled 64-bit integer it is stored as).
fn decimal_pattern(negative: bool, scale: u32) -> String {
    let sign = if negative { "-?" } else { "" };
    if scale == 0 {
        format!(r"^{sign}[0-9]{{1,16}}$")
    } else {
        format!(r"^{sign}[0-9]{{1,16}}(\.[0-9]{{1,{scale}}})?$")
    }
}

/// The schema of one field's value, exactly what `rest::input` accepts.
pub(crate) fn field_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text { max } => {
            json!({ "type": "string", "minLength": 1, "maxLength": max, "pattern": text_pattern() })
        }
        Kind::Email { .. } => json!({ "type": "string", "format": "email", "maxLength": 254 }),
        Kind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Timestamp => json!({ "type": "string", "format": "date-time",
            "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?Z$",
            "description": "UTC, with a `Z`" }),
        Kind::Decimal { scale, min, max } => decimal_schema(
            json!({ "type": "string", "pattern": decimal_pattern(min < 0, scale) }),
            scale,
            to_f64(min, scale).max(-number_limit(scale)),
            to_f64(max, scale).min(number_limit(scale)),
            format!(
                "A decimal string from {} to {}",
                crate::decimal::format(min, scale),
                crate::decimal::format(max, scale)
            ),
        ),
        Kind::Choice(choices) => json!({ "type": "string", "enum": choices }),
        Kind::Money => decimal_schema(
            json!({ "type": "string", "pattern": decimal_pattern(false, 2) }),
            2,
            0.0,
            number_limit(2),
            "A decimal string, at most two decimals (up to 92233720368547758.07)".into(),
        ),
        Kind::Share { .. } => {
            json!({ "type": "string", "pattern": r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$",
            "description": "A decimal string from \"0\" to \"1\", at most four decimals, kept as written" })
        }
        Kind::Ref { .. } => id_schema(),
    }
}

/// A decimal: the string `text`, or a JSON number, which is taken by its text from
/// `low` to `high` (and only below `rest::input::number_limit`, where it is exact).
fn decimal_schema(text: Value, scale: u32, low: f64, high: f64, description: String) -> Value {
    // Parsed, not computed: `10f64.powi(-2)` is not the double nearest 0.01.
    let step: f64 = format!("1e-{scale}").parse().unwrap_or(1.0);
    // `maximum`, not `exclusiveMaximum`, whose form differs between 3.0 and 3.1.
    let high = high.min(number_limit(scale) - step);
    let low = low.max(-(number_limit(scale) - step));
    let number = json!({ "type": "number", "minimum": low, "maximum": high, "multipleOf": step });
    json!({ "anyOf": [text, number], "description": description })
}

fn to_f64(scaled: i64, scale: u32) -> f64 {
    crate::decimal::format(scaled, scale).parse().unwrap_or(0.0)
}

/// An id: a positive 64-bit integer (ids start at 1; a larger number names nothing and
/// is refused).
pub(crate) fn id_schema() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": i64::MAX })
}

/// A reference in a body: an id (a JSON number) or a link to `/{collection}/{id}`; a
/// full URL under the API's base is accepted too.
pub(crate) fn reference_schema(collection: &str) -> Value {
    json!({ "anyOf": [id_schema(), link_schema(collection)],
        "description": format!("An id, or a link: /{collection}/{{id}}, {collection}/{{id}} or the full URL") })
}

/// A link to `/{collection}/{id}` as text (a narrowing parameter, a `text/uri-list` line).
pub(crate) fn link_schema(collection: &str) -> Value {
    json!({ "type": "string", "pattern": format!("^/?{collection}/[0-9]{{1,18}}$") })
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
        properties.insert(
            "id".into(),
            json!({ "type": "integer", "minimum": 1, "readOnly": true }),
        );
        required.push(json!("id"));
    }
    for field in entity.fields {
        // Output is not held to the input's patterns: a value the server stored is shown
        // as it is.
        let mut schema = match field.kind {
            Kind::Text { .. } | Kind::Money | Kind::Decimal { .. } | Kind::Share { .. } => {
                json!({ "type": "string" })
            }
            Kind::Ref { .. } => json!({ "type": "integer" }),
            kind => field_schema(kind),
        };
        if field.access == Access::ReadOnly {
            schema["readOnly"] = json!(true);
        }
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

/// What a request body writes: a new resource, a replacement (PUT) or a merge patch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// POST: immutable fields are required, as the required ones are.
    Create,
    /// PUT: immutable fields are not written (repeating the current value is tolerated).
    Replace,
    /// PATCH: nothing is required; immutable fields are not written.
    Patch,
}

/// A request body for an entity: every property the write takes, the required ones
/// `required`, and no other (`additionalProperties: false`: an unknown property is a
/// 400). `skip_column` leaves out the reference a URL already fixes.
pub(crate) fn input_schema(
    entity: &Entity,
    write: Write,
    legacy: bool,
    skip_column: Option<&str>,
) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in entity.fields.iter().filter(|f| {
        f.access != Access::ReadOnly
            && Some(f.column) != skip_column
            && (write == Write::Create || f.access != Access::Immutable)
    }) {
        let mut schema = field_schema(field.kind);
        match field.access {
            // Null returns an optional field to its default; an assigned one keeps it.
            Access::Optional => schema = nullable(schema, legacy),
            Access::Required if write != Write::Patch => required.push(json!(field.name)),
            Access::Immutable if write == Write::Create => required.push(json!(field.name)),
            _ => {}
        }
        properties.insert(field.name.into(), schema);
    }
    let mut schema = json!({ "type": "object", "properties": properties,
        "additionalProperties": false,
        "description": "A reference may also be given by its snake_case name (`book_id`) or its link relation (a link, `book`), once; `id`, `_links`, `_embedded` and `_templates` are ignored (a PATCH reads link arrays in `_links`). Anything else is a 400." });
    if !required.is_empty() {
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

/// An id in the path: ids start at 1 (another id, or anything but digits, is a 404).
pub(crate) fn id_param(name: &str, example: i64) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "schema": id_schema(), "example": example })
}

/// An optional query parameter; an empty value is a 400 on every path.
pub(crate) fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": schema,
            "description": description })
}

/// `?embed=`: comma-separated names of related collections (`embed=authors,books`).
pub(crate) fn embed_param(names: &[&str], description: &str) -> Value {
    let mut param = query_param(
        "embed",
        json!({ "type": "array", "minItems": 1, "items": { "type": "string", "enum": names } }),
        description,
    );
    param["style"] = json!("form");
    param["explode"] = json!(false);
    param
}

/// The narrowing parameter `name` of a collection, naming a resource of `collection`:
/// `*_id` takes an id, the others a link.
pub(crate) fn narrowing_param(name: &str, collection: &str, description: &str) -> Value {
    let schema = if name.ends_with("_id") {
        id_schema()
    } else {
        link_schema(collection)
    };
    query_param(name, schema, description)
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

    /// One more problem status, described under `components/responses`.
    pub(crate) fn also_problem(mut self, status: &str) -> Op {
        self.value["responses"][status] =
            json!({ "$ref": format!("#/components/responses/Problem{status}") });
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

    /// A `text/uri-list` of links to `/{collection}/{id}`: one a line, blank lines and
    /// `#` comments skipped (surrounding spaces are trimmed too); an empty list is one.
    pub(crate) fn uri_list_body(mut self, collection: &str, example: &str) -> Op {
        let line = format!("(#[^\\r\\n]*|/?{collection}/[0-9]{{1,18}})?");
        self.value["requestBody"] = json!({ "required": true, "content": {
            "text/uri-list": { "schema": { "type": "string",
                "pattern": format!("^({line}\\r?\\n)*{line}$") }, "example": example } } });
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

/// The grammar of `filter`, as its description says it (docs/api.md has it in full).
const FILTER_GRAMMAR: &str = "An AIP-160 subset; a 400 names the position of a fault. \
    `expression = factor {\"AND\" factor}`, `factor = term {\"OR\" term}`, \
    `term = {\"NOT\"} simple`, `simple = comparison | \"(\" expression \")\"`, \
    `comparison = field (\"=\" | \"!=\" | \"<\" | \"<=\" | \">\" | \">=\" | \":\") value`; \
    `field` is `id` or a property of the listed resources, `value` a number (`12`, `-3`, \
    `0.25`) or a double-quoted string (`\\\"` and `\\\\` are its only escapes), `:` a \
    case-insensitive substring match on text. NOT binds tightest, then OR, then AND. \
    Keywords are upper case; whitespace between tokens is optional. \
    Example: `title : \"dune\" AND price < 10`.";

pub(crate) fn page_params(site: Site, entity: &'static Entity, narrowing: bool) -> Vec<Value> {
    let mut params = vec![
        json!({ "name": "maxPageSize", "in": "query", "required": false,
                "schema": { "type": "integer", "minimum": 0 },
                "description": "Items a page (default 25, at most 1000; 0 means the default)." }),
        query_param(
            "pageToken",
            json!({ "type": "string", "format": "page-token" }),
            "The `nextPageToken` of the previous page of the same list (same path, filter and narrowing): 34 characters of URL-safe base64, signed by the server. Any other text is a 400.",
        ),
        query_param(
            "filter",
            json!({ "type": "string", "format": "aip-160-filter" }),
            FILTER_GRAMMAR,
        ),
    ];
    if narrowing {
        for (name, collection) in narrowing::targets(site, entity) {
            params.push(narrowing_param(&name, collection, "Narrows the list to the resources related to this one (an id for `*_id`, a link otherwise)."));
        }
    }
    params
}
