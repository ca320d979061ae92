//! What every request handler shares, built once by `app` and handed to the handlers as
//! a value: the pool, the page-token key, the served model and the settings.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use crate::db::Pool;
use crate::model::Model;
use crate::query::token::PageTokens;

/// Every path the server registered (in OpenAPI form) with its methods, HEAD and
/// OPTIONS left out: filled while the app configures itself, so a test can hold
/// `/openapi.json` against the routes that really exist.
pub type RouteTable = Arc<Mutex<BTreeMap<String, BTreeSet<&'static str>>>>;

/// What every request handler shares.
pub struct AppState {
    /// The database pool.
    pub(crate) pool: Pool,
    /// Signs and checks page tokens with the key kept in the database.
    pub(crate) tokens: PageTokens,
    /// The served model.
    pub(crate) model: &'static Model,
    /// The configured public base URL, if any.
    pub(crate) public_url: Option<Url>,
    /// Peers whose forwarding headers are believed (`--trusted-proxies`).
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    /// The path prefix the server answers under (`/api/v1`), or empty.
    pub(crate) prefix: String,
    /// Largest accepted request body.
    pub(crate) max_body: usize,
    /// Time a client has to send its request head, and idle keep-alive time.
    pub(crate) client_timeout: Duration,
    /// Longest a request waits for a database connection, counted from when its
    /// database work was asked for (`--pool-timeout-ms`).
    pub(crate) checkout_timeout: Duration,
    /// The connection and thread every SQLite write goes through (`db::writer`); none
    /// on PostgreSQL, where each write runs on a pooled connection.
    pub(crate) writer: Option<crate::db::writer::Writer>,
    /// Read replicas (PostgreSQL with `--replica-url` only).
    pub(crate) replicas: Option<crate::db::replicas::Replicas>,
    /// True when point reads may run on the worker itself (SQLite, see
    /// `Ctx::db_point_read`).
    pub(crate) inline_point_reads: bool,
    /// How the request log is written.
    pub(crate) log_format: crate::config::LogFormat,
    /// True when `GET /metrics` is served beside the API (no `--metrics-bind`).
    pub(crate) metrics_beside_api: bool,
    /// How long requests in flight may finish after SIGTERM.
    pub(crate) shutdown_timeout: Duration,
    /// The routes registered so far.
    pub(crate) routes: RouteTable,
    /// ETags remembered with the representation version, for 304s without rendering.
    pub(crate) tags: Arc<crate::hal::tags::Tags>,
}

impl AppState {
    /// The registered routes (see [`RouteTable`]); shared, so it can be read after the
    /// state has moved into the server.
    pub fn route_table(&self) -> RouteTable {
        self.routes.clone()
    }
}
