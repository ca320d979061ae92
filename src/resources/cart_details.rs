//! The cart's singleton parts, each read, replaced (PUT) and patched on its own:
//! `/cart/shipping`, `/cart/billing` (addresses) and `/cart/payment` (a card, of which
//! only the brand and the last four digits are ever kept).

use actix_web::http::{Method, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::cart;
use super::entity::{Access, Auth, Entity, Field, Kind};
use super::Routes;
use crate::auth;
use crate::clock::Utc;
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::{Body, Ctx, Item, Links};

/// The five fields of an address, stored in the cart's columns with `$prefix`.
macro_rules! address_fields {
    ($prefix:literal) => {
        &[
            Field {
                name: "name",
                column: concat!($prefix, "name"),
                kind: Kind::Text { max: 200 },
                access: Access::Required,
            },
            Field {
                name: "street",
                column: concat!($prefix, "street"),
                kind: Kind::Text { max: 200 },
                access: Access::Required,
            },
            Field {
                name: "city",
                column: concat!($prefix, "city"),
                kind: Kind::Text { max: 100 },
                access: Access::Required,
            },
            Field {
                name: "postalCode",
                column: concat!($prefix, "postal_code"),
                kind: Kind::Text { max: 20 },
                access: Access::Required,
            },
            Field {
                name: "country",
                column: concat!($prefix, "country"),
                kind: Kind::Text { max: 100 },
                access: Access::Required,
            },
        ]
    };
}

/// Where the order ships to.
pub static SHIPPING: Entity = Entity {
    name: "shipping address",
    path: "cart/shipping",
    table: "carts",
    label: None,
    fields: address_fields!("ship_"),
    parent: None,
    auth: Auth::Open,
};

/// Where the invoice goes; the shipping address when never set.
pub static BILLING: Entity = Entity {
    name: "billing address",
    path: "cart/billing",
    table: "carts",
    label: None,
    fields: address_fields!("bill_"),
    parent: None,
    auth: Auth::Open,
};

/// The card, as far as it is kept: `cardNumber` is taken on input only.
pub static PAYMENT: Entity = Entity {
    name: "payment",
    path: "cart/payment",
    table: "carts",
    label: None,
    fields: &[
        Field {
            name: "cardholder",
            column: "card_holder",
            kind: Kind::Text { max: 200 },
            access: Access::Required,
        },
        Field {
            name: "expiry",
            column: "card_expiry",
            kind: Kind::Text { max: 5 },
            access: Access::Required,
        },
        Field {
            name: "brand",
            column: "card_brand",
            kind: Kind::Text { max: 20 },
            access: Access::ReadOnly,
        },
        Field {
            name: "last4",
            column: "card_last4",
            kind: Kind::Text { max: 4 },
            access: Access::ReadOnly,
        },
    ],
    parent: None,
    auth: Auth::Open,
};

/// Registers the three singletons.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for part in [&SHIPPING, &BILLING, &PAYMENT] {
        cfg.service(
            Routes::new(&format!("/{}", part.path))
                .get(move |ctx: Ctx| read(ctx, part))
                .put(move |ctx: Ctx, body: Body| write(ctx, part, body, true))
                .patch(move |ctx: Ctx, body: Body| write(ctx, part, body, false))
                .finish()
                .wrap(from_fn(cart::private)),
        );
    }
}

/// Renders a part of the cart: its fields (null until set), `self` and `cart` links.
/// Billing falls back to the shipping address, and says so with `sameAsShipping`.
pub fn render(
    conn: &mut DbConn,
    links: &Links,
    part: &'static Entity,
    cart_id: i64,
) -> ApiResult<Item> {
    let mut sql = part.select(conn);
    sql.push(" AND carts.id = ").bind(cart_id);
    let mut body = part
        .load(conn, links, &sql)?
        .pop()
        .ok_or_else(|| ApiError::Internal("cart vanished".into()))?
        .body;
    if std::ptr::eq(part, &BILLING) {
        let unset = BILLING.fields.iter().all(|f| body[f.name].is_null());
        if unset {
            let shipping = render(conn, links, &SHIPPING, cart_id)?;
            for field in BILLING.fields {
                body.insert(field.name.into(), shipping.body[field.name].clone());
            }
        }
        body.insert("sameAsShipping".into(), json!(unset));
    }
    body.remove("id");
    body.insert(
        "_links".into(),
        json!({ "self": links.link(part.path), "cart": links.link("cart") }),
    );
    Ok(Item::new(Value::Object(body)))
}

async fn read(ctx: Ctx, part: &'static Entity) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let authorization = auth::bearer(&ctx.req);
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            let owner = cart::owner(conn, authorization.as_deref(), None, false)?;
            render(conn, &links, part, owner.cart_id)
        })
        .await?;
    Ok(ctx.respond_item(StatusCode::OK, &forms(&ctx, part, item)))
}

