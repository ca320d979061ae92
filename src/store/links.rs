//! The SQL of a many-to-many pair: one link table, read and written from either side.
//! Racing writers for the same pair leave one row: the unique constraint decides, not
//! this process.

use crate::db::{self, DbConn, Sql};
use crate::error::{ApiError, ApiResult};
use crate::model::{View, MAX_ITEM_LINKS};

/// A related resource as an item link shows it: its id and its label.
pub(crate) type Linked = (i64, Option<String>);

impl View {
    /// `{to}.id IN (SELECT to_column FROM link WHERE from_column = $id)`: narrows a query
    /// over the `to` table to the resources related to `from_id`.
    pub(crate) fn narrowing(&self, from_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(
            "{}.id IN (SELECT {} FROM {} WHERE {} = ",
            self.to.entity.table, self.to.column, self.pair.table, self.from.column
        ));
        sql.bind(from_id).push(")");
        sql
    }

    /// An expression over a row of the `from` table: its related resources, at most
    /// [`MAX_ITEM_LINKS`], ordered by id, as a JSON array of `[id, label]`, so that a
    /// resource and its item links come back in one statement (a point read, a page).
    /// The bound is found inside the index, not after reading every link: a correlated
    /// subquery seeks the `MAX_ITEM_LINKS`-th related id (at most that many index
    /// entries) and the aggregate reads the (from, to) index up to it. Reading author 1
    /// of the million-relation sample, who has 100 000 books, so costs an index seek of
    /// a hundred entries, not 100 000 (docs/benchmarks.md). The cap is a constant, not
    /// input, so it is part of the text.
    pub(crate) fn linked_json(&self, postgres: bool) -> String {
        let to = self.to.entity;
        let label = to
            .label
            .map_or("NULL".to_owned(), |column| format!("t.{column}"));
        let pair = if postgres {
            format!("json_build_array(t.id, {label})")
        } else {
            format!("json_array(t.id, {label})")
        };
        // PostgreSQL aggregates no rows to NULL, SQLite to `[]`.
        let aggregate = if postgres {
            format!("COALESCE(json_agg({pair} ORDER BY t.id), '[]'::json)")
        } else {
            format!("json_group_array({pair} ORDER BY t.id)")
        };
        format!(
            "(SELECT {aggregate} FROM {link} l JOIN {table} t ON t.id = l.{to_column} \
             WHERE l.{from} = {owner}.id AND l.{to_column} <= COALESCE((SELECT x.{to_column} \
             FROM {link} x WHERE x.{from} = {owner}.id ORDER BY x.{to_column} LIMIT 1 \
             OFFSET {skip}), {max}))",
            owner = self.from.entity.table,
            from = self.from.column,
            link = self.pair.table,
            table = to.table,
            to_column = self.to.column,
            skip = MAX_ITEM_LINKS - 1,
            max = i64::MAX,
        )
    }

    /// Links `from_id` to `to_id`; true when the link is new.
    pub(crate) fn link(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        Ok(self.link_all(conn, from_id, &[to_id])? == 1)
    }

    /// Links `from_id` to `to_id` if both exist, checking and inserting in one statement;
    /// true when the link is new. False when it existed or an end is missing
    /// ([`View::ends_exist`] tells which).
    pub(crate) fn link_if_ends_exist(
        &self,
        conn: &mut DbConn,
        from_id: i64,
        to_id: i64,
    ) -> ApiResult<bool> {
        Ok(db::load_ids(conn, &self.link_if_ends_exist_sql(from_id, to_id))?.len() == 1)
    }

    /// [`View::link_if_ends_exist`] as a whole write on PostgreSQL, outside a
    /// transaction: the link and the version's move in one statement
    /// ([`db::moving_version`]). False when nothing was written (the pair linked
    /// already, an end missing): the caller then writes the ordinary way, which tells
    /// why.
    pub(crate) fn link_in_one(
        &self,
        conn: &mut DbConn,
        from_id: i64,
        to_id: i64,
    ) -> ApiResult<bool> {
        let sql = db::moving_version(
            &self.link_if_ends_exist_sql(from_id, to_id),
            &Sql::new("SELECT id FROM written"),
        );
        Ok(!db::load_written::<db::IdRow>(conn, &sql)?.is_empty())
    }

    fn link_if_ends_exist_sql(&self, from_id: i64, to_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(
            "INSERT INTO {} ({}, {}) SELECT ",
            self.pair.table, self.from.column, self.to.column
        ));
        sql.bind(from_id).push(", ").bind(to_id);
        sql.push(&format!(
            " WHERE EXISTS (SELECT 1 FROM {} WHERE id = ",
            self.from.entity.table
        ))
        .bind(from_id);
        sql.push(&format!(
            ") AND EXISTS (SELECT 1 FROM {} WHERE id = ",
            self.to.entity.table
        ))
        .bind(to_id);
        sql.push(&format!(
            ") ON CONFLICT ({}, {}) DO NOTHING RETURNING id",
            self.pair.left.column, self.pair.right.column
        ));
        sql
    }

    /// Links `from_id` to every id in `to_ids` in one statement and returns how many
    /// links are new; existing links are left as they are (id and properties kept).
    pub(crate) fn link_all(
        &self,
        conn: &mut DbConn,
        from_id: i64,
        to_ids: &[i64],
    ) -> ApiResult<usize> {
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
        Ok(db::load_ids(conn, &sql)?.len())
    }

    /// ` WHERE from_column = $from AND to_column = $to` over the link table.
    fn one_link(&self, statement: &str, from_id: i64, to_id: i64) -> Sql {
        let mut sql = Sql::new(&format!(
            "{statement} FROM {} WHERE {} = ",
            self.pair.table, self.from.column
        ));
        sql.bind(from_id)
            .push(&format!(" AND {} = ", self.to.column))
            .bind(to_id);
        sql
    }

    /// Unlinks; true when they were linked.
    pub(crate) fn unlink(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        Ok(self.one_link("DELETE", from_id, to_id).execute(conn)? > 0)
    }

    /// Whether the `from` and the `to` resource exist, read in one statement.
    pub(crate) fn ends_exist(
        &self,
        conn: &mut DbConn,
        from_id: i64,
        to_id: i64,
    ) -> ApiResult<(bool, bool)> {
        let found = db::exist_each(
            conn,
            &[
                (self.from.entity.table, from_id),
                (self.to.entity.table, to_id),
            ],
        )?;
        Ok((found[0], found[1]))
    }

    /// True when the two are linked.
    pub(crate) fn is_linked(&self, conn: &mut DbConn, from_id: i64, to_id: i64) -> ApiResult<bool> {
        let sql = self.one_link("SELECT id", from_id, to_id);
        Ok(!db::load_ids(conn, &sql)?.is_empty())
    }

    /// Fails with 422 naming `field` unless every id exists on the `to` side.
    pub(crate) fn check_exist(&self, conn: &mut DbConn, field: &str, ids: &[i64]) -> ApiResult<()> {
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
        let found = db::load_ids(conn, &sql)?;
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

    /// Links `from_id` to every listed id that exists (422 naming `field` otherwise),
    /// keeping the links it has.
    pub(crate) fn add(
        &self,
        conn: &mut DbConn,
        field: &str,
        from_id: i64,
        to_ids: &[i64],
    ) -> ApiResult<()> {
        let ids = self.distinct_existing(conn, field, to_ids)?;
        self.link_all(conn, from_id, &ids)?;
        Ok(())
    }

    /// `to_ids` without repeats, sorted, once every one is known to exist (422 naming
    /// `field` otherwise).
    fn distinct_existing(
        &self,
        conn: &mut DbConn,
        field: &str,
        to_ids: &[i64],
    ) -> ApiResult<Vec<i64>> {
        let mut ids = to_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        self.check_exist(conn, field, &ids)?;
        Ok(ids)
    }

    /// Makes `from_id` related to exactly `to_ids` in one transaction (the caller's):
    /// links that stay keep their row (id and properties), new ones start bare, missing
    /// ones are removed. An unknown id fails the whole call with 422.
    pub(crate) fn set(
        &self,
        conn: &mut DbConn,
        field: &str,
        from_id: i64,
        to_ids: &[i64],
    ) -> ApiResult<()> {
        let ids = self.distinct_existing(conn, field, to_ids)?;
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
