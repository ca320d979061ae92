//! The authenticated user's cart (§6): a one-to-one singleton with no id of its own,
//! and its items. Its parts are in `parts`, checkout in `checkout`.

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use serde_json::{json, Map, Value};

use super::context::Shop;
use super::owner::{self, Owner};
use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult};
use crate::hal::{Item, Links};
use crate::http::{Body, Ctx};
use crate::model::PartKind;
use crate::rest::list::{self, List};
use crate::rest::{crud, forms, render};

/// Orders below this total (in cents) pay [`SHIPPING_CENTS`]; from it on, shipping is
/// free. An empty cart ships nothing and costs nothing.
pub(crate) const FREE_SHIPPING_FROM_CENTS: i64 = 50_00;
/// The flat shipping cost below the free-shipping threshold.
pub(crate) const SHIPPING_CENTS: i64 = 4_90;

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
pub(crate) fn shipping_cost(item_count: i64, total: i64) -> i64 {
    if item_count == 0 || total >= FREE_SHIPPING_FROM_CENTS {
        0
    } else {
        SHIPPING_CENTS
    }
}

/// The cart summary: counts and totals computed by the database from integers.
fn render_summary(conn: &mut DbConn, shop: Shop, links: &Links, owner: Owner) -> ApiResult<Item> {
    // The shipping information is complete when every field of the shipping part is set.
    let complete: Vec<String> = shop
        .part(PartKind::Shipping)?
        .entity
        .fields
        .iter()
        .map(|f| format!("c.{} IS NOT NULL", f.column))
        .collect();
    let mut sql = Sql::new(&format!(
        "SELECT c.user_id, c.updated_at, \
         CAST(COALESCE((SELECT SUM(ci.quantity) FROM cart_items ci WHERE ci.cart_id = c.id), 0) AS BIGINT) AS item_count, \
         CAST(COALESCE((SELECT SUM(ci.quantity * b.price_cents) FROM cart_items ci \
           JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = c.id), 0) AS BIGINT) AS total, \
         CAST(CASE WHEN {} THEN 1 ELSE 0 END AS BIGINT) AS shipping_complete \
         FROM carts c WHERE c.id = ",
        complete.join(" AND ")
    ));
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
    Ok(Item::new(
        links,
        json!({
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
        }),
    ))
}

