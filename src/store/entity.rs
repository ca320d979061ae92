//! The SQL of a resource, generated from its [`Entity`] descriptor: rows are read as one
//! JSON document per row (`json_object` on SQLite, `json_build_object` on PostgreSQL), so
//! one descriptor serves any table without a hand-written row struct; every value is
//! bound, every name comes from the model.

use diesel::QueryableByName;
use serde_json::{Map, Value};

use super::links::Linked;
use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::{is_foreign_key_violation, ApiError, ApiResult};
use crate::model::{Entity, Field, Kind, View};
use crate::query::filter::{FieldType, FilterField};

/// A value ready for a column.
pub(crate) type Assignment = (&'static str, db::Value);

/// The values bound in order, comma-separated.
fn bound_list(values: &[Assignment]) -> Sql {
    let mut sql = Sql::new("");
    for (i, (_, value)) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value.clone());
    }
    sql
}

/// The key under which a dependent resource's owner id travels in the row document.
const PARENT_KEY: &str = "__parent";

#[derive(QueryableByName)]
struct DocRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    doc: String,
    /// The item links of each view the select named, a JSON array of
    /// [`View::linked_json`] arrays.
    #[diesel(sql_type = diesel::sql_types::Text)]
    links: String,
}

/// One row as the database gave it: the id, each field's stored value by property name
/// (money in cents, references as ids), and for a dependent resource its owner's id.
#[derive(Debug)]
pub(crate) struct Row {
    /// The id.
    pub(crate) id: i64,
    /// The owner's id, for a resource that lives under another one.
    pub(crate) parent_id: Option<i64>,
    /// The stored values by property name.
    pub(crate) doc: Map<String, Value>,
    /// The item links of each view the select named, in its order.
    pub(crate) linked: Vec<Vec<Linked>>,
}

impl Row {
    fn read(row: DocRow) -> ApiResult<Row> {
        let mut doc: Map<String, Value> = serde_json::from_str(&row.doc)
            .map_err(|e| ApiError::Internal(format!("row document: {e}")))?;
        let parent_id = doc.remove(PARENT_KEY).and_then(|v| v.as_i64());
        let linked = serde_json::from_str(&row.links)
            .map_err(|e| ApiError::Internal(format!("item links: {e}")))?;
        Ok(Row {
            id: row.id,
            parent_id,
            doc,
            linked,
        })
    }
}

impl Entity {
    /// The column, qualified by the table, or the expression as it is.
    fn column_sql(&self, column: &str) -> String {
        if column.starts_with('(') {
            column.to_owned()
        } else {
            format!("{}.{column}", self.table)
        }
    }

    /// The fields a `filter` may name: `id` and every property.
    pub(crate) fn filter_fields(&self) -> Vec<FilterField> {
        let mut fields = vec![FilterField {
            name: "id",
            column: "id",
            ty: FieldType::Int,
        }];
        fields.extend(self.fields.iter().map(|f| {
            let (column, ty) = match f.kind {
                Kind::Text { .. } | Kind::Email { .. } | Kind::Choice(_) => {
                    (f.column, FieldType::Text)
                }
                Kind::Int { .. } | Kind::Ref { .. } => (f.column, FieldType::Int),
                Kind::Date => (f.column, FieldType::Date),
                // UTC timestamps of one form compare as text in time order.
                Kind::Timestamp => (f.column, FieldType::Text),
                Kind::Decimal { scale, .. } => (f.column, FieldType::Decimal { scale }),
                Kind::Money => (f.column, FieldType::Decimal { scale: 2 }),
                Kind::Share { units, .. } => (units, FieldType::Decimal { scale: 4 }),
            };
            FilterField {
                name: f.name,
                column,
                ty,
            }
        }));
        fields
    }

    /// `SELECT id, <json doc> FROM table WHERE 1 = 1`, ready for more conditions; its
    /// rows also carry, in [`Row::linked`], the item links of each of `views` (relations
    /// from this entity), in the same statement.
    pub(crate) fn select(&self, conn: &DbConn, views: &[View]) -> Sql {
        self.select_from(conn, views, self.table)
    }

    /// [`Entity::select`] of the rows in `source` (a `WITH` query's name), read as if
    /// they were the table's.
    fn select_from(&self, conn: &DbConn, views: &[View], source: &str) -> Sql {
        let postgres = db::is_postgres(conn);
        let mut pairs = self
            .fields
            .iter()
            .map(|f| format!("'{}', {}", f.name, self.column_sql(f.column)))
            .collect::<Vec<_>>();
        if let Some(parent) = self.parent {
            pairs.push(format!("'{PARENT_KEY}', {}.{}", self.table, parent.column));
        }
        let pairs = pairs.join(", ");
        let doc = if postgres {
            format!("json_build_object({pairs})::text")
        } else {
            format!("json_object({pairs})")
        };
        // The arrays are joined as text: nothing parses them before serde does.
        let links = views
            .iter()
            .map(|view| {
                let linked = view.linked_json(postgres);
                if postgres {
                    format!("({linked})::text")
                } else {
                    linked
                }
            })
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let links = if links.is_empty() {
            "'[]'".to_owned()
        } else {
            format!("'[' || {links} || ']'")
        };
        let from = if source == self.table {
            source.to_owned()
        } else {
            format!("{source} AS {}", self.table)
        };
        Sql::new(&format!(
            "SELECT {t}.id AS id, {doc} AS doc, {links} AS links FROM {from} WHERE 1 = 1",
            t = self.table
        ))
    }

