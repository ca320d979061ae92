//! §2c, the cross-resource: the link table as a resource of its own, with properties
//! (`/books-authors`). Its CRUD is the generic one; this style adds the bulk DELETE of
//! its collection, the link from each side's items to their relations, and the forms
//! that relate an item with properties or delete all its relations.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::forms::properties;
use super::narrowing;
use super::openapi::{narrowing_param, Op, READ};
use super::style::{add_rel, PairStyle, Rels, Site};
use crate::db::Sql;
use crate::error::{ApiError, ApiResult};
use crate::hal::forms::{a, template};
use crate::hal::Links;
use crate::http::{Ctx, Routes};
use crate::model::{Entity, Pair, View};

/// The style.
pub(crate) struct Cross;

impl PairStyle for Cross {
    fn offered(&self, pair: &Pair) -> bool {
        pair.styles.cross.is_some()
    }

    fn collection(
        &self,
        site: Site,
        pair: &'static Pair,
        entity: &'static Entity,
        routes: Routes,
    ) -> Routes {
        if pair
            .styles
            .cross
            .is_some_and(|cross| std::ptr::eq(cross, entity))
        {
            routes.delete(move |ctx: Ctx| bulk_delete(ctx, site, entity))
        } else {
            routes
        }
    }

    fn links(&self, links: &Links, view: View, id: i64, map: &mut Map<String, Value>) {
        if let Some(cross) = view.pair.styles.cross {
            let id = id.to_string();
            map.insert(
                cross.path.into(),
                json!({ "href": links.href_query(cross.path, &[(view.from.column, &id)]) }),
            );
        }
    }

    fn forms(
        &self,
        links: &Links,
        view: View,
        id: i64,
        _linked: &[(String, String)],
        out: &mut Map<String, Value>,
    ) {
        let Some(cross) = view.pair.styles.cross else {
            return;
        };
        let (from, to) = (view.from.entity, view.to.entity);
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

    fn openapi(&self, site: Site, view: View, paths: &mut Map<String, Value>, _legacy: bool) {
        if let Some(cross) = view.pair.styles.cross {
            if let Some(collection) = paths.get_mut(&format!("/{}", cross.path)) {
                collection["delete"] = bulk_delete_operation(site, cross);
            }
        }
    }

    fn rels(&self, view: View, rels: &mut Rels) {
        if let Some(cross) = view.pair.styles.cross {
            add_rel(
                rels,
                cross.path.to_owned(),
                format!("The relationship itself as resources ({}), narrowed to this item; from the root, all of them.", cross.name),
                "GET, POST, DELETE (bulk, narrowed by a query parameter)",
            );
        }
    }
}

/// The OpenAPI operation of the bulk DELETE on a cross-resource's collection.
fn bulk_delete_operation(site: Site, entity: &'static Entity) -> Value {
    // "At least one of these" is an object parameter exploded into the query (`style:
    // form`), with `minProperties: 1`: listed one by one, none could be required.
    let mut properties = Map::new();
    for (name, collection) in narrowing::targets(site, entity) {
        let param = narrowing_param(&name, collection, "");
        properties.insert(name, param["schema"].clone());
    }
    let example: Map<String, Value> = properties
        .keys()
        .filter(|name| name.ends_with("_id"))
        .take(1)
        .map(|name| (name.clone(), json!(2)))
        .collect();
    let params = vec![
        json!({ "name": "narrowing", "in": "query", "required": true,
        "style": "form", "explode": true,
        "description": "At least one narrowing parameter: the relations of these resources are deleted.",
        "schema": { "type": "object", "minProperties": 1, "additionalProperties": false,
            "properties": properties },
        "example": example }),
    ];
    Op::new(
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
    .done()
}

/// `DELETE /{collection}?book_id=1`: every matching resource in one statement and one
/// transaction; `{"deletedCount": N}`. Without a narrowing parameter it is 400, so a
/// stray request never deletes everything.
async fn bulk_delete(ctx: Ctx, site: Site, entity: &'static Entity) -> ApiResult<HttpResponse> {
    let names = narrowing::names(site, entity, None);
    let allowed: Vec<&str> = names.iter().map(String::as_str).collect();
    let query = ctx.query(&allowed)?;
    let (narrowing, any) = narrowing::sql(site, entity, &ctx.links, &query)?;
    if !any {
        return Err(ApiError::field(
            "query",
            format!(
                "bulk delete needs at least one of {} (it never deletes everything)",
                allowed.join(", ")
            ),
        ));
    }
    let count = ctx
        .write(move |conn| {
            let mut sql = Sql::new(&format!("DELETE FROM {} WHERE 1 = 1", entity.table));
            sql.append(&narrowing);
            Ok(sql.execute(conn)?)
        })
        .await?;
    Ok(ctx.respond(StatusCode::OK, &json!({ "deletedCount": count })))
}
