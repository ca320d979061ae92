//! Books and authors: CRUD and the conventions they show.

use serde_json::json;

use crate::common::{hrefs, TestApp};
use crate::on_both_backends;

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

on_both_backends!(creating_a_book_returns_201_with_location_and_links);
