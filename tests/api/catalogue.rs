//! Books and authors: CRUD and the conventions they show (§1 applied to §2).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{hrefs, property_names, spawn_with, Reply, TestApp};
use crate::on_both_backends;

// ----------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------

/// Creates a book through the API and returns its id.
async fn new_book(app: &TestApp, title: &str, price: &str) -> i64 {
    let book = app
        .create("/books", json!({"title": title, "price": price}))
        .await;
    book["id"].as_i64().expect("a book id")
}

/// Creates an author through the API and returns its id.
async fn new_author(app: &TestApp, name: &str) -> i64 {
    let author = app.create("/authors", json!({"name": name})).await;
    author["id"].as_i64().expect("an author id")
}

/// Links an author to a book through the sub-resource (§2b), asserting success.
async fn link(app: &TestApp, book: i64, author: i64) {
    app.link(&format!("/books/{book}/authors/{author}")).await;
}

/// The path and query of an absolute link of this app (asserting that it is absolute).
fn path_of(app: &TestApp, href: &Value) -> String {
    let href = href.as_str().expect("href is a string");
    href.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{href} is not an absolute link to {}", app.address))
        .to_owned()
}

/// Sends a JSON body with extra headers.
async fn send_json(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> Reply {
    app.send(
        method,
        path,
        headers,
        Some(("application/json", body.to_string())),
    )
    .await
}

/// The ids of the items embedded in a collection page under `rel`.
fn item_ids(page: &Value, rel: &str) -> Vec<i64> {
    page["_embedded"][rel]
        .as_array()
        .unwrap_or_else(|| panic!("no _embedded.{rel} in {page}"))
        .iter()
        .map(|item| item["id"].as_i64().expect("item id"))
        .collect()
}

/// Book ids of `GET /books?filter=...`, one page of up to 1000.
async fn filtered(app: &TestApp, filter: &str) -> Vec<i64> {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("filter", filter)
        .append_pair("maxPageSize", "1000")
        .finish();
    let reply = app.get(&format!("/books?{query}")).await;
    reply.assert_status(200);
    item_ids(&reply.json(), "books")
}

/// The first `errors[].field` of a problem.
fn first_field(problem: &Value) -> &str {
    problem["errors"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no errors[].field in {problem}"))
}

/// A response's `Allow` header as a set of methods.
fn allowed(reply: &Reply) -> BTreeSet<String> {
    reply
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header (status {})", reply.status))
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect()
}

/// A set of method names, to compare with [`allowed`].
fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

// ----------------------------------------------------------------------------------
// CRUD
// ----------------------------------------------------------------------------------

async fn creating_a_book_returns_201_with_location_and_links(app: TestApp) {
    let reply = app
        .post("/books", json!({"title": "Dune", "price": "9.99"}))
        .await;
    reply.assert_status(201);
    let book = reply.json();
    let id = book["id"].as_i64().unwrap();
    assert_eq!(
        reply.header("location").unwrap(),
        app.url(&format!("/books/{id}"))
    );
    assert_eq!(reply.content_type(), "application/hal+json");
    assert_eq!(book["title"], "Dune");
    assert_eq!(book["price"], "9.99");
    assert_eq!(
        book["_links"]["self"]["href"],
        app.url(&format!("/books/{id}"))
    );
    assert_eq!(hrefs(&book["_links"]["authors"]), Vec::<String>::new());
    assert_eq!(
        book["_links"]["collection/authors"]["href"],
        app.url(&format!("/books/{id}/authors"))
    );
    assert_eq!(
        book["_links"]["books-authors"]["href"],
        app.url(&format!("/books-authors?book_id={id}"))
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM books WHERE title = 'Dune'")
            .await,
        1
    );
}

async fn a_book_created_without_price_costs_zero(app: TestApp) {
    let reply = app.post("/books", json!({"title": "Free"})).await;

    reply.assert_status(201);
    assert_eq!(reply.json()["price"], "0.00");
}

async fn creating_an_author_returns_201_with_location_and_links(app: TestApp) {
    let reply = app.post("/authors", json!({"name": "Frank Herbert"})).await;

    reply.assert_status(201);
    let author = reply.json();
    let id = author["id"].as_i64().unwrap();
    let self_href = app.url(&format!("/authors/{id}"));
    assert_eq!(reply.header("location").unwrap(), self_href);
    assert_eq!(reply.content_type(), "application/hal+json");
    assert!(reply.header("etag").is_some());
    assert_eq!(author["name"], "Frank Herbert");
    assert_eq!(author["_links"]["self"]["href"], self_href);
    assert_eq!(hrefs(&author["_links"]["books"]), Vec::<String>::new());
    assert_eq!(
        author["_links"]["collection/books"]["href"],
        app.url(&format!("/authors/{id}/books"))
    );
    assert_eq!(
        author["_links"]["books-authors"]["href"],
        app.url(&format!("/books-authors?author_id={id}"))
    );
    assert_eq!(app.count("authors").await, 1);
}

async fn reading_a_book_returns_what_was_created(app: TestApp) {
    let created = app
        .create("/books", json!({"title": "Emma", "price": "4.50"}))
        .await;
    let id = created["id"].as_i64().unwrap();

    let reply = app.get(&format!("/books/{id}")).await;

    reply.assert_status(200);
    assert_eq!(reply.content_type(), "application/hal+json");
    assert_eq!(reply.json(), created);
}

async fn reading_an_author_lists_its_books_titled(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;
    link(&app, book, author).await;

    let reply = app.get(&format!("/authors/{author}")).await;

    reply.assert_status(200);
    let body = reply.json();
    assert_eq!(body["name"], "Frank Herbert");
    assert_eq!(
        body["_links"]["books"],
        json!([{"href": app.url(&format!("/books/{book}")), "title": "Dune"}])
    );
}

async fn putting_a_books_own_get_body_succeeds_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;
    link(&app, book, author).await;
    let path = format!("/books/{book}");
    let before = app.get(&path).await;

    let reply = app.put(&path, before.json()).await;

    reply.assert_status(200);
    assert_eq!(reply.json(), before.json());
    assert_eq!(reply.header("etag"), before.header("etag"));
    // `_links.authors` in a PUT body is ignored: the author stays linked.
    assert_eq!(app.count("books_authors").await, 1);
}

async fn putting_own_bodies_with_embedded_and_templates_succeeds(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;
    link(&app, book, author).await;
    let embedded = app
        .get(&format!("/books/{book}?embed=authors"))
        .await
        .json();
    let forms = app
        .send(
            Method::GET,
            &format!("/authors/{author}"),
            &[("accept", "application/prs.hal-forms+json")],
            None,
        )
        .await
        .json();
    assert!(embedded["_embedded"]["authors"].is_array());
    assert!(forms["_templates"].is_object());

    let book_reply = app.put(&format!("/books/{book}"), embedded).await;
    let author_reply = app.put(&format!("/authors/{author}"), forms).await;

    book_reply.assert_status(200);
    author_reply.assert_status(200);
    assert_eq!(author_reply.json()["name"], "Frank Herbert");
    assert_eq!(app.count("books").await, 1);
    assert_eq!(app.count("authors").await, 1);
    assert_eq!(app.count("books_authors").await, 1);
}

async fn put_replaces_the_book_and_resets_an_omitted_price(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let reply = app.put(&path, json!({"title": "Dune Messiah"})).await;

    reply.assert_status(200);
    let body = reply.json();
    assert_eq!(body["id"], book);
    assert_eq!(body["title"], "Dune Messiah");
    assert_eq!(body["price"], "0.00");
    assert_eq!(app.get(&path).await.json(), body);
}

async fn put_without_the_required_title_is_400_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let reply = app
        .put(&format!("/books/{book}"), json!({"price": "1.00"}))
        .await;

    let problem = reply.assert_problem(400);
    assert_eq!(first_field(&problem), "title");
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM books WHERE title = 'Dune' AND price_cents = 999")
            .await,
        1
    );
}

async fn patch_merges_only_the_given_properties(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let reply = app.patch(&path, json!({"price": "12.50"})).await;

    reply.assert_status(200);
    let body = reply.json();
    assert_eq!(body["title"], "Dune");
    assert_eq!(body["price"], "12.50");
    assert_eq!(app.get(&path).await.json(), body);
}

