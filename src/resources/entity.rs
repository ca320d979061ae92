//! The generic resource: a static descriptor of a table and its fields, and the CRUD
//! every collection shares (list, read, create, replace, patch, delete), written once.
//!
//! Rows are read as one JSON document per row (`json_object` on SQLite,
//! `json_build_object` on PostgreSQL), so one descriptor serves any table without a
//! hand-written row struct per resource; every value is bound, every name is static.

use diesel::QueryableByName;
use serde_json::{json, Map, Value};

use crate::db::{self, DbConn, Sql};
use crate::decimal;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::hal::filter::{self, FieldType, FilterField};
use crate::hal::{reference, Item, Links};

/// What a field holds, how it is validated on input and rendered on output.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text of at most `max` characters.
    Text {
        /// Longest accepted value, in characters.
        max: usize,
    },
    /// An email address (`local@domain.tld`, at most 254 characters), kept as written
    /// and, lower-cased by Rust (Unicode-aware on both backends), in `key`, whose unique
    /// constraint makes addresses unique ignoring case.
    Email {
        /// Column holding the lower-cased address.
        key: &'static str,
    },
    /// An integer between `min` and `max`.
    Int {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// Money: an exact decimal string with two decimals, stored in cents.
    Money,
    /// A share between 0 and 1 with at most four decimals, stored as written (so "0.20"
    /// stays "0.20") and scaled by 10^4 in `units` for exact sums. `ceiling` names the
    /// column whose rows' shares may not add up to more than 1, and the table it refers to.
    Share {
        /// Column holding the share scaled by 10^4.
        units: &'static str,
        /// `(column, table)`: the shares of rows with the same value of `column` add up
        /// to at most 1; the row of `table` with that id is locked while checking.
        ceiling: Option<(&'static str, &'static str)>,
    },
    /// A reference to a resource of `target`, rendered as `{name}` (the id) and a link
    /// `rel`. Accepted in a body as `{name}`, its snake_case twin, or `rel`.
    Ref {
        /// The referenced collection.
        target: &'static Entity,
        /// The link relation and the body property that takes a hyperlink.
        rel: &'static str,
    },
}

/// Whether and how a field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Must be given on create and PUT.
    Required,
    /// May be omitted; omitted or null means the column's default.
    Optional,
    /// Required on create and never changed afterwards (400: delete and create instead).
    Immutable,
    /// Optional on create, where the database assigns it when absent; omitted on PUT it
    /// keeps its value.
    Assigned,
    /// Computed or kept by the server; ignored when sent (`column` may be an expression
    /// in parentheses).
    ReadOnly,
}

/// One property of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// The JSON property (camelCase).
    pub name: &'static str,
    /// The column.
    pub column: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// How it is written.
    pub access: Access,
}

/// A collection of resources backed by one table.
#[derive(Debug)]
pub struct Entity {
    /// Singular name for messages and forms: "book".
    pub name: &'static str,
    /// The collection's path segment and its relation name: "books".
    pub path: &'static str,
    /// The table.
    pub table: &'static str,
    /// The column whose value titles links to these resources, if any.
    pub label: Option<&'static str>,
    /// The properties, in rendering order (`id` comes first implicitly).
    pub fields: &'static [Field],
    /// For a resource that exists only under another one (a line item under its
    /// invoice): that resource, and the column that holds its id.
    pub parent: Option<Parent>,
    /// Who may change or delete a resource.
    pub auth: Auth,
}

/// The resource a dependent resource lives under.
#[derive(Debug, Clone, Copy)]
pub struct Parent {
    /// The owning collection.
    pub entity: &'static Entity,
    /// The column holding the owner's id.
    pub column: &'static str,
    /// The link relation from the dependent to its owner: "invoice".
    pub rel: &'static str,
}

/// Who may write a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Open,
    /// Only the resource itself (a user, with that user's bearer token) may change or
    /// delete it; reading and creating are open.
    SelfOnly,
}

/// The key under which a dependent resource's owner id travels in the row document.
const PARENT_KEY: &str = "__parent";

