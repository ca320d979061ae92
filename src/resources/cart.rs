//! The authenticated user's cart (§6): a one-to-one singleton with no id of its own,
//! its items, the singleton parts it is split into (shipping, billing, payment), and
//! checkout, which turns it into an order and leaves a new, empty cart.
//!
//! Every response about the cart is `Cache-Control: private` and `Vary: Authorization`:
//! the same URL shows each user their own cart.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpResponse};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use serde_json::{json, Map, Value};

use super::books::BOOKS;
use super::crud;
use super::entity::{Access, Auth, Entity, Field, Kind};
use super::{orders, Routes};
use crate::auth;
use crate::clock::Utc;
use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::{path_id, Body, Ctx, Item, Links};

/// Orders below this total (in cents) pay [`SHIPPING_CENTS`]; from it on, shipping is
/// free. An empty cart ships nothing and costs nothing.
pub const FREE_SHIPPING_FROM_CENTS: i64 = 50_00;
/// The flat shipping cost below the free-shipping threshold.
pub const SHIPPING_CENTS: i64 = 4_90;

/// The items of a cart, at `/cart/items/{id}`.
pub static CART_ITEMS: Entity = Entity {
    name: "cart item",
    path: "cart/items",
    table: "cart_items",
    label: None,
    fields: &[
        Field {
            name: "bookId",
            column: "book_id",
            kind: Kind::Ref {
                target: &BOOKS,
                rel: "book",
            },
            access: Access::Immutable,
        },
        Field {
            name: "title",
            column: "(SELECT b.title FROM books b WHERE b.id = cart_items.book_id)",
            kind: Kind::Text { max: 500 },
            access: Access::ReadOnly,
        },
        Field {
            name: "unitPrice",
            column: "(SELECT b.price_cents FROM books b WHERE b.id = cart_items.book_id)",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
        Field {
            name: "quantity",
            column: "quantity",
            kind: Kind::Int { min: 1, max: 999 },
            access: Access::Required,
        },
        Field {
            name: "amount",
            column: "(cart_items.quantity * \
                     (SELECT b.price_cents FROM books b WHERE b.id = cart_items.book_id))",
            kind: Kind::Money,
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// `/cart`, `/users/{id}/cart`, `/cart/items…`, `/cart:checkout`; the singleton parts
/// are in `cart_details`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Routes::new("/cart")
            .get(|ctx: Ctx| summary(ctx, false))
            .finish()
            .wrap(from_fn(private)),
    );
    cfg.service(
        Routes::new("/users/{id}/cart")
            .get(|ctx: Ctx| summary(ctx, true))
            .finish()
            .wrap(from_fn(private)),
    );
    cfg.service(
        Routes::new("/cart/items")
            .get(list_items)
            .post(add_item)
            .finish()
            .wrap(from_fn(private)),
    );
    cfg.service(
        Routes::new("/cart/items/{item}")
            .get(read_item)
            .patch(patch_item)
            .delete(delete_item)
            .finish()
            .wrap(from_fn(private)),
    );
    cfg.service(
        Routes::new("/cart:checkout")
            .post(checkout)
            .finish()
            .wrap(from_fn(private)),
    );
}

/// Whose cart a request may see: the authenticated user, and for `/users/{id}/cart`
/// only when that is the user in the path.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    /// The user.
    pub user_id: i64,
    /// Their cart's row (never shown: the cart has no id of its own).
    pub cart_id: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Authenticates the request (401) and, for `/users/{id}/cart`, checks it is that
/// user's own token (403); then finds the user's cart, locked when `lock` is set.
pub fn owner(
    conn: &mut DbConn,
    authorization: Option<&str>,
    path_user: Option<i64>,
    lock: bool,
) -> ApiResult<Owner> {
    let user_id = auth::user(conn, authorization)?;
    if let Some(other) = path_user.filter(|id| *id != user_id) {
        // Users are public (`GET /users/{id}`), so telling an unknown one from another
        // user's reveals nothing, and an unknown id in a path is 404 everywhere.
        if !db::exists(conn, "users", other)? {
            return Err(ApiError::NotFound(format!("there is no user {other}")));
        }
        return Err(ApiError::Forbidden(
            "this cart belongs to another user".into(),
        ));
    }
    let mut sql = Sql::new("SELECT id FROM carts WHERE user_id = ");
    sql.bind(user_id);
    if lock && db::is_postgres(conn) {
        sql.push(" FOR UPDATE");
    }
    let cart_id = sql
        .load::<IdRow>(conn)?
        .pop()
        .ok_or_else(|| ApiError::Internal(format!("user {user_id} has no cart")))?
        .id;
    Ok(Owner { user_id, cart_id })
}

/// Creates a user's cart; runs in the transaction that creates the user.
pub fn create_for(conn: &mut DbConn, user_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new("INSERT INTO carts (user_id, updated_at) VALUES (");
    sql.bind(user_id)
        .push(", ")
        .bind(Utc::now().rfc3339())
        .push(")");
    sql.execute(conn)?;
    Ok(())
}

/// Marks the cart changed.
pub fn touch(conn: &mut DbConn, cart_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new("UPDATE carts SET updated_at = ");
    sql.bind(Utc::now().rfc3339())
        .push(" WHERE id = ")
        .bind(cart_id);
    sql.execute(conn)?;
    Ok(())
}

/// Middleware for every path about the cart or orders: each answer, errors included, is
/// `Cache-Control: private` and varies by `Authorization`. The same URL shows each user
/// their own cart, and a 404 or 409 tells as much about it as a 200 does.
pub async fn private(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    // Replaces the `Vary: Accept` of the representation: both select what is shown.
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    Ok(response)
}

#[derive(QueryableByName)]
struct SummaryRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    updated_at: String,
    #[diesel(sql_type = BigInt)]
    item_count: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    shipping_complete: i64,
}

#[derive(QueryableByName)]
struct ItemIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
}

