//! The shop (§6): every user's cart, a one-to-one singleton with no id of its own; its
//! items; the singleton parts it is split into (shipping, billing, payment); checkout
//! into orders with prices frozen; and who may see and change what.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{hrefs, Backend, Reply, TestApp};
use crate::on_both_backends;

/// Test cards that pass the Luhn check.
const VISA: &str = "4111111111111111";
const MASTERCARD: &str = "5555555555554444";
const AMEX: &str = "378282246310005";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A user and the token `POST /users` gave them.
struct Shopper {
    id: i64,
    token: String,
    email: String,
}

impl Shopper {
    fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }
}

/// Creates a user and keeps their token.
async fn shopper(app: &TestApp, email: &str) -> Shopper {
    let user = app.create("/users", json!({ "emailAddress": email })).await;
    Shopper {
        id: user["id"].as_i64().expect("user id"),
        token: user["token"]
            .as_str()
            .expect("a token on creation")
            .to_owned(),
        email: email.to_owned(),
    }
}

/// Creates a book and returns its id.
async fn book(app: &TestApp, title: &str, price: &str) -> i64 {
    app.create("/books", json!({ "title": title, "price": price }))
        .await["id"]
        .as_i64()
        .expect("book id")
}

/// Sends a request whose `Authorization` header is exactly `authorization` (none when
/// `None`), with an optional JSON body.
async fn send_auth(
    app: &TestApp,
    authorization: Option<&str>,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> Reply {
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("authorization", *value))
        .collect();
    app.send(
        method,
        path,
        &headers,
        body.map(|b| ("application/json", b.to_string())),
    )
    .await
}

/// Sends a request as `who`.
async fn call(
    app: &TestApp,
    who: &Shopper,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    send_auth(app, Some(&who.bearer()), method, path, body.as_ref()).await
}

/// `GET path` as `who`.
async fn get_as(app: &TestApp, who: &Shopper, path: &str) -> Reply {
    call(app, who, Method::GET, path, None).await
}

/// `GET path` as `who`, asserting 200, and returns the body.
async fn read_as(app: &TestApp, who: &Shopper, path: &str) -> Value {
    let reply = get_as(app, who, path).await;
    reply.assert_status(200);
    reply.json()
}

/// `POST /cart/items` of `quantity` copies of `book`, as `who`.
async fn add_item(app: &TestApp, who: &Shopper, book: i64, quantity: i64) -> Reply {
    call(
        app,
        who,
        Method::POST,
        "/cart/items",
        Some(json!({ "book": format!("/books/{book}"), "quantity": quantity })),
    )
    .await
}

/// Adds a new line and returns its id (asserting 201).
async fn new_line(app: &TestApp, who: &Shopper, book: i64, quantity: i64) -> i64 {
    let reply = add_item(app, who, book, quantity).await;
    reply.assert_status(201);
    reply.json()["id"].as_i64().expect("item id")
}

/// A complete address whose every value carries `name`.
fn address(name: &str) -> Value {
    json!({
        "name": name,
        "street": format!("{name} Street 7"),
        "city": format!("{name}ville"),
        "postalCode": "12345",
        "country": "GB",
    })
}

/// A complete payment body for this card number, valid through 2099.
fn card(number: &str) -> Value {
    json!({ "cardholder": "Ada Lovelace", "cardNumber": number, "expiry": "12/99" })
}

/// Puts `who`'s cart in a state checkout accepts: these `(book, quantity)` items, a
/// shipping address named `name`, and this card.
async fn ready_cart(app: &TestApp, who: &Shopper, items: &[(i64, i64)], name: &str, number: &str) {
    for (book, quantity) in items {
        let reply = add_item(app, who, *book, *quantity).await;
        assert!(reply.status == 201 || reply.status == 200, "{}", reply.text);
    }
    call(app, who, Method::PUT, "/cart/shipping", Some(address(name)))
        .await
        .assert_status(200);
    call(app, who, Method::PUT, "/cart/payment", Some(card(number)))
        .await
        .assert_status(200);
}

/// `POST /cart:checkout` as `who`, with no body.
async fn checkout(app: &TestApp, who: &Shopper) -> Reply {
    call(app, who, Method::POST, "/cart:checkout", None).await
}

/// Checks out (asserting 201) and returns the order.
async fn place_order(app: &TestApp, who: &Shopper) -> Value {
    let reply = checkout(app, who).await;
    reply.assert_status(201);
    reply.json()
}

/// Asserts the response may be cached only by the user's own client, and per token.
#[track_caller]
fn assert_private(reply: &Reply, what: &str) {
    assert_eq!(
        reply.header("cache-control").as_deref(),
        Some("private"),
        "{what}"
    );
    let vary: Vec<&str> = reply
        .headers
        .get_all("vary")
        .iter()
        .flat_map(|value| value.to_str().expect("ASCII Vary").split(','))
        .map(str::trim)
        .collect();
    assert!(
        vary.iter()
            .any(|name| name.eq_ignore_ascii_case("authorization")),
        "{what}: Vary is {vary:?}"
    );
}

/// Asserts a 401 that asks for a bearer token.
#[track_caller]
fn assert_unauthorized(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.text);
    reply.assert_problem(401);
    assert_eq!(
        reply.header("www-authenticate").as_deref(),
        Some("Bearer"),
        "{what}"
    );
}

/// The `field`s of a problem's `errors`, sorted.
fn error_fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect();
    fields.sort();
    fields
}

/// The methods an `Allow` header lists.
fn allowed(reply: &Reply) -> Vec<String> {
    reply
        .header("allow")
        .unwrap_or_else(|| panic!("no Allow header: {}", reply.text))
        .split(',')
        .map(|m| m.trim().to_owned())
        .collect()
}

/// How many times each status occurs, by status.
fn tally(statuses: &[u16]) -> Vec<(u16, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(*status).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

/// Sends `count` identical requests at once as `who`; returns their replies.
async fn race(
    app: &TestApp,
    who: &Shopper,
    count: usize,
    path: &str,
    body: Option<Value>,
) -> Vec<(u16, String)> {
    let url = app.url(path);
    let handles: Vec<_> = (0..count)
        .map(|_| {
            let client = app.client.clone();
            let url = url.clone();
            let bearer = who.bearer();
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = client.post(url).header("authorization", bearer);
                if let Some(body) = body {
                    request = request.json(&body);
                }
                let response = request.send().await.expect("request sent");
                let status = response.status().as_u16();
                (status, response.text().await.expect("body"))
            })
        })
        .collect();
    let mut replies = Vec::new();
    for handle in handles {
        replies.push(handle.await.expect("request task"));
    }
    replies
}

/// The current month as `MM/YY`, and the month before it.
fn this_and_last_month() -> (String, String) {
    let now = halyard::clock::Utc::now();
    let (year, month) = (now.year, now.month);
    let (last_year, last_month) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    (
        format!("{month:02}/{:02}", year % 100),
        format!("{last_month:02}/{:02}", last_year % 100),
    )
}

// ---------------------------------------------------------------------------------------
// The cart: one per user, its summary, who may see it
// ---------------------------------------------------------------------------------------

async fn every_user_has_exactly_one_cart_from_the_moment_they_exist(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;

    let carts_of_ada = format!(
        "SELECT COUNT(*) AS id FROM carts WHERE user_id = {}",
        ada.id
    );
    assert_eq!(app.scalar(&carts_of_ada).await, 1);
    let reply = get_as(&app, &ada, "/cart").await;
    reply.assert_status(200);
    assert_eq!(reply.content_type(), "application/hal+json");
    let cart = reply.json();
    assert!(cart.get("id").is_none(), "the cart has no id: {cart}");
    assert_eq!(cart["itemCount"], 0);
    assert_eq!(cart["total"], "0.00");
    assert_eq!(cart["shippingCost"], "0.00");
    assert_eq!(cart["shippingInfoComplete"], false);
    assert_eq!(cart["_links"]["items"], json!([]));
    assert_eq!(
        cart["_links"]["owner"]["href"],
        app.url(&format!("/users/{}", ada.id))
    );
    let by_user = read_as(&app, &ada, &format!("/users/{}/cart", ada.id)).await;
    assert_eq!(by_user, cart);

    let bob = shopper(&app, "bob@example.org").await;
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM carts").await, 2);
    let bobs = read_as(&app, &bob, "/cart").await;
    assert_eq!(
        bobs["_links"]["owner"]["href"],
        app.url(&format!("/users/{}", bob.id))
    );

    // A user without orders can go, and their cart with them.
    let dune = book(&app, "Dune", "12.50").await;
    new_line(&app, &ada, dune, 1).await;
    call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/users/{}", ada.id),
        None,
    )
    .await
    .assert_status(204);
    assert_eq!(app.scalar(&carts_of_ada).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM carts").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
}

