//! The browsable API: a request preferring `text/html` gets a page rendered from the
//! HAL-FORMS body; JSON clients see no change. The clicking itself is tested in Chromium
//! (`tests/browser/e2e.mjs`, run by `.ci/browser`); these tests hold the server's side:
//! what the page contains, its headers, escaping, and what the token cookie may do.

use reqwest::Method;
use serde_json::json;

use crate::common::{hrefs, TestApp};
use crate::on_both_backends;

/// What Chromium sends when it navigates.
const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async fn page(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> crate::common::Reply {
    let mut headers = vec![("accept", BROWSER)];
    headers.extend_from_slice(extra);
    app.send(Method::GET, path, &headers, None).await
}

#[track_caller]
fn assert_page(reply: &crate::common::Reply, status: u16) {
    reply.assert_status(status);
    assert_eq!(reply.content_type(), "text/html", "{}", reply.text);
    assert!(reply.text.starts_with("<!doctype html>"), "{}", reply.text);
    let policy = reply.header("content-security-policy").expect("a CSP");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(
        reply.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        reply.header("etag").is_none(),
        "the JSON body's ETag is not the page's"
    );
    let vary: Vec<String> = reply
        .headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .collect();
    assert!(vary.iter().any(|v| v.contains("Accept")), "{vary:?}");
    assert!(vary.iter().any(|v| v.contains("Cookie")), "{vary:?}");
    // No inline script and no inline style: the CSP forbids both.
    assert!(!reply.text.contains("<script>"), "inline script");
    assert!(!reply.text.contains(" style="), "inline style");
}

/// The text between `<h1>` and `</h1>`.
fn heading(html: &str) -> &str {
    let start = html.find("<h1>").expect("an h1") + 4;
    let end = html[start..].find("</h1>").expect("h1 closed") + start;
    &html[start..end]
}

/// The contract's example: book 1 "Title 1" (12.50) by authors 1 and 2 ("Name 1",
/// "Name 2").
async fn seed(app: &TestApp) {
    app.create("/books", json!({ "title": "Title 1", "price": "12.50" }))
        .await;
    for name in ["Name 1", "Name 2"] {
        let author = app.create("/authors", json!({ "name": name })).await;
        let href = author["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .to_owned();
        let linked = app
            .uri_list(Method::POST, "/books/1/authors", &[&href])
            .await;
        assert!(linked.status < 300, "{}", linked.text);
    }
}

async fn a_book_page_shows_properties_links_and_a_form_per_template(app: TestApp) {
    seed(&app).await;
    let reply = page(&app, "/books/1", &[]).await;
    assert_page(&reply, 200);
    let html = &reply.text;
    assert_eq!(heading(html), "Title 1");
    // Breadcrumbs to the resource, the current one marked.
    assert!(html.contains("<nav aria-label=\"Breadcrumb\">"));
    let books = app.url("/books");
    assert!(
        html.contains(&format!("<li><a href=\"{books}\">books</a></li>")),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<a href=\"{books}/1\" aria-current=\"page\">Title 1</a>"
    )));
    // Properties and links as anchors, titled.
    assert!(
        html.contains("<th scope=\"row\">price</th><td>12.50</td>"),
        "{html}"
    );
    let author1 = app.url("/authors/1");
    assert!(html.contains(&format!(
        "<a href=\"{author1}\" data-rel=\"authors\">Name 1</a>"
    )));
    // The JSON's ETag, for the forms' If-Match (the page itself has none).
    let etag = app.get("/books/1").await.header("etag").expect("an ETag");
    assert!(html.contains(&format!("data-etag=\"{}\"", etag.replace('"', "&quot;"))));
    // One form per HAL-FORMS template of the JSON answer, with its method and target.
    let forms = app
        .send(
            Method::GET,
            "/books/1",
            &[("accept", "application/prs.hal-forms+json")],
            None,
        )
        .await
        .json();
    let templates = forms["_templates"].as_object().expect("templates");
    assert!(templates.len() >= 8, "{templates:?}");
    // The templates unlinking one author each are one Unlink form choosing among them.
    let (unlinks, others): (Vec<_>, Vec<_>) = templates
        .iter()
        .partition(|(key, _)| key.starts_with("unlink-author-"));
    assert_eq!(unlinks.len(), 2, "{templates:?}");
    for (key, template) in &others {
        let form = format!(
            "<form class=\"hal-form\" data-template=\"{key}\" data-method=\"{}\" data-target=\"{}\"",
            template["method"].as_str().unwrap(),
            template["target"].as_str().unwrap()
        );
        assert!(html.contains(&form), "no form {form}");
    }
    assert!(html.contains(
        "<form class=\"hal-form\" data-template=\"unlink-author\" data-method=\"DELETE\""
    ));
    for (_, template) in &unlinks {
        let target = template["target"].as_str().unwrap();
        assert!(
            html.contains(&format!("<option value=\"{target}\">")),
            "{target}"
        );
    }
    assert_eq!(
        html.matches("<form class=\"hal-form\"").count(),
        others.len() + 1
    );
    // The link form's list is filled from the authors; the update starts from the book.
    assert!(html.contains(&format!(
        "<select name=\"author\" data-type=\"url\" required data-options=\"{}\"",
        app.url("/authors")
    )));
    assert!(html.contains("name=\"title\" data-type=\"text\" maxlength=\"500\" value=\"Title 1\""));
    // The set of authors starts from the current one.
    assert!(html.contains(&format!(
        "data-value=\"{author1}\n{}\"",
        app.url("/authors/2")
    )));
    // The script and style sheet are Halyard's own, and served.
    for (asset, media) in [
        ("/_browser/halyard.js", "text/javascript"),
        ("/_browser/halyard.css", "text/css"),
    ] {
        assert!(html.contains(&app.url(asset)), "{asset} not referenced");
        let served = app.get(asset).await;
        served.assert_status(200);
        assert_eq!(served.content_type(), media);
        assert!(served.text.len() > 1000);
    }
}