    /// Loads the rows a finished [`Entity::select`] query returns.
    pub(crate) fn load(&self, conn: &mut DbConn, sql: &Sql) -> ApiResult<Vec<Row>> {
        sql.load::<DocRow>(conn)?
            .into_iter()
            .map(Row::read)
            .collect()
    }

    /// One row by id, or 404.
    pub(crate) fn find_row(&self, conn: &mut DbConn, id: i64) -> ApiResult<Row> {
        let select = self.select(conn, &[]);
        self.find_row_in(conn, select, id)
    }

    /// The row with id `id` that an unfinished [`Entity::select`] returns, or 404.
    pub(crate) fn find_row_in(&self, conn: &mut DbConn, mut sql: Sql, id: i64) -> ApiResult<Row> {
        sql.push(&format!(" AND {}.id = ", self.table)).bind(id);
        self.load(conn, &sql)?
            .pop()
            .ok_or_else(|| self.not_found(id))
    }

    /// Inserts a resource from validated values and returns its id.
    pub(crate) fn insert(&self, conn: &mut DbConn, values: &[Assignment]) -> ApiResult<i64> {
        let mut sql = self.insert_head(values);
        if !values.is_empty() {
            sql.push("VALUES (").append(&bound_list(values)).push(")");
        }
        sql.push(" RETURNING id");
        db::load_ids(conn, &sql)?
            .pop()
            .ok_or_else(|| ApiError::Internal("insert returned no id".into()))
    }

    /// [`Entity::check_references`] and [`Entity::insert`] as a whole write on
    /// PostgreSQL, outside a transaction: the row is inserted only where every row it
    /// refers to exists, the version moves in the same statement
    /// ([`db::moving_version`]), and the row comes back as [`Entity::select`] with
    /// `views` reads it. `None` when nothing was written (a reference missing) or when
    /// the check is more than existence (a share under its ceiling), and the caller
    /// then writes the ordinary way, which tells why; a failure, such as a conflict
    /// with an existing row, is the answer ([`db::load_written`]).
    pub(crate) fn insert_in_one(
        &self,
        conn: &mut DbConn,
        views: &[View],
        values: &[Assignment],
    ) -> ApiResult<Option<Row>> {
        if self.ceiling_shares(values).next().is_some() {
            return Ok(None);
        }
        let mut insert = self.insert_head(values);
        if !values.is_empty() {
            insert.push("SELECT ").append(&bound_list(values));
        }
        for (i, (_, target, id)) in self.references(values).iter().enumerate() {
            insert
                .push(if i == 0 { " WHERE " } else { " AND " })
                .push(&format!(
                    "EXISTS (SELECT 1 FROM {} WHERE id = ",
                    target.table
                ))
                .bind(*id)
                .push(")");
        }
        insert.push(" RETURNING *");
        let sql = db::moving_version(&insert, &self.select_from(conn, views, "written"));
        db::load_written::<DocRow>(conn, &sql)?
            .into_iter()
            .next()
            .map(Row::read)
            .transpose()
    }

    /// `INSERT INTO table (columns) `, for the values to follow in order, or the
    /// insert of a row of defaults when there are none.
    fn insert_head(&self, values: &[Assignment]) -> Sql {
        if values.is_empty() {
            return Sql::new(&format!("INSERT INTO {} DEFAULT VALUES", self.table));
        }
        let columns = values.iter().map(|(c, _)| *c).collect::<Vec<_>>();
        Sql::new(&format!(
            "INSERT INTO {} ({}) ",
            self.table,
            columns.join(", ")
        ))
    }

