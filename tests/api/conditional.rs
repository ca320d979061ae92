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

/// The representation version as the database holds it.
async fn version(app: &TestApp) -> i64 {
    app.scalar("SELECT CAST(SUM(version) AS BIGINT) AS id FROM halyard_version")
        .await
}

async fn a_relation_posted_moves_the_books_tag_and_a_refused_one_moves_nothing(app: TestApp) {
    let book = new_book(&app).await;
    let author = app.create("/authors", json!({"name": "Frank"})).await["id"]
        .as_i64()
        .expect("an author id");
    let path = format!("/books/{book}");
    let tag = current_tag(&app, &path).await;
    let relation =
        json!({"book": format!("/books/{book}"), "author": format!("/authors/{author}")});

    let before = version(&app).await;
    app.post(
        "/books-authors",
        json!({"book": format!("/books/{book}"), "author": "/authors/999999"}),
    )
    .await
    .assert_problem(422);
    app.post(
        "/books-authors",
        json!({"book": "/books/999999", "author": format!("/authors/{author}")}),
    )
    .await
    .assert_problem(422);
    assert_eq!(
        version(&app).await,
        before,
        "a refused relation moved the version"
    );
    revalidate(&app, &path, &tag).await.assert_status(304);

    let reply = app.post("/books-authors", relation.clone()).await;
    reply.assert_status(201);
    let made = reply.json();
    assert_eq!(made["bookId"], book);
    assert_eq!(made["authorId"], author);
    let own = format!("/books-authors/{}", made["id"]);
    assert_eq!(made["_links"]["self"]["href"], app.url(&own));
    assert_eq!(reply.header("location"), Some(app.url(&own)));
    assert_eq!(app.get(&own).await.json()["authorId"], author);
    assert_eq!(version(&app).await, before + 1);
    let linked = assert_moved(&app, &path, &tag, "a relation posted").await;
    assert_eq!(
        crate::common::hrefs(&app.get(&path).await.json()["_links"]["authors"]),
        vec![app.url(&format!("/authors/{author}"))]
    );
    let other_side = app.get(&format!("/authors/{author}")).await.json();
    assert_eq!(
        crate::common::hrefs(&other_side["_links"]["books"]),
        vec![app.url(&path)],
        "the other side lists the book"
    );

    let before = version(&app).await;
    app.post("/books-authors", relation)
        .await
        .assert_problem(409);
    assert_eq!(version(&app).await, before, "a conflict moved the version");
    assert_eq!(
        app.count(&format!("books_authors WHERE book_id = {book}"))
            .await,
        1
    );
    revalidate(&app, &path, &linked).await.assert_status(304);
}

/// Every write moves the version, however many commit at once: on PostgreSQL each
/// moves one of its rows by one, so the sum counts the writes; SQLite's writer moves it
/// once for each group it commits.
async fn writes_committed_at_once_each_move_the_version(app: TestApp) {
    let book = new_book(&app).await;
    let before = version(&app).await;
    let tasks = (0..16)
        .map(|i| {
            let client = app.client.clone();
            let (authors, books) = (app.url("/authors"), app.url(&format!("/books/{book}")));
            tokio::spawn(async move {
                let made = client
                    .post(authors)
                    .header("content-type", "application/json")
                    .body(json!({ "name": format!("Author {i}") }).to_string())
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(made.status(), 201);
                let author: serde_json::Value = made.json().await.expect("a body");
                let linked = client
                    .put(format!("{books}/authors/{}", author["id"]))
                    .send()
                    .await
                    .expect("an answer");
                assert_eq!(linked.status(), 201);
            })
        })
        .collect::<Vec<_>>();
    for task in tasks {
        task.await.expect("a write");
    }
    let moved = version(&app).await - before;
    match app.backend {
        crate::common::Backend::Postgres => assert_eq!(moved, 32),
        crate::common::Backend::Sqlite => assert!((1..=32).contains(&moved), "moved {moved}"),
    }
    assert_eq!(
        app.count(&format!("books_authors WHERE book_id = {book}"))
            .await,
        16
    );
    let listed = app.get(&format!("/books/{book}")).await.json();
    assert_eq!(
        crate::common::hrefs(&listed["_links"]["authors"]).len(),
        16,
        "the book lists every author"
    );
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
    a_relation_posted_moves_the_books_tag_and_a_refused_one_moves_nothing,
    writes_committed_at_once_each_move_the_version,
);
