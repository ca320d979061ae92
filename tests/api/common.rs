//! Spawns the real application on a random port over a fresh database, and gives tests
//! an HTTP client and a way to look into the database.

use std::net::TcpListener;
use std::sync::mpsc;

use diesel::connection::SimpleConnection;

use halyard::app;
use halyard::config::Config;
use reqwest::{Method, Response};
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server over its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    pub database_url: String,
    /// The routes the server registered, filled as it configures itself.
    pub routes: halyard::state::RouteTable,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

/// The PostgreSQL server for the PostgreSQL run of the suite, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("HALYARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

fn unique_name() -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).expect("randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn with_database(admin_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("HALYARD_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.into()
}

fn admin_execute(admin_url: &str, statement: &str) {
    let mut conn = halyard::db::connect(admin_url).expect("connect to the PostgreSQL test server");
    diesel::connection::SimpleConnection::batch_execute(&mut conn, statement)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// The name of a database holding every migration and nothing else, made once per
/// set of migrations: copying it is much faster than migrating a new database per test.
fn migrated_template(admin_url: &str) -> String {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let name = format!("halyard_template_{:016x}", migrations_hash());
            let mut conn = halyard::db::connect(admin_url).expect("connect to PostgreSQL");
            let exists = halyard::db::scalar(
                &mut conn,
                &format!("SELECT COUNT(*) AS id FROM pg_database WHERE datname = '{name}'"),
            )
            .expect("look for the template database");
            if exists == 0 {
                // Built under a name of its own and renamed when complete, so a run that
                // stops halfway never leaves a half-migrated template behind.
                let building = format!("{name}_{}", unique_name());
                admin_execute(admin_url, &format!("CREATE DATABASE {building}"));
                let opened = halyard::db::open(&with_database(admin_url, &building), 1)
                    .expect("migrate the template database");
                drop(opened);
                admin_execute(
                    admin_url,
                    &format!("ALTER DATABASE {building} RENAME TO {name}"),
                );
            }
            name
        })
        .clone()
}

/// A hash of the PostgreSQL migrations, naming the template that holds them.
fn migrations_hash() -> u64 {
    use std::hash::{Hash, Hasher};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<_> = walk(&root);
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.to_string_lossy().hash(&mut hasher);
        std::fs::read(&file)
            .expect("read a migration")
            .hash(&mut hasher);
    }
    hasher.finish()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read the migrations folder")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Starts the app over a fresh database of `backend`. PostgreSQL needs
/// `HALYARD_TEST_POSTGRES_URL`; without it at build time, the PostgreSQL tests are
/// ignored (`build.rs`), so none gets here.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with a chance to adjust the configuration.
pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn(backend, true, adjust).await
}

/// Starts the app serving the schema file `schema` (a path under the crate) over a fresh,
/// empty database of `backend`: its tables come from the file.
pub async fn spawn_schema(backend: Backend, schema: &std::path::Path) -> TestApp {
    let schema = schema.to_owned();
    spawn(backend, false, move |config| config.schema = Some(schema)).await
}

/// Like [`spawn_schema`], with a chance to adjust the configuration.
pub async fn spawn_schema_with(
    backend: Backend,
    schema: &std::path::Path,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let schema = schema.to_owned();
    spawn(backend, false, move |config| {
        config.schema = Some(schema);
        adjust(config);
    })
    .await
}

/// A schema file's path from the crate's root (`schemas/recipes.toml`).
pub fn schema_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

impl TestApp {
    /// Starts another server over this app's database (a restart), serving `schema`;
    /// the start's error when it refuses. The returned app does not own the database.
    pub async fn restart_with(&self, schema: &std::path::Path) -> Result<TestApp, String> {
        let mut config = Config::for_database(&self.database_url);
        config.schema = Some(schema.to_owned());
        let state = tokio::task::spawn_blocking(move || app::prepare(&config))
            .await
            .expect("prepare")
            .map_err(|e| e.to_string())?;
        Ok(serve(
            state,
            self.backend,
            self.database_url.clone(),
            None,
            None,
        ))
    }
}

impl TestApp {
    /// Starts a second instance of the bookshop over this app's database, as a load
    /// balancer's second server; it does not own the database.
    pub async fn second_instance(&self) -> TestApp {
        let config = Config::for_database(&self.database_url);
        let state = tokio::task::spawn_blocking(move || app::prepare(&config))
            .await
            .expect("prepare")
            .expect("the second instance starts");
        serve(state, self.backend, self.database_url.clone(), None, None)
    }
}