async fn a_collection_page_has_an_item_table_and_pagination(app: TestApp) {
    seed(&app).await;
    for i in 0..3 {
        app.create("/books", json!({ "title": format!("Paged {i}") }))
            .await;
    }
    let reply = page(&app, "/books?max_page_size=2", &[]).await;
    assert_page(&reply, 200);
    let html = &reply.text;
    assert_eq!(heading(html), "books");
    assert!(html.contains("<table class=\"items\" data-rel=\"books\">"));
    assert_eq!(html.matches("<tbody><tr><td><a href=").count(), 1, "{html}");
    assert!(html.contains(&format!("<a href=\"{}\">Title 1</a>", app.url("/books/1"))));
    // The next link is the JSON's next link, as a control.
    let json = app.get("/books?max_page_size=2").await.json();
    let next = json["_links"]["next"]["href"]
        .as_str()
        .expect("a next page");
    assert!(html.contains("<nav aria-label=\"Pagination\""));
    assert!(html.contains(&format!(
        "<a rel=\"next\" href=\"{}\">Next page</a>",
        next.replace('&', "&amp;")
    )));
    // The collection's create form.
    assert!(html.contains("data-template=\"default\" data-method=\"POST\""));
    // The folded JSON is the hal+json one: no item's forms spelled out again.
    assert!(html.contains("<summary>As application/hal+json</summary>"));
    assert!(!html.contains("&quot;_templates&quot;"), "{html}");
}

