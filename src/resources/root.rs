//! The root resource, `/health`, `/openapi.json` and the relation pages `/rels/{name}`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::entity::Entity;
use super::{crud, Routes};
use crate::db::Sql;
use crate::error::{ApiError, ApiResult};
use crate::hal::Ctx;
use crate::relations::{self, pairs};

fn collections() -> impl Iterator<Item = &'static Entity> {
    super::COLLECTIONS.iter().copied()
}

/// `/`, `/health`, `/openapi.json`, `/rels/{name}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Routes::new("/").get(root).finish());
    cfg.service(Routes::new("/health").get(health).finish());
    cfg.service(Routes::new("/openapi.json").get(openapi).finish());
    cfg.service(Routes::new("/rels/{name:.+}").get(rel_page).finish());
}

async fn root(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let links = &ctx.links;
    let mut map = Map::new();
    map.insert("self".into(), links.link(""));
    for entity in collections() {
        map.insert(entity.path.into(), links.link(entity.path));
        // `book` → /books/{id}; a cross-resource is found by search instead.
        if !relations::is_cross(entity) {
            map.insert(
                entity.name.into(),
                links.templated(&format!("{}/{{id}}", entity.path)),
            );
        }
    }
    for entity in collections() {
        let params: Vec<String> = crud::narrowing_names(entity)
            .into_iter()
            .filter(|name| name.ends_with("_id"))
            .collect();
        if !params.is_empty() {
            map.insert(
                format!("{}-search", entity.path),
                links.templated(&format!("{}{{?{}}}", entity.path, params.join(","))),
            );
        }
    }
    map.insert("cart".into(), links.link("cart"));
    map.insert("orders".into(), links.link("orders"));
    map.insert("health".into(), links.link("health"));
    map.insert("openapi".into(), links.link("openapi.json"));
    Ok(ctx.respond(StatusCode::OK, &json!({ "_links": map })))
}

