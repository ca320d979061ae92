//! The demo data set: the examples of the API contract, loaded into a new database.

use crate::db::{self, DbConn, Sql};

/// Loads the demo catalogue: books "Title 1" and "Title 2"; authors "Name 1" to
/// "Name 3"; book 1 by authors 1 and 2, book 2 by author 2.
pub fn load(conn: &mut DbConn) -> diesel::QueryResult<()> {
    db::write(conn, |conn| {
        for (title, cents) in [("Title 1", 1250), ("Title 2", 899)] {
            let mut sql = Sql::new("INSERT INTO books (title, price_cents) VALUES (");
            sql.bind(title).push(", ").bind(cents as i64).push(")");
            sql.execute(conn)?;
        }
        for name in ["Name 1", "Name 2", "Name 3"] {
            let mut sql = Sql::new("INSERT INTO authors (name) VALUES (");
            sql.bind(name).push(")");
            sql.execute(conn)?;
        }
        for (book, author) in [(1, 1), (1, 2), (2, 2)] {
            let mut sql = Sql::new("INSERT INTO books_authors (book_id, author_id) VALUES (");
            sql.bind(book as i64)
                .push(", ")
                .bind(author as i64)
                .push(")");
            sql.execute(conn)?;
        }
        Ok(())
    })
}
