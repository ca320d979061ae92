//! The handlers every collection shares, configured by an [`Entity`] descriptor.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::entity::Entity;
use super::Routes;
use crate::auth;
use crate::db::{self, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::page::{PageRequest, PAGE_PARAMS};
use crate::hal::{forms, reference, Body, Ctx, Item, Links, Query};
use crate::relations::children::Children;
use crate::relations::{self, View};
use crate::resources::entity::{Auth, Kind};

/// Runs in the creating transaction, after the insert; returns properties to add to the
/// 201 body only (a user's API token, shown once).
pub type AfterCreate = fn(&mut db::DbConn, i64) -> ApiResult<Map<String, Value>>;

/// Options for [`configure`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Work that belongs to creating one of these resources.
    pub after_create: Option<AfterCreate>,
}

/// Registers `/{path}` and `/{path}/{id}` with list, create, read, replace, patch and
/// delete; a cross-resource also gets bulk DELETE on its collection (§2c).
pub fn configure(cfg: &mut web::ServiceConfig, entity: &'static Entity, options: Options) {
    let mut collection = Routes::new(&format!("/{}", entity.path))
        .get(move |ctx: Ctx| list(ctx, entity))
        .post(move |ctx: Ctx, body: Body| create(ctx, entity, body, options.after_create));
    if relations::is_cross(entity) {
        collection = collection.delete(move |ctx: Ctx| bulk_delete(ctx, entity));
    }
    cfg.service(collection.finish());
    cfg.service(
        Routes::new(&format!("/{}/{{id}}", entity.path))
            .get(move |ctx: Ctx| read(ctx, entity))
            .put(move |ctx: Ctx, body: Body| replace(ctx, entity, body, false))
            .patch(move |ctx: Ctx, body: Body| replace(ctx, entity, body, true))
            .delete(move |ctx: Ctx| delete(ctx, entity))
            .finish(),
    );
}

/// How a collection may be narrowed by query parameters: by a reference field
/// (`book_id=1` or `book=%2Fbooks%2F1`) or by a relation's query form (`car_id=1`).
enum Narrowing {
    Field(&'static str),
    Related(View),
}

fn narrowings(entity: &'static Entity) -> Vec<(String, &'static Entity, Narrowing)> {
    let mut out = Vec::new();
    for field in entity.fields {
        if let Kind::Ref { target, rel } = field.kind {
            out.push((
                field.column.to_owned(),
                target,
                Narrowing::Field(field.column),
            ));
            out.push((rel.to_owned(), target, Narrowing::Field(field.column)));
        }
    }
    for (param, view) in relations::query_forms(entity) {
        out.push((param, view.from.entity, Narrowing::Related(view)));
        out.push((
            view.from.entity.name.to_owned(),
            view.from.entity,
            Narrowing::Related(view),
        ));
    }
    out
}

/// The SQL conditions the narrowing parameters in `query` add. `*_id` parameters take an
/// id; the others a hyperlink (any reference form).
fn narrowing_sql(entity: &'static Entity, links: &Links, query: &Query) -> ApiResult<(Sql, bool)> {
    let mut sql = Sql::default();
    let mut any = false;
    for (param, target, narrowing) in narrowings(entity) {
        let Some(value) = query.get(&param) else {
            continue;
        };
        let id = if param.ends_with("_id") {
            value
                .parse::<i64>()
                .ok()
                .filter(|id| *id >= 0 && value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    ApiError::field(param.clone(), "must be an id (a non-negative integer)")
                })?
        } else {
            reference::parse_reference_str(value, target.path, links.base())
                .map_err(|message| ApiError::field(param.clone(), message))?
        };
        any = true;
        sql.push(" AND ");
        match narrowing {
            Narrowing::Field(column) => {
                sql.push(&format!("{}.{column} = ", entity.table)).bind(id);
            }
            Narrowing::Related(view) => {
                sql.append(&view.narrowing(id));
            }
        }
    }
    Ok((sql, any))
}

