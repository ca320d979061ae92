//! The relationship machinery, written once and configured per pair.
//!
//! A [`Pair`] names a link table and its two [`Side`]s and says which established styles
//! expose it: sub-resources (§2b), link-array PATCH (§2a), a cross-resource with
//! properties (§2c), the query form (`/drivers?car_id=`) and Add/Remove custom methods
//! (§3). Everything else (links on items, routes, narrowing, forms) is derived from it.

pub mod children;
pub mod pairs;
pub mod routes;

use std::collections::BTreeMap;

use diesel::QueryableByName;
use serde_json::{Map, Value};

use crate::db::{DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::hal::Links;
use crate::resources::entity::{Entity, Rendered};

/// Item-link arrays stop here; clients follow the collection link for the rest.
pub const MAX_ITEM_LINKS: i64 = 100;

/// One side of a many-to-many pair.
#[derive(Debug)]
pub struct Side {
    /// The resources on this side.
    pub entity: &'static Entity,
    /// The link-table column holding their ids.
    pub column: &'static str,
    /// Whether these resources list the other side as an array of item links (a group
    /// never inlines its users: the list may be long).
    pub inline: bool,
}

/// Which styles expose a pair.
#[derive(Debug, Default)]
pub struct Styles {
    /// §2b: `PUT|DELETE|GET /{from}/{id}/{to}/{toId}`, `text/uri-list` PUT/POST on the
    /// sub-collection and create-and-link POST, on both sides.
    pub sub_resources: bool,
    /// §2a: `PATCH /{from}/{id}` with the other side's link array sets the relation.
    pub link_patch: bool,
    /// `GET /{to}?{from}_id={id}`: the query form of the sub-collection, both sides.
    pub query_form: bool,
    /// §3: `POST /{left}/{id}/{right}:add|:remove`, managed by the left side only.
    pub add_remove: bool,
    /// §2c: the link table as a resource of its own, with properties.
    pub cross: Option<&'static Entity>,
}

/// A many-to-many relationship stored in one link table.
#[derive(Debug)]
pub struct Pair {
    /// The link table; it has `UNIQUE (left.column, right.column)`.
    pub table: &'static str,
    /// The managing side (the one with `:add`/`:remove`).
    pub left: Side,
    /// The other side.
    pub right: Side,
    /// The styles that expose it.
    pub styles: Styles,
}

/// A pair seen from one side: `from`'s resources relate to `to`'s.
#[derive(Debug, Clone, Copy)]
pub struct View {
    /// The pair.
    pub pair: &'static Pair,
    /// The side the URL starts from.
    pub from: &'static Side,
    /// The related side.
    pub to: &'static Side,
}

impl Pair {
    /// Both views of the pair, left first.
    pub fn views(&'static self) -> [View; 2] {
        [
            View {
                pair: self,
                from: &self.left,
                to: &self.right,
            },
            View {
                pair: self,
                from: &self.right,
                to: &self.left,
            },
        ]
    }
}

/// Every view whose `from` side is `entity`.
pub fn views_from(entity: &Entity) -> impl Iterator<Item = View> + '_ {
    pairs::ALL
        .iter()
        .flat_map(|pair| pair.views())
        .filter(move |view| std::ptr::eq(view.from.entity, entity))
}

#[derive(QueryableByName)]
struct LinkRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    from_id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    to_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    label: Option<String>,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl View {
    /// The sub-collection path: `books/1/authors`.
    pub fn collection_path(&self, from_id: i64) -> String {
        format!(
            "{}/{}/{}",
            self.from.entity.path, from_id, self.to.entity.path
        )
    }

    /// The relation name of the sub-collection link: `collection/authors`.
    pub fn collection_rel(&self) -> String {
        format!("collection/{}", self.to.entity.path)
    }