async fn the_cart_summary_counts_totals_and_links_everything(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let emma = book(&app, "Emma", "3.25").await;
    let first = new_line(&app, &ada, dune, 2).await;
    let second = new_line(&app, &ada, emma, 1).await;

    let before = read_as(&app, &ada, "/cart").await;

    assert_eq!(before["itemCount"], 3);
    assert_eq!(before["total"], "28.25");
    assert_eq!(before["shippingCost"], "4.90");
    assert_eq!(before["shippingInfoComplete"], false);
    let updated_at = before["updatedAt"].as_str().expect("updatedAt").to_owned();
    assert!(
        updated_at.len() >= 20 && updated_at.contains('T') && updated_at.ends_with('Z'),
        "{updated_at}"
    );
    let links = &before["_links"];
    assert_eq!(links["self"]["href"], app.url("/cart"));
    assert_eq!(
        links["owner"]["href"],
        app.url(&format!("/users/{}", ada.id))
    );
    assert_eq!(
        hrefs(&links["items"]),
        [
            app.url(&format!("/cart/items/{first}")),
            app.url(&format!("/cart/items/{second}"))
        ]
    );
    assert_eq!(links["items"][0]["title"], "Dune");
    assert_eq!(links["items"][1]["title"], "Emma");
    assert_eq!(links["collection/items"]["href"], app.url("/cart/items"));
    assert_eq!(links["shipping"]["href"], app.url("/cart/shipping"));
    assert_eq!(links["billing"]["href"], app.url("/cart/billing"));
    assert_eq!(links["payment"]["href"], app.url("/cart/payment"));
    assert_eq!(links["checkout"]["href"], app.url("/cart:checkout"));

    call(
        &app,
        &ada,
        Method::PUT,
        "/cart/shipping",
        Some(address("Ada")),
    )
    .await
    .assert_status(200);
    let after = read_as(&app, &ada, "/cart").await;
    assert_eq!(after["shippingInfoComplete"], true);
    let later = after["updatedAt"].as_str().expect("updatedAt");
    assert!(later >= updated_at.as_str(), "{later} < {updated_at}");
}

async fn shipping_is_free_from_50_00_and_4_90_below_it_and_nothing_for_an_empty_cart(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let big = book(&app, "Big", "49.99").await;
    let penny = book(&app, "Penny", "0.01").await;
    let shipping = |cart: &Value| (cart["total"].clone(), cart["shippingCost"].clone());

    let empty = read_as(&app, &ada, "/cart").await;
    let big_line = new_line(&app, &ada, big, 1).await;
    let just_below = read_as(&app, &ada, "/cart").await;
    let penny_line = new_line(&app, &ada, penny, 1).await;
    let at_threshold = read_as(&app, &ada, "/cart").await;
    call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/cart/items/{big_line}"),
        None,
    )
    .await
    .assert_status(204);
    let small = read_as(&app, &ada, "/cart").await;
    call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/cart/items/{penny_line}"),
        None,
    )
    .await
    .assert_status(204);
    let emptied = read_as(&app, &ada, "/cart").await;

    assert_eq!(shipping(&empty), (json!("0.00"), json!("0.00")));
    assert_eq!(shipping(&just_below), (json!("49.99"), json!("4.90")));
    assert_eq!(shipping(&at_threshold), (json!("50.00"), json!("0.00")));
    assert_eq!(shipping(&small), (json!("0.01"), json!("4.90")));
    assert_eq!(shipping(&emptied), (json!("0.00"), json!("0.00")));
}

async fn responses_about_the_cart_are_private_and_vary_by_authorization(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let emma = book(&app, "Emma", "3.25").await;
    let added = add_item(&app, &ada, dune, 1).await;
    added.assert_status(201);
    assert_private(&added, "POST /cart/items");
    let item = format!("/cart/items/{}", added.json()["id"]);

    let mut replies = Vec::new();
    for path in [
        "/cart".to_owned(),
        format!("/users/{}/cart", ada.id),
        "/cart/items".to_owned(),
        item.clone(),
        "/cart/shipping".to_owned(),
        "/cart/billing".to_owned(),
        "/cart/payment".to_owned(),
        "/orders".to_owned(),
    ] {
        replies.push((format!("GET {path}"), get_as(&app, &ada, &path).await));
    }
    let writes = [
        (Method::PATCH, item.clone(), json!({ "quantity": 2 })),
        (Method::PUT, "/cart/shipping".into(), address("Ada")),
        (
            Method::PATCH,
            "/cart/shipping".into(),
            json!({ "city": "Paris" }),
        ),
        (Method::PUT, "/cart/billing".into(), address("Ada Billing")),
        (
            Method::PATCH,
            "/cart/billing".into(),
            json!({ "city": "Lyon" }),
        ),
        (Method::PUT, "/cart/payment".into(), card(VISA)),
        (
            Method::PATCH,
            "/cart/payment".into(),
            json!({ "cardholder": "A. L." }),
        ),
    ];
    for (method, path, body) in writes {
        let what = format!("{method} {path}");
        replies.push((what, call(&app, &ada, method, &path, Some(body)).await));
    }
    let extra = new_line(&app, &ada, emma, 1).await;
    let deleted = call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/cart/items/{extra}"),
        None,
    )
    .await;
    replies.push(("DELETE item".into(), deleted));
    let placed = checkout(&app, &ada).await;
    let order = placed
        .header("location")
        .expect("Location")
        .strip_prefix(&app.address)
        .expect("absolute Location")
        .to_owned();
    replies.push(("POST /cart:checkout".into(), placed));
    replies.push(("GET order".into(), get_as(&app, &ada, &order).await));

    for (what, reply) in &replies {
        assert!(
            (200..300).contains(&reply.status),
            "{what}: {} {}",
            reply.status,
            reply.text
        );
        assert_private(reply, what);
    }

    // Errors tell about one user's cart as much as answers do.
    let bob = shopper(&app, "bob@example.org").await;
    let errors = [
        ("401", app.get("/cart").await),
        (
            "403",
            get_as(&app, &bob, &format!("/users/{}/cart", ada.id)).await,
        ),
        ("404 item", get_as(&app, &ada, "/cart/items/999999").await),
        ("404 order", get_as(&app, &bob, &order).await),
        ("409", checkout(&app, &ada).await),
        (
            "400",
            call(
                &app,
                &ada,
                Method::PUT,
                "/cart/payment",
                Some(card("4111111111111112")),
            )
            .await,
        ),
    ];
    for (what, reply) in &errors {
        assert!(reply.status >= 400, "{what}: {}", reply.status);
        assert_private(reply, what);
    }

    // A revalidation is private too, and the tag follows the cart's content.
    let current = get_as(&app, &ada, "/cart").await;
    let etag = current.header("etag").expect("the cart has an ETag");
    let bearer = ada.bearer();
    let not_modified = app
        .send(
            Method::GET,
            "/cart",
            &[
                ("authorization", bearer.as_str()),
                ("if-none-match", etag.as_str()),
            ],
            None,
        )
        .await;
    not_modified.assert_status(304);
    assert_private(&not_modified, "304 on /cart");
    new_line(&app, &ada, emma, 1).await;
    let changed = get_as(&app, &ada, "/cart").await;
    assert_ne!(changed.header("etag"), Some(etag));
}

async fn a_users_cart_is_for_that_users_own_token_only(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let bob = shopper(&app, "bob@example.org").await;
    let secret = book(&app, "Ada's Private Notebook", "9.00").await;
    new_line(&app, &ada, secret, 1).await;
    let path = format!("/users/{}/cart", ada.id);

    let own = get_as(&app, &ada, &path).await;
    let foreign = get_as(&app, &bob, &path).await;
    let anonymous = app.get(&path).await;
    let nobody = get_as(&app, &ada, "/users/999999/cart").await;
    let not_an_id = get_as(&app, &ada, "/users/abc/cart").await;

    own.assert_status(200);
    assert_eq!(own.json(), read_as(&app, &ada, "/cart").await);
    assert_eq!(own.json()["_links"]["self"]["href"], app.url("/cart"));
    foreign.assert_problem(403);
    for leak in [ada.email.as_str(), "Private Notebook"] {
        assert!(!foreign.text.contains(leak), "{}", foreign.text);
    }
    assert_unauthorized(&anonymous, "no token");
    nobody.assert_problem(404);
    not_an_id.assert_problem(404);
}