/// For HAL-FORMS clients: `default` replaces the part (PUT, every field), `update`
/// patches it. The payment form asks for the `cardNumber` it takes on input only.
fn forms(ctx: &Ctx, part: &'static Entity, mut item: Item) -> Item {
    if !ctx.forms {
        return item;
    }
    let mut properties = crate::hal::forms::entity_properties(&ctx.links, part, true);
    if std::ptr::eq(part, &PAYMENT) {
        properties.push(json!({
            "name": "cardNumber", "prompt": "cardNumber", "type": "text", "required": true,
            "regex": r"^[0-9 ]{12,23}$",
        }));
        for property in &mut properties {
            if property["name"] == "expiry" {
                property["regex"] = json!(r"^(0[1-9]|1[0-2])/\d{2}$");
            }
        }
    }
    let optional: Vec<Value> = properties
        .iter()
        .cloned()
        .map(|mut p| {
            p["required"] = json!(false);
            p
        })
        .collect();
    item.body["_templates"] = crate::hal::forms::custom(
        &ctx.links,
        &[
            (
                "default",
                format!("Replace the {}", part.name),
                "PUT",
                part.path,
                properties,
            ),
            (
                "update",
                format!("Update the {}", part.name),
                "PATCH",
                part.path,
                optional,
            ),
        ],
    );
    item
}

/// PUT replaces the part (every field required); PATCH merges into the part as GET
/// shows it. For the payment, a `cardNumber` is checked (Luhn) and reduced to brand and
/// last four digits. For billing, `sameAsShipping: true` makes it follow the shipping
/// address again.
async fn write(
    ctx: Ctx,
    part: &'static Entity,
    body: Body,
    replace: bool,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let method = if replace { Method::PUT } else { Method::PATCH };
    let mut map = body.json_object(&method)?;
    let mut card = None;
    let mut named_last4 = None;
    if std::ptr::eq(part, &PAYMENT) {
        card = card_values(&mut map)?;
        named_last4 = map.get("last4").cloned();
    }
    let follow_shipping = if std::ptr::eq(part, &BILLING) {
        same_as_shipping(&map)?
    } else {
        false
    };
    for read_only in ["sameAsShipping", "brand", "last4"] {
        map.remove(read_only);
    }
    let authorization = auth::bearer(&ctx.req);
    let if_match = ctx.if_match();
    let links = ctx.links.clone();
    let item = ctx
        .db(move |conn| {
            db::write(conn, |conn| {
                let owner = cart::owner(conn, authorization.as_deref(), None, true)?;
                let current = render(conn, &links, part, owner.cart_id)?;
                current.check_if_match(if_match.as_deref())?;
                let Value::Object(current_map) = &current.body else {
                    return Err(ApiError::Internal("part is not an object".into()));
                };
                let values = if follow_shipping {
                    let shipping = render(conn, &links, &SHIPPING, owner.cart_id)?;
                    unset_billing(&map, &shipping.body)?
                } else {
                    let mut values =
                        part.parse_body(&links, &map, Some(current_map), replace, &[])?;
                    if std::ptr::eq(part, &BILLING) && current_map["sameAsShipping"] == true {
                        // The address shown was the shipping address: a patch changes that
                        // address, so the rest of it becomes billing's own too.
                        keep_shown(&mut values, current_map);
                    }
                    if std::ptr::eq(part, &PAYMENT) {
                        check_expiry(&values)?;
                        match card {
                            Some(card) => values.extend(card),
                            None if replace => keep_card(named_last4.as_ref(), current_map)?,
                            None => {}
                        }
                    }
                    values
                };
                part.update(conn, owner.cart_id, &values)?;
                cart::touch(conn, owner.cart_id)?;
                render(conn, &links, part, owner.cart_id)
            })
        })
        .await?;
    Ok(ctx.respond_item(StatusCode::OK, &forms(&ctx, part, item)))
}

/// Reads billing's `sameAsShipping`: true asks to follow the shipping address again;
/// false, or leaving it out, writes billing's own address.
fn same_as_shipping(map: &Map<String, Value>) -> ApiResult<bool> {
    match map.get("sameAsShipping") {
        None | Some(Value::Bool(false)) => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(_) => Err(ApiError::field("sameAsShipping", "must be true or false")),
    }
}

