//! `halyard load-sample`: fills an empty catalogue with a generated data set of a
//! requested size, for benchmarks and for trying pagination at a million rows.
//!
//! Rows go in through multi-row `INSERT … VALUES (…), (…)` statements of [`BATCH`] rows,
//! [`BATCHES_PER_TRANSACTION`] of them a transaction: one statement a row, or one
//! transaction a row, would spend the time in round trips and commits (on SQLite a commit
//! is an fsync) rather than in inserting. Ids are given explicitly so relations can name
//! their book and author without reading anything back; PostgreSQL's identity sequences
//! are then moved past them so that later creates do not collide.
//!
//! The layout is deterministic, so a benchmark can name rows it knows exist:
//! - books `1..=books` titled "Book N", authors `1..=authors` named "Author N";
//! - the first `hot` relations link author 1 to books `1..=hot` (one bulk DELETE by
//!   `author_id=1` then removes exactly `hot` rows);
//! - relation `hot + j` links book `j % books + 1` to author `2 + (j % books + j / books)
//!   % (authors - 1)`: every book gets its share, pairs never repeat (author 1 is not in
//!   this range), and ids grow with the relation number, so row N has id N.

use indicatif::{ProgressBar, ProgressStyle};

use crate::db::{self, DbConn, Sql, Value};

/// Rows in one multi-row INSERT. With three bound values a row this stays far below
/// SQLite's limit of 32 766 bound variables and PostgreSQL's 65 535.
pub const BATCH: u64 = 1000;

/// Multi-row INSERTs in one transaction: large enough that commits cost nothing, small
/// enough that the progress bar moves and PostgreSQL's transaction stays modest.
pub const BATCHES_PER_TRANSACTION: u64 = 50;

/// The size of a generated catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSize {
    /// Books.
    pub books: u64,
    /// Authors.
    pub authors: u64,
    /// Book–author relations, `hot` included.
    pub relations: u64,
    /// Relations of author 1 (to books `1..=hot`), listed first.
    pub hot: u64,
}

impl SampleSize {
    /// Checks that the relations fit: every pair may occur once.
    pub fn check(&self) -> Result<(), String> {
        if self.hot > self.relations {
            return Err(format!(
                "--hot-relations ({}) is more than --relations ({})",
                self.hot, self.relations
            ));
        }
        if self.hot > self.books {
            return Err(format!(
                "--hot-relations ({}) needs as many books (there are {})",
                self.hot, self.books
            ));
        }
        let rest = self.relations - self.hot;
        let room = self.books.saturating_mul(self.authors.saturating_sub(1));
        if rest > room {
            return Err(format!(
                "{} relations do not fit: {} books and {} authors (author 1 is kept for the \
                 hot relations) make only {room} other distinct pairs",
                self.relations, self.books, self.authors
            ));
        }
        Ok(())
    }

    /// The (book, author) of relation number `n` (0-based); its id is `n + 1`.
    pub fn relation(&self, n: u64) -> (u64, u64) {
        if n < self.hot {
            return (n + 1, 1);
        }
        let j = n - self.hot;
        let book = j % self.books;
        let round = j / self.books;
        (book + 1, 2 + (book + round) % (self.authors - 1))
    }
}

/// Why loading failed.
#[derive(Debug)]
pub struct SampleError(pub String);

impl std::fmt::Display for SampleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SampleError {}

impl From<diesel::result::Error> for SampleError {
    fn from(error: diesel::result::Error) -> Self {
        SampleError(format!("database: {error}"))
    }
}

