//! Orders: what checkout made of a cart, frozen (prices, titles, addresses), visible to
//! their owner only (`GET /orders`, `GET /orders/{id}`; another user's order is 404).

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;
use serde_json::{json, Value};

use super::address::Address;
use crate::db::{DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult};
use crate::hal::{Item, Links};
use crate::http::{auth, Ctx};
use crate::query::filter::{FieldType, FilterField};
use crate::query::page::{PageRequest, PAGE_PARAMS};

#[derive(QueryableByName)]
pub(crate) struct LineRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) order_id: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) book_id: i64,
    #[diesel(sql_type = Text)]
    pub(crate) title: String,
    #[diesel(sql_type = BigInt)]
    pub(crate) unit_price_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub(crate) quantity: i64,
}

#[derive(QueryableByName)]
struct OrderRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = BigInt)]
    total_cents: i64,
    #[diesel(sql_type = BigInt)]
    shipping_cents: i64,
    #[diesel(sql_type = Text)]
    ship_name: String,
    #[diesel(sql_type = Text)]
    ship_street: String,
    #[diesel(sql_type = Text)]
    ship_city: String,
    #[diesel(sql_type = Text)]
    ship_postal_code: String,
    #[diesel(sql_type = Text)]
    ship_country: String,
    #[diesel(sql_type = Text)]
    bill_name: String,
    #[diesel(sql_type = Text)]
    bill_street: String,
    #[diesel(sql_type = Text)]
    bill_city: String,
    #[diesel(sql_type = Text)]
    bill_postal_code: String,
    #[diesel(sql_type = Text)]
    bill_country: String,
    #[diesel(sql_type = Text)]
    card_brand: String,
    #[diesel(sql_type = Text)]
    card_last4: String,
}

fn select_orders(user_id: i64) -> Sql {
    let addresses: Vec<String> = Address::columns("ship_")
        .chain(Address::columns("bill_"))
        .collect();
    let mut sql = Sql::new(&format!(
        "SELECT id, user_id, created_at, total_cents, shipping_cents, {}, card_brand, \
         card_last4 FROM orders WHERE user_id = ",
        addresses.join(", ")
    ));
    sql.bind(user_id);
    sql
}

/// Renders orders with their lines (one query for the lines of all of them).
fn render(conn: &mut DbConn, links: &Links, orders: Vec<OrderRow>) -> ApiResult<Vec<(i64, Value)>> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = Sql::new(
        "SELECT order_id, book_id, title, unit_price_cents, quantity FROM order_lines WHERE order_id IN (",
    );
    for (i, order) in orders.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(order.id);
    }
    sql.push(") ORDER BY order_id, id");
    let lines = sql.load::<LineRow>(conn)?;
    Ok(orders
        .into_iter()
        .map(|order| {
            let order_lines: Vec<Value> = lines
                .iter()
                .filter(|line| line.order_id == order.id)
                .map(|line| {
                    json!({
                        "title": line.title,
                        "unitPrice": decimal::format(line.unit_price_cents, 2),
                        "quantity": line.quantity,
                        "amount": decimal::format(line.unit_price_cents * line.quantity, 2),
                        "_links": { "book": links.link(&format!("books/{}", line.book_id)) },
                    })
                })
                .collect();
            let body = json!({
                "id": order.id,
                "createdAt": order.created_at,
                "total": decimal::format(order.total_cents, 2),
                "shippingCost": decimal::format(order.shipping_cents, 2),
                "lines": order_lines,
                "shippingAddress": Address::from_values([order.ship_name, order.ship_street,
                    order.ship_city, order.ship_postal_code, order.ship_country]).to_json(),
                "billingAddress": Address::from_values([order.bill_name, order.bill_street,
                    order.bill_city, order.bill_postal_code, order.bill_country]).to_json(),
                "payment": { "brand": order.card_brand, "last4": order.card_last4 },
                "_links": {
                    "self": links.link(&format!("orders/{}", order.id)),
                    "owner": links.link(&format!("users/{}", order.user_id)),
                },
            });
            (order.id, body)
        })
        .collect())
}

/// One of the user's orders, or 404 (also for another user's).
pub(crate) fn find(
    conn: &mut DbConn,
    links: &Links,
    user_id: i64,
    order_id: i64,
) -> ApiResult<Item> {
    let mut sql = select_orders(user_id);
    sql.push(" AND id = ").bind(order_id);
    let rows = sql.load::<OrderRow>(conn)?;
    render(conn, links, rows)?
        .pop()
        .map(|(_, body)| Item::new(links, body))
        .ok_or_else(|| ApiError::NotFound(format!("you have no order {order_id}")))
}

const FILTER_FIELDS: [FilterField; 3] = [
    FilterField {
        name: "id",
        column: "id",
        ty: FieldType::Int,
    },
    FilterField {
        name: "total",
        column: "total_cents",
        ty: FieldType::Decimal { scale: 2 },
    },
    FilterField {
        name: "createdAt",
        column: "created_at",
        ty: FieldType::Text,
    },
];

pub(crate) async fn list(ctx: Ctx) -> ApiResult<HttpResponse> {
    let query = ctx.query(&PAGE_PARAMS)?;
    let page = PageRequest::parse(&query, "orders", &FILTER_FIELDS, &ctx.state.tokens)?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let state = ctx.state.clone();
    let body = ctx
        .db(move |conn| {
            let user_id = auth::user(conn, authorization.as_deref())?;
            let mut sql = select_orders(user_id);
            page.push_tail(&mut sql, "orders");
            let rows = sql.load::<OrderRow>(conn)?;
            let rendered = render(conn, &links, rows)?;
            let ids: Vec<i64> = rendered.iter().map(|(id, _)| *id).collect();
            let items = rendered.into_iter().map(|(_, body)| body).collect();
            Ok(page.render(
                &links,
                "orders",
                items,
                &ids,
                &state.tokens,
                Default::default(),
            ))
        })
        .await?;
    Ok(ctx.respond(StatusCode::OK, &body))
}

pub(crate) async fn read(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let order_id = ctx.id("id")?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            let user_id = auth::user(conn, authorization.as_deref())?;
            find(conn, &links, user_id, order_id)
        })
        .await?;
    Ok(ctx.respond_item(StatusCode::OK, item))
}
