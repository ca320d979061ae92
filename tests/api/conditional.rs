//! Conditional reads: a revalidation (`If-None-Match`) whose tag is current answers 304,
//! from the representation version without rendering the resource, and only while
//! nothing the representation shows has changed. Each change below (a linked author's
//! name, a link, an unlink, an invoice's new line item, a write by another instance)
//! moves the tag: the next revalidation is 200 with the new one.

use reqwest::Method;
use serde_json::json;

use crate::common::TestApp;
use crate::on_both_backends;

/// Creates a book and returns its id.
async fn new_book(app: &TestApp) -> i64 {
    app.create("/books", json!({"title": "Dune", "price": "9.99"}))
        .await["id"]
        .as_i64()
        .expect("a book id")
}

/// Revalidates `path` with `tag`.
async fn revalidate(app: &TestApp, path: &str, tag: &str) -> crate::common::Reply {
    app.send(Method::GET, path, &[("if-none-match", tag)], None)
        .await
}

/// The ETag of `path`, after showing that revalidating with it is 304 twice: the first
/// remembers the tag at the current version, the second is answered from it.
async fn current_tag(app: &TestApp, path: &str) -> String {
    let reply = app.get(path).await;
    reply.assert_status(200);
    let tag = reply.header("etag").expect("an ETag");
    for _ in 0..2 {
        let again = revalidate(app, path, &tag).await;
        again.assert_status(304);
        assert!(again.text.is_empty());
        assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
        assert_eq!(again.header("vary").as_deref(), Some("Accept"));
    }
    tag
}

/// Asserts that revalidating `path` with `before` is now 200 with another tag, the one
/// a plain GET gives, and returns it.
async fn assert_moved(app: &TestApp, path: &str, before: &str, what: &str) -> String {
    let reply = revalidate(app, path, before).await;
    reply.assert_status(200);
    let now = reply.header("etag").expect("an ETag");
    assert_ne!(now, before, "{what} moved the tag of {path}");
    assert_eq!(app.get(path).await.header("etag"), Some(now.clone()));
    now
}

async fn a_linked_authors_name_a_link_and_an_unlink_each_move_the_books_tag(app: TestApp) {
    let book = new_book(&app).await;
    let author = app.create("/authors", json!({"name": "Frank"})).await["id"]
        .as_i64()
        .expect("an author id");
    let other = app.create("/authors", json!({"name": "Brian"})).await["id"]
        .as_i64()
        .expect("an author id");
    app.link(&format!("/books/{book}/authors/{author}")).await;
    let path = format!("/books/{book}");

    // A write elsewhere moves the version but not this representation: the tag is
    // recomputed, found equal, and the answer stays 304.
    let tag = current_tag(&app, &path).await;
    app.create("/customers", json!({"name": "Unrelated"})).await;
    revalidate(&app, &path, &tag).await.assert_status(304);

    app.patch(
        &format!("/authors/{author}"),
        json!({"name": "Frank Herbert"}),
    )
    .await
    .assert_status(200);
    let renamed = assert_moved(&app, &path, &tag, "renaming a linked author").await;
    assert!(app.get(&path).await.text.contains("Frank Herbert"));

    let tag = current_tag(&app, &path).await;
    assert_eq!(tag, renamed);
    app.link(&format!("/books/{book}/authors/{other}")).await;
    let linked = assert_moved(&app, &path, &tag, "linking an author").await;

    let tag = current_tag(&app, &path).await;
    assert_eq!(tag, linked);
    app.delete(&format!("/books/{book}/authors/{other}"))
        .await
        .assert_status(204);
    let unlinked = assert_moved(&app, &path, &tag, "unlinking an author").await;
    assert_eq!(
        unlinked, renamed,
        "the same representation has the same tag"
    );
}

async fn a_new_line_item_moves_its_invoices_tag(app: TestApp) {
    let customer = app.create("/customers", json!({"name": "Ada"})).await["id"]
        .as_i64()
        .expect("a customer id");
    let invoice = app
        .create(
            &format!("/customers/{customer}/invoices"),
            json!({"date": "2026-03-01"}),
        )
        .await["id"]
        .as_i64()
        .expect("an invoice id");
    let path = format!("/invoices/{invoice}");
    let tag = current_tag(&app, &path).await;

    app.create(
        &format!("/invoices/{invoice}/lineitems"),
        json!({"description": "Rope", "quantity": 2, "unitPrice": "3.50"}),
    )
    .await;

    assert_moved(&app, &path, &tag, "a new line item").await;
    assert_eq!(app.get(&path).await.json()["total"], "7.00");
}

async fn a_write_through_another_instance_moves_the_tag_this_one_remembered(app: TestApp) {
    let book = new_book(&app).await;
    let path = format!("/books/{book}");
    let tag = current_tag(&app, &path).await;

    let other = app.second_instance().await;
    other
        .patch(&path, json!({"price": "10.99"}))
        .await
        .assert_status(200);

    assert_moved(&app, &path, &tag, "a write through the other instance").await;
    assert_eq!(app.get(&path).await.json()["price"], "10.99");
}

async fn a_deleted_resource_is_404_to_a_revalidation(app: TestApp) {
    let book = new_book(&app).await;
    let path = format!("/books/{book}");
    let tag = current_tag(&app, &path).await;

    app.delete(&path).await.assert_status(204);

    revalidate(&app, &path, &tag).await.assert_problem(404);
}

on_both_backends!(
    a_linked_authors_name_a_link_and_an_unlink_each_move_the_books_tag,
    a_new_line_item_moves_its_invoices_tag,
    a_write_through_another_instance_moves_the_tag_this_one_remembered,
    a_deleted_resource_is_404_to_a_revalidation,
);
