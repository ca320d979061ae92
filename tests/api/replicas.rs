//! Reads from a PostgreSQL streaming replica that never go back in time. The replica is
//! the one `.ci/pg-replica` makes of the test server (`HALYARD_TEST_REPLICA_URL`); the
//! tests pause its replay (`pg_wal_replay_pause()`) to make it lag on purpose, so they
//! take turns: replay is paused for the whole cluster.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::common::{embedded_ids, hrefs, spawn_with, Backend, TestApp};

/// One replica test at a time.
static TURN: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

fn replica_admin_url() -> String {
    std::env::var("HALYARD_TEST_REPLICA_URL").expect("HALYARD_TEST_REPLICA_URL is set")
}

/// The URL of database `url` names, on the replica's host and port.
fn on_replica(url: &str) -> String {
    let replica = url::Url::parse(&replica_admin_url()).expect("a URL");
    let mut url = url::Url::parse(url).expect("a URL");
    url.set_host(replica.host_str()).expect("host");
    url.set_port(replica.port()).expect("port");
    url.into()
}

/// Replay paused on the replica until dropped.
struct Paused;

fn replay(action: &str) {
    let mut conn = halyard::db::connect(&replica_admin_url()).expect("connect to the replica");
    conn.batch_execute(&format!("SELECT pg_wal_replay_{action}()"))
        .unwrap_or_else(|e| panic!("pg_wal_replay_{action}: {e}"));
}

impl Paused {
    fn start() -> Paused {
        replay("pause");
        Paused
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        replay("resume");
    }
}

/// A server over a fresh database of the test server, reading from the replica too.
async fn with_replica(wait_ms: u64, max_lag_ms: u64, replica: Option<String>) -> TestApp {
    spawn_with(Backend::Postgres, move |config| {
        config.replica_urls = vec![replica.unwrap_or_else(|| on_replica(&config.database_url))];
        config.replica_wait_ms = wait_ms;
        config.replica_max_lag_ms = max_lag_ms;
    })
    .await
}

/// Waits until the replica holds `rows` rows of `table`.
async fn replicated(app: &TestApp, table: &str, rows: i64) {
    let url = on_replica(&app.database_url);
    let query = format!("SELECT COUNT(*) AS id FROM {table}");
    let started = Instant::now();
    loop {
        let (url, query) = (url.clone(), query.clone());
        let seen = tokio::task::spawn_blocking(move || {
            halyard::db::connect(&url)
                .ok()
                .and_then(|mut conn| halyard::db::scalar(&mut conn, &query).ok())
        })
        .await
        .expect("look at the replica");
        if seen == Some(rows) {
            // And the monitor has seen the replica answer.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return;
        }
        // Generous: the rest of the suite, running beside, creates a database a test,
        // and the replica replays each (a few MB of WAL) after every pause.
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the replica never reached {rows} rows of {table} (saw {seen:?})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn book_authors(app: &TestApp, book: i64, headers: &[(&str, &str)]) -> Vec<String> {
    let reply = app
        .send(
            reqwest::Method::GET,
            &format!("/books/{book}"),
            headers,
            None,
        )
        .await;
    reply.assert_status(200);
    hrefs(&reply.json()["_links"]["authors"])
}

#[cfg_attr(
    not(halyard_replica_tests),
    ignore = "HALYARD_TEST_REPLICA_URL is not set (a streaming replica of the test server: .ci/pg-replica)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_with_the_consistency_token_sees_the_write_while_the_replica_lags() {
    let _turn = TURN.lock().await;
    let app = with_replica(300, 60_000, None).await;
    let author = app.create("/authors", json!({ "name": "Ann" })).await["id"]
        .as_i64()
        .expect("id");
    let book = app.create("/books", json!({ "title": "Lagging" })).await["id"]
        .as_i64()
        .expect("id");
    replicated(&app, "books", 1).await;
    let paused = Paused::start();

    let linked = app
        .put_empty(&format!("/books/{book}/authors/{author}"))
        .await;
    linked.assert_status(201);
    let token = linked
        .header("halyard-consistency")
        .expect("a write answers with a consistency token");
    let cookie = linked.header("set-cookie").expect("and a cookie");
    assert!(
        cookie.starts_with(&format!("halyard_consistency={token};")),
        "{cookie}"
    );
    assert!(cookie.contains("HttpOnly"), "{cookie}");

    // Without the token any replica may answer: this one has not replayed the link.
    assert!(
        book_authors(&app, book, &[]).await.is_empty(),
        "the replica's older state is what a read without a token may see"
    );
    // With it, the read waits for a replica that has, and then goes to the primary.
    let started = Instant::now();
    let with_token = book_authors(&app, book, &[("Halyard-Consistency", &token)]).await;
    assert_eq!(with_token, [app.url(&format!("/authors/{author}"))]);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for the replica first"
    );
    let cookie_pair = format!("halyard_consistency={token}");
    let with_cookie = book_authors(&app, book, &[("Cookie", &cookie_pair)]).await;
    assert_eq!(with_cookie, [app.url(&format!("/authors/{author}"))]);
    // A forged token is no position at all: the replica answers.
    assert!(
        book_authors(&app, book, &[("Halyard-Consistency", "forged")])
            .await
            .is_empty()
    );

    drop(paused);
    replicated(&app, "books_authors", 1).await;
    // Once replayed, the replica itself serves the read with the token.
    assert_eq!(
        book_authors(&app, book, &[("Halyard-Consistency", &token)]).await,
        [app.url(&format!("/authors/{author}"))]
    );
}

