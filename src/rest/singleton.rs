//! One-to-one, the generic singleton: a resource that exists once per owner, created
//! with its owner, with no id of its own. The owner reaches it at `/{path}` with its
//! token, and at `/{owner}/{id}/{path}` with that owner's own token (403 for another's).
//! Its items live at `/{path}/items…` and its parts (`/{path}/{part}`) are read and
//! replaced on their own. Every answer is private to the owner. (The bookshop's cart is
//! the shop's behaviour of the same declaration.)

use actix_web::http::{Method, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::list::{self, List};
use super::style::Site;
use super::{crud, forms, render};
use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::forms::{a, template};
use crate::hal::{Item, Links};
use crate::http::{self, auth, Body, Ctx, Registrar, Routes};
use crate::model::{Part, Singleton};

/// What the handlers are given: the site and its singleton.
#[derive(Clone, Copy)]
struct Served {
    site: Site,
    singleton: &'static Singleton,
}

/// The owner a request's token authenticates, and the id of their singleton's row.
#[derive(Clone, Copy)]
struct Owner {
    id: i64,
    row: i64,
}

/// Registers the singleton, its owner's path to it, its items and its parts.
pub(crate) fn configure(reg: &mut Registrar, site: Site, singleton: &'static Singleton) {
    let served = Served { site, singleton };
    let private = |r: actix_web::Resource| r.wrap(from_fn(http::account_only));
    let path = singleton.path;
    reg.add_wrapped(
        Routes::new(&format!("/{path}")).get(move |ctx: Ctx| read(ctx, served, false)),
        private,
    );
    reg.add_wrapped(
        Routes::new(&format!("/{}/{{id}}/{path}", singleton.owner.path))
            .get(move |ctx: Ctx| read(ctx, served, true)),
        private,
    );
    let items = singleton.items.path;
    reg.add_wrapped(
        Routes::new(&format!("/{items}"))
            .get(move |ctx: Ctx| list_items(ctx, served))
            .post(move |ctx: Ctx, body: Body| add_item(ctx, served, body)),
        private,
    );
    reg.add_wrapped(
        Routes::new(&format!("/{items}/{{item}}"))
            .get(move |ctx: Ctx| read_item(ctx, served))
            .patch(move |ctx: Ctx, body: Body| change_item(ctx, served, body))
            .delete(move |ctx: Ctx| delete_item(ctx, served)),
        private,
    );
    for part in singleton.parts {
        reg.add_wrapped(
            Routes::new(&format!("/{}", part.entity.path))
                .get(move |ctx: Ctx| read_part(ctx, served, part))
                .put(move |ctx: Ctx, body: Body| write_part(ctx, served, part, body, true))
                .patch(move |ctx: Ctx, body: Body| write_part(ctx, served, part, body, false)),
            private,
        );
    }
}

/// Authenticates the request (401), checks a path that names an owner is the token's
/// own (403; 404 for an unknown one), and finds the owner's row.
fn owner(
    conn: &mut DbConn,
    singleton: &Singleton,
    authorization: Option<&str>,
    path_owner: Option<i64>,
    lock: bool,
) -> ApiResult<Owner> {
    let id = auth::user(conn, authorization)?;
    if let Some(other) = path_owner.filter(|other| *other != id) {
        let owners = singleton.owner;
        if !db::exists(conn, owners.table, other)? {
            return Err(owners.not_found(other));
        }
        return Err(ApiError::Forbidden(format!(
            "this {} belongs to another {}",
            singleton.path, owners.name
        )));
    }
    Ok(Owner {
        id,
        row: singleton.row_of(conn, id, lock)?,
    })
}

/// Runs `work` with the request's owner, in a write transaction with their row locked
/// when `write` is set.
async fn with_owner<T: Send + 'static>(
    ctx: &Ctx,
    served: Served,
    path_owner: Option<i64>,
    write: bool,
    work: impl FnOnce(&mut DbConn, Owner) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let authorization = auth::bearer(&ctx.req);
    let singleton = served.singleton;
    if write {
        return ctx
            .write(move |conn| {
                let owner = owner(conn, singleton, authorization.as_deref(), None, true)?;
                work(conn, owner)
            })
            .await;
    }
    ctx.db(move |conn| {
        let owner = owner(conn, singleton, authorization.as_deref(), path_owner, false)?;
        work(conn, owner)
    })
    .await
}

