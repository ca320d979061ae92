//! Storage: one r2d2 pool over SQLite or PostgreSQL, embedded migrations, and the few
//! helpers every write needs (an immediate write transaction and a row lock).

mod conn;
pub mod replicas;
pub mod sql;
pub mod writer;

use std::path::Path;
use std::time::Duration;

use diesel::connection::{
    AnsiTransactionManager, CacheSize, Instrumentation, InstrumentationEvent, SimpleConnection,
    TransactionManager,
};
use diesel::prelude::*;
use diesel::result::DatabaseErrorKind;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use conn::{Backend, DbConn};
pub use sql::{Sql, Value, MAX_CACHED};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// WAL pages after which a commit checkpoints (SQLite's default is 1 000): about 16 MiB
/// of WAL at 4 KiB pages. Under a steady stream of writes a checkpoint every 1 000 pages
/// was a tenth of a write's CPU, copying the same hot pages (an index's leaves, the
/// version row) back every couple of hundred commits, with two `fsync`s each time.
const SQLITE_CHECKPOINT_PAGES: u32 = 4_000;

/// Any advisory-lock key will do as long as every Halyard instance uses the same one.
const MIGRATION_LOCK: i64 = 4_861_679_617;

#[diesel::declare_sql_function]
extern "SQL" {
    /// Unicode lower-casing for case-insensitive matching (the filter's `:`). SQLite's
    /// built-in `lower` folds ASCII only, so SQLite connections get this Rust version;
    /// PostgreSQL defines it in SQL over its own `lower`.
    fn casefold(
        text: diesel::sql_types::Nullable<diesel::sql_types::Text>,
    ) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// The connection pool shared by every worker.
pub type Pool = r2d2::Pool<Manager>;

/// A connection checked out of the pool.
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A PostgreSQL connection URL.
    Postgres(String),
    /// A SQLite file path.
    Sqlite(String),
}

impl Target {
    /// Reads `postgres://…`, `postgresql://…`, `sqlite://PATH` or a plain path.
    pub fn parse(url: &str) -> Target {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Target::Postgres(url.to_owned())
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            Target::Sqlite(path.to_owned())
        }
    }
}

/// Opens connections for the pool, picking the backend from the URL so that a failure
/// reports the driver's real message (the stock multi-backend manager hides it).
#[derive(Debug)]
pub struct Manager {
    target: Target,
    /// PostgreSQL `statement_timeout` in milliseconds (0: none).
    statement_timeout_ms: u64,
}

/// How long the pool and the database may keep a request waiting. Every bound is there
/// so that an outage or an exhausted pool gives the client a 503 it can retry, never a
/// request that hangs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections in the pool.
    pub size: u32,
    /// Longest wait for a free connection before the request gets 503.
    pub checkout_timeout: Duration,
    /// Longest a single PostgreSQL statement may run, lock waits included (0: no limit).
    /// A statement stuck behind a lock someone forgot would otherwise hold its
    /// connection, and then the whole pool, for ever.
    pub statement_timeout_ms: u64,
}

impl PoolSettings {
    /// The defaults: 8 connections, 2 s to get one, 10 s per statement.
    pub fn new(size: u32) -> Self {
        PoolSettings {
            size,
            checkout_timeout: Duration::from_secs(2),
            statement_timeout_ms: 10_000,
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        let mut conn = self.open()?;
        conn.set_instrumentation(Watch::default());
        Ok(conn)
    }

    /// Not called on checkout (`test_on_check_out(false)`): a lost connection is found
    /// by the error it gives ([`Watch`]) and dropped when it comes back, instead of a
    /// `SELECT 1` before every request.
    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection whose transaction manager is in an error state, or still inside a
    /// transaction (a commit or rollback failed when the server went away), would fail
    /// every later request it serves with a 500: drop it instead of returning it to the
    /// pool. So is one released while a panic unwinds, and one whose last statements
    /// said the server is gone. A connection past [`MAX_CACHED`] prepared statements
    /// empties its cache here, so the cache stays bounded whatever clients send.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        if std::thread::panicking() || conn.is_broken() {
            return true;
        }
        let lost = conn
            .instrumentation()
            .downcast_mut::<Watch>()
            .is_some_and(|watch| watch.lost);
        if !lost {
            trim_cache(conn);
        }
        lost
    }
}

