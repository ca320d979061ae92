//! `GET /openapi.json`: the OpenAPI document, derived from the same descriptors as the
//! routes (entities, pairs, children), so a path cannot be added to one and not the
//! other; `tests/api/openapi.rs` holds it against the route registry of [`super::Routes`].
//!
//! The document is OpenAPI 3.1. `?openapi=3.0` serves the same document as 3.0.3 for
//! tools that read nothing newer (dredd): the only differences are the version string
//! and how a nullable property is written (`nullable: true` instead of a type list).

use actix_web::http::header;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::entity::{Access, Entity, Kind};
use super::{cart, cart_details, crud};
use crate::error::{ApiError, ApiResult};
use crate::hal::Ctx;
use crate::relations::{self, pairs};

/// `GET /openapi.json[?openapi=3.0]`.
pub async fn serve(ctx: Ctx) -> ApiResult<HttpResponse> {
    let query = ctx.query(&["openapi"])?;
    let legacy = match query.get("openapi") {
        None | Some("3.1") => false,
        Some("3.0") => true,
        Some(other) => {
            return Err(ApiError::field(
                "openapi",
                format!("{other:?}: the document is served as 3.1 (default) or 3.0"),
            ))
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(document(&ctx, legacy).to_string()))
}

/// The problem statuses a request may meet, each described once under
/// `components/responses` and referred to by the operations.
const PROBLEMS: &[(&str, &str, &str)] = &[
    (
        "400",
        "bad-request",
        "Malformed input: a bad body, parameter, reference or filter; `errors` names each field.",
    ),
    (
        "401",
        "unauthorized",
        "No valid bearer token where one is needed (`WWW-Authenticate: Bearer`).",
    ),
    ("403", "forbidden", "A valid token of another user."),
    ("404", "not-found", "No such path, id, or relation."),
    (
        "405",
        "method-not-allowed",
        "The path does not take this method (`Allow` lists those it takes).",
    ),
    (
        "409",
        "conflict",
        "The write conflicts with the data: a duplicate, a limit, a dependent resource.",
    ),
    (
        "412",
        "precondition-failed",
        "`If-Match` did not match, or `:remove` of a non-member.",
    ),
    (
        "413",
        "payload-too-large",
        "The body is over the limit (256 KiB by default).",
    ),
    (
        "415",
        "unsupported-media-type",
        "The body's media type is not one the path takes.",
    ),
    (
        "422",
        "unprocessable",
        "A well-formed reference to a resource that does not exist.",
    ),
];

/// A schema name for an entity: "cart item" → `CartItem`.
fn schema_name(entity: &Entity) -> String {
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

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Makes a schema accept null, in the dialect of the document's version.
fn nullable(mut schema: Value, legacy: bool) -> Value {
    if legacy {
        schema["nullable"] = json!(true);
    } else if let Some(ty) = schema["type"].as_str() {
        schema["type"] = json!([ty, "null"]);
    }
    schema
}

/// The schema of one field's value.
fn field_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text { max } => json!({ "type": "string", "maxLength": max }),
        Kind::Email { .. } => json!({ "type": "string", "format": "email" }),
        Kind::Int { min, max } => json!({ "type": "integer", "minimum": min, "maximum": max }),
        Kind::Date => json!({ "type": "string", "format": "date" }),
        Kind::Choice(choices) => json!({ "type": "string", "enum": choices }),
        Kind::Money => json!({ "type": "string", "pattern": r"^\d+\.\d{2}$" }),
        Kind::Share { .. } => json!({ "type": "string", "pattern": r"^\d(\.\d{1,4})?$" }),
        Kind::Ref { .. } => json!({ "type": "integer", "minimum": 0 }),
    }
}

/// A valid example value for a field (`n` makes unique values differ).
fn field_example(entity: &Entity, name: &str, kind: Kind, n: usize) -> Value {
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
        Kind::Choice(choices) => json!(choices.first().copied().unwrap_or_default()),
        Kind::Money => json!("9.99"),
        Kind::Share { .. } => json!("0.0500"),
        Kind::Ref { .. } => json!(1),
    }
}

