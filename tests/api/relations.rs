//! Books and authors related three ways (§2a link-array PATCH, §2b sub-resources, §2c the
//! `/books-authors` cross-resource), the integrity rules every view shares, and races.
//! Every test checks what the other views and the table show afterwards.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{hrefs, TestApp};
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

async fn new_book(app: &TestApp, title: &str) -> i64 {
    app.create("/books", json!({ "title": title })).await["id"]
        .as_i64()
        .expect("book id")
}

async fn new_author(app: &TestApp, name: &str) -> i64 {
    app.create("/authors", json!({ "name": name })).await["id"]
        .as_i64()
        .expect("author id")
}

/// Creates a relation through `/books-authors` and returns it (asserting 201).
async fn relate(app: &TestApp, book: i64, author: i64, royalties: Option<&str>) -> Value {
    let mut body = json!({ "bookId": book, "authorId": author });
    if let Some(royalties) = royalties {
        body["royalties"] = json!(royalties);
    }
    app.create("/books-authors", body).await
}

/// Links through the sub-resource (asserting 2xx).
async fn link(app: &TestApp, book: i64, author: i64) {
    app.link(&format!("/books/{book}/authors/{author}")).await;
}

/// Rows of `books_authors` matching a condition (trusted, test-written SQL).
async fn rows(app: &TestApp, condition: &str) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS id FROM books_authors WHERE {condition}"
    ))
    .await
}

/// The sum of one book's royalties, in units of 10^-4.
async fn royalties_units(app: &TestApp, book: i64) -> i64 {
    app.scalar(&format!(
        "SELECT CAST(COALESCE(SUM(royalties_units), 0) AS BIGINT) AS id FROM books_authors \
         WHERE book_id = {book}"
    ))
    .await
}

fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item["id"].as_i64().expect("item id"))
        .collect()
}

/// The absolute hrefs a GET of `path` lists under `_links.{rel}`.
async fn linked(app: &TestApp, path: &str, rel: &str) -> Vec<String> {
    let reply = app.get(path).await;
    reply.assert_status(200);
    hrefs(&reply.json()["_links"][rel])
}

/// `/books-authors?{query}`: the relation ids listed.
async fn relation_ids(app: &TestApp, query: &str) -> Vec<i64> {
    let reply = app.get(&format!("/books-authors?{query}")).await;
    reply.assert_status(200);
    ids(&reply.json()["_embedded"]["books-authors"])
}

/// Percent-encodes everything but unreserved characters, as a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Sends every request at once and returns the statuses, in request order.
async fn race(requests: Vec<reqwest::RequestBuilder>) -> Vec<u16> {
    let handles: Vec<_> = requests
        .into_iter()
        .map(|request| {
            tokio::spawn(async move {
                request
                    .send()
                    .await
                    .expect("request sent")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::with_capacity(handles.len());
    for handle in handles {
        statuses.push(handle.await.expect("request task"));
    }
    statuses
}

fn count(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

// ---------------------------------------------------------------------------------------
// §2a: link-array PATCH
// ---------------------------------------------------------------------------------------

async fn patching_a_books_authors_sets_exactly_that_set(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Someone Else").await;
    let a3 = new_author(&app, "Neil Gaiman").await;
    link(&app, book, a1).await;
    link(&app, book, a2).await;

    let reply = app
        .patch(
            &format!("/books/{book}"),
            json!({ "authors": [format!("/authors/{a1}"), format!("/authors/{a3}")] }),
        )
        .await;

    reply.assert_status(200);
    let body = reply.json();
    assert_eq!(body["title"], "Good Omens");
    assert_eq!(
        body["_links"]["authors"],
        json!([
            { "href": app.url(&format!("/authors/{a1}")), "title": "Terry Pratchett" },
            { "href": app.url(&format!("/authors/{a3}")), "title": "Neil Gaiman" },
        ])
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 2);
    assert_eq!(rows(&app, &format!("author_id = {a2}")).await, 0);
    let a3_view = app.get(&format!("/authors/{a3}")).await;
    a3_view.assert_status(200);
    assert_eq!(
        a3_view.json()["_links"]["books"],
        json!([{ "href": app.url(&format!("/books/{book}")), "title": "Good Omens" }])
    );
    assert!(linked(&app, &format!("/authors/{a2}"), "books")
        .await
        .is_empty());
    // The author is unlinked, not deleted.
    app.get(&format!("/authors/{a2}")).await.assert_status(200);
}

async fn patching_hal_links_sets_the_authors_too(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let a1 = new_author(&app, "Frank Herbert").await;
    let a2 = new_author(&app, "Brian Herbert").await;
    let a3 = new_author(&app, "Kevin J. Anderson").await;
    link(&app, book, a2).await;

    // A HAL client sends back the links it was given (absolute), or shorter forms.
    let reply = app
        .patch(
            &format!("/books/{book}"),
            json!({ "_links": { "authors": [
                { "href": app.url(&format!("/authors/{a1}")) },
                { "href": format!("authors/{a3}") },
            ] } }),
        )
        .await;

    reply.assert_status(200);
    assert_eq!(
        hrefs(&reply.json()["_links"]["authors"]),
        vec![
            app.url(&format!("/authors/{a1}")),
            app.url(&format!("/authors/{a3}"))
        ]
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 2);
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a2}")).await,
        0
    );
    assert_eq!(
        linked(&app, &format!("/authors/{a1}"), "books").await,
        vec![app.url(&format!("/books/{book}"))]
    );
}

async fn relations_that_stay_keep_their_id_and_royalties(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    let kept = relate(&app, book, a1, Some("0.25")).await;

    let reply = app
        .patch(
            &format!("/books/{book}"),
            json!({ "authors": [format!("/authors/{a1}"), format!("/authors/{a2}")] }),
        )
        .await;

    reply.assert_status(200);
    let kept_now = app.get(&format!("/books-authors/{}", kept["id"])).await;
    kept_now.assert_status(200);
    assert_eq!(kept_now.json()["royalties"], "0.25");
    assert_eq!(kept_now.json()["authorId"], a1);
    let listed = app
        .get(&format!("/books-authors?book_id={book}&author_id={a2}"))
        .await;
    listed.assert_status(200);
    let added = &listed.json()["_embedded"]["books-authors"];
    assert_eq!(added.as_array().map(Vec::len), Some(1), "{added}");
    assert_eq!(added[0]["royalties"], Value::Null);
    assert_eq!(
        relation_ids(&app, &format!("book_id={book}")).await[0],
        kept["id"]
    );
}

async fn patching_with_an_unknown_author_is_422_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let a1 = new_author(&app, "Frank Herbert").await;
    let a2 = new_author(&app, "Brian Herbert").await;
    link(&app, book, a1).await;
    let before = app.get(&format!("/books/{book}")).await;

    let reply = app
        .patch(
            &format!("/books/{book}"),
            json!({ "title": "Dune Messiah", "authors": [format!("/authors/{a2}"), "/authors/9999"] }),
        )
        .await;

    let problem = reply.assert_problem(422);
    assert_eq!(problem["errors"][0]["field"], "authors", "{problem}");
    let after = app.get(&format!("/books/{book}")).await;
    assert_eq!(after.json()["title"], "Dune");
    assert_eq!(after.header("etag"), before.header("etag"));
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 1);
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a1}")).await,
        1
    );
}

async fn patching_with_a_malformed_reference_is_400_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let a1 = new_author(&app, "Frank Herbert").await;
    link(&app, book, a1).await;

    for authors in [
        json!(["/books/1"]),
        json!(["/authors/x"]),
        json!([-1]),
        json!(["http://elsewhere.example/authors/1"]),
        json!([format!("/authors/{a1}/books")]),
        json!("/authors/1"),
    ] {
        let reply = app
            .patch(&format!("/books/{book}"), json!({ "authors": authors }))
            .await;

        let problem = reply.assert_problem(400);
        let field = problem["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(field.starts_with("authors"), "{authors}: {problem}");
    }
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a1}")).await,
        1
    );
    assert_eq!(rows(&app, "1 = 1").await, 1);
}