async fn health(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.db(|conn| Ok(Sql::new("SELECT 1").execute(conn)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(r#"{"status":"ok"}"#))
}

/// Every relation Halyard defines, with what it means and what its target takes.
fn relations() -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    for pair in pairs::ALL {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            if view.from.inline {
                out.push((
                    to.path.to_owned(),
                    format!(
                        "An array of links, titled, to the {} of this {} (at most {}; follow collection/{} for all).",
                        to.path,
                        from.name,
                        crate::relations::MAX_ITEM_LINKS,
                        to.path
                    ),
                    "GET",
                ));
            }
            out.push((
                view.collection_rel(),
                format!(
                    "The paginated collection of the {} related to this {}.",
                    to.path, from.name
                ),
                if pair.styles.sub_resources {
                    "GET, PUT (text/uri-list), POST (text/uri-list or JSON to create and link)"
                } else {
                    "GET"
                },
            ));
        }
        if let Some(cross) = pair.styles.cross {
            out.push((
                cross.path.to_owned(),
                format!(
                    "The relationship itself as resources ({}), narrowed to this item.",
                    cross.name
                ),
                "GET, POST, DELETE (bulk, narrowed)",
            ));
        }
    }
    for entity in collections() {
        out.push((
            entity.path.to_owned(),
            format!("The collection of {}.", entity.path),
            "GET, POST",
        ));
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

async fn rel_page(ctx: Ctx) -> ApiResult<HttpResponse> {
    let name = ctx.req.match_info().get("name").unwrap_or("").to_owned();
    let (name, meaning, methods) = relations()
        .into_iter()
        .find(|(rel, _, _)| *rel == name)
        .ok_or_else(|| ApiError::NotFound(format!("Halyard defines no relation {name:?}")))?;
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Relation {name}</title></head>\
         <body><h1>Relation <code>{name}</code></h1><p>{meaning}</p><p>Methods on the target: {methods}.</p></body></html>"
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}

async fn openapi(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .body(openapi_document(&ctx).to_string()))
}

fn operation(summary: String, ok: &str) -> Value {
    json!({
        "summary": summary,
        "responses": {
            ok: { "description": "success" },
            "default": {
                "description": "a problem",
                "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
            }
        }
    })
}

fn id_param(name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer", "minimum": 0 }, "example": 1 })
}

/// The OpenAPI 3.1 document, derived from the same descriptors as the routes.
pub fn openapi_document(ctx: &Ctx) -> Value {
    let mut paths = Map::new();
    paths.insert(
        "/".into(),
        json!({ "get": operation("The root resource".into(), "200") }),
    );
    paths.insert(
        "/health".into(),
        json!({ "get": operation("Health".into(), "200") }),
    );
    paths.insert(
        "/openapi.json".into(),
        json!({ "get": operation("This document".into(), "200") }),
    );
    paths.insert("/rels/{name}".into(), json!({ "get": operation("A relation's documentation".into(), "200"),
        "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string" }, "example": "authors" }] }));
    for entity in collections() {
        let n = entity.name;
        let mut collection = json!({
            "get": operation(format!("List {}", entity.path), "200"),
            "post": operation(format!("Create a {n}"), "201"),
        });
        if relations::is_cross(entity) {
            collection["delete"] = operation(
                format!("Delete the {} matching the query", entity.path),
                "200",
            );
        }
        paths.insert(format!("/{}", entity.path), collection);
        paths.insert(
            format!("/{}/{{id}}", entity.path),
            json!({
                "parameters": [id_param("id")],
                "get": operation(format!("Read a {n}"), "200"),
                "put": operation(format!("Replace a {n}"), "200"),
                "patch": operation(format!("Update a {n}"), "200"),
                "delete": operation(format!("Delete a {n}"), "204"),
            }),
        );
    }
    for children in pairs::CHILDREN {
        let (parent, child) = (children.parent, children.child);
        let base = format!("/{}/{{id}}/{}", parent.path, child.path);
        paths.insert(
            base.clone(),
            json!({
                "parameters": [id_param("id")],
                "get": operation(format!("List the {} of a {}", child.path, parent.name), "200"),
                "post": operation(format!("Create a {} of a {}", child.name, parent.name), "201"),
            }),
        );
        if children.dependent {
            paths.insert(
                format!("{base}/{{sub}}"),
                json!({
                    "parameters": [id_param("id"), id_param("sub")],
                    "get": operation(format!("Read a {}", child.name), "200"),
                    "patch": operation(format!("Update a {}", child.name), "200"),
                    "delete": operation(format!("Delete a {}", child.name), "204"),
                }),
            );
        }
    }
    for pair in pairs::ALL {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            let base = format!("/{}/{{id}}/{}", from.path, to.path);
            let mut collection = json!({
                "parameters": [id_param("id")],
                "get": operation(format!("List the {} of a {}", to.path, from.name), "200"),
            });
            if pair.styles.sub_resources {
                collection["put"] = operation(
                    format!("Replace the {} of a {} (text/uri-list)", to.path, from.name),
                    "204",
                );
                collection["post"] = operation(
                    format!(
                        "Add {} (text/uri-list) or create and link one (JSON)",
                        to.path
                    ),
                    "201",
                );
                paths.insert(
                    format!("{base}/{{sub}}"),
                    json!({
                        "parameters": [id_param("id"), id_param("sub")],
                        "get": operation(format!("Read a related {}", to.name), "200"),
                        "put": operation(format!("Link a {} to a {}", to.name, from.name), "200"),
                        "delete": operation(format!("Unlink a {} from a {}", to.name, from.name), "204"),
                    }),
                );
            }
            paths.insert(base, collection);
        }
        if pair.styles.add_remove {
            let view = pair.views()[0];
            for verb in ["add", "remove"] {
                paths.insert(
                    format!("/{}/{{id}}/{}:{verb}", view.from.entity.path, view.to.entity.path),
                    json!({ "parameters": [id_param("id")],
                            "post": operation(format!("{verb} a {} ", view.to.entity.name), "204") }),
                );
            }
        }
    }
    let bearer = || json!([{ "bearer": [] }]);
    let secured = |summary: &str, ok: &str| {
        let mut op = operation(summary.to_owned(), ok);
        op["security"] = bearer();
        op
    };
    paths.insert(
        "/cart".into(),
        json!({ "get": secured("The authenticated user's cart", "200") }),
    );
    paths.insert(
        "/users/{id}/cart".into(),
        json!({ "parameters": [id_param("id")], "get": secured("A user's own cart", "200") }),
    );
    paths.insert(
        "/cart/items".into(),
        json!({ "get": secured("The cart's items", "200"), "post": secured("Add a book to the cart", "201") }),
    );
    paths.insert(
        "/cart/items/{item}".into(),
        json!({
            "parameters": [id_param("item")],
            "get": secured("A cart item", "200"),
            "patch": secured("Change a cart item's quantity", "200"),
            "delete": secured("Remove a cart item", "204"),
        }),
    );
    for part in ["shipping", "billing", "payment"] {
        paths.insert(
            format!("/cart/{part}"),
            json!({
                "get": secured(&format!("The cart's {part} details"), "200"),
                "put": secured(&format!("Replace the cart's {part} details"), "200"),
                "patch": secured(&format!("Update the cart's {part} details"), "200"),
            }),
        );
    }
    paths.insert(
        "/cart:checkout".into(),
        json!({ "post": secured("Turn the cart into an order", "201") }),
    );
    paths.insert(
        "/orders".into(),
        json!({ "get": secured("The user's orders", "200") }),
    );
    paths.insert(
        "/orders/{id}".into(),
        json!({ "parameters": [id_param("id")], "get": secured("One of the user's orders", "200") }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Halyard", "version": env!("CARGO_PKG_VERSION"),
                  "description": "A HAL hypermedia API for a bookshop, relationships done right." },
        "servers": [{ "url": ctx.links.base().as_str().trim_end_matches('/') }],
        "paths": paths,
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
          "schemas": { "Problem": {
            "type": "object",
            "required": ["type", "title", "status"],
            "properties": {
                "type": { "type": "string" }, "title": { "type": "string" },
                "status": { "type": "integer" }, "detail": { "type": "string" },
                "errors": { "type": "array", "items": { "type": "object",
                    "properties": { "field": { "type": "string" }, "message": { "type": "string" } } } }
            }
        } } }
    })
}