/// Empties the statement cache of a connection past [`MAX_CACHED`] prepared statements.
fn trim_cache(conn: &mut DbConn) {
    let Some(watch) = conn.instrumentation().downcast_mut::<Watch>() else {
        return;
    };
    if watch.cached > MAX_CACHED {
        watch.cached = 0;
        conn.set_prepared_statement_cache_size(CacheSize::Disabled);
        conn.set_prepared_statement_cache_size(CacheSize::Unbounded);
    }
}

/// What a connection's own events tell the pool: whether an error said the server is
/// gone, and how many statements it keeps prepared (counted in the metrics too).
#[derive(Debug, Default)]
struct Watch {
    lost: bool,
    cached: usize,
}

impl Instrumentation for Watch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::CacheQuery { .. } => {
                self.cached += 1;
                crate::metrics::metrics().statement_prepared();
            }
            InstrumentationEvent::FinishQuery {
                error:
                    Some(diesel::result::Error::DatabaseError(
                        DatabaseErrorKind::ClosedConnection
                        | DatabaseErrorKind::UnableToSendCommand,
                        _,
                    )),
                ..
            } => self.lost = true,
            _ => {}
        }
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, diesel::r2d2::Error> {
        match &self.target {
            Target::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(diesel::r2d2::Error::ConnectionError)?;
                if self.statement_timeout_ms > 0 {
                    conn.batch_execute(&format!(
                        "SET statement_timeout = {}",
                        self.statement_timeout_ms
                    ))
                    .map_err(diesel::r2d2::Error::QueryError)?;
                }
                Ok(DbConn::Postgresql(conn))
            }
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Order matters: with WAL before the busy timeout, pools saw "database is
                // locked" at start (STACK-NOTES). Foreign keys are off per connection.
                // The committing writer copies the WAL back into the database once it
                // holds `SQLITE_CHECKPOINT_PAGES`: a page written many times between two
                // checkpoints is copied once (docs/benchmarks.md, "Writes").
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES};"
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                casefold_utils::register_impl(&mut conn, |text: Option<String>| {
                    text.map(|t| t.to_lowercase())
                })
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Opens one connection outside any pool, with the same settings as pooled ones (for
/// tools and tests that inspect the database).
pub fn connect(database_url: &str) -> Result<DbConn, diesel::r2d2::Error> {
    r2d2::ManageConnection::connect(&Manager {
        target: Target::parse(database_url),
        statement_timeout_ms: 0,
    })
}

/// Reads one integer (a count, a sum) from a query with no bound values.
pub fn scalar(conn: &mut DbConn, query: &str) -> QueryResult<i64> {
    Sql::new(query)
        .load::<IdRow>(conn)?
        .pop()
        .map(|row| row.id)
        .ok_or(diesel::result::Error::NotFound)
}

/// Reads one text column named `value` from a query with no bound values (table names,
/// for tools and tests that inspect the database).
pub fn texts(conn: &mut DbConn, query: &str) -> QueryResult<Vec<String>> {
    load_texts(conn, &Sql::new(query))
}

/// Runs a query that returns one integer column named `id` and gives every value.
pub(crate) fn load_ids(conn: &mut DbConn, sql: &Sql) -> QueryResult<Vec<i64>> {
    Ok(sql
        .load::<IdRow>(conn)?
        .into_iter()
        .map(|row| row.id)
        .collect())
}

/// Runs a query that returns one integer column named `id` (a count, a sum).
pub(crate) fn load_scalar(conn: &mut DbConn, sql: &Sql) -> QueryResult<i64> {
    sql.load::<IdRow>(conn)?
        .pop()
        .map(|row| row.id)
        .ok_or(diesel::result::Error::NotFound)
}

/// What opening the database found.
pub struct Opened {
    /// The pool.
    pub pool: Pool,
    /// True when this start created the schema (no migration had run before).
    pub created: bool,
}

/// Why the database could not be opened.
#[derive(Debug)]
pub struct OpenError(pub String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

/// Opens the pool and runs the pending migrations, with the default timeouts.
pub fn open(database_url: &str, pool_size: u32) -> Result<Opened, OpenError> {
    open_with(database_url, PoolSettings::new(pool_size))
}

/// Opens the pool with `settings` and runs the pending migrations.
pub fn open_with(database_url: &str, settings: PoolSettings) -> Result<Opened, OpenError> {
    open_prepared(database_url, settings, &migrate)
}

/// Like [`open_with`], preparing the tables with `prepare` (which says whether the
/// database was new) instead of the embedded migrations.
pub fn open_prepared(
    database_url: &str,
    settings: PoolSettings,
    prepare: &dyn Fn(&mut DbConn) -> Result<bool, OpenError>,
) -> Result<Opened, OpenError> {
    let target = Target::parse(database_url);
    if let Target::Sqlite(path) = &target {
        if let Some(dir) = Path::new(path).parent() {
            if !dir.as_os_str().is_empty() && !dir.exists() {
                return Err(OpenError(format!(
                    "cannot open SQLite database {path}: folder {} does not exist",
                    dir.display()
                )));
            }
        }
    }
    let manager = Manager {
        target: target.clone(),
        statement_timeout_ms: settings.statement_timeout_ms,
    };
    // Connect once by hand first: r2d2 would retry quietly until its timeout and then
    // report only "timed out", hiding a wrong password or an unknown host.
    // Without the statement timeout: a migration, or the wait for another instance's
    // migration lock, may rightly take longer than any request should.
    let unbounded = Manager {
        target: target.clone(),
        statement_timeout_ms: 0,
    };
    let mut first = r2d2::ManageConnection::connect(&unbounded)
        .map_err(|e| OpenError(format!("cannot connect to the database: {e}")))?;
    with_migration_lock(&mut first, |conn| {
        conn.batch_execute(&version_table(conn))
            .map_err(|e| OpenError(format!("cannot create the version table: {e}")))
    })?;
    let created = prepare(&mut first)?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(settings.size.max(1))
        .test_on_check_out(false)
        // r2d2 rejects a zero timeout; a millisecond is the shortest meaningful wait.
        .connection_timeout(settings.checkout_timeout.max(Duration::from_millis(1)))
        .event_handler(Box::new(crate::metrics::PoolEvents))
        .build(manager)
        .map_err(|e| OpenError(format!("cannot build the connection pool: {e}")))?;
    Ok(Opened { pool, created })
}

/// Runs pending migrations; on PostgreSQL under an advisory lock, because two instances
/// migrating one empty database at once collide in the catalog (STACK-NOTES).
/// Runs `f` holding the lock every instance takes to change the tables (PostgreSQL's
/// advisory lock; SQLite's single writer needs none beyond the write transaction).
pub(crate) fn with_migration_lock<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, OpenError>,
) -> Result<T, OpenError> {
    if !is_postgres(conn) {
        return f(conn);
    }
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .map_err(|e| OpenError(format!("cannot lock for migrations: {e}")))?;
    let result = f(conn);
    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    result
}

/// Runs a query that returns one text column named `value` and gives every value.
pub(crate) fn load_texts(conn: &mut DbConn, sql: &Sql) -> QueryResult<Vec<String>> {
    Ok(sql
        .load::<TextRow>(conn)?
        .into_iter()
        .map(|row| row.value)
        .collect())
}

fn migrate(conn: &mut DbConn) -> Result<bool, OpenError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| {
        OpenError(format!("database migration failed: {e}"))
    };
    match conn {
        DbConn::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| OpenError(format!("cannot lock for migrations: {e}")))?;
            let result = (|| {
                let created = c.applied_migrations()?.is_empty();
                c.run_pending_migrations(POSTGRES_MIGRATIONS)?;
                Ok(created)
            })();
            let _ = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            result.map_err(failed)
        }
        DbConn::Sqlite(c) => {
            let created = c.applied_migrations().map_err(failed)?.is_empty();
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(failed)?;
            Ok(created)
        }
    }
}