/// The query parameters that narrow `entity`'s collection: `book_id`, `book`, `car_id`…
pub fn narrowing_names(entity: &'static Entity) -> Vec<String> {
    narrowings(entity)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect()
}

/// Lists one page of `entity`, narrowed by `extra` (trusted SQL conditions, may be
/// empty) and by the request's parameters. `path` is the collection's own path.
pub async fn list_page(
    ctx: &Ctx,
    entity: &'static Entity,
    path: String,
    extra: Sql,
    allowed_extra: &[&str],
    guard: Option<(&'static Entity, i64)>,
    create_at: Option<String>,
) -> ApiResult<HttpResponse> {
    // Under a parent (`/customers/1/invoices`) the path fixes the parent: a parameter
    // naming it again (`?customer_id=2`) is unknown here, not an empty intersection.
    let names: Vec<String> = narrowings(entity)
        .into_iter()
        .filter(|(_, target, _)| guard.is_none_or(|(parent, _)| !std::ptr::eq(*target, parent)))
        .map(|(name, _, _)| name)
        .collect();
    let mut allowed: Vec<&str> = PAGE_PARAMS.to_vec();
    allowed.extend(names.iter().map(String::as_str));
    allowed.extend_from_slice(allowed_extra);
    let query = ctx.query(&allowed)?;
    let (narrowing, _) = narrowing_sql(entity, &ctx.links, &query)?;
    let page = PageRequest::parse(&query, &path, &entity.filter_fields(), &ctx.state.tokens)?;
    let links = ctx.links.clone();
    let state = ctx.state.clone();
    let forms = ctx.forms;
    let embedded_forms = ctx.embedded_forms;
    let body = ctx
        .db(move |conn| {
            if let Some((owner, id)) = guard {
                if !db::exists(conn, owner.table, id)? {
                    return Err(owner.not_found(id));
                }
            }
            let mut sql = entity.select(conn);
            sql.append(&extra).append(&narrowing);
            page.push_tail(&mut sql, entity.table);
            let mut rows = entity.load(conn, &links, &sql)?;
            relations::attach_links(conn, &links, entity, &mut rows)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let items = rows
                .into_iter()
                .map(|r| with_templates(&links, entity, Value::Object(r.body), embedded_forms))
                .collect();
            let mut body =
                page.render(&links, entity.rel(), items, &ids, &state.tokens, Map::new());
            if forms {
                body["_templates"] = forms::collection(&links, entity, create_at.as_deref());
            }
            Ok(body)
        })
        .await?;
    Ok(ctx.respond(StatusCode::OK, &body))
}

async fn list(ctx: Ctx, entity: &'static Entity) -> ApiResult<HttpResponse> {
    list_page(
        &ctx,
        entity,
        entity.path.to_owned(),
        Sql::default(),
        &[],
        None,
        Some(entity.path.to_owned()),
    )
    .await
}

/// A related collection an item can embed: the other side of a pair, or children.
#[derive(Clone, Copy)]
enum Related {
    Pair(View),
    Children(&'static Children),
}

impl Related {
    fn entity(self) -> &'static Entity {
        match self {
            Related::Pair(view) => view.to.entity,
            Related::Children(children) => children.child,
        }
    }

    /// The condition narrowing the related collection to item `id`'s.
    fn narrowing(self, id: i64) -> Sql {
        match self {
            Related::Pair(view) => {
                let mut sql = Sql::new(" AND ");
                sql.append(&view.narrowing(id));
                sql
            }
            Related::Children(children) => children.narrowing(id),
        }
    }
}

/// The `embed` parameter: which related collections to include in `_embedded`.
fn embeds(entity: &'static Entity, query: &Query) -> ApiResult<Vec<Related>> {
    let Some(list) = query.get("embed") else {
        return Ok(Vec::new());
    };
    let available: Vec<Related> = relations::views_from(entity)
        .map(Related::Pair)
        .chain(relations::children_of(entity).map(Related::Children))
        .collect();
    list.split(',')
        .map(str::trim)
        .map(|name| {
            available
                .iter()
                .copied()
                .find(|related| related.entity().path == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = available.iter().map(|r| r.entity().path).collect();
                    ApiError::field(
                        "embed",
                        format!("{name:?}: a {} can embed {}", entity.name, names.join(", ")),
                    )
                })
        })
        .collect()
}

