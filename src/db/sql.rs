//! A tiny SQL text builder whose values are always bound, never spliced.
//!
//! Placeholders are written `$1, $2, ...` in order of appearance: PostgreSQL reads them
//! natively and SQLite treats `$N` as a named parameter numbered by first appearance, so
//! the same text runs on both backends as long as numbering follows the text order,
//! which `bind` guarantees.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Nullable, Text};

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

/// SQL text plus the values bound to its placeholders.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    binds: Vec<Value>,
}

impl Sql {
    /// Starts a statement with trusted text (table and column names from descriptors).
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_owned(),
            binds: Vec::new(),
        }
    }

    /// A statement whose trusted text already numbers its placeholders `$1…$n`, in
    /// order, for `binds`.
    pub fn with_binds(text: &str, binds: Vec<Value>) -> Self {
        Sql {
            text: text.to_owned(),
            binds,
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

    /// Appends another statement fragment, renumbering its placeholders.
    pub fn append(&mut self, other: &Sql) -> &mut Self {
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

    /// Builds the diesel query, ready to `load` or `execute` on a [`DbConn`].
    pub fn query(&self) -> BoxedSqlQuery<'static, Backend, SqlQuery> {
        let mut query = diesel::sql_query(self.text.clone()).into_boxed::<Backend>();
        for value in &self.binds {
            query = match value.clone() {
                Value::Int(v) => query.bind::<BigInt, _>(v),
                Value::Text(v) => query.bind::<Text, _>(v),
                Value::Null => query.bind::<Nullable<Text>, _>(None::<String>),
            };
        }
        query
    }

    /// Runs the statement and returns the number of affected rows.
    pub fn execute(&self, conn: &mut DbConn) -> diesel::QueryResult<usize> {
        use diesel::RunQueryDsl;
        self.query().execute(conn)
    }

    /// Runs the statement and loads its rows.
    pub fn load<T>(&self, conn: &mut DbConn) -> diesel::QueryResult<Vec<T>>
    where
        T: diesel::QueryableByName<Backend> + 'static,
    {
        use diesel::RunQueryDsl;
        self.query().load(conn)
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