/// The shipping cost of a cart with this total.
pub fn shipping_cost(item_count: i64, total: i64) -> i64 {
    if item_count == 0 || total >= FREE_SHIPPING_FROM_CENTS {
        0
    } else {
        SHIPPING_CENTS
    }
}

/// The cart summary: counts and totals computed by the database from integers.
fn render_summary(conn: &mut DbConn, links: &Links, owner: Owner) -> ApiResult<Item> {
    let mut sql = Sql::new(
        "SELECT c.user_id, c.updated_at, \
         CAST(COALESCE((SELECT SUM(ci.quantity) FROM cart_items ci WHERE ci.cart_id = c.id), 0) AS BIGINT) AS item_count, \
         CAST(COALESCE((SELECT SUM(ci.quantity * b.price_cents) FROM cart_items ci \
           JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = c.id), 0) AS BIGINT) AS total, \
         CAST(CASE WHEN c.ship_name IS NOT NULL AND c.ship_street IS NOT NULL AND c.ship_city IS NOT NULL \
           AND c.ship_postal_code IS NOT NULL AND c.ship_country IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) \
           AS shipping_complete \
         FROM carts c WHERE c.id = ",
    );
    sql.bind(owner.cart_id);
    let row = sql
        .load::<SummaryRow>(conn)?
        .pop()
        .ok_or_else(|| ApiError::Internal("cart vanished".into()))?;
    let mut items = Sql::new(
        "SELECT ci.id, b.title FROM cart_items ci JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = ",
    );
    items.bind(owner.cart_id).push(" ORDER BY ci.id");
    let item_links: Vec<Value> = items
        .load::<ItemIdRow>(conn)?
        .into_iter()
        .map(|item| {
            let path = format!("cart/items/{}", item.id);
            match item.title {
                Some(title) => links.titled(&path, &title),
                None => links.link(&path),
            }
        })
        .collect();
    Ok(Item::new(json!({
        "itemCount": row.item_count,
        "total": decimal::format(row.total, 2),
        "shippingCost": decimal::format(shipping_cost(row.item_count, row.total), 2),
        "shippingInfoComplete": row.shipping_complete == 1,
        "updatedAt": row.updated_at,
        "_links": {
            "self": links.link("cart"),
            "owner": links.link(&format!("users/{}", row.user_id)),
            "items": item_links,
            "collection/items": links.link("cart/items"),
            "shipping": links.link("cart/shipping"),
            "billing": links.link("cart/billing"),
            "payment": links.link("cart/payment"),
            "checkout": links.link("cart:checkout"),
        },
    })))
}

