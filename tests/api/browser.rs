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

/// The HAL-FORMS body of `path`, with these extra headers.
async fn hal_forms(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut headers = vec![("accept", "application/prs.hal-forms+json")];
    headers.extend_from_slice(extra);
    let reply = app.send(Method::GET, path, &headers, None).await;
    reply.assert_status(200);
    reply.json()
}

/// The property `name` of a template.
fn property<'a>(template: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    template["properties"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("no property {name} in {template}"))
}

async fn every_resource_names_the_relation_pages_with_a_doc_curie(app: TestApp) {
    seed(&app).await;
    let curies = json!([{ "name": "doc", "href": app.url("/rels/{rel}"), "templated": true }]);
    for path in [
        "/",
        "/books",
        "/books/1",
        "/books/1/authors",
        "/authors/1",
        "/books-authors",
    ] {
        let body = app.get(path).await.json();
        assert_eq!(body["_links"]["curies"], curies, "{path}");
        // An embedded item is its full representation, the curie included.
        if let Some(items) = body["_embedded"].as_object() {
            for item in items
                .values()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
            {
                assert_eq!(item["_links"]["curies"], curies, "{path}: {item}");
            }
        }
    }
    // The curie expands to a page for every relation Halyard defines.
    for rel in ["authors", "collection/authors", "books-authors", "curies"] {
        let reply = page(&app, &format!("/rels/{rel}"), &[]).await;
        assert_page(&reply, 200);
        assert!(reply.text.contains(&format!("<code>{rel}</code>")), "{rel}");
    }
}

async fn relation_names_on_a_page_link_to_their_documentation(app: TestApp) {
    seed(&app).await;
    let reply = page(&app, "/books/1", &[]).await;
    let html = &reply.text;
    for rel in ["authors", "collection/authors", "books-authors"] {
        let anchor = format!(
            "<a class=\"rel\" href=\"{}\"",
            app.url(&format!("/rels/{rel}"))
        );
        assert!(html.contains(&anchor), "{rel} is not linked");
    }
    // IANA's relations mean what the registry says: plain text.
    assert!(html.contains("<th scope=\"row\">self</th>"), "{html}");
    assert!(!html.contains("rels/self"));
    // Every relation page a page links to exists.
    let rels = app.url("/rels/");
    for part in html.split(&format!("href=\"{rels}")).skip(1) {
        let rel = &part[..part.find('"').expect("a closing quote")];
        assert_page(&page(&app, &format!("/rels/{rel}"), &[]).await, 200);
    }
}

async fn the_response_panel_shows_the_status_and_headers_of_the_resource(app: TestApp) {
    seed(&app).await;
    let json = app.get("/books/1").await;
    let etag = json.header("etag").expect("an ETag");
    let options = app.send(Method::OPTIONS, "/books/1", &[], None).await;
    let allow = options.header("allow").expect("Allow");
    let html = page(&app, "/books/1", &[]).await.text;
    assert!(html.contains("<section id=\"response\"><h2>Response</h2>"));
    assert!(html.contains("<th scope=\"row\">Status</th><td><code>200 OK</code></td>"));
    for (name, value) in [
        ("ETag", etag.replace('"', "&quot;")),
        ("Allow", allow),
        ("Content-Type", "application/prs.hal-forms+json".to_owned()),
        ("Vary", "Accept".to_owned()),
    ] {
        let row = format!(
            "<tr data-header=\"{}\"><th scope=\"row\">{name}</th><td><code>{value}</code></td></tr>",
            name.to_ascii_lowercase()
        );
        assert!(html.contains(&row), "no {row}");
    }
    // The request box resends the GET; the script does it, with the page's ETag ready.
    assert!(html.contains(&format!(
        "<form id=\"request-form\" data-target=\"{}\">",
        app.url("/books/1")
    )));
    assert!(html.contains("<option value=\"application/prs.hal-forms+json\">"));
    // A created resource's page shows its Location.
    let created = app
        .send(
            Method::POST,
            "/authors",
            &[("accept", BROWSER)],
            Some(("application/json", json!({ "name": "New" }).to_string())),
        )
        .await;
    assert!(created.text.contains(&format!(
        "<th scope=\"row\">Location</th><td><code>{}</code>",
        app.url("/authors/3")
    )));
}

async fn fields_have_human_prompts_and_their_rule_as_help(app: TestApp) {
    seed(&app).await;
    let book = hal_forms(&app, "/books/1", &[]).await;
    let templates = &book["_templates"];
    let relate = &templates["create-books-authors"];
    assert_eq!(property(relate, "bookId")["prompt"], "Book");
    assert_eq!(property(relate, "authorId")["prompt"], "Author");
    let royalties = property(relate, "royalties");
    assert_eq!(
        royalties["prompt"],
        "Royalties (share of the book's income)"
    );
    let help = royalties["help"].as_str().expect("help");
    assert!(
        help.contains("0 to 1") && help.contains("four decimals"),
        "{help}"
    );
    // Defaults made from the rule where the schema file gives none.
    let title = property(&templates["default"], "title");
    assert_eq!(title["prompt"], "Title");
    assert_eq!(title["help"], "Text of at most 500 characters.");
    assert_eq!(
        property(&templates["default"], "price")["help"],
        "An amount with at most two decimals, such as 12.50."
    );
    let link = property(&templates["link-authors"], "author");
    assert_eq!(link["prompt"], "Author");
    let set = property(&templates["set-authors"], "author");
    assert_eq!(set["prompt"], "Authors");
    assert!(set["help"]
        .as_str()
        .unwrap()
        .starts_with("Tick every author"));
    // The page uses the same words, and several authors are picked with checkboxes.
    let html = page(&app, "/books/1", &[]).await.text;
    assert!(
        html.contains("<span class=\"prompt\">Royalties (share of the book&#39;s income)</span>")
            || html
                .contains("<span class=\"prompt\">Royalties (share of the book's income)</span>"),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<small class=\"help\" id=\"help-create-books-authors-royalties\">{help}</small>"
    )));
    assert!(html.contains("<fieldset class=\"choices\" data-name=\"author\""));
    assert!(html.contains("<legend class=\"prompt\">Authors</legend>"));
}