async fn the_cart_has_no_delete_or_post_and_every_unsupported_method_is_405_with_allow(
    app: TestApp,
) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let item = new_line(&app, &ada, dune, 1).await;
    let by_user = format!("/users/{}/cart", ada.id);
    let item_path = format!("/cart/items/{item}");
    // Each path, the methods it refuses, and the methods its Allow lists.
    let cases: Vec<(&str, Vec<Method>, &[&str])> = vec![
        (
            "/cart",
            vec![Method::DELETE, Method::POST, Method::PUT, Method::PATCH],
            &["GET"],
        ),
        (
            by_user.as_str(),
            vec![Method::DELETE, Method::POST, Method::PUT, Method::PATCH],
            &["GET"],
        ),
        (
            "/cart/items",
            vec![Method::PUT, Method::PATCH, Method::DELETE],
            &["GET", "POST"],
        ),
        (
            item_path.as_str(),
            vec![Method::PUT, Method::POST],
            &["GET", "PATCH", "DELETE"],
        ),
        (
            "/cart/shipping",
            vec![Method::DELETE, Method::POST],
            &["GET", "PUT", "PATCH"],
        ),
        (
            "/cart/billing",
            vec![Method::DELETE, Method::POST],
            &["GET", "PUT", "PATCH"],
        ),
        (
            "/cart/payment",
            vec![Method::DELETE, Method::POST],
            &["GET", "PUT", "PATCH"],
        ),
        (
            "/cart:checkout",
            vec![Method::GET, Method::PUT, Method::DELETE],
            &["POST"],
        ),
        ("/orders", vec![Method::POST, Method::DELETE], &["GET"]),
    ];

    for (path, refused, supported) in cases {
        for method in refused.clone() {
            let what = format!("{method} {path}");
            let reply = call(&app, &ada, method, path, Some(json!({}))).await;
            reply.assert_problem(405);
            let allow = allowed(&reply);
            for m in supported {
                assert!(allow.iter().any(|a| a == m), "{what}: Allow {allow:?}");
            }
            for m in &refused {
                assert!(
                    !allow.iter().any(|a| a == m.as_str()),
                    "{what}: Allow {allow:?}"
                );
            }
        }
    }

    let carts_of_ada = format!(
        "SELECT COUNT(*) AS id FROM carts WHERE user_id = {}",
        ada.id
    );
    assert_eq!(app.scalar(&carts_of_ada).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 0);
}

// ---------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------

