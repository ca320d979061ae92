//! The composition root: opens the database, builds the shared state around the served
//! model, and starts the server with its middleware and the route table of `api`.
//! `main` and the tests both start the server through [`start`].

use std::net::TcpListener;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::KeepAlive;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, App, HttpResponse, HttpServer, ResponseError};
use url::Url;

use crate::bookshop::demo;
use crate::config::{Config, DemoData};
use crate::db;
use crate::error::{ApiError, PROBLEM_JSON};
use crate::model::{Model, Tables};
use crate::query::token::PageTokens;
pub use crate::state::AppState;
use crate::{api, html, schema, store};

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Opens the database (migrating it, loading demo data as configured) and builds the
/// shared state around the model of `--schema`, or the bookshop.
pub fn prepare(config: &Config) -> Result<AppState, StartError> {
    prepare_model(config, model(config.schema.as_deref())?)
}

/// The DDL of a generated model for an empty database of either backend, for review.
pub fn schema_sql(model: &'static Model, postgres: bool) -> Vec<String> {
    store::ddl::statements(model, postgres)
}

/// The model a schema file declares (the bookshop without one); a file with problems
/// is a start-up error naming each with its line and column.
pub fn model(path: Option<&std::path::Path>) -> Result<&'static Model, StartError> {
    let (name, text) = match path {
        None => (
            "schemas/bookshop.toml".to_owned(),
            schema::BOOKSHOP.to_owned(),
        ),
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| {
                StartError(format!("cannot read the schema {}: {e}", path.display()))
            })?,
        ),
    };
    schema::load(&text).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| format!("{name}: {e}")).collect();
        StartError(format!(
            "the schema has {} problem(s):\n{}",
            errors.len(),
            lines.join("\n")
        ))
    })
}

