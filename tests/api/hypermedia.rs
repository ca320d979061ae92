//! Hypermedia as clients use it: HAL-FORMS templates for every relationship write (and
//! that submitting them does what they say), `?embed=` of related collections and item
//! lists, and a `/rels/{name}` page for every relation a response carries.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{hrefs, property_names, Reply, TestApp};
use crate::on_both_backends;

const HAL_FORMS: &str = "application/prs.hal-forms+json";

/// GETs `path` as a HAL-FORMS client, with a bearer token when given.
async fn forms(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("accept", HAL_FORMS)];
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    let reply = app.send(Method::GET, path, &headers, None).await;
    reply.assert_status(200);
    assert_eq!(reply.content_type(), HAL_FORMS);
    reply.json()
}

/// Submits a template the way a HAL-FORMS client does: its method, its target, its
/// content type, with `body`.
async fn submit(
    app: &TestApp,
    template: &Value,
    body: Option<String>,
    token: Option<&str>,
) -> Reply {
    let method = Method::from_bytes(template["method"].as_str().unwrap().as_bytes()).unwrap();
    let target = template["target"]
        .as_str()
        .expect("every template has a target");
    let path = target
        .strip_prefix(&app.address)
        .expect("an absolute target on this server");
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = Vec::new();
    if let Some(auth) = &auth {
        headers.push(("authorization", auth.as_str()));
    }
    let body = body.map(|b| {
        (
            template["contentType"]
                .as_str()
                .unwrap_or("application/json"),
            b,
        )
    });
    app.send(method, path, &headers, body).await
}

fn property<'a>(template: &'a Value, name: &str) -> &'a Value {
    template["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no property {name} in {template}"))
}

/// A customer "ACME" with one invoice, posted at the top level: their ids.
async fn new_invoice(app: &TestApp) -> (i64, i64) {
    let customer = id(&app.create("/customers", json!({"name": "ACME"})).await);
    let invoice = id(&app
        .create(
            "/invoices",
            json!({"date": "2026-11-01", "customerId": customer}),
        )
        .await);
    (customer, invoice)
}

fn id(body: &Value) -> i64 {
    body["id"].as_i64().expect("an id")
}

async fn a_books_templates_offer_every_relationship_write_and_link_an_author(app: TestApp) {
    let book = id(&app.create("/books", json!({"title": "Dune"})).await);
    let herbert = id(&app.create("/authors", json!({"name": "Herbert"})).await);
    let other = id(&app.create("/authors", json!({"name": "Other"})).await);
    app.put_empty(&format!("/books/{book}/authors/{other}"))
        .await
        .assert_status(201);

    let body = forms(&app, &format!("/books/{book}"), None).await;
    let templates = &body["_templates"];

    let self_href = app.url(&format!("/books/{book}"));
    assert_eq!(templates["default"]["method"], "PATCH");
    assert_eq!(templates["default"]["target"], self_href.as_str());
    assert_eq!(templates["delete"]["method"], "DELETE");
    let link = &templates["link-authors"];
    assert_eq!(link["method"], "POST");
    assert_eq!(link["contentType"], "text/uri-list");
    assert_eq!(
        link["target"],
        app.url(&format!("/books/{book}/authors")).as_str()
    );
    let author = property(link, "author");
    assert_eq!(author["required"], true);
    assert_eq!(
        author["options"]["link"]["href"],
        app.url("/authors").as_str()
    );
    assert_eq!(author["options"]["promptField"], "name");
    assert_eq!(templates["set-authors"]["method"], "PUT");
    assert_eq!(templates["create-authors"]["method"], "POST");
    assert_eq!(
        property(&templates["create-authors"], "name")["required"],
        true
    );
    let unlink = &templates[format!("unlink-author-{other}")];
    assert_eq!(unlink["method"], "DELETE");
    assert_eq!(
        unlink["target"],
        app.url(&format!("/books/{book}/authors/{other}")).as_str()
    );
    let relate = &templates["create-books-authors"];
    assert_eq!(relate["target"], app.url("/books-authors").as_str());
    assert_eq!(property(relate, "bookId")["value"], book);
    assert!(property(relate, "royalties")["regex"].is_string());
    assert_eq!(
        templates["delete-books-authors"]["target"],
        app.url(&format!("/books-authors?book_id={book}")).as_str()
    );

    // Act: link Herbert through the form, unlink the other author through theirs.
    let linked = submit(&app, link, Some(format!("/authors/{herbert}\n")), None).await;
    let unlinked = submit(&app, unlink, None, None).await;

    // Assert: the other side shows it.
    linked.assert_status(204);
    unlinked.assert_status(204);
    let herbert_body = app.get(&format!("/authors/{herbert}")).await.json();
    assert_eq!(
        hrefs(&herbert_body["_links"]["books"]),
        vec![self_href.clone()]
    );
    let other_body = app.get(&format!("/authors/{other}")).await.json();
    assert!(hrefs(&other_body["_links"]["books"]).is_empty());
}