async fn patching_an_authors_books_is_the_mirror_image(app: TestApp) {
    let author = new_author(&app, "Ursula K. Le Guin").await;
    let b1 = new_book(&app, "The Dispossessed").await;
    let b2 = new_book(&app, "The Lathe of Heaven").await;
    let b3 = new_book(&app, "A Wizard of Earthsea").await;
    link(&app, b3, author).await;

    let reply = app
        .patch(
            &format!("/authors/{author}"),
            json!({ "books": [format!("/books/{b2}"), b1] }),
        )
        .await;

    reply.assert_status(200);
    assert_eq!(
        reply.json()["_links"]["books"],
        json!([
            { "href": app.url(&format!("/books/{b1}")), "title": "The Dispossessed" },
            { "href": app.url(&format!("/books/{b2}")), "title": "The Lathe of Heaven" },
        ])
    );
    assert_eq!(
        app.get(&format!("/books/{b1}")).await.json()["_links"]["authors"],
        json!([{ "href": app.url(&format!("/authors/{author}")), "title": "Ursula K. Le Guin" }])
    );
    assert!(linked(&app, &format!("/books/{b3}"), "authors")
        .await
        .is_empty());
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 2);

    let unknown = app
        .patch(
            &format!("/authors/{author}"),
            json!({ "books": ["/books/9999"] }),
        )
        .await;
    unknown.assert_problem(422);
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 2);
}

async fn patching_with_an_empty_array_unlinks_every_author(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    relate(&app, book, a1, Some("0.5")).await;
    link(&app, book, a2).await;

    let reply = app
        .patch(&format!("/books/{book}"), json!({ "authors": [] }))
        .await;

    reply.assert_status(200);
    assert_eq!(reply.json()["_links"]["authors"], json!([]));
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 0);
    assert!(relation_ids(&app, &format!("book_id={book}"))
        .await
        .is_empty());
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 2);
}

// ---------------------------------------------------------------------------------------
// §2b: sub-resources
// ---------------------------------------------------------------------------------------

async fn a_books_authors_are_listed_in_pages_ordered_by_id(app: TestApp) {
    let book = new_book(&app, "Anthology").await;
    let other = new_book(&app, "Other").await;
    let mut authors = Vec::new();
    for name in ["A", "B", "C", "D", "E"] {
        authors.push(new_author(&app, name).await);
    }
    // Linked out of order, and one author belongs to another book only.
    for i in [4, 0, 2] {
        link(&app, book, authors[i]).await;
    }
    link(&app, other, authors[1]).await;

    let first = app
        .get(&format!("/books/{book}/authors?maxPageSize=2"))
        .await;

    first.assert_status(200);
    assert_eq!(first.content_type(), "application/hal+json");
    let page = first.json();
    let items = &page["_embedded"]["authors"];
    assert_eq!(ids(items), vec![authors[0], authors[2]]);
    assert_eq!(items[0]["name"], "A");
    assert_eq!(
        items[0]["_links"]["self"]["href"],
        app.url(&format!("/authors/{}", authors[0]))
    );
    assert_eq!(
        hrefs(&items[0]["_links"]["books"]),
        vec![app.url(&format!("/books/{book}"))]
    );
    let next = page["_links"]["next"]["href"]
        .as_str()
        .expect("a next link")
        .to_owned();
    assert!(
        next.starts_with(&app.url(&format!("/books/{book}/authors?"))),
        "{next}"
    );

    let second = app.get(next.trim_start_matches(&app.address)).await;
    second.assert_status(200);
    let page = second.json();
    assert_eq!(ids(&page["_embedded"]["authors"]), vec![authors[4]]);
    assert!(page["_links"].get("next").is_none(), "{page}");
    assert!(
        page["nextPageToken"].as_str().unwrap_or("").is_empty(),
        "{page}"
    );

    app.get("/books/9999/authors").await.assert_problem(404);
}

async fn putting_an_author_link_is_201_then_200_and_returns_the_book(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let path = format!("/books/{book}/authors/{author}");
    let with_body = app.put(&path, json!({ "royalties": "0.1" })).await;
    assert_eq!(with_body.assert_problem(400)["errors"][0]["field"], "body");
    assert_eq!(rows(&app, "1 = 1").await, 0);
    let etag_before = app.get(&format!("/books/{book}")).await.header("etag");

    let first = app.put_empty(&path).await;
    let second = app.put_empty(&path).await;

    first.assert_status(201);
    let body = first.json();
    assert_eq!(body["id"], book);
    assert_eq!(body["title"], "Dune");
    assert_eq!(
        body["_links"]["self"]["href"],
        app.url(&format!("/books/{book}"))
    );
    assert_eq!(
        body["_links"]["authors"],
        json!([{ "href": app.url(&format!("/authors/{author}")), "title": "Frank Herbert" }])
    );
    second.assert_status(200);
    assert_eq!(
        second.json()["_links"]["authors"],
        body["_links"]["authors"]
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 1);
    // Linking changes the book's representation, so its ETag.
    let etag_after = app.get(&format!("/books/{book}")).await.header("etag");
    assert!(etag_after.is_some() && etag_after != etag_before);
    assert_eq!(
        linked(&app, &format!("/authors/{author}"), "books").await,
        vec![app.url(&format!("/books/{book}"))]
    );
    let relation = relation_ids(&app, &format!("book_id={book}")).await;
    assert_eq!(relation.len(), 1);
}

async fn putting_a_link_to_an_unknown_book_or_author_is_404(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;

    let no_book = app
        .put_empty(&format!("/books/9999/authors/{author}"))
        .await;
    let no_author = app.put_empty(&format!("/books/{book}/authors/9999")).await;
    let mirror = app.put_empty(&format!("/authors/9999/books/{book}")).await;

    no_book.assert_problem(404);
    no_author.assert_problem(404);
    mirror.assert_problem(404);
    assert_eq!(rows(&app, "1 = 1").await, 0);
}

async fn unlinking_an_author_is_204_then_404(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let other = new_author(&app, "Brian Herbert").await;
    link(&app, book, author).await;
    link(&app, book, other).await;
    let path = format!("/books/{book}/authors/{author}");

    let first = app.delete(&path).await;
    let second = app.delete(&path).await;

    first.assert_status(204);
    assert!(first.text.is_empty());
    second.assert_problem(404);
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![app.url(&format!("/authors/{other}"))]
    );
    assert!(linked(&app, &format!("/authors/{author}"), "books")
        .await
        .is_empty());
    app.get(&format!("/authors/{author}"))
        .await
        .assert_status(200);
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 0);
}

async fn reading_an_author_under_a_book_needs_them_linked(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let stranger = new_author(&app, "Jane Austen").await;
    link(&app, book, author).await;

    let linked_reply = app.get(&format!("/books/{book}/authors/{author}")).await;
    let unlinked = app.get(&format!("/books/{book}/authors/{stranger}")).await;
    let unknown = app.get(&format!("/books/{book}/authors/9999")).await;

    linked_reply.assert_status(200);
    let body = linked_reply.json();
    assert_eq!(body["id"], author);
    assert_eq!(body["name"], "Frank Herbert");
    assert_eq!(
        body["_links"]["self"]["href"],
        app.url(&format!("/authors/{author}"))
    );
    unlinked.assert_problem(404);
    unknown.assert_problem(404);
}