async fn patch_accepts_the_merge_patch_media_type(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank").await;

    let book_reply = app
        .send(
            Method::PATCH,
            &format!("/books/{book}"),
            &[],
            Some((
                "application/merge-patch+json",
                json!({"title": "Dune (1965)"}).to_string(),
            )),
        )
        .await;
    let author_reply = app
        .send(
            Method::PATCH,
            &format!("/authors/{author}"),
            &[],
            Some((
                "application/merge-patch+json; charset=utf-8",
                json!({"name": "Frank Herbert"}).to_string(),
            )),
        )
        .await;

    book_reply.assert_status(200);
    assert_eq!(book_reply.json()["title"], "Dune (1965)");
    assert_eq!(book_reply.json()["price"], "9.99");
    author_reply.assert_status(200);
    assert_eq!(author_reply.json()["name"], "Frank Herbert");
}

async fn patch_with_null_resets_an_optional_property_and_refuses_a_required_one(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let reset = app.patch(&path, json!({"price": null})).await;
    let refused = app.patch(&path, json!({"title": null})).await;

    reset.assert_status(200);
    assert_eq!(reset.json()["price"], "0.00");
    assert_eq!(reset.json()["title"], "Dune");
    let problem = refused.assert_problem(400);
    assert_eq!(first_field(&problem), "title");
    assert_eq!(app.get(&path).await.json()["title"], "Dune");
}

async fn an_empty_patch_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");
    let before = app.get(&path).await;

    let reply = app.patch(&path, json!({})).await;

    reply.assert_status(200);
    assert_eq!(reply.json(), before.json());
    assert_eq!(reply.header("etag"), before.header("etag"));
}

async fn authors_are_replaced_and_patched_like_books(app: TestApp) {
    let author = new_author(&app, "F. Herbert").await;
    let path = format!("/authors/{author}");

    let put = app.put(&path, json!({"name": "Frank Herbert"})).await;
    let patched = app.patch(&path, json!({"name": "Frank P. Herbert"})).await;

    put.assert_status(200);
    assert_eq!(put.json()["name"], "Frank Herbert");
    patched.assert_status(200);
    assert_eq!(patched.json()["name"], "Frank P. Herbert");
    assert_eq!(app.get(&path).await.json()["name"], "Frank P. Herbert");
}

async fn deleting_a_book_answers_204_and_then_404(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let reply = app.delete(&path).await;

    reply.assert_status(204);
    assert!(reply.text.is_empty());
    app.get(&path).await.assert_problem(404);
    app.delete(&path).await.assert_problem(404);
    assert_eq!(app.count("books").await, 0);
}

async fn deleting_an_author_answers_204_and_then_404(app: TestApp) {
    let author = new_author(&app, "Frank Herbert").await;
    let path = format!("/authors/{author}");

    app.delete(&path).await.assert_status(204);

    app.get(&path).await.assert_problem(404);
    assert_eq!(app.count("authors").await, 0);
}

async fn deleting_a_book_never_deletes_its_authors(app: TestApp) {
    let dune = new_book(&app, "Dune", "9.99").await;
    let messiah = new_book(&app, "Dune Messiah", "8.99").await;
    let author = new_author(&app, "Frank Herbert").await;
    link(&app, dune, author).await;
    link(&app, messiah, author).await;

    app.delete(&format!("/books/{dune}"))
        .await
        .assert_status(204);

    let reply = app.get(&format!("/authors/{author}")).await;
    reply.assert_status(200);
    assert_eq!(
        hrefs(&reply.json()["_links"]["books"]),
        vec![app.url(&format!("/books/{messiah}"))]
    );
    assert_eq!(app.count("authors").await, 1);
    assert_eq!(app.count("books_authors").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM books_authors WHERE book_id = {dune}"
        ))
        .await,
        0
    );
}

async fn deleting_an_author_never_deletes_its_books(app: TestApp) {
    let book = new_book(&app, "Good Omens", "9.99").await;
    let pratchett = new_author(&app, "Terry Pratchett").await;
    let gaiman = new_author(&app, "Neil Gaiman").await;
    link(&app, book, pratchett).await;
    link(&app, book, gaiman).await;

    app.delete(&format!("/authors/{pratchett}"))
        .await
        .assert_status(204);

    let reply = app.get(&format!("/books/{book}")).await;
    reply.assert_status(200);
    assert_eq!(
        hrefs(&reply.json()["_links"]["authors"]),
        vec![app.url(&format!("/authors/{gaiman}"))]
    );
    assert_eq!(app.count("books").await, 1);
    assert_eq!(app.count("books_authors").await, 1);
}

// ----------------------------------------------------------------------------------
// Validation
// ----------------------------------------------------------------------------------

async fn a_book_without_a_title_is_400_naming_the_field(app: TestApp) {
    let reply = app.post("/books", json!({"price": "9.99"})).await;

    let problem = reply.assert_problem(400);
    assert_eq!(first_field(&problem), "title");
    assert!(problem["errors"][0]["message"].is_string());
    assert_eq!(app.count("books").await, 0);
}

async fn an_empty_or_non_string_title_is_400(app: TestApp) {
    for body in [
        json!({"title": ""}),
        json!({"title": "   "}),
        json!({"title": 42}),
        json!({"title": ["Dune"]}),
        json!({"title": null}),
        json!({"title": "x".repeat(501)}),
    ] {
        let reply = app.post("/books", body.clone()).await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "title", "{body}");
    }
    assert_eq!(app.count("books").await, 0);
}

async fn a_nul_character_in_text_is_400(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let created = app.post("/books", json!({"title": "Du\u{0}ne"})).await;
    let patched = app
        .patch(&format!("/books/{book}"), json!({"title": "\u{0}"}))
        .await;
    let author = app.post("/authors", json!({"name": "Frank\u{0}"})).await;

    assert_eq!(first_field(&created.assert_problem(400)), "title");
    assert_eq!(first_field(&patched.assert_problem(400)), "title");
    assert_eq!(first_field(&author.assert_problem(400)), "name");
    assert_eq!(app.count("books").await, 1);
    assert_eq!(app.count("authors").await, 0);
}

async fn an_unknown_property_is_400_naming_it(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let created = app
        .post("/books", json!({"title": "Emma", "isbn": "978-0"}))
        .await;
    let patched = app
        .patch(&format!("/books/{book}"), json!({"subtitle": "x"}))
        .await;
    let author = app
        .post("/authors", json!({"name": "Jane", "born": 1775}))
        .await;

    assert_eq!(first_field(&created.assert_problem(400)), "isbn");
    assert_eq!(first_field(&patched.assert_problem(400)), "subtitle");
    assert_eq!(first_field(&author.assert_problem(400)), "born");
    assert_eq!(app.count("books").await, 1);
    assert_eq!(app.count("authors").await, 0);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["title"],
        "Dune"
    );
}

async fn a_storage_column_name_is_not_a_property(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let created = app
        .post("/books", json!({"title": "Emma", "price_cents": 500}))
        .await;
    let patched = app
        .patch(&format!("/books/{book}"), json!({"price_cents": "1.00"}))
        .await;

    assert_eq!(first_field(&created.assert_problem(400)), "price_cents");
    assert_eq!(first_field(&patched.assert_problem(400)), "price_cents");
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["price"],
        "9.99"
    );
}

async fn read_only_id_and_links_in_a_body_are_ignored(app: TestApp) {
    let reply = app
        .post(
            "/books",
            json!({
                "id": 999,
                "title": "Dune",
                "_links": {"self": {"href": "/books/999"}},
            }),
        )
        .await;
    reply.assert_status(201);
    let id = reply.json()["id"].as_i64().unwrap();
    assert_ne!(id, 999);
    app.get("/books/999").await.assert_problem(404);

    let put = app
        .put(
            &format!("/books/{id}"),
            json!({"id": 12345, "title": "Dune", "_links": {"self": {"href": "/books/12345"}}}),
        )
        .await;

    put.assert_status(200);
    assert_eq!(put.json()["id"], id);
    assert_eq!(
        put.json()["_links"]["self"]["href"],
        app.url(&format!("/books/{id}"))
    );
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.scalar(&format!("SELECT COUNT(*) AS id FROM books WHERE id = {id}"))
            .await,
        1
    );
}

async fn a_price_with_three_decimals_is_400(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let created = app
        .post("/books", json!({"title": "Emma", "price": "9.999"}))
        .await;
    let patched = app
        .patch(&format!("/books/{book}"), json!({"price": "1.005"}))
        .await;

    assert_eq!(first_field(&created.assert_problem(400)), "price");
    assert_eq!(first_field(&patched.assert_problem(400)), "price");
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["price"],
        "9.99"
    );
}

