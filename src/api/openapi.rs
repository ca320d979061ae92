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

use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::model::{Auth, Entity, PartKind, Singleton, SingletonBehaviour};
use crate::rest::crud::embeddable;
use crate::rest::openapi::{
    embed_param, id_param, input_example, input_schema, output_schema, page_params, reference,
    reference_schema, schema_name, Op, Write, CREATE, CREATE_UNDER, PART, READ, UPDATE,
};
use crate::rest::openapi::{item as doc_item, list};
use crate::rest::Site;

/// `GET /openapi.json[?openapi=3.0]`.
pub(crate) async fn serve(ctx: Ctx, site: Site) -> ApiResult<HttpResponse> {
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
        .body(document(&ctx, site, legacy).to_string()))
}

/// `GET /openapi.html`: the same document as a page, operations grouped by path.
pub(crate) async fn serve_page(ctx: Ctx, site: Site) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    Ok(crate::html::openapi_page(
        &ctx.req,
        &document(&ctx, site, false),
    ))
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

/// The cart, its items and parts, checkout and orders.
fn shop_paths(
    site: Site,
    legacy: bool,
    cart: &'static Singleton,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) {
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
    let embed_items = vec![embed_param(&["items"], "`items` embeds the cart's items.")];
    paths.insert("/cart".into(), json!({ "get": Op::new("The authenticated user's cart".into(), "200", Some(reference("Cart")), &["400"]).params(embed_items.clone()).secured().done() }));
    paths.insert("/users/{id}/cart".into(), json!({ "parameters": [id_param("id", 1)],
        "get": Op::new("A user's own cart (403 for another user's token)".into(), "200", Some(reference("Cart")), &["400", "403", "404"]).params(embed_items).secured().done() }));
    let cart_item_example = json!({ "book": "/books/1", "quantity": 1 });
    paths.insert("/cart/items".into(), json!({
        "get": Op::new("The cart's items".into(), "200", Some(list()), &["400"]).params(page_params(site, cart.items, false)).secured().done(),
        "post": Op::new("Put a book in the cart (200 when the book was there: the quantities add up)".into(), "201", Some(doc_item(cart.items)), CREATE)
            .also("200", "the book was in the cart already; its quantity grew", Some(doc_item(cart.items)))
            .json_body(json!({ "type": "object", "required": ["book"], "additionalProperties": false,
                "description": "`bookId` (an id) may stand for `book`, not beside it.",
                "properties": { "book": reference_schema("books"),
                    "quantity": { "type": "integer", "minimum": 1, "maximum": 999 } } }), cart_item_example)
            .secured().done(),
    }));
    paths.insert("/cart/items/{item}".into(), json!({
        "parameters": [id_param("item", 1)],
        "get": Op::new("A cart item".into(), "200", Some(doc_item(cart.items)), READ).secured().done(),
        "patch": Op::new("Change a cart item's quantity".into(), "200", Some(doc_item(cart.items)), &["400", "404", "412", "413", "415"])
            .json_body(reference("CartItemPatch"), json!({ "quantity": 2 })).secured().done(),
        "delete": Op::new("Remove a cart item".into(), "204", None, &["404"]).secured().done(),
    }));
    for part in cart.parts {
        let kind = part.kind;
        let part = part.entity;
        let name = schema_name(part);
        let mut example = input_example(part, None, 3);
        let mut input = reference(&format!("{name}Replace"));
        let mut patch = reference(&format!("{name}Patch"));
        if kind == PartKind::Card {
            example["cardNumber"] = json!("4111 1111 1111 1111");
            example["expiry"] = json!("12/39");
            // The card's checks are not the text field's: a Luhn-checked number and an
            // expiry not in the past, each a format of its own (described, not a pattern:
            // neither can be one).
            let card = |write| {
                let mut schema = input_schema(part, write, legacy, None);
                schema["properties"]["cardNumber"] = json!({ "type": "string", "format": "card-number",
                    "description": "12 to 19 digits (spaces and dashes are dropped) passing the Luhn check; only brand and last four digits are kept" });
                schema["properties"]["expiry"] = json!({ "type": "string", "format": "card-expiry",
                    "description": "`MM/YY`, this month or later" });
                schema
            };
            let mut replace = card(Write::Replace);
            if let Some(required) = replace["required"].as_array_mut() {
                required.push(json!("cardNumber"));
            }
            input = replace;
            patch = card(Write::Patch);
        }
        paths.insert(format!("/{}", part.path), json!({
            "get": Op::new(format!("The cart's {}", part.name), "200", Some(doc_item(part)), &["400"]).secured().done(),
            "put": Op::new(format!("Replace the cart's {}", part.name), "200", Some(doc_item(part)), PART)
                .json_body(input, example.clone()).secured().done(),
            "patch": Op::new(format!("Update the cart's {}", part.name), "200", Some(doc_item(part)), PART)
                .json_body(patch, example).secured().done(),
        }));
    }
    paths.insert("/cart:checkout".into(), json!({ "post": Op::new(
        "Turn the cart into an order (409 naming what is missing)".into(), "201", Some(reference("Order")), &["400", "401", "409"]).secured().done() }));
    paths.insert(
        "/orders".into(),
        json!({ "get": Op::new("The user's orders".into(), "200", Some(list()), &["400"])
        .params(page_params(site, cart.items, false)[..2].to_vec()).secured().done() }),
    );
    paths.insert("/orders/{id}".into(), json!({ "parameters": [id_param("id", 1)],
        "get": Op::new("One of the user's orders (another user's is 404)".into(), "200", Some(reference("Order")), READ).secured().done() }));
}