async fn putting_a_uri_list_replaces_the_authors(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Someone Else").await;
    let a3 = new_author(&app, "Neil Gaiman").await;
    let kept = relate(&app, book, a1, Some("0.1")).await;
    link(&app, book, a2).await;
    let a1_url = app.url(&format!("/authors/{a1}"));
    let a3_path = format!("/authors/{a3}");

    let reply = app
        .uri_list(
            Method::PUT,
            &format!("/books/{book}/authors"),
            &[&a1_url, "# a comment", &a3_path],
        )
        .await;

    reply.assert_status(204);
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![a1_url, app.url(&a3_path)]
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 2);
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a2}")).await,
        0
    );
    let kept_now = app.get(&format!("/books-authors/{}", kept["id"])).await;
    kept_now.assert_status(200);
    assert_eq!(kept_now.json()["royalties"], "0.1");
}

async fn posting_a_uri_list_adds_authors(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    link(&app, book, a1).await;
    let a1_path = format!("/authors/{a1}");
    let a2_path = format!("authors/{a2}");

    let reply = app
        .uri_list(
            Method::POST,
            &format!("/books/{book}/authors"),
            &[&a2_path, &a1_path],
        )
        .await;

    reply.assert_status(204);
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![app.url(&a1_path), app.url(&format!("/authors/{a2}"))]
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 2);
}

async fn a_bad_uri_list_is_refused_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let a1 = new_author(&app, "Frank Herbert").await;
    let a2 = new_author(&app, "Brian Herbert").await;
    link(&app, book, a1).await;
    let collection = format!("/books/{book}/authors");
    let a2_path = format!("/authors/{a2}");

    for method in [Method::PUT, Method::POST] {
        let bad_line = app
            .uri_list(method.clone(), &collection, &[&a2_path, "/books/1"])
            .await;
        let missing = app
            .uri_list(method.clone(), &collection, &[&a2_path, "/authors/9999"])
            .await;

        let problem = bad_line.assert_problem(400);
        assert_eq!(
            problem["errors"][0]["field"], "line 2",
            "{method}: {problem}"
        );
        missing.assert_problem(422);
    }
    let json_put = app
        .put(&collection, json!({ "authors": [a2_path.clone()] }))
        .await;
    json_put.assert_problem(415);
    let text_post = app
        .send(
            Method::POST,
            &collection,
            &[],
            Some(("text/plain", a2_path.clone())),
        )
        .await;
    text_post.assert_problem(415);
    let unknown_book = app
        .uri_list(Method::PUT, "/books/9999/authors", &[&a2_path])
        .await;
    unknown_book.assert_problem(404);

    assert_eq!(rows(&app, "1 = 1").await, 1);
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a1}")).await,
        1
    );
}

async fn posting_an_author_to_a_book_creates_and_links_it(app: TestApp) {
    let book = new_book(&app, "Dune").await;

    let reply = app
        .post(&format!("/books/{book}/authors"), json!({ "name": "New" }))
        .await;

    reply.assert_status(201);
    let author = reply.json();
    let id = author["id"].as_i64().expect("new author id");
    assert_eq!(
        reply.header("location"),
        Some(app.url(&format!("/authors/{id}")))
    );
    assert_eq!(author["name"], "New");
    assert_eq!(
        author["_links"]["self"]["href"],
        app.url(&format!("/authors/{id}"))
    );
    assert_eq!(
        author["_links"]["books"],
        json!([{ "href": app.url(&format!("/books/{book}")), "title": "Dune" }])
    );
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![app.url(&format!("/authors/{id}"))]
    );
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {id}")).await,
        1
    );
}

async fn posting_an_invalid_author_to_a_book_creates_nothing(app: TestApp) {
    let book = new_book(&app, "Dune").await;

    for body in [
        json!({}),
        json!({ "name": "" }),
        json!({ "name": 7 }),
        json!({ "name": "New", "colour": "red" }),
    ] {
        let reply = app
            .post(&format!("/books/{book}/authors"), body.clone())
            .await;
        let problem = reply.assert_problem(400);
        assert!(
            problem["errors"].as_array().is_some_and(|e| !e.is_empty()),
            "{body}: {problem}"
        );
    }
    let unknown_book = app
        .post("/books/9999/authors", json!({ "name": "Orphan" }))
        .await;

    unknown_book.assert_problem(404);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 0);
    assert_eq!(rows(&app, "1 = 1").await, 0);
}

async fn the_author_side_mirrors_linking_and_reading(app: TestApp) {
    let author = new_author(&app, "Ursula K. Le Guin").await;
    let b1 = new_book(&app, "The Dispossessed").await;
    let b2 = new_book(&app, "The Lathe of Heaven").await;
    let path = format!("/authors/{author}/books/{b2}");

    let first = app.put_empty(&path).await;
    let second = app.put_empty(&path).await;
    link(&app, b1, author).await;

    first.assert_status(201);
    let body = first.json();
    assert_eq!(body["id"], author);
    assert_eq!(body["name"], "Ursula K. Le Guin");
    assert_eq!(
        body["_links"]["books"],
        json!([{ "href": app.url(&format!("/books/{b2}")), "title": "The Lathe of Heaven" }])
    );
    second.assert_status(200);
    let list = app
        .get(&format!("/authors/{author}/books?maxPageSize=1"))
        .await;
    list.assert_status(200);
    let page = list.json();
    assert_eq!(ids(&page["_embedded"]["books"]), vec![b1]);
    assert!(page["_links"]["next"]["href"].is_string(), "{page}");
    let read = app.get(&path).await;
    read.assert_status(200);
    assert_eq!(read.json()["title"], "The Lathe of Heaven");
    app.get("/authors/9999/books").await.assert_problem(404);

    app.delete(&path).await.assert_status(204);
    app.delete(&path).await.assert_problem(404);
    app.get(&path).await.assert_problem(404);
    assert_eq!(
        linked(&app, &format!("/authors/{author}"), "books").await,
        vec![app.url(&format!("/books/{b1}"))]
    );
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 1);
}

async fn the_author_side_mirrors_uri_lists_and_creation(app: TestApp) {
    let author = new_author(&app, "Ursula K. Le Guin").await;
    let b1 = new_book(&app, "The Dispossessed").await;
    let b2 = new_book(&app, "The Lathe of Heaven").await;
    let b3 = new_book(&app, "A Wizard of Earthsea").await;
    let collection = format!("/authors/{author}/books");
    let (p1, p2, p3) = (
        format!("/books/{b1}"),
        format!("/books/{b2}"),
        format!("/books/{b3}"),
    );

    app.uri_list(Method::PUT, &collection, &[&p1, &p2])
        .await
        .assert_status(204);
    assert_eq!(
        linked(&app, &format!("/authors/{author}"), "books").await,
        vec![app.url(&p1), app.url(&p2)]
    );
    app.uri_list(Method::PUT, &collection, &[&p3])
        .await
        .assert_status(204);
    app.uri_list(Method::POST, &collection, &[&p1])
        .await
        .assert_status(204);
    assert_eq!(
        linked(&app, &format!("/authors/{author}"), "books").await,
        vec![app.url(&p1), app.url(&p3)]
    );
    app.uri_list(Method::POST, &collection, &["/authors/1"])
        .await
        .assert_problem(400);
    app.uri_list(Method::PUT, &collection, &[&p2, "/books/9999"])
        .await
        .assert_problem(422);
    app.put(&collection, json!([p2])).await.assert_problem(415);
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 2);

    let created = app.post(&collection, json!({ "title": "Lavinia" })).await;

    created.assert_status(201);
    let book = created.json();
    let id = book["id"].as_i64().expect("new book id");
    assert_eq!(
        created.header("location"),
        Some(app.url(&format!("/books/{id}")))
    );
    assert_eq!(book["title"], "Lavinia");
    assert_eq!(
        book["_links"]["authors"],
        json!([{ "href": app.url(&format!("/authors/{author}")), "title": "Ursula K. Le Guin" }])
    );
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 3);
    let books_before = app.scalar("SELECT COUNT(*) AS id FROM books").await;
    app.post(&collection, json!({ "name": "Not a book" }))
        .await
        .assert_problem(400);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM books").await,
        books_before
    );
}

