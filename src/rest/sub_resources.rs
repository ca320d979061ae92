//! §2b, sub-resources: on both sides `PUT|DELETE|GET /{from}/{id}/{to}/{toId}` link,
//! unlink and read one related resource; the sub-collection takes `text/uri-list` PUT
//! (replace the set) and POST (add), and JSON POST (create and link in one
//! transaction).

use actix_web::http::{header, Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::crud;
use super::forms::{pick, properties};
use super::openapi::{
    self as doc, id_param, input_example, reference, schema_name, Op, CREATE_UNDER, READ,
};
use super::style::{PairStyle, Site};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::hal::forms::{a, sentence, template};
use crate::hal::{reference as hal_reference, Links};
use crate::http::{Body, Ctx, Registrar, Routes};
use crate::model::{Pair, View};

/// The style.
pub(crate) struct SubResources;

impl PairStyle for SubResources {
    fn offered(&self, pair: &Pair) -> bool {
        pair.styles.sub_resources
    }

    fn sub_collection(&self, site: Site, view: View, routes: Routes) -> Routes {
        routes
            .put(move |ctx: Ctx, body: Body| put_list(ctx, view, body))
            .post(move |ctx: Ctx, body: Body| post(ctx, site, view, body))
    }

    fn sub_collection_takes_post(&self) -> bool {
        true
    }

    fn routes(&self, reg: &mut Registrar, site: Site, view: View) {
        reg.add(
            Routes::new(&format!(
                "/{}/{{id}}/{}/{{sub}}",
                view.from.entity.path, view.to.entity.path
            ))
            .get(move |ctx: Ctx| read(ctx, site, view))
            .put(move |ctx: Ctx, body: Body| link(ctx, site, view, body))
            .delete(move |ctx: Ctx| unlink(ctx, view)),
        );
    }

    fn forms(
        &self,
        links: &Links,
        view: View,
        id: i64,
        linked: &[(String, String)],
        out: &mut Map<String, Value>,
    ) {
        let (from, to) = (view.from.entity, view.to.entity);
        let collection = links.href(&view.collection_path(id));
        // A text/uri-list line is a URI: the option's value is the resource's self link.
        let uri_property = |multiple: bool| {
            let mut options = pick(links, to, "_links.self.href");
            if multiple {
                options["minItems"] = json!(0);
                if let Some(map) = options.as_object_mut() {
                    map.remove("maxItems");
                }
            }
            let (prompt, help) = match multiple {
                true => (
                    sentence(to.path),
                    format!(
                        "Tick every {} this {} should have; those left unticked are unlinked \
                         (never deleted).",
                        to.name, from.name
                    ),
                ),
                false => (
                    sentence(to.name),
                    format!("The existing {} to link to this {}.", to.name, from.name),
                ),
            };
            json!({
                "name": to.name,
                "prompt": prompt,
                "help": help,
                "type": "url",
                "required": !multiple,
                "options": options,
            })
        };
        out.insert(
            format!("link-{}", to.path),
            template(
                format!("Link an existing {} to this {}", to.name, from.name),
                "POST",
                &collection,
                Some("text/uri-list"),
                vec![uri_property(false)],
            ),
        );
        out.insert(
            format!("set-{}", to.path),
            template(
                format!("Replace this {}'s {}", from.name, to.path),
                "PUT",
                &collection,
                Some("text/uri-list"),
                vec![uri_property(true)],
            ),
        );
        out.insert(
            format!("create-{}", to.path),
            template(
                format!("Create {} linked to this {}", a(to.name), from.name),
                "POST",
                &collection,
                Some("application/json"),
                properties(links, to, true, None),
            ),
        );
        for (href, title) in linked {
            let Some(other) = href.rsplit('/').next() else {
                continue;
            };
            out.insert(
                format!("unlink-{}-{other}", to.name),
                template(
                    format!("Unlink {title}"),
                    "DELETE",
                    &format!("{collection}/{other}"),
                    None,
                    Vec::new(),
                ),
            );
        }
    }

    fn sub_collection_methods(&self, _view: View) -> Option<&'static str> {
        Some(
            "GET, PUT (text/uri-list: replace the set), POST (text/uri-list: add; JSON: create and link); \
             PUT and DELETE on /{id} link and unlink one",
        )
    }

    fn openapi(&self, _site: Site, view: View, paths: &mut Map<String, Value>, _legacy: bool) {
        let (from, to) = (view.from.entity, view.to.entity);
        let base = format!("/{}/{{id}}/{}", from.path, to.path);
        let uris = format!("/{p}/1\n/{p}/2\n", p = to.path);
        let collection = &mut paths[&base];
        collection["put"] = Op::new(
            format!("Replace the {} of a {} (text/uri-list)", to.path, from.name),
            "204",
            None,
            &["400", "404", "413", "415", "422"],
        )
        .uri_list_body(to.path, &uris)
        .done();
        collection["post"] = Op::new(
            format!("Create a {} and link it to a {} (JSON; with text/uri-list: link the listed ones, 204)", to.name, from.name),
            "201", Some(doc::item(to)), CREATE_UNDER,
        )
        .also("204", "text/uri-list: the listed resources are linked", None)
        .json_body(reference(&format!("{}Input", schema_name(to))), input_example(to, None, 11))
        .done();
        paths.insert(
            format!("{base}/{{sub}}"),
            json!({
                "parameters": [id_param("id", 1), id_param("sub", 1)],
                "get": Op::new(format!("Read a {} related to a {}", to.name, from.name), "200", Some(doc::item(to)), READ).done(),
                "put": Op::new(format!("Link a {} to a {} (empty body; 201 when new)", to.name, from.name), "200", Some(doc::item(from)), &["400", "404"])
                    .also("201", "linked now; the body is the resource the URL starts from", Some(doc::item(from))).done(),
                "delete": Op::new(format!("Unlink a {} from a {}", to.name, from.name), "204", None, &["404"]).done(),
            }),
        );
    }
}