async fn a_malformed_or_negative_price_is_400(app: TestApp) {
    for price in [
        json!("abc"),
        json!("-1.00"),
        json!("1e3"),
        json!(" 9.99"),
        json!("9,99"),
        json!(true),
        json!({"amount": 1}),
        json!("99999999999999999999.00"),
    ] {
        let reply = app
            .post("/books", json!({"title": "Dune", "price": price}))
            .await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "price", "{price}");
    }
    assert_eq!(app.count("books").await, 0);
}

async fn prices_come_back_exactly_as_written(app: TestApp) {
    for (sent, expected) in [
        (json!("20.30"), "20.30"),
        (json!("0.07"), "0.07"),
        (json!("0.1"), "0.10"),
        (json!("19.99"), "19.99"),
        (json!("7"), "7.00"),
        (json!("92233720368547758.07"), "92233720368547758.07"),
        (json!(20.3), "20.30"),
    ] {
        let reply = app
            .post("/books", json!({"title": "Priced", "price": sent}))
            .await;

        reply.assert_status(201);
        assert_eq!(reply.json()["price"], expected, "sent {sent}");
        let id = reply.json()["id"].as_i64().unwrap();
        assert_eq!(
            app.get(&format!("/books/{id}")).await.json()["price"],
            expected,
            "sent {sent}"
        );
    }
}

async fn a_body_that_is_not_an_object_is_400(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    for body in ["[]", "\"Dune\"", "42", "null", "[{\"title\": \"Dune\"}]"] {
        let created = app
            .send(
                Method::POST,
                "/books",
                &[],
                Some(("application/json", body.into())),
            )
            .await;
        let patched = app
            .send(
                Method::PATCH,
                &format!("/books/{book}"),
                &[],
                Some(("application/json", body.into())),
            )
            .await;

        let problem = created.assert_problem(400);
        assert_eq!(first_field(&problem), "body", "{body}");
        patched.assert_problem(400);
    }
    assert_eq!(app.count("books").await, 1);
}

async fn invalid_json_is_400(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let deep = format!("{{\"title\": {}", "[".repeat(100_000));
    for body in [
        "{",
        "{\"title\": }",
        "{'title': 'x'}",
        "",
        "\u{feff}{}",
        "{\"title\": \"a\"} x",
        &deep,
    ] {
        let created = app
            .send(
                Method::POST,
                "/books",
                &[],
                Some(("application/json", body.into())),
            )
            .await;
        let put = app
            .send(
                Method::PUT,
                &format!("/books/{book}"),
                &[],
                Some(("application/json", body.into())),
            )
            .await;

        let problem = created.assert_problem(400);
        assert_eq!(
            first_field(&problem),
            "body",
            "{}",
            &body[..body.len().min(40)]
        );
        put.assert_problem(400);
    }
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["title"],
        "Dune"
    );
}

async fn a_body_in_another_media_type_is_415(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let body = json!({"title": "Emma"}).to_string();

    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/xml",
    ] {
        app.send(
            Method::POST,
            "/books",
            &[],
            Some((content_type, body.clone())),
        )
        .await
        .assert_problem(415);
        app.send(
            Method::PATCH,
            &format!("/books/{book}"),
            &[],
            Some((content_type, body.clone())),
        )
        .await
        .assert_problem(415);
    }
    // Without any Content-Type.
    let reply = app
        .client
        .post(app.url("/books"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 415);
    // merge-patch is for PATCH only.
    app.send(
        Method::POST,
        "/books",
        &[],
        Some(("application/merge-patch+json", body.clone())),
    )
    .await
    .assert_problem(415);
    app.send(
        Method::PUT,
        &format!("/books/{book}"),
        &[],
        Some(("application/merge-patch+json", body.clone())),
    )
    .await
    .assert_problem(415);
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["title"],
        "Dune"
    );
}

async fn hal_json_bodies_are_accepted(app: TestApp) {
    let reply = app
        .send(
            Method::POST,
            "/books",
            &[],
            Some(("application/hal+json", json!({"title": "Emma"}).to_string())),
        )
        .await;

    reply.assert_status(201);
    assert_eq!(reply.json()["title"], "Emma");
}

async fn a_body_over_256_kib_is_413_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let huge = json!({"title": "x".repeat(300 * 1024)}).to_string();

    let created = app
        .send(
            Method::POST,
            "/books",
            &[],
            Some(("application/json", huge.clone())),
        )
        .await;
    let put = app
        .send(
            Method::PUT,
            &format!("/books/{book}"),
            &[],
            Some(("application/json", huge)),
        )
        .await;

    created.assert_problem(413);
    put.assert_problem(413);
    assert_eq!(app.count("books").await, 1);
    assert_eq!(
        app.get(&format!("/books/{book}")).await.json()["title"],
        "Dune"
    );
}

async fn a_body_just_under_the_limit_is_read(app: TestApp) {
    // Whitespace keeps the title valid while the body approaches the limit.
    let padding = " ".repeat(250 * 1024);
    let body = format!("{{\"title\": \"Dune\",{padding}\"price\": \"1.00\"}}");

    let reply = app
        .send(
            Method::POST,
            "/books",
            &[],
            Some(("application/json", body)),
        )
        .await;

    reply.assert_status(201);
    assert_eq!(reply.json()["title"], "Dune");
}