async fn a_uri_list_error_names_the_line_as_sent(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let author_path = format!("/authors/{author}");

    // RFC 2483: comments and blank lines are lines too; the client's editor counts them.
    let reply = app
        .uri_list(
            Method::PUT,
            &format!("/books/{book}/authors"),
            &["# the authors of Dune", &author_path, "", "/authors/x"],
        )
        .await;

    let problem = reply.assert_problem(400);
    assert_eq!(problem["errors"][0]["field"], "line 4", "{problem}");
    assert_eq!(rows(&app, "1 = 1").await, 0);
}

async fn sub_resources_answer_405_with_allow_for_other_methods(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    link(&app, book, author).await;

    let item = app
        .patch(&format!("/books/{book}/authors/{author}"), json!({}))
        .await;
    let collection = app.delete(&format!("/books/{book}/authors")).await;

    item.assert_problem(405);
    let allow = item.header("allow").unwrap_or_default();
    for method in ["GET", "PUT", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(!allow.contains("PATCH"), "{allow}");
    collection.assert_problem(405);
    let allow = collection.header("allow").unwrap_or_default();
    for method in ["GET", "PUT", "POST"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert!(!allow.contains("DELETE"), "{allow}");
    assert_eq!(rows(&app, "1 = 1").await, 1);
}

async fn item_link_arrays_stop_at_100_and_the_collection_has_the_rest(app: TestApp) {
    let book = new_book(&app, "Anthology").await;
    let mut paths = Vec::new();
    for i in 0..101 {
        paths.push(format!(
            "/authors/{}",
            new_author(&app, &format!("Author {i}")).await
        ));
    }
    let uris: Vec<&str> = paths.iter().map(String::as_str).collect();
    app.uri_list(Method::POST, &format!("/books/{book}/authors"), &uris)
        .await
        .assert_status(204);

    let reply = app.get(&format!("/books/{book}")).await;

    reply.assert_status(200);
    let links = &reply.json()["_links"];
    let expected: Vec<String> = paths[..100].iter().map(|p| app.url(p)).collect();
    assert_eq!(hrefs(&links["authors"]), expected);
    assert_eq!(
        links["collection/authors"]["href"],
        app.url(&format!("/books/{book}/authors"))
    );
    let all = app
        .get(&format!("/books/{book}/authors?maxPageSize=1000"))
        .await;
    assert_eq!(
        all.json()["_embedded"]["authors"].as_array().map(Vec::len),
        Some(101)
    );
    assert_eq!(
        linked(&app, &paths[100], "books").await,
        vec![app.url(&format!("/books/{book}"))]
    );
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 101);
}

async fn embedding_returns_the_related_resources_in_full(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let other = new_book(&app, "Other").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    link(&app, book, a2).await;
    link(&app, book, a1).await;
    link(&app, other, a2).await;

    let book_reply = app.get(&format!("/books/{book}?embed=authors")).await;
    let author_reply = app.get(&format!("/authors/{a2}?embed=books")).await;
    let unknown = app.get(&format!("/books/{book}?embed=chapters")).await;

    book_reply.assert_status(200);
    let embedded = &book_reply.json()["_embedded"]["authors"];
    assert_eq!(ids(embedded), vec![a1, a2]);
    assert_eq!(embedded[1]["name"], "Neil Gaiman");
    assert_eq!(
        embedded[1]["_links"]["self"]["href"],
        app.url(&format!("/authors/{a2}"))
    );
    assert_eq!(
        hrefs(&embedded[1]["_links"]["books"]),
        vec![
            app.url(&format!("/books/{book}")),
            app.url(&format!("/books/{other}"))
        ]
    );
    author_reply.assert_status(200);
    let embedded = &author_reply.json()["_embedded"]["books"];
    assert_eq!(ids(embedded), vec![book, other]);
    assert_eq!(embedded[0]["title"], "Good Omens");
    unknown.assert_problem(400);
}

// ---------------------------------------------------------------------------------------
// §2c: the /books-authors cross-resource
// ---------------------------------------------------------------------------------------

async fn a_relation_has_ids_royalties_and_links(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;

    let reply = app
        .post(
            "/books-authors",
            json!({ "book": format!("/books/{book}"), "author": format!("/authors/{author}") }),
        )
        .await;

    reply.assert_status(201);
    let relation = reply.json();
    let id = relation["id"].as_i64().expect("relation id");
    let self_href = app.url(&format!("/books-authors/{id}"));
    assert_eq!(reply.header("location"), Some(self_href.clone()));
    assert_eq!(reply.content_type(), "application/hal+json");
    assert_eq!(
        relation,
        json!({
            "id": id,
            "bookId": book,
            "authorId": author,
            "royalties": null,
            "_links": {
                "self": { "href": self_href },
                "book": { "href": app.url(&format!("/books/{book}")) },
                "author": { "href": app.url(&format!("/authors/{author}")) },
                "curies": [{ "name": "doc", "href": app.url("/rels/{rel}"), "templated": true }],
            },
        })
    );
    let read = app.get(&format!("/books-authors/{id}")).await;
    read.assert_status(200);
    assert_eq!(read.json(), relation);
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![app.url(&format!("/authors/{author}"))]
    );
}

async fn a_relation_can_be_created_with_ids_in_either_spelling(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    let a3 = new_author(&app, "Third").await;

    let snake = app
        .post(
            "/books-authors",
            json!({ "book_id": book, "author_id": a1 }),
        )
        .await;
    let camel = app
        .post(
            "/books-authors",
            json!({ "bookId": book, "authorId": a2, "royalties": "0.5" }),
        )
        .await;
    let absolute = app
        .post(
            "/books-authors",
            json!({ "book": app.url(&format!("/books/{book}")), "author": format!("authors/{a3}") }),
        )
        .await;

    for (reply, author) in [(&snake, a1), (&camel, a2), (&absolute, a3)] {
        reply.assert_status(201);
        let relation = reply.json();
        assert_eq!(relation["bookId"], book);
        assert_eq!(relation["authorId"], author);
        assert_eq!(
            reply.header("location"),
            Some(app.url(&format!("/books-authors/{}", relation["id"])))
        );
    }
    assert_eq!(camel.json()["royalties"], "0.5");
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 3);
}

async fn creating_a_relation_to_nothing_is_422_and_a_bad_body_400(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;

    let no_author = app
        .post(
            "/books-authors",
            json!({ "bookId": book, "authorId": 9999 }),
        )
        .await;
    let no_book = app
        .post(
            "/books-authors",
            json!({ "book": "/books/9999", "authorId": author }),
        )
        .await;
    let missing = app.post("/books-authors", json!({ "bookId": book })).await;
    let wrong_collection = app
        .post(
            "/books-authors",
            json!({ "book": format!("/authors/{author}"), "authorId": author }),
        )
        .await;
    let twice = app
        .post(
            "/books-authors",
            json!({ "bookId": book, "book_id": book, "authorId": author }),
        )
        .await;

    assert_eq!(
        no_author.assert_problem(422)["errors"][0]["field"],
        "authorId"
    );
    no_book.assert_problem(422);
    assert_eq!(
        missing.assert_problem(400)["errors"][0]["field"],
        "authorId"
    );
    assert_eq!(
        wrong_collection.assert_problem(400)["errors"][0]["field"],
        "book"
    );
    twice.assert_problem(400);
    assert_eq!(rows(&app, "1 = 1").await, 0);
}