/// Reads one resource and renders it in full: relation links, `_embedded` as asked,
/// `_templates` for HAL-FORMS.
pub async fn read_item(
    ctx: &Ctx,
    entity: &'static Entity,
    id: i64,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let query = ctx.query(&["embed"])?;
    let views = embeds(entity, &query)?;
    let links = ctx.links.clone();
    let forms = ctx.embedded_forms;
    let (item, embedded) = ctx
        .db(move |conn| {
            let item = entity.find(conn, &links, id)?;
            let mut embedded = Map::new();
            for related in views {
                let to = related.entity();
                let mut sql = to.select(conn);
                sql.append(&related.narrowing(id));
                sql.push(&format!(" ORDER BY {}.id LIMIT ", to.table))
                    .bind(relations::MAX_ITEM_LINKS);
                let mut rows = to.load(conn, &links, &sql)?;
                relations::attach_links(conn, &links, to, &mut rows)?;
                embedded.insert(
                    to.path.to_owned(),
                    Value::Array(
                        rows.into_iter()
                            .map(|r| with_templates(&links, to, Value::Object(r.body), forms))
                            .collect(),
                    ),
                );
            }
            Ok((item, embedded))
        })
        .await?;
    Ok(ctx.respond_item(status, &decorate(ctx, entity, item, embedded)))
}

/// An embedded item, with its own `_templates` for HAL-FORMS clients: clients such as
/// Ketting cache embedded items by their self link and never refetch them, so an item
/// first seen embedded would otherwise never show its forms.
fn with_templates(links: &Links, entity: &'static Entity, mut item: Value, forms: bool) -> Value {
    if forms {
        item["_templates"] = forms::item(links, entity, &item);
    }
    item
}

/// Adds `_embedded` and, for HAL-FORMS clients, `_templates` to a rendered item. The
/// ETag stays that of the canonical body.
pub fn decorate(
    ctx: &Ctx,
    entity: &'static Entity,
    mut item: Item,
    embedded: Map<String, Value>,
) -> Item {
    if !embedded.is_empty() {
        item.body["_embedded"] = Value::Object(embedded);
    }
    if ctx.forms {
        item.body["_templates"] = forms::item(&ctx.links, entity, &item.body);
    }
    item
}

async fn read(ctx: Ctx, entity: &'static Entity) -> ApiResult<HttpResponse> {
    let id = ctx.id("id")?;
    read_item(&ctx, entity, id, StatusCode::OK).await
}

/// Creates a resource from a body inside the caller's transaction and returns its id.
pub fn insert_from_body(
    conn: &mut db::DbConn,
    links: &Links,
    entity: &'static Entity,
    body: &Map<String, Value>,
) -> ApiResult<i64> {
    let values = entity.parse_body(links, body, None, true, &[])?;
    entity.check_references(conn, &values, None)?;
    entity.insert(conn, &values)
}