/// True on PostgreSQL, for the few statements whose SQL differs.
pub fn is_postgres(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Postgresql(_))
}

/// The representation version: the sum of a few rows, one of which every write
/// transaction moves, so a read can tell that nothing any representation shows has
/// changed since an ETag was computed without rendering it again (docs/benchmarks.md,
/// "Conditional reads"). SQLite, whose writes take turns, has one row; PostgreSQL has
/// [`VERSION_ROWS`], and a write moves the one of its connection's backend, so that
/// writers committing at once do not queue for one row's lock, each waiting for the
/// commit before it. Every way Halyard opens a database creates them, whatever made the
/// tables.
fn version_table(conn: &DbConn) -> String {
    let rows = if is_postgres(conn) { VERSION_ROWS } else { 1 };
    let values = (1..=rows)
        .map(|id| format!("({id}, 0)"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE TABLE IF NOT EXISTS halyard_version \
         (id INTEGER PRIMARY KEY, version BIGINT NOT NULL); \
         INSERT INTO halyard_version (id, version) VALUES {values} ON CONFLICT (id) DO NOTHING"
    )
}

/// How many rows hold the version on PostgreSQL (see [`version_table`]).
const VERSION_ROWS: u32 = 16;

/// The representation version now (see [`version_table`]).
pub(crate) fn version(conn: &mut DbConn) -> QueryResult<i64> {
    load_scalar(
        conn,
        &Sql::new("SELECT CAST(SUM(version) AS BIGINT) AS id FROM halyard_version"),
    )
}

/// Runs `f` in a write transaction and moves the representation version with it (a
/// request's write on SQLite goes through [`writer`] instead, which does the same for a
/// group of writes). On
/// SQLite it is `BEGIN IMMEDIATE`, which takes the write lock up front: a deferred
/// transaction that reads and then writes fails with SQLITE_BUSY when another writer got
/// in between, instead of waiting its turn.
pub fn write<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    // The version moves last, just before the commit: on PostgreSQL its row lock is held
    // for the commit only, and a writer holding it waits for nothing else.
    match f(conn).and_then(|value| commit_moving_version(conn).map(|()| value).map_err(E::from)) {
        Ok(value) => Ok(value),
        Err(error) => {
            // The request's own error is the one to report. A rollback that fails too
            // (the connection is gone) changed nothing either: nothing was committed, and
            // the pool drops the connection because its transaction manager is broken. A
            // failed PostgreSQL `COMMIT` has ended the transaction already.
            match <DbConn as Connection>::TransactionManager::rollback_transaction(conn) {
                Ok(()) | Err(diesel::result::Error::NotInTransaction) => {}
                Err(rollback) => log::warn!("rollback failed: {rollback}"),
            }
            Err(error)
        }
    }
}