async fn a_groups_add_and_remove_forms_manage_its_members(app: TestApp) {
    let group = id(&app
        .create("/groups", json!({"displayName": "Readers"}))
        .await);
    let user = id(&app
        .create("/users", json!({"emailAddress": "ada@example.org"}))
        .await);

    let body = forms(&app, &format!("/groups/{group}"), None).await;
    let add = body["_templates"]["add-users"].clone();
    let remove = body["_templates"]["remove-users"].clone();
    let members = forms(&app, &format!("/groups/{group}/users"), None).await;

    assert_eq!(
        add["target"],
        app.url(&format!("/groups/{group}/users:add")).as_str()
    );
    assert_eq!(
        property(&add, "user")["options"]["link"]["href"],
        app.url("/users").as_str()
    );
    assert!(
        body["_templates"].get("link-users").is_none(),
        "groups have no sub-resource links"
    );
    // A group's users list takes no POST, so it offers no create form.
    assert!(members["_templates"].get("default").is_none());

    submit(&app, &add, Some(json!({"user": user}).to_string()), None)
        .await
        .assert_status(204);
    let groups = app.get(&format!("/users/{user}/groups")).await.json();
    assert_eq!(groups["_embedded"]["groups"][0]["id"], group);
    submit(&app, &remove, Some(json!({"user": user}).to_string()), None)
        .await
        .assert_status(204);
    let groups = app.get(&format!("/users/{user}/groups")).await.json();
    assert_eq!(groups["_embedded"]["groups"], json!([]));
}

async fn parents_offer_forms_creating_their_children_without_the_parent_field(app: TestApp) {
    let customer = id(&app.create("/customers", json!({"name": "ACME"})).await);
    let invoice = id(&app
        .create(
            &format!("/customers/{customer}/invoices"),
            json!({"date": "2026-11-01"}),
        )
        .await);

    let customer_body = forms(&app, &format!("/customers/{customer}"), None).await;
    let invoice_body = forms(&app, &format!("/invoices/{invoice}"), None).await;

    let create_invoice = &customer_body["_templates"]["create-invoices"];
    assert_eq!(
        create_invoice["target"],
        app.url(&format!("/customers/{customer}/invoices")).as_str()
    );
    let names = property_names(create_invoice);
    assert!(
        names.contains(&"date") && !names.contains(&"customerId"),
        "{names:?}"
    );
    let line = &invoice_body["_templates"]["create-lineitems"];
    assert_eq!(property(line, "quantity")["min"], 1);
    assert!(property(line, "unitPrice")["regex"].is_string());
    let payment = &invoice_body["_templates"]["create-payments"];
    assert_eq!(
        property(payment, "method")["options"]["inline"],
        json!(["card", "transfer", "cash"])
    );
    let customer_field = property(&invoice_body["_templates"]["default"], "customerId");
    assert_eq!(
        customer_field["options"]["link"]["href"],
        app.url("/customers").as_str()
    );

    let created = submit(
        &app,
        line,
        Some(json!({"description": "Paperback", "quantity": 2, "unitPrice": "6.10"}).to_string()),
        None,
    )
    .await;
    created.assert_status(201);
    assert_eq!(
        app.get(&format!("/invoices/{invoice}")).await.json()["total"],
        "12.20"
    );
}

