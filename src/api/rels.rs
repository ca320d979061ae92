//! `/rels/{name}`: what each relation Halyard defines means and which methods its
//! target takes, derived from the same descriptors as the links themselves (and, for
//! the styles of a pair, from the styles).

use actix_web::HttpResponse;

use crate::error::{ApiError, ApiResult};
use crate::html;
use crate::http::Ctx;
use crate::model::{Entity, Kind, SingletonBehaviour, MAX_ITEM_LINKS};
use crate::rest::style::{add_rel, Rels};
use crate::rest::{narrowing, Site};

/// The relations of the root's own links.
const API_RELATIONS: &[(&str, &str, &str)] = &[
    (
        "curies",
        "HAL's compact URIs: the `doc` curie, templated as `/rels/{rel}`, names the page of each relation Halyard defines (relation names stay unprefixed).",
        "GET",
    ),
    (
        "live",
        "The liveness probe: 200 while the process serves, whatever the database does.",
        "GET",
    ),
    (
        "ready",
        "The readiness probe: 200 when the database answers, 503 with `Retry-After` otherwise.",
        "GET",
    ),
    (
        "health",
        "The readiness probe under its older name (the same as `ready`).",
        "GET",
    ),
    (
        "openapi",
        "The OpenAPI 3.1 document of every path (`?openapi=3.0` for tools that read only 3.0).",
        "GET",
    ),
];

/// The relations of the cart, its parts and orders, which are not [`Entity`]
/// collections.
const SHOP_RELATIONS: &[(&str, &str, &str)] = &[
    ("cart", "The authenticated user's cart (needs a bearer token); from a part of the cart, the cart it belongs to.", "GET"),
    ("orders", "The authenticated user's orders (needs a bearer token).", "GET"),
    ("owner", "The user who owns this cart or order.", "GET, PUT, PATCH, DELETE (with that user's token)"),
    ("items", "An array of links, titled by book, to the items in this cart; `?embed=items` embeds them.", "GET, PATCH, DELETE"),
    ("collection/items", "The paginated collection of this cart's items; POST adds a book.", "GET, POST"),
    ("shipping", "The cart's shipping address, a singleton.", "GET, PUT, PATCH"),
    ("billing", "The cart's billing address, a singleton; the shipping address until set.", "GET, PUT, PATCH"),
    ("payment", "The cart's payment card (only brand and last four digits are kept), a singleton.", "GET, PUT, PATCH"),
    ("checkout", "Turns the cart into an order (201, Location of the order) and empties it.", "POST"),
];

/// Every relation the site defines.
fn relations(site: Site) -> Rels {
    let mut out = Rels::new();
    let model = site.model;
    let cart = model
        .singleton
        .filter(|s| s.behaviour == SingletonBehaviour::Cart);
    let fixed = API_RELATIONS
        .iter()
        .chain(cart.map_or(&[][..], |_| SHOP_RELATIONS));
    for (rel, meaning, methods) in fixed {
        add_rel(&mut out, (*rel).to_owned(), (*meaning).to_owned(), methods);
    }
    if let Some(one) = model
        .singleton
        .filter(|s| s.behaviour == SingletonBehaviour::Plain)
    {
        let (owner, items) = (one.owner.name, one.items);
        let singleton_rels = [
            (one.path.to_owned(), format!("The authenticated {owner}'s {} (needs a bearer token); from one of its parts, the {} it belongs to.", one.path, one.path), "GET"),
            ("owner".to_owned(), format!("The {owner} who owns this {}.", one.path), "GET, PUT, PATCH, DELETE"),
            (items.rel().to_owned(), format!("An array of links to the items of this {}.", one.path), "GET, PATCH, DELETE"),
            (format!("collection/{}", items.rel()), format!("The paginated collection of this {}'s items; POST adds one.", one.path), "GET, POST"),
        ];
        for (rel, meaning, methods) in singleton_rels {
            add_rel(&mut out, rel, meaning, methods);
        }
        for part in one.parts {
            add_rel(
                &mut out,
                part.entity.rel().to_owned(),
                format!("The {}'s {}, a singleton part.", one.path, part.entity.name),
                "GET, PUT, PATCH",
            );
        }
    }
    for pair in model.pairs {
        for view in pair.views() {
            let (from, to) = (view.from.entity, view.to.entity);
            if view.from.inline {
                add_rel(
                    &mut out,
                    to.path.to_owned(),
                    format!(
                        "An array of links, titled, to the {} of this {} (at most {}; follow collection/{} for all; `?embed={}` embeds them).",
                        to.path, from.name, MAX_ITEM_LINKS, to.path, to.path
                    ),
                    "GET, PUT, PATCH, DELETE",
                );
            }
            let methods = site
                .styles_of(pair)
                .find_map(|style| style.sub_collection_methods(view))
                .unwrap_or("GET");
            add_rel(
                &mut out,
                view.collection_rel(),
                format!(
                    "The paginated, filterable collection of the {} related to this {}.",
                    to.path, from.name
                ),
                methods,
            );
        }
        for view in pair.views() {
            for style in site.styles_of(pair) {
                style.rels(view, &mut out);
            }
        }
    }
    for children in model.children {
        add_rel(
            &mut out,
            children.collection_rel(),
            format!(
                "The paginated collection of this {}'s {}.",
                children.parent.name, children.child.path
            ),
            "GET, POST",
        );
    }
    let mut entities: Vec<&'static Entity> = model.collections.to_vec();
    entities.extend(model.children.iter().map(|c| c.child));
    entities.extend(model.singleton.map(|cart| cart.items));
    for entity in entities {
        for field in entity.fields {
            if let Kind::Ref { target, rel } = field.kind {
                add_rel(
                    &mut out,
                    rel.to_owned(),
                    format!("The {} this {} refers to.", target.name, entity.name),
                    "GET, PUT, PATCH, DELETE",
                );
            }
        }
        if let Some(parent) = entity.parent {
            add_rel(
                &mut out,
                parent.rel.to_owned(),
                format!(
                    "The {} this {} belongs to.",
                    parent.entity.name, entity.name
                ),
                "GET, PUT, PATCH, DELETE",
            );
        }
    }
    for entity in model.collections.iter().copied() {
        let cross = model.is_cross(entity);
        add_rel(
            &mut out,
            entity.path.to_owned(),
            format!("The collection of {} (paginated, filterable).", entity.path),
            if cross {
                "GET, POST, DELETE (bulk, narrowed)"
            } else {
                "GET, POST"
            },
        );
        if !cross {
            add_rel(
                &mut out,
                entity.name.to_owned(),
                format!(
                    "From the root: a templated link to one {} by id.",
                    entity.name
                ),
                "GET, PUT, PATCH, DELETE",
            );
        }
        if narrowing::names(site, entity, None)
            .iter()
            .any(|n| n.ends_with("_id"))
        {
            add_rel(
                &mut out,
                format!("{}-search", entity.path),
                format!(
                    "A templated link to the {} narrowed by the related ids it names.",
                    entity.path
                ),
                "GET",
            );
        }
    }
    out
}

pub(crate) async fn rel_page(ctx: Ctx, site: Site) -> ApiResult<HttpResponse> {
    let name = ctx.req.match_info().get("name").unwrap_or("").to_owned();
    let (meanings, methods) = relations(site)
        .remove(&name)
        .ok_or_else(|| ApiError::NotFound(format!("Halyard defines no relation {name:?}")))?;
    Ok(html::rel_page(&ctx.req, &name, &meanings, &methods))
}
