//! The cart's singleton parts, each read, replaced (PUT) and patched on its own:
//! `/cart/shipping`, `/cart/billing` (addresses) and `/cart/payment` (a card, of which
//! only the brand and the last four digits are ever kept). Which behaviour a part gets
//! follows from its [`PartKind`].

use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use super::context::Shop;
use super::{card, owner};
use crate::db::{self, DbConn};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::{Item, Links};
use crate::http::{Body, Ctx};
use crate::model::{Entity, Part, PartKind};
use crate::rest::{self, forms};
use crate::store::Assignment;

/// Renders a part of the cart: its fields (null until set), `self` and `cart` links.
/// Billing falls back to the shipping address, and says so with `sameAsShipping`.
fn render(
    conn: &mut DbConn,
    shop: Shop,
    links: &Links,
    part: &'static Part,
    cart_id: i64,
) -> ApiResult<Item> {
    let entity = part.entity;
    let mut body = rest::render::body(entity, links, &entity.find_row(conn, cart_id)?);
    if part.kind == PartKind::Billing {
        let unset = entity.fields.iter().all(|f| body[f.name].is_null());
        if unset {
            let shipping = render(conn, shop, links, shop.part(PartKind::Shipping)?, cart_id)?;
            for field in entity.fields {
                body.insert(field.name.into(), shipping.body()[field.name].clone());
            }
        }
        body.insert("sameAsShipping".into(), json!(unset));
    }
    body.remove("id");
    body.insert(
        "_links".into(),
        json!({ "self": links.link(entity.path), "cart": links.link(shop.cart.path) }),
    );
    Ok(Item::new(links, Value::Object(body)))
}

pub(crate) async fn read(ctx: Ctx, shop: Shop, part: &'static Part) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let links = ctx.links.clone();
    let item = owner::read_cart(&ctx, None, move |conn, owner| {
        render(conn, shop, &links, part, owner.cart_id)
    })
    .await?;
    Ok(ctx.respond_item(StatusCode::OK, forms(&ctx, part, item)))
}

/// For HAL-FORMS clients: `default` replaces the part (PUT, every field), `update`
/// patches it. The payment form asks for the `cardNumber` it takes on input only.
fn forms(ctx: &Ctx, part: &'static Part, mut item: Item) -> Item {
    if !ctx.forms {
        return item;
    }
    let entity = part.entity;
    let mut properties = forms::properties(&ctx.links, entity, true, None);
    if part.kind == PartKind::Card {
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
    item.body_mut()["_templates"] = forms::part(&ctx.links, entity, properties);
    item
}

/// PUT replaces the part (every field required); PATCH merges into the part as GET
/// shows it. For the payment, a `cardNumber` is checked (Luhn) and reduced to brand and
/// last four digits. For billing, `sameAsShipping: true` makes it follow the shipping
/// address again.
pub(crate) async fn write(
    ctx: Ctx,
    shop: Shop,
    part: &'static Part,
    body: Body,
    replace: bool,
) -> ApiResult<HttpResponse> {
    ctx.query(&[])?;
    let method = if replace { Method::PUT } else { Method::PATCH };
    let mut map = body.json_object(&method)?;
    let mut card = None;
    let mut named_last4 = None;
    if part.kind == PartKind::Card {
        card = card::take_number(&mut map)?;
        named_last4 = map.get("last4").cloned();
    }
    let follow_shipping = if part.kind == PartKind::Billing {
        same_as_shipping(&map)?
    } else {
        false
    };
    for read_only in ["sameAsShipping", "brand", "last4"] {
        map.remove(read_only);
    }
    let if_match = ctx.if_match();
    let links = ctx.links.clone();
    let item = owner::write_cart(&ctx, move |conn, owner| {
        let current = render(conn, shop, &links, part, owner.cart_id)?;
        current.check_if_match(if_match.as_deref())?;
        let Value::Object(current_map) = current.body() else {
            return Err(ApiError::Internal("part is not an object".into()));
        };
        let values = if follow_shipping {
            let shipping = render(
                conn,
                shop,
                &links,
                shop.part(PartKind::Shipping)?,
                owner.cart_id,
            )?;
            unset_billing(part.entity, &map, shipping.body())?
        } else {
            let mut values =
                part.entity
                    .parse_body(&links, &map, Some(current_map), replace, &[])?;
            if part.kind == PartKind::Billing && current_map["sameAsShipping"] == true {
                // The address shown was the shipping address: a patch changes that
                // address, so the rest of it becomes billing's own too.
                keep_shown(part.entity, &mut values, current_map);
            }
            if part.kind == PartKind::Card {
                card::check_expiry(&values)?;
                match card {
                    Some(card) => values.extend(card),
                    None if replace => keep_card(named_last4.as_ref(), current_map)?,
                    None => {}
                }
            }
            values
        };
        part.entity.update(conn, owner.cart_id, &values)?;
        owner::touch(conn, owner.cart_id)?;
        render(conn, shop, &links, part, owner.cart_id)
    })
    .await?;
    Ok(ctx.respond_item(StatusCode::OK, forms(&ctx, part, item)))
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
    billing: &'static Entity,
    map: &Map<String, Value>,
    shipping: &Value,
) -> ApiResult<Vec<Assignment>> {
    let mut errors = Vec::new();
    for (key, value) in map {
        if matches!(key.as_str(), "id" | "_links" | "_embedded" | "_templates") {
            continue;
        }
        match billing.fields.iter().find(|f| f.name == key) {
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
    Ok(billing
        .fields
        .iter()
        .map(|f| (f.column, db::Value::Null))
        .collect())
}

/// Adds the shown value of every address field a patch left alone.
fn keep_shown(billing: &'static Entity, values: &mut Vec<Assignment>, shown: &Map<String, Value>) {
    for field in billing.fields {
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