/// The assignments that make billing follow the shipping address. Address properties
/// may come along (a PUT of billing's own GET body carries them) but only as the
/// shipping address has them: anything else would be silently lost.
fn unset_billing(
    map: &Map<String, Value>,
    shipping: &Value,
) -> ApiResult<Vec<(&'static str, db::Value)>> {
    let mut errors = Vec::new();
    for (key, value) in map {
        if matches!(key.as_str(), "id" | "_links" | "_embedded" | "_templates") {
            continue;
        }
        match BILLING.fields.iter().find(|f| f.name == key) {
            Some(field) if shipping[field.name] == *value => {}
            Some(_) => errors.push(FieldError::new(
                key.clone(),
                "differs from the shipping address; leave it out with sameAsShipping: true",
            )),
            None => errors.push(FieldError::new(key.clone(), "unknown property")),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(BILLING
        .fields
        .iter()
        .map(|f| (f.column, db::Value::Null))
        .collect())
}

/// Adds the shown value of every address field a patch left alone.
fn keep_shown(values: &mut Vec<(&'static str, db::Value)>, shown: &Map<String, Value>) {
    for field in BILLING.fields {
        if values.iter().any(|(column, _)| *column == field.column) {
            continue;
        }
        let value = match shown.get(field.name) {
            Some(Value::String(text)) => db::Value::Text(text.clone()),
            _ => db::Value::Null,
        };
        values.push((field.column, value));
    }
}

/// A PUT without `cardNumber` keeps the stored card only when it names it by the
/// `last4` that GET shows, so a PUT of the payment's own GET body succeeds; otherwise
/// the number is required.
fn keep_card(named_last4: Option<&Value>, current: &Map<String, Value>) -> ApiResult<()> {
    match (named_last4, current.get("last4")) {
        (Some(named), Some(stored)) if stored.is_string() && named == stored => Ok(()),
        _ => Err(ApiError::field("cardNumber", "is required")),
    }
}

/// Takes `cardNumber` out of a payment body and returns the brand and last four digits
/// to store (`None` when the body has no number). The number itself goes no further
/// than this function.
fn card_values(map: &mut Map<String, Value>) -> ApiResult<Option<Vec<(&'static str, db::Value)>>> {
    let Some(number) = map.remove("cardNumber") else {
        return Ok(None);
    };
    let digits: String = number
        .as_str()
        .ok_or_else(|| ApiError::field("cardNumber", "must be a string of digits"))?
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::field("cardNumber", "must be 12 to 19 digits"));
    }
    if !luhn(&digits) {
        return Err(ApiError::field(
            "cardNumber",
            "is not a valid card number (checksum)",
        ));
    }
    Ok(Some(vec![
        ("card_brand", db::Value::Text(brand(&digits).into())),
        (
            "card_last4",
            db::Value::Text(digits[digits.len() - 4..].into()),
        ),
    ]))
}

/// The Luhn checksum every card number carries.
pub fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The card brand by its number's prefix.
pub fn brand(digits: &str) -> &'static str {
    let prefix = |n: usize| {
        digits
            .get(..n)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => "mastercard",
        _ if prefix(2) == 34 || prefix(2) == 37 => "amex",
        _ if prefix(4) == 6011 || prefix(2) == 65 => "discover",
        _ => "other",
    }
}

/// `expiry` is `MM/YY` and not in the past (a card is valid through its month).
fn check_expiry(values: &[(&'static str, db::Value)]) -> ApiResult<()> {
    let Some((_, db::Value::Text(expiry))) = values.iter().find(|(c, _)| *c == "card_expiry")
    else {
        return Ok(());
    };
    if parse_expiry(expiry).is_none() {
        return Err(ApiError::field("expiry", "must be MM/YY, e.g. \"09/29\""));
    }
    if has_expired(expiry) {
        return Err(ApiError::field(
            "expiry",
            "is in the past: the card has expired",
        ));
    }
    Ok(())
}

/// The year and month an `MM/YY` expiry names; `None` unless it is exactly that shape
/// (digits only: `parse` alone would take `+1` for a month).
fn parse_expiry(expiry: &str) -> Option<(i64, u32)> {
    let (month, year) = expiry.split_once('/')?;
    let two_digits = |text: &str| text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(month) || !two_digits(year) {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    let year: i64 = year.parse().ok()?;
    (1..=12).contains(&month).then_some((2000 + year, month))
}

/// True unless `expiry` names this month or a later one (a card is valid through the
/// month it names). Checkout asks again: the month may have ended since the card was
/// entered.
pub fn has_expired(expiry: &str) -> bool {
    let now = Utc::now();
    parse_expiry(expiry).is_none_or(|named| named < (now.year, now.month))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_rejects_a_changed_digit() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("5555555555554444"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111111111111112"));
    }

    #[test]
    fn brands_follow_the_prefixes() {
        assert_eq!(brand("4111111111111111"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "discover");
    }
}