async fn relating_the_same_pair_twice_is_a_conflict_by_any_path(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "One").await;
    let a2 = new_author(&app, "Two").await;
    let a3 = new_author(&app, "Three").await;
    let a4 = new_author(&app, "Four").await;
    relate(&app, book, a1, Some("0.1")).await;
    link(&app, book, a2).await;
    app.patch(&format!("/authors/{a3}"), json!({ "books": [book] }))
        .await
        .assert_status(200);
    app.uri_list(
        Method::POST,
        &format!("/books/{book}/authors"),
        &[&format!("/authors/{a4}")],
    )
    .await
    .assert_status(204);

    for (body, author) in [
        (json!({ "book_id": book, "author_id": a1 }), a1),
        (
            json!({ "bookId": book, "authorId": a1, "royalties": "0.2" }),
            a1,
        ),
        (
            json!({ "book": format!("/books/{book}"), "author": format!("/authors/{a2}") }),
            a2,
        ),
        (json!({ "bookId": book, "authorId": a3 }), a3),
        (json!({ "bookId": book, "authorId": a4 }), a4),
    ] {
        let reply = app.post("/books-authors", body.clone()).await;

        reply.assert_problem(409);
        assert_eq!(
            rows(&app, &format!("book_id = {book} AND author_id = {author}")).await,
            1,
            "{body}"
        );
    }
    assert_eq!(rows(&app, "1 = 1").await, 4);
    let first = app
        .get(&format!("/books-authors?author_id={a1}"))
        .await
        .json();
    assert_eq!(first["_embedded"]["books-authors"][0]["royalties"], "0.1");
}

async fn royalties_come_back_exactly_as_written(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    let a3 = new_author(&app, "Third").await;

    let twenty = relate(&app, book, a1, Some("0.20")).await;
    let precise = relate(&app, book, a2, Some("0.1234")).await;
    let zero = relate(&app, book, a3, Some("0")).await;

    assert_eq!(twenty["royalties"], "0.20");
    assert_eq!(precise["royalties"], "0.1234");
    assert_eq!(zero["royalties"], "0");
    let read = app.get(&format!("/books-authors/{}", twenty["id"])).await;
    assert_eq!(read.json()["royalties"], "0.20");
    let listed = app
        .get(&format!("/books-authors?book_id={book}"))
        .await
        .json();
    assert_eq!(listed["_embedded"]["books-authors"][0]["royalties"], "0.20");
    // Stored exactly, scaled by 10^4.
    assert_eq!(
        app.scalar(&format!(
            "SELECT royalties_units AS id FROM books_authors WHERE id = {}",
            twenty["id"]
        ))
        .await,
        2000
    );
    assert_eq!(royalties_units(&app, book).await, 3234);
}

async fn royalties_outside_zero_to_one_or_too_precise_are_400(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let a1 = new_author(&app, "Frank Herbert").await;
    let a2 = new_author(&app, "Brian Herbert").await;
    let existing = relate(&app, book, a2, Some("0.2")).await;

    for royalties in [
        json!("1.5"),
        json!("-0.1"),
        json!("0.12345"),
        json!("abc"),
        json!(""),
        json!(true),
    ] {
        let created = app
            .post(
                "/books-authors",
                json!({ "bookId": book, "authorId": a1, "royalties": royalties }),
            )
            .await;
        let patched = app
            .patch(
                &format!("/books-authors/{}", existing["id"]),
                json!({ "royalties": royalties }),
            )
            .await;

        let problem = created.assert_problem(400);
        assert_eq!(
            problem["errors"][0]["field"], "royalties",
            "{royalties}: {problem}"
        );
        patched.assert_problem(400);
    }
    assert_eq!(rows(&app, "1 = 1").await, 1);
    let unchanged = app.get(&format!("/books-authors/{}", existing["id"])).await;
    assert_eq!(unchanged.json()["royalties"], "0.2");
}

async fn royalties_are_read_and_changed_through_the_relation(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let relation = relate(&app, book, author, None).await;
    let path = format!("/books-authors/{}", relation["id"]);

    let patched = app.patch(&path, json!({ "royalties": "0.30" })).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["royalties"], "0.30");
    assert_eq!(app.get(&path).await.json()["royalties"], "0.30");

    let mut replacement = app.get(&path).await.json();
    replacement["royalties"] = json!("0.45");
    let put = app.put(&path, replacement).await;
    put.assert_status(200);
    assert_eq!(put.json()["royalties"], "0.45");
    assert_eq!(put.json()["bookId"], book);
    assert_eq!(royalties_units(&app, book).await, 4500);

    let merge = app
        .send(
            Method::PATCH,
            &path,
            &[],
            Some((
                "application/merge-patch+json",
                json!({ "royalties": null }).to_string(),
            )),
        )
        .await;
    merge.assert_status(200);
    assert_eq!(merge.json()["royalties"], Value::Null);
    assert_eq!(royalties_units(&app, book).await, 0);

    app.get("/books-authors/9999").await.assert_problem(404);
    app.patch("/books-authors/9999", json!({ "royalties": "0.1" }))
        .await
        .assert_problem(404);
}

async fn the_book_and_author_of_a_relation_cannot_change(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let other_book = new_book(&app, "Emma").await;
    let author = new_author(&app, "Frank Herbert").await;
    let other_author = new_author(&app, "Jane Austen").await;
    let relation = relate(&app, book, author, Some("0.5")).await;
    let path = format!("/books-authors/{}", relation["id"]);

    for body in [
        json!({ "bookId": other_book }),
        json!({ "authorId": other_author }),
        json!({ "book_id": other_book, "royalties": "0.1" }),
        json!({ "book": format!("/books/{other_book}") }),
        json!({ "author": format!("/authors/{other_author}") }),
    ] {
        let reply = app.patch(&path, body.clone()).await;
        reply.assert_problem(400);
    }
    let mut moved = relation.clone();
    moved["authorId"] = json!(other_author);
    app.put(&path, moved).await.assert_problem(400);
    assert_eq!(app.get(&path).await.json(), relation);
    assert_eq!(
        rows(
            &app,
            &format!("book_id = {book} AND author_id = {author} AND royalties_units = 5000")
        )
        .await,
        1
    );

    let same = app
        .patch(
            &path,
            json!({ "bookId": book, "author": format!("/authors/{author}"), "royalties": "0.6" }),
        )
        .await;
    same.assert_status(200);
    assert_eq!(same.json()["royalties"], "0.6");
    let own = app.get(&path).await.json();
    let put = app.put(&path, own.clone()).await;
    put.assert_status(200);
    assert_eq!(put.json(), own);
}

