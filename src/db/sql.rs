//! A tiny SQL text builder whose values are always bound, never spliced.
//!
//! Placeholders are written `$1, $2, ...` in order of appearance: PostgreSQL reads them
//! natively and SQLite treats `$N` as a named parameter numbered by first appearance, so
//! the same text runs on both backends as long as numbering follows the text order,
//! which `bind` guarantees.
//!
//! Statements are kept prepared per connection, keyed by their text (diesel's statement
//! cache): a descriptor's statements have one text each, so the cache holds a bounded
//! set. A statement whose text a client shaped (a filter) is marked [`Sql::one_off`] and
//! prepared afresh each time; `db::Watch` empties a connection's cache past
//! [`MAX_CACHED`] statements all the same.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Nullable, Text, Untyped};
use diesel::QueryResult;

use super::conn::{Backend, DbConn};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An integer (ids, money in cents, scaled decimals, counts).
    Int(i64),
    /// Text.
    Text(String),
    /// SQL NULL.
    Null,
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The most statements a connection keeps prepared before its cache is emptied.
pub const MAX_CACHED: usize = 256;

/// SQL text plus the values bound to its placeholders.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Value>,
    /// True when a client shaped the text, so keeping it prepared would only fill the
    /// cache.
    one_off: bool,
}

impl Sql {
    /// Starts a statement with trusted text (table and column names from descriptors).
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            binds: Vec::new(),
            one_off: false,
        }
    }

    /// A statement whose trusted text already numbers its placeholders `$1…$n`, in
    /// order, for `binds`.
    pub fn with_binds(text: &str, binds: Vec<Value>) -> Self {
        Sql {
            text: text.to_owned(),
            binds,
            one_off: false,
        }
    }

    /// Appends trusted text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder and binds `value` to it; `NULL` is written as a literal.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        if value == Value::Null {
            // A bound NULL needs a type, and PostgreSQL refuses a text NULL in a BIGINT
            // column; the untyped literal takes the type of wherever it lands.
            self.text.push_str("NULL");
            return self;
        }
        self.binds.push(value);
        self.text.push('$');
        self.text.push_str(&self.binds.len().to_string());
        self
    }

    /// Marks a statement whose text a client shaped (a filter expression): it is not
    /// kept prepared, and neither is any statement it is appended to.
    pub fn one_off(mut self) -> Self {
        self.one_off = true;
        self
    }

    /// Appends another statement fragment, renumbering its placeholders.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
        self.one_off |= other.one_off;
        let mut rest = other.text.as_str();
        while let Some(at) = rest.find('$') {
            self.text.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let index: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
            match other.binds.get(index.wrapping_sub(1)) {
                Some(value) if digits > 0 => {
                    self.bind(value.clone());
                }
                _ => self.text.push_str(&rest[at..at + 1 + digits]),
            }
            rest = &rest[at + 1 + digits..];
        }
        self.text.push_str(rest);
        self
    }

    /// The SQL text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The bound values, in placeholder order.
    pub fn binds(&self) -> &[Value] {
        &self.binds
    }

    /// Runs the statement and returns the number of affected rows.
    pub fn execute(&self, conn: &mut DbConn) -> diesel::QueryResult<usize> {
        use diesel::RunQueryDsl;
        Statement(self).execute(conn)
    }

    /// Runs the statement and loads its rows.
    pub fn load<T>(&self, conn: &mut DbConn) -> diesel::QueryResult<Vec<T>>
    where
        T: diesel::QueryableByName<Backend> + 'static,
    {
        use diesel::RunQueryDsl;
        Statement(self).load(conn)
    }
}

/// An [`Sql`] as diesel runs it. Unlike `sql_query`, which diesel never keeps prepared,
/// it walks its text so that each `$N` becomes a bind parameter of the backend's own
/// syntax, and it lets the statement cache keep it unless it is [`Sql::one_off`].
struct Statement<'a>(&'a Sql);

/// A bound NULL (a value [`Sql::with_binds`] was given; `bind` writes NULL as a literal).
static NULL_TEXT: Option<String> = None;

impl QueryId for Statement<'_> {
    type QueryId = ();
    // No type identifies the statement: the cache keys it by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement<'_> {
    type SqlType = Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Statement<'_> {}

impl QueryFragment<Backend> for Statement<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Backend>) -> QueryResult<()> {
        if self.0.one_off {
            out.unsafe_to_cache_prepared();
        }
        let mut rest = self.0.text.as_str();
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let index: usize = rest[at + 1..at + 1 + digits].parse().unwrap_or(0);
            let Some(value) = self.0.binds.get(index.wrapping_sub(1)) else {
                out.push_sql(&rest[..at + 1 + digits]);
                rest = &rest[at + 1 + digits..];
                continue;
            };
            out.push_sql(&rest[..at]);
            match value {
                Value::Int(v) => out.push_bind_param::<BigInt, i64>(v)?,
                Value::Text(v) => out.push_bind_param::<Text, String>(v)?,
                Value::Null => out.push_bind_param::<Nullable<Text>, Option<String>>(&NULL_TEXT)?,
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_text_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.bind(1).push(" AND b = ").bind("x");
        assert_eq!(sql.text(), "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(sql.binds(), &[Value::Int(1), Value::Text("x".into())]);
    }

    #[test]
    fn null_is_a_literal_so_it_fits_any_column_type() {
        let mut sql = Sql::new("INSERT INTO t (a, b, c) VALUES (");
        sql.bind(1)
            .push(", ")
            .bind(Value::Null)
            .push(", ")
            .bind("x")
            .push(")");
        assert_eq!(sql.text(), "INSERT INTO t (a, b, c) VALUES ($1, NULL, $2)");
        assert_eq!(sql.binds(), &[Value::Int(1), Value::Text("x".into())]);
    }

    #[test]
    fn appending_renumbers_the_other_fragment() {
        let mut inner = Sql::new("c = ");
        inner.bind(3).push(" OR d = ").bind(4);
        let mut sql = Sql::new("WHERE a = ");
        sql.bind(1).push(" AND (").append(&inner).push(")");
        assert_eq!(sql.text(), "WHERE a = $1 AND (c = $2 OR d = $3)");
        assert_eq!(sql.binds().len(), 3);
    }
}