/// Like [`prepare`], serving `model`.
pub fn prepare_model(config: &Config, model: &'static Model) -> Result<AppState, StartError> {
    let public_url = match &config.public_url {
        None => None,
        Some(text) => Some(
            Url::parse(text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                .ok_or_else(|| {
                    StartError(format!(
                        "--public-url {text:?} is not an absolute http(s) URL"
                    ))
                })?,
        ),
    };
    let prefix = public_url
        .as_ref()
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let opened = open(config, model)?;
    let mut conn = opened
        .pool
        .get()
        .map_err(|e| StartError(format!("cannot connect to the database: {e}")))?;
    // The bookshop's demo data set is Rust (src/bookshop/demo.rs); another model's is in
    // its file.
    let bookshop = model.tables == Tables::BookshopMigrations;
    let first_table = if bookshop {
        "books"
    } else {
        model.demo_table().unwrap_or("")
    };
    let load_demo = (bookshop || model.has_demo())
        && match config.demo_data {
            DemoData::Never => false,
            DemoData::Auto => opened.created,
            // "always" still never loads it twice: only into a table with no rows.
            DemoData::Always => {
                db::scalar(
                    &mut conn,
                    &format!("SELECT COUNT(*) AS id FROM {first_table}"),
                )
                .map_err(|e| StartError(format!("reading the demo data's table: {e}")))?
                    == 0
            }
        };
    if load_demo && bookshop {
        demo::load(&mut conn).map_err(|e| StartError(format!("loading demo data: {e}")))?;
    } else if load_demo {
        schema::demo::load(&mut conn, model)
            .map_err(|e| StartError(format!("loading the schema's demo data: {e}")))?;
    }
    let mut fresh = [0u8; 32];
    getrandom::getrandom(&mut fresh)
        .map_err(|e| StartError(format!("no randomness for the token key: {e}")))?;
    let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
    let key = db::shared_secret(&mut conn, "page_tokens", &fresh)
        .map_err(|e| StartError(format!("reading the page-token key: {e}")))?;
    drop(conn);
    let replicas = replicas(config, &opened.pool)?;
    let checkout_timeout = Duration::from_millis(config.pool_timeout_ms);
    let sqlite = matches!(
        db::Target::parse(&config.database_url),
        db::Target::Sqlite(_)
    );
    let writer = sqlite
        .then(|| db::writer::Writer::start(&config.database_url, checkout_timeout))
        .transpose()
        .map_err(|e| StartError(e.to_string()))?;
    Ok(AppState {
        checkout_timeout,
        inline_point_reads: sqlite,
        writer,
        replicas,
        pool: opened.pool,
        tokens: PageTokens::new(key.as_bytes()),
        model,
        routes: Default::default(),
        tags: Default::default(),
        public_url,
        trusted_proxies: config.trusted_proxies.clone(),
        prefix,
        max_body: config.max_body,
        client_timeout: Duration::from_millis(config.client_timeout_ms.max(1)),
        log_format: config.log_format,
        metrics_beside_api: config.metrics_bind.is_none(),
        shutdown_timeout: Duration::from_millis(config.shutdown_timeout_ms),
    })
}

/// `halyard migrate`: brings the database's tables up to the model (the migrations, or
/// the generated DDL) and nothing more: no demo data and no server key, so a deploy step
/// leaves every table as it found it.
pub fn migrate(config: &Config) -> Result<(), StartError> {
    open(config, model(config.schema.as_deref())?).map(drop)
}

/// Opens the pool on the database, migrating it (or creating and evolving the tables
/// a generated model declares) on the way.
fn open(config: &Config, model: &'static Model) -> Result<db::Opened, StartError> {
    let settings = db::PoolSettings {
        checkout_timeout: Duration::from_millis(config.pool_timeout_ms),
        statement_timeout_ms: config.statement_timeout_ms,
        ..db::PoolSettings::new(config.pool_size)
    };
    match model.tables {
        Tables::BookshopMigrations => db::open_with(&config.database_url, settings),
        Tables::Generated => db::open_prepared(&config.database_url, settings, &|conn| {
            store::ddl::prepare(conn, model)
        }),
    }
    .map_err(|e| StartError(e.0))
}

/// The replicas of `--replica-url`, on PostgreSQL; SQLite has none and says so.
fn replicas(
    config: &Config,
    primary: &db::Pool,
) -> Result<Option<db::replicas::Replicas>, StartError> {
    if config.replica_urls.is_empty() {
        return Ok(None);
    }
    if !matches!(
        db::Target::parse(&config.database_url),
        db::Target::Postgres(_)
    ) {
        log::warn!("--replica-url is ignored: SQLite has no replicas");
        return Ok(None);
    }
    db::replicas::Replicas::open(
        primary,
        &config.replica_urls,
        Duration::from_millis(config.replica_wait_ms),
        Duration::from_millis(config.replica_max_lag_ms),
    )
    .map(Some)
    .map_err(|e| StartError(e.0))
}

/// Starts serving on `listener`. The returned server runs once awaited or spawned.
pub fn start(
    listener: TcpListener,
    state: AppState,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let client_timeout = state.client_timeout;
    // SIGTERM or SIGINT stops accepting and lets requests in flight finish this long;
    // actix counts whole seconds.
    let shutdown_secs = state.shutdown_timeout.as_millis().div_ceil(1000) as u64;
    let pool_size = state.pool.max_size() as usize;
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let prefix = state.prefix.clone();
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(state.max_body))
            .wrap(ErrorHandlers::new().default_handler(as_problem))
            // Outside the safety net, so that every problem can become a page too.
            .wrap(actix_web::middleware::from_fn(html::browse))
            .wrap(actix_web::middleware::from_fn(cors))
            .wrap(actix_web::middleware::from_fn(
                crate::http::consistency::tokens,
            ))
            // Outside everything that writes a body or an ETag, so each is coded as sent.
            .wrap(actix_web::middleware::from_fn(
                crate::http::compress::compress,
            ))
            // Outermost: sees every answer as the client gets it.
            .wrap(actix_web::middleware::from_fn(
                crate::http::observe::observe,
            ))
            .configure(|cfg| root_without_slash(cfg, &prefix))
            .service(web::scope(&prefix).configure(|cfg| api::configure(cfg, &state)))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound("no resource at this path".into()))
            }))
    })
    // Slow or idle clients must not hold connections for ever (slowloris): the request
    // head must arrive within the timeout (408 otherwise), idle keep-alive connections
    // close after it, and a client that stops reading is dropped after a second.
    .client_request_timeout(client_timeout)
    .keep_alive(KeepAlive::Timeout(client_timeout))
    .client_disconnect_timeout(Duration::from_secs(1))
    .shutdown_timeout(shutdown_secs)
    .listen(listener)?;
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    // Database work runs on each worker's blocking threads (`web::block`), which actix
    // lets grow to 512 a worker; past the pool's connections a thread only waits for
    // one, and each thread that ran keeps its own malloc arena: under 64 connections
    // that took peak RSS past 64 MiB (docs/benchmarks.md). As many threads as
    // connections per worker is enough for every connection to be in use.
    server = server.worker_max_blocking_threads(pool_size.max(1));
    Ok(server.run())
}

/// Serves `GET /metrics` alone on `listener` (`--metrics-bind`), off the API's address.
pub fn start_metrics(listener: TcpListener, state: &AppState) -> std::io::Result<Server> {
    let (pool, writer, replicas) = (
        state.pool.clone(),
        state.writer.clone(),
        state.replicas.clone(),
    );
    Ok(HttpServer::new(move || {
        let (pool, writer, replicas) = (pool.clone(), writer.clone(), replicas.clone());
        App::new()
            .configure(|cfg| api::metrics_route(cfg, pool, writer, replicas))
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::NotFound("only /metrics is served here".into()))
            }))
    })
    .workers(1)
    .listen(listener)?
    .run())
}