async fn errors_never_show_sql_or_internals(app: TestApp) {
    let replies = [
        app.post(
            "/books",
            json!({"title": "x'); DROP TABLE books; --", "price": "1.001"}),
        )
        .await,
        app.get("/books?filter=title%20%3D%20%22%27%22%20AND").await,
        app.get("/books/18446744073709551616").await,
        app.get("/books?pageToken=AAAA").await,
    ];

    for reply in &replies {
        let problem = reply.assert_problem(reply.status);
        assert!((400..500).contains(&reply.status), "{}", reply.text);
        let text = problem.to_string().to_lowercase();
        for leak in [
            "select ", "insert ", "sqlite", "postgres", "diesel", "panicked", "src/",
        ] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
    assert_eq!(app.count("books").await, 0);
}

// ----------------------------------------------------------------------------------
// 404, 405, OPTIONS and CORS
// ----------------------------------------------------------------------------------

async fn an_unknown_id_is_404_for_every_method(app: TestApp) {
    new_book(&app, "Dune", "9.99").await;

    app.get("/books/999").await.assert_problem(404);
    app.get("/authors/999").await.assert_problem(404);
    app.put("/books/999", json!({"title": "x"}))
        .await
        .assert_problem(404);
    app.patch("/books/999", json!({"title": "x"}))
        .await
        .assert_problem(404);
    app.delete("/books/999").await.assert_problem(404);
    app.delete("/authors/999").await.assert_problem(404);
    assert_eq!(app.count("books").await, 1);
}

async fn a_non_numeric_id_is_404(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    for path in [
        "/books/abc".to_owned(),
        "/books/abc:archive".to_owned(),
        format!("/books/{book}:archive"),
        "/books/-1".to_owned(),
        "/books/1.0".to_owned(),
        "/books/%201".to_owned(),
        "/books/99999999999999999999".to_owned(),
        "/authors/abc".to_owned(),
    ] {
        app.get(&path).await.assert_problem(404);
        app.patch(&path, json!({"title": "x"}))
            .await
            .assert_problem(404);
        app.delete(&path).await.assert_problem(404);
    }
    assert_eq!(app.count("books").await, 1);
}

async fn an_unknown_path_is_404_problem(app: TestApp) {
    for path in [
        "/nothing",
        "/books/1/nothing/2/more",
        "/book",
        "/books/1/authors/1/books",
    ] {
        let reply = app.get(path).await;

        reply.assert_problem(404);
    }
    app.post("/nothing", json!({})).await.assert_problem(404);
}

async fn an_unsupported_method_is_405_with_allow(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let patch_books = app.patch("/books", json!({"title": "x"})).await;
    let delete_root = app.delete("/").await;
    let delete_books = app.delete("/books").await;
    let post_book = app
        .post(&format!("/books/{book}"), json!({"title": "x"}))
        .await;
    let put_health = app.put("/health", json!({})).await;

    patch_books.assert_problem(405);
    assert_eq!(
        allowed(&patch_books),
        set(&["GET", "HEAD", "POST", "OPTIONS"])
    );
    delete_root.assert_problem(405);
    assert_eq!(allowed(&delete_root), set(&["GET", "HEAD", "OPTIONS"]));
    delete_books.assert_problem(405);
    assert_eq!(
        allowed(&delete_books),
        set(&["GET", "HEAD", "POST", "OPTIONS"])
    );
    post_book.assert_problem(405);
    assert_eq!(
        allowed(&post_book),
        set(&["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
    );
    put_health.assert_problem(405);
    assert_eq!(app.count("books").await, 1);
}

async fn options_on_a_path_answers_with_allow(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let books = app.send(Method::OPTIONS, "/books", &[], None).await;
    let item = app
        .send(Method::OPTIONS, &format!("/books/{book}"), &[], None)
        .await;
    let root = app.send(Method::OPTIONS, "/", &[], None).await;

    assert!(
        books.status == 200 || books.status == 204,
        "{}",
        books.status
    );
    assert_eq!(allowed(&books), set(&["GET", "HEAD", "POST", "OPTIONS"]));
    assert_eq!(
        allowed(&item),
        set(&["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
    );
    assert_eq!(allowed(&root), set(&["GET", "HEAD", "OPTIONS"]));
}

async fn a_cors_preflight_allows_the_paths_methods_and_authorization(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let reply = app
        .send(
            Method::OPTIONS,
            &format!("/books/{book}"),
            &[
                ("origin", "https://hal-browser.example"),
                ("access-control-request-method", "PATCH"),
                (
                    "access-control-request-headers",
                    "Authorization, Content-Type",
                ),
            ],
            None,
        )
        .await;

    assert!((200..300).contains(&reply.status), "{}", reply.status);
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let methods: BTreeSet<String> = reply
        .header("access-control-allow-methods")
        .expect("Access-Control-Allow-Methods")
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect();
    assert!(methods.contains("PATCH") && methods.contains("PUT") && methods.contains("DELETE"));
    assert!(!methods.contains("POST"), "{methods:?}");
    let headers = reply
        .header("access-control-allow-headers")
        .expect("Access-Control-Allow-Headers")
        .to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(headers.contains("content-type"), "{headers}");
    assert_ne!(headers.trim(), "*");
}

async fn a_cross_origin_get_exposes_the_hal_headers(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;

    let reply = app
        .send(
            Method::GET,
            &format!("/books/{book}"),
            &[("origin", "https://hal-browser.example")],
            None,
        )
        .await;
    let error = app
        .send(
            Method::GET,
            "/books/999",
            &[("origin", "https://hal-browser.example")],
            None,
        )
        .await;
    let created = app
        .send(
            Method::POST,
            "/books",
            &[("origin", "https://hal-browser.example")],
            Some(("application/json", json!({"title": "Emma"}).to_string())),
        )
        .await;

    reply.assert_status(200);
    assert_eq!(
        reply.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    let exposed: BTreeSet<String> = reply
        .header("access-control-expose-headers")
        .expect("Access-Control-Expose-Headers")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for name in [
        "allow",
        "location",
        "etag",
        "link",
        "x-request-id",
        "halyard-consistency",
    ] {
        assert!(exposed.contains(name), "{name} not in {exposed:?}");
    }
    error.assert_problem(404);
    assert_eq!(
        error.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    created.assert_status(201);
    assert_eq!(
        created.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

async fn a_same_origin_request_gets_no_cors_headers(app: TestApp) {
    let reply = app.get("/books").await;

    reply.assert_status(200);
    assert!(reply.header("access-control-allow-origin").is_none());
}

// ----------------------------------------------------------------------------------
// Pagination
// ----------------------------------------------------------------------------------

async fn paging_follows_next_links_through_every_book_once_in_id_order(app: TestApp) {
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(new_book(&app, &format!("Book {i}"), "1.00").await);
    }
    let mut path = "/books?maxPageSize=3".to_owned();
    let mut seen = Vec::new();
    let mut pages = Vec::new();

    loop {
        let reply = app.get(&path).await;
        reply.assert_status(200);
        assert_eq!(reply.content_type(), "application/hal+json");
        let page = reply.json();
        seen.extend(item_ids(&page, "books"));
        assert_eq!(
            page["_links"]["first"]["href"],
            app.url("/books?maxPageSize=3")
        );
        assert_eq!(page["_links"]["self"]["href"], app.url(&path));
        pages.push(page.clone());
        match page["_links"].get("next") {
            Some(next) => {
                let token = page["nextPageToken"].as_str().expect("nextPageToken");
                assert!(!token.is_empty());
                path = path_of(&app, &next["href"]);
                assert!(path.contains(token), "{path} carries {token}");
                assert!(path.contains("maxPageSize=3"), "{path}");
            }
            None => break,
        }
        assert!(pages.len() < 10, "paging does not end");
    }

    assert_eq!(seen, created);
    assert_eq!(pages.len(), 3);
    let last = pages.last().unwrap();
    assert!(
        last.get("nextPageToken")
            .is_none_or(|t| t.as_str() == Some("")),
        "{last}"
    );
    // Each embedded item is the full resource.
    let first_item = &pages[0]["_embedded"]["books"][0];
    assert_eq!(first_item["title"], "Book 0");
    assert_eq!(
        first_item["_links"]["self"]["href"],
        app.url(&format!("/books/{}", created[0]))
    );
}

async fn paging_through_a_filtered_collection_keeps_the_filter(app: TestApp) {
    let mut kept = Vec::new();
    for i in 0..5 {
        kept.push(new_book(&app, &format!("Keep {i}"), "1.00").await);
        new_book(&app, &format!("Drop {i}"), "1.00").await;
    }
    let mut path = "/books?maxPageSize=2&filter=title%20%3A%20%22keep%22".to_owned();
    let mut seen = Vec::new();

    for _ in 0..10 {
        let page = app.get(&path).await;
        page.assert_status(200);
        let page = page.json();
        seen.extend(item_ids(&page, "books"));
        let Some(next) = page["_links"].get("next") else {
            break;
        };
        path = path_of(&app, &next["href"]);
    }

    assert_eq!(seen, kept);
}

async fn an_exactly_full_last_page_has_no_next(app: TestApp) {
    for i in 0..4 {
        new_book(&app, &format!("Book {i}"), "1.00").await;
    }

    let first = app.get("/books?maxPageSize=2").await.json();
    let second = app
        .get(&path_of(&app, &first["_links"]["next"]["href"]))
        .await
        .json();

    assert_eq!(item_ids(&second, "books").len(), 2);
    // No phantom empty page: the server knows there is nothing after this one.
    assert!(second["_links"].get("next").is_none(), "{second}");
    assert!(second.get("nextPageToken").is_none_or(|t| t == ""));
}

async fn an_empty_collection_is_one_empty_page(app: TestApp) {
    let reply = app.get("/authors").await;

    reply.assert_status(200);
    let page = reply.json();
    assert_eq!(page["_embedded"]["authors"], json!([]));
    assert_eq!(page["_links"]["self"]["href"], app.url("/authors"));
    assert_eq!(page["_links"]["first"]["href"], app.url("/authors"));
    assert!(page["_links"].get("next").is_none());
    assert!(page.get("nextPageToken").is_none_or(|t| t == ""));
}

/// Inserts `n` books straight into the database (for large collections).
async fn seed_books(app: &TestApp, n: usize) {
    let values = (0..n)
        .map(|i| format!("('Seeded {i}', 100)"))
        .collect::<Vec<_>>()
        .join(", ");
    app.scalar(&format!(
        "INSERT INTO books (title, price_cents) VALUES {values} RETURNING id AS id"
    ))
    .await;
}

async fn max_page_size_zero_or_absent_means_25(app: TestApp) {
    seed_books(&app, 26).await;

    let zero = app.get("/books?maxPageSize=0").await;
    let absent = app.get("/books").await;

    zero.assert_status(200);
    assert_eq!(item_ids(&zero.json(), "books").len(), 25);
    assert!(zero.json()["_links"]["next"].is_object());
    assert_eq!(item_ids(&absent.json(), "books").len(), 25);
}

async fn a_max_page_size_above_1000_is_coerced_to_1000(app: TestApp) {
    seed_books(&app, 1001).await;

    let large = app.get("/books?maxPageSize=5000").await;
    let huge = app.get("/books?maxPageSize=99999999999999999999999").await;

    large.assert_status(200);
    assert_eq!(item_ids(&large.json(), "books").len(), 1000);
    assert!(large.json()["_links"]["next"].is_object());
    huge.assert_status(200);
    assert_eq!(item_ids(&huge.json(), "books").len(), 1000);
}

async fn a_negative_or_non_numeric_page_size_is_400(app: TestApp) {
    new_book(&app, "Dune", "9.99").await;

    for value in ["-1", "abc", "1.5", "", "3%20", "0x10", "%E2%91%A0"] {
        let reply = app.get(&format!("/books?maxPageSize={value}")).await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "maxPageSize", "{value}");
    }
}

async fn an_unknown_query_parameter_on_a_collection_is_400(app: TestApp) {
    let reply = app.get("/books?pageSize=3").await;

    let problem = reply.assert_problem(400);
    assert_eq!(first_field(&problem), "pageSize");
}

/// The `nextPageToken` of the first page at `path`.
async fn first_token(app: &TestApp, path: &str) -> String {
    let reply = app.get(path).await;
    reply.assert_status(200);
    reply.json()["nextPageToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no nextPageToken at {path}: {}", reply.text))
        .to_owned()
}

async fn a_page_token_only_works_with_its_own_filter_and_collection(app: TestApp) {
    for i in 0..4 {
        new_book(&app, &format!("Book {i}"), "1.00").await;
        new_author(&app, &format!("Author {i}")).await;
    }
    let token = first_token(&app, "/books?maxPageSize=2").await;
    let filtered_token = first_token(&app, "/books?maxPageSize=2&filter=id%20%3E%200").await;

    let same = app
        .get(&format!("/books?maxPageSize=2&pageToken={token}"))
        .await;
    let other_size = app
        .get(&format!("/books?maxPageSize=3&pageToken={token}"))
        .await;
    let other_collection = app
        .get(&format!("/authors?maxPageSize=2&pageToken={token}"))
        .await;
    let added_filter = app
        .get(&format!(
            "/books?maxPageSize=2&filter=id%20%3E%200&pageToken={token}"
        ))
        .await;
    let dropped_filter = app
        .get(&format!("/books?maxPageSize=2&pageToken={filtered_token}"))
        .await;
    let changed_filter = app
        .get(&format!(
            "/books?maxPageSize=2&filter=id%20%3E%201&pageToken={filtered_token}"
        ))
        .await;
    let sub_collection = app
        .get(&format!("/books/1/authors?pageToken={token}"))
        .await;

    same.assert_status(200);
    other_size.assert_status(200);
    assert_eq!(item_ids(&other_size.json(), "books").len(), 2);
    for reply in [
        &other_collection,
        &added_filter,
        &dropped_filter,
        &changed_filter,
        &sub_collection,
    ] {
        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "pageToken", "{}", reply.text);
    }
}

async fn a_tampered_or_garbage_page_token_is_400(app: TestApp) {
    for i in 0..4 {
        new_book(&app, &format!("Book {i}"), "1.00").await;
    }
    let token = first_token(&app, "/books?maxPageSize=2").await;
    let mut flipped: Vec<char> = token.chars().collect();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    let mut id_changed: Vec<char> = token.chars().collect();
    id_changed[5] = if id_changed[5] == 'A' { 'B' } else { 'A' };
    let id_changed: String = id_changed.into_iter().collect();

    for bad in [
        flipped,
        id_changed,
        format!("{token}AA"),
        token[..token.len() - 2].to_owned(),
        "garbage".to_owned(),
        "AAAA".to_owned(),
        "%00%01".to_owned(),
        "%E2%9C%93".to_owned(),
        "A".repeat(5000),
        "Ag".to_owned(),
        "=====".to_owned(),
    ] {
        let reply = app
            .get(&format!("/books?maxPageSize=2&pageToken={bad}"))
            .await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "pageToken", "{bad}");
    }
}

async fn rows_inserted_and_deleted_while_paging_are_never_skipped_or_repeated(app: TestApp) {
    let mut original = Vec::new();
    for i in 0..9 {
        original.push(new_book(&app, &format!("Book {i}"), "1.00").await);
    }
    let mut path = "/books?maxPageSize=3".to_owned();
    let mut seen = Vec::new();
    let mut deleted = Vec::new();
    let mut page_number = 0;

    loop {
        let page = app.get(&path).await;
        page.assert_status(200);
        let page = page.json();
        seen.extend(item_ids(&page, "books"));
        page_number += 1;
        // Between pages: delete a row not yet seen and insert new ones.
        let unseen: Vec<i64> = original
            .iter()
            .copied()
            .filter(|id| !seen.contains(id) && !deleted.contains(id))
            .collect();
        if let Some(victim) = unseen.last() {
            app.delete(&format!("/books/{victim}"))
                .await
                .assert_status(204);
            deleted.push(*victim);
        }
        new_book(&app, &format!("New after page {page_number}"), "1.00").await;
        let Some(next) = page["_links"].get("next") else {
            break;
        };
        path = path_of(&app, &next["href"]);
        assert!(page_number < 20, "paging does not end");
    }

    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "a row was repeated: {seen:?}");
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, seen, "not in id order");
    for id in original.iter().filter(|id| !deleted.contains(id)) {
        assert!(seen.contains(id), "book {id} was skipped: {seen:?}");
    }
    assert!(!deleted.is_empty());
    for id in &deleted {
        assert!(!seen.contains(id), "deleted book {id} was listed");
    }
}

// ----------------------------------------------------------------------------------
// Filter
// ----------------------------------------------------------------------------------

async fn a_title_filter_is_a_case_insensitive_substring(app: TestApp) {
    let dune = new_book(&app, "Dune", "9.99").await;
    let messiah = new_book(&app, "DUNE MESSIAH", "9.99").await;
    let children = new_book(&app, "Children of dune", "9.99").await;
    new_book(&app, "Emma", "9.99").await;

    assert_eq!(
        filtered(&app, r#"title : "dune""#).await,
        vec![dune, messiah, children]
    );
    assert_eq!(filtered(&app, r#"title:"UnE M""#).await, vec![messiah]);
    assert_eq!(filtered(&app, r#"title = "Dune""#).await, vec![dune]);
    assert_eq!(
        filtered(&app, r#"title : "nothing""#).await,
        Vec::<i64>::new()
    );
}

async fn a_substring_filter_ignores_case_beyond_ascii(app: TestApp) {
    let emile = new_book(&app, "Émile ou De l'éducation", "9.99").await;
    let strasse = new_book(&app, "STRASSE DER ÖLMÜHLE", "9.99").await;

    assert_eq!(filtered(&app, r#"title : "ÉMILE""#).await, vec![emile]);
    assert_eq!(
        filtered(&app, r#"title : "L'ÉDUCATION""#).await,
        vec![emile]
    );
    assert_eq!(filtered(&app, r#"title : "ölmühle""#).await, vec![strasse]);
}

async fn percent_and_underscore_are_literal_in_a_substring_filter(app: TestApp) {
    let percent = new_book(&app, "100% Dune", "1.00").await;
    let underscore = new_book(&app, "snake_case", "1.00").await;
    new_book(&app, "100 Dunes", "1.00").await;
    new_book(&app, "snakeXcase", "1.00").await;
    let backslash = new_book(&app, r"back\slash", "1.00").await;
    let quote = new_book(&app, r#"say "hi""#, "1.00").await;

    assert_eq!(filtered(&app, r#"title : "%""#).await, vec![percent]);
    assert_eq!(filtered(&app, r#"title : "0% D""#).await, vec![percent]);
    assert_eq!(filtered(&app, r#"title : "_""#).await, vec![underscore]);
    assert_eq!(filtered(&app, r#"title : "e_c""#).await, vec![underscore]);
    assert_eq!(filtered(&app, r#"title : "\\""#).await, vec![backslash]);
    assert_eq!(filtered(&app, r#"title : "\"hi\"""#).await, vec![quote]);
}

async fn prices_compare_as_numbers_in_a_filter(app: TestApp) {
    let cheap = new_book(&app, "Cheap", "9.50").await;
    let nine = new_book(&app, "Nine", "9.99").await;
    let ten = new_book(&app, "Ten", "10.00").await;
    let hundred = new_book(&app, "Hundred", "100.00").await;

    assert_eq!(
        filtered(&app, "price > 9.5").await,
        vec![nine, ten, hundred]
    );
    assert_eq!(
        filtered(&app, r#"price >= "10.00""#).await,
        vec![ten, hundred]
    );
    assert_eq!(filtered(&app, "price < 10").await, vec![cheap, nine]);
    assert_eq!(filtered(&app, "price = 10").await, vec![ten]);
    assert_eq!(filtered(&app, r#"price = "9.5""#).await, vec![cheap]);
    assert_eq!(filtered(&app, "price != 100").await, vec![cheap, nine, ten]);
    assert_eq!(filtered(&app, "price <= 9.99").await, vec![cheap, nine]);
    // More decimals than a price has still compare exactly.
    assert_eq!(
        filtered(&app, "price > 9.985").await,
        vec![nine, ten, hundred]
    );
    assert_eq!(filtered(&app, "price < 9.995").await, vec![cheap, nine]);
    assert_eq!(filtered(&app, "price = 9.995").await, Vec::<i64>::new());
}

async fn filters_combine_with_and_or_not_and_parentheses(app: TestApp) {
    let dune = new_book(&app, "Dune", "9.99").await;
    let messiah = new_book(&app, "Dune Messiah", "15.00").await;
    let emma = new_book(&app, "Emma", "5.00").await;
    let persuasion = new_book(&app, "Persuasion", "20.00").await;

    assert_eq!(
        filtered(&app, r#"title : "dune" AND price > 10"#).await,
        vec![messiah]
    );
    assert_eq!(
        filtered(&app, r#"title : "emma" OR price >= 20"#).await,
        vec![emma, persuasion]
    );
    assert_eq!(
        filtered(&app, r#"NOT title : "dune""#).await,
        vec![emma, persuasion]
    );
    assert_eq!(
        filtered(&app, r#"(title : "dune" OR title : "emma") AND price < 10"#).await,
        vec![dune, emma]
    );
    assert_eq!(
        filtered(&app, r#"NOT (title : "dune" OR price < 6)"#).await,
        vec![persuasion]
    );
    assert_eq!(
        filtered(&app, &format!("id = {dune} OR id = {persuasion}")).await,
        vec![dune, persuasion]
    );
}

async fn a_filter_on_an_unknown_field_is_400_with_its_position(app: TestApp) {
    new_book(&app, "Dune", "9.99").await;

    let reply = app
        .get("/books?filter=price%20%3E%201%20AND%20isbn%20%3D%20%221%22")
        .await;

    let problem = reply.assert_problem(400);
    assert_eq!(first_field(&problem), "filter");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("position 14"), "{detail}");
    assert!(detail.contains("isbn"), "{detail}");
}

async fn a_filter_syntax_error_is_400_with_a_position(app: TestApp) {
    new_book(&app, "Dune", "9.99").await;

    for filter in [
        r#"title :"#,
        r#"(title : "a""#,
        r#"title = "unterminated"#,
        r#"AND"#,
        r#"title : "a" and price > 1"#,
        r#"price > "abc""#,
        r#"title > 3 )"#,
        r#"title ~ "a""#,
        r#"price : "9""#,
        "((((((((((((((((((((((((((((((((((((((((id = 1))))))))))))))))))))))))))))))))))))))))",
    ] {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", filter)
            .finish();

        let reply = app.get(&format!("/books?{query}")).await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "filter", "{filter}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("position"), "{filter}: {detail}");
    }
}

async fn an_sql_injection_attempt_in_a_filter_is_just_a_string(app: TestApp) {
    new_book(&app, "Dune", "9.99").await;
    new_book(&app, "Emma", "5.00").await;

    for filter in [
        r#"title = "x' OR '1'='1""#,
        r#"title : "'; DROP TABLE books; --""#,
        r#"title : "%' OR 1=1 --""#,
        r#"title = "Dune\" OR \"1\" = \"1""#,
    ] {
        assert_eq!(filtered(&app, filter).await, Vec::<i64>::new(), "{filter}");
    }
    assert_eq!(app.count("books").await, 2);
    app.get("/books").await.assert_status(200);
}

// ----------------------------------------------------------------------------------
// Conditional requests
// ----------------------------------------------------------------------------------

/// The ETag of a GET.
async fn etag(app: &TestApp, path: &str) -> String {
    let reply = app.get(path).await;
    reply.assert_status(200);
    reply.header("etag").expect("an ETag")
}

async fn a_book_has_a_strong_etag_and_if_none_match_gives_304(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");
    let tag = etag(&app, &path).await;

    let again = app.get(&path).await;
    let not_modified = app
        .send(Method::GET, &path, &[("if-none-match", &tag)], None)
        .await;
    let in_a_list = app
        .send(
            Method::GET,
            &path,
            &[("if-none-match", &format!("\"other\", {tag}"))],
            None,
        )
        .await;
    let any = app
        .send(Method::GET, &path, &[("if-none-match", "*")], None)
        .await;
    let other = app
        .send(Method::GET, &path, &[("if-none-match", "\"other\"")], None)
        .await;

    assert!(tag.starts_with('"') && tag.ends_with('"'), "strong: {tag}");
    assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
    not_modified.assert_status(304);
    assert!(not_modified.text.is_empty());
    assert_eq!(not_modified.header("etag").as_deref(), Some(tag.as_str()));
    in_a_list.assert_status(304);
    any.assert_status(304);
    other.assert_status(200);
    assert_eq!(other.json()["title"], "Dune");
}

async fn if_none_match_compares_weakly(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");
    let tag = etag(&app, &path).await;

    let reply = app
        .send(
            Method::GET,
            &path,
            &[("if-none-match", &format!("W/{tag}"))],
            None,
        )
        .await;

    reply.assert_status(304);
}

async fn the_etag_changes_after_a_patch(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");
    let before = etag(&app, &path).await;

    let patched = app.patch(&path, json!({"price": "10.99"})).await;

    patched.assert_status(200);
    let after = etag(&app, &path).await;
    assert_ne!(before, after);
    assert_eq!(patched.header("etag").as_deref(), Some(after.as_str()));
    app.send(Method::GET, &path, &[("if-none-match", &before)], None)
        .await
        .assert_status(200);
}

async fn linking_an_author_changes_the_books_etag(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;
    let path = format!("/books/{book}");
    let before = etag(&app, &path).await;

    link(&app, book, author).await;

    let after = app
        .send(Method::GET, &path, &[("if-none-match", &before)], None)
        .await;
    after.assert_status(200);
    assert_ne!(after.header("etag").unwrap(), before);
    assert_eq!(
        after.json()["_links"]["authors"],
        json!([{"href": app.url(&format!("/authors/{author}")), "title": "Frank Herbert"}])
    );
}

async fn renaming_a_linked_author_changes_the_books_etag(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "F. Herbert").await;
    link(&app, book, author).await;
    let path = format!("/books/{book}");
    let before = etag(&app, &path).await;

    app.patch(
        &format!("/authors/{author}"),
        json!({"name": "Frank Herbert"}),
    )
    .await
    .assert_status(200);

    let after = app
        .send(Method::GET, &path, &[("if-none-match", &before)], None)
        .await;
    after.assert_status(200);
    assert_ne!(after.header("etag").unwrap(), before);
    assert_eq!(
        after.json()["_links"]["authors"][0]["title"],
        "Frank Herbert"
    );
}

async fn an_if_match_mismatch_is_412_and_changes_nothing(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");
    let tag = etag(&app, &path).await;
    let stale = "\"stale\"";
    let weak = format!("W/{tag}");

    for if_match in [stale, weak.as_str()] {
        let put = send_json(
            &app,
            Method::PUT,
            &path,
            &[("if-match", if_match)],
            json!({"title": "Put"}),
        )
        .await;
        let patch = send_json(
            &app,
            Method::PATCH,
            &path,
            &[("if-match", if_match)],
            json!({"title": "Patched"}),
        )
        .await;
        let delete = app
            .send(Method::DELETE, &path, &[("if-match", if_match)], None)
            .await;

        put.assert_problem(412);
        patch.assert_problem(412);
        delete.assert_problem(412);
    }
    assert_eq!(etag(&app, &path).await, tag);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM books WHERE title = 'Dune' AND price_cents = 999")
            .await,
        1
    );
}

async fn a_matching_if_match_succeeds(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let tag = etag(&app, &path).await;
    let put = send_json(
        &app,
        Method::PUT,
        &path,
        &[("if-match", &tag)],
        json!({"title": "Put"}),
    )
    .await;
    put.assert_status(200);
    let tag = put.header("etag").unwrap();
    let patch = send_json(
        &app,
        Method::PATCH,
        &path,
        &[("if-match", &format!("\"x\", {tag}"))],
        json!({"title": "Patched"}),
    )
    .await;
    patch.assert_status(200);
    let any = send_json(
        &app,
        Method::PATCH,
        &path,
        &[("if-match", "*")],
        json!({"price": "1.00"}),
    )
    .await;
    any.assert_status(200);
    let tag = any.header("etag").unwrap();
    let delete = app
        .send(Method::DELETE, &path, &[("if-match", &tag)], None)
        .await;

    assert_eq!(patch.json()["title"], "Patched");
    delete.assert_status(204);
    assert_eq!(app.count("books").await, 0);
}

async fn an_if_match_on_a_missing_book_is_404(app: TestApp) {
    let reply = send_json(
        &app,
        Method::PATCH,
        "/books/999",
        &[("if-match", "\"x\"")],
        json!({"title": "x"}),
    )
    .await;

    reply.assert_problem(404);
}

// ----------------------------------------------------------------------------------
// Root, health, OpenAPI, relation pages
// ----------------------------------------------------------------------------------

async fn the_root_links_every_collection_and_the_search_templates(app: TestApp) {
    let reply = app.get("/").await;

    reply.assert_status(200);
    assert_eq!(reply.content_type(), "application/hal+json");
    let links = &reply.json()["_links"];
    assert_eq!(links["self"]["href"], app.url("/"));
    assert_eq!(links["books"]["href"], app.url("/books"));
    assert_eq!(links["authors"]["href"], app.url("/authors"));
    assert_eq!(links["books-authors"]["href"], app.url("/books-authors"));
    assert_eq!(links["health"]["href"], app.url("/health"));
    assert_eq!(links["live"]["href"], app.url("/live"));
    assert_eq!(links["ready"]["href"], app.url("/ready"));
    assert_eq!(links["openapi"]["href"], app.url("/openapi.json"));
    assert_eq!(
        links["book"],
        json!({"href": app.url("/books/{id}"), "templated": true})
    );
    assert_eq!(links["books-authors-search"]["templated"], true);
    let search = links["books-authors-search"]["href"].as_str().unwrap();
    assert!(search.starts_with(&app.url("/books-authors{?")), "{search}");
    assert!(
        search.contains("book_id") && search.contains("author_id"),
        "{search}"
    );
    for (rel, link) in links.as_object().unwrap() {
        for href in hrefs(link) {
            assert!(
                href.starts_with(&app.address),
                "{rel}: {href} is not absolute"
            );
        }
        // `curies` is an array of one templated link (to the relations' pages).
        if link.get("templated").is_none() && rel != "curies" {
            let reply = app.get(&path_of(&app, &link["href"])).await;
            if rel == "cart" || rel == "orders" {
                // The shop is the authenticated user's: the link is there, the door locked.
                reply.assert_problem(401);
            } else {
                reply.assert_status(200);
            }
        }
    }
}

async fn links_follow_the_host_header_and_refuse_a_malformed_one(app: TestApp) {
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let proxied = format!("books.example:{port}");

    let reply = app
        .send(Method::GET, "/", &[("host", &proxied)], None)
        .await;

    reply.assert_status(200);
    assert_eq!(
        reply.json()["_links"]["books"]["href"],
        format!("http://{proxied}/books")
    );
    for host in ["a/b", "a?b", "a#b", "user@evil.example", "a b"] {
        let reply = app.send(Method::GET, "/", &[("host", host)], None).await;

        let problem = reply.assert_problem(400);
        assert_eq!(first_field(&problem), "Host", "{host}");
    }
}

async fn health_answers_200(app: TestApp) {
    let reply = app.get("/health").await;

    reply.assert_status(200);
}

async fn the_openapi_document_is_openapi_3_1_with_every_book_path(app: TestApp) {
    let reply = app.get("/openapi.json").await;

    reply.assert_status(200);
    let document = reply.json();
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    for path in [
        "/books",
        "/books/{id}",
        "/authors",
        "/authors/{id}",
        "/books-authors",
    ] {
        assert!(document["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(document["paths"]["/books/{id}"].get("patch").is_some());
}

async fn relation_pages_are_html_and_unknown_ones_are_404(app: TestApp) {
    let authors = app.get("/rels/authors").await;
    let collection = app.get("/rels/collection/authors").await;
    let cross = app.get("/rels/books-authors").await;
    let nonsense = app.get("/rels/nonsense").await;

    authors.assert_status(200);
    assert_eq!(authors.content_type(), "text/html");
    assert!(authors.text.contains("authors"));
    collection.assert_status(200);
    cross.assert_status(200);
    nonsense.assert_problem(404);
}

// ----------------------------------------------------------------------------------
// Public URL
// ----------------------------------------------------------------------------------

async fn a_public_url_with_a_path_prefixes_links_and_routes(app: TestApp) {
    let app = spawn_with(app.backend, |c| {
        c.public_url = Some("https://mybooks.example/api/v1".into());
    })
    .await;
    let public = "https://mybooks.example/api/v1";

    let created = app.post("/api/v1/books", json!({"title": "Dune"})).await;
    created.assert_status(201);
    let id = created.json()["id"].as_i64().unwrap();
    let root = app.get("/api/v1/").await;
    let page = app.get("/api/v1/books?maxPageSize=1").await;
    let unprefixed = app.get("/books").await;
    let unprefixed_item = app.get(&format!("/books/{id}")).await;

    assert_eq!(
        created.header("location").unwrap(),
        format!("{public}/books/{id}")
    );
    let book = created.json();
    assert_eq!(
        book["_links"]["self"]["href"],
        format!("{public}/books/{id}")
    );
    assert_eq!(
        book["_links"]["collection/authors"]["href"],
        format!("{public}/books/{id}/authors")
    );
    root.assert_status(200);
    let links = &root.json()["_links"];
    assert_eq!(links["books"]["href"], format!("{public}/books"));
    assert_eq!(links["book"]["href"], format!("{public}/books/{{id}}"));
    assert_eq!(links["self"]["href"], format!("{public}/"));
    page.assert_status(200);
    assert_eq!(
        page.json()["_links"]["first"]["href"],
        format!("{public}/books?maxPageSize=1")
    );
    unprefixed.assert_problem(404);
    unprefixed_item.assert_problem(404);
    // The configured URL as written leads to the root.
    let without_slash = app.get("/api/v1").await;
    without_slash.assert_status(308);
    let location = without_slash.header("location").unwrap();
    assert!(location.ends_with("/api/v1/"), "{location}");
    app.get(&format!("/api/v1/books/{id}"))
        .await
        .assert_status(200);
}

async fn a_public_url_reference_in_a_body_is_accepted(app: TestApp) {
    let app = spawn_with(app.backend, |c| {
        c.public_url = Some("https://mybooks.example/api/v1".into());
    })
    .await;
    let book = app.create("/api/v1/books", json!({"title": "Dune"})).await;
    let author = app
        .create("/api/v1/authors", json!({"name": "Frank Herbert"}))
        .await;

    let reply = app
        .post(
            "/api/v1/books-authors",
            json!({"book": book["_links"]["self"]["href"], "author": author["_links"]["self"]["href"]}),
        )
        .await;
    let foreign = app
        .post(
            "/api/v1/books-authors",
            json!({"book": "https://other.example/api/v1/books/1", "author": 1}),
        )
        .await;

    reply.assert_status(201);
    assert_eq!(first_field(&foreign.assert_problem(400)), "book");
    assert_eq!(app.count("books_authors").await, 1);
}

// ----------------------------------------------------------------------------------
// References in request bodies
// ----------------------------------------------------------------------------------

async fn a_reference_may_be_a_url_a_path_a_name_or_an_integer(app: TestApp) {
    let author = new_author(&app, "Frank Herbert").await;
    let mut books = Vec::new();
    for i in 0..4 {
        books.push(new_book(&app, &format!("Book {i}"), "1.00").await);
    }
    let forms = [
        (
            json!(app.url(&format!("/books/{}", books[0]))),
            json!(app.url(&format!("/authors/{author}"))),
        ),
        (
            json!(format!("/books/{}", books[1])),
            json!(format!("/authors/{author}")),
        ),
        (
            json!(format!("books/{}", books[2])),
            json!(format!("authors/{author}")),
        ),
        (json!(books[3]), json!(author)),
    ];

    for (book, author_ref) in forms {
        let reply = app
            .post(
                "/books-authors",
                json!({"book": book, "author": author_ref}),
            )
            .await;

        reply.assert_status(201);
        assert!(reply.header("location").is_some());
    }

    assert_eq!(app.count("books_authors").await, 4);
    let reply = app.get(&format!("/authors/{author}")).await;
    assert_eq!(
        hrefs(&reply.json()["_links"]["books"]),
        books
            .iter()
            .map(|b| app.url(&format!("/books/{b}")))
            .collect::<Vec<_>>()
    );
}

/// References that are not a well-formed link to `/{own}/{id}`: another host, another
/// collection, bad ids, extra segments, other JSON types.
fn malformed_references(app: &TestApp, own: &str, other: &str, id: i64) -> Vec<Value> {
    let port = app.address.rsplit(':').next().unwrap();
    vec![
        json!(format!("http://other.example:{port}/{own}/{id}")),
        json!(format!("http://localhost:{port}/{own}/{id}")),
        json!(format!("https://127.0.0.1:{port}/{own}/{id}")),
        json!(format!("/{other}/{id}")),
        json!(format!("{other}/{id}")),
        json!(app.url(&format!("/{other}/{id}"))),
        json!(format!("/{own}/abc")),
        json!(format!("{own}/abc")),
        json!(format!("/{own}/-1")),
        json!(format!("/{own}/1.0")),
        json!(-1),
        json!(1.5),
        json!(format!("/{own}/{id}/{other}")),
        json!(format!("/{own}/{id}/{other}/{id}")),
        json!(format!("{own}/{id}/x")),
        json!(format!("/{own}/{id}?x=1")),
        json!(format!("{id}")),
        json!(""),
        json!(null),
        json!(true),
        json!({"href": format!("/{own}/{id}")}),
    ]
}

async fn a_malformed_reference_is_400_naming_the_field(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;

    for reference in malformed_references(&app, "books", "authors", book) {
        let reply = app
            .post(
                "/books-authors",
                json!({"book": reference, "author": author}),
            )
            .await;

        assert_eq!(
            first_field(&reply.assert_problem(400)),
            "book",
            "{reference}"
        );
    }
    for reference in malformed_references(&app, "authors", "books", author) {
        let reply = app
            .post("/books-authors", json!({"book": book, "author": reference}))
            .await;

        assert_eq!(
            first_field(&reply.assert_problem(400)),
            "author",
            "{reference}"
        );
    }
    assert_eq!(app.count("books_authors").await, 0);
}

async fn a_reference_to_a_missing_resource_is_422(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let author = new_author(&app, "Frank Herbert").await;

    let missing_book = app
        .post(
            "/books-authors",
            json!({"book": "/books/999", "author": author}),
        )
        .await;
    let missing_author = app
        .post("/books-authors", json!({"book": book, "author": 999}))
        .await;

    assert_eq!(first_field(&missing_book.assert_problem(422)), "bookId");
    assert_eq!(first_field(&missing_author.assert_problem(422)), "authorId");
    assert_eq!(app.count("books_authors").await, 0);
}

// ----------------------------------------------------------------------------------
// HAL-FORMS
// ----------------------------------------------------------------------------------

async fn hal_forms_clients_get_templates_and_plain_clients_do_not(app: TestApp) {
    let book = new_book(&app, "Dune", "9.99").await;
    let path = format!("/books/{book}");

    let forms = app
        .send(
            Method::GET,
            &path,
            &[("accept", "application/prs.hal-forms+json")],
            None,
        )
        .await;
    let preferred = app
        .send(
            Method::GET,
            &path,
            &[(
                "accept",
                "application/hal+json;q=0.5, application/prs.hal-forms+json",
            )],
            None,
        )
        .await;
    let plain = app
        .send(
            Method::GET,
            &path,
            &[("accept", "application/hal+json")],
            None,
        )
        .await;
    let collection = app
        .send(
            Method::GET,
            "/books",
            &[("accept", "application/prs.hal-forms+json")],
            None,
        )
        .await;

    forms.assert_status(200);
    assert_eq!(forms.content_type(), "application/prs.hal-forms+json");
    let template = &forms.json()["_templates"]["default"];
    assert_eq!(template["method"], "PATCH");
    let names = property_names(template);
    assert!(
        names.contains(&"title") && names.contains(&"price"),
        "{names:?}"
    );
    assert_eq!(forms.json()["title"], "Dune");
    assert_eq!(preferred.content_type(), "application/prs.hal-forms+json");
    plain.assert_status(200);
    assert_eq!(plain.content_type(), "application/hal+json");
    assert!(plain.json().get("_templates").is_none());
    assert!(app.get(&path).await.json().get("_templates").is_none());
    assert_eq!(collection.content_type(), "application/prs.hal-forms+json");
    assert_eq!(collection.json()["_templates"]["default"]["method"], "POST");
}

on_both_backends!(
    creating_a_book_returns_201_with_location_and_links,
    a_book_created_without_price_costs_zero,
    creating_an_author_returns_201_with_location_and_links,
    reading_a_book_returns_what_was_created,
    reading_an_author_lists_its_books_titled,
    putting_a_books_own_get_body_succeeds_and_changes_nothing,
    putting_own_bodies_with_embedded_and_templates_succeeds,
    put_replaces_the_book_and_resets_an_omitted_price,
    put_without_the_required_title_is_400_and_changes_nothing,
    patch_merges_only_the_given_properties,
    patch_accepts_the_merge_patch_media_type,
    patch_with_null_resets_an_optional_property_and_refuses_a_required_one,
    an_empty_patch_changes_nothing,
    authors_are_replaced_and_patched_like_books,
    deleting_a_book_answers_204_and_then_404,
    deleting_an_author_answers_204_and_then_404,
    deleting_a_book_never_deletes_its_authors,
    deleting_an_author_never_deletes_its_books,
    a_book_without_a_title_is_400_naming_the_field,
    an_empty_or_non_string_title_is_400,
    a_nul_character_in_text_is_400,
    an_unknown_property_is_400_naming_it,
    a_storage_column_name_is_not_a_property,
    read_only_id_and_links_in_a_body_are_ignored,
    a_price_with_three_decimals_is_400,
    a_malformed_or_negative_price_is_400,
    prices_come_back_exactly_as_written,
    a_body_that_is_not_an_object_is_400,
    invalid_json_is_400,
    a_body_in_another_media_type_is_415,
    hal_json_bodies_are_accepted,
    a_body_over_256_kib_is_413_and_changes_nothing,
    a_body_just_under_the_limit_is_read,
    errors_never_show_sql_or_internals,
    an_unknown_id_is_404_for_every_method,
    a_non_numeric_id_is_404,
    an_unknown_path_is_404_problem,
    an_unsupported_method_is_405_with_allow,
    options_on_a_path_answers_with_allow,
    a_cors_preflight_allows_the_paths_methods_and_authorization,
    a_cross_origin_get_exposes_the_hal_headers,
    a_same_origin_request_gets_no_cors_headers,
    paging_follows_next_links_through_every_book_once_in_id_order,
    paging_through_a_filtered_collection_keeps_the_filter,
    an_exactly_full_last_page_has_no_next,
    an_empty_collection_is_one_empty_page,
    max_page_size_zero_or_absent_means_25,
    a_max_page_size_above_1000_is_coerced_to_1000,
    a_negative_or_non_numeric_page_size_is_400,
    an_unknown_query_parameter_on_a_collection_is_400,
    a_page_token_only_works_with_its_own_filter_and_collection,
    a_tampered_or_garbage_page_token_is_400,
    rows_inserted_and_deleted_while_paging_are_never_skipped_or_repeated,
    a_title_filter_is_a_case_insensitive_substring,
    a_substring_filter_ignores_case_beyond_ascii,
    percent_and_underscore_are_literal_in_a_substring_filter,
    prices_compare_as_numbers_in_a_filter,
    filters_combine_with_and_or_not_and_parentheses,
    a_filter_on_an_unknown_field_is_400_with_its_position,
    a_filter_syntax_error_is_400_with_a_position,
    an_sql_injection_attempt_in_a_filter_is_just_a_string,
    a_book_has_a_strong_etag_and_if_none_match_gives_304,
    if_none_match_compares_weakly,
    the_etag_changes_after_a_patch,
    linking_an_author_changes_the_books_etag,
    renaming_a_linked_author_changes_the_books_etag,
    an_if_match_mismatch_is_412_and_changes_nothing,
    a_matching_if_match_succeeds,
    an_if_match_on_a_missing_book_is_404,
    the_root_links_every_collection_and_the_search_templates,
    links_follow_the_host_header_and_refuse_a_malformed_one,
    health_answers_200,
    the_openapi_document_is_openapi_3_1_with_every_book_path,
    relation_pages_are_html_and_unknown_ones_are_404,
    a_public_url_with_a_path_prefixes_links_and_routes,
    a_public_url_reference_in_a_body_is_accepted,
    a_reference_may_be_a_url_a_path_a_name_or_an_integer,
    a_malformed_reference_is_400_naming_the_field,
    a_reference_to_a_missing_resource_is_422,
    hal_forms_clients_get_templates_and_plain_clients_do_not,
);