pub(crate) async fn summary(ctx: Ctx, shop: Shop, by_user: bool) -> ApiResult<HttpResponse> {
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
    let path_user = if by_user { Some(ctx.id("id")?) } else { None };
    let links = ctx.links.clone();
    let forms = ctx.embedded_forms;
    let item = owner::read_cart(&ctx, path_user, move |conn, owner| {
        let mut item = render_summary(conn, shop, &links, owner)?;
        if embed_items {
            let cart_items = shop.cart.items;
            let mut sql = render::select(conn, shop.site, cart_items);
            sql.push(" AND cart_items.cart_id = ")
                .bind(owner.cart_id)
                .push(" ORDER BY cart_items.id");
            let items: Vec<Value> = render::rows(conn, shop.site, &links, cart_items, &sql)?
                .into_iter()
                .map(|r| {
                    list::with_templates(
                        shop.site,
                        &links,
                        cart_items,
                        Value::Object(r.body),
                        forms,
                    )
                })
                .collect();
            item.body_mut()["_embedded"] = json!({ "items": items });
        }
        Ok(item)
    })
    .await?;
    let mut item = item;
    if ctx.forms {
        // The quantity may be left out: `add_item` makes it 1.
        let mut add = forms::properties(&ctx.links, shop.cart.items, true, None);
        for property in add.iter_mut().filter(|p| p["name"] == "quantity") {
            property["required"] = json!(false);
            property["placeholder"] = json!("1");
        }
        item.body_mut()["_templates"] = forms::custom(
            &ctx.links,
            &[
                (
                    "add-items",
                    "Add a book to the cart".to_owned(),
                    "POST",
                    shop.cart.items.path,
                    add,
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
        if let Some(reason) = checkout_unavailable(item.body()) {
            item.body_mut()["_templates"]["checkout"]["unavailable"] = json!(reason);
        }
    }
    Ok(ctx.respond_item(StatusCode::OK, item))
}

/// Why checking out the cart `summary` describes would be refused, in words, if it
/// would: the template then says so (`unavailable`), and a page shows it disabled. The
/// payment card is not in the summary; `POST /cart:checkout` still names it when missing.
fn checkout_unavailable(summary: &Value) -> Option<&'static str> {
    if summary["itemCount"].as_i64() == Some(0) {
        Some("Add a book to the cart first.")
    } else if summary["shippingInfoComplete"] == false {
        Some("Add shipping information first.")
    } else {
        None
    }
}

pub(crate) async fn list_items(ctx: Ctx, shop: Shop) -> ApiResult<HttpResponse> {
    let owner = owner::read_cart(&ctx, None, |_, owner| Ok(owner)).await?;
    let mut narrowing = Sql::new(" AND cart_items.cart_id = ");
    narrowing.bind(owner.cart_id);
    let items = shop.cart.items;
    list::page(
        &ctx,
        shop.site,
        List {
            entity: items,
            path: items.path.into(),
            narrowing,
            under: None,
            create_at: Some(items.path.into()),
        },
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
pub(crate) async fn add_item(ctx: Ctx, shop: Shop, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let mut map = body.json_object(&Method::POST)?;
    map.entry("quantity").or_insert(json!(1));
    let values = shop
        .cart
        .items
        .parse_body(&ctx.links, &map, None, true, &[])?;
    let links = ctx.links.clone();
    let (created, item) = owner::write_cart(&ctx, move |conn, owner| {
                shop.cart.items.check_references(conn, &values, None)?;
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
                        shop.cart.items.update(conn, row.id, &[("quantity", db::Value::Int(total))])?;
                        (false, row.id)
                    }
                    None => {
                        let mut values = values.clone();
                        values.push(("cart_id", db::Value::Int(owner.cart_id)));
                        (true, shop.cart.items.insert(conn, &values)?)
                    }
                };
                owner::touch(conn, owner.cart_id)?;
                Ok((created, render::item(conn, shop.site, &links, shop.cart.items, id)?))
            })
        .await?;
    let item = crud::decorate(&ctx, shop.site, shop.cart.items, item, Map::new());
    Ok(if created {
        ctx.created(item)
    } else {
        ctx.respond_item(StatusCode::OK, item)
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

pub(crate) async fn read_item(ctx: Ctx, shop: Shop) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = ctx.id("item")?;
    let links = ctx.links.clone();
    let item = owner::read_cart(&ctx, None, move |conn, owner| {
        check_item(conn, owner, item_id)?;
        render::item(conn, shop.site, &links, shop.cart.items, item_id)
    })
    .await?;
    let item = crud::decorate(&ctx, shop.site, shop.cart.items, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, item))
}

pub(crate) async fn patch_item(ctx: Ctx, shop: Shop, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = ctx.id("item")?;
    let map = body.json_object(&Method::PATCH)?;
    let if_match = ctx.if_match();
    let links = ctx.links.clone();
    let item = owner::write_cart(&ctx, move |conn, owner| {
        check_item(conn, owner, item_id)?;
        let current = render::item(conn, shop.site, &links, shop.cart.items, item_id)?;
        current.check_if_match(if_match.as_deref())?;
        let Value::Object(current_map) = current.body() else {
            return Err(ApiError::Internal("item is not an object".into()));
        };
        let values = shop
            .cart
            .items
            .parse_body(&links, &map, Some(current_map), false, &[])?;
        shop.cart.items.update(conn, item_id, &values)?;
        owner::touch(conn, owner.cart_id)?;
        render::item(conn, shop.site, &links, shop.cart.items, item_id)
    })
    .await?;
    let item = crud::decorate(&ctx, shop.site, shop.cart.items, item, Map::new());
    Ok(ctx.respond_item(StatusCode::OK, item))
}

pub(crate) async fn delete_item(ctx: Ctx, shop: Shop) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let item_id = ctx.id("item")?;
    owner::write_cart(&ctx, move |conn, owner| {
        check_item(conn, owner, item_id)?;
        shop.cart.items.delete(conn, item_id)?;
        owner::touch(conn, owner.cart_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