async fn every_link_of_the_root_answers_a_browser_with_a_page(app: TestApp) {
    let root = page(&app, "/", &[]).await;
    assert_page(&root, 200);
    assert_eq!(heading(&root.text), "Halyard");
    // Templated links are small forms asking for their variables.
    assert!(root.text.contains(&format!(
        "<form class=\"templated-link\" data-href=\"{}{{?book_id,author_id}}\"",
        app.url("/books-authors")
    )));
    assert!(root.text.contains("<input name=\"author_id\" size=\"10\">"));
    // A path variable must be given; a query variable may be left out.
    assert!(root
        .text
        .contains("<input name=\"id\" size=\"10\" required>"));
    let links = app.get("/").await.json();
    for (rel, link) in links["_links"].as_object().expect("links") {
        // `curies` holds the templated link to the relations' pages.
        if link["templated"] == true || rel == "curies" {
            continue;
        }
        let href = hrefs(link).remove(0);
        let path = href.strip_prefix(&app.address).expect("an absolute link");
        let reply = page(&app, path, &[]).await;
        match rel.as_str() {
            // Not HAL: served as it is.
            "openapi" | "health" | "live" | "ready" => {
                assert_eq!(reply.content_type(), "application/json")
            }
            "cart" | "orders" => assert_page(&reply, 401),
            _ => assert_page(&reply, 200),
        }
    }
}