async fn adding_a_book_makes_a_line_and_adding_it_again_adds_to_its_quantity(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;

    let first = add_item(&app, &ada, dune, 2).await;
    let again = call(
        &app,
        &ada,
        Method::POST,
        "/cart/items",
        Some(json!({ "book": app.url(&format!("/books/{dune}")), "quantity": 3 })),
    )
    .await;

    first.assert_status(201);
    assert_eq!(first.content_type(), "application/hal+json");
    let line = first.json();
    let id = line["id"].as_i64().expect("item id");
    let self_href = app.url(&format!("/cart/items/{id}"));
    assert_eq!(
        first.header("location").as_deref(),
        Some(self_href.as_str())
    );
    assert_eq!(line["_links"]["self"]["href"], self_href);
    assert_eq!(
        line["_links"]["book"]["href"],
        app.url(&format!("/books/{dune}"))
    );
    assert_eq!(line["bookId"], dune);
    assert_eq!(line["title"], "Dune");
    assert_eq!(line["unitPrice"], "12.50");
    assert_eq!(line["quantity"], 2);
    assert_eq!(line["amount"], "25.00");
    again.assert_status(200);
    assert_eq!(again.json()["id"], id);
    assert_eq!(again.json()["quantity"], 5);
    assert_eq!(again.json()["amount"], "62.50");

    // Every reference form names the same book; a missing quantity means one.
    for body in [
        json!({ "book": format!("books/{dune}"), "quantity": 1 }),
        json!({ "book": dune, "quantity": 1 }),
        json!({ "bookId": dune, "quantity": 1 }),
        json!({ "book_id": dune, "quantity": 1 }),
        json!({ "book": format!("/books/{dune}") }),
    ] {
        let reply = call(&app, &ada, Method::POST, "/cart/items", Some(body.clone())).await;
        reply.assert_status(200);
        assert_eq!(reply.json()["id"], id, "{body}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);
    assert_eq!(
        app.scalar("SELECT quantity AS id FROM cart_items").await,
        10
    );
    let list = read_as(&app, &ada, "/cart/items").await;
    let items = list["_embedded"]["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["quantity"], 10);
    assert_eq!(items[0]["_links"]["self"]["href"], self_href);
    assert_eq!(list["_links"]["self"]["href"], app.url("/cart/items"));
    assert_eq!(read_as(&app, &ada, "/cart").await["itemCount"], 10);
}

async fn concurrent_adds_of_one_book_make_one_line_holding_every_copy(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;

    let replies = race(
        &app,
        &ada,
        12,
        "/cart/items",
        Some(json!({ "book": dune, "quantity": 1 })),
    )
    .await;

    let statuses: Vec<u16> = replies.iter().map(|(s, _)| *s).collect();
    let unexpected: Vec<_> = replies.iter().filter(|(s, _)| *s > 201).collect();
    assert_eq!(tally(&statuses), [(200, 11), (201, 1)], "{unexpected:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);
    assert_eq!(
        app.scalar("SELECT quantity AS id FROM cart_items").await,
        12
    );
}

async fn quantities_are_integers_from_1_to_999(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let bad_quantities = [
        json!(0),
        json!(-1),
        json!(1000),
        json!(1.5),
        json!("2"),
        json!(true),
        Value::Null,
    ];

    for bad in &bad_quantities {
        let reply = call(
            &app,
            &ada,
            Method::POST,
            "/cart/items",
            Some(json!({ "book": dune, "quantity": bad })),
        )
        .await;
        let problem = reply.assert_problem(400);
        assert_eq!(error_fields(&problem), ["quantity"], "{bad}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);

    let most = add_item(&app, &ada, dune, 999).await;
    most.assert_status(201);
    let item = format!("/cart/items/{}", most.json()["id"]);
    let past_the_limit = add_item(&app, &ada, dune, 1).await;
    past_the_limit.assert_problem(409);
    assert_eq!(
        app.scalar("SELECT quantity AS id FROM cart_items").await,
        999
    );

    for bad in &bad_quantities {
        let reply = call(
            &app,
            &ada,
            Method::PATCH,
            &item,
            Some(json!({ "quantity": bad })),
        )
        .await;
        let problem = reply.assert_problem(400);
        assert_eq!(error_fields(&problem), ["quantity"], "{bad}");
    }
    assert_eq!(
        app.scalar("SELECT quantity AS id FROM cart_items").await,
        999
    );
    let one = call(
        &app,
        &ada,
        Method::PATCH,
        &item,
        Some(json!({ "quantity": 1 })),
    )
    .await;
    one.assert_status(200);
    assert_eq!(one.json()["quantity"], 1);
    assert_eq!(app.scalar("SELECT quantity AS id FROM cart_items").await, 1);
}

async fn a_bad_book_reference_is_400_naming_it_and_an_unknown_book_is_422(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;

    for bad in [
        json!("/authors/1"),
        json!(format!("http://elsewhere.example/books/{dune}")),
        json!("/books/abc"),
        json!(format!("/books/{dune}/authors")),
        json!(-1),
        json!(1.5),
        json!(""),
        json!({ "href": "/books/1x" }),
    ] {
        let reply = call(
            &app,
            &ada,
            Method::POST,
            "/cart/items",
            Some(json!({ "book": bad, "quantity": 1 })),
        )
        .await;
        let problem = reply.assert_problem(400);
        assert_eq!(error_fields(&problem), ["book"], "{bad}");
    }
    let missing = call(
        &app,
        &ada,
        Method::POST,
        "/cart/items",
        Some(json!({ "quantity": 1 })),
    )
    .await;
    let fields = error_fields(&missing.assert_problem(400));
    assert!(
        fields == ["book"] || fields == ["bookId"],
        "{}",
        missing.text
    );
    let unknown_property = call(
        &app,
        &ada,
        Method::POST,
        "/cart/items",
        Some(json!({ "book": dune, "quantity": 1, "colour": "red" })),
    )
    .await;
    assert_eq!(
        error_fields(&unknown_property.assert_problem(400)),
        ["colour"]
    );
    let unknown = call(
        &app,
        &ada,
        Method::POST,
        "/cart/items",
        Some(json!({ "book": "/books/999999", "quantity": 1 })),
    )
    .await;
    unknown.assert_problem(422);

    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
}

async fn a_cart_item_is_read_patched_and_deleted(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let emma = book(&app, "Emma", "3.25").await;
    let created = add_item(&app, &ada, dune, 2).await;
    created.assert_status(201);
    let id = created.json()["id"].as_i64().expect("id");
    let path = format!("/cart/items/{id}");

    let read = get_as(&app, &ada, &path).await;
    read.assert_status(200);
    assert_eq!(read.json(), created.json());
    assert!(read.header("etag").is_some());

    let patched = call(
        &app,
        &ada,
        Method::PATCH,
        &path,
        Some(json!({ "quantity": 4 })),
    )
    .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["quantity"], 4);
    assert_eq!(patched.json()["amount"], "50.00");
    assert_eq!(read_as(&app, &ada, "/cart").await["itemCount"], 4);
    let same_book = call(
        &app,
        &ada,
        Method::PATCH,
        &path,
        Some(json!({ "bookId": dune, "quantity": 5 })),
    )
    .await;
    same_book.assert_status(200);
    assert_eq!(same_book.json()["quantity"], 5);
    for body in [
        json!({ "bookId": emma }),
        json!({ "book": format!("/books/{emma}") }),
    ] {
        let reply = call(&app, &ada, Method::PATCH, &path, Some(body.clone())).await;
        reply.assert_problem(400);
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM cart_items WHERE book_id = {dune} AND quantity = 5"
        ))
        .await,
        1
    );

    let deleted = call(&app, &ada, Method::DELETE, &path, None).await;
    deleted.assert_status(204);
    assert!(deleted.text.is_empty());
    get_as(&app, &ada, &path).await.assert_problem(404);
    call(&app, &ada, Method::DELETE, &path, None)
        .await
        .assert_problem(404);
    get_as(&app, &ada, "/cart/items/abc")
        .await
        .assert_problem(404);
    assert_eq!(read_as(&app, &ada, "/cart").await["itemCount"], 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
}

async fn a_deleted_book_leaves_every_cart_but_orders_keep_their_lines(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let bob = shopper(&app, "bob@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;
    let order = place_order(&app, &ada).await;
    new_line(&app, &bob, dune, 2).await;

    app.delete(&format!("/books/{dune}"))
        .await
        .assert_status(204);

    assert_eq!(read_as(&app, &bob, "/cart").await["itemCount"], 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
    let kept = read_as(&app, &ada, &format!("/orders/{}", order["id"])).await;
    assert_eq!(kept, order);
    assert_eq!(kept["lines"][0]["title"], "Dune");
}

// ---------------------------------------------------------------------------------------
// Shipping, billing, payment
// ---------------------------------------------------------------------------------------

async fn the_shipping_address_is_read_replaced_and_patched(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let stored = |city: &str| {
        format!("SELECT COUNT(*) AS id FROM carts WHERE ship_name = 'Ada' AND ship_city = '{city}'")
    };

    let unset = read_as(&app, &ada, "/cart/shipping").await;
    assert_eq!(unset["_links"]["self"]["href"], app.url("/cart/shipping"));
    assert_eq!(unset["_links"]["cart"]["href"], app.url("/cart"));
    for field in ["name", "street", "city", "postalCode", "country"] {
        assert_eq!(unset[field], Value::Null, "{field}");
    }

    let mut incomplete = address("Ada");
    incomplete.as_object_mut().expect("object").remove("city");
    let mut blank = address("Ada");
    blank["name"] = json!("  ");
    let mut unknown = address("Ada");
    unknown["planet"] = json!("Mars");
    for (body, field) in [(incomplete, "city"), (blank, "name"), (unknown, "planet")] {
        let reply = call(&app, &ada, Method::PUT, "/cart/shipping", Some(body)).await;
        assert_eq!(error_fields(&reply.assert_problem(400)), [field]);
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM carts WHERE ship_name IS NOT NULL")
            .await,
        0
    );

    let put = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/shipping",
        Some(address("Ada")),
    )
    .await;
    put.assert_status(200);
    for (field, value) in address("Ada").as_object().expect("object") {
        assert_eq!(&put.json()[field], value, "{field}");
    }
    assert_eq!(read_as(&app, &ada, "/cart/shipping").await, put.json());
    assert_eq!(app.scalar(&stored("Adaville")).await, 1);

    let patched = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/shipping",
        Some(json!({ "city": "Paris" })),
    )
    .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["city"], "Paris");
    assert_eq!(patched.json()["street"], "Ada Street 7");
    assert_eq!(app.scalar(&stored("Paris")).await, 1);
    let nulled = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/shipping",
        Some(json!({ "city": null })),
    )
    .await;
    assert_eq!(error_fields(&nulled.assert_problem(400)), ["city"]);

    // A PUT of its own GET body succeeds and changes nothing.
    let own = read_as(&app, &ada, "/cart/shipping").await;
    let again = call(&app, &ada, Method::PUT, "/cart/shipping", Some(own.clone())).await;
    again.assert_status(200);
    assert_eq!(again.json(), own);
    assert_eq!(app.scalar(&stored("Paris")).await, 1);
}

async fn billing_is_the_shipping_address_until_it_is_set(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let billing_unset = "SELECT COUNT(*) AS id FROM carts WHERE bill_name IS NULL \
        AND bill_street IS NULL AND bill_city IS NULL AND bill_postal_code IS NULL \
        AND bill_country IS NULL";
    let fields_of = |body: &Value| {
        ["name", "street", "city", "postalCode", "country"]
            .iter()
            .map(|f| body[*f].clone())
            .collect::<Vec<_>>()
    };

    let unset = read_as(&app, &ada, "/cart/billing").await;
    assert_eq!(unset["sameAsShipping"], true);
    assert_eq!(fields_of(&unset), vec![Value::Null; 5]);
    assert_eq!(unset["_links"]["self"]["href"], app.url("/cart/billing"));

    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;
    let following = read_as(&app, &ada, "/cart/billing").await;
    assert_eq!(following["sameAsShipping"], true);
    assert_eq!(fields_of(&following), fields_of(&address("Ada")));

    // Putting back what GET showed keeps billing following the shipping address.
    let put_back = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/billing",
        Some(following.clone()),
    )
    .await;
    put_back.assert_status(200);
    assert_eq!(put_back.json(), following);
    assert_eq!(app.scalar(billing_unset).await, 1);
    call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/shipping",
        Some(json!({ "city": "Paris" })),
    )
    .await
    .assert_status(200);
    assert_eq!(read_as(&app, &ada, "/cart/billing").await["city"], "Paris");

    // A patch applies to the address as shown: the rest is the shipping address.
    let patched = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/billing",
        Some(json!({ "name": "Ada Corp" })),
    )
    .await;
    patched.assert_status(200);
    let patched = patched.json();
    assert_eq!(patched["sameAsShipping"], false);
    assert_eq!(patched["name"], "Ada Corp");
    assert_eq!(patched["street"], "Ada Street 7");
    assert_eq!(patched["city"], "Paris");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS id FROM carts WHERE bill_name = 'Ada Corp' \
             AND bill_street = 'Ada Street 7' AND bill_city = 'Paris' \
             AND bill_postal_code = '12345' AND bill_country = 'GB'"
        )
        .await,
        1
    );
    call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/shipping",
        Some(json!({ "street": "Rue de Rivoli 1" })),
    )
    .await
    .assert_status(200);
    assert_eq!(
        read_as(&app, &ada, "/cart/billing").await["street"],
        "Ada Street 7"
    );

    // sameAsShipping: true follows the shipping address again.
    let back = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/billing",
        Some(json!({ "sameAsShipping": true })),
    )
    .await;
    back.assert_status(200);
    assert_eq!(back.json()["sameAsShipping"], true);
    assert_eq!(back.json()["street"], "Rue de Rivoli 1");
    assert_eq!(app.scalar(billing_unset).await, 1);
    for (body, field) in [
        (json!({ "sameAsShipping": "yes" }), "sameAsShipping"),
        (json!({ "sameAsShipping": true, "name": "Other" }), "name"),
    ] {
        let reply = call(&app, &ada, Method::PATCH, "/cart/billing", Some(body)).await;
        assert_eq!(error_fields(&reply.assert_problem(400)), [field]);
    }

    let put = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/billing",
        Some(address("Accounts")),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.json()["sameAsShipping"], false);
    let order = place_order(&app, &ada).await;
    assert_eq!(order["billingAddress"], address("Accounts"));
    assert_eq!(order["shippingAddress"]["street"], "Rue de Rivoli 1");

    // Without a billing address of its own, the order bills the shipping address.
    ready_cart(&app, &ada, &[(dune, 1)], "Bea", VISA).await;
    let second = place_order(&app, &ada).await;
    assert_eq!(second["billingAddress"], address("Bea"));
    assert_eq!(second["shippingAddress"], address("Bea"));
}