/// A generic singleton, its owner's path to it, its items and its parts.
fn singleton_paths(
    site: Site,
    singleton: &'static Singleton,
    paths: &mut Map<String, Value>,
    schemas: &mut Map<String, Value>,
) {
    let name = schema_name(singleton.items).replace("Item", "") + "Singleton";
    schemas.insert(
        name.clone(),
        json!({ "type": "object", "required": ["itemCount", "_links"],
        "properties": { "itemCount": { "type": "integer" }, "_links": reference("Links"),
            "_templates": { "type": "object" } } }),
    );
    let path = singleton.path;
    paths.insert(format!("/{path}"), json!({ "get": Op::new(format!("The authenticated {}'s {path}", singleton.owner.name), "200", Some(reference(&name)), &["400"]).secured().done() }));
    paths.insert(format!("/{}/{{id}}/{path}", singleton.owner.path), json!({ "parameters": [id_param("id", 1)],
        "get": Op::new(format!("A {}'s own {path} (403 for another's token)", singleton.owner.name), "200", Some(reference(&name)), &["400", "403", "404"]).secured().done() }));
    let items = singleton.items;
    let item_name = schema_name(items);
    paths.insert(format!("/{}", items.path), json!({
        "get": Op::new(format!("The {path}'s items"), "200", Some(list()), &["400"]).params(page_params(site, items, false)).secured().done(),
        "post": Op::new(format!("Add an item to the {path}"), "201", Some(doc_item(items)), CREATE)
            .json_body(reference(&format!("{item_name}Input")), input_example(items, None, 5)).secured().done(),
    }));
    paths.insert(format!("/{}/{{item}}", items.path), json!({
        "parameters": [id_param("item", 1)],
        "get": Op::new(format!("An item of the {path}"), "200", Some(doc_item(items)), READ).secured().done(),
        "patch": Op::new(format!("Change an item of the {path}"), "200", Some(doc_item(items)), UPDATE)
            .json_body(reference(&format!("{item_name}Patch")), input_example(items, None, 6)).secured().done(),
        "delete": Op::new(format!("Remove an item of the {path}"), "204", None, &["404"]).secured().done(),
    }));
    for part in singleton.parts {
        let part = part.entity;
        let part_name = schema_name(part);
        let example = input_example(part, None, 3);
        paths.insert(format!("/{}", part.path), json!({
            "get": Op::new(format!("The {path}'s {}", part.name), "200", Some(doc_item(part)), &["400"]).secured().done(),
            "put": Op::new(format!("Replace the {path}'s {}", part.name), "200", Some(doc_item(part)), PART)
                .json_body(reference(&format!("{part_name}Replace")), example.clone()).secured().done(),
            "patch": Op::new(format!("Update the {path}'s {}", part.name), "200", Some(doc_item(part)), PART)
                .json_body(reference(&format!("{part_name}Patch")), example).secured().done(),
        }));
    }
}