#[cfg_attr(
    not(halyard_replica_tests),
    ignore = "HALYARD_TEST_REPLICA_URL is not set (a streaming replica of the test server: .ci/pg-replica)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_token_from_the_primary_never_skips_or_repeats_a_row_on_a_lagging_replica() {
    let _turn = TURN.lock().await;
    let app = with_replica(200, 60_000, None).await;
    for i in 0..30 {
        app.create("/authors", json!({ "name": format!("Author {i}") }))
            .await;
    }
    replicated(&app, "authors", 30).await;
    let paused = Paused::start();
    let mut token = String::new();
    for i in 30..35 {
        let reply = app
            .post("/authors", json!({ "name": format!("Author {i}") }))
            .await;
        reply.assert_status(201);
        token = reply.header("halyard-consistency").expect("token");
    }
    // The first page from the primary (the token of the last write sends it there).
    let first = app
        .send(
            reqwest::Method::GET,
            "/authors?maxPageSize=20",
            &[("Halyard-Consistency", &token)],
            None,
        )
        .await;
    first.assert_status(200);
    let first = first.json();
    let mut ids = embedded_ids(&first, "authors");
    assert_eq!(ids.len(), 20);
    // Then `next` as a client follows it: no consistency token, only the page token.
    let mut next = first["_links"]["next"]["href"].as_str().map(str::to_owned);
    while let Some(href) = next {
        let path = href
            .strip_prefix(&app.address)
            .expect("absolute")
            .to_owned();
        let page = app.get(&path).await;
        page.assert_status(200);
        let page = page.json();
        ids.extend(embedded_ids(&page, "authors"));
        next = page["_links"]["next"]["href"].as_str().map(str::to_owned);
    }
    assert_eq!(
        ids,
        (1..=35).collect::<Vec<i64>>(),
        "every row once, the five the replica has not replayed included"
    );
    drop(paused);
}