async fn payment_keeps_only_the_brand_and_the_last_four_digits(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;

    for (number, brand, last4) in [
        (VISA, "visa", "1111"),
        (MASTERCARD, "mastercard", "4444"),
        (AMEX, "amex", "0005"),
    ] {
        let put = call(&app, &ada, Method::PUT, "/cart/payment", Some(card(number))).await;
        put.assert_status(200);
        let payment = put.json();
        assert_eq!(payment["brand"], brand);
        assert_eq!(payment["last4"], last4);
        assert_eq!(payment["cardholder"], "Ada Lovelace");
        assert_eq!(payment["expiry"], "12/99");
        assert!(payment.get("cardNumber").is_none(), "{payment}");
        assert!(!put.text.contains(number), "{}", put.text);
        assert_eq!(payment["_links"]["self"]["href"], app.url("/cart/payment"));
        assert_eq!(read_as(&app, &ada, "/cart/payment").await, payment);
        let stored = format!(
            "SELECT COUNT(*) AS id FROM carts WHERE card_brand = '{brand}' AND card_last4 = '{last4}'"
        );
        assert_eq!(app.scalar(&stored).await, 1, "{brand}");
    }

    // Spaces and dashes between the digits are allowed.
    let spaced = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/payment",
        Some(card("4111 1111-1111 1111")),
    )
    .await;
    spaced.assert_status(200);
    assert_eq!(spaced.json()["brand"], "visa");

    let renamed = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/payment",
        Some(json!({ "cardholder": "A. Lovelace" })),
    )
    .await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["cardholder"], "A. Lovelace");
    assert_eq!(renamed.json()["last4"], "1111");
    let new_card = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/payment",
        Some(json!({ "cardNumber": MASTERCARD })),
    )
    .await;
    new_card.assert_status(200);
    assert_eq!(new_card.json()["brand"], "mastercard");
    assert_eq!(new_card.json()["cardholder"], "A. Lovelace");

    // A PUT of its own GET body keeps the card it shows.
    let own = read_as(&app, &ada, "/cart/payment").await;
    let again = call(&app, &ada, Method::PUT, "/cart/payment", Some(own.clone())).await;
    again.assert_status(200);
    assert_eq!(again.json(), own);
    // Without a card number and not naming the stored card, a PUT has no card.
    let no_card = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/payment",
        Some(json!({ "cardholder": "Ada", "expiry": "12/99" })),
    )
    .await;
    assert_eq!(error_fields(&no_card.assert_problem(400)), ["cardNumber"]);
    let other_card = call(
        &app,
        &ada,
        Method::PUT,
        "/cart/payment",
        Some(json!({ "cardholder": "Ada", "expiry": "12/99", "last4": "1111" })),
    )
    .await;
    assert_eq!(
        error_fields(&other_card.assert_problem(400)),
        ["cardNumber"]
    );
    assert_eq!(read_as(&app, &ada, "/cart/payment").await, own);

    // A card is valid through the month it names.
    let (this_month, _) = this_and_last_month();
    let mut current = card(VISA);
    current["expiry"] = json!(this_month);
    let through = call(&app, &ada, Method::PUT, "/cart/payment", Some(current)).await;
    through.assert_status(200);
    assert_eq!(through.json()["expiry"], this_month);
}

async fn an_invalid_card_number_a_past_expiry_or_a_bad_format_is_400_naming_the_field(
    app: TestApp,
) {
    let ada = shopper(&app, "ada@example.org").await;
    let (_, last_month) = this_and_last_month();
    let with = |field: &str, value: Value| {
        let mut body = card(VISA);
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = card(VISA);
        body.as_object_mut().expect("object").remove(field);
        body
    };
    let cases = [
        (with("cardNumber", json!("4111111111111112")), "cardNumber"),
        (
            with("cardNumber", json!("4111-1111-1111-111x")),
            "cardNumber",
        ),
        (with("cardNumber", json!("42424242")), "cardNumber"),
        (
            with("cardNumber", json!("41111111111111111111111")),
            "cardNumber",
        ),
        (
            with("cardNumber", json!(4111111111111111_i64)),
            "cardNumber",
        ),
        (with("cardNumber", json!("")), "cardNumber"),
        (with("cardNumber", Value::Null), "cardNumber"),
        (without("cardNumber"), "cardNumber"),
        (with("expiry", json!("01/20")), "expiry"),
        (with("expiry", json!(last_month)), "expiry"),
        (with("expiry", json!("13/30")), "expiry"),
        (with("expiry", json!("00/30")), "expiry"),
        (with("expiry", json!("1/30")), "expiry"),
        (with("expiry", json!("+1/30")), "expiry"),
        (with("expiry", json!("12/2030")), "expiry"),
        (with("expiry", json!("12-30")), "expiry"),
        (with("expiry", json!("ab/cd")), "expiry"),
        (with("expiry", json!(1230)), "expiry"),
        (without("expiry"), "expiry"),
        (with("cardholder", json!("")), "cardholder"),
        (without("cardholder"), "cardholder"),
    ];

    for (body, field) in &cases {
        let reply = call(&app, &ada, Method::PUT, "/cart/payment", Some(body.clone())).await;
        let problem = reply.assert_problem(400);
        assert_eq!(error_fields(&problem), [*field], "{body}");
        assert!(!reply.text.contains(VISA), "{}", reply.text);
    }
    for body in [
        json!({ "expiry": "01/20" }),
        json!({ "cardNumber": "4111111111111112" }),
    ] {
        let reply = call(
            &app,
            &ada,
            Method::PATCH,
            "/cart/payment",
            Some(body.clone()),
        )
        .await;
        reply.assert_problem(400);
    }

    let nothing_stored = "SELECT COUNT(*) AS id FROM carts WHERE card_holder IS NULL \
        AND card_brand IS NULL AND card_last4 IS NULL AND card_expiry IS NULL";
    assert_eq!(app.scalar(nothing_stored).await, 1);
}

