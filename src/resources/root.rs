//! The root resource, `/health`, `/openapi.json` and the relation pages `/rels/{name}`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{json, Map};

use std::collections::BTreeMap;

use super::entity::{Entity, Kind};
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
    cfg.service(
        Routes::new("/openapi.json")
            .get(super::openapi::serve)
            .finish(),
    );
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

/// The relations of resources that are not [`Entity`] descriptors (the cart, its parts,
/// orders, the root), with what they mean and the methods their targets take.
const FIXED_RELATIONS: &[(&str, &str, &str)] = &[
    ("cart", "The authenticated user's cart (needs a bearer token); from a part of the cart, the cart it belongs to.", "GET"),
    ("orders", "The authenticated user's orders (needs a bearer token).", "GET"),
    ("health", "The health check: 200 when the database answers.", "GET"),
    ("openapi", "The OpenAPI 3.1 document of every path (`?openapi=3.0` for tools that read only 3.0).", "GET"),
    ("owner", "The user who owns this cart or order.", "GET, PUT, PATCH, DELETE (with that user's token)"),
    ("items", "An array of links, titled by book, to the items in this cart; `?embed=items` embeds them.", "GET, PATCH, DELETE"),
    ("collection/items", "The paginated collection of this cart's items; POST adds a book.", "GET, POST"),
    ("shipping", "The cart's shipping address, a singleton.", "GET, PUT, PATCH"),
    ("billing", "The cart's billing address, a singleton; the shipping address until set.", "GET, PUT, PATCH"),
    ("payment", "The cart's payment card (only brand and last four digits are kept), a singleton.", "GET, PUT, PATCH"),
    ("checkout", "Turns the cart into an order (201, Location of the order) and empties it.", "POST"),
];

/// Every relation Halyard defines, with what it means and what its target takes,
/// derived from the same descriptors as the links themselves.
fn relations() -> BTreeMap<String, (Vec<String>, String)> {
    let mut out: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    let mut add = |rel: String, meaning: String, methods: &str| {
        let entry = out
            .entry(rel)
            .or_insert_with(|| (Vec::new(), methods.to_owned()));
        if !entry.0.contains(&meaning) {
            entry.0.push(meaning);
        }
    };
    for (rel, meaning, methods) in FIXED_RELATIONS {
        add((*rel).to_owned(), (*meaning).to_owned(), methods);
    }
    for pair in pairs::ALL {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            if view.from.inline {
                add(
                    to.path.to_owned(),
                    format!(
                        "An array of links, titled, to the {} of this {} (at most {}; follow collection/{} for all; `?embed={}` embeds them).",
                        to.path, from.name, crate::relations::MAX_ITEM_LINKS, to.path, to.path
                    ),
                    "GET, PUT, PATCH, DELETE",
                );
            }
            let methods = if pair.styles.sub_resources {
                "GET, PUT (text/uri-list: replace the set), POST (text/uri-list: add; JSON: create and link); \
                 PUT and DELETE on /{id} link and unlink one"
            } else if pair.styles.add_remove && std::ptr::eq(view.from, &pair.left) {
                "GET; POST to the path followed by :add or :remove with a reference"
            } else {
                "GET"
            };
            add(
                view.collection_rel(),
                format!(
                    "The paginated, filterable collection of the {} related to this {}.",
                    to.path, from.name
                ),
                methods,
            );
        }
        if let Some(cross) = pair.styles.cross {
            add(
                cross.path.to_owned(),
                format!("The relationship itself as resources ({}), narrowed to this item; from the root, all of them.", cross.name),
                "GET, POST, DELETE (bulk, narrowed by a query parameter)",
            );
        }
    }
    for children in pairs::CHILDREN {
        add(
            children.collection_rel(),
            format!(
                "The paginated collection of this {}'s {}.",
                children.parent.name, children.child.path
            ),
            "GET, POST",
        );
    }
    let mut entities: Vec<&'static Entity> = collections().collect();
    entities.extend(pairs::CHILDREN.iter().map(|c| c.child));
    entities.push(&super::cart::CART_ITEMS);
    for entity in entities {
        for field in entity.fields {
            if let Kind::Ref { target, rel } = field.kind {
                add(
                    rel.to_owned(),
                    format!("The {} this {} refers to.", target.name, entity.name),
                    "GET, PUT, PATCH, DELETE",
                );
            }
        }
        if let Some(parent) = entity.parent {
            add(
                parent.rel.to_owned(),
                format!(
                    "The {} this {} belongs to.",
                    parent.entity.name, entity.name
                ),
                "GET, PUT, PATCH, DELETE",
            );
        }
    }
    for entity in collections() {
        add(
            entity.path.to_owned(),
            format!("The collection of {} (paginated, filterable).", entity.path),
            if relations::is_cross(entity) {
                "GET, POST, DELETE (bulk, narrowed)"
            } else {
                "GET, POST"
            },
        );
        if !relations::is_cross(entity) {
            add(
                entity.name.to_owned(),
                format!(
                    "From the root: a templated link to one {} by id.",
                    entity.name
                ),
                "GET, PUT, PATCH, DELETE",
            );
        }
        if crud::narrowing_names(entity)
            .iter()
            .any(|n| n.ends_with("_id"))
        {
            add(
                format!("{}-search", entity.path),
                format!(
                    "A templated link to the {} narrowed by the related ids it names.",
                    entity.path
                ),
                "GET",
            );
        }
    }
    out
}

/// Every relation name Halyard documents at `/rels/{name}`.
pub fn relation_names() -> Vec<String> {
    relations().into_keys().collect()
}

async fn rel_page(ctx: Ctx) -> ApiResult<HttpResponse> {
    let name = ctx.req.match_info().get("name").unwrap_or("").to_owned();
    let (meanings, methods) = relations()
        .remove(&name)
        .ok_or_else(|| ApiError::NotFound(format!("Halyard defines no relation {name:?}")))?;
    // Names and meanings come from the descriptors, never from the request, but are
    // escaped all the same so a future name with `<` or `&` cannot break the page.
    let meaning: String = meanings
        .iter()
        .map(|m| format!("<p>{}</p>", escape(m)))
        .collect();
    let (name, methods) = (escape(&name), escape(&methods));
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Relation {name}</title></head>\
         <body><h1>Relation <code>{name}</code></h1>{meaning}<p>Methods on the target: {methods}.</p></body></html>"
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
