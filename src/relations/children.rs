//! One-to-many relationships: a parent and the children that point at it.
//!
//! Two styles: belongs-to (an invoice belongs to a customer and is also a top-level
//! resource, `GET|POST /customers/{id}/invoices` ≡ `/invoices?customer_id={id}`), and
//! existentially dependent (a line item exists only under its invoice, at
//! `/invoices/{id}/lineitems/{lineId}`, and vanishes with it).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::{Body, Ctx};
use crate::resources::crud;
use crate::resources::entity::Entity;
use crate::resources::Routes;

/// Runs in the transaction that creates or changes a child, after the write, with the
/// parent's id; an error undoes the write.
pub type AfterWrite = fn(&mut DbConn, i64) -> ApiResult<()>;

/// A parent and its children.
#[derive(Debug)]
pub struct Children {
    /// The parent collection.
    pub parent: &'static Entity,
    /// The children; for a dependent child its `parent` names the same column.
    pub child: &'static Entity,
    /// The child table's column holding the parent id.
    pub column: &'static str,
    /// The child's property naming the parent, for a belongs-to child (`customerId`).
    pub property: Option<&'static str>,
    /// True when the children exist only under their parent (deleted with it); false
    /// for belongs-to (the parent cannot be deleted while it has children).
    pub dependent: bool,
    /// A rule the parent keeps over all its children (an invoice's sums stay in range).
    pub after_write: Option<AfterWrite>,
}

impl Children {
    /// `invoices/1/lineitems`.
    pub fn collection_path(&self, parent_id: i64) -> String {
        format!("{}/{}", self.parent.item_path(parent_id), self.child.path)
    }

    /// The relation name of the children collection link: `collection/lineitems`.
    pub fn collection_rel(&self) -> String {
        format!("collection/{}", self.child.path)
    }

    /// ` AND child.column = $parent`: narrows a query over the child table.
    pub fn narrowing(&self, parent_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(" AND {}.{} = ", self.child.table, self.column));
        sql.bind(parent_id);
        sql
    }

    /// How many children a parent has (to refuse deleting a belongs-to parent).
    pub fn count(&self, conn: &mut DbConn, parent_id: i64) -> ApiResult<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT COUNT(*) AS id FROM {} WHERE {} = ",
            self.child.table, self.column
        ));
        sql.bind(parent_id);
        Ok(db::load_scalar(conn, &sql)?)
    }
}

/// Registers the children collection and, for dependent children, their item paths.
pub fn configure(cfg: &mut web::ServiceConfig, children: &'static Children) {
    let collection = format!("/{}/{{id}}/{}", children.parent.path, children.child.path);
    cfg.service(
        Routes::new(&collection)
            .get(move |ctx: Ctx| list(ctx, children))
            .post(move |ctx: Ctx, body: Body| create(ctx, children, body))
            .finish(),
    );
    if children.dependent {
        cfg.service(
            Routes::new(&format!("{collection}/{{sub}}"))
                .get(move |ctx: Ctx| read(ctx, children))
                .patch(move |ctx: Ctx, body: Body| patch(ctx, children, body))
                .delete(move |ctx: Ctx| delete(ctx, children))
                .finish(),
        );
    }
}

/// `GET /{parent}/{id}/{children}`: paginated and filterable; 404 for an unknown parent.
async fn list(ctx: Ctx, children: &'static Children) -> ApiResult<HttpResponse> {
    let parent_id = ctx.id("id")?;
    crud::list_page(
        &ctx,
        children.child,
        children.collection_path(parent_id),
        children.narrowing(parent_id),
        &[],
        Some((children.parent, parent_id)),
        Some(children.collection_path(parent_id)),
    )
    .await
}

/// `POST /{parent}/{id}/{children}`: creates a child of this parent; 201 with
/// `Location`. For a belongs-to child the body may repeat the parent but not name
/// another.
async fn create(ctx: Ctx, children: &'static Children, body: Body) -> ApiResult<HttpResponse> {
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
        .db(move |conn| {
            db::write(conn, |conn| {
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
                child.find(conn, &links, id)
            })
        })
        .await?;
    Ok(ctx.created(&crud::decorate(&ctx, child, item, Map::new())))
}

/// Fails with 404 unless `child_id` is a child of `parent_id`.
fn check_belongs(
    conn: &mut DbConn,
    children: &Children,
    parent_id: i64,
    child_id: i64,
) -> ApiResult<()> {
    let mut sql = Sql::new(&format!(
        "SELECT COUNT(*) AS id FROM {} WHERE id = ",
        children.child.table
    ));
    sql.bind(child_id).append(&children.narrowing(parent_id));
    if db::load_scalar(conn, &sql)? == 1 {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "{} {parent_id} has no {} with id {child_id}",
            children.parent.name, children.child.name
        )))
    }
}

async fn read(ctx: Ctx, children: &'static Children) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            check_belongs(conn, children, parent_id, child_id)?;
            children.child.find(conn, &links, child_id)
        })
        .await?;
    Ok(ctx.respond_item(
        StatusCode::OK,
        &crud::decorate(&ctx, children.child, item, Map::new()),
    ))
}

async fn patch(ctx: Ctx, children: &'static Children, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let map = body.json_object(&Method::PATCH)?;
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    let child = children.child;
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                db::lock_row(conn, children.parent.table, parent_id)?;
                check_belongs(conn, children, parent_id, child_id)?;
                let current = child.find(conn, &links, child_id)?;
                current.check_if_match(if_match.as_deref())?;
                let Value::Object(current_map) = &current.body else {
                    return Err(ApiError::Internal("item is not an object".into()));
                };
                let values = child.parse_body(&links, &map, Some(current_map), false, &[])?;
                child.check_references(conn, &values, Some(child_id))?;
                child.update(conn, child_id, &values)?;
                if let Some(check) = children.after_write {
                    check(conn, parent_id)?;
                }
                child.find(conn, &links, child_id)
            })
        })
        .await?;
    Ok(ctx.respond_item(
        StatusCode::OK,
        &crud::decorate(&ctx, child, item, Map::new()),
    ))
}

async fn delete(ctx: Ctx, children: &'static Children) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let (parent_id, child_id) = (ctx.id("id")?, ctx.id("sub")?);
    let links = ctx.links.clone();
    let if_match = ctx.if_match();
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            db::lock_row(conn, children.parent.table, parent_id)?;
            check_belongs(conn, children, parent_id, child_id)?;
            if if_match.is_some() {
                children
                    .child
                    .find(conn, &links, child_id)?
                    .check_if_match(if_match.as_deref())?;
            }
            children.child.delete(conn, child_id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