/// Loads a generated catalogue of `size` into the (migrated, empty) database behind
/// `conn`. `progress` draws a bar on the terminal; it is hidden when not a terminal.
pub fn load(conn: &mut DbConn, size: SampleSize, progress: bool) -> Result<(), SampleError> {
    size.check().map_err(SampleError)?;
    for table in ["books", "authors", "books_authors"] {
        if db::scalar(conn, &format!("SELECT COUNT(*) AS id FROM {table}"))? > 0 {
            return Err(SampleError(format!(
                "the table {table} is not empty: load a sample only into a new database \
                 (e.g. start with --demo-data never on a fresh file)"
            )));
        }
    }
    if !db::is_postgres(conn) {
        // This connection only loads and exits: a large page cache keeps the two indexes
        // of books_authors in memory instead of re-reading them for every batch, and a
        // loader that crashes leaves a new database one starts again anyway, so it need
        // not wait for the disk.
        Sql::new("PRAGMA cache_size = -262144").execute(conn)?;
        Sql::new("PRAGMA synchronous = OFF").execute(conn)?;
    }
    let total = size.books + size.authors + size.relations;
    let bar = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>13} [{bar:40}] {human_pos}/{human_len} rows, {per_sec}, {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message("books");
    insert_all(
        conn,
        &bar,
        size.books,
        "books (id, title, price_cents)",
        |n| {
            let id = n as i64 + 1;
            // Prices spread over 0.00–99.99 so filters on price have something to select.
            vec![
                Value::Int(id),
                Value::Text(format!("Book {id}")),
                Value::Int(id * 37 % 10_000),
            ]
        },
    )?;
    bar.set_message("authors");
    insert_all(conn, &bar, size.authors, "authors (id, name)", |n| {
        let id = n as i64 + 1;
        vec![Value::Int(id), Value::Text(format!("Author {id}"))]
    })?;
    bar.set_message("books-authors");
    insert_all(
        conn,
        &bar,
        size.relations,
        "books_authors (id, book_id, author_id)",
        |n| {
            let (book, author) = size.relation(n);
            vec![
                Value::Int(n as i64 + 1),
                Value::Int(book as i64),
                Value::Int(author as i64),
            ]
        },
    )?;
    if db::is_postgres(conn) {
        // Explicit ids do not advance an identity sequence; without this the next
        // POST /books would be given id 1 and fail on the primary key.
        for table in ["books", "authors", "books_authors"] {
            Sql::new(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ))
            .execute(conn)?;
        }
        // Fresh statistics, so the planner knows the tables are large from the start.
        Sql::new("ANALYZE books, authors, books_authors").execute(conn)?;
    } else {
        Sql::new("ANALYZE").execute(conn)?;
    }
    bar.finish_with_message("done");
    Ok(())
}

/// Inserts `count` rows into `target` (`table (columns)`), row `n` being `row(n)`, in
/// multi-row statements of [`BATCH`] rows and transactions of
/// [`BATCHES_PER_TRANSACTION`] statements.
fn insert_all(
    conn: &mut DbConn,
    bar: &ProgressBar,
    count: u64,
    target: &str,
    row: impl Fn(u64) -> Vec<Value>,
) -> Result<(), SampleError> {
    let per_transaction = BATCH * BATCHES_PER_TRANSACTION;
    let mut start = 0;
    while start < count {
        let end = (start + per_transaction).min(count);
        db::write(conn, |conn| -> Result<(), SampleError> {
            let mut from = start;
            while from < end {
                let to = (from + BATCH).min(end);
                let mut sql = Sql::new(&format!("INSERT INTO {target} VALUES "));
                for n in from..to {
                    sql.push(if n == from { "(" } else { ", (" });
                    for (i, value) in row(n).into_iter().enumerate() {
                        if i > 0 {
                            sql.push(", ");
                        }
                        sql.bind(value);
                    }
                    sql.push(")");
                }
                sql.execute(conn)?;
                bar.inc(to - from);
                from = to;
            }
            Ok(())
        })?;
        start = end;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_never_repeat_a_pair_and_hot_ones_belong_to_author_one() {
        let size = SampleSize {
            books: 7,
            authors: 4,
            relations: 7 * 3 + 5,
            hot: 5,
        };
        size.check().unwrap();
        let pairs: Vec<(u64, u64)> = (0..size.relations).map(|n| size.relation(n)).collect();
        let mut unique = pairs.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), pairs.len());
        assert!(pairs[..5].iter().all(|&(_, author)| author == 1));
        assert!(pairs[5..]
            .iter()
            .all(|&(book, author)| { (1..=7).contains(&book) && (2..=4).contains(&author) }));
    }

    #[test]
    fn more_relations_than_pairs_is_refused() {
        let size = SampleSize {
            books: 2,
            authors: 2,
            relations: 3,
            hot: 0,
        };
        assert!(size.check().is_err());
    }
}