#[derive(QueryableByName)]
struct DocRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    doc: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// A value ready for a column.
type Assignment = (&'static str, db::Value);

impl Entity {
    /// The relation name of a collection of these resources in `_embedded`: the last
    /// segment of the path (`items` for `cart/items`).
    pub fn rel(&self) -> &'static str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// `books/3`: the canonical path of a top-level resource.
    pub fn item_path(&self, id: i64) -> String {
        format!("{}/{}", self.path, id)
    }

    /// The path of a resource, under its owner's for a dependent one:
    /// `invoices/1/lineitems/3`.
    pub fn path_of(&self, id: i64, parent_id: Option<i64>) -> String {
        match (self.parent, parent_id) {
            (Some(parent), Some(pid)) => {
                format!("{}/{}", parent.entity.item_path(pid), self.item_path(id))
            }
            _ => self.item_path(id),
        }
    }

    /// The column, qualified by the table, or the expression as it is.
    fn column_sql(&self, column: &str) -> String {
        if column.starts_with('(') {
            column.to_owned()
        } else {
            format!("{}.{column}", self.table)
        }
    }

    /// The fields a `filter` may name: `id` and every property.
    pub fn filter_fields(&self) -> Vec<FilterField> {
        let mut fields = vec![FilterField {
            name: "id",
            column: "id",
            ty: FieldType::Int,
        }];
        fields.extend(self.fields.iter().map(|f| match f.kind {
            Kind::Text { .. } | Kind::Email { .. } | Kind::Choice(_) => FilterField {
                name: f.name,
                column: f.column,
                ty: FieldType::Text,
            },
            Kind::Int { .. } => FilterField {
                name: f.name,
                column: f.column,
                ty: FieldType::Int,
            },
            Kind::Date => FilterField {
                name: f.name,
                column: f.column,
                ty: FieldType::Date,
            },
            Kind::Money => FilterField {
                name: f.name,
                column: f.column,
                ty: FieldType::Decimal { scale: 2 },
            },
            Kind::Share { units, .. } => FilterField {
                name: f.name,
                column: units,
                ty: FieldType::Decimal { scale: 4 },
            },
            Kind::Ref { .. } => FilterField {
                name: f.name,
                column: f.column,
                ty: FieldType::Int,
            },
        }));
        fields
    }

    /// `SELECT id, <json doc> FROM table WHERE 1 = 1`, ready for more conditions.
    pub fn select(&self, conn: &DbConn) -> Sql {
        let mut pairs = self
            .fields
            .iter()
            .map(|f| format!("'{}', {}", f.name, self.column_sql(f.column)))
            .collect::<Vec<_>>();
        if let Some(parent) = self.parent {
            pairs.push(format!("'{PARENT_KEY}', {}.{}", self.table, parent.column));
        }
        let pairs = pairs.join(", ");
        let doc = if db::is_postgres(conn) {
            format!("json_build_object({pairs})::text")
        } else {
            format!("json_object({pairs})")
        };
        Sql::new(&format!(
            "SELECT {t}.id AS id, {doc} AS doc FROM {t} WHERE 1 = 1",
            t = self.table
        ))
    }

    /// Loads the rows a finished `select` query returns, rendered without relation links.
    pub fn load(&self, conn: &mut DbConn, links: &Links, sql: &Sql) -> ApiResult<Vec<Rendered>> {
        sql.load::<DocRow>(conn)?
            .into_iter()
            .map(|row| {
                let doc: Map<String, Value> = serde_json::from_str(&row.doc)
                    .map_err(|e| ApiError::Internal(format!("row document: {e}")))?;
                Ok(Rendered {
                    id: row.id,
                    body: self.render(links, row.id, &doc),
                })
            })
            .collect()
    }

    fn render(&self, links: &Links, id: i64, doc: &Map<String, Value>) -> Map<String, Value> {
        let mut body = Map::new();
        let mut link_map = Map::new();
        let parent_id = doc.get(PARENT_KEY).and_then(Value::as_i64);
        link_map.insert("self".into(), links.link(&self.path_of(id, parent_id)));
        if let (Some(parent), Some(pid)) = (self.parent, parent_id) {
            link_map.insert(parent.rel.into(), links.link(&parent.entity.item_path(pid)));
        }
        body.insert("id".into(), json!(id));
        for field in self.fields {
            let raw = doc.get(field.name).cloned().unwrap_or(Value::Null);
            let value = match field.kind {
                Kind::Money => raw.as_i64().map_or(Value::Null, |cents| {
                    Value::String(decimal::format(cents, 2))
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
                | Kind::Choice(_)
                | Kind::Share { .. } => raw,
            };
            body.insert(field.name.into(), value);
        }
        body.insert("_links".into(), Value::Object(link_map));
        body
    }

    /// One resource by id, rendered with its relation links, or 404.
    pub fn find(&self, conn: &mut DbConn, links: &Links, id: i64) -> ApiResult<Item> {
        let mut sql = self.select(conn);
        sql.push(&format!(" AND {}.id = ", self.table)).bind(id);
        let mut rows = self.load(conn, links, &sql)?;
        crate::relations::attach_links(conn, links, self, &mut rows)?;
        rows.pop()
            .map(|row| Item::new(Value::Object(row.body)))
            .ok_or_else(|| self.not_found(id))
    }

    /// The 404 for an unknown id.
    pub fn not_found(&self, id: i64) -> ApiError {
        ApiError::NotFound(format!("there is no {} with id {id}", self.name))
    }

    /// Inserts a resource from a validated body and returns its id.
    pub fn insert(&self, conn: &mut DbConn, values: &[Assignment]) -> ApiResult<i64> {
        let mut sql = if values.is_empty() {
            Sql::new(&format!("INSERT INTO {} DEFAULT VALUES", self.table))
        } else {
            let columns = values.iter().map(|(c, _)| *c).collect::<Vec<_>>();
            let mut sql = Sql::new(&format!(
                "INSERT INTO {} ({}) VALUES (",
                self.table,
                columns.join(", ")
            ));
            for (i, (_, value)) in values.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(value.clone());
            }
            sql.push(")");
            sql
        };
        sql.push(" RETURNING id");
        sql.load::<IdRow>(conn)?
            .pop()
            .map(|row| row.id)
            .ok_or_else(|| ApiError::Internal("insert returned no id".into()))
    }

    /// Updates the given columns of one row.
    pub fn update(&self, conn: &mut DbConn, id: i64, values: &[Assignment]) -> ApiResult<()> {
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
    pub fn delete(&self, conn: &mut DbConn, id: i64) -> ApiResult<bool> {
        let mut sql = Sql::new(&format!("DELETE FROM {} WHERE id = ", self.table));
        sql.bind(id);
        match sql.execute(conn) {
            Ok(count) => Ok(count > 0),
            Err(error) if crate::error::is_foreign_key_violation(&error) => {
                Err(ApiError::Conflict(format!(
                    "{} {id} cannot be deleted: other resources (such as orders) still refer to it",
                    self.name
                )))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Validates a body against the fields and returns the column values to write.
    ///
    /// `current` is the resource as it is (for PATCH and PUT): immutable fields may be
    /// repeated but not changed. `replace` is true for create and PUT (every required
    /// field must be given; omitted optional ones return to their defaults). Read-only
    /// properties (`id`), `_links`, `_embedded` and `_templates` are ignored; any other
    /// unknown property is a 400. `skip` lists properties another layer handles.
    pub fn parse_body(
        &self,
        links: &Links,
        body: &Map<String, Value>,
        current: Option<&Map<String, Value>>,
        replace: bool,
        skip: &[&str],
    ) -> ApiResult<Vec<Assignment>> {
        let mut errors = Vec::new();
        let mut values = Vec::new();
        let mut seen = Vec::new();
        for (key, value) in body {
            if matches!(key.as_str(), "id" | "_links" | "_embedded" | "_templates")
                || skip.contains(&key.as_str())
            {
                continue;
            }
            let Some(field) = self.field_for_key(key) else {
                errors.push(FieldError::new(
                    key.clone(),
                    format!(
                        "unknown property; a {} has {}",
                        self.name,
                        self.writable_names().join(", ")
                    ),
                ));
                continue;
            };
            if seen.contains(&field.name) {
                errors.push(FieldError::new(
                    key.clone(),
                    "is given twice (in two spellings)",
                ));
                continue;
            }
            seen.push(field.name);
            if field.access == Access::ReadOnly {
                continue;
            }
            match self.parse_value(links, field, key, value) {
                Ok(parsed) => {
                    if field.access == Access::Immutable {
                        if let Some(current) = current {
                            if current.get(field.name) != Some(&parsed.1) {
                                errors.push(FieldError::new(
                                    key.clone(),
                                    "cannot change; delete this resource and create another instead",
                                ));
                            }
                            continue;
                        }
                    }
                    values.extend(parsed.0);
                }
                Err(message) => errors.push(FieldError::new(key.clone(), message)),
            }
        }
        if replace {
            for field in self.fields {
                if seen.contains(&field.name) {
                    continue;
                }
                match field.access {
                    Access::Required => {
                        errors.push(FieldError::new(field.name, "is required"));
                    }
                    Access::Immutable if current.is_none() => {
                        errors.push(FieldError::new(field.name, "is required"));
                    }
                    Access::Optional => values.extend(default_of(field)),
                    Access::Immutable | Access::Assigned | Access::ReadOnly => {}
                }
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(ApiError::fields(errors))
        }
    }

    /// The field a body property names: its JSON name, its column (snake_case) or, for
    /// a reference, its link relation.
    pub fn field_for_key(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| {
            f.name == key
                // A reference also takes its snake_case twin (`book_id`, its column) and its
                // link relation (`book`). Other columns are storage details, not properties:
                // `price_cents` must not be read as a price in whole units.
                || matches!(f.kind, Kind::Ref { rel, .. } if rel == key || f.column == key)
        })
    }

    fn writable_names(&self) -> Vec<&'static str> {
        self.fields
            .iter()
            .filter(|f| f.access != Access::ReadOnly)
            .map(|f| f.name)
            .collect()
    }

    /// Parses one property. Returns the column assignments and the value as it would
    /// render (to compare immutable fields with the current resource).
    fn parse_value(
        &self,
        links: &Links,
        field: &Field,
        key: &str,
        value: &Value,
    ) -> Result<(Vec<Assignment>, Value), String> {
        if value.is_null() {
            return match field.access {
                Access::Optional => Ok((default_of(field), Value::Null)),
                _ => Err("is required and cannot be null".into()),
            };
        }
        match field.kind {
            Kind::Text { max } => {
                let text = value.as_str().ok_or("must be a string")?;
                if text.trim().is_empty() {
                    return Err("must not be empty".into());
                }
                if text.chars().count() > max {
                    return Err(format!("must be at most {max} characters long"));
                }
                // PostgreSQL cannot store NUL in text (SQLite can): refuse it on both,
                // so the backends agree and it is a 400, not a failed INSERT.
                if text.contains('\0') {
                    return Err("must not contain the NUL character".into());
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Email { key } => {
                let text = value.as_str().ok_or("must be a string")?;
                if !is_email(text) {
                    return Err("must be an email address like name@example.org".into());
                }
                Ok((
                    vec![
                        (field.column, db::Value::Text(text.to_owned())),
                        (key, db::Value::Text(text.to_lowercase())),
                    ],
                    value.clone(),
                ))
            }
            Kind::Int { min, max } => {
                let number = value
                    .as_i64()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| format!("must be an integer from {min} to {max}"))?;
                Ok((vec![(field.column, db::Value::Int(number))], json!(number)))
            }
            Kind::Date => {
                let text = value.as_str().unwrap_or("");
                if !filter::is_date(text) {
                    return Err("must be a date like \"2026-11-22\"".into());
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Choice(choices) => {
                let text = value.as_str().unwrap_or("");
                if !choices.contains(&text) {
                    return Err(format!("must be one of {}", choices.join(", ")));
                }
                Ok((
                    vec![(field.column, db::Value::Text(text.to_owned()))],
                    value.clone(),
                ))
            }
            Kind::Money => {
                let text = decimal_text(value)?;
                let cents = decimal::parse(&text, 2)
                    .map_err(|e| format!("must be an amount like \"12.30\": {}", e.0))?;
                if cents < 0 {
                    return Err("must not be negative".into());
                }
                Ok((
                    vec![(field.column, db::Value::Int(cents))],
                    Value::String(decimal::format(cents, 2)),
                ))
            }
            Kind::Share { units, .. } => {
                let text = decimal_text(value)?;
                let scaled = decimal::parse(&text, 4).map_err(|e| {
                    format!("must be a decimal string between \"0\" and \"1\" with at most 4 decimals: {}", e.0)
                })?;
                if !(0..=10_000).contains(&scaled) {
                    return Err("must be between \"0\" and \"1\"".into());
                }
                Ok((
                    vec![
                        (field.column, db::Value::Text(text.clone())),
                        (units, db::Value::Int(scaled)),
                    ],
                    Value::String(text),
                ))
            }
            Kind::Ref { target, rel } => {
                let id = if key == rel {
                    reference::parse_reference(value, target.path, links.base())
                } else {
                    match value.as_i64() {
                        Some(id) if id >= 0 => Ok(id),
                        _ => reference::parse_reference(value, target.path, links.base()),
                    }
                }?;
                Ok((vec![(field.column, db::Value::Int(id))], json!(id)))
            }
        }
    }

    /// Locks one row for a write and says whether it exists. The rows its shares'
    /// ceilings lock (a relation's book) are locked first, so every writer takes the
    /// book before the relation: a royalties write racing a book's PATCH or DELETE then
    /// waits its turn instead of deadlocking.
    pub fn lock(&self, conn: &mut DbConn, id: i64) -> ApiResult<bool> {
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
    pub fn check_references(
        &self,
        conn: &mut DbConn,
        values: &[Assignment],
        id: Option<i64>,
    ) -> ApiResult<()> {
        for field in self.fields {
            let Kind::Ref { target, .. } = field.kind else {
                continue;
            };
            if let Some((_, db::Value::Int(ref_id))) =
                values.iter().find(|(c, _)| *c == field.column)
            {
                if !db::exists(conn, target.table, *ref_id)? {
                    return Err(ApiError::missing(
                        field.name,
                        format!("there is no {} with id {ref_id}", target.name),
                    ));
                }
            }
        }
        for field in self.fields {
            if let Kind::Share {
                units,
                ceiling: Some((group_column, group_table)),
            } = field.kind
            {
                let Some((_, db::Value::Int(new_units))) = values.iter().find(|(c, _)| *c == units)
                else {
                    continue;
                };
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
                let others = sql.load::<IdRow>(conn)?.pop().map_or(0, |r| r.id);
                if others + new_units > 10_000 {
                    return Err(ApiError::Conflict(format!(
                        "{} would add up to {} for {group_column} {group}, above the ceiling of 1",
                        field.name,
                        decimal::format(others + new_units, 4)
                    )));
                }
            }
        }
        Ok(())
    }

    fn column_of(&self, conn: &mut DbConn, id: Option<i64>, column: &str) -> ApiResult<i64> {
        let mut sql = Sql::new(&format!(
            "SELECT {column} AS id FROM {} WHERE id = ",
            self.table
        ));
        sql.bind(id.unwrap_or(-1));
        sql.load::<IdRow>(conn)?
            .pop()
            .map(|r| r.id)
            .ok_or_else(|| self.not_found(id.unwrap_or(-1)))
    }
}

fn default_of(field: &Field) -> Vec<Assignment> {
    match field.kind {
        Kind::Money => vec![(field.column, db::Value::Int(0))],
        Kind::Share { units, .. } => {
            vec![(field.column, db::Value::Null), (units, db::Value::Null)]
        }
        Kind::Text { .. }
        | Kind::Email { .. }
        | Kind::Int { .. }
        | Kind::Date
        | Kind::Choice(_)
        | Kind::Ref { .. } => vec![(field.column, db::Value::Null)],
    }
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Decimals arrive as strings ("12.30"); a JSON number is taken by its text.
fn decimal_text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        _ => Err("must be a decimal string like \"0.25\"".into()),
    }
}

/// A resource rendered for a list, before relation links are attached.
#[derive(Debug)]
pub struct Rendered {
    /// Its id.
    pub id: i64,
    /// Its body so far.
    pub body: Map<String, Value>,
}
