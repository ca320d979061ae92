//! The handlers every collection shares, configured by an [`Entity`] descriptor: list,
//! create, read, replace, patch and delete, with the item composed by `render` and the
//! forms by `forms`. What a relationship style adds (a cross-resource's bulk DELETE, the
//! link arrays of a PATCH) it adds through [`PairStyle`](super::style::PairStyle).

use actix_web::http::{header, Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::{Map, Value};

use super::list::{self, List};
use super::style::Site;
use super::{forms, render};
use crate::db::{self, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::{Item, Links};
use crate::http::{auth, Body, Ctx, Registrar, Routes};
use crate::model::{Auth, Children, Entity, SingletonBehaviour, View, MAX_ITEM_LINKS};

/// Registers `/{path}` and `/{path}/{id}` with list, create, read, replace, patch and
/// delete, plus what the styles of the pairs it takes part in add.
pub(crate) fn configure(reg: &mut Registrar, site: Site, entity: &'static Entity) {
    let mut collection = Routes::new(&format!("/{}", entity.path))
        .get(move |ctx: Ctx| list(ctx, site, entity))
        .post(move |ctx: Ctx, body: Body| create(ctx, site, entity, body));
    for pair in site.model.pairs {
        for style in site.styles_of(pair) {
            collection = style.collection(site, pair, entity, collection);
        }
    }
    reg.add(collection);
    reg.add(
        Routes::new(&format!("/{}/{{id}}", entity.path))
            .get(move |ctx: Ctx| read(ctx, site, entity))
            .put(move |ctx: Ctx, body: Body| replace(ctx, site, entity, body, false))
            .patch(move |ctx: Ctx, body: Body| replace(ctx, site, entity, body, true))
            .delete(move |ctx: Ctx| delete(ctx, site, entity)),
    );
}

async fn list(ctx: Ctx, site: Site, entity: &'static Entity) -> ApiResult<HttpResponse> {
    list::page(
        &ctx,
        site,
        List {
            entity,
            path: entity.path.to_owned(),
            narrowing: Sql::default(),
            under: None,
            create_at: Some(entity.path.to_owned()),
        },
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

/// The related collections `entity` can embed (`?embed=authors`).
pub(crate) fn embeddable(site: Site, entity: &'static Entity) -> Vec<&'static str> {
    related(site, entity)
        .iter()
        .map(|r| r.entity().path)
        .collect()
}

fn related(site: Site, entity: &'static Entity) -> Vec<Related> {
    site.model
        .views_from(entity)
        .map(Related::Pair)
        .chain(site.model.children_of(entity).map(Related::Children))
        .collect()
}

/// The `embed` parameter: which related collections to include in `_embedded`.
fn embeds(site: Site, entity: &'static Entity, list: Option<&str>) -> ApiResult<Vec<Related>> {
    let Some(list) = list else {
        return Ok(Vec::new());
    };
    let available = related(site, entity);
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

/// What reading an item found.
pub(crate) enum Found {
    /// The tag the client holds is current: 304.
    Unchanged(String),
    /// The item, rendered, with what it embeds.
    Rendered(Item, Map<String, Value>),
}

/// A read of one resource in full (relation links, `_embedded` as asked, `_templates`
/// for HAL-FORMS), taken from the request before any database work, so that it can
/// run in the same unit of work as what the answer follows (a check, a write).
#[derive(Clone)]
pub(crate) struct ItemRead {
    site: Site,
    entity: &'static Entity,
    id: i64,
    views: Vec<Related>,
    links: Links,
    forms: bool,
    /// The `If-None-Match` of a revalidation, and the tags it may be answered from.
    revalidation: Option<(String, std::sync::Arc<crate::hal::tags::Tags>)>,
    url: String,
}

impl ItemRead {
    /// The read `ctx` asks for (its `embed`, its `If-None-Match`).
    pub(crate) fn new(
        ctx: &Ctx,
        site: Site,
        entity: &'static Entity,
        id: i64,
    ) -> ApiResult<ItemRead> {
        let query = ctx.query(&["embed"])?;
        Ok(ItemRead {
            site,
            entity,
            id,
            views: embeds(site, entity, query.get("embed"))?,
            links: ctx.links.clone(),
            forms: ctx.embedded_forms,
            revalidation: ctx.if_none_match().zip(ctx.remembered_tags()),
            url: ctx.links.href(&entity.item_path(id)),
        })
    }

    /// The database work. A revalidation reads the representation version first:
    /// unmoved since the tag it names was computed, the answer is 304 with no rendering;
    /// else the tag computed now is remembered at that version (read before the rows,
    /// so never newer than them).
    pub(crate) fn run(self, conn: &mut db::DbConn) -> ApiResult<Found> {
        let ItemRead {
            site,
            entity,
            id,
            views,
            links,
            forms,
            revalidation,
            url,
        } = self;
        let version = match &revalidation {
            Some((wanted, tags)) => {
                let version = db::version(conn)?;
                if let Some(etag) = tags.at(&url, version) {
                    if crate::hal::etag_matches_weakly(wanted, &etag) {
                        return Ok(Found::Unchanged(etag));
                    }
                }
                Some(version)
            }
            None => None,
        };
        let item = render::item(conn, site, &links, entity, id)?;
        if let (Some((_, tags)), Some(version)) = (&revalidation, version) {
            tags.remember(url, version, &item.etag);
        }
        let mut embedded = Map::new();
        for related in views {
            let to = related.entity();
            let mut sql = render::select(conn, site, to);
            sql.append(&related.narrowing(id));
            // A constant, so written in the text (see `PageRequest::push_tail`).
            sql.push(&format!(" ORDER BY {}.id LIMIT {MAX_ITEM_LINKS}", to.table));
            let rows = render::rows(conn, site, &links, to, &sql)?;
            embedded.insert(
                to.path.to_owned(),
                Value::Array(
                    rows.into_iter()
                        .map(|r| {
                            list::with_templates(site, &links, to, Value::Object(r.body), forms)
                        })
                        .collect(),
                ),
            );
        }
        Ok(Found::Rendered(item, embedded))
    }
}

/// The answer to a read of `entity` that found `found`: 304, or the item with `status`.
pub(crate) fn respond_found(
    ctx: &Ctx,
    site: Site,
    entity: &'static Entity,
    status: StatusCode,
    found: Found,
) -> HttpResponse {
    match found {
        Found::Unchanged(etag) => ctx.not_modified(&etag),
        Found::Rendered(item, embedded) => {
            ctx.respond_item(status, decorate(ctx, site, entity, item, embedded))
        }
    }
}

/// Reads one resource and answers with it in full (see [`ItemRead`]).
pub(crate) async fn read_item(
    ctx: &Ctx,
    site: Site,
    entity: &'static Entity,
    id: i64,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let read = ItemRead::new(ctx, site, entity, id)?;
    let found = ctx.db_point_read(move |conn| read.run(conn)).await?;
    Ok(respond_found(ctx, site, entity, status, found))
}

/// Adds `_embedded` and, for HAL-FORMS clients, `_templates` to a rendered item. The
/// ETag stays that of the canonical body.
pub(crate) fn decorate(
    ctx: &Ctx,
    site: Site,
    entity: &'static Entity,
    mut item: Item,
    embedded: Map<String, Value>,
) -> Item {
    if !embedded.is_empty() {
        item.body_mut()["_embedded"] = Value::Object(embedded);
    }
    if ctx.forms {
        item.body_mut()["_templates"] = forms::item(site, &ctx.links, entity, item.body());
    }
    item
}

async fn read(ctx: Ctx, site: Site, entity: &'static Entity) -> ApiResult<HttpResponse> {
    let id = ctx.id("id")?;
    read_item(&ctx, site, entity, id, StatusCode::OK).await
}

/// Creates a resource from a body inside the caller's transaction and returns its id.
pub(crate) fn insert_from_body(
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
    site: Site,
    entity: &'static Entity,
    body: Body,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let body = body.json_object(&Method::POST)?;
    // Validate before taking a connection, so a bad body costs no database work.
    let values = entity.parse_body(&ctx.links, &body, None, true, &[])?;
    let links = ctx.links.clone();
    // A resource made alone, with no singleton or hook beside it, is one statement on
    // PostgreSQL when its references exist.
    let alone = entity.after_create.is_none()
        && !site
            .model
            .singleton
            .is_some_and(|one| std::ptr::eq(one.owner, entity));
    let one = {
        let links = links.clone();
        move |conn: &mut db::DbConn| match alone {
            true => Ok(render::created_in_one(conn, site, &links, entity, &values)?
                .map(|item| (item, Map::new()))),
            false => Ok(None),
        }
    };
    let (mut item, extra) = ctx
        .write_in_one(one, move |conn| {
            let id = insert_from_body(conn, &links, entity, &body)?;
            create_singleton(conn, site, entity, id)?;
            let extra = match entity.after_create {
                Some(hook) => hook(conn, id)?,
                None => Map::new(),
            };
            Ok((render::item(conn, site, &links, entity, id)?, extra))
        })
        .await?;
    let once_only = !extra.is_empty();
    if once_only {
        if let Value::Object(body) = item.body_mut() {
            body.extend(extra);
        }
    }
    let mut response = ctx.created(decorate(&ctx, site, entity, item, Map::new()));
    if once_only {
        // The extras (a token) are shown this once: no cache may keep them.
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(response)
}

/// A generic singleton exists from the moment its owner does: made in the transaction
/// that creates the owner. (The cart is made by its own behaviour.)
pub(crate) fn create_singleton(
    conn: &mut db::DbConn,
    site: Site,
    entity: &'static Entity,
    id: i64,
) -> ApiResult<()> {
    match site.model.singleton {
        Some(one)
            if one.behaviour == SingletonBehaviour::Plain && std::ptr::eq(one.owner, entity) =>
        {
            one.create(conn, id)
        }
        _ => Ok(()),
    }
}

/// PUT (`patch == false`) and PATCH (a JSON merge patch of the writable properties;
/// what the styles read from it, such as link arrays, they apply), in one transaction,
/// guarded by `If-Match`.
async fn replace(
    ctx: Ctx,
    site: Site,
    entity: &'static Entity,
    body: Body,
    patch: bool,
) -> ApiResult<HttpResponse> {
    token_first(&ctx, entity)?;
    ctx.query(&[])?;
    let id = ctx.id("id")?;
    let method = if patch { Method::PATCH } else { Method::PUT };
    let body = body.json_object(&method)?;
    let mut related = Vec::new();
    let mut skip = Vec::new();
    if patch {
        for view in site.model.views_from(entity) {
            for style in site.styles_of(view.pair) {
                skip.extend(style.patch_key(view));
                if let Some(ids) = style.patch(view, &ctx.links, &body)? {
                    related.push((view, ids));
                }
            }
        }
    }
    let change = Change::new(&ctx, body, !patch, skip);
    let authorization = auth::bearer(&ctx.req);
    let item = ctx
        .write(move |conn| {
            if !entity.lock(conn, id)? {
                return Err(entity.not_found(id));
            }
            check_auth(conn, entity, authorization.as_deref(), id)?;
            change.apply(conn, site, entity, id, |conn| {
                for (view, ids) in &related {
                    view.set(conn, view.to.entity.path, id, ids)?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(ctx.respond_item(
        StatusCode::OK,
        decorate(&ctx, site, entity, item, Map::new()),
    ))
}

/// A PUT or PATCH of an item's properties, taken from the request: applied to a row
/// the caller found (and locked) in its write.
pub(crate) struct Change {
    links: Links,
    if_match: Option<String>,
    body: Map<String, Value>,
    /// PUT: every required property given, the rest reset; PATCH merges.
    replace: bool,
    /// Body keys a relationship style reads instead (link arrays).
    skip: Vec<&'static str>,
}

impl Change {
    fn new(ctx: &Ctx, body: Map<String, Value>, replace: bool, skip: Vec<&'static str>) -> Self {
        Change {
            links: ctx.links.clone(),
            if_match: ctx.if_match(),
            body,
            replace,
            skip,
        }
    }

    /// A PATCH: a JSON merge patch of the properties.
    pub(crate) fn patch(ctx: &Ctx, body: &Body) -> ApiResult<Self> {
        Ok(Change::new(
            ctx,
            body.json_object(&Method::PATCH)?,
            false,
            Vec::new(),
        ))
    }

    /// Renders the item as it is, checks `If-Match` against that, parses the body
    /// against it, checks the references, updates the row, runs `then` (what else the
    /// write changes), and renders the item as it is after.
    pub(crate) fn apply(
        &self,
        conn: &mut db::DbConn,
        site: Site,
        entity: &'static Entity,
        id: i64,
        then: impl FnOnce(&mut db::DbConn) -> ApiResult<()>,
    ) -> ApiResult<Item> {
        let current = render::item(conn, site, &self.links, entity, id)?;
        current.check_if_match(self.if_match.as_deref())?;
        let Value::Object(current_map) = current.body() else {
            return Err(ApiError::Internal("item is not an object".into()));
        };
        let values = entity.parse_body(
            &self.links,
            &self.body,
            Some(current_map),
            self.replace,
            &self.skip,
        )?;
        entity.check_references(conn, &values, Some(id))?;
        entity.update(conn, id, &values)?;
        then(conn)?;
        render::item(conn, site, &self.links, entity, id)
    }
}

async fn delete(ctx: Ctx, site: Site, entity: &'static Entity) -> ApiResult<HttpResponse> {
    token_first(&ctx, entity)?;
    ctx.query(&[])?;
    let id = ctx.id("id")?;
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    let authorization = auth::bearer(&ctx.req);
    ctx.write(move |conn| {
        if !entity.lock(conn, id)? {
            return Err(entity.not_found(id));
        }
        check_auth(conn, entity, authorization.as_deref(), id)?;
        // Preconditions first (RFC 9110 section 13.2.2): a stale If-Match is 412
        // whatever else the delete would have run into.
        if if_match.is_some() {
            render::item(conn, site, &links, entity, id)?.check_if_match(if_match.as_deref())?;
        }
        for children in site.model.children_of(entity).filter(|c| !c.dependent) {
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
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A write to an [`Auth::SelfOnly`] resource without a well-formed token is 401 before
/// its query or body is looked at (whose faults would otherwise answer 400 first).
fn token_first(ctx: &Ctx, entity: &Entity) -> ApiResult<()> {
    match entity.auth {
        Auth::Open => Ok(()),
        Auth::SelfOnly => auth::presented(&ctx.req),
    }
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