#[cfg_attr(
    not(halyard_replica_tests),
    ignore = "HALYARD_TEST_REPLICA_URL is not set (a streaming replica of the test server: .ci/pg-replica)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etag_from_the_primary_is_revalidated_against_a_state_at_least_as_new() {
    let _turn = TURN.lock().await;
    let app = with_replica(200, 60_000, None).await;
    app.create("/authors", json!({ "name": "Old name" })).await;
    replicated(&app, "authors", 1).await;
    let paused = Paused::start();
    let renamed = app
        .send(
            reqwest::Method::PUT,
            "/authors/1",
            &[],
            Some((
                "application/json",
                json!({ "name": "New name" }).to_string(),
            )),
        )
        .await;
    renamed.assert_status(200);
    let token = renamed.header("halyard-consistency").expect("token");
    let current = app
        .send(
            reqwest::Method::GET,
            "/authors/1",
            &[("Halyard-Consistency", &token)],
            None,
        )
        .await;
    assert_eq!(current.json()["name"], "New name");
    let etag = current.header("etag").expect("an ETag");
    assert!(
        etag.contains('@'),
        "the tag names its read position: {etag}"
    );
    // Revalidating without the consistency token: the tag's own position keeps the
    // lagging replica (which still has the old name) from answering.
    let revalidated = app
        .send(
            reqwest::Method::GET,
            "/authors/1",
            &[("If-None-Match", &etag)],
            None,
        )
        .await;
    assert_eq!(revalidated.status, 304, "{}", revalidated.text);
    drop(paused);
}

/// A TCP relay to the replica that the test can cut, as a replica that stops would.
struct Relay {
    port: u16,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn relay_to(target: (String, u16)) -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        loop {
            let mut stop_accepting = stopped.clone();
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop_accepting.changed() => return,
            };
            let Ok((mut client, _)) = accepted else {
                return;
            };
            let target = target.clone();
            let mut cut = stopped.clone();
            tokio::spawn(async move {
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
                    _ = cut.changed() => {}
                }
            });
        }
    });
    Relay { port, stop }
}

#[cfg_attr(
    not(halyard_replica_tests),
    ignore = "HALYARD_TEST_REPLICA_URL is not set (a streaming replica of the test server: .ci/pg-replica)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_replica_gone_every_read_still_answers_200() {
    let _turn = TURN.lock().await;
    let replica = url::Url::parse(&replica_admin_url()).expect("a URL");
    let relay = relay_to((
        replica.host_str().expect("host").to_owned(),
        replica.port().unwrap_or(5432),
    ))
    .await;
    let port = relay.port;
    let app = spawn_with(Backend::Postgres, move |config| {
        let mut url = url::Url::parse(&on_replica(&config.database_url)).expect("URL");
        url.set_port(Some(port)).expect("port");
        config.replica_urls = vec![url.into()];
    })
    .await;
    app.create("/authors", json!({ "name": "Ann" })).await;
    replicated(&app, "authors", 1).await;
    for _ in 0..10 {
        app.get("/authors/1").await.assert_status(200);
    }
    relay.stop.send(true).expect("cut the replica off");
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(app.get("/authors/1").await.status);
        statuses.push(app.get("/authors").await.status);
    }
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // A replica that was never there at all: the primary serves every read.
    let nowhere = with_replica(
        100,
        1000,
        Some("postgres://halyard:halyard@127.0.0.1:1/postgres".into()),
    )
    .await;
    nowhere.create("/authors", json!({ "name": "Bo" })).await;
    for _ in 0..10 {
        nowhere.get("/authors/1").await.assert_status(200);
    }
}

#[cfg_attr(
    not(halyard_replica_tests),
    ignore = "HALYARD_TEST_REPLICA_URL is not set (a streaming replica of the test server: .ci/pg-replica)"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_further_behind_than_the_lag_limit_serves_no_read() {
    let _turn = TURN.lock().await;
    let app = with_replica(100, 300, None).await;
    app.create("/authors", json!({ "name": "Before" })).await;
    replicated(&app, "authors", 1).await;
    let paused = Paused::start();
    app.put("/authors/1", json!({ "name": "After" }))
        .await
        .assert_status(200);
    // Past the limit (300 ms) and a look of the monitor.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        app.get("/authors/1").await.json()["name"],
        "After",
        "the lagging replica is skipped even without a token"
    );
    let scrape = app.get("/metrics").await.text;
    assert!(
        scrape.contains(r#"halyard_db_replica_up{replica="replica-0"} 1"#),
        "{scrape}"
    );
    drop(paused);
}