/// OpenAPI links from each operation that creates a resource (201) to the operations on
/// it: from a collection's POST, its item, its relations and their sub-resources (`id`);
/// from a creation under a resource, the sub-resource just created (`id` from the
/// request, `sub` from the body). They let a stateful tester follow real ids instead of
/// guessing.
fn add_links(model: &crate::model::Model, paths: &mut Map<String, Value>) {
    let collections: Vec<(String, &str)> = model
        .entities()
        .into_iter()
        .map(|e| (format!("#/components/schemas/{}", schema_name(e)), e.path))
        .collect();
    let targets: Vec<(String, Vec<String>)> = paths
        .iter()
        .map(|(path, item)| {
            let methods = ["get", "put", "post", "patch", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (*m).to_owned())
                .collect();
            (path.clone(), methods)
        })
        .collect();
    for (source, item) in paths.iter_mut() {
        let Some(created) = item
            .get_mut("post")
            .and_then(|op| op["responses"].get_mut("201"))
        else {
            continue;
        };
        let schema = created["content"]["application/hal+json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default();
        let Some((_, collection)) = collections.iter().find(|(name, _)| name == schema) else {
            continue;
        };
        let mut links = Map::new();
        for (target, methods) in &targets {
            let body_id = "$response.body#/id";
            // From a creation under a resource (`POST /books/1/authors`) only to the
            // created sub-resource: the new author's own relations would reach the same
            // link from its other side (`/authors/4/books/1`), and a tester that deletes
            // it there cannot know it is gone here.
            let nested = source.contains('{');
            let parameters = if *target == format!("{source}/{{sub}}") {
                json!({ "id": "$request.path.id", "sub": body_id })
            } else if !nested && target.starts_with(&format!("/{collection}/{{id}}")) {
                json!({ "id": body_id })
            } else {
                continue;
            };
            for method in methods {
                let name = format!("{method} {target}")
                    .replace(['/', '{', '}', ':', ' '], "_")
                    .trim_matches('_')
                    .to_owned();
                links.insert(name, json!({
                    "operationRef": format!("#/paths/{}/{method}", target.replace('~', "~0").replace('/', "~1")),
                    "parameters": parameters }));
            }
        }
        if !links.is_empty() {
            created["links"] = Value::Object(links);
        }
    }
}

/// The OpenAPI document; `legacy` gives the 3.0.3 variant.
fn document(ctx: &Ctx, site: Site, legacy: bool) -> Value {
    let model = site.model;
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let item = doc_item;
    let list = list();

    paths.insert("/".into(), json!({ "get": Op::new("The root: a link to every collection".into(), "200", Some(reference("Resource")), &["400"]).done() }));
    let status = json!({ "description": "serving", "content": { "application/json": {
        "schema": { "type": "object", "required": ["status"], "properties": { "status": { "type": "string" } } } } } });
    paths.insert(
        "/live".into(),
        json!({ "get": {
        "summary": "Liveness: 200 while the process serves (no database work)",
        "responses": { "200": status } } }),
    );
    for (path, summary) in [
        (
            "/ready",
            "Readiness: 200 when the database answers, 503 otherwise",
        ),
        ("/health", "The same as `/ready`"),
    ] {
        paths.insert(path.into(), json!({ "get": { "summary": summary,
            "responses": { "200": status, "503": { "$ref": "#/components/responses/Problem503" } } } }));
    }
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
        "/openapi.html".into(),
        json!({ "get": {
        "summary": "This document as an HTML reference, operations grouped by path",
        "responses": { "200": { "description": "an HTML page",
            "content": { "text/html; charset=utf-8": { "schema": { "type": "string" } } } },
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

    // The parts of a singleton are columns of its row: they have no id of their own.
    let parts: Vec<&Entity> = model
        .singleton
        .iter()
        .flat_map(|cart| cart.parts.iter().map(|p| p.entity))
        .collect();
    for entity in model.entities() {
        let has_id = !parts.iter().any(|part| std::ptr::eq(*part, entity));
        schemas.insert(schema_name(entity), output_schema(entity, has_id, legacy));
        schemas.insert(
            format!("{}Input", schema_name(entity)),
            input_schema(entity, Write::Create, legacy, None),
        );
        // PUT and PATCH do not write immutable fields: their schemas leave them out.
        schemas.insert(
            format!("{}Replace", schema_name(entity)),
            input_schema(entity, Write::Replace, legacy, None),
        );
        let mut patch = input_schema(entity, Write::Patch, legacy, None);
        for view in model.views_from(entity) {
            for key in site.styles_of(view.pair).filter_map(|s| s.patch_key(view)) {
                patch["properties"][key] = json!({ "type": "array",
                    "items": reference_schema(view.to.entity.path),
                    "description": format!("Replaces the linked {key} (links, or HAL link objects with `href`)") });
            }
        }
        schemas.insert(format!("{}Patch", schema_name(entity)), patch);
    }

    for (n, entity) in model.collections.iter().copied().enumerate() {
        let name = schema_name(entity);
        let input = reference(&format!("{name}Input"));
        let replace = reference(&format!("{name}Replace"));
        let patch = reference(&format!("{name}Patch"));
        let example = input_example(entity, None, n);
        // Another user's token is a 403.
        let secured = |op: Op| {
            if entity.auth == Auth::SelfOnly {
                op.secured().also_problem("403")
            } else {
                op
            }
        };
        let collection = json!({
            "get": Op::new(format!("List {}", entity.path), "200", Some(list.clone()), &["400"])
                .params(page_params(site, entity, true)).done(),
            "post": Op::new(format!("Create a {}", entity.name), "201", Some(item(entity)), CREATE)
                .json_body(input.clone(), example.clone()).done(),
        });
        paths.insert(format!("/{}", entity.path), collection);
        let embeddable = embeddable(site, entity);
        let mut read = Op::new(
            format!("Read a {}", entity.name),
            "200",
            Some(item(entity)),
            READ,
        );
        if !embeddable.is_empty() {
            read = read.params(vec![embed_param(
                &embeddable,
                "Comma-separated related collections to embed.",
            )]);
        }
        paths.insert(
            format!("/{}/{{id}}", entity.path),
            json!({
                "parameters": [id_param("id", 1)],
                "get": read.done(),
                "put": secured(Op::new(format!("Replace a {}", entity.name), "200", Some(item(entity)), UPDATE)
                    .json_body(replace, example.clone())).done(),
                "patch": secured(Op::new(format!("Update a {} (JSON merge patch)", entity.name), "200", Some(item(entity)), UPDATE)
                    .json_body(patch, example)).done(),
                "delete": secured(Op::new(format!("Delete a {}", entity.name), "204", None, &["404", "409", "412"])).done(),
            }),
        );
    }

    for children in model.children {
        let (parent, child) = (children.parent, children.child);
        let base = format!("/{}/{{id}}/{}", parent.path, child.path);
        let name = schema_name(child);
        let example = input_example(child, Some(children.column), 7);
        paths.insert(
            base.clone(),
            json!({
                "parameters": [id_param("id", 1)],
                "get": Op::new(format!("List the {} of a {}", child.path, parent.name), "200", Some(list.clone()), READ)
                    .params(page_params(site, child, false)).done(),
                "post": Op::new(format!("Create a {} of a {}", child.name, parent.name), "201", Some(item(child)), CREATE_UNDER)
                    .json_body(input_schema(child, Write::Create, legacy, Some(children.column)), example.clone()).done(),
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

    for pair in model.pairs {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            paths.insert(
                format!("/{}/{{id}}/{}", from.path, to.path),
                json!({
                    "parameters": [id_param("id", 1)],
                    "get": Op::new(format!("List the {} of a {}", to.path, from.name), "200", Some(list.clone()), READ)
                        .params(page_params(site, to, false)).done(),
                }),
            );
            for style in site.styles_of(pair) {
                style.openapi(site, view, &mut paths, legacy);
            }
        }
    }

    match model.singleton {
        Some(cart) if cart.behaviour == SingletonBehaviour::Cart => {
            shop_paths(site, legacy, cart, &mut paths, &mut schemas);
        }
        Some(singleton) => singleton_paths(site, singleton, &mut paths, &mut schemas),
        None => {}
    }
    schemas.insert("Links".into(), json!({ "type": "object", "required": ["self"],
        "additionalProperties": { "oneOf": [reference("Link"), { "type": "array", "items": reference("Link") }] } }));
    schemas.insert("Link".into(), json!({ "type": "object", "required": ["href"], "properties": {
        "href": { "type": "string" }, "title": { "type": "string" }, "templated": { "type": "boolean" },
        "name": { "type": "string", "description": "a curie's prefix (`doc` in `_links.curies`)" } } }));
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
    // Every operation that reads the database answers 503 when it does not answer.
    for (path, item) in paths.iter_mut() {
        if matches!(
            path.as_str(),
            "/openapi.json" | "/openapi.html" | "/rels/{name}"
        ) {
            continue;
        }
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                responses.insert(
                    "503".into(),
                    json!({ "$ref": "#/components/responses/Problem503" }),
                );
            }
        }
    }
    add_links(model, &mut paths);
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