async fn summary(ctx: Ctx, by_user: bool) -> ApiResult<HttpResponse> {
    let query = ctx.query(&["embed"])?;
    let embed_items = match query.get("embed") {
        None => false,
        Some(list) => {
            for name in list.split(',').map(str::trim) {
                if name != "items" {
                    return Err(ApiError::field(
                        "embed",
                        format!("{name:?}: the cart can embed items"),
                    ));
                }
            }
            true
        }
    };
    let path_user = if by_user {
        Some(path_id(ctx.req.match_info().get("id").unwrap_or(""))?)
    } else {
        None
    };
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let forms = ctx.embedded_forms;
    let item = ctx
        .db(move |conn| {
            let owner = owner(conn, authorization.as_deref(), path_user, false)?;
            let mut item = render_summary(conn, &links, owner)?;
            if embed_items {
                let mut sql = CART_ITEMS.select(conn);
                sql.push(" AND cart_items.cart_id = ")
                    .bind(owner.cart_id)
                    .push(" ORDER BY cart_items.id");
                let items: Vec<Value> = CART_ITEMS
                    .load(conn, &links, &sql)?
                    .into_iter()
                    .map(|r| {
                        let mut item = Value::Object(r.body);
                        if forms {
                            item["_templates"] =
                                crate::hal::forms::item(&links, &CART_ITEMS, &item);
                        }
                        item
                    })
                    .collect();
                item.body["_embedded"] = json!({ "items": items });
            }
            Ok(item)
        })
        .await?;
    let mut item = item;
    if ctx.forms {
        item.body["_templates"] = crate::hal::forms::custom(
            &ctx.links,
            &[
                (
                    "add-items",
                    "Add a book to the cart".to_owned(),
                    "POST",
                    CART_ITEMS.path,
                    crate::hal::forms::entity_properties(&ctx.links, &CART_ITEMS, true),
                ),
                (
                    "checkout",
                    "Check out: turn the cart into an order".to_owned(),
                    "POST",
                    "cart:checkout",
                    Vec::new(),
                ),
            ],
        );
    }
    Ok(ctx.respond_item(StatusCode::OK, &item))
}

async fn list_items(ctx: Ctx) -> ApiResult<HttpResponse> {
    let authorization = auth::bearer(&ctx.req);
    let owner = ctx
        .db(move |conn| owner(conn, authorization.as_deref(), None, false))
        .await?;
    let mut narrowing = Sql::new(" AND cart_items.cart_id = ");
    narrowing.bind(owner.cart_id);
    crud::list_page(
        &ctx,
        &CART_ITEMS,
        "cart/items".into(),
        narrowing,
        &[],
        None,
        Some("cart/items".into()),
    )
    .await
}

#[derive(QueryableByName)]
struct QuantityRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

/// `POST /cart/items` with `{"book": ref, "quantity": n}` (quantity defaults to 1): 201
/// for a new line; the same book again adds to its quantity and answers 200.
async fn add_item(ctx: Ctx, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let mut map = body.json_object(&Method::POST)?;
    map.entry("quantity").or_insert(json!(1));
    let values = CART_ITEMS.parse_body(&ctx.links, &map, None, true, &[])?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let (created, item) = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                let owner = owner(conn, authorization.as_deref(), None, true)?;
                CART_ITEMS.check_references(conn, &values, None)?;
                let book = values
                    .iter()
                    .find_map(|(c, v)| match v {
                        db::Value::Int(id) if *c == "book_id" => Some(*id),
                        _ => None,
                    })
                    .ok_or_else(|| ApiError::field("book", "is required"))?;
                let quantity = values
                    .iter()
                    .find_map(|(c, v)| match v {
                        db::Value::Int(q) if *c == "quantity" => Some(*q),
                        _ => None,
                    })
                    .unwrap_or(1);
                let mut existing = Sql::new("SELECT id, quantity FROM cart_items WHERE cart_id = ");
                existing.bind(owner.cart_id).push(" AND book_id = ").bind(book);
                let (created, id) = match existing.load::<QuantityRow>(conn)?.pop() {
                    Some(row) => {
                        let total = row.quantity + quantity;
                        if total > 999 {
                            return Err(ApiError::Conflict(format!(
                                "the cart already holds {} of this book; {total} would pass the limit of 999",
                                row.quantity
                            )));
                        }
                        CART_ITEMS.update(conn, row.id, &[("quantity", db::Value::Int(total))])?;
                        (false, row.id)
                    }
                    None => {
                        let mut values = values.clone();
                        values.push(("cart_id", db::Value::Int(owner.cart_id)));
                        (true, CART_ITEMS.insert(conn, &values)?)
                    }
                };
                touch(conn, owner.cart_id)?;
                Ok((created, CART_ITEMS.find(conn, &links, id)?))
            })
        })
        .await?;
    let item = crud::decorate(&ctx, &CART_ITEMS, item, Map::new());
    Ok(if created {
        ctx.created(&item)
    } else {
        ctx.respond_item(StatusCode::OK, &item)
    })
}

