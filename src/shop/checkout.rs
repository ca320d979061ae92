//! `POST /cart:checkout`: the cart becomes an order, with prices frozen, and the user is
//! left with a new, empty cart.

use actix_web::http::Method;
use actix_web::HttpResponse;

use super::address::{Address, Card};
use super::context::Shop;
use super::orders::{self, LineRow};
use super::owner::{self, Owner};
use super::{card, cart};
use crate::clock::Utc;
use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::http::{Body, Ctx};
use crate::model::PartKind;

/// Turns the (locked) cart into an order and returns its id; 409 naming what is missing
/// when the cart is empty, lacks a complete shipping address or a complete, unexpired
/// card, or has a billing address of its own that is incomplete. The caller empties the
/// cart in the same transaction.
fn place(conn: &mut DbConn, shop: Shop, owner: Owner) -> ApiResult<i64> {
    let mut doc =
        |kind| -> ApiResult<_> { Ok(shop.part(kind)?.entity.find_row(conn, owner.cart_id)?.doc) };
    let (shipping, billing, payment) = (
        doc(PartKind::Shipping)?,
        doc(PartKind::Billing)?,
        doc(PartKind::Card)?,
    );
    let mut lines = Sql::new(
        "SELECT CAST(0 AS BIGINT) AS order_id, ci.book_id, b.title, b.price_cents AS unit_price_cents, ci.quantity \
         FROM cart_items ci JOIN books b ON b.id = ci.book_id WHERE ci.cart_id = ",
    );
    lines.bind(owner.cart_id).push(" ORDER BY ci.id");
    let lines = lines.load::<LineRow>(conn)?;
    let own_billing = Address::any_set(&billing);
    let (shipping, billing) = (Address::from_doc(&shipping), Address::from_doc(&billing));
    let mut missing = Vec::new();
    if lines.is_empty() {
        missing.push(FieldError::new(
            "items",
            "the cart is empty: POST /cart/items first",
        ));
    }
    if shipping.is_none() {
        missing.push(FieldError::new(
            "shipping",
            "no complete shipping address: PUT /cart/shipping",
        ));
    }
    // Billing that was never set is the shipping address; one set only in part would
    // be lost if the order quietly billed the shipping address instead.
    if own_billing && billing.is_none() {
        missing.push(FieldError::new(
            "billing",
            "the billing address is incomplete: PUT /cart/billing, or PATCH it with \
             {\"sameAsShipping\": true}",
        ));
    }
    let card = match Card::from_doc(&payment) {
        Some(card) if card::has_expired(&card.expiry) => {
            missing.push(FieldError::new(
                "payment",
                "the card has expired: PUT /cart/payment",
            ));
            None
        }
        Some(card) => Some(card),
        None => {
            missing.push(FieldError::new(
                "payment",
                "no complete card (cardholder, cardNumber, expiry): PUT /cart/payment",
            ));
            None
        }
    };
    let (Some(card), Some(shipping)) = (card.filter(|_| missing.is_empty()), shipping) else {
        return Err(incomplete(missing));
    };
    let billing = billing
        .filter(|_| own_billing)
        .unwrap_or_else(|| shipping.clone());
    let total: i64 = lines.iter().map(|l| l.unit_price_cents * l.quantity).sum();
    let item_count: i64 = lines.iter().map(|l| l.quantity).sum();
    let mut insert =
        Sql::new("INSERT INTO orders (user_id, created_at, total_cents, shipping_cents, ");
    for prefix in ["ship_", "bill_"] {
        for column in Address::columns(prefix) {
            insert.push(&format!("{column}, "));
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
    for value in shipping
        .into_values()
        .into_iter()
        .chain(billing.into_values())
    {
        insert.push(", ").bind(value);
    }
    insert
        .push(", ")
        .bind(card.brand)
        .push(", ")
        .bind(card.last4)
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
pub(crate) async fn checkout(ctx: Ctx, shop: Shop, body: Body) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    if !body.is_empty() && !matches!(body.json_object(&Method::POST), Ok(map) if map.is_empty()) {
        return Err(ApiError::field(
            "body",
            "must be empty: checkout takes the cart as it is",
        ));
    }
    let links = ctx.links.clone();
    let item = owner::write_cart(&ctx, move |conn, owner| {
        let order_id = place(conn, shop, owner)?;
        // Every part goes back to unset: a new, empty cart.
        let parts = shop.cart.parts.iter().flat_map(|p| p.entity.fields);
        let columns: Vec<String> = parts.map(|f| format!("{} = NULL", f.column)).collect();
        let table = shop.part(PartKind::Shipping)?.entity.table;
        let mut reset = Sql::new(&format!(
            "UPDATE {table} SET {} WHERE id = ",
            columns.join(", ")
        ));
        reset.bind(owner.cart_id);
        reset.execute(conn)?;
        let mut clear = Sql::new("DELETE FROM cart_items WHERE cart_id = ");
        clear.bind(owner.cart_id);
        clear.execute(conn)?;
        owner::touch(conn, owner.cart_id)?;
        orders::find(conn, &links, owner.user_id, order_id)
    })
    .await?;
    Ok(ctx.created(item))
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