/// The statement that moves the representation version on SQLite (see
/// [`version_table`]).
pub(crate) const MOVE_VERSION: &str =
    "UPDATE halyard_version SET version = version + 1 WHERE id = 1";

/// The statement that moves the representation version on PostgreSQL: the row of the
/// connection's backend, one of [`VERSION_ROWS`].
const MOVE_VERSION_POSTGRES: &str =
    "UPDATE halyard_version SET version = version + 1 WHERE id = 1 + pg_backend_pid() % 16";

/// Moves the version and commits. On PostgreSQL the two go in one message, a round trip
/// fewer: diesel reads libpq's transaction status after every statement, so its
/// transaction manager sees the transaction end.
fn commit_moving_version(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(c) => c.batch_execute(&format!("{MOVE_VERSION_POSTGRES}; COMMIT")),
        DbConn::Sqlite(_) => {
            Sql::new(MOVE_VERSION).execute(conn)?;
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)
        }
    }
}

/// `write` (an `INSERT`, `UPDATE` or `DELETE` ending in `RETURNING`) as a whole write in
/// one PostgreSQL statement: a data-modifying `WITH` named `written`, the version moving
/// in the same statement when `write` returned a row, then `answer`, which reads those
/// rows from `written`. Run outside a transaction it commits by itself: one round trip
/// instead of [`write`]'s `BEGIN`, statements and `COMMIT`. SQLite has no data-modifying
/// `WITH`; there every write goes through [`write`] or the writer.
pub fn moving_version(write: &Sql, answer: &Sql) -> Sql {
    let mut sql = Sql::new("WITH written AS (");
    sql.append(write).push(&format!(
        "), moved AS ({MOVE_VERSION_POSTGRES} AND EXISTS (SELECT 1 FROM written)) "
    ));
    sql.append(answer);
    sql
}

