//! `POST /cart:checkout`: the cart becomes an order, with prices frozen, and the user is
//! left with a new, empty cart.

use actix_web::http::Method;
use actix_web::HttpResponse;
use diesel::sql_types::{Nullable, Text};
use diesel::QueryableByName;

use super::orders::{self, LineRow};
use super::owner::{self, Owner};
use super::{card, cart};
use crate::clock::Utc;
use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{auth, Body, Ctx};

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

const ADDRESS_COLUMNS: [&str; 5] = ["name", "street", "city", "postal_code", "country"];

/// Turns the (locked) cart into an order and returns its id; 409 naming what is missing
/// when the cart is empty, lacks a complete shipping address or a complete, unexpired
/// card, or has a billing address of its own that is incomplete. The caller empties the
/// cart in the same transaction.
fn place(conn: &mut DbConn, owner: Owner) -> ApiResult<i64> {
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
        (Some(_), Some(expiry), Some(_), Some(_)) if card::has_expired(&expiry) => {
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
        return Err(incomplete(missing));
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

/// `POST /cart:checkout`: in one transaction, with the cart locked so that a double
/// submit finds it already empty: the order with prices frozen, then a new, empty cart.
/// An empty cart or missing shipping or payment details is 409 naming each.
pub(crate) async fn checkout(ctx: Ctx, body: Body) -> ApiResult<HttpResponse> {
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
                let owner = owner::owner(conn, authorization.as_deref(), None, true)?;
                let order_id = place(conn, owner)?;
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
                owner::touch(conn, owner.cart_id)?;
                orders::find(conn, &links, owner.user_id, order_id)
            })
        })
        .await?;
    Ok(ctx.created(&item))
}

/// The 409 for a checkout that lacks something, naming each missing part.
fn incomplete(missing: Vec<FieldError>) -> ApiError {
    let names: Vec<&str> = missing.iter().map(|e| e.field.as_str()).collect();
    ApiError::ConflictWith {
        detail: format!(
            "the cart cannot be checked out yet: missing {}",
            names.join(", ")
        ),
        errors: missing,
    }
}
