//! One-to-many relationships, both styles: belongs-to (`GET|POST
//! /customers/{id}/invoices` ≡ `/invoices?customer_id={id}`; the parent cannot be
//! deleted while it has children) and existentially dependent (a line item exists only
//! at `/invoices/{id}/lineitems/{lineId}` and vanishes with its invoice).

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::list::{self, List};
use super::style::Site;
use super::{crud, render};
use crate::db;
use crate::error::{ApiError, ApiResult};
use crate::http::{Body, Ctx, Registrar, Routes};
use crate::model::Children;

/// Registers the children collection and, for dependent children, their item paths.
pub(crate) fn configure(reg: &mut Registrar, site: Site, children: &'static Children) {
    let collection = format!("/{}/{{id}}/{}", children.parent.path, children.child.path);
    reg.add(
        Routes::new(&collection)
            .get(move |ctx: Ctx| list(ctx, site, children))
            .post(move |ctx: Ctx, body: Body| create(ctx, site, children, body)),
    );
    if children.dependent {
        reg.add(
            Routes::new(&format!("{collection}/{{sub}}"))
                .get(move |ctx: Ctx| read(ctx, site, children))
                .patch(move |ctx: Ctx, body: Body| patch(ctx, site, children, body))
                .delete(move |ctx: Ctx| delete(ctx, site, children)),
        );
    }
}

/// `GET /{parent}/{id}/{children}`: paginated and filterable; 404 for an unknown parent.
async fn list(ctx: Ctx, site: Site, children: &'static Children) -> ApiResult<HttpResponse> {
    let parent_id = ctx.id("id")?;
    list::page(
        &ctx,
        site,
        List {
            entity: children.child,
            path: children.collection_path(parent_id),
            narrowing: children.narrowing(parent_id),
            under: Some((children.parent, parent_id)),
            create_at: Some(children.collection_path(parent_id)),
        },
    )
    .await
}

/// `POST /{parent}/{id}/{children}`: creates a child of this parent; 201 with
/// `Location`. For a belongs-to child the body may repeat the parent but not name
/// another.
async fn create(
    ctx: Ctx,
    site: Site,
    children: &'static Children,
    body: Body,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let parent_id = ctx.id("id")?;
    let mut map = body.json_object(&Method::POST)?;
    let child = children.child;
    if let Some(property) = children.property {
        // The parent comes from the URL; the body may repeat it, in any spelling.
        let spellings: Vec<String> = map
            .keys()
            .filter(|key| {
                child
                    .field_for_key(key)
                    .is_some_and(|f| f.column == children.column)
            })
            .cloned()
            .collect();
        for key in spellings {
            let given = map.remove(&key).unwrap_or(Value::Null);
            let single = Map::from_iter([(key.clone(), given)]);
            let values = child.parse_body(&ctx.links, &single, None, false, &[])?;
            if values
                .iter()
                .any(|(_, value)| *value != db::Value::Int(parent_id))
            {
                return Err(ApiError::field(
                    key,
                    format!(
                        "names another {}; this collection belongs to {} {parent_id}",
                        children.parent.name, children.parent.name
                    ),
                ));
            }
        }
        map.insert(property.to_owned(), json!(parent_id));
    }
    child.parse_body(&ctx.links, &map, None, true, &[])?;
    let links = ctx.links.clone();
    let item = ctx
        .write(move |conn| {
            if !db::lock_row(conn, children.parent.table, parent_id)? {
                return Err(children.parent.not_found(parent_id));
            }
            let mut values = child.parse_body(&links, &map, None, true, &[])?;
            child.check_references(conn, &values, None)?;
            if children.property.is_none() {
                values.push((children.column, db::Value::Int(parent_id)));
            }
            let id = child.insert(conn, &values)?;
            if let Some(check) = children.after_write {
                check(conn, parent_id)?;
            }
            render::item(conn, site, &links, child, id)
        })
        .await?;
    Ok(ctx.created(crud::decorate(&ctx, site, child, item, Map::new())))
}

async fn read(ctx: Ctx, site: Site, children: &'static Children) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            children.check_belongs(conn, parent_id, child_id)?;
            render::item(conn, site, &links, children.child, child_id)
        })
        .await?;
    Ok(ctx.respond_item(
        StatusCode::OK,
        crud::decorate(&ctx, site, children.child, item, Map::new()),
    ))
}

async fn patch(
    ctx: Ctx,
    site: Site,
    children: &'static Children,
    body: Body,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let change = crud::Change::patch(&ctx, &body)?;
    let child = children.child;
    let item = ctx
        .write(move |conn| {
            db::lock_row(conn, children.parent.table, parent_id)?;
            children.check_belongs(conn, parent_id, child_id)?;
            change.apply(conn, site, child, child_id, |conn| {
                match children.after_write {
                    Some(check) => check(conn, parent_id),
                    None => Ok(()),
                }
            })
        })
        .await?;
    Ok(ctx.respond_item(
        StatusCode::OK,
        crud::decorate(&ctx, site, child, item, Map::new()),
    ))
}

async fn delete(ctx: Ctx, site: Site, children: &'static Children) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    ctx.write(move |conn| {
        db::lock_row(conn, children.parent.table, parent_id)?;
        children.check_belongs(conn, parent_id, child_id)?;
        if if_match.is_some() {
            render::item(conn, site, &links, children.child, child_id)?
                .check_if_match(if_match.as_deref())?;
        }
        children.child.delete(conn, child_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
