//! Orders: what checkout made of a cart, frozen (prices, titles, addresses), visible to
//! their owner only (`GET /orders`, `GET /orders/{id}`; another user's order is 404).

use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel::QueryableByName;
use serde_json::{json, Value};

use super::cart::{self, Owner};
use super::cart_details;
use super::Routes;
use crate::auth;
use crate::clock::Utc;
use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::filter::{FieldType, FilterField};
use crate::hal::page::{PageRequest, PAGE_PARAMS};
use crate::hal::{path_id, Ctx, Item, Links};

/// `/orders` and `/orders/{id}`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Routes::new("/orders")
            .get(list)
            .finish()
            .wrap(from_fn(cart::private)),
    );
    cfg.service(
        Routes::new("/orders/{id}")
            .get(read)
            .finish()
            .wrap(from_fn(cart::private)),
    );
}

#[derive(QueryableByName)]
struct CartRow {
    #[diesel(sql_type = Nullable<Text>)]
    ship_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ship_street: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ship_city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ship_postal_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    ship_country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    bill_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    bill_street: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    bill_city: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    bill_postal_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    bill_country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    card_holder: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    card_expiry: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    card_brand: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    card_last4: Option<String>,
}

#[derive(QueryableByName)]
struct LineRow {
    #[diesel(sql_type = BigInt)]
    order_id: i64,
    #[diesel(sql_type = BigInt)]
    book_id: i64,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = BigInt)]
    unit_price_cents: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
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

const ADDRESS_COLUMNS: [&str; 5] = ["name", "street", "city", "postal_code", "country"];

/// Turns the (locked) cart into an order and returns its id; 409 naming what is missing
/// when the cart is empty, lacks a complete shipping address or a complete, unexpired
/// card, or has a billing address of its own that is incomplete. The caller empties the
/// cart in the same transaction.
pub fn place(conn: &mut DbConn, owner: Owner) -> ApiResult<i64> {
    let mut sql = Sql::new(
        "SELECT ship_name, ship_street, ship_city, ship_postal_code, ship_country, \
         bill_name, bill_street, bill_city, bill_postal_code, bill_country, card_holder, \
         card_expiry, card_brand, card_last4 FROM carts WHERE id = ",
    );
    sql.bind(owner.cart_id);
    let cart = sql
        .load::<CartRow>(conn)?
        .pop()
        .ok_or_else(|| ApiError::Internal("cart vanished".into()))?;
    let mut lines = Sql::new(
        "SELECT CAST(0 AS BIGINT) AS order_id, ci.book_id, b.title, b.price_cents AS unit_price_cents, ci.quantity \
         FROM cart_items ci JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = ",
    );
    lines.bind(owner.cart_id).push(" ORDER BY ci.id");
    let lines = lines.load::<LineRow>(conn)?;
    let shipping = [
        cart.ship_name,
        cart.ship_street,
        cart.ship_city,
        cart.ship_postal_code,
        cart.ship_country,
    ];
    let billing = [
        cart.bill_name,
        cart.bill_street,
        cart.bill_city,
        cart.bill_postal_code,
        cart.bill_country,
    ];
    let mut missing = Vec::new();
    if lines.is_empty() {
        missing.push(FieldError::new(
            "items",
            "the cart is empty: POST /cart/items first",
        ));
    }
    if shipping.iter().any(Option::is_none) {
        missing.push(FieldError::new(
            "shipping",
            "no complete shipping address: PUT /cart/shipping",
        ));
    }
    // Billing that was never set is the shipping address; one set only in part would
    // be lost if the order quietly billed the shipping address instead.
    let own_billing = billing.iter().any(Option::is_some);
    if own_billing && billing.iter().any(Option::is_none) {
        missing.push(FieldError::new(
            "billing",
            "the billing address is incomplete: PUT /cart/billing, or PATCH it with \
             {\"sameAsShipping\": true}",
        ));
    }
    let card = match (
        cart.card_holder,
        cart.card_expiry,
        cart.card_brand,
        cart.card_last4,
    ) {
        (Some(_), Some(expiry), Some(_), Some(_)) if cart_details::has_expired(&expiry) => {
            missing.push(FieldError::new(
                "payment",
                "the card has expired: PUT /cart/payment",
            ));
            None
        }
        (Some(_), Some(_), Some(brand), Some(last4)) => Some((brand, last4)),
        _ => {
            missing.push(FieldError::new(
                "payment",
                "no complete card (cardholder, cardNumber, expiry): PUT /cart/payment",
            ));
            None
        }
    };
    let Some((brand, last4)) = card.filter(|_| missing.is_empty()) else {
        return Err(cart::incomplete(missing));
    };
    let billing = if own_billing {
        billing
    } else {
        shipping.clone()
    };
    let total: i64 = lines.iter().map(|l| l.unit_price_cents * l.quantity).sum();
    let item_count: i64 = lines.iter().map(|l| l.quantity).sum();
    let mut insert =
        Sql::new("INSERT INTO orders (user_id, created_at, total_cents, shipping_cents, ");
    for prefix in ["ship_", "bill_"] {
        for column in ADDRESS_COLUMNS {
            insert.push(&format!("{prefix}{column}, "));
        }
    }
    insert
        .push("card_brand, card_last4) VALUES (")
        .bind(owner.user_id)
        .push(", ")
        .bind(Utc::now().rfc3339())
        .push(", ")
        .bind(total)
        .push(", ")
        .bind(cart::shipping_cost(item_count, total));
    for value in shipping.into_iter().chain(billing) {
        insert.push(", ").bind(value);
    }
    insert
        .push(", ")
        .bind(brand)
        .push(", ")
        .bind(last4)
        .push(") RETURNING id");
    let order_id = db::load_scalar(conn, &insert)?;
    // The lines, frozen in one statement from the same (locked) cart the totals came from.
    let mut copy = Sql::new(
        "INSERT INTO order_lines (order_id, book_id, title, unit_price_cents, quantity) SELECT ",
    );
    copy.bind(order_id)
        .push(
            ", ci.book_id, b.title, b.price_cents, ci.quantity FROM cart_items ci \
             JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = ",
        )
        .bind(owner.cart_id)
        .push(" ORDER BY ci.id");
    copy.execute(conn)?;
    Ok(order_id)
}