async fn the_full_card_number_is_never_stored_nor_returned(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    new_line(&app, &ada, dune, 1).await;
    call(
        &app,
        &ada,
        Method::PUT,
        "/cart/shipping",
        Some(address("Ada")),
    )
    .await
    .assert_status(200);
    let mut texts = Vec::new();
    for body in [
        card(AMEX),
        card(MASTERCARD),
        card("4111 1111 1111 1111"),
        json!({ "cardholder": "Ada", "cardNumber": VISA, "expiry": "01/20" }),
    ] {
        let reply = call(&app, &ada, Method::PUT, "/cart/payment", Some(body)).await;
        texts.push(reply.text);
    }
    let patch = call(
        &app,
        &ada,
        Method::PATCH,
        "/cart/payment",
        Some(json!({ "cardNumber": VISA })),
    )
    .await;
    patch.assert_status(200);
    texts.push(patch.text);
    for path in ["/cart/payment", "/cart", "/cart/billing"] {
        texts.push(get_as(&app, &ada, path).await.text);
    }

    // Every text column of every shop table, checked while the card is in the cart
    // and again once it is in an order.
    let columns: [(&str, &[&str]); 3] = [
        (
            "carts",
            &[
                "updated_at",
                "ship_name",
                "ship_street",
                "ship_city",
                "ship_postal_code",
                "ship_country",
                "bill_name",
                "bill_street",
                "bill_city",
                "bill_postal_code",
                "bill_country",
                "card_holder",
                "card_brand",
                "card_last4",
                "card_expiry",
            ],
        ),
        (
            "orders",
            &[
                "created_at",
                "ship_name",
                "ship_street",
                "ship_city",
                "ship_postal_code",
                "ship_country",
                "bill_name",
                "bill_street",
                "bill_city",
                "bill_postal_code",
                "bill_country",
                "card_brand",
                "card_last4",
            ],
        ),
        ("order_lines", &["title"]),
    ];
    for (table, names) in &columns {
        // The list above must be every text column, or a new one could hide a number.
        let text_columns = match app.backend {
            Backend::Sqlite => format!(
                "SELECT COUNT(*) AS id FROM pragma_table_info('{table}') WHERE upper(type) = 'TEXT'"
            ),
            Backend::Postgres => format!(
                "SELECT COUNT(*) AS id FROM information_schema.columns WHERE table_name = '{table}' \
                 AND table_schema = current_schema() AND data_type IN ('text', 'character varying')"
            ),
        };
        assert_eq!(
            app.scalar(&text_columns).await,
            names.len() as i64,
            "{table}"
        );
    }
    let holding = |table: &str, names: &[&str]| {
        let tests: Vec<String> = names
            .iter()
            .flat_map(|column| {
                [
                    VISA,
                    MASTERCARD,
                    AMEX,
                    "411111",
                    "555555",
                    "378282",
                    "1111 1111",
                ]
                .iter()
                .map(move |digits| format!("COALESCE({column}, '') LIKE '%{digits}%'"))
            })
            .collect();
        format!(
            "SELECT COUNT(*) AS id FROM {table} WHERE {}",
            tests.join(" OR ")
        )
    };
    for (table, names) in &columns {
        assert_eq!(app.scalar(&holding(table, names)).await, 0, "{table}");
    }
    let stored_card =
        "SELECT COUNT(*) AS id FROM carts WHERE card_last4 = '1111' AND card_brand = 'visa'";
    assert_eq!(app.scalar(stored_card).await, 1);

    let placed = checkout(&app, &ada).await;
    placed.assert_status(201);
    let order = placed.json();
    texts.push(placed.text);
    texts.push(get_as(&app, &ada, "/orders").await.text);
    texts.push(
        get_as(&app, &ada, &format!("/orders/{}", order["id"]))
            .await
            .text,
    );
    assert_eq!(
        order["payment"],
        json!({ "brand": "visa", "last4": "1111" })
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS id FROM orders WHERE card_last4 = '1111' AND card_brand = 'visa'"
        )
        .await,
        1
    );
    for (table, names) in &columns {
        assert_eq!(app.scalar(&holding(table, names)).await, 0, "{table}");
    }
    for text in &texts {
        for number in [VISA, MASTERCARD, AMEX, "4111 1111 1111 1111", "411111"] {
            assert!(!text.contains(number), "{number} in {text}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Checkout and orders
// ---------------------------------------------------------------------------------------

async fn checkout_turns_the_cart_into_an_order_and_leaves_a_new_empty_cart(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let emma = book(&app, "Emma", "3.25").await;
    ready_cart(&app, &ada, &[(dune, 2), (emma, 3)], "Ada", VISA).await;

    let reply = checkout(&app, &ada).await;

    reply.assert_status(201);
    assert_eq!(reply.content_type(), "application/hal+json");
    let order = reply.json();
    let id = order["id"].as_i64().expect("order id");
    let self_href = app.url(&format!("/orders/{id}"));
    assert_eq!(
        reply.header("location").as_deref(),
        Some(self_href.as_str())
    );
    assert_eq!(order["_links"]["self"]["href"], self_href);
    assert_eq!(
        order["_links"]["owner"]["href"],
        app.url(&format!("/users/{}", ada.id))
    );
    assert!(order["createdAt"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(order["total"], "34.75");
    assert_eq!(order["shippingCost"], "4.90");
    assert_eq!(
        order["lines"],
        json!([
            {
                "title": "Dune", "unitPrice": "12.50", "quantity": 2, "amount": "25.00",
                "_links": { "book": { "href": app.url(&format!("/books/{dune}")) } },
            },
            {
                "title": "Emma", "unitPrice": "3.25", "quantity": 3, "amount": "9.75",
                "_links": { "book": { "href": app.url(&format!("/books/{emma}")) } },
            },
        ])
    );
    assert_eq!(order["shippingAddress"], address("Ada"));
    assert_eq!(order["billingAddress"], address("Ada"));
    assert_eq!(
        order["payment"],
        json!({ "brand": "visa", "last4": "1111" })
    );
    assert_eq!(read_as(&app, &ada, &format!("/orders/{id}")).await, order);
    let list = read_as(&app, &ada, "/orders").await;
    assert_eq!(list["_embedded"]["orders"], json!([order]));

    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM order_lines").await,
        2
    );
    assert_eq!(
        app.scalar("SELECT CAST(SUM(quantity) AS BIGINT) AS id FROM order_lines")
            .await,
        5
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM carts").await, 1);
    let cart = read_as(&app, &ada, "/cart").await;
    assert_eq!(cart["itemCount"], 0);
    assert_eq!(cart["total"], "0.00");
    assert_eq!(cart["shippingCost"], "0.00");
    assert_eq!(cart["shippingInfoComplete"], false);
    assert_eq!(cart["_links"]["items"], json!([]));
    assert_eq!(
        read_as(&app, &ada, "/cart/shipping").await["name"],
        Value::Null
    );
    assert_eq!(
        read_as(&app, &ada, "/cart/payment").await["last4"],
        Value::Null
    );

    // From 50.00 on, the order ships free.
    ready_cart(&app, &ada, &[(dune, 4)], "Ada", AMEX).await;
    let free = place_order(&app, &ada).await;
    assert_eq!(free["total"], "50.00");
    assert_eq!(free["shippingCost"], "0.00");
    assert_eq!(free["payment"], json!({ "brand": "amex", "last4": "0005" }));
}

async fn checkout_takes_no_body(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;

    let with_body = call(
        &app,
        &ada,
        Method::POST,
        "/cart:checkout",
        Some(json!({ "total": "0.01" })),
    )
    .await;
    with_body.assert_problem(400);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);

    let empty_object = call(&app, &ada, Method::POST, "/cart:checkout", Some(json!({}))).await;
    empty_object.assert_status(201);
    assert_eq!(empty_object.json()["total"], "12.50");
}

async fn prices_and_titles_are_frozen_at_checkout(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 2)], "Ada", VISA).await;
    // Until checkout the cart shows the book's current price.
    app.patch(&format!("/books/{dune}"), json!({ "price": "13.00" }))
        .await
        .assert_status(200);
    assert_eq!(read_as(&app, &ada, "/cart").await["total"], "26.00");
    let order = place_order(&app, &ada).await;
    let path = format!("/orders/{}", order["id"]);

    app.patch(
        &format!("/books/{dune}"),
        json!({ "price": "99.00", "title": "Dune (deluxe)" }),
    )
    .await
    .assert_status(200);

    let later = read_as(&app, &ada, &path).await;
    assert_eq!(later, order);
    assert_eq!(later["total"], "26.00");
    assert_eq!(later["lines"][0]["unitPrice"], "13.00");
    assert_eq!(later["lines"][0]["title"], "Dune");
    assert_eq!(
        app.scalar("SELECT unit_price_cents AS id FROM order_lines")
            .await,
        1300
    );
    assert_eq!(
        app.scalar("SELECT total_cents AS id FROM orders").await,
        2600
    );
}

async fn checking_out_an_incomplete_cart_is_409_naming_what_is_missing(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let missing = |reply: &Reply| error_fields(&reply.assert_problem(409));
    let patch = |path: &'static str, body: Value| {
        let app = &app;
        let ada = &ada;
        async move {
            call(app, ada, Method::PATCH, path, Some(body))
                .await
                .assert_status(200);
        }
    };

    let empty = checkout(&app, &ada).await;
    assert_eq!(missing(&empty), ["items", "payment", "shipping"]);
    let item = new_line(&app, &ada, dune, 1).await;
    assert_eq!(
        missing(&checkout(&app, &ada).await),
        ["payment", "shipping"]
    );
    patch("/cart/shipping", json!({ "name": "Ada" })).await;
    assert_eq!(
        missing(&checkout(&app, &ada).await),
        ["payment", "shipping"]
    );
    // Billing patched while the shipping address was half written is half written too:
    // the order must not quietly bill the shipping address instead.
    patch("/cart/billing", json!({ "city": "Bath" })).await;
    call(
        &app,
        &ada,
        Method::PUT,
        "/cart/shipping",
        Some(address("Ada")),
    )
    .await
    .assert_status(200);
    assert_eq!(missing(&checkout(&app, &ada).await), ["billing", "payment"]);
    // A card number alone is no payment: the cardholder and expiry are missing.
    patch("/cart/payment", json!({ "cardNumber": VISA })).await;
    assert_eq!(missing(&checkout(&app, &ada).await), ["billing", "payment"]);
    patch(
        "/cart/payment",
        json!({ "cardholder": "Ada", "expiry": "12/99" }),
    )
    .await;
    assert_eq!(missing(&checkout(&app, &ada).await), ["billing"]);
    patch("/cart/billing", json!({ "sameAsShipping": true })).await;
    call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/cart/items/{item}"),
        None,
    )
    .await
    .assert_status(204);
    assert_eq!(missing(&checkout(&app, &ada).await), ["items"]);

    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 0);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS id FROM carts WHERE card_last4 = '1111' AND ship_name = 'Ada'"
        )
        .await,
        1
    );
    new_line(&app, &ada, dune, 1).await;
    let order = place_order(&app, &ada).await;
    assert_eq!(order["billingAddress"], address("Ada"));
}

async fn a_card_that_expired_since_it_was_entered_cannot_check_out(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;
    // Time passes: the month the card named is over.
    let expire = format!(
        "UPDATE carts SET card_expiry = '01/20' WHERE user_id = {} RETURNING id",
        ada.id
    );
    app.scalar(&expire).await;

    let reply = checkout(&app, &ada).await;

    assert_eq!(error_fields(&reply.assert_problem(409)), ["payment"]);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);
}

async fn a_double_submit_creates_one_order(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;

    let first = checkout(&app, &ada).await;
    let second = checkout(&app, &ada).await;

    first.assert_status(201);
    assert_eq!(
        error_fields(&second.assert_problem(409)),
        ["items", "payment", "shipping"]
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM order_lines").await,
        1
    );
    let list = read_as(&app, &ada, "/orders").await;
    assert_eq!(
        list["_embedded"]["orders"].as_array().map(Vec::len),
        Some(1)
    );
}

