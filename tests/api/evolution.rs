//! A model's file changes between starts: a new field and a new pair are added to the
//! tables and the old rows stay; a dropped field refuses the start, names the
//! difference, and leaves the database as it was.

use std::path::PathBuf;

use serde_json::json;

use crate::common::{embedded_ids, spawn_schema, Backend, TestApp};
use crate::on_both_backends_by_name;

const FIRST: &str = r#"
[[resource]]
name = "kite"
path = "kites"
label = "name"

[[resource.field]]
name = "name"
type = "text"
max = 80
access = "required"

[[resource.field]]
name = "colour"
type = "text"
max = 20
"#;

/// The first file, gaining a field on kites, a resource and a pair.
const GROWN: &str = r#"
[[resource.field]]
name = "span"
type = "int"
min = 1
max = 1000

[[resource]]
name = "flyer"
path = "flyers"
label = "name"

[[resource.field]]
name = "name"
type = "text"
max = 80
access = "required"

[[pair]]
table = "kite_flyers"
left = { resource = "kites", column = "kite_id" }
right = { resource = "flyers", column = "flyer_id" }
styles = ["sub-resources"]
"#;

/// Writes a schema file of its own for one test.
fn schema_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the schema file");
    path
}

async fn first_start(backend: Backend, dir: &tempfile::TempDir) -> TestApp {
    spawn_schema(backend, &schema_file(dir, "first.toml", FIRST)).await
}

async fn a_new_field_and_a_new_pair_are_added_and_old_rows_stay(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let app = first_start(backend, &dir).await;
    let kite = app
        .create("/kites", json!({ "name": "Red Baron", "colour": "red" }))
        .await;

    let grown = schema_file(&dir, "grown.toml", &format!("{FIRST}{GROWN}"));
    let app = app
        .restart_with(&grown)
        .await
        .expect("the grown schema starts");

    let old = app
        .get(&format!("/kites/{}", kite["id"]))
        .await
        .assert_status(200)
        .json();
    assert_eq!(old["name"], "Red Baron");
    assert_eq!(old["colour"], "red");
    assert_eq!(old["span"], serde_json::Value::Null);
    let patched = app
        .patch(&format!("/kites/{}", kite["id"]), json!({ "span": 180 }))
        .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["span"], 180);
    let flyer = app.create("/flyers", json!({ "name": "Ann" })).await;
    app.put_empty(&format!("/kites/{}/flyers/{}", kite["id"], flyer["id"]))
        .await
        .assert_status(201);
    let flyers = app
        .get(&format!("/kites/{}/flyers", kite["id"]))
        .await
        .json();
    assert_eq!(
        embedded_ids(&flyers, "flyers"),
        vec![flyer["id"].as_i64().expect("an id")]
    );
    assert_eq!(app.count("kite_flyers").await, 1);
}

async fn a_dropped_field_refuses_the_start_and_changes_nothing(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let app = first_start(backend, &dir).await;
    app.create("/kites", json!({ "name": "Box", "colour": "blue" }))
        .await;
    let without_colour = FIRST.replace(
        "[[resource.field]]\nname = \"colour\"\ntype = \"text\"\nmax = 20\n",
        "",
    );
    assert_ne!(without_colour, FIRST);
    let dropped = schema_file(&dir, "dropped.toml", &without_colour);

    let refused = app
        .restart_with(&dropped)
        .await
        .err()
        .expect("the start is refused");
    assert!(
        refused.contains("table kites: column colour is not in the schema"),
        "{refused}"
    );
    assert!(refused.contains("nothing was changed"), "{refused}");

    // The column and its value are still there, and the old file still serves.
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM kites WHERE colour = 'blue'")
            .await,
        1
    );
    let first = schema_file(&dir, "again.toml", FIRST);
    let again = app
        .restart_with(&first)
        .await
        .expect("the first schema starts again");
    let kites = again.get("/kites").await.assert_status(200).json();
    assert_eq!(embedded_ids(&kites, "kites").len(), 1);
}

async fn a_new_required_field_on_a_table_with_rows_is_refused(backend: Backend) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let app = first_start(backend, &dir).await;
    app.create("/kites", json!({ "name": "Delta" })).await;
    let required = format!(
        "{FIRST}\n[[resource.field]]\nname = \"maker\"\ntype = \"text\"\nmax = 80\naccess = \"required\"\n"
    );
    let refused = app
        .restart_with(&schema_file(&dir, "required.toml", &required))
        .await
        .err()
        .expect("the start is refused");
    assert!(
        refused.contains("the new column maker is required"),
        "{refused}"
    );
}

on_both_backends_by_name!(
    a_new_field_and_a_new_pair_are_added_and_old_rows_stay,
    a_dropped_field_refuses_the_start_and_changes_nothing,
    a_new_required_field_on_a_table_with_rows_is_refused,
);