fn address(values: [&str; 5]) -> Value {
    json!({
        "name": values[0], "street": values[1], "city": values[2],
        "postalCode": values[3], "country": values[4],
    })
}

fn select_orders(user_id: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, user_id, created_at, total_cents, shipping_cents, ship_name, ship_street, \
         ship_city, ship_postal_code, ship_country, bill_name, bill_street, bill_city, \
         bill_postal_code, bill_country, card_brand, card_last4 FROM orders WHERE user_id = ",
    );
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
                "shippingAddress": address([&order.ship_name, &order.ship_street, &order.ship_city,
                    &order.ship_postal_code, &order.ship_country]),
                "billingAddress": address([&order.bill_name, &order.bill_street, &order.bill_city,
                    &order.bill_postal_code, &order.bill_country]),
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
pub fn find(conn: &mut DbConn, links: &Links, user_id: i64, order_id: i64) -> ApiResult<Item> {
    let mut sql = select_orders(user_id);
    sql.push(" AND id = ").bind(order_id);
    let rows = sql.load::<OrderRow>(conn)?;
    render(conn, links, rows)?
        .pop()
        .map(|(_, body)| Item::new(body))
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

async fn list(ctx: Ctx) -> ApiResult<HttpResponse> {
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

async fn read(ctx: Ctx) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let order_id = path_id(ctx.req.match_info().get("id").unwrap_or(""))?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            let user_id = auth::user(conn, authorization.as_deref())?;
            find(conn, &links, user_id, order_id)
        })
        .await?;
    Ok(ctx.respond_item(StatusCode::OK, &item))
}