/// Fails with 404 unless the item is in the owner's cart (another user's item is as
/// absent as one that never existed).
fn check_item(conn: &mut DbConn, owner: Owner, item_id: i64) -> ApiResult<()> {
    let mut sql = Sql::new("SELECT COUNT(*) AS id FROM cart_items WHERE id = ");
    sql.bind(item_id)
        .push(" AND cart_id = ")
        .bind(owner.cart_id);
    if db::load_scalar(conn, &sql)? == 1 {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "your cart has no item {item_id}"
        )))
    }
}

async fn read_item(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = path_id(ctx.req.match_info().get("item").unwrap_or(""))?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            let owner = owner(conn, authorization.as_deref(), None, false)?;
            check_item(conn, owner, item_id)?;
            CART_ITEMS.find(conn, &links, item_id)
        })
        .await?;
    let item = crud::decorate(&ctx, &CART_ITEMS, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, &item))
}

async fn patch_item(ctx: Ctx, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = path_id(ctx.req.match_info().get("item").unwrap_or(""))?;
    let map = body.json_object(&Method::PATCH)?;
    let authorization = auth::bearer(&ctx.req);
    let if_match = ctx.if_match();
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                let owner = owner(conn, authorization.as_deref(), None, true)?;
                check_item(conn, owner, item_id)?;
                let current = CART_ITEMS.find(conn, &links, item_id)?;
                current.check_if_match(if_match.as_deref())?;
                let Value::Object(current_map) = &current.body else {
                    return Err(ApiError::Internal("item is not an object".into()));
                };
                let values = CART_ITEMS.parse_body(&links, &map, Some(current_map), false, &[])?;
                CART_ITEMS.update(conn, item_id, &values)?;
                touch(conn, owner.cart_id)?;
                CART_ITEMS.find(conn, &links, item_id)
            })
        })
        .await?;
    let item = crud::decorate(&ctx, &CART_ITEMS, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, &item))
}

async fn delete_item(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = path_id(ctx.req.match_info().get("item").unwrap_or(""))?;
    let authorization = auth::bearer(&ctx.req);
    ctx.db(move |conn| {
        db::write(conn, |conn| {
            let owner = owner(conn, authorization.as_deref(), None, true)?;
            check_item(conn, owner, item_id)?;
            CART_ITEMS.delete(conn, item_id)?;
            touch(conn, owner.cart_id)
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /cart:checkout`: in one transaction, with the cart locked so that a double
/// submit finds it already empty: the order with prices frozen, then a new, empty cart.
/// An empty cart or missing shipping or payment details is 409 naming each.
async fn checkout(ctx: Ctx, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    if !body.is_empty() && !matches!(body.json_object(&Method::POST), Ok(map) if map.is_empty()) {
        return Err(ApiError::field(
            "body",
            "must be empty: checkout takes the cart as it is",
        ));
    }
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                let owner = owner(conn, authorization.as_deref(), None, true)?;
                let order_id = orders::place(conn, owner)?;
                let mut reset = Sql::new(
                    "UPDATE carts SET ship_name = NULL, ship_street = NULL, ship_city = NULL, \
                     ship_postal_code = NULL, ship_country = NULL, bill_name = NULL, \
                     bill_street = NULL, bill_city = NULL, bill_postal_code = NULL, \
                     bill_country = NULL, card_holder = NULL, card_brand = NULL, \
                     card_last4 = NULL, card_expiry = NULL WHERE id = ",
                );
                reset.bind(owner.cart_id);
                reset.execute(conn)?;
                let mut clear = Sql::new("DELETE FROM cart_items WHERE cart_id = ");
                clear.bind(owner.cart_id);
                clear.execute(conn)?;
                touch(conn, owner.cart_id)?;
                orders::find(conn, &links, owner.user_id, order_id)
            })
        })
        .await?;
    Ok(ctx.created(&item))
}

/// The 409 for a checkout that lacks something, naming each missing part.
pub fn incomplete(missing: Vec<FieldError>) -> ApiError {
    let names: Vec<&str> = missing.iter().map(|e| e.field.as_str()).collect();
    ApiError::ConflictWith {
        detail: format!(
            "the cart cannot be checked out yet: missing {}",
            names.join(", ")
        ),
        errors: missing,
    }
}