async fn the_cart_offers_add_and_checkout_forms_and_its_parts_replace_forms(app: TestApp) {
    let user = app
        .create("/users", json!({"emailAddress": "ada@example.org"}))
        .await;
    let token = user["token"].as_str().unwrap().to_owned();
    let book = id(&app
        .create("/books", json!({"title": "Dune", "price": "9.00"}))
        .await);

    let cart = forms(&app, "/cart", Some(&token)).await;
    let shipping = forms(&app, "/cart/shipping", Some(&token)).await;
    let payment = forms(&app, "/cart/payment", Some(&token)).await;

    let add = &cart["_templates"]["add-items"];
    assert_eq!(add["target"], app.url("/cart/items").as_str());
    assert_eq!(
        property(add, "bookId")["options"]["link"]["href"],
        app.url("/books").as_str()
    );
    assert_eq!(
        cart["_templates"]["checkout"]["target"],
        app.url("/cart:checkout").as_str()
    );
    assert_eq!(shipping["_templates"]["default"]["method"], "PUT");
    assert_eq!(
        property(&payment["_templates"]["default"], "cardNumber")["required"],
        true
    );

    submit(
        &app,
        add,
        Some(json!({"bookId": book, "quantity": 2}).to_string()),
        Some(&token),
    )
    .await
    .assert_status(201);
    assert_eq!(
        app.send(
            Method::GET,
            "/cart",
            &[("authorization", &format!("Bearer {token}"))],
            None
        )
        .await
        .json()["itemCount"],
        2
    );
}