/// With a public URL that has a path (`https://x.example/api/v1`), the root is
/// `/api/v1/`; a client that requests the configured URL as written (`/api/v1`) is sent
/// there instead of getting a 404 for the very address it was given.
fn root_without_slash(cfg: &mut web::ServiceConfig, prefix: &str) {
    if prefix.is_empty() {
        return;
    }
    let root = format!("{prefix}/");
    cfg.service(web::resource(prefix).to(move || {
        let root = root.clone();
        async move {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, root))
                .finish()
        }
    }));
}

/// Every response to a cross-origin request may be read by any origin; the headers a
/// HAL browser needs are exposed, and the request id and consistency token, so a client
/// on another origin can report the one and send back the other.
async fn cors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let from_browser = req.headers().contains_key(header::ORIGIN);
    let mut response = next.call(req).await?;
    if from_browser {
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(
                "Allow, Location, ETag, Link, X-Request-Id, Halyard-Consistency",
            ),
        );
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    Ok(response)
}

/// The safety net: an error response that did not come from [`ApiError`] (an actix
/// extractor, the router) is rewritten as problem+json with the same status.
fn as_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem || !(res.status().is_client_error() || res.status().is_server_error()) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status.as_u16() {
        400 => ApiError::field("request", "is malformed"),
        404 => ApiError::NotFound("no resource at this path".into()),
        413 => ApiError::PayloadTooLarge("the request body is over the size limit".into()),
        415 => ApiError::UnsupportedMediaType("this media type is not accepted here".into()),
        code if code >= 500 => ApiError::Internal(format!("unhandled {status}")),
        _ => ApiError::BadRequest {
            detail: status.canonical_reason().unwrap_or("error").into(),
            errors: Vec::new(),
        },
    };
    let mut problem: HttpResponse<BoxBody> = error.error_response();
    *problem.status_mut() = status;
    for (name, value) in res.headers() {
        if matches!(
            *name,
            header::ALLOW | header::WWW_AUTHENTICATE | header::RETRY_AFTER
        ) {
            problem.headers_mut().insert(name.clone(), value.clone());
        }
    }
    let (req, _) = res.into_parts();
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, problem).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy model of two tables and one pair: the machinery serves it as it serves the
    /// bookshop, with no code of its own, on tables generated from it.
    const TOY: &str = r#"
        [[resource]]
        name = "boat"
        path = "boats"
        label = "hull"

        [[resource.field]]
        name = "hull"
        type = "text"
        max = 32
        access = "required"
        unique = true

        [[resource]]
        name = "sailor"
        path = "sailors"
        label = "name"

        [[resource.field]]
        name = "name"
        type = "text"
        max = 100
        access = "required"

        [[pair]]
        table = "crew"
        left = { resource = "boats", column = "boat_id" }
        right = { resource = "sailors", column = "sailor_id" }
        styles = ["sub-resources", "query-form"]
    "#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_machinery_serves_a_toy_model_given_as_a_value() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let config = Config::for_database(&dir.path().join("toy.db").to_string_lossy());
        let toy = schema::load(TOY).expect("the toy schema loads");
        let state = prepare_model(&config, toy).expect("the toy model starts");
        let routes = state.route_table();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a random port");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(start(listener, state, Some(1)).expect("server starts"));
        let client = reqwest::Client::new();
        let post = |path: &str, body: serde_json::Value| {
            client.post(format!("{base}{path}")).json(&body).send()
        };
        let get = |path: &str| {
            let request = client.get(format!("{base}{path}")).send();
            async move {
                request
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };

        assert_eq!(
            post("/boats", serde_json::json!({"hull": "H-1"}))
                .await
                .unwrap()
                .status(),
            201
        );
        assert_eq!(
            post("/sailors", serde_json::json!({"name": "Ann"}))
                .await
                .unwrap()
                .status(),
            201
        );
        let linked = client
            .put(format!("{base}/boats/1/sailors/1"))
            .send()
            .await
            .unwrap();
        assert_eq!(linked.status(), 201);

        let sailor = get("/sailors/1").await;
        assert_eq!(
            sailor["_links"]["boats"][0]["href"],
            format!("{base}/boats/1")
        );
        assert_eq!(sailor["_links"]["boats"][0]["title"], "H-1");
        let crew = get("/sailors?boat_id=1").await;
        assert_eq!(crew["_embedded"]["sailors"][0]["name"], "Ann");
        let root: serde_json::Value = client
            .get(format!("{base}/"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rels: Vec<&String> = root["_links"].as_object().unwrap().keys().collect();
        assert!(rels.contains(&&"boats".to_owned()) && !rels.contains(&&"books".to_owned()));
        assert!(
            !rels.contains(&&"cart".to_owned()),
            "no singleton, no cart: {rels:?}"
        );
        assert_eq!(
            client
                .get(format!("{base}/books"))
                .send()
                .await
                .unwrap()
                .status(),
            404
        );
        let table = routes.lock().unwrap();
        assert!(table.contains_key("/boats/{id}/sailors/{sub}"));
        assert!(
            !table.keys().any(|path| path.contains("books")),
            "{table:?}"
        );
    }
}
