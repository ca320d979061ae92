//! A resource's representation, composed in one place: its row rendered as HAL (the
//! properties, `self`, the links its references and its owner give), then the links its
//! relationships add, then the ETag over the canonical body. Every read of an item goes
//! through [`item`] and every list through [`rows`]; each calls the store once per kind
//! of data (the rows, then one query per relation for the whole batch).

use serde_json::{json, Map, Value};

use super::style::Site;
use crate::db::{DbConn, Sql};
use crate::decimal;
use crate::error::ApiResult;
use crate::hal::{Item, Links};
use crate::model::{Entity, Kind};
use crate::store::Row;

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
    body.insert("_links".into(), Value::Object(link_map));
    body
}

/// The resources a finished `select` of `entity` returns, with their relation links.
pub(crate) fn rows(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    sql: &Sql,
) -> ApiResult<Vec<Rendered>> {
    let mut rendered: Vec<Rendered> = entity
        .load(conn, sql)?
        .iter()
        .map(|row| Rendered {
            id: row.id,
            body: body(entity, links, row),
        })
        .collect();
    attach_links(conn, site, links, entity, &mut rendered)?;
    Ok(rendered)
}

/// One resource by id, in full: properties, relation links and ETag; 404 when absent.
pub(crate) fn item(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    id: i64,
) -> ApiResult<Item> {
    let row = entity.find_row(conn, id)?;
    let mut rendered = [Rendered {
        id,
        body: body(entity, links, &row),
    }];
    attach_links(conn, site, links, entity, &mut rendered)?;
    let [item] = rendered;
    Ok(Item::new(links, Value::Object(item.body)))
}

/// Adds every relation's links to rendered resources of `entity`: per pair the
/// item-link array (titled, bounded, one query for the batch) where the side inlines
/// it, the sub-collection and what its styles add; per one-to-many the children's
/// collection.
fn attach_links(
    conn: &mut DbConn,
    site: Site,
    links: &Links,
    entity: &'static Entity,
    rows: &mut [Rendered],
) -> ApiResult<()> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    for view in site.model.views_from(entity) {
        let mut linked = if view.from.inline {
            view.linked(conn, &ids)?
        } else {
            Default::default()
        };
        let to = view.to.entity;
        for row in rows.iter_mut() {
            let Some(Value::Object(map)) = row.body.get_mut("_links") else {
                continue;
            };
            if view.from.inline {
                let items = linked
                    .remove(&row.id)
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
                style.links(links, view, row.id, map);
            }
        }
    }
    for children in site.model.children_of(entity) {
        for row in rows.iter_mut() {
            if let Some(Value::Object(map)) = row.body.get_mut("_links") {
                map.insert(
                    children.collection_rel(),
                    links.link(&children.collection_path(row.id)),
                );
            }
        }
    }
    Ok(())
}