async fn a_problem_is_a_readable_page_with_its_status(app: TestApp) {
    let missing = page(&app, "/books/999", &[]).await;
    assert_page(&missing, 404);
    assert!(
        heading(&missing.text).starts_with("404 "),
        "{}",
        missing.text
    );
    assert!(missing.text.contains("<p class=\"detail\">"));

    let nowhere = page(&app, "/no/such/path", &[]).await;
    assert_page(&nowhere, 404);

    let bad = page(&app, "/books?filter=%28", &[]).await;
    assert_page(&bad, 400);
    assert!(
        bad.text.contains("<table class=\"errors\">"),
        "{}",
        bad.text
    );

    // A write from a client that prefers HTML gets its problem as a page, and changes
    // nothing.
    let books = app.scalar("SELECT COUNT(*) AS id FROM books").await;
    let refused = app
        .send(
            Method::POST,
            "/books",
            &[("accept", BROWSER)],
            Some(("application/json", json!({ "title": "" }).to_string())),
        )
        .await;
    assert_page(&refused, 400);
    assert!(
        refused.text.contains("<code>title</code>"),
        "{}",
        refused.text
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM books").await, books);

    // 401 keeps WWW-Authenticate and says where a token comes from.
    let cart = page(&app, "/cart", &[]).await;
    assert_page(&cart, 401);
    assert!(cart.header("www-authenticate").is_some());
    assert!(cart.text.contains("POST /users"));
}

async fn a_title_with_markup_is_shown_as_text_everywhere(app: TestApp) {
    let evil = "<script>alert(1)</script>";
    let quote = "\"><img src=x onerror=alert(2)>";
    let book = app
        .create("/books", json!({ "title": evil, "price": "1.00" }))
        .await;
    let id = book["id"].as_i64().unwrap();
    let author = app.create("/authors", json!({ "name": quote })).await;
    let author_href = author["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .to_owned();
    app.uri_list(
        Method::POST,
        &format!("/books/{id}/authors"),
        &[&author_href],
    )
    .await
    .assert_status(204);
    let author_id = author["id"].as_i64().unwrap();
    for path in [
        format!("/books/{id}"),
        "/books".to_owned(),
        format!("/authors/{author_id}"),
        format!("/books/{id}/authors"),
        "/books-authors".to_owned(),
    ] {
        let reply = page(&app, &path, &[]).await;
        assert_page(&reply, 200);
        for raw in [evil, quote, "<img"] {
            assert!(!reply.text.contains(raw), "{path} shows {raw} unescaped");
        }
    }
    let own = page(&app, &format!("/books/{id}"), &[]).await;
    assert_eq!(
        heading(&own.text),
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "the h1 reads as the literal title"
    );
    assert!(own
        .text
        .contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
}

async fn the_token_cookie_shows_a_page_and_never_authorises_anything_else(app: TestApp) {
    let user = app
        .create("/users", json!({ "emailAddress": "cookie@example.org" }))
        .await;
    let token = user["token"].as_str().unwrap().to_owned();
    let cookie = format!("halyard_token={token}");
    let cart = page(&app, "/cart", &[("cookie", &cookie)]).await;
    assert_page(&cart, 200);
    assert!(cart.text.contains("data-template=\"add-items\""));
    assert!(cart
        .text
        .contains("<th scope=\"row\">itemCount</th><td>0</td>"));

    // A JSON read with the cookie only: 401, the cookie is not a credential for it.
    app.send(Method::GET, "/cart", &[("cookie", &cookie)], None)
        .await
        .assert_problem(401);
    // A write with the cookie only, whatever it accepts: 401, and nothing changes (a
    // form posted from another site carries the cookie at most).
    for accept in [BROWSER, "application/hal+json"] {
        app.send(
            Method::POST,
            "/cart/items",
            &[("cookie", &cookie), ("accept", accept)],
            Some((
                "application/json",
                json!({ "bookId": 1, "quantity": 1 }).to_string(),
            )),
        )
        .await
        .assert_status(401);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
    // A cookie that is not a token's alphabet is ignored, not sent on.
    let odd = page(&app, "/cart", &[("cookie", "halyard_token=a%0Db")]).await;
    assert_page(&odd, 401);
    // An Authorization header wins over the cookie.
    let other = app
        .create("/users", json!({ "emailAddress": "other@example.org" }))
        .await;
    let bearer = format!("Bearer {}", other["token"].as_str().unwrap());
    let theirs = page(
        &app,
        "/cart",
        &[("cookie", &cookie), ("authorization", &bearer)],
    )
    .await;
    assert_page(&theirs, 200);
    let owner = app.url(&format!("/users/{}", other["id"]));
    assert!(theirs.text.contains(&owner), "the header's user's cart");
}

async fn json_clients_see_no_change(app: TestApp) {
    seed(&app).await;
    for accept in [
        None,
        Some("*/*"),
        Some("application/hal+json"),
        Some("application/json, text/html;q=0.5"),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let reply = app.send(Method::GET, "/books/1", &headers, None).await;
        reply.assert_status(200);
        assert_eq!(reply.content_type(), "application/hal+json", "{accept:?}");
        assert!(reply.header("etag").is_some());
        assert!(reply.header("content-security-policy").is_none());
        assert_eq!(reply.json()["title"], "Title 1");
    }
    // HEAD for a browser keeps the JSON's headers: a page needs a body to render.
    let head = app
        .send(Method::HEAD, "/books/1", &[("accept", BROWSER)], None)
        .await;
    head.assert_status(200);
    assert_eq!(head.content_type(), "application/hal+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_public_url_prefix() {
    let app = crate::common::spawn_with(crate::common::Backend::Sqlite, |config| {
        config.public_url = Some("http://127.0.0.1/api/v1".into());
    })
    .await;
    app.create("/api/v1/books", json!({ "title": "Prefixed" }))
        .await;
    let reply = page(&app, "/api/v1/books/1", &[]).await;
    assert_page(&reply, 200);
    let html = &reply.text;
    assert!(html.contains("href=\"http://127.0.0.1/api/v1/_browser/halyard.css\""));
    assert!(html.contains("data-root=\"http://127.0.0.1/api/v1/\""));
    assert!(html.contains("<a href=\"http://127.0.0.1/api/v1/books\">books</a>"));
    app.get("/api/v1/_browser/halyard.js")
        .await
        .assert_status(200);
}

on_both_backends!(
    a_book_page_shows_properties_links_and_a_form_per_template,
    a_collection_page_has_an_item_table_and_pagination,
    every_link_of_the_root_answers_a_browser_with_a_page,
    a_problem_is_a_readable_page_with_its_status,
    a_title_with_markup_is_shown_as_text_everywhere,
    the_token_cookie_shows_a_page_and_never_authorises_anything_else,
    json_clients_see_no_change,
);