/// The singleton as HAL: its number of items, its owner, its items as titled links, its
/// items' collection and its parts.
fn render_singleton(
    conn: &mut DbConn,
    singleton: &Singleton,
    links: &Links,
    owner: Owner,
) -> ApiResult<Item> {
    let items = singleton.items;
    let label = items.label.map_or("NULL".to_owned(), |column| {
        format!("CAST({column} AS TEXT)")
    });
    let mut sql = Sql::new(&format!(
        "SELECT id, {label} AS value FROM {} WHERE {} = ",
        items.table, singleton.items_column
    ));
    sql.bind(owner.row).push(" ORDER BY id");
    let item_links: Vec<Value> = sql
        .load::<LabelRow>(conn)?
        .into_iter()
        .map(|row| {
            let path = items.item_path(row.id);
            match &row.value {
                Some(title) => links.titled(&path, title),
                None => links.link(&path),
            }
        })
        .collect();
    let mut link_map = Map::new();
    link_map.insert("self".into(), links.link(singleton.path));
    link_map.insert(
        "owner".into(),
        links.link(&singleton.owner.item_path(owner.id)),
    );
    link_map.insert(
        format!("collection/{}", items.rel()),
        links.link(items.path),
    );
    for part in singleton.parts {
        link_map.insert(part.entity.rel().into(), links.link(part.entity.path));
    }
    let count = item_links.len();
    link_map.insert(items.rel().into(), Value::Array(item_links));
    Ok(Item::new(
        links,
        json!({
            "itemCount": count,
            "_links": link_map,
        }),
    ))
}

#[derive(diesel::QueryableByName)]
struct LabelRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    value: Option<String>,
}

async fn read(ctx: Ctx, served: Served, by_owner: bool) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let path_owner = if by_owner { Some(ctx.id("id")?) } else { None };
    let links = ctx.links.clone();
    let singleton = served.singleton;
    let mut item = with_owner(&ctx, served, path_owner, false, move |conn, owner| {
        render_singleton(conn, singleton, &links, owner)
    })
    .await?;
    if ctx.forms {
        let items = singleton.items;
        item.body_mut()["_templates"] = json!({
            format!("add-{}", items.rel()): template(
                format!("Add {} to the {}", a(items.name), singleton.path),
                "POST",
                &ctx.links.href(items.path),
                Some("application/json"),
                forms::properties(&ctx.links, items, true, None),
            ),
        });
    }
    Ok(ctx.respond_item(StatusCode::OK, item))
}

async fn list_items(ctx: Ctx, served: Served) -> ApiResult<HttpResponse> {
    let owner = with_owner(&ctx, served, None, false, |_, owner| Ok(owner)).await?;
    let singleton = served.singleton;
    let mut narrowing = Sql::new(&format!(
        " AND {}.{} = ",
        singleton.items.table, singleton.items_column
    ));
    narrowing.bind(owner.row);
    list::page(
        &ctx,
        served.site,
        List {
            entity: singleton.items,
            path: singleton.items.path.into(),
            narrowing,
            under: None,
            create_at: Some(singleton.items.path.into()),
        },
    )
    .await
}

async fn add_item(ctx: Ctx, served: Served, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let map = body.json_object(&Method::POST)?;
    let (site, singleton) = (served.site, served.singleton);
    let items = singleton.items;
    items.parse_body(&ctx.links, &map, None, true, &[])?;
    let links = ctx.links.clone();
    let item = with_owner(&ctx, served, None, true, move |conn, owner| {
        let mut values = items.parse_body(&links, &map, None, true, &[])?;
        items.check_references(conn, &values, None)?;
        values.push((singleton.items_column, db::Value::Int(owner.row)));
        let id = items.insert(conn, &values)?;
        render::item(conn, site, &links, items, id)
    })
    .await?;
    Ok(ctx.created(crud::decorate(&ctx, site, items, item, Map::new())))
}