async fn create(
    ctx: Ctx,
    entity: &'static Entity,
    body: Body,
    after_create: Option<AfterCreate>,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let body = body.json_object(&Method::POST)?;
    // Validate before taking a connection, so a bad body costs no database work.
    entity.parse_body(&ctx.links, &body, None, true, &[])?;
    let links = ctx.links.clone();
    let (mut item, extra) = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                let id = insert_from_body(conn, &links, entity, &body)?;
                let extra = match after_create {
                    Some(hook) => hook(conn, id)?,
                    None => Map::new(),
                };
                Ok((entity.find(conn, &links, id)?, extra))
            })
        })
        .await?;
    let once_only = !extra.is_empty();
    if let Value::Object(body) = &mut item.body {
        body.extend(extra);
    }
    let mut response = ctx.created(&decorate(&ctx, entity, item, Map::new()));
    if once_only {
        // The extras (a token) are shown this once: no cache may keep them.
        response.headers_mut().insert(
            actix_web::http::header::CACHE_CONTROL,
            actix_web::http::header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// PUT (`patch == false`) and PATCH (a JSON merge patch of the writable properties;
/// link arrays set relations, §2a), in one transaction, guarded by `If-Match`.
async fn replace(
    ctx: Ctx,
    entity: &'static Entity,
    body: Body,
    patch: bool,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let id = ctx.id("id")?;
    let method = if patch { Method::PATCH } else { Method::PUT };
    let body = body.json_object(&method)?;
    let related = if patch {
        relations::patch_links(entity, &ctx.links, &body)?
    } else {
        Vec::new()
    };
    let skip: Vec<&str> = if patch {
        relations::patchable(entity)
            .iter()
            .map(|(name, _)| *name)
            .collect()
    } else {
        Vec::new()
    };
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    let authorization = auth::bearer(&ctx.req);
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                if !entity.lock(conn, id)? {
                    return Err(entity.not_found(id));
                }
                check_auth(conn, entity, authorization.as_deref(), id)?;
                let current = entity.find(conn, &links, id)?;
                current.check_if_match(if_match.as_deref())?;
                let Value::Object(current_map) = &current.body else {
                    return Err(ApiError::Internal("item is not an object".into()));
                };
                let values = entity.parse_body(&links, &body, Some(current_map), !patch, &skip)?;
                entity.check_references(conn, &values, Some(id))?;
                entity.update(conn, id, &values)?;
                for (view, ids) in &related {
                    view.set(conn, view.to.entity.path, id, ids)?;
                }
                entity.find(conn, &links, id)
            })
        })
        .await?;
    Ok(ctx.respond_item(StatusCode::OK, &decorate(&ctx, entity, item, Map::new())))
}

async fn delete(ctx: Ctx, entity: &'static Entity) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let id = ctx.id("id")?;
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    let authorization = auth::bearer(&ctx.req);
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            if !entity.lock(conn, id)? {
                return Err(entity.not_found(id));
            }
            check_auth(conn, entity, authorization.as_deref(), id)?;
            // Preconditions first (RFC 9110 section 13.2.2): a stale If-Match is 412
            // whatever else the delete would have run into.
            if if_match.is_some() {
                entity
                    .find(conn, &links, id)?
                    .check_if_match(if_match.as_deref())?;
            }
            for children in relations::children_of(entity).filter(|c| !c.dependent) {
                let count = children.count(conn, id)?;
                if count > 0 {
                    return Err(ApiError::Conflict(format!(
                        "{} {id} still has {count} {}; delete them first",
                        entity.name, children.child.path
                    )));
                }
            }
            entity.delete(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enforces [`Auth::SelfOnly`]: the request must carry the resource's own token.
fn check_auth(
    conn: &mut db::DbConn,
    entity: &Entity,
    authorization: Option<&str>,
    id: i64,
) -> ApiResult<()> {
    match entity.auth {
        Auth::Open => Ok(()),
        Auth::SelfOnly => auth::require_user(conn, authorization, id),
    }
}

/// `DELETE /{collection}?book_id=1`: every matching resource in one statement and one
/// transaction; `{"deletedCount": N}`. Without a narrowing parameter it is 400, so a
/// stray request never deletes everything.
async fn bulk_delete(ctx: Ctx, entity: &'static Entity) -> ApiResult<HttpResponse> {
    let names = narrowing_names(entity);
    let allowed: Vec<&str> = names.iter().map(String::as_str).collect();
    let query = ctx.query(&allowed)?;
    let (narrowing, any) = narrowing_sql(entity, &ctx.links, &query)?;
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
        .db(move |conn| {
            db::write(conn, |conn| {
                let mut sql = Sql::new(&format!("DELETE FROM {} WHERE 1 = 1", entity.table));
                sql.append(&narrowing);
                Ok(sql.execute(conn)?)
            })
        })
        .await?;
    Ok(ctx.respond(StatusCode::OK, &json!({ "deletedCount": count })))
}
