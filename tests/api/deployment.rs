//! What a deployment relies on: `halyard migrate` as a deploy step (the binary itself),
//! the liveness and readiness probes, and links that only a trusted proxy can move.

use std::process::Command;

use crate::common::{empty_database, schema_path, spawn_with, Backend, TestApp};
use crate::{on_both_backends, on_both_backends_by_name};

/// Every table of the database, bookkeeping included, by name.
fn tables(url: &str, backend: Backend) -> Vec<String> {
    let query = match backend {
        Backend::Sqlite => {
            "SELECT name AS value FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS value FROM information_schema.tables \
             WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    let mut conn = halyard::db::connect(url).expect("connect to the database");
    halyard::db::texts(&mut conn, query).expect("list the tables")
}

fn rows(url: &str, table: &str) -> i64 {
    let mut conn = halyard::db::connect(url).expect("connect to the database");
    halyard::db::scalar(&mut conn, &format!("SELECT COUNT(*) AS id FROM {table}"))
        .expect("count the rows")
}

/// Runs `halyard migrate` on an empty database (with `--demo-data always`, the setting
/// most likely to load it) and checks that it made the tables and left them empty.
fn migrate_leaves_every_table_empty(backend: Backend, schema: Option<&str>, table: &str) {
    let database = empty_database(backend);
    let mut command = Command::new(env!("CARGO_BIN_EXE_halyard"));
    command
        .args(["--database-url", &database.url, "--demo-data", "always"])
        .env_remove("HALYARD_SCHEMA")
        .env("RUST_LOG", "warn");
    if let Some(schema) = schema {
        command.arg("--schema").arg(schema_path(schema));
    }
    let output = command
        .arg("migrate")
        .output()
        .expect("run halyard migrate");
    assert!(
        output.status.success(),
        "migrate failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tables = tables(&database.url, backend);
    assert!(
        tables.iter().any(|t| t == table),
        "migrate made no {table} table: {tables:?}"
    );
    for name in &tables {
        if name == "__diesel_schema_migrations" {
            continue; // which migrations ran: the migration's own record
        }
        if name == "halyard_version" {
            // The representation version's rows (one on SQLite, sixteen on PostgreSQL,
            // whose writers each move their own): the server's own bookkeeping, which
            // creating a schema's tables moves like any write.
            let version_rows = match backend {
                Backend::Sqlite => 1,
                Backend::Postgres => 16,
            };
            assert_eq!(
                rows(&database.url, name),
                version_rows,
                "{name} after migrate"
            );
            continue;
        }
        assert_eq!(rows(&database.url, name), 0, "{name} after migrate");
    }
}

async fn migrate_loads_no_demo_catalogue(backend: Backend) {
    migrate_leaves_every_table_empty(backend, None, "books");
}

async fn migrate_loads_no_demo_data_of_a_schema(backend: Backend) {
    migrate_leaves_every_table_empty(backend, Some("schemas/recipes.toml"), "recipes");
}

on_both_backends_by_name!(
    migrate_loads_no_demo_catalogue,
    migrate_loads_no_demo_data_of_a_schema,
);

async fn live_and_ready_answer_and_the_root_links_them(app: TestApp) {
    for path in ["/live", "/ready", "/health"] {
        let reply = app.get(path).await;
        reply.assert_status(200);
        assert_eq!(reply.content_type(), "application/json", "{path}");
        assert_eq!(reply.json()["status"], "ok", "{path}");
        assert_eq!(
            reply.header("cache-control").as_deref(),
            Some("no-store"),
            "a probe's answer is never cached: {path}"
        );
    }
    let root = app.get("/").await.json();
    assert_eq!(root["_links"]["live"]["href"], app.url("/live"));
    assert_eq!(root["_links"]["ready"]["href"], app.url("/ready"));
    app.send(reqwest::Method::POST, "/live", &[], None)
        .await
        .assert_problem(405);
}

/// Without trusted proxies (the default) a client's forwarding headers move no link.
async fn forwarding_headers_from_an_untrusted_peer_change_no_link(app: TestApp) {
    app.post("/authors", serde_json::json!({ "name": "Ann" }))
        .await
        .assert_status(201);
    let plain = app.get("/authors/1").await.json();
    assert_eq!(plain["_links"]["self"]["href"], app.url("/authors/1"));
    for (name, value) in [
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "host=evil.example;proto=https"),
    ] {
        let spoofed = app
            .send(reqwest::Method::GET, "/authors/1", &[(name, value)], None)
            .await;
        spoofed.assert_status(200);
        assert_eq!(spoofed.json(), plain, "{name}: {value}");
    }
}

on_both_backends!(
    live_and_ready_answer_and_the_root_links_them,
    forwarding_headers_from_an_untrusted_peer_change_no_link,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarding_headers_from_a_trusted_proxy_set_the_links() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.0/8".parse().expect("a range")];
    })
    .await;
    app.post("/authors", serde_json::json!({ "name": "Ann" }))
        .await
        .assert_status(201);
    let forwarded = app
        .send(
            reqwest::Method::GET,
            "/authors/1",
            &[
                ("X-Forwarded-Host", "books.example"),
                ("X-Forwarded-Proto", "https"),
            ],
            None,
        )
        .await
        .json();
    assert_eq!(
        forwarded["_links"]["self"]["href"],
        "https://books.example/authors/1"
    );
    let standard = app
        .send(
            reqwest::Method::GET,
            "/authors/1",
            &[("Forwarded", "for=10.1.2.3;host=shop.example;proto=https")],
            None,
        )
        .await
        .json();
    assert_eq!(
        standard["_links"]["self"]["href"],
        "https://shop.example/authors/1"
    );
    // A proxy in another range is not trusted.
    let elsewhere = spawn_with(Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["10.0.0.0/8".parse().expect("a range")];
    })
    .await;
    elsewhere
        .post("/authors", serde_json::json!({ "name": "Ann" }))
        .await
        .assert_status(201);
    let ignored = elsewhere
        .send(
            reqwest::Method::GET,
            "/authors/1",
            &[("X-Forwarded-Host", "books.example")],
            None,
        )
        .await
        .json();
    assert_eq!(
        ignored["_links"]["self"]["href"],
        elsewhere.url("/authors/1")
    );
}
