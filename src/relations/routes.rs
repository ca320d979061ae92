//! The routes a [`Pair`] yields, derived from its styles, and their handlers.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::Map;

use super::{Pair, View};
use crate::db::{self, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::{reference, Body, Ctx};
use crate::resources::crud;
use crate::resources::Routes;

/// Registers every route the pair's styles call for, on both sides.
pub fn configure(cfg: &mut web::ServiceConfig, pair: &'static Pair) {
    for view in pair.views() {
        let collection = format!("/{}/{{id}}/{}", view.from.entity.path, view.to.entity.path);
        let mut routes = Routes::new(&collection).get(move |ctx: Ctx| list(ctx, view));
        if pair.styles.sub_resources {
            routes = routes
                .put(move |ctx: Ctx, body: Body| put_list(ctx, view, body))
                .post(move |ctx: Ctx, body: Body| post(ctx, view, body));
            cfg.service(
                Routes::new(&format!("{collection}/{{sub}}"))
                    .get(move |ctx: Ctx| read(ctx, view))
                    .put(move |ctx: Ctx, body: Body| link(ctx, view, body))
                    .delete(move |ctx: Ctx| unlink(ctx, view))
                    .finish(),
            );
        }
        cfg.service(routes.finish());
    }
    if pair.styles.add_remove {
        let view = pair.views()[0];
        for (verb, add) in [("add", true), ("remove", false)] {
            cfg.service(
                Routes::new(&format!(
                    "/{}/{{id}}/{}:{verb}",
                    view.from.entity.path, view.to.entity.path
                ))
                .post(move |ctx: Ctx, body: Body| add_remove(ctx, view, body, add))
                .finish(),
            );
        }
    }
}

/// `GET /{from}/{id}/{to}`: the related resources, paginated and filterable like any
/// collection; 404 when `from` does not exist.
async fn list(ctx: Ctx, view: View) -> ApiResult<HttpResponse> {
    let from_id = ctx.id("id")?;
    let mut narrowing = Sql::new(" AND ");
    narrowing.append(&view.narrowing(from_id));
    crud::list_page(
        &ctx,
        view.to.entity,
        view.collection_path(from_id),
        narrowing,
        &[],
        Some((view.from.entity, from_id)),
        // Only a sub-resource collection takes POST (create and link); a group's users
        // are added with `:add`, which the group's own templates offer.
        view.pair
            .styles
            .sub_resources
            .then(|| view.collection_path(from_id)),
    )
    .await
}

/// `GET /{from}/{id}/{to}/{sub}`: the related resource, if related; else 404.
async fn read(ctx: Ctx, view: View) -> ApiResult<HttpResponse> {
    let (from_id, to_id) = (ctx.id("id")?, ctx.id("sub")?);
    ctx.db(move |conn| {
        if view.is_linked(conn, from_id, to_id)? {
            Ok(())
        } else {
            Err(not_linked(view, from_id, to_id))
        }
    })
    .await?;
    crud::read_item(&ctx, view.to.entity, to_id, StatusCode::OK).await
}

fn not_linked(view: View, from_id: i64, to_id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "{} {to_id} is not related to {} {from_id}",
        view.to.entity.name, view.from.entity.name
    ))
}

/// Fails with 404 unless both ends exist.
fn check_ends(conn: &mut db::DbConn, view: View, from_id: i64, to_id: i64) -> ApiResult<()> {
    if !db::exists(conn, view.from.entity.table, from_id)? {
        return Err(view.from.entity.not_found(from_id));
    }
    if !db::exists(conn, view.to.entity.table, to_id)? {
        return Err(view.to.entity.not_found(to_id));
    }
    Ok(())
}

/// `PUT /{from}/{id}/{to}/{sub}` with an empty body: links them; 201 when new, 200
/// when they already were. The body is the resource the URL starts from.
async fn link(ctx: Ctx, view: View, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    if !body.is_empty() && !matches!(body.json_object(&Method::PUT), Ok(map) if map.is_empty()) {
        return Err(ApiError::field(
            "body",
            "must be empty: the URL names both resources",
        ));
    }
    let (from_id, to_id) = (ctx.id("id")?, ctx.id("sub")?);
    let created = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                check_ends(conn, view, from_id, to_id)?;
                view.link(conn, from_id, to_id)
            })
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = crud::read_item(&ctx, view.from.entity, from_id, status).await?;
    if created {
        let location = ctx
            .links
            .href(&format!("{}/{to_id}", view.collection_path(from_id)));
        if let Ok(value) = header::HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    Ok(response)
}

