//! What an operator relies on: `/metrics` counts by route template and shows the pool,
//! JSON log lines carry the request id and no secret, and SIGTERM lets a request in
//! flight finish. The log and shutdown tests run the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{hold_lock, spawn_schema, spawn_with, Backend, TestApp};
use crate::on_both_backends_by_name;

/// A schema whose path no other test serves (`{path}` is one a backend), so its series
/// in the process's metrics are this test's alone.
const PROBES: &str = r#"
[[resource]]
name = "metric-probe"
path = "{path}"
label = "name"

[[resource.field]]
name = "name"
type = "text"
max = 40
access = "required"
"#;

/// The value of the series `name{labels}` in a scrape, if present.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

async fn scrape(app: &TestApp) -> String {
    let reply = app.get("/metrics").await;
    reply.assert_status(200);
    assert!(
        reply
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        reply.header("content-type")
    );
    reply.text
}

async fn metrics_count_requests_by_route_template_and_status(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let schema = dir.path().join("probes.toml");
    let path = format!("/metric-probes-{backend:?}").to_lowercase();
    std::fs::write(&schema, PROBES.replace("{path}", &path[1..])).expect("write the schema");
    let app = spawn_schema(backend, &schema).await;
    for name in ["a", "b"] {
        app.post(&path, json!({ "name": name }))
            .await
            .assert_status(201);
    }
    app.get(&format!("{path}/1")).await.assert_status(200);
    app.get(&format!("{path}/99")).await.assert_problem(404);
    let rejected_before =
        sample(&scrape(&app).await, "halyard_page_token_rejections_total").expect("present");
    app.get(&format!("{path}?pageToken=forged"))
        .await
        .assert_problem(400);

    let text = scrape(&app).await;
    let count = |labels: &str| sample(&text, &format!("halyard_http_requests_total{{{labels}}}"));
    assert_eq!(
        count(&format!(r#"method="POST",route="{path}",status="201""#)),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        count(&format!(
            r#"method="GET",route="{path}/{{id}}",status="200""#
        )),
        Some(1.0)
    );
    assert_eq!(
        count(&format!(
            r#"method="GET",route="{path}/{{id}}",status="404""#
        )),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                r#"halyard_http_request_duration_seconds_count{{method="GET",route="{path}/{{id}}"}}"#
            )
        ),
        Some(2.0)
    );
    assert!(!text.contains(&format!("{path}/99")), "a raw path: {text}");
    assert!(
        sample(&text, "halyard_page_token_rejections_total").expect("present")
            >= rejected_before + 1.0
    );
    for kind in ["transient", "constraint", "other"] {
        assert!(
            sample(
                &text,
                &format!("halyard_db_errors_total{{kind=\"{kind}\"}}")
            )
            .is_some(),
            "{kind}"
        );
    }
    assert_eq!(sample(&text, "halyard_db_pool_max_connections"), Some(8.0));
    app.send(reqwest::Method::POST, "/metrics", &[], None)
        .await
        .assert_problem(405);
}