    /// `{to}.id IN (SELECT to_column FROM link WHERE from_column = $id)`: narrows a query
    /// over the `to` table to the resources related to `from_id`.
    pub fn narrowing(&self, from_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(
            "{}.id IN (SELECT {} FROM {} WHERE {} = ",
            self.to.entity.table, self.to.column, self.pair.table, self.from.column
        ));
        sql.bind(from_id).push(")");
        sql
    }

    /// Adds the relation's links to rendered `from` resources: the item-link array
    /// (titled, at most [`MAX_ITEM_LINKS`] each, one query for the whole batch), the
    /// sub-collection and, where there is one, the cross-resource narrowed to the item.
    fn attach(&self, conn: &mut DbConn, links: &Links, rows: &mut [Rendered]) -> ApiResult<()> {
        let mut by_from: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        if self.from.inline && !rows.is_empty() {
            let to = self.to.entity;
            let label = to
                .label
                .map_or("NULL".to_owned(), |column| format!("t.{column}"));
            // Each resource's links are bounded inside the index, not after reading them:
            // for every id, a correlated subquery finds its MAX_ITEM_LINKS-th related id
            // (an index seek of at most that many entries) and the join reads the (from,
            // to) index up to it. This was a window function numbering every related row
            // of `from IN (...)` before keeping the first hundred, so reading author 1 of
            // the million-relation sample, who has 100 000 books, cost 66 ms of SQLite
            // alone; now 0.09 ms, and a page of 25 ordinary ones 0.28 ms instead of 0.59
            // (docs/benchmarks.md). `VALUES` columns are called `column1` on both
            // backends. The cap is a constant, not input, so it is part of the text.
            let mut sql = Sql::new(&format!(
                "SELECT l.{from} AS from_id, t.id AS to_id, {label} AS label FROM (VALUES ",
                from = self.from.column,
            ));
            for (i, row) in rows.iter().enumerate() {
                sql.push(if i > 0 { ", (" } else { "(" })
                    .bind(row.id)
                    .push(")");
            }
            sql.push(&format!(
                ") AS ids JOIN {link} l ON l.{from} = ids.column1 AND l.{to_column} <= \
                 COALESCE((SELECT x.{to_column} FROM {link} x WHERE x.{from} = ids.column1 \
                 ORDER BY x.{to_column} LIMIT 1 OFFSET {skip}), {max}) \
                 JOIN {table} t ON t.id = l.{to_column} ORDER BY from_id, to_id",
                from = self.from.column,
                link = self.pair.table,
                table = to.table,
                to_column = self.to.column,
                skip = MAX_ITEM_LINKS - 1,
                max = i64::MAX,
            ));
            for link in sql.load::<LinkRow>(conn)? {
                let path = to.item_path(link.to_id);
                by_from
                    .entry(link.from_id)
                    .or_default()
                    .push(match &link.label {
                        Some(title) => links.titled(&path, title),
                        None => links.link(&path),
                    });
            }
        }
        for row in rows.iter_mut() {
            let Some(Value::Object(map)) = row.body.get_mut("_links") else {
                continue;
            };
            if self.from.inline {
                let items = by_from.remove(&row.id).unwrap_or_default();
                map.insert(self.to.entity.path.into(), Value::Array(items));
            }
            map.insert(
                self.collection_rel(),
                links.link(&self.collection_path(row.id)),
            );
            if let Some(cross) = self.pair.styles.cross {
                let id = row.id.to_string();
                map.insert(
                    cross.path.into(),
                    serde_json::json!({
                        "href": links.href_query(cross.path, &[(self.from.column, &id)])
                    }),
                );
            }
        }
        Ok(())
    }

    /// Links `from_id` to `to_id`; true when the link is new. Racing calls for the same
    /// pair leave one row: the unique constraint decides, not this process.
    pub fn link(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        Ok(self.link_all(conn, from_id, &[to_id])? == 1)
    }

    /// Links `from_id` to every id in `to_ids` in one statement and returns how many
    /// links are new; existing links are left as they are (id and properties kept).
    pub fn link_all(&self, conn: &mut DbConn, from_id: i64, to_ids: &[i64]) -> ApiResult<usize> {
        if to_ids.is_empty() {
            return Ok(0);
        }
        let mut sql = Sql::new(&format!(
            "INSERT INTO {} ({}, {}) VALUES ",
            self.pair.table, self.from.column, self.to.column
        ));
        for (i, to_id) in to_ids.iter().enumerate() {
            sql.push(if i > 0 { ", (" } else { "(" })
                .bind(from_id)
                .push(", ")
                .bind(*to_id)
                .push(")");
        }
        sql.push(&format!(
            " ON CONFLICT ({}, {}) DO NOTHING RETURNING id",
            self.pair.left.column, self.pair.right.column
        ));
        Ok(sql.load::<IdRow>(conn)?.len())
    }

    /// Unlinks; true when they were linked.
    pub fn unlink(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        let mut sql = Sql::new(&format!(
            "DELETE FROM {} WHERE {} = ",
            self.pair.table, self.from.column
        ));
        sql.bind(from_id)
            .push(&format!(" AND {} = ", self.to.column))
            .bind(to_id);
        Ok(sql.execute(conn)? > 0)
    }

    /// True when the two are linked.
    pub fn is_linked(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        let mut sql = Sql::new(&format!(
            "SELECT id FROM {} WHERE {} = ",
            self.pair.table, self.from.column
        ));
        sql.bind(from_id)
            .push(&format!(" AND {} = ", self.to.column))
            .bind(to_id);
        Ok(!sql.load::<IdRow>(conn)?.is_empty())
    }

    /// Fails with 422 naming `field` unless every id exists on the `to` side.
    pub fn check_exist(&self, conn: &mut DbConn, field: &str, ids: &[i64]) -> ApiResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let to = self.to.entity;
        let mut sql = Sql::new(&format!("SELECT id FROM {} WHERE id IN (", to.table));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        let found: Vec<i64> = sql.load::<IdRow>(conn)?.into_iter().map(|r| r.id).collect();
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.contains(id))
            .map(|id| to.item_path(*id))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(ApiError::missing(
                field,
                format!("no such {}: /{}", to.name, missing.join(", /")),
            ))
        }
    }

    /// Makes `from_id` related to exactly `to_ids` in one transaction (the caller's):
    /// links that stay keep their row (id and properties), new ones start bare, missing
    /// ones are removed. An unknown id fails the whole call with 422.
    pub fn set(
        &self,
        conn: &mut DbConn,
        field: &str,
        from_id: i64,
        to_ids: &[i64],
    ) -> ApiResult<()> {
        let mut ids = to_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        self.check_exist(conn, field, &ids)?;
        let mut delete = Sql::new(&format!(
            "DELETE FROM {} WHERE {} = ",
            self.pair.table, self.from.column
        ));
        delete.bind(from_id);
        if !ids.is_empty() {
            delete.push(&format!(" AND {} NOT IN (", self.to.column));
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    delete.push(", ");
                }
                delete.bind(*id);
            }
            delete.push(")");
        }
        delete.execute(conn)?;
        self.link_all(conn, from_id, &ids)?;
        Ok(())
    }
}