/// `DELETE /{from}/{id}/{to}/{sub}`: unlinks; 404 when they were not linked.
async fn unlink(ctx: Ctx, view: View) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (from_id, to_id) = (ctx.id("id")?, ctx.id("sub")?);
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            if view.unlink(conn, from_id, to_id)? {
                Ok(())
            } else {
                Err(not_linked(view, from_id, to_id))
            }
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Parses a `text/uri-list` body into ids of the `to` side (400 naming the line).
fn uri_ids(ctx: &Ctx, view: View, body: &Body) -> ApiResult<Vec<i64>> {
    body.uri_list()?
        .iter()
        .map(|(number, line)| {
            reference::parse_reference_str(line, view.to.entity.path, ctx.links.base())
                .map_err(|message| ApiError::field(format!("line {number}"), message))
        })
        .collect()
}

/// `PUT /{from}/{id}/{to}` with `text/uri-list`: the related set becomes exactly the
/// listed resources; 204.
async fn put_list(ctx: Ctx, view: View, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    if !body.is_uri_list() {
        return Err(ApiError::UnsupportedMediaType(
            "PUT on a relation collection takes text/uri-list, one URI a line".into(),
        ));
    }
    let from_id = ctx.id("id")?;
    let to_ids = uri_ids(&ctx, view, &body)?;
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            if !db::lock_row(conn, view.from.entity.table, from_id)? {
                return Err(view.from.entity.not_found(from_id));
            }
            view.set(conn, "body", from_id, &to_ids)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /{from}/{id}/{to}`: with `text/uri-list`, adds the listed resources (204);
/// with JSON, creates a new `to` resource and links it in one transaction (201,
/// `Location` of the new resource, whose links list `from`).
async fn post(ctx: Ctx, view: View, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let from_id = ctx.id("id")?;
    if body.is_uri_list() {
        let to_ids = uri_ids(&ctx, view, &body)?;
        ctx.db(move |conn| {
            db::write(conn, |conn| {
                if !db::exists(conn, view.from.entity.table, from_id)? {
                    return Err(view.from.entity.not_found(from_id));
                }
                let mut to_ids = to_ids;
                to_ids.sort_unstable();
                to_ids.dedup();
                view.check_exist(conn, "body", &to_ids)?;
                view.link_all(conn, from_id, &to_ids)?;
                Ok(())
            })
        })
        .await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let map = body.json_object(&Method::POST)?;
    let to = view.to.entity;
    to.parse_body(&ctx.links, &map, None, true, &[])?;
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                if !db::lock_row(conn, view.from.entity.table, from_id)? {
                    return Err(view.from.entity.not_found(from_id));
                }
                let to_id = crud::insert_from_body(conn, &links, to, &map)?;
                view.link(conn, from_id, to_id)?;
                to.find(conn, &links, to_id)
            })
        })
        .await?;
    Ok(ctx.created(&crud::decorate(&ctx, to, item, Map::new())))
}

/// `POST /{left}/{id}/{right}:add|:remove` with `{"<right singular>": ref}`. Add: 204, or
/// 409 when already related. Remove: 204, or 412 when not related (the Add/Remove
/// pattern's choice: the precondition that they are related failed).
async fn add_remove(ctx: Ctx, view: View, body: Body, add: bool) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let from_id = ctx.id("id")?;
    let map = body.json_object(&Method::POST)?;
    let field = view.to.entity.name;
    if let Some(unknown) = map.keys().find(|k| k.as_str() != field) {
        return Err(ApiError::field(
            unknown.clone(),
            format!("unknown property; the body is {{\"{field}\": <reference>}}"),
        ));
    }
    let target = map
        .get(field)
        .ok_or_else(|| ApiError::field(field, "is required"))?;
    let to_id = reference::parse_reference(target, view.to.entity.path, ctx.links.base())
        .map_err(|message| ApiError::field(field, message))?;
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            if !db::exists(conn, view.from.entity.table, from_id)? {
                return Err(view.from.entity.not_found(from_id));
            }
            if !db::exists(conn, view.to.entity.table, to_id)? {
                return Err(ApiError::missing(
                    field,
                    format!("there is no {} with id {to_id}", view.to.entity.name),
                ));
            }
            let (from, to) = (view.from.entity.name, view.to.entity.name);
            if add {
                if !view.link(conn, from_id, to_id)? {
                    return Err(ApiError::Conflict(format!(
                        "{to} {to_id} is already in {from} {from_id}"
                    )));
                }
            } else if !view.unlink(conn, from_id, to_id)? {
                return Err(ApiError::PreconditionFailed(format!(
                    "the precondition that {to} {to_id} is a member of {from} {from_id} failed: \
                     it is not a member"
                )));
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