/// The representation of an entity's resources.
fn output_schema(entity: &Entity, legacy: bool) -> Value {
    let mut properties = Map::new();
    let mut required = vec![json!("_links")];
    // The cart's parts are columns of the cart's row: they have no id of their own.
    let singleton = entity.table == "carts";
    if !singleton {
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
fn input_schema(entity: &Entity, create: bool, legacy: bool) -> Value {
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
fn input_example(entity: &Entity, skip_column: Option<&str>, n: usize) -> Value {
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

fn id_param(name: &str, example: i64) -> Value {
    json!({ "name": name, "in": "path", "required": true,
            "schema": { "type": "integer", "minimum": 0 }, "example": example })
}

fn query_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" },
            "description": description })
}

/// Builds operations; knows the problem statuses and the security scheme.
struct Op {
    value: Value,
}

impl Op {
    fn new(summary: String, ok: &str, body: Option<Value>, problems: &[&str]) -> Op {
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

    fn also(mut self, status: &str, description: &str, schema: Option<Value>) -> Op {
        self.value["responses"][status] = match schema {
            Some(schema) => json!({ "description": description,
                "content": { "application/hal+json": { "schema": schema } } }),
            None => json!({ "description": description }),
        };
        self
    }

    fn json_body(mut self, schema: Value, example: Value) -> Op {
        // One media type: `application/hal+json` (and `merge-patch+json` for PATCH) are
        // taken too, as the description says, but listing them would make testers such
        // as dredd send every example three times.
        self.value["requestBody"] = json!({ "required": true,
            "description": "application/json; also application/hal+json, and for PATCH application/merge-patch+json",
            "content": { "application/json": { "schema": schema, "example": example } } });
        self
    }

    fn uri_list_body(mut self, example: &str) -> Op {
        self.value["requestBody"] = json!({ "required": true, "content": {
            "text/uri-list": { "schema": { "type": "string" }, "example": example } } });
        self
    }

    fn params(mut self, params: Vec<Value>) -> Op {
        self.value["parameters"] = Value::Array(params);
        self
    }

    fn secured(mut self) -> Op {
        self.value["security"] = json!([{ "bearer": [] }]);
        self.value["responses"]["401"] = json!({ "$ref": "#/components/responses/Problem401" });
        self
    }

    fn done(self) -> Value {
        self.value
    }
}

const READ: &[&str] = &["400", "404"];
/// PUT and PATCH of an item.
const UPDATE: &[&str] = &["400", "404", "409", "412", "413", "415", "422"];
/// POST creating a resource in a collection that always exists.
const CREATE: &[&str] = &["400", "409", "413", "415", "422"];
/// POST under a resource named in the path.
const CREATE_UNDER: &[&str] = &["400", "404", "409", "413", "415", "422"];
/// A write to a singleton that always exists (the cart's parts).
const PART: &[&str] = &["400", "412", "413", "415"];

fn page_params(entity: &'static Entity, narrowing: bool) -> Vec<Value> {
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
        for name in crud::narrowing_names(entity) {
            params.push(query_param(&name, "Narrows the list to the resources related to this one (an id for `*_id`, a hyperlink otherwise)."));
        }
    }
    params
}

/// The OpenAPI document; `legacy` gives the 3.0.3 variant.
pub fn document(ctx: &Ctx, legacy: bool) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let item = |entity: &Entity| reference(&schema_name(entity));
    let list = reference("Collection");

    paths.insert("/".into(), json!({ "get": Op::new("The root: a link to every collection".into(), "200", Some(reference("Resource")), &["400"]).done() }));
    paths.insert("/health".into(), json!({ "get": {
        "summary": "200 when the database answers",
        "responses": { "200": { "description": "healthy", "content": { "application/json": {
            "schema": { "type": "object", "required": ["status"], "properties": { "status": { "type": "string" } } } } } },
            "503": { "$ref": "#/components/responses/Problem503" } } } }));
    paths.insert(
        "/openapi.json".into(),
        json!({ "get": {
        "summary": "This document (`?openapi=3.0` for the 3.0.3 variant)",
        "parameters": [{ "name": "openapi", "in": "query", "required": false,
            "schema": { "type": "string", "enum": ["3.1", "3.0"] } }],
        "responses": { "200": { "description": "the document", "content": { "application/json": {
            "schema": { "type": "object", "required": ["openapi", "paths"] } } } },
            "400": { "$ref": "#/components/responses/Problem400" } } } }),
    );
    paths.insert(
        "/rels/{name}".into(),
        json!({
        "parameters": [{ "name": "name", "in": "path", "required": true,
            "schema": { "type": "string" }, "example": "authors" }],
        "get": { "summary": "What a link relation means and which methods its target takes",
            "responses": { "200": { "description": "an HTML page",
                "content": { "text/html; charset=utf-8": { "schema": { "type": "string" } } } },
                "404": { "$ref": "#/components/responses/Problem404" } } } }),
    );

    let mut entities: Vec<&'static Entity> = super::COLLECTIONS.to_vec();
    entities.extend(
        pairs::CHILDREN
            .iter()
            .filter(|c| c.dependent)
            .map(|c| c.child),
    );
    entities.extend([
        &cart::CART_ITEMS,
        &cart_details::SHIPPING,
        &cart_details::BILLING,
        &cart_details::PAYMENT,
    ]);
    for entity in &entities {
        schemas.insert(schema_name(entity), output_schema(entity, legacy));
        schemas.insert(
            format!("{}Input", schema_name(entity)),
            input_schema(entity, true, legacy),
        );
        schemas.insert(
            format!("{}Patch", schema_name(entity)),
            input_schema(entity, false, legacy),
        );
    }

    for (n, entity) in super::COLLECTIONS.iter().copied().enumerate() {
        let name = schema_name(entity);
        let input = reference(&format!("{name}Input"));
        let patch = reference(&format!("{name}Patch"));
        let example = input_example(entity, None, n);
        let secured = |op: Op| {
            if entity.auth == super::entity::Auth::SelfOnly {
                op.secured()
            } else {
                op
            }
        };
        let mut collection = json!({
            "get": Op::new(format!("List {}", entity.path), "200", Some(list.clone()), &["400"])
                .params(page_params(entity, true)).done(),
            "post": Op::new(format!("Create a {}", entity.name), "201", Some(item(entity)), CREATE)
                .json_body(input.clone(), example.clone()).done(),
        });
        if relations::is_cross(entity) {
            let mut params: Vec<Value> = crud::narrowing_names(entity)
                .iter()
                .map(|n| query_param(n, "Deletes the relations of this resource (at least one narrowing parameter is required)."))
                .collect();
            if let Some(first) = params.first_mut() {
                first["required"] = json!(true);
                first["example"] = json!("2");
            }
            collection["delete"] = Op::new(
                format!(
                    "Delete every {} matching the query, in one statement",
                    entity.name
                ),
                "200",
                Some(json!({ "type": "object", "required": ["deletedCount"],
                    "properties": { "deletedCount": { "type": "integer" } } })),
                READ,
            )
            .params(params)
            .done();
        }
        paths.insert(format!("/{}", entity.path), collection);
        let embeddable: Vec<&str> = relations::views_from(entity)
            .map(|v| v.to.entity.path)
            .chain(relations::children_of(entity).map(|c| c.child.path))
            .collect();
        let mut read = Op::new(
            format!("Read a {}", entity.name),
            "200",
            Some(item(entity)),
            READ,
        );
        if !embeddable.is_empty() {
            read = read.params(vec![query_param(
                "embed",
                &format!(
                    "Comma-separated related collections to embed: {}.",
                    embeddable.join(", ")
                ),
            )]);
        }
        paths.insert(
            format!("/{}/{{id}}", entity.path),
            json!({
                "parameters": [id_param("id", 1)],
                "get": read.done(),
                "put": secured(Op::new(format!("Replace a {}", entity.name), "200", Some(item(entity)), UPDATE)
                    .json_body(input, example.clone())).done(),
                "patch": secured(Op::new(format!("Update a {} (JSON merge patch)", entity.name), "200", Some(item(entity)), UPDATE)
                    .json_body(patch, example)).done(),
                "delete": secured(Op::new(format!("Delete a {}", entity.name), "204", None, &["404", "409", "412"])).done(),
            }),
        );
    }

    for children in pairs::CHILDREN {
        let (parent, child) = (children.parent, children.child);
        let base = format!("/{}/{{id}}/{}", parent.path, child.path);
        let name = schema_name(child);
        let example = input_example(child, Some(children.column), 7);
        paths.insert(
            base.clone(),
            json!({
                "parameters": [id_param("id", 1)],
                "get": Op::new(format!("List the {} of a {}", child.path, parent.name), "200", Some(list.clone()), READ)
                    .params(page_params(child, false)).done(),
                "post": Op::new(format!("Create a {} of a {}", child.name, parent.name), "201", Some(item(child)), CREATE_UNDER)
                    .json_body(reference(&format!("{name}Input")), example.clone()).done(),
            }),
        );
        if children.dependent {
            paths.insert(
                format!("{base}/{{sub}}"),
                json!({
                    "parameters": [id_param("id", 1), id_param("sub", 1)],
                    "get": Op::new(format!("Read a {}", child.name), "200", Some(item(child)), READ).done(),
                    "patch": Op::new(format!("Update a {}", child.name), "200", Some(item(child)), UPDATE)
                        .json_body(reference(&format!("{name}Patch")), example).done(),
                    "delete": Op::new(format!("Delete a {}", child.name), "204", None, &["404", "412"]).done(),
                }),
            );
        }
    }

    for pair in pairs::ALL {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            let base = format!("/{}/{{id}}/{}", from.path, to.path);
            let mut collection = json!({
                "parameters": [id_param("id", 1)],
                "get": Op::new(format!("List the {} of a {}", to.path, from.name), "200", Some(list.clone()), READ)
                    .params(page_params(to, false)).done(),
            });
            if pair.styles.sub_resources {
                let uris = format!("/{p}/1\n/{p}/2\n", p = to.path);
                collection["put"] = Op::new(
                    format!("Replace the {} of a {} (text/uri-list)", to.path, from.name),
                    "204",
                    None,
                    &["400", "404", "413", "415", "422"],
                )
                .uri_list_body(&uris)
                .done();
                collection["post"] = Op::new(
                    format!("Create a {} and link it to a {} (JSON; with text/uri-list: link the listed ones, 204)", to.name, from.name),
                    "201", Some(item(to)), CREATE_UNDER,
                )
                .also("204", "text/uri-list: the listed resources are linked", None)
                .json_body(reference(&format!("{}Input", schema_name(to))), input_example(to, None, 11))
                .done();
                paths.insert(
                    format!("{base}/{{sub}}"),
                    json!({
                        "parameters": [id_param("id", 1), id_param("sub", 1)],
                        "get": Op::new(format!("Read a {} related to a {}", to.name, from.name), "200", Some(item(to)), READ).done(),
                        "put": Op::new(format!("Link a {} to a {} (empty body; 201 when new)", to.name, from.name), "200", Some(item(from)), &["400", "404"])
                            .also("201", "linked now; the body is the resource the URL starts from", Some(item(from))).done(),
                        "delete": Op::new(format!("Unlink a {} from a {}", to.name, from.name), "204", None, &["404"]).done(),
                    }),
                );
            }
            paths.insert(base, collection);
        }
        if pair.styles.add_remove {
            let view = pair.views()[0];
            let field = view.to.entity.name;
            for (verb, problem) in [("add", "409"), ("remove", "412")] {
                paths.insert(
                    format!("/{}/{{id}}/{}:{verb}", view.from.entity.path, view.to.entity.path),
                    json!({ "parameters": [id_param("id", 1)],
                            "post": Op::new(format!("{verb} a {field} ({problem} when already {})", if verb == "add" { "a member" } else { "not a member" }), "204", None, &["400", "404", problem, "415", "422"])
                                .json_body(json!({ "type": "object", "required": [field],
                                    "properties": { field: { "description": "A reference: URL, path, name or id" } } }),
                                    json!({ field: format!("/{}/1", view.to.entity.path) }))
                                .done() }),
                );
            }
        }
    }

    let cart_schema = json!({ "type": "object",
        "required": ["itemCount", "total", "shippingCost", "shippingInfoComplete", "updatedAt", "_links"],
        "properties": { "itemCount": { "type": "integer" }, "total": { "type": "string" },
            "shippingCost": { "type": "string" }, "shippingInfoComplete": { "type": "boolean" },
            "updatedAt": { "type": "string" }, "_links": reference("Links"),
            "_embedded": { "type": "object" }, "_templates": { "type": "object" } } });
    schemas.insert("Cart".into(), cart_schema);
    schemas.insert(
        "Order".into(),
        json!({ "type": "object",
        "required": ["id", "createdAt", "total", "shippingCost", "lines", "shippingAddress", "billingAddress", "payment", "_links"],
        "properties": { "id": { "type": "integer" }, "createdAt": { "type": "string" },
            "total": { "type": "string" }, "shippingCost": { "type": "string" },
            "lines": { "type": "array", "items": { "type": "object" } },
            "shippingAddress": { "type": "object" }, "billingAddress": { "type": "object" },
            "payment": { "type": "object" }, "_links": reference("Links") } }),
    );
    let embed_items = vec![query_param("embed", "`items` embeds the cart's items.")];
    paths.insert("/cart".into(), json!({ "get": Op::new("The authenticated user's cart".into(), "200", Some(reference("Cart")), &["400"]).params(embed_items.clone()).secured().done() }));
    paths.insert("/users/{id}/cart".into(), json!({ "parameters": [id_param("id", 1)],
        "get": Op::new("A user's own cart (403 for another user's token)".into(), "200", Some(reference("Cart")), &["400", "403"]).params(embed_items).secured().done() }));
    let cart_item_example = json!({ "book": "/books/1", "quantity": 1 });
    paths.insert("/cart/items".into(), json!({
        "get": Op::new("The cart's items".into(), "200", Some(list.clone()), &["400"]).params(page_params(&cart::CART_ITEMS, false)).secured().done(),
        "post": Op::new("Put a book in the cart (200 when the book was there: the quantities add up)".into(), "201", Some(item(&cart::CART_ITEMS)), CREATE)
            .also("200", "the book was in the cart already; its quantity grew", Some(item(&cart::CART_ITEMS)))
            .json_body(json!({ "type": "object", "required": ["book"],
                "properties": { "book": { "description": "A reference to a book" }, "bookId": { "type": "integer" },
                    "quantity": { "type": "integer", "minimum": 1, "maximum": 999 } } }), cart_item_example)
            .secured().done(),
    }));
    paths.insert("/cart/items/{item}".into(), json!({
        "parameters": [id_param("item", 1)],
        "get": Op::new("A cart item".into(), "200", Some(item(&cart::CART_ITEMS)), READ).secured().done(),
        "patch": Op::new("Change a cart item's quantity".into(), "200", Some(item(&cart::CART_ITEMS)), &["400", "404", "412", "413", "415"])
            .json_body(reference("CartItemPatch"), json!({ "quantity": 2 })).secured().done(),
        "delete": Op::new("Remove a cart item".into(), "204", None, &["404"]).secured().done(),
    }));
    for part in [
        &cart_details::SHIPPING,
        &cart_details::BILLING,
        &cart_details::PAYMENT,
    ] {
        let name = schema_name(part);
        let mut example = input_example(part, None, 3);
        let mut input = reference(&format!("{name}Input"));
        if std::ptr::eq(part, &cart_details::PAYMENT) {
            example["cardNumber"] = json!("4111 1111 1111 1111");
            input = json!({ "allOf": [input, { "type": "object", "properties": {
                "cardNumber": { "type": "string", "description": "Checked (Luhn); only brand and last four digits are kept" } } }] });
        }
        paths.insert(format!("/{}", part.path), json!({
            "get": Op::new(format!("The cart's {}", part.name), "200", Some(item(part)), &["400"]).secured().done(),
            "put": Op::new(format!("Replace the cart's {}", part.name), "200", Some(item(part)), PART)
                .json_body(input, example.clone()).secured().done(),
            "patch": Op::new(format!("Update the cart's {}", part.name), "200", Some(item(part)), PART)
                .json_body(reference(&format!("{name}Patch")), example).secured().done(),
        }));
    }
    paths.insert("/cart:checkout".into(), json!({ "post": Op::new(
        "Turn the cart into an order (409 naming what is missing)".into(), "201", Some(reference("Order")), &["400", "401", "409"]).secured().done() }));
    paths.insert(
        "/orders".into(),
        json!({ "get": Op::new("The user's orders".into(), "200", Some(list), &["400"])
        .params(page_params(&cart::CART_ITEMS, false)[..2].to_vec()).secured().done() }),
    );
    paths.insert("/orders/{id}".into(), json!({ "parameters": [id_param("id", 1)],
        "get": Op::new("One of the user's orders (another user's is 404)".into(), "200", Some(reference("Order")), READ).secured().done() }));

    schemas.insert("Links".into(), json!({ "type": "object", "required": ["self"],
        "additionalProperties": { "oneOf": [reference("Link"), { "type": "array", "items": reference("Link") }] } }));
    schemas.insert("Link".into(), json!({ "type": "object", "required": ["href"], "properties": {
        "href": { "type": "string" }, "title": { "type": "string" }, "templated": { "type": "boolean" } } }));
    schemas.insert(
        "Resource".into(),
        json!({ "type": "object", "required": ["_links"],
        "properties": { "_links": reference("Links") } }),
    );
    schemas.insert(
        "Collection".into(),
        json!({ "type": "object", "required": ["_links", "_embedded"],
        "properties": { "_links": reference("Links"), "_embedded": { "type": "object",
            "additionalProperties": { "type": "array", "items": reference("Resource") } },
            "nextPageToken": { "type": "string" }, "_templates": { "type": "object" } } }),
    );
    schemas.insert("Problem".into(), json!({
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": { "type": "string", "description": "urn:halyard:problem:<slug>" },
            "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
            "errors": { "type": "array", "items": { "type": "object", "required": ["field", "message"],
                "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } }
        }
    }));
    let mut responses = Map::new();
    let problems = PROBLEMS.iter().chain(&[(
        "503",
        "unavailable",
        "The database does not answer (`Retry-After: 1`).",
    )]);
    for (status, slug, description) in problems {
        responses.insert(
            format!("Problem{status}"),
            json!({ "description": description, "content": { "application/problem+json": {
                "schema": reference("Problem"),
                "example": { "type": format!("urn:halyard:problem:{slug}"), "title": slug, "status": status.parse::<u16>().unwrap_or(400), "detail": description } } } }),
        );
    }
    // A path without an id cannot answer 404 (an unknown path is not in the document).
    let no_ids: Vec<String> = paths.keys().filter(|p| !p.contains('{')).cloned().collect();
    for path in no_ids {
        if let Some(Value::Object(item)) = paths.get_mut(&path) {
            for op in item.values_mut() {
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.remove("404");
                }
            }
        }
    }
    json!({
        "openapi": if legacy { "3.0.3" } else { "3.1.0" },
        "info": { "title": "Halyard", "version": env!("CARGO_PKG_VERSION"),
                  "description": "A HAL hypermedia API for a bookshop, relationships done right. Link relations are documented at /rels/{name}." },
        "servers": [{ "url": ctx.links.base().as_str().trim_end_matches('/') }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas,
            "responses": responses,
        }
    })
}