async fn embed_returns_complete_items_of_groups_invoices_and_the_cart(app: TestApp) {
    let group = id(&app
        .create("/groups", json!({"displayName": "Readers"}))
        .await);
    let user = app
        .create("/users", json!({"emailAddress": "ada@example.org"}))
        .await;
    let token = user["token"].as_str().unwrap().to_owned();
    app.post(
        &format!("/groups/{group}/users:add"),
        json!({"user": id(&user)}),
    )
    .await
    .assert_status(204);
    let (_, invoice) = new_invoice(&app).await;
    app.create(
        &format!("/invoices/{invoice}/lineitems"),
        json!({"description": "A", "quantity": 1, "unitPrice": "2.00"}),
    )
    .await;
    app.create(
        &format!("/invoices/{invoice}/payments"),
        json!({"amount": "2.00", "date": "2026-11-02", "method": "cash"}),
    )
    .await;
    let book = id(&app.create("/books", json!({"title": "Dune"})).await);
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    app.send(
        Method::POST,
        "/cart/items",
        &auth,
        Some(("application/json", json!({"book": book}).to_string())),
    )
    .await
    .assert_status(201);

    let group_body = app
        .get(&format!("/groups/{group}?embed=users"))
        .await
        .json();
    let invoice_body = app
        .get(&format!("/invoices/{invoice}?embed=lineitems,payments"))
        .await
        .json();
    let cart = app
        .send(Method::GET, "/cart?embed=items", &auth, None)
        .await;
    let bad = app.get(&format!("/groups/{group}?embed=books")).await;
    let bad_cart = app
        .send(Method::GET, "/cart?embed=books", &auth, None)
        .await;

    let users = group_body["_embedded"]["users"].as_array().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0]["emailAddress"], "ada@example.org");
    assert_eq!(
        users[0]["_links"]["self"]["href"],
        app.url(&format!("/users/{}", id(&user))).as_str()
    );
    assert!(users[0].get("token").is_none());
    let lines = invoice_body["_embedded"]["lineitems"].as_array().unwrap();
    assert_eq!(lines[0]["amount"], "2.00");
    assert!(lines[0]["_links"]["self"]["href"]
        .as_str()
        .unwrap()
        .contains(&format!("/invoices/{invoice}/lineitems/")));
    assert_eq!(invoice_body["_embedded"]["payments"][0]["method"], "cash");
    cart.assert_status(200);
    let cart = cart.json();
    let items = cart["_embedded"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["title"], "Dune");
    assert_eq!(
        hrefs(&cart["_links"]["items"]),
        vec![items[0]["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .to_owned()]
    );
    bad.assert_problem(400);
    bad_cart.assert_problem(400);
}

/// Every relation name in `_links` of `body` and of its embedded resources.
fn relations(body: &Value, out: &mut BTreeSet<String>) {
    if let Some(links) = body["_links"].as_object() {
        out.extend(links.keys().cloned());
    }
    if let Some(embedded) = body["_embedded"].as_object() {
        for items in embedded.values() {
            for item in items.as_array().into_iter().flatten() {
                relations(item, out);
            }
        }
    }
}

async fn every_relation_in_any_response_has_a_page_saying_what_it_means(app: TestApp) {
    let user = app
        .create("/users", json!({"emailAddress": "ada@example.org"}))
        .await;
    let bearer = format!("Bearer {}", user["token"].as_str().unwrap());
    let auth = [("authorization", bearer.as_str())];
    let book = id(&app
        .create("/books", json!({"title": "Dune", "price": "60.00"}))
        .await);
    let author = id(&app
        .create(
            &format!("/books/{book}/authors"),
            json!({"name": "Herbert"}),
        )
        .await);
    let group = id(&app
        .create("/groups", json!({"displayName": "Readers"}))
        .await);
    let (customer, invoice) = new_invoice(&app).await;
    let line = app
        .create(
            &format!("/invoices/{invoice}/lineitems"),
            json!({"description": "A", "quantity": 1, "unitPrice": "2.00"}),
        )
        .await;
    let car = id(&app.create("/cars", json!({"licensePlate": "B-1"})).await);
    let driver = id(&app
        .create(&format!("/cars/{car}/drivers"), json!({"name": "D"}))
        .await);
    let item = app
        .send(
            Method::POST,
            "/cart/items",
            &auth,
            Some(("application/json", json!({"book": book}).to_string())),
        )
        .await
        .json();
    let json_put = |b: Value| Some(("application/json", b.to_string()));
    app.send(
        Method::PUT,
        "/cart/shipping",
        &auth,
        json_put(
            json!({"name": "A", "street": "S", "city": "C", "postalCode": "1", "country": "DE"}),
        ),
    )
    .await
    .assert_status(200);
    app.send(
        Method::PUT,
        "/cart/payment",
        &auth,
        json_put(json!({"cardholder": "A", "cardNumber": "4111111111111111", "expiry": "12/39"})),
    )
    .await
    .assert_status(200);
    let paths = [
        "/".to_owned(),
        format!("/books/{book}"),
        format!("/authors/{author}"),
        "/books-authors".to_owned(),
        format!("/groups/{group}"),
        format!("/users/{}", id(&user)),
        format!("/customers/{customer}"),
        format!("/invoices/{invoice}"),
        line["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .replace(&app.address, ""),
        format!("/invoices/{invoice}/payments"),
        format!("/cars/{car}"),
        format!("/drivers/{driver}"),
        "/cart".to_owned(),
        "/cart/billing".to_owned(),
        item["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .replace(&app.address, ""),
    ];
    let mut rels = BTreeSet::new();
    for path in &paths {
        relations(
            &app.send(Method::GET, path, &auth, None).await.json(),
            &mut rels,
        );
    }
    let order = app.send(Method::POST, "/cart:checkout", &auth, None).await;
    order.assert_status(201);
    relations(&order.json(), &mut rels);
    relations(
        &app.send(Method::GET, "/orders", &auth, None).await.json(),
        &mut rels,
    );

    for expected in [
        "owner",
        "items",
        "shipping",
        "billing",
        "payment",
        "checkout",
        "customer",
        "invoice",
        "book",
        "author",
        "collection/authors",
        "collection/lineitems",
        "collection/users",
        "books-authors-search",
    ] {
        assert!(rels.contains(expected), "{expected} not seen in {rels:?}");
    }
    for rel in rels
        .iter()
        .filter(|r| !matches!(r.as_str(), "self" | "first" | "next"))
    {
        let page = app.get(&format!("/rels/{rel}")).await;
        page.assert_status(200);
        assert_eq!(page.content_type(), "text/html", "{rel}");
        assert!(
            page.text.contains(&format!("<code>{rel}</code>")),
            "{rel}: {}",
            page.text
        );
        assert!(page.text.contains("Methods on the target: "), "{rel}");
    }
}

on_both_backends!(
    a_books_templates_offer_every_relationship_write_and_link_an_author,
    a_groups_add_and_remove_forms_manage_its_members,
    parents_offer_forms_creating_their_children_without_the_parent_field,
    the_cart_offers_add_and_checkout_forms_and_its_parts_replace_forms,
    embed_returns_complete_items_of_groups_invoices_and_the_cart,
    every_relation_in_any_response_has_a_page_saying_what_it_means,
);