async fn destructive_forms_ask_for_confirmation_and_unlinking_is_one_form(app: TestApp) {
    seed(&app).await;
    let html = page(&app, "/books/1", &[]).await.text;
    assert!(html.contains("data-template=\"delete\" data-method=\"DELETE\""));
    let delete = &html[html.find("data-template=\"delete\"").unwrap()..];
    assert!(
        delete[..delete.find('>').unwrap()]
            .contains("data-confirm=\"Delete the book? This cannot be undone.\""),
        "{delete}"
    );
    let unlink = &html[html
        .find("data-template=\"unlink-author\"")
        .expect("one Unlink form")..];
    assert!(unlink[..unlink.find('>').unwrap()].contains("data-confirm="));
    assert_eq!(html.matches("data-template=\"unlink-author").count(), 1);
    assert!(unlink.contains(&format!(
        "<option value=\"{}\">Name 2</option>",
        app.url("/books/1/authors/2")
    )));
    // Nothing else asks: creating is not destructive.
    let create = &html[html.find("data-template=\"create-authors\"").unwrap()..];
    assert!(!create[..create.find('>').unwrap()].contains("data-confirm"));
}

async fn checkout_is_disabled_with_its_reason_until_shipping_is_complete(app: TestApp) {
    let book = app
        .create("/books", json!({ "title": "Dune", "price": "5.00" }))
        .await;
    let user = app
        .create("/users", json!({ "emailAddress": "cart@example.org" }))
        .await;
    let bearer = format!("Bearer {}", user["token"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    app.send(
        Method::POST,
        "/cart/items",
        &auth,
        Some((
            "application/json",
            json!({ "book": book["_links"]["self"]["href"] }).to_string(),
        )),
    )
    .await
    .assert_status(201);

    let cart = hal_forms(&app, "/cart", &auth).await;
    assert_eq!(
        cart["_templates"]["checkout"]["unavailable"],
        "Add shipping information first."
    );
    // The quantity may be left out: the API makes it 1.
    let quantity = property(&cart["_templates"]["add-items"], "quantity");
    assert_eq!(quantity["required"], false);
    assert_eq!(quantity["placeholder"], "1");
    let html = page(&app, "/cart", &auth).await.text;
    assert_eq!(heading(&html), "Cart");
    let checkout = &html[html.find("data-template=\"checkout\"").unwrap()..];
    let checkout = &checkout[..checkout.find("</form>").unwrap()];
    assert!(
        checkout.contains("<fieldset class=\"fields\" disabled>"),
        "{checkout}"
    );
    assert!(checkout.contains("<p class=\"unavailable\">Add shipping information first.</p>"));
    assert!(
        checkout.contains("<button type=\"submit\" disabled>Check out</button>"),
        "{checkout}"
    );
    assert!(html.contains("<span class=\"boolean\" title=\"false\">✗ No</span>"));
    assert!(!html.contains("<span class=\"prompt\">Quantity *</span>"));

    let shipping = json!({ "name": "Ada", "street": "1 Road", "city": "Town", "postalCode": "12345", "country": "GB" });
    app.send(
        Method::PUT,
        "/cart/shipping",
        &auth,
        Some(("application/json", shipping.to_string())),
    )
    .await
    .assert_status(200);
    let cart = hal_forms(&app, "/cart", &auth).await;
    assert!(cart["_templates"]["checkout"].get("unavailable").is_none());
    let html = page(&app, "/cart", &auth).await.text;
    assert!(html.contains("<button type=\"submit\">Check out</button>"));
}

async fn the_openapi_reference_is_a_page_of_its_own_linked_from_every_page(app: TestApp) {
    let evil = "<script>alert(1)</script>";
    app.create("/books", json!({ "title": evil })).await;
    let book = page(&app, "/books/1", &[]).await;
    let reference = app.url("/openapi.html");
    assert!(book.text.contains(&format!(
        "<a class=\"reference\" href=\"{reference}\">API reference</a>"
    )));
    let reply = page(&app, "/openapi.html", &[]).await;
    assert_page(&reply, 200);
    let html = &reply.text;
    let document = app.get("/openapi.json").await.json();
    assert_eq!(heading(html), document["info"]["title"].as_str().unwrap());
    for path in document["paths"].as_object().unwrap().keys() {
        assert!(
            html.contains(&format!("<h2><code>{path}</code></h2>")),
            "{path}"
        );
    }
    assert!(html.contains("<span class=\"method\">DELETE</span> <code>/books/{id}</code>"));
    for raw in [evil, "<img"] {
        assert!(!html.contains(raw));
    }
    // The document's own text with markup characters (the filter's `<=`) is text too.
    assert!(!html.contains("`<`") && !html.contains("<="), "unescaped");
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
    every_resource_names_the_relation_pages_with_a_doc_curie,
    relation_names_on_a_page_link_to_their_documentation,
    the_response_panel_shows_the_status_and_headers_of_the_resource,
    fields_have_human_prompts_and_their_rule_as_help,
    destructive_forms_ask_for_confirmation_and_unlinking_is_one_form,
    checkout_is_disabled_with_its_reason_until_shipping_is_complete,
    the_openapi_reference_is_a_page_of_its_own_linked_from_every_page,
);