    /// Updates the given columns of one row.
    pub(crate) fn update(
        &self,
        conn: &mut DbConn,
        id: i64,
        values: &[Assignment],
    ) -> ApiResult<()> {
        if values.is_empty() {
            return Ok(());
        }
        let mut sql = Sql::new(&format!("UPDATE {} SET ", self.table));
        for (i, (column, value)) in values.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(&format!("{column} = ")).bind(value.clone());
        }
        sql.push(" WHERE id = ").bind(id);
        sql.execute(conn)?;
        Ok(())
    }

    /// Deletes one row; false when there was none. A row that others still refer to
    /// without cascading (a user's orders) is a 409, decided by the foreign key so that
    /// a race cannot slip past it.
    pub(crate) fn delete(&self, conn: &mut DbConn, id: i64) -> ApiResult<bool> {
        let mut sql = Sql::new(&format!("DELETE FROM {} WHERE id = ", self.table));
        sql.bind(id);
        match sql.execute(conn) {
            Ok(count) => Ok(count > 0),
            Err(error) if is_foreign_key_violation(&error) => Err(ApiError::Conflict(format!(
                "{} {id} cannot be deleted: other resources (such as orders) still refer to it",
                self.name
            ))),
            Err(error) => Err(error.into()),
        }
    }

    /// Locks one row for a write and says whether it exists. The rows its shares'
    /// ceilings lock (a relation's book) are locked first, so every writer takes the
    /// book before the relation: a royalties write racing a book's PATCH or DELETE then
    /// waits its turn instead of deadlocking.
    pub(crate) fn lock(&self, conn: &mut DbConn, id: i64) -> ApiResult<bool> {
        for field in self.fields {
            if let Kind::Share {
                ceiling: Some((group_column, group_table)),
                ..
            } = field.kind
            {
                if let Ok(group) = self.column_of(conn, Some(id), group_column) {
                    db::lock_row(conn, group_table, group)?;
                }
            }
        }
        Ok(db::lock_row(conn, self.table, id)?)
    }

    /// Checks that every referenced resource exists (422 naming the field otherwise) and
    /// that shares stay under their ceiling (409). Runs inside the write transaction.
    pub(crate) fn check_references(
        &self,
        conn: &mut DbConn,
        values: &[Assignment],
        id: Option<i64>,
    ) -> ApiResult<()> {
        // Every reference given, checked in one statement; the first missing one in
        // field order is the one reported.
        let references = self.references(values);
        let rows: Vec<(&str, i64)> = references
            .iter()
            .map(|(_, target, id)| (target.table, *id))
            .collect();
        let found = db::exist_each(conn, &rows)?;
        if let Some(((field, target, ref_id), _)) =
            references.iter().zip(found).find(|(_, exists)| !exists)
        {
            return Err(ApiError::missing(
                field.name,
                format!("there is no {} with id {ref_id}", target.name),
            ));
        }
        for (field, units, new_units, (group_column, group_table)) in self.ceiling_shares(values) {
            let group = match values.iter().find(|(c, _)| *c == group_column) {
                Some((_, db::Value::Int(group))) => *group,
                _ => self.column_of(conn, id, group_column)?,
            };
            db::lock_row(conn, group_table, group)?;
            let mut sql = Sql::new(&format!(
                "SELECT CAST(COALESCE(SUM({units}), 0) AS BIGINT) AS id FROM {} WHERE {group_column} = ",
                self.table
            ));
            sql.bind(group);
            if let Some(id) = id {
                sql.push(" AND id <> ").bind(id);
            }
            let others = db::load_scalar(conn, &sql)?;
            if others + new_units > 10_000 {
                return Err(ApiError::Conflict(format!(
                    "{} would add up to {} for {group_column} {group}, above the ceiling of 1",
                    field.name,
                    decimal::format(others + new_units, 4)
                )));
            }
        }
        Ok(())
    }

    /// The references `values` give, in field order: the field, what it refers to, the id.
    fn references(&self, values: &[Assignment]) -> Vec<(&Field, &'static Entity, i64)> {
        self.fields
            .iter()
            .filter_map(|field| {
                let Kind::Ref { target, .. } = field.kind else {
                    return None;
                };
                match values.iter().find(|(c, _)| *c == field.column) {
                    Some((_, db::Value::Int(ref_id))) => Some((field, target, *ref_id)),
                    _ => None,
                }
            })
            .collect()
    }

    /// The shares `values` set whose group has a ceiling: the field, its units column,
    /// the units given, and the group's column and table.
    fn ceiling_shares<'a>(
        &'a self,
        values: &'a [Assignment],
    ) -> impl Iterator<Item = (&'a Field, &'static str, i64, (&'static str, &'static str))> + 'a
    {
        self.fields.iter().filter_map(move |field| {
            let Kind::Share {
                units,
                ceiling: Some(ceiling),
            } = field.kind
            else {
                return None;
            };
            match values.iter().find(|(c, _)| *c == units) {
                Some((_, db::Value::Int(new_units))) => Some((field, units, *new_units, ceiling)),
                _ => None,
            }
        })
    }

    fn column_of(&self, conn: &mut DbConn, id: Option<i64>, column: &str) -> ApiResult<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT {column} AS id FROM {} WHERE id = ",
            self.table
        ));
        sql.bind(id.unwrap_or(-1));
        db::load_ids(conn, &sql)?
            .pop()
            .ok_or_else(|| self.not_found(id.unwrap_or(-1)))
    }
}