/// Starts the app; `template` copies the migrated PostgreSQL template (the bookshop's
/// tables) instead of making an empty database.
async fn spawn(backend: Backend, template: bool, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (database_url, sqlite_dir, pg_drop) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let path = dir.path().join("halyard.db");
            (path.to_string_lossy().into_owned(), Some(dir), None)
        }
        Backend::Postgres => {
            let admin = postgres_admin_url().expect(
                "HALYARD_TEST_POSTGRES_URL names the PostgreSQL server (without it at build time, PostgreSQL tests are ignored)",
            );
            let name = format!("halyard_test_{}", unique_name());
            let admin_clone = admin.clone();
            let name_clone = name.clone();
            tokio::task::spawn_blocking(move || {
                let statement = if template {
                    let template = migrated_template(&admin_clone);
                    format!("CREATE DATABASE {name_clone} TEMPLATE {template}")
                } else {
                    format!("CREATE DATABASE {name_clone}")
                };
                admin_execute(&admin_clone, &statement);
            })
            .await
            .expect("create the test database");
            (with_database(&admin, &name), None, Some((admin, name)))
        }
    };
    let mut config = Config::for_database(&database_url);
    adjust(&mut config);
    let state = tokio::task::spawn_blocking(move || app::prepare(&config))
        .await
        .expect("prepare")
        .expect("the app starts");
    serve(state, backend, database_url, sqlite_dir, pg_drop)
}

/// A fresh, empty database of `backend` that no server has opened: its URL, and what
/// removes it when dropped.
pub struct EmptyDatabase {
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
}

pub fn empty_database(backend: Backend) -> EmptyDatabase {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary folder");
            EmptyDatabase {
                url: dir.path().join("empty.db").to_string_lossy().into_owned(),
                _sqlite_dir: Some(dir),
                pg_drop: None,
            }
        }
        Backend::Postgres => {
            let admin = postgres_admin_url().expect("HALYARD_TEST_POSTGRES_URL is set");
            let name = format!("halyard_empty_{}", unique_name());
            admin_execute(&admin, &format!("CREATE DATABASE {name}"));
            EmptyDatabase {
                url: with_database(&admin, &name),
                _sqlite_dir: None,
                pg_drop: Some((admin, name)),
            }
        }
    }
}

impl Drop for EmptyDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            admin_execute(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

/// Serves `state` on a random port.
fn serve(
    state: app::AppState,
    backend: Backend,
    database_url: String,
    sqlite_dir: Option<tempfile::TempDir>,
    pg_drop: Option<(String, String)>,
) -> TestApp {
    let routes = state.route_table();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
    let port = listener.local_addr().expect("local address").port();
    let server = app::start(listener, state, Some(2)).expect("server starts");
    tokio::spawn(server);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        backend,
        database_url,
        routes,
        _sqlite_dir: sqlite_dir,
        pg_drop,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg_drop.take() {
            // FORCE: the server's pooled connections are still open.
            let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = std::thread::spawn(move || admin_execute(&admin, &statement)).join();
        }
    }
}

/// Holds the write lock of `table` from another connection until the sender is dropped.
pub fn hold_lock(database_url: String, backend: Backend, table: &'static str) -> mpsc::Sender<()> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut conn = halyard::db::connect(&database_url).expect("connect");
        let lock = match backend {
            Backend::Postgres => format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;"),
            Backend::Sqlite => "BEGIN IMMEDIATE;".to_owned(),
        };
        conn.batch_execute(&lock).expect("lock");
        ready_tx.send(()).expect("ready");
        let _ = stop_rx.recv();
        let _ = conn.batch_execute("ROLLBACK");
    });
    ready_rx.recv().expect("the lock is held");
    stop_tx
}

/// A response read whole: status, headers and body.
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn read(response: Response) -> Reply {
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.expect("response body"),
        }
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// The media type without parameters.
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned()
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Asserts a problem+json answer with this status, and returns the problem.
    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> Value {
        self.assert_status(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.text
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(problem["type"].is_string() && problem["title"].is_string());
        assert!(problem["detail"].is_string());
        problem
    }
}