/// Fails with 404 unless the item is in the owner's singleton (another owner's item is as
/// absent as one that never existed).
fn check_item(conn: &mut DbConn, singleton: &Singleton, owner: Owner, item: i64) -> ApiResult<()> {
    if singleton.holds(conn, owner.row, item)? {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "your {} has no item {item}",
            singleton.path
        )))
    }
}

async fn read_item(ctx: Ctx, served: Served) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let id = ctx.id("item")?;
    let (site, singleton) = (served.site, served.singleton);
    let links = ctx.links.clone();
    let item = with_owner(&ctx, served, None, false, move |conn, owner| {
        check_item(conn, singleton, owner, id)?;
        render::item(conn, site, &links, singleton.items, id)
    })
    .await?;
    let item = crud::decorate(&ctx, site, singleton.items, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, item))
}

async fn change_item(ctx: Ctx, served: Served, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let id = ctx.id("item")?;
    let change = crud::Change::patch(&ctx, &body)?;
    let (site, singleton) = (served.site, served.singleton);
    let items = singleton.items;
    let item = with_owner(&ctx, served, None, true, move |conn, owner| {
        check_item(conn, singleton, owner, id)?;
        change.apply(conn, site, items, id, |_| Ok(()))
    })
    .await?;
    let item = crud::decorate(&ctx, site, items, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, item))
}

async fn delete_item(ctx: Ctx, served: Served) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let id = ctx.id("item")?;
    let singleton = served.singleton;
    with_owner(&ctx, served, None, true, move |conn, owner| {
        check_item(conn, singleton, owner, id)?;
        singleton.items.delete(conn, id).map(|_| ())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A part as HAL: its fields (null until set), `self` and the singleton.
fn render_part(
    conn: &mut DbConn,
    singleton: &Singleton,
    links: &Links,
    part: &Part,
    row: i64,
) -> ApiResult<Item> {
    let entity = part.entity;
    let mut body = render::body(entity, links, &entity.find_row(conn, row)?);
    body.remove("id");
    body.insert(
        "_links".into(),
        json!({ "self": links.link(entity.path), singleton.path: links.link(singleton.path) }),
    );
    Ok(Item::new(links, Value::Object(body)))
}

/// For HAL-FORMS clients: `default` replaces the part (PUT), `update` patches it.
fn part_forms(ctx: &Ctx, part: &Part, mut item: Item) -> Item {
    if !ctx.forms {
        return item;
    }
    let entity = part.entity;
    let properties = forms::properties(&ctx.links, entity, true, None);
    item.body_mut()["_templates"] = forms::part(&ctx.links, entity, properties);
    item
}

async fn read_part(ctx: Ctx, served: Served, part: &'static Part) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let singleton = served.singleton;
    let links = ctx.links.clone();
    let item = with_owner(&ctx, served, None, false, move |conn, owner| {
        render_part(conn, singleton, &links, part, owner.row)
    })
    .await?;
    Ok(ctx.respond_item(StatusCode::OK, part_forms(&ctx, part, item)))
}

/// PUT replaces the part (every required field given); PATCH merges into it.
async fn write_part(
    ctx: Ctx,
    served: Served,
    part: &'static Part,
    body: Body,
    replace: bool,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let method = if replace { Method::PUT } else { Method::PATCH };
    let map = body.json_object(&method)?;
    let singleton = served.singleton;
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    let item = with_owner(&ctx, served, None, true, move |conn, owner| {
        let current = render_part(conn, singleton, &links, part, owner.row)?;
        current.check_if_match(if_match.as_deref())?;
        let Value::Object(current_map) = current.body() else {
            return Err(ApiError::Internal("part is not an object".into()));
        };
        let values = part
            .entity
            .parse_body(&links, &map, Some(current_map), replace, &[])?;
        part.entity.update(conn, owner.row, &values)?;
        render_part(conn, singleton, &links, part, owner.row)
    })
    .await?;
    Ok(ctx.respond_item(StatusCode::OK, part_forms(&ctx, part, item)))
}