/// With two connections both stuck behind a lock, the gauges show them in use, and the
/// requests that wait past the pool timeout are counted. On SQLite writes go through the
/// writer's one connection instead of the pool: the writes waiting for it show.
async fn pool_gauges_move_under_concurrent_requests(app_backend: Backend) {
    let app = spawn_with(app_backend, |config| {
        config.pool_size = 2;
        config.pool_timeout_ms = 300;
        config.statement_timeout_ms = 1500;
    })
    .await;
    let idle = scrape(&app).await;
    assert_eq!(
        sample(&idle, r#"halyard_db_pool_connections{state="in_use"}"#),
        Some(0.0),
        "{idle}"
    );
    let timeouts_before =
        sample(&idle, "halyard_db_pool_checkout_timeouts_total").expect("present");
    let release = hold_lock(app.database_url.clone(), app.backend, "authors");
    let app = Arc::new(app);
    let writes: Vec<_> = (0..4)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                app.post("/authors", json!({ "name": format!("stuck {i}") }))
                    .await
                    .status
            })
        })
        .collect();
    // Watch the gauges while the writes wait.
    let mut most_in_use = 0.0f64;
    let mut most_waiting = 0.0f64;
    let mut most_in_flight = 0.0f64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(800) {
        let text = scrape(&app).await;
        most_in_use = most_in_use
            .max(sample(&text, r#"halyard_db_pool_connections{state="in_use"}"#).unwrap_or(0.0));
        most_waiting = most_waiting.max(sample(&text, "halyard_db_writes_waiting").unwrap_or(0.0));
        most_in_flight =
            most_in_flight.max(sample(&text, "halyard_http_requests_in_flight").unwrap_or(0.0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(release);
    for write in writes {
        let status = write.await.expect("task");
        assert!(status == 201 || status == 503, "{status}");
    }
    match app_backend {
        Backend::Postgres => {
            assert_eq!(most_in_use, 2.0, "both connections were taken");
            assert_eq!(most_waiting, 0.0, "no writer on PostgreSQL");
        }
        // One write waits for the lock at the writer, the three behind it for their turn
        // (all four, for the instant before the writer took the first).
        Backend::Sqlite => assert!(
            (3.0..=4.0).contains(&most_waiting),
            "the writes behind the first: {most_waiting}"
        ),
    }
    assert!(
        most_in_flight >= 5.0,
        "4 writes and the scrape: {most_in_flight}"
    );
    let after = scrape(&app).await;
    assert!(
        sample(&after, "halyard_db_pool_checkout_timeouts_total").expect("present")
            >= timeouts_before + 1.0,
        "two writes found no connection within 300 ms: {after}"
    );
    assert!(sample(&after, "halyard_db_pool_checkout_wait_seconds_count").expect("present") >= 2.0);
}

on_both_backends_by_name!(
    metrics_count_requests_by_route_template_and_status,
    pool_gauges_move_under_concurrent_requests,
);

// --- the binary --------------------------------------------------------------------

/// The real `halyard` binary, serving an SQLite file of its own, with its standard error
/// collected line by line.
struct Binary {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    base: String,
    database: String,
    _dir: tempfile::TempDir,
}

impl Binary {
    fn start(args: &[&str]) -> Binary {
        Binary::start_on(None, args)
    }

    /// Serves `database` (a fresh SQLite file of its own when `None`).
    fn start_on(database: Option<&str>, args: &[&str]) -> Binary {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database = database.map_or_else(
            || dir.path().join("ops.db").to_string_lossy().into_owned(),
            str::to_owned,
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_halyard"))
            .args(["--bind", "127.0.0.1:0", "--database-url", &database])
            .args(["--demo-data", "never"])
            .args(args)
            .env_remove("HALYARD_SCHEMA")
            .env_remove("HALYARD_TRUSTED_PROXIES")
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start halyard");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut binary = Binary {
            child,
            lines,
            base: String::new(),
            database,
            _dir: dir,
        };
        binary.base = binary.address_after("serving on ");
        binary
    }

    /// The `http://host:port` a log line announced after `marker`.
    fn address_after(&self, marker: &str) -> String {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(20) {
            for line in self.lines.lock().unwrap().iter() {
                if let Some(at) = line.find(marker) {
                    let rest = &line[at + marker.len()..];
                    let end = rest
                        .find(|c: char| c == '"' || c.is_whitespace())
                        .unwrap_or(rest.len());
                    return rest[..end].trim_end_matches("/metrics").to_owned();
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no {marker:?} in the log: {:?}", self.lines.lock().unwrap());
    }

    fn log(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// An item read on SQLite takes an idle connection without queueing for one (see
/// `Ctx::db_point_read`); it is still a checkout, so the wait histogram counts every
/// request that used a connection. Its own process: the metrics are the binary's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_read_counts_as_one_checkout_in_the_wait_histogram() {
    let server = Binary::start(&[]);
    let http = client();
    let checkouts = || {
        scraped(
            &http,
            &server.base,
            "halyard_db_pool_checkout_wait_seconds_count",
        )
    };
    let before = checkouts().await;
    for _ in 0..3 {
        let reply = http
            .get(format!("{}/books/1", server.base))
            .send()
            .await
            .expect("read");
        assert_eq!(reply.status(), 404, "no demo data, so no book 1");
    }
    assert_eq!(checkouts().await - before, 3.0, "{:?}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_log_lines_carry_the_request_id_and_no_query_value_address_token_or_card() {
    let server = Binary::start(&[
        "--log-format",
        "json",
        "--trusted-proxies",
        "127.0.0.1",
        "--metrics-bind",
        "127.0.0.1:0",
    ]);
    let base = server.base.clone();
    let http = client();
    let address = "secret.person@example.org";
    let created: Value = http
        .post(format!("{base}/users"))
        .json(&json!({ "emailAddress": address, "displayName": "Secret Person" }))
        .send()
        .await
        .expect("create a user")
        .json()
        .await
        .expect("json");
    let token = created["token"].as_str().expect("a token").to_owned();
    let card = "4111111111111111";
    let payment = http
        .put(format!("{base}/cart/payment"))
        .bearer_auth(&token)
        .json(&json!({ "cardholder": "Secret Person", "cardNumber": card, "expiry": "12/99" }))
        .send()
        .await
        .expect("payment");
    assert_eq!(payment.status(), 200);
    let filter = format!("emailAddress = \"{address}\"");
    let found = http
        .get(format!("{base}/users"))
        .query(&[("filter", filter.as_str())])
        .header("X-Request-Id", "ops-test-42")
        .send()
        .await
        .expect("filtered list");
    assert_eq!(found.status(), 200);
    assert_eq!(
        found.headers()["x-request-id"],
        "ops-test-42",
        "a trusted proxy's id is echoed"
    );
    let generated = http
        .get(format!("{base}/users/999"))
        .send()
        .await
        .expect("a 404");
    let generated_id = generated.headers()["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(!generated_id.is_empty());
    // A database error names its request: a write stuck behind a lock until SQLite's
    // busy timeout gives up, answered 503.
    let release = hold_lock(server.database.clone(), Backend::Sqlite, "authors");
    let stuck = http
        .post(format!("{base}/authors"))
        .header("X-Request-Id", "ops-test-locked")
        .json(&json!({ "name": "Blocked" }))
        .send()
        .await
        .expect("stuck write");
    drop(release);
    assert_eq!(stuck.status(), 503);
    // Metrics on their own address only.
    let metrics = server.address_after("metrics on ");
    assert_ne!(metrics, base);
    assert_eq!(
        http.get(format!("{metrics}/metrics"))
            .send()
            .await
            .expect("scrape")
            .status(),
        200
    );
    assert_eq!(
        http.get(format!("{base}/metrics"))
            .send()
            .await
            .expect("no scrape")
            .status(),
        404
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    let log = server.log();
    let parsed: Vec<Value> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    for line in &log {
        for secret in [address, "example.org", &token, card, "Secret Person"] {
            assert!(!line.contains(secret), "{secret:?} logged: {line}");
        }
    }
    let request = parsed
        .iter()
        .find(|l| l["request_id"] == "ops-test-42")
        .unwrap_or_else(|| panic!("no line of ops-test-42 in {log:?}"));
    assert_eq!(request["method"], "GET");
    assert_eq!(request["route"], "/users");
    assert_eq!(request["status"], 200);
    assert_eq!(request["query"], json!(["filter"]));
    assert!(request["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(request["duration_ms"].as_f64().is_some());
    assert!(request["bytes"].as_u64().is_some_and(|b| b > 0));
    let missing = parsed
        .iter()
        .find(|l| l["request_id"] == generated_id.as_str() && l["status"] == 404)
        .unwrap_or_else(|| panic!("no line of {generated_id} in {log:?}"));
    assert_eq!(missing["route"], "/users/{id}");
    assert_eq!(missing["error"], "not-found");
    let locked: Vec<&Value> = parsed
        .iter()
        .filter(|l| l["request_id"] == "ops-test-locked")
        .collect();
    assert!(
        locked.iter().any(|l| l["level"] == "WARN"
            && l["message"]
                .as_str()
                .is_some_and(|m| m.contains("database"))),
        "the database error names its request: {locked:?}"
    );
    assert!(locked
        .iter()
        .any(|l| l["status"] == 503 && l["error"] == "unavailable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_from_an_untrusted_peer_is_replaced() {
    let server = Binary::start(&[]);
    let reply = client()
        .get(format!("{}/live", server.base))
        .header("X-Request-Id", "forged-id")
        .send()
        .await
        .expect("probe");
    let id = reply.headers()["x-request-id"].to_str().expect("ASCII");
    assert_ne!(id, "forged-id");
    assert!(!id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_request_in_flight_finish_and_then_exits_0() {
    let mut server = Binary::start(&["--shutdown-timeout-ms", "8000"]);
    let base = server.base.clone();
    let http = client();
    // The write waits behind a lock the test holds, so it is in flight when the signal
    // comes; the lock goes after the signal, well inside SQLite's busy timeout.
    let release = hold_lock(server.database.clone(), Backend::Sqlite, "authors");
    let slow = {
        let http = http.clone();
        let base = base.clone();
        tokio::spawn(async move {
            http.post(format!("{base}/authors"))
                .json(&json!({ "name": "Finished after SIGTERM" }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &server.pid()])
        .status()
        .expect("kill");
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(400)).await;
    // No longer accepting.
    let refused = reqwest::Client::new()
        .get(format!("{base}/live"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a new request was served after SIGTERM");
    drop(release);
    let status = slow
        .await
        .expect("task")
        .expect("the slow request was answered");
    assert_eq!(status, 201);
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");
    let mut conn = halyard::db::connect(&server.database).expect("open the database");
    assert_eq!(
        halyard::db::scalar(&mut conn, "SELECT COUNT(*) AS id FROM authors").expect("count"),
        1
    );
    assert_eq!(
        halyard::db::texts(&mut conn, "SELECT name AS value FROM authors").expect("names"),
        ["Finished after SIGTERM"]
    );
}

/// The value of `series` in a scrape of the server at `base`.
async fn scraped(http: &reqwest::Client, base: &str, series: &str) -> f64 {
    let text = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    sample(&text, series).unwrap_or_else(|| panic!("no {series} in {text}"))
}

/// The process's count of statements prepared into a connection's cache.
async fn prepared(http: &reqwest::Client, base: &str) -> f64 {
    scraped(http, base, "halyard_db_statements_prepared_total").await
}

/// Over one connection (a pool of one), a second read of a book prepares nothing: its
/// statements are in the connection's cache. A statement whose text a client shaped is
/// not kept: once a listing's own statements are cached, thirty filters of thirty
/// different shapes add none, so the cache cannot be grown from outside.
async fn a_read_prepares_its_statements_once_and_filters_are_never_kept(backend: Backend) {
    let database = crate::common::empty_database(backend);
    let server = Binary::start_on(Some(&database.url), &["--pool-size", "1"]);
    let (base, http) = (server.base.clone(), client());
    let created = http
        .post(format!("{base}/books"))
        .json(&json!({ "title": "Cached", "price": "9.99" }))
        .send()
        .await
        .expect("create a book");
    assert_eq!(created.status(), 201);
    let read = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let reply = http
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("read");
            assert_eq!(reply.status(), 200, "{path}");
        }
    };
    read("/books/1").await;
    let after_first = prepared(&http, &base).await;
    assert!(after_first > 0.0, "the first read prepared its statements");
    read("/books/1").await;
    assert_eq!(prepared(&http, &base).await, after_first);

    let filtered = |terms: usize| {
        let expression = (0..terms)
            .map(|i| format!("title : \"t{i}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        format!(
            "{base}/books?filter={}",
            crate::common::encoded(&expression)
        )
    };
    let first = http.get(filtered(1)).send().await.expect("filter");
    assert_eq!(first.status(), 200);
    let listed = prepared(&http, &base).await;
    for terms in 2..=31 {
        let reply = http.get(filtered(terms)).send().await.expect("filter");
        assert_eq!(reply.status(), 200, "{terms} terms");
    }
    assert_eq!(prepared(&http, &base).await, listed);
}

on_both_backends_by_name!(a_read_prepares_its_statements_once_and_filters_are_never_kept);