impl TestApp {
    /// The absolute URL of a path (`/books/1`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request with optional headers and body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        Reply::read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, &[], None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(
            Method::POST,
            path,
            &[],
            Some(("application/json", body.to_string())),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(
            Method::PUT,
            path,
            &[],
            Some(("application/json", body.to_string())),
        )
        .await
    }

    pub async fn put_empty(&self, path: &str) -> Reply {
        self.send(Method::PUT, path, &[], None).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.send(
            Method::PATCH,
            path,
            &[],
            Some(("application/json", body.to_string())),
        )
        .await
    }

    /// Sends a `text/uri-list` body.
    pub async fn uri_list(&self, method: Method, path: &str, uris: &[&str]) -> Reply {
        self.send(
            method,
            path,
            &[],
            Some(("text/uri-list", uris.join("\r\n"))),
        )
        .await
    }

    /// Creates a resource and returns its body (asserting 201).
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let reply = self.post(path, body).await;
        reply.assert_status(201);
        reply.json()
    }

    /// Rows in a table, read from the database directly.
    pub async fn count(&self, table: &str) -> i64 {
        self.scalar(&format!("SELECT COUNT(*) AS id FROM {table}"))
            .await
    }

    /// Links two resources through a sub-resource, `PUT {path}` with no body
    /// (`/books/1/authors/3`), asserting 201 (linked) or 200 (already linked).
    pub async fn link(&self, path: &str) {
        let reply = self.put_empty(path).await;
        assert!(
            reply.status == 201 || reply.status == 200,
            "linking {path}: {} {}",
            reply.status,
            reply.text
        );
    }

    /// Reads one integer from the database directly (a count, a sum).
    pub async fn scalar(&self, query: &str) -> i64 {
        let url = self.database_url.clone();
        let query = query.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn = halyard::db::connect(&url).expect("connect to the test database");
            halyard::db::scalar(&mut conn, &query).expect("query the test database")
        })
        .await
        .expect("database check")
    }
}

/// The `href`s of a link array or a single link (`_links.authors`).
pub fn hrefs(links: &Value) -> Vec<String> {
    match links {
        Value::Array(items) => items
            .iter()
            .map(|l| l["href"].as_str().expect("href").to_owned())
            .collect(),
        Value::Object(_) => vec![links["href"].as_str().expect("href").to_owned()],
        _ => Vec::new(),
    }
}

/// Declares tests that run once on SQLite and once on PostgreSQL. Each test is
/// `async fn name(app: TestApp)`. Without `HALYARD_TEST_POSTGRES_URL` at build time the
/// PostgreSQL variant is ignored (shown as such), never passed without running.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Sqlite)
                        .await;
                    super::$name(app).await;
                }

                #[cfg_attr(not(halyard_postgres_tests), ignore = "HALYARD_TEST_POSTGRES_URL is not set")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = $crate::common::spawn_app($crate::common::Backend::Postgres).await;
                    super::$name(app).await;
                }
            }
        )*
    };
}

/// Like [`on_both_backends!`], for tests that start their own servers: each test is
/// `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! on_both_backends_by_name {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await;
                }

                #[cfg_attr(not(halyard_postgres_tests), ignore = "HALYARD_TEST_POSTGRES_URL is not set")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// The property names of a HAL-FORMS template.
pub fn property_names(template: &Value) -> Vec<&str> {
    template["properties"]
        .as_array()
        .expect("template properties")
        .iter()
        .map(|p| p["name"].as_str().expect("property name"))
        .collect()
}

/// The items a collection page embeds under `rel`.
pub fn embedded(page: &Value, rel: &str) -> Vec<Value> {
    page["_embedded"][rel]
        .as_array()
        .unwrap_or_else(|| panic!("no _embedded.{rel} in {page}"))
        .clone()
}

/// The ids of the items a collection page embeds under `rel`.
pub fn embedded_ids(page: &Value, rel: &str) -> Vec<i64> {
    embedded(page, rel)
        .iter()
        .map(|item| item["id"].as_i64().expect("item id"))
        .collect()
}

/// A `filter` value ready for a query string.
pub fn encoded(filter: &str) -> String {
    url::form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

impl TestApp {
    /// Reads a collection page by page from `path`, following absolute `next` links
    /// (asserting 200 each time); returns each page's items under `rel`.
    pub async fn pages(&self, path: &str, rel: &str) -> Vec<Vec<Value>> {
        let mut out = Vec::new();
        let mut path = path.to_owned();
        loop {
            let reply = self.get(&path).await;
            reply.assert_status(200);
            let page = reply.json();
            out.push(embedded(&page, rel));
            let Some(next) = page["_links"]["next"]["href"].as_str() else {
                return out;
            };
            path = next
                .strip_prefix(&self.address)
                .unwrap_or_else(|| panic!("{next} is not an absolute link of this app"))
                .to_owned();
        }
    }
}