/// Adds every relation's links to rendered resources of `entity`.
pub fn attach_links(
    conn: &mut DbConn,
    links: &Links,
    entity: &Entity,
    rows: &mut [Rendered],
) -> ApiResult<()> {
    for view in views_from(entity) {
        view.attach(conn, links, rows)?;
    }
    for children in children_of(entity) {
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

/// True when `entity` is a pair's cross-resource (it then takes bulk DELETE).
pub fn is_cross(entity: &Entity) -> bool {
    pairs::ALL.iter().any(|pair| {
        pair.styles
            .cross
            .is_some_and(|cross| std::ptr::eq(cross, entity))
    })
}

/// Every one-to-many relationship whose parent is `entity`.
pub fn children_of(entity: &Entity) -> impl Iterator<Item = &'static children::Children> + '_ {
    pairs::CHILDREN
        .iter()
        .copied()
        .filter(move |children| std::ptr::eq(children.parent, entity))
}

/// The link arrays a PATCH of `entity` may carry (§2a), with the view each one sets:
/// `("authors", view)` for a book.
pub fn patchable(entity: &Entity) -> Vec<(&'static str, View)> {
    views_from(entity)
        .filter(|view| view.pair.styles.link_patch)
        .map(|view| (view.to.entity.path, view))
        .collect()
}

/// Extracts the link arrays of a PATCH body (top level, or under `_links`) as ids.
/// Returns the view and the ids for each one present.
pub fn patch_links(
    entity: &Entity,
    links: &Links,
    body: &Map<String, Value>,
) -> ApiResult<Vec<(View, Vec<i64>)>> {
    let mut out = Vec::new();
    for (name, view) in patchable(entity) {
        let value = body.get(name).map(|v| (v, name.to_owned())).or_else(|| {
            body.get("_links")
                .and_then(|l| l.get(name))
                .map(|v| (v, format!("_links.{name}")))
        });
        let Some((value, field)) = value else {
            continue;
        };
        let entries: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![value],
            _ => {
                return Err(ApiError::field(
                    field,
                    "must be an array of links to the related resources",
                ))
            }
        };
        let mut ids = Vec::new();
        for (i, entry) in entries.into_iter().enumerate() {
            let target = match entry {
                Value::Object(link) => link.get("href").cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            let id =
                crate::hal::reference::parse_reference(&target, view.to.entity.path, links.base())
                    .map_err(|message| ApiError::field(format!("{field}[{i}]"), message))?;
            ids.push(id);
        }
        out.push((view, ids));
    }
    Ok(out)
}

/// The query-form narrowing parameters of `entity`'s collection: for `drivers`,
/// `car_id` (and `car`), each with the view that narrows by it.
pub fn query_forms(entity: &Entity) -> Vec<(String, View)> {
    pairs::ALL
        .iter()
        .flat_map(|pair| pair.views())
        .filter(|view| view.pair.styles.query_form && std::ptr::eq(view.to.entity, entity))
        .map(|view| (view.from.column.to_owned(), view))
        .collect()
}