async fn deleting_a_relation_unlinks_its_book_and_author(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let relation = relate(&app, book, author, Some("0.5")).await;
    let path = format!("/books-authors/{}", relation["id"]);

    let reply = app.delete(&path).await;

    reply.assert_status(204);
    app.get(&path).await.assert_problem(404);
    app.delete(&path).await.assert_problem(404);
    assert!(linked(&app, &format!("/books/{book}"), "authors")
        .await
        .is_empty());
    assert!(linked(&app, &format!("/authors/{author}"), "books")
        .await
        .is_empty());
    app.get(&format!("/books/{book}/authors/{author}"))
        .await
        .assert_problem(404);
    assert_eq!(rows(&app, "1 = 1").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM books").await, 1);
}

async fn the_relations_can_be_narrowed_by_book_and_author(app: TestApp) {
    let b1 = new_book(&app, "One").await;
    let b2 = new_book(&app, "Two").await;
    let a1 = new_author(&app, "A").await;
    let a2 = new_author(&app, "B").await;
    let a3 = new_author(&app, "C").await;
    let r11 = relate(&app, b1, a1, None).await["id"].as_i64().unwrap();
    let r12 = relate(&app, b1, a2, None).await["id"].as_i64().unwrap();
    let r22 = relate(&app, b2, a2, None).await["id"].as_i64().unwrap();
    let r23 = relate(&app, b2, a3, None).await["id"].as_i64().unwrap();
    let a3_url = encode(&app.url(&format!("/authors/{a3}")));

    assert_eq!(relation_ids(&app, "").await, vec![r11, r12, r22, r23]);
    assert_eq!(
        relation_ids(&app, &format!("book_id={b1}")).await,
        vec![r11, r12]
    );
    assert_eq!(
        relation_ids(&app, &format!("bookId={b2}")).await,
        vec![r22, r23]
    );
    assert_eq!(
        relation_ids(&app, &format!("author_id={a2}")).await,
        vec![r12, r22]
    );
    assert_eq!(
        relation_ids(&app, &format!("book=%2Fbooks%2F{b2}")).await,
        vec![r22, r23]
    );
    assert_eq!(
        relation_ids(&app, &format!("author={a3_url}")).await,
        vec![r23]
    );
    assert_eq!(
        relation_ids(&app, &format!("book_id={b1}&author=%2Fauthors%2F{a2}")).await,
        vec![r12]
    );
    assert!(relation_ids(&app, &format!("book_id={b1}&author_id={a3}"))
        .await
        .is_empty());
    app.patch(
        &format!("/books-authors/{r12}"),
        json!({ "royalties": "0.25" }),
    )
    .await
    .assert_status(200);
    app.patch(
        &format!("/books-authors/{r22}"),
        json!({ "royalties": "0.3" }),
    )
    .await
    .assert_status(200);
    assert_eq!(
        relation_ids(
            &app,
            "filter=royalties%20%3E%3D%200.25%20AND%20royalties%20%3C%200.3"
        )
        .await,
        vec![r12]
    );
    assert_eq!(
        relation_ids(
            &app,
            &format!("author_id={a2}&filter=royalties%20%3E%200.25")
        )
        .await,
        vec![r22]
    );
    // The book's own link to its relations narrows the same way.
    let book_link = app.get(&format!("/books/{b1}")).await.json()["_links"]["books-authors"]
        ["href"]
        .as_str()
        .expect("books-authors link")
        .to_owned();
    let via_link = app.get(book_link.trim_start_matches(&app.address)).await;
    via_link.assert_status(200);
    assert_eq!(
        ids(&via_link.json()["_embedded"]["books-authors"]),
        vec![r11, r12]
    );

    for query in [
        "book_id=",
        "book_id=abc",
        "author_id=-1",
        "book=%2Fauthors%2F1",
        "colour=red",
    ] {
        let reply = app.get(&format!("/books-authors?{query}")).await;
        reply.assert_problem(400);
    }
}

async fn bulk_delete_removes_only_the_matching_relations(app: TestApp) {
    let b1 = new_book(&app, "One").await;
    let b2 = new_book(&app, "Two").await;
    let a1 = new_author(&app, "A").await;
    let a2 = new_author(&app, "B").await;
    relate(&app, b1, a1, None).await;
    relate(&app, b1, a2, Some("0.5")).await;
    let kept = relate(&app, b2, a2, None).await;

    let reply = app.delete(&format!("/books-authors?book_id={b1}")).await;

    reply.assert_status(200);
    assert_eq!(reply.json(), json!({ "deletedCount": 2 }));
    assert_eq!(rows(&app, &format!("book_id = {b1}")).await, 0);
    assert_eq!(rows(&app, "1 = 1").await, 1);
    assert!(linked(&app, &format!("/books/{b1}"), "authors")
        .await
        .is_empty());
    assert_eq!(
        relation_ids(&app, "").await,
        vec![kept["id"].as_i64().unwrap()]
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 2);
    let again = app.delete(&format!("/books-authors?book_id={b1}")).await;
    again.assert_status(200);
    assert_eq!(again.json(), json!({ "deletedCount": 0 }));
}

async fn bulk_delete_narrows_by_hyperlinks_and_combinations(app: TestApp) {
    let b1 = new_book(&app, "One").await;
    let b2 = new_book(&app, "Two").await;
    let a1 = new_author(&app, "A").await;
    let a2 = new_author(&app, "B").await;
    let a3 = new_author(&app, "C").await;
    relate(&app, b1, a1, None).await;
    relate(&app, b1, a2, None).await;
    relate(&app, b2, a2, None).await;
    relate(&app, b2, a3, None).await;
    relate(&app, b1, a3, None).await;

    let by_author = app
        .delete(&format!("/books-authors?author=%2Fauthors%2F{a2}"))
        .await;
    by_author.assert_status(200);
    assert_eq!(by_author.json(), json!({ "deletedCount": 2 }));
    assert_eq!(rows(&app, &format!("author_id = {a2}")).await, 0);
    assert_eq!(rows(&app, "1 = 1").await, 3);

    let b2_url = encode(&app.url(&format!("/books/{b2}")));
    let combined = app
        .delete(&format!("/books-authors?book={b2_url}&authorId={a3}"))
        .await;
    combined.assert_status(200);
    assert_eq!(combined.json(), json!({ "deletedCount": 1 }));
    assert_eq!(rows(&app, &format!("author_id = {a3}")).await, 1);
    assert_eq!(rows(&app, &format!("book_id = {b1}")).await, 2);
}

async fn bulk_delete_without_narrowing_is_400_and_deletes_nothing(app: TestApp) {
    let book = new_book(&app, "One").await;
    let author = new_author(&app, "A").await;
    relate(&app, book, author, None).await;

    for query in [
        "",
        "?",
        "?book_id=",
        "?colour=red",
        "?maxPageSize=10",
        "?filter=id%20%3E%200",
        &format!("?book_id={book}&colour=red"),
        "?book=%2Fauthors%2F1",
    ] {
        let reply = app.delete(&format!("/books-authors{query}")).await;
        reply.assert_problem(400);
    }
    assert_eq!(rows(&app, "1 = 1").await, 1);
}

// ---------------------------------------------------------------------------------------
// Integrity: the royalties ceiling and deletes
// ---------------------------------------------------------------------------------------

async fn one_books_royalties_never_add_up_to_more_than_one(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let other_book = new_book(&app, "Other").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    let a3 = new_author(&app, "Third").await;
    relate(&app, book, a1, Some("0.6")).await;

    let over = app
        .post(
            "/books-authors",
            json!({ "bookId": book, "authorId": a2, "royalties": "0.5" }),
        )
        .await;

    over.assert_problem(409);
    assert_eq!(
        rows(&app, &format!("book_id = {book} AND author_id = {a2}")).await,
        0
    );
    assert_eq!(royalties_units(&app, book).await, 6000);
    // Exactly 1 is allowed; anything more is not; another book has its own ceiling.
    relate(&app, book, a2, Some("0.4")).await;
    app.post(
        "/books-authors",
        json!({ "bookId": book, "authorId": a3, "royalties": "0.0001" }),
    )
    .await
    .assert_problem(409);
    relate(&app, book, a3, None).await;
    relate(&app, other_book, a2, Some("0.5")).await;
    assert_eq!(royalties_units(&app, book).await, 10_000);
    assert_eq!(royalties_units(&app, other_book).await, 5000);
}

async fn raising_royalties_over_the_ceiling_is_409_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    let first = relate(&app, book, a1, Some("0.6")).await;
    let second = relate(&app, book, a2, Some("0.3")).await;
    let second_path = format!("/books-authors/{}", second["id"]);

    let patched = app.patch(&second_path, json!({ "royalties": "0.5" })).await;
    let mut replacement = second.clone();
    replacement["royalties"] = json!("0.41");
    let put = app.put(&second_path, replacement).await;

    patched.assert_problem(409);
    put.assert_problem(409);
    assert_eq!(app.get(&second_path).await.json()["royalties"], "0.3");
    assert_eq!(royalties_units(&app, book).await, 9000);
    // A relation's own old share does not count against its new one: 0.7 + 0.3 = 1.
    let raised = app
        .patch(
            &format!("/books-authors/{}", first["id"]),
            json!({ "royalties": "0.7" }),
        )
        .await;
    raised.assert_status(200);
    assert_eq!(royalties_units(&app, book).await, 10_000);
}

