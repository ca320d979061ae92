//! A resource's representation, composed in one place: its row rendered as HAL (the
//! properties, `self`, the links its references and its owner give), then the links its
//! relationships add, then the ETag over the canonical body. Every read of an item goes
//! through [`item`] and every list through [`rows`]; each is one statement, the rows
//! with their item links (see `View::linked_json`).

use serde_json::{json, Map, Value};

use super::style::Site;
use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::ApiResult;
use crate::hal::{Item, Links};
use crate::model::{Entity, Kind, View};
use crate::store::{Assignment, Row};

/// A resource rendered for a list: its id and its HAL body.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// Its id.
    pub(crate) id: i64,
    /// Its body.
    pub(crate) body: Map<String, Value>,
}

/// A row as HAL: `id`, every property (money as a decimal string), `self`, and a link
/// for each reference and for the owner of a dependent resource.
pub(crate) fn body(entity: &Entity, links: &Links, row: &Row) -> Map<String, Value> {
    let (mut body, link_map) = properties_and_links(entity, links, row);
    body.insert("_links".into(), Value::Object(link_map));
    body
}

/// [`body`] before its links are put in: the properties, and the links of the row.
fn properties_and_links(
    entity: &Entity,
    links: &Links,
    row: &Row,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut body = Map::new();
    let mut link_map = Map::new();
    link_map.insert(
        "self".into(),
        links.link(&entity.path_of(row.id, row.parent_id)),
    );
    if let (Some(parent), Some(pid)) = (entity.parent, row.parent_id) {
        link_map.insert(parent.rel.into(), links.link(&parent.entity.item_path(pid)));
    }
    body.insert("id".into(), json!(row.id));
    for field in entity.fields {
        let raw = row.doc.get(field.name).cloned().unwrap_or(Value::Null);
        let value = match field.kind {
            Kind::Money => raw.as_i64().map_or(Value::Null, |cents| {
                Value::String(decimal::format(cents, 2))
            }),
            Kind::Decimal { scale, .. } => raw.as_i64().map_or(Value::Null, |scaled| {
                Value::String(decimal::format(scaled, scale))
            }),
            Kind::Ref { target, rel } => {
                if let Some(id) = raw.as_i64() {
                    link_map.insert(rel.into(), links.link(&target.item_path(id)));
                }
                raw
            }
            Kind::Text { .. }
            | Kind::Email { .. }
            | Kind::Int { .. }
            | Kind::Date
            | Kind::Timestamp
            | Kind::Choice(_)
            | Kind::Share { .. } => raw,
        };
        body.insert(field.name.into(), value);
    }
    (body, link_map)
}

/// The views whose item links a representation of `entity` shows, in the order
/// [`rendered`] meets them.
fn inline_views(site: Site, entity: &'static Entity) -> Vec<View> {
    site.model
        .views_from(entity)
        .filter(|view| view.from.inline)
        .collect()
}

/// `SELECT` of `entity` for [`rows`]: each row with the item links it shows.
pub(crate) fn select(conn: &DbConn, site: Site, entity: &'static Entity) -> Sql {
    let key = (std::ptr::from_ref(entity) as usize, db::is_postgres(conn));
    SELECTS.with_borrow_mut(|selects| {
        selects
            .entry(key)
            .or_insert_with(|| entity.select(conn, &inline_views(site, entity)))
            .clone()
    })
}

thread_local! {
    /// Each entity's [`select`] by backend, written once per thread: its text follows
    /// from the model alone, and writing it again was a twenty-fifth of a single read's
    /// CPU (docs/benchmarks.md). A model's entities live as long as the process, so an
    /// entity's address names it, and the entries are bounded by the model.
    static SELECTS: std::cell::RefCell<std::collections::HashMap<(usize, bool), Sql>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The resources a finished [`select`] of `entity` returns, with their relation links.
pub(crate) fn rows(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    sql: &Sql,
) -> ApiResult<Vec<Rendered>> {
    Ok(entity
        .load(conn, sql)?
        .into_iter()
        .map(|row| rendered(site, links, entity, row))
        .collect())
}

/// One resource by id, in full: properties, relation links and ETag, in one statement;
/// 404 when absent.
pub(crate) fn item(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    id: i64,
) -> ApiResult<Item> {
    let select = select(conn, site, entity);
    let row = entity.find_row_in(conn, select, id)?;
    Ok(item_of(site, links, entity, row))
}

/// A resource created from `values` in one statement on PostgreSQL
/// ([`Entity::insert_in_one`]), in full as [`item`] reads it; `None` when that wrote
/// nothing, for the ordinary write to decide.
pub(crate) fn created_in_one(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    values: &[Assignment],
) -> ApiResult<Option<Item>> {
    let row = entity.insert_in_one(conn, &inline_views(site, entity), values)?;
    Ok(row.map(|row| item_of(site, links, entity, row)))
}

fn item_of(site: Site, links: &Links, entity: &'static Entity, row: Row) -> Item {
    Item::new(
        links,
        Value::Object(rendered(site, links, entity, row).body),
    )
}

/// A row with its item links as HAL: [`body`], then every relation's links: per pair
/// the item-link array (titled, bounded) where the side inlines it, the sub-collection
/// and what its styles add; per one-to-many the children's collection.
fn rendered(site: Site, links: &Links, entity: &'static Entity, row: Row) -> Rendered {
    let (mut body, mut map) = properties_and_links(entity, links, &row);
    let mut linked = row.linked.into_iter();
    for view in site.model.views_from(entity) {
        let to = view.to.entity;
        if view.from.inline {
            let items = linked
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(|(to_id, label)| {
                    let path = to.item_path(to_id);
                    match &label {
                        Some(title) => links.titled(&path, title),
                        None => links.link(&path),
                    }
                })
                .collect();
            map.insert(to.path.into(), Value::Array(items));
        }
        map.insert(
            view.collection_rel(),
            links.link(&view.collection_path(row.id)),
        );
        for style in site.styles_of(view.pair) {
            style.links(links, view, row.id, &mut map);
        }
    }
    for children in site.model.children_of(entity) {
        map.insert(
            children.collection_rel(),
            links.link(&children.collection_path(row.id)),
        );
    }
    body.insert("_links".into(), Value::Object(map));
    Rendered { id: row.id, body }
}
