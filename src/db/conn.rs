//! The connection type: either backend behind one enum, so queries written once run on
//! both.

use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// The production backend.
    Postgresql(PgConnection),
    /// The embedded default.
    Sqlite(SqliteConnection),
}

/// The diesel backend of [`DbConn`].
pub type Backend = <DbConn as Connection>::Backend;