async fn sixteen_concurrent_checkouts_of_one_cart_create_exactly_one_order(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let emma = book(&app, "Emma", "3.25").await;
    let pride = book(&app, "Pride and Prejudice", "7.10").await;
    ready_cart(&app, &ada, &[(dune, 2), (emma, 1), (pride, 3)], "Ada", VISA).await;

    let replies = race(&app, &ada, 16, "/cart:checkout", None).await;

    let statuses: Vec<u16> = replies.iter().map(|(s, _)| *s).collect();
    let not_conflicts: Vec<_> = replies.iter().filter(|(s, _)| *s != 409).collect();
    assert_eq!(
        tally(&statuses),
        [(201, 1), (409, 15)],
        "{:?}: {not_conflicts:?}",
        app.backend
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM orders").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM order_lines").await,
        3
    );
    let expected_lines = format!(
        "SELECT COUNT(*) AS id FROM order_lines WHERE \
         (book_id = {dune} AND quantity = 2 AND unit_price_cents = 1250) OR \
         (book_id = {emma} AND quantity = 1 AND unit_price_cents = 325) OR \
         (book_id = {pride} AND quantity = 3 AND unit_price_cents = 710)"
    );
    assert_eq!(app.scalar(&expected_lines).await, 3);
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS id FROM orders WHERE total_cents = 2500 + 325 + 2130 \
             AND shipping_cents = 490 AND id = (SELECT MAX(order_id) FROM order_lines)"
        )
        .await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 0);
    let (_, created) = replies
        .iter()
        .find(|(status, _)| *status == 201)
        .expect("one 201");
    let order: Value = serde_json::from_str(created).expect("order JSON");
    assert_eq!(order["total"], "49.55");
    assert_eq!(order["shippingCost"], "4.90");
}

async fn orders_are_visible_to_their_owner_only(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let bob = shopper(&app, "bob@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;
    let first = place_order(&app, &ada).await;
    ready_cart(&app, &bob, &[(dune, 2)], "Bobby", MASTERCARD).await;
    let bobs = place_order(&app, &bob).await;
    ready_cart(&app, &ada, &[(dune, 5)], "Ada", AMEX).await;
    let second = place_order(&app, &ada).await;

    let adas = read_as(&app, &ada, "/orders").await;
    let ids: Vec<&Value> = adas["_embedded"]["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert_eq!(ids, [&first["id"], &second["id"]]);
    assert_eq!(adas["_links"]["self"]["href"], app.url("/orders"));
    assert!(!adas.to_string().contains("Bobby"));
    let only_bobs = read_as(&app, &bob, "/orders").await;
    assert_eq!(only_bobs["_embedded"]["orders"], json!([bobs]));

    let foreign = get_as(&app, &ada, &format!("/orders/{}", bobs["id"])).await;
    foreign.assert_problem(404);
    for leak in ["Bobby", bob.email.as_str(), "4444", "mastercard"] {
        assert!(!foreign.text.contains(leak), "{}", foreign.text);
    }
    get_as(&app, &bob, &format!("/orders/{}", first["id"]))
        .await
        .assert_problem(404);
    get_as(&app, &ada, "/orders/999999")
        .await
        .assert_problem(404);
    assert_unauthorized(&app.get("/orders").await, "GET /orders");
    assert_unauthorized(
        &app.get(&format!("/orders/{}", first["id"])).await,
        "GET /orders/{id}",
    );

    // Pages and filters see the owner's orders only.
    let page = read_as(&app, &ada, "/orders?maxPageSize=1").await;
    assert_eq!(page["_embedded"]["orders"][0]["id"], first["id"]);
    let next = page["_links"]["next"]["href"]
        .as_str()
        .expect("a next page");
    let next = next.strip_prefix(&app.address).expect("absolute next link");
    let rest = read_as(&app, &ada, next).await;
    assert_eq!(rest["_embedded"]["orders"][0]["id"], second["id"]);
    assert!(rest["_links"]["next"].is_null(), "{rest}");
    let filter: String = url::form_urlencoded::byte_serialize(b"total > 20").collect();
    let big = read_as(&app, &ada, &format!("/orders?filter={filter}")).await;
    assert_eq!(big["_embedded"]["orders"], json!([second]));
}

async fn a_user_who_has_orders_cannot_be_deleted(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let bob = shopper(&app, "bob@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    ready_cart(&app, &ada, &[(dune, 1)], "Ada", VISA).await;
    place_order(&app, &ada).await;
    new_line(&app, &ada, dune, 3).await;
    new_line(&app, &bob, dune, 2).await;

    let refused = call(
        &app,
        &ada,
        Method::DELETE,
        &format!("/users/{}", ada.id),
        None,
    )
    .await;
    let removed = call(
        &app,
        &bob,
        Method::DELETE,
        &format!("/users/{}", bob.id),
        None,
    )
    .await;

    refused.assert_problem(409);
    removed.assert_status(204);
    let of = |table: &str, user: i64| {
        format!("SELECT COUNT(*) AS id FROM {table} WHERE user_id = {user}")
    };
    assert_eq!(app.scalar(&of("carts", ada.id)).await, 1);
    assert_eq!(app.scalar(&of("orders", ada.id)).await, 1);
    assert_eq!(app.scalar(&of("api_tokens", ada.id)).await, 1);
    assert_eq!(read_as(&app, &ada, "/cart").await["itemCount"], 3);
    app.get(&format!("/users/{}", ada.id))
        .await
        .assert_status(200);
    assert_eq!(app.scalar(&of("carts", bob.id)).await, 0);
    assert_eq!(app.scalar(&of("api_tokens", bob.id)).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM cart_items").await, 1);
    assert_unauthorized(&get_as(&app, &bob, "/cart").await, "a deleted user's token");
}

async fn cart_parts_and_items_honour_if_match(app: TestApp) {
    let ada = shopper(&app, "ada@example.org").await;
    let dune = book(&app, "Dune", "12.50").await;
    let item = format!("/cart/items/{}", new_line(&app, &ada, dune, 1).await);
    call(
        &app,
        &ada,
        Method::PUT,
        "/cart/shipping",
        Some(address("Ada")),
    )
    .await
    .assert_status(200);
    let bearer = ada.bearer();

    for (path, body) in [
        ("/cart/shipping", json!({ "city": "Paris" })),
        (item.as_str(), json!({ "quantity": 7 })),
    ] {
        let current = get_as(&app, &ada, path).await;
        let etag = current.header("etag").expect("ETag");
        let stale = app
            .send(
                Method::PATCH,
                path,
                &[
                    ("authorization", bearer.as_str()),
                    ("if-match", "\"stale\""),
                ],
                Some(("application/json", body.to_string())),
            )
            .await;
        stale.assert_problem(412);
        assert_eq!(read_as(&app, &ada, path).await, current.json());
        let fresh = app
            .send(
                Method::PATCH,
                path,
                &[
                    ("authorization", bearer.as_str()),
                    ("if-match", etag.as_str()),
                ],
                Some(("application/json", body.to_string())),
            )
            .await;
        fresh.assert_status(200);
        assert_ne!(fresh.header("etag"), Some(etag));
    }
}

// ---------------------------------------------------------------------------------------
// Security: every protected path against every wrong credential
// ---------------------------------------------------------------------------------------

/// Everything the victim can see of their own shop, read with their own token.
async fn victim_view(app: &TestApp, victim: &Shopper, item: i64, order: i64) -> Vec<Value> {
    let mut view = Vec::new();
    for path in [
        "/cart".to_owned(),
        "/cart/items".to_owned(),
        format!("/cart/items/{item}"),
        "/cart/shipping".to_owned(),
        "/cart/billing".to_owned(),
        "/cart/payment".to_owned(),
        "/orders".to_owned(),
        format!("/orders/{order}"),
    ] {
        view.push(read_as(app, victim, &path).await);
    }
    view.push(app.get(&format!("/users/{}", victim.id)).await.json());
    view
}

/// What each protected request should get with a token that is not the victim's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Foreign {
    /// The path names the victim: 403.
    Forbidden,
    /// The path names something of the victim's by id: as absent as a missing one.
    NotFound,
    /// The path is "my cart": it works on the caller's own cart, whatever the status.
    Own,
}

async fn every_protected_path_refuses_missing_malformed_unknown_and_foreign_tokens(app: TestApp) {
    let victim = shopper(&app, "victoria.victim@example.org").await;
    let diary = book(&app, "The Secret Diary of V", "20.00").await;
    let plain = book(&app, "Plain", "5.00").await;
    ready_cart(&app, &victim, &[(diary, 1)], "Victoria", AMEX).await;
    let order = place_order(&app, &victim).await["id"]
        .as_i64()
        .expect("order id");
    let item = new_line(&app, &victim, diary, 2).await;
    ready_cart(&app, &victim, &[(plain, 1)], "Victoria", AMEX).await;
    call(
        &app,
        &victim,
        Method::PUT,
        "/cart/billing",
        Some(address("Vicbilling")),
    )
    .await
    .assert_status(200);
    let mallory = shopper(&app, "mallory@example.org").await;
    new_line(&app, &mallory, plain, 1).await;
    let before = victim_view(&app, &victim, item, order).await;
    let secrets = [
        victim.email.as_str(),
        "victoria",
        "Secret Diary",
        "Victoria",
        "Vicbilling",
        "0005",
        "amex",
    ];

    let user = format!("/users/{}", victim.id);
    let item_path = format!("/cart/items/{item}");
    let order_path = format!("/orders/{order}");
    let mallory_address = address("Mallory");
    let requests: Vec<(Method, String, Option<Value>, Foreign)> = vec![
        (Method::GET, "/cart".into(), None, Foreign::Own),
        (
            Method::GET,
            format!("{user}/cart"),
            None,
            Foreign::Forbidden,
        ),
        (Method::GET, "/cart/items".into(), None, Foreign::Own),
        (
            Method::POST,
            "/cart/items".into(),
            Some(json!({ "book": plain, "quantity": 1 })),
            Foreign::Own,
        ),
        (Method::GET, item_path.clone(), None, Foreign::NotFound),
        (
            Method::PATCH,
            item_path.clone(),
            Some(json!({ "quantity": 7 })),
            Foreign::NotFound,
        ),
        (Method::DELETE, item_path.clone(), None, Foreign::NotFound),
        (Method::GET, "/cart/shipping".into(), None, Foreign::Own),
        (
            Method::PUT,
            "/cart/shipping".into(),
            Some(mallory_address.clone()),
            Foreign::Own,
        ),
        (
            Method::PATCH,
            "/cart/shipping".into(),
            Some(json!({ "city": "Mallorca" })),
            Foreign::Own,
        ),
        (Method::GET, "/cart/billing".into(), None, Foreign::Own),
        (
            Method::PUT,
            "/cart/billing".into(),
            Some(mallory_address.clone()),
            Foreign::Own,
        ),
        (
            Method::PATCH,
            "/cart/billing".into(),
            Some(json!({ "city": "Mallorca" })),
            Foreign::Own,
        ),
        (Method::GET, "/cart/payment".into(), None, Foreign::Own),
        (
            Method::PUT,
            "/cart/payment".into(),
            Some(card(VISA)),
            Foreign::Own,
        ),
        (
            Method::PATCH,
            "/cart/payment".into(),
            Some(json!({ "cardholder": "Mallory" })),
            Foreign::Own,
        ),
        (Method::POST, "/cart:checkout".into(), None, Foreign::Own),
        (Method::GET, "/orders".into(), None, Foreign::Own),
        (Method::GET, order_path.clone(), None, Foreign::NotFound),
        (
            Method::PATCH,
            user.clone(),
            Some(json!({ "displayName": "pwned" })),
            Foreign::Forbidden,
        ),
        (
            Method::PUT,
            user.clone(),
            Some(json!({ "emailAddress": "pwned@example.org" })),
            Foreign::Forbidden,
        ),
        (Method::DELETE, user.clone(), None, Foreign::Forbidden),
    ];
    let (prefix, secret) = victim.token.rsplit_once('_').expect("hal_<id>_<secret>");
    let wrong_credentials = [
        None,
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Bearer not-a-token".to_owned()),
        Some(format!("Basic {}", victim.token)),
        Some(victim.token.clone()),
        Some(format!("Bearer {}x", victim.token)),
        Some(format!("Bearer {prefix}_{}", "0".repeat(secret.len()))),
        Some(format!("Bearer hal_-1_{secret}")),
        Some(format!("Bearer hal_abc_{secret}")),
        Some(format!("Bearer hal_999_{}", "ab".repeat(32))),
    ];

    let mut replies = Vec::new();
    for (method, path, body, foreign) in &requests {
        for credential in &wrong_credentials {
            let what = format!("{method} {path} with {credential:?}");
            let reply = send_auth(
                &app,
                credential.as_deref(),
                method.clone(),
                path,
                body.as_ref(),
            )
            .await;
            assert_unauthorized(&reply, &what);
            replies.push((what, reply));
        }
        let what = format!("{method} {path} with another user's token");
        let reply = call(&app, &mallory, method.clone(), path, body.clone()).await;
        match foreign {
            Foreign::Forbidden => {
                reply.assert_problem(403);
            }
            Foreign::NotFound => {
                reply.assert_problem(404);
            }
            Foreign::Own => assert!(
                [200, 201, 204, 409].contains(&reply.status),
                "{what}: {} {}",
                reply.status,
                reply.text
            ),
        }
        replies.push((what, reply));
    }

    for (what, reply) in &replies {
        for secret in secrets {
            assert!(
                !reply.text.contains(secret),
                "{what} reveals {secret:?}: {}",
                reply.text
            );
        }
    }
    assert_eq!(victim_view(&app, &victim, item, order).await, before);
    let victim_cart = format!(
        "SELECT COUNT(*) AS id FROM carts WHERE user_id = {} AND ship_name = 'Victoria' \
         AND ship_city = 'Victoriaville' AND bill_name = 'Vicbilling' AND card_brand = 'amex' \
         AND card_last4 = '0005' AND card_holder = 'Ada Lovelace' AND card_expiry = '12/99'",
        victim.id
    );
    assert_eq!(app.scalar(&victim_cart).await, 1);
    let victim_items = format!(
        "SELECT COUNT(*) AS id FROM cart_items ci JOIN carts c ON c.id = ci.cart_id \
         WHERE c.user_id = {} AND ((ci.book_id = {diary} AND ci.quantity = 2) \
         OR (ci.book_id = {plain} AND ci.quantity = 1))",
        victim.id
    );
    assert_eq!(app.scalar(&victim_items).await, 2);
    let all_victim_items = format!(
        "SELECT COUNT(*) AS id FROM cart_items ci JOIN carts c ON c.id = ci.cart_id \
         WHERE c.user_id = {}",
        victim.id
    );
    assert_eq!(app.scalar(&all_victim_items).await, 2);
    let victim_orders = format!(
        "SELECT COUNT(*) AS id FROM orders o JOIN order_lines l ON l.order_id = o.id \
         WHERE o.user_id = {} AND o.id = {order} AND l.book_id = {diary} AND l.quantity = 1",
        victim.id
    );
    assert_eq!(app.scalar(&victim_orders).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM orders WHERE user_id = {}",
            victim.id
        ))
        .await,
        1
    );
    let victim_user = format!(
        "SELECT COUNT(*) AS id FROM users WHERE id = {} AND email_address = '{}' \
         AND display_name IS NULL",
        victim.id, victim.email
    );
    assert_eq!(app.scalar(&victim_user).await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM api_tokens WHERE user_id = {}",
            victim.id
        ))
        .await,
        1
    );
}