/// `GET /{from}/{id}/{to}/{sub}`: the related resource, if related; else 404. Both
/// are read on one connection, one after the other.
async fn read(ctx: Ctx, site: Site, view: View) -> ApiResult<HttpResponse> {
    let (from_id, to_id) = (ctx.id("id")?, ctx.id("sub")?);
    let read = crud::ItemRead::new(&ctx, site, view.to.entity, to_id)?;
    let found = ctx
        .db_point_read(move |conn| {
            if !view.is_linked(conn, from_id, to_id)? {
                return Err(not_linked(view, from_id, to_id));
            }
            read.run(conn)
        })
        .await?;
    Ok(crud::respond_found(
        &ctx,
        site,
        view.to.entity,
        StatusCode::OK,
        found,
    ))
}

fn not_linked(view: View, from_id: i64, to_id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "{} {to_id} is not related to {} {from_id}",
        view.to.entity.name, view.from.entity.name
    ))
}

/// Fails with 404 unless both ends exist.
fn check_ends(conn: &mut db::DbConn, view: View, from_id: i64, to_id: i64) -> ApiResult<()> {
    match view.ends_exist(conn, from_id, to_id)? {
        (false, _) => Err(view.from.entity.not_found(from_id)),
        (true, false) => Err(view.to.entity.not_found(to_id)),
        (true, true) => Ok(()),
    }
}

/// `PUT /{from}/{id}/{to}/{sub}` with an empty body: links them; 201 when new, 200
/// when they already were. The body is the resource the URL starts from.
async fn link(ctx: Ctx, site: Site, view: View, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    if !body.is_empty() && !matches!(body.json_object(&Method::PUT), Ok(map) if map.is_empty()) {
        return Err(ApiError::field(
            "body",
            "must be empty: the URL names both resources",
        ));
    }
    let (from_id, to_id) = (ctx.id("id")?, ctx.id("sub")?);
    // The answer is read in the write, on the connection that wrote: no second
    // checkout, and its page cache is the one the write left current.
    let read = crud::ItemRead::new(&ctx, site, view.from.entity, from_id)?;
    // The usual case, a new link between two resources, is one statement: on
    // PostgreSQL the whole write, the answer read after it.
    let one = {
        let read = read.clone();
        move |conn: &mut db::DbConn| match view.link_in_one(conn, from_id, to_id)? {
            true => Ok(Some((true, read.run(conn)?))),
            false => Ok(None),
        }
    };
    let (created, found) = ctx
        .write_in_one(one, move |conn| {
            // Else the ends are checked, and linked unless they are: an end another
            // transaction just committed was not there for the first insert.
            let created = view.link_if_ends_exist(conn, from_id, to_id)? || {
                check_ends(conn, view, from_id, to_id)?;
                !view.is_linked(conn, from_id, to_id)? && view.link(conn, from_id, to_id)?
            };
            Ok((created, read.run(conn)?))
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = crud::respond_found(&ctx, site, view.from.entity, status, found);
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
    ctx.write(move |conn| {
        if view.unlink(conn, from_id, to_id)? {
            Ok(())
        } else {
            Err(not_linked(view, from_id, to_id))
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Parses a `text/uri-list` body into ids of the `to` side (400 naming the line).
fn uri_ids(ctx: &Ctx, view: View, body: &Body) -> ApiResult<Vec<i64>> {
    body.uri_list()?
        .iter()
        .map(|(number, line)| {
            hal_reference::parse_reference_str(line, view.to.entity.path, ctx.links.base())
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
    ctx.write(move |conn| {
        if !db::lock_row(conn, view.from.entity.table, from_id)? {
            return Err(view.from.entity.not_found(from_id));
        }
        view.set(conn, "body", from_id, &to_ids)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /{from}/{id}/{to}`: with `text/uri-list`, adds the listed resources (204);
/// with JSON, creates a new `to` resource and links it in one transaction (201,
/// `Location` of the new resource, whose links list `from`).
async fn post(ctx: Ctx, site: Site, view: View, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let from_id = ctx.id("id")?;
    if body.is_uri_list() {
        let to_ids = uri_ids(&ctx, view, &body)?;
        ctx.write(move |conn| {
            if !db::exists(conn, view.from.entity.table, from_id)? {
                return Err(view.from.entity.not_found(from_id));
            }
            view.add(conn, "body", from_id, &to_ids)
        })
        .await?;
        return Ok(HttpResponse::NoContent().finish());
    }
    let map = body.json_object(&Method::POST)?;
    let to = view.to.entity;
    to.parse_body(&ctx.links, &map, None, true, &[])?;
    let links = ctx.links.clone();
    let item = ctx
        .write(move |conn| {
            if !db::lock_row(conn, view.from.entity.table, from_id)? {
                return Err(view.from.entity.not_found(from_id));
            }
            let to_id = crud::insert_from_body(conn, &links, to, &map)?;
            view.link(conn, from_id, to_id)?;
            super::render::item(conn, site, &links, to, to_id)
        })
        .await?;
    Ok(ctx.created(crud::decorate(&ctx, site, to, item, Map::new())))
}