/// Runs a [`moving_version`] statement outside a transaction and loads its rows. None
/// is nothing written, and the caller then writes the ordinary way, which tells why:
/// no row qualified (a reference missing), or a row it referred to was deleted between
/// its check and its insert (a foreign-key violation; the statement was its own
/// transaction, so it left nothing). Any other failure is the answer, as it would be
/// the ordinary write's: a conflict with an existing row (the statement checked the
/// references first, as that write does), a statement timeout, a lost connection.
pub fn load_written<T>(conn: &mut DbConn, sql: &Sql) -> QueryResult<Vec<T>>
where
    T: QueryableByName<Backend> + 'static,
{
    match sql.load(conn) {
        Err(diesel::result::Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
            Ok(Vec::new())
        }
        rows => rows,
    }
}

/// A row of one integer column named `id`.
#[derive(QueryableByName)]
pub(crate) struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub(crate) id: i64,
}

/// Locks one row until the transaction ends and says whether it exists. On PostgreSQL
/// this is `FOR NO KEY UPDATE`, so racing writers to the same row (a book's royalties)
/// queue up across instances; on SQLite the immediate transaction already holds the only
/// write lock.
pub fn lock_row(conn: &mut DbConn, table: &str, id: i64) -> QueryResult<bool> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE id = "));
    sql.bind(id);
    if is_postgres(conn) {
        // Not `FOR UPDATE`: that also blocks the `FOR KEY SHARE` lock every foreign-key
        // insert takes on the rows it references, so a book's PATCH (locks the book, links
        // an author) and that author's PATCH (locks the author, links the book) deadlocked.
        sql.push(" FOR NO KEY UPDATE");
    }
    Ok(!load_ids(conn, &sql)?.is_empty())
}

/// Says, in one statement, whether each of `rows` (a table and an id) exists.
pub fn exist_each(conn: &mut DbConn, rows: &[(&str, i64)]) -> QueryResult<Vec<bool>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // One bit a row, so that the answer is one integer whatever the number of rows.
    let mut sql = Sql::new("SELECT CAST(0");
    for (bit, (table, id)) in rows.iter().enumerate() {
        sql.push(&format!(
            " + CASE WHEN EXISTS (SELECT 1 FROM {table} WHERE id = "
        ));
        sql.bind(*id);
        sql.push(&format!(") THEN {} ELSE 0 END", 1_i64 << bit));
    }
    sql.push(" AS BIGINT) AS id");
    let found = load_scalar(conn, &sql)?;
    Ok((0..rows.len()).map(|bit| found & (1 << bit) != 0).collect())
}

/// Says whether a row exists.
pub fn exists(conn: &mut DbConn, table: &str, id: i64) -> QueryResult<bool> {
    let mut sql = Sql::new(&format!("SELECT id FROM {table} WHERE id = "));
    sql.bind(id);
    Ok(!load_ids(conn, &sql)?.is_empty())
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// Returns the secret named `name`, creating it with `fresh` if no instance has yet. The
/// secret lives in the database so every instance agrees on it.
pub fn shared_secret(conn: &mut DbConn, name: &str, fresh: &str) -> QueryResult<String> {
    let mut insert = Sql::new("INSERT INTO server_keys (name, value) VALUES (");
    insert
        .bind(name)
        .push(", ")
        .bind(fresh)
        .push(") ON CONFLICT (name) DO NOTHING");
    insert.execute(conn)?;
    let mut select = Sql::new("SELECT value FROM server_keys WHERE name = ");
    select.bind(name);
    select
        .load::<TextRow>(conn)?
        .into_iter()
        .next()
        .map(|row| row.value)
        .ok_or(diesel::result::Error::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgresql_write_moves_one_of_the_version_rows() {
        assert!(MOVE_VERSION_POSTGRES.ends_with(&format!("% {VERSION_ROWS}")));
    }
}