on_both_backends!(
    every_user_has_exactly_one_cart_from_the_moment_they_exist,
    the_cart_summary_counts_totals_and_links_everything,
    shipping_is_free_from_50_00_and_4_90_below_it_and_nothing_for_an_empty_cart,
    responses_about_the_cart_are_private_and_vary_by_authorization,
    a_users_cart_is_for_that_users_own_token_only,
    the_cart_has_no_delete_or_post_and_every_unsupported_method_is_405_with_allow,
    adding_a_book_makes_a_line_and_adding_it_again_adds_to_its_quantity,
    concurrent_adds_of_one_book_make_one_line_holding_every_copy,
    quantities_are_integers_from_1_to_999,
    a_bad_book_reference_is_400_naming_it_and_an_unknown_book_is_422,
    a_cart_item_is_read_patched_and_deleted,
    a_deleted_book_leaves_every_cart_but_orders_keep_their_lines,
    the_shipping_address_is_read_replaced_and_patched,
    billing_is_the_shipping_address_until_it_is_set,
    payment_keeps_only_the_brand_and_the_last_four_digits,
    an_invalid_card_number_a_past_expiry_or_a_bad_format_is_400_naming_the_field,
    the_full_card_number_is_never_stored_nor_returned,
    checkout_turns_the_cart_into_an_order_and_leaves_a_new_empty_cart,
    checkout_takes_no_body,
    prices_and_titles_are_frozen_at_checkout,
    checking_out_an_incomplete_cart_is_409_naming_what_is_missing,
    a_card_that_expired_since_it_was_entered_cannot_check_out,
    a_double_submit_creates_one_order,
    sixteen_concurrent_checkouts_of_one_cart_create_exactly_one_order,
    orders_are_visible_to_their_owner_only,
    a_user_who_has_orders_cannot_be_deleted,
    cart_parts_and_items_honour_if_match,
    every_protected_path_refuses_missing_malformed_unknown_and_foreign_tokens,
);