async fn deleting_a_book_removes_its_relations_but_not_its_authors(app: TestApp) {
    let book = new_book(&app, "Good Omens").await;
    let other = new_book(&app, "Other").await;
    let a1 = new_author(&app, "Terry Pratchett").await;
    let a2 = new_author(&app, "Neil Gaiman").await;
    relate(&app, book, a1, Some("0.5")).await;
    link(&app, book, a2).await;
    link(&app, other, a2).await;

    let reply = app.delete(&format!("/books/{book}")).await;

    reply.assert_status(204);
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 0);
    assert_eq!(rows(&app, &format!("book_id = {other}")).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 2);
    assert!(linked(&app, &format!("/authors/{a1}"), "books")
        .await
        .is_empty());
    assert_eq!(
        linked(&app, &format!("/authors/{a2}"), "books").await,
        vec![app.url(&format!("/books/{other}"))]
    );
    assert!(relation_ids(&app, &format!("author_id={a1}"))
        .await
        .is_empty());
}

async fn deleting_an_author_removes_its_relations_but_not_its_books(app: TestApp) {
    let b1 = new_book(&app, "One").await;
    let b2 = new_book(&app, "Two").await;
    let author = new_author(&app, "Gone").await;
    let stays = new_author(&app, "Stays").await;
    relate(&app, b1, author, Some("0.5")).await;
    link(&app, b2, author).await;
    link(&app, b1, stays).await;

    let reply = app.delete(&format!("/authors/{author}")).await;

    reply.assert_status(204);
    assert_eq!(rows(&app, &format!("author_id = {author}")).await, 0);
    assert_eq!(rows(&app, "1 = 1").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM books").await, 2);
    assert_eq!(
        linked(&app, &format!("/books/{b1}"), "authors").await,
        vec![app.url(&format!("/authors/{stays}"))]
    );
    assert!(linked(&app, &format!("/books/{b2}"), "authors")
        .await
        .is_empty());
    // The deleted author's share is free again: the remaining author may take it all.
    let remaining = relation_ids(&app, &format!("book_id={b1}&author_id={stays}")).await;
    app.patch(
        &format!("/books-authors/{}", remaining[0]),
        json!({ "royalties": "1" }),
    )
    .await
    .assert_status(200);
}

// ---------------------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------------------

async fn racing_posts_of_one_pair_create_exactly_one_relation(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let url = app.url("/books-authors");
    let requests = (0..32)
        .map(|_| {
            app.client
                .post(&url)
                .json(&json!({ "bookId": book, "authorId": author }))
        })
        .collect();

    let statuses = race(requests).await;

    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 409), 31, "{statuses:?}");
    assert_eq!(rows(&app, "1 = 1").await, 1);
}

/// Writes that race, some of them failing: each failure changes nothing and every
/// success is kept (on SQLite they are committed in groups, each in its own savepoint).
async fn racing_writes_keep_every_success_and_nothing_of_a_failure(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let mut authors = Vec::new();
    for i in 0..9 {
        authors.push(new_author(&app, &format!("Author {i}")).await);
    }
    let cross = app.url("/books-authors");
    let mut requests = Vec::new();
    for author in &authors[1..] {
        requests.push(
            app.client
                .put(app.url(&format!("/books/{book}/authors/{author}"))),
        );
    }
    for _ in 0..8 {
        requests.push(
            app.client
                .post(&cross)
                .json(&json!({ "bookId": book, "authorId": authors[0], "royalties": "0.1" })),
        );
    }
    for _ in 0..8 {
        requests.push(
            app.client
                .put(app.url(&format!("/books/{book}/authors/999999"))),
        );
    }

    let statuses = race(requests).await;

    assert_eq!(count(&statuses[..8], 201), 8, "{statuses:?}");
    assert_eq!(count(&statuses[8..16], 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses[8..16], 409), 7, "{statuses:?}");
    assert_eq!(count(&statuses[16..], 404), 8, "{statuses:?}");
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 9);
    assert_eq!(rows(&app, "author_id = 999999").await, 0);
    assert_eq!(royalties_units(&app, book).await, 1000);
    let mut expected: Vec<String> = authors
        .iter()
        .map(|a| app.url(&format!("/authors/{a}")))
        .collect();
    expected.sort();
    let mut shown = linked(&app, &format!("/books/{book}"), "authors").await;
    shown.sort();
    assert_eq!(shown, expected);
    // The other side agrees: each linked author lists the book, the missing one nothing.
    let book_url = app.url(&format!("/books/{book}"));
    for author in &authors {
        assert_eq!(
            linked(&app, &format!("/authors/{author}"), "books").await,
            vec![book_url.clone()]
        );
    }
    app.get("/authors/999999").await.assert_status(404);
}

async fn racing_puts_of_one_link_create_exactly_one_row(app: TestApp) {
    let book = new_book(&app, "Dune").await;
    let author = new_author(&app, "Frank Herbert").await;
    let url = app.url(&format!("/books/{book}/authors/{author}"));
    let requests = (0..32).map(|_| app.client.put(&url)).collect();

    let statuses = race(requests).await;

    assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
    assert_eq!(count(&statuses, 200), 31, "{statuses:?}");
    assert_eq!(rows(&app, "1 = 1").await, 1);
    assert_eq!(
        linked(&app, &format!("/books/{book}"), "authors").await,
        vec![app.url(&format!("/authors/{author}"))]
    );
}

async fn racing_royalties_posts_never_pass_the_ceiling(app: TestApp) {
    let book = new_book(&app, "Anthology").await;
    let mut authors = Vec::new();
    for i in 0..10 {
        authors.push(new_author(&app, &format!("Author {i}")).await);
    }
    let url = app.url("/books-authors");
    let requests = authors
        .iter()
        .map(|author| {
            app.client
                .post(&url)
                .json(&json!({ "bookId": book, "authorId": author, "royalties": "0.3" }))
        })
        .collect();

    let statuses = race(requests).await;

    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, 201), 3, "{statuses:?}");
    assert!(royalties_units(&app, book).await <= 10_000);
    assert_eq!(royalties_units(&app, book).await, 9000);
    assert_eq!(rows(&app, &format!("book_id = {book}")).await, 3);
}

async fn racing_royalties_patches_never_pass_the_ceiling(app: TestApp) {
    let book = new_book(&app, "Anthology").await;
    let mut relations = Vec::new();
    for i in 0..10 {
        let author = new_author(&app, &format!("Author {i}")).await;
        relations.push(
            relate(&app, book, author, None).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let requests = relations
        .iter()
        .map(|id| {
            app.client
                .patch(app.url(&format!("/books-authors/{id}")))
                .json(&json!({ "royalties": "0.3" }))
        })
        .collect();

    let statuses = race(requests).await;

    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, 200), 3, "{statuses:?}");
    assert!(royalties_units(&app, book).await <= 10_000);
    assert_eq!(royalties_units(&app, book).await, 9000);
}

