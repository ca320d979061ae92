//! The integration suite: every test talks HTTP to a real server over a real database,
//! on SQLite and (with `HALYARD_TEST_POSTGRES_URL`) PostgreSQL.

// `on_both_backends!` glob-imports each test file into every module it generates, used or
// not. `allow`, not `expect`: the macro lives in common.rs, which is being reworked
// elsewhere, and an `expect` would break the build the day it stops doing that.
#![allow(
    unused_imports,
    reason = "on_both_backends! imports its caller's items"
)]

mod common;

mod accounts;
mod billing;
mod catalogue;
mod fleet;