async fn racing_creates_and_raises_of_royalties_never_pass_the_ceiling(app: TestApp) {
    let book = new_book(&app, "Anthology").await;
    let mut existing = Vec::new();
    let mut fresh = Vec::new();
    for i in 0..6 {
        let author = new_author(&app, &format!("Author {i}")).await;
        if i % 2 == 0 {
            existing.push(
                relate(&app, book, author, Some("0")).await["id"]
                    .as_i64()
                    .unwrap(),
            );
        } else {
            fresh.push(author);
        }
    }
    let mut requests: Vec<reqwest::RequestBuilder> = Vec::new();
    for (id, author) in existing.iter().zip(&fresh) {
        requests.push(
            app.client
                .patch(app.url(&format!("/books-authors/{id}")))
                .json(&json!({ "royalties": "0.45" })),
        );
        requests.push(
            app.client
                .post(app.url("/books-authors"))
                .json(&json!({ "bookId": book, "authorId": author, "royalties": "0.45" })),
        );
    }

    let statuses = race(requests).await;

    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 201 | 409)),
        "{statuses:?}"
    );
    assert_eq!(count(&statuses, 409), 4, "{statuses:?}");
    assert_eq!(royalties_units(&app, book).await, 9000);
}

async fn racing_mirror_patches_link_each_pair_once(app: TestApp) {
    let mut pairs = Vec::new();
    for i in 0..8 {
        let book = new_book(&app, &format!("Book {i}")).await;
        let author = new_author(&app, &format!("Author {i}")).await;
        pairs.push((book, author));
    }
    // Each pair is set from both ends at once: the book's PATCH and the author's PATCH
    // each lock their own row and then insert the same relation.
    let mut requests = Vec::new();
    for (book, author) in &pairs {
        requests.push(
            app.client
                .patch(app.url(&format!("/books/{book}")))
                .json(&json!({ "authors": [author] })),
        );
        requests.push(
            app.client
                .patch(app.url(&format!("/authors/{author}")))
                .json(&json!({ "books": [book] })),
        );
    }

    let statuses = race(requests).await;

    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    for (book, author) in &pairs {
        assert_eq!(
            rows(&app, &format!("book_id = {book} AND author_id = {author}")).await,
            1
        );
    }
    assert_eq!(rows(&app, "1 = 1").await, 8);
}

async fn racing_royalties_against_deleting_the_book_never_fails(app: TestApp) {
    let mut cases = Vec::new();
    for i in 0..16 {
        let book = new_book(&app, &format!("Book {i}")).await;
        let author = new_author(&app, &format!("Author {i}")).await;
        let relation = relate(&app, book, author, None).await["id"]
            .as_i64()
            .unwrap();
        cases.push((book, relation));
    }
    let mut requests = Vec::new();
    for (book, relation) in &cases {
        requests.push(
            app.client
                .patch(app.url(&format!("/books-authors/{relation}")))
                .json(&json!({ "royalties": "0.5" })),
        );
        requests.push(app.client.delete(app.url(&format!("/books/{book}"))));
    }

    let statuses = race(requests).await;

    // The PATCH comes before the delete (200) or finds its relation gone (404).
    for pair in statuses.chunks(2) {
        assert!(matches!(pair[0], 200 | 404), "{statuses:?}");
        assert_eq!(pair[1], 204, "{statuses:?}");
    }
    assert_eq!(rows(&app, "1 = 1").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM authors").await, 16);
}

async fn racing_royalties_against_replacing_the_authors_never_fails(app: TestApp) {
    let mut cases = Vec::new();
    for i in 0..16 {
        let book = new_book(&app, &format!("Book {i}")).await;
        let leaving = new_author(&app, &format!("Leaving {i}")).await;
        let arriving = new_author(&app, &format!("Arriving {i}")).await;
        let relation = relate(&app, book, leaving, None).await["id"]
            .as_i64()
            .unwrap();
        cases.push((book, arriving, relation));
    }
    let mut requests = Vec::new();
    for (book, arriving, relation) in &cases {
        requests.push(
            app.client
                .patch(app.url(&format!("/books-authors/{relation}")))
                .json(&json!({ "royalties": "0.5" })),
        );
        requests.push(
            app.client
                .patch(app.url(&format!("/books/{book}")))
                .json(&json!({ "authors": [arriving] })),
        );
    }

    let statuses = race(requests).await;

    for pair in statuses.chunks(2) {
        assert!(matches!(pair[0], 200 | 404), "{statuses:?}");
        assert_eq!(pair[1], 200, "{statuses:?}");
    }
    for (book, arriving, _) in &cases {
        assert_eq!(rows(&app, &format!("book_id = {book}")).await, 1);
        assert_eq!(
            rows(
                &app,
                &format!("book_id = {book} AND author_id = {arriving}")
            )
            .await,
            1
        );
    }
}

on_both_backends!(
    racing_writes_keep_every_success_and_nothing_of_a_failure,
    patching_a_books_authors_sets_exactly_that_set,
    patching_hal_links_sets_the_authors_too,
    relations_that_stay_keep_their_id_and_royalties,
    patching_with_an_unknown_author_is_422_and_changes_nothing,
    patching_with_a_malformed_reference_is_400_and_changes_nothing,
    patching_an_authors_books_is_the_mirror_image,
    patching_with_an_empty_array_unlinks_every_author,
    a_books_authors_are_listed_in_pages_ordered_by_id,
    putting_an_author_link_is_201_then_200_and_returns_the_book,
    putting_a_link_to_an_unknown_book_or_author_is_404,
    unlinking_an_author_is_204_then_404,
    reading_an_author_under_a_book_needs_them_linked,
    putting_a_uri_list_replaces_the_authors,
    posting_a_uri_list_adds_authors,
    a_bad_uri_list_is_refused_and_changes_nothing,
    posting_an_author_to_a_book_creates_and_links_it,
    posting_an_invalid_author_to_a_book_creates_nothing,
    the_author_side_mirrors_linking_and_reading,
    the_author_side_mirrors_uri_lists_and_creation,
    a_uri_list_error_names_the_line_as_sent,
    sub_resources_answer_405_with_allow_for_other_methods,
    item_link_arrays_stop_at_100_and_the_collection_has_the_rest,
    embedding_returns_the_related_resources_in_full,
    a_relation_has_ids_royalties_and_links,
    a_relation_can_be_created_with_ids_in_either_spelling,
    creating_a_relation_to_nothing_is_422_and_a_bad_body_400,
    relating_the_same_pair_twice_is_a_conflict_by_any_path,
    royalties_come_back_exactly_as_written,
    royalties_outside_zero_to_one_or_too_precise_are_400,
    royalties_are_read_and_changed_through_the_relation,
    the_book_and_author_of_a_relation_cannot_change,
    deleting_a_relation_unlinks_its_book_and_author,
    the_relations_can_be_narrowed_by_book_and_author,
    bulk_delete_removes_only_the_matching_relations,
    bulk_delete_narrows_by_hyperlinks_and_combinations,
    bulk_delete_without_narrowing_is_400_and_deletes_nothing,
    one_books_royalties_never_add_up_to_more_than_one,
    raising_royalties_over_the_ceiling_is_409_and_changes_nothing,
    deleting_a_book_removes_its_relations_but_not_its_authors,
    deleting_an_author_removes_its_relations_but_not_its_books,
    racing_posts_of_one_pair_create_exactly_one_relation,
    racing_puts_of_one_link_create_exactly_one_row,
    racing_royalties_posts_never_pass_the_ceiling,
    racing_royalties_patches_never_pass_the_ceiling,
    racing_creates_and_raises_of_royalties_never_pass_the_ceiling,
    racing_mirror_patches_link_each_pair_once,
    racing_royalties_against_deleting_the_book_never_fails,
    racing_royalties_against_replacing_the_authors_never_fails,
);
