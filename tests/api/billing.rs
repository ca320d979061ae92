//! Customers, invoices, line items and payments (§4): belongs-to in both forms,
//! existentially dependent children, and exact money.

use serde_json::{json, Value};

use crate::common::{embedded as items, embedded_ids as ids, encoded, Reply, TestApp};
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

async fn new_customer(app: &TestApp, name: &str) -> i64 {
    app.create("/customers", json!({ "name": name })).await["id"]
        .as_i64()
        .expect("customer id")
}

/// Creates an invoice under its customer and returns its id.
async fn new_invoice(app: &TestApp, customer: i64, date: &str) -> i64 {
    app.create(
        &format!("/customers/{customer}/invoices"),
        json!({ "date": date }),
    )
    .await["id"]
        .as_i64()
        .expect("invoice id")
}

/// Adds a line item to an invoice and returns it.
async fn new_line_item(app: &TestApp, invoice: i64, quantity: i64, unit_price: &str) -> Value {
    app.create(
        &format!("/invoices/{invoice}/lineitems"),
        json!({ "description": "Rope", "quantity": quantity, "unitPrice": unit_price }),
    )
    .await
}

/// Adds a payment to an invoice and returns it.
async fn new_payment(app: &TestApp, invoice: i64, amount: &str) -> Value {
    app.create(
        &format!("/invoices/{invoice}/payments"),
        json!({ "amount": amount, "date": "2026-03-02", "method": "card" }),
    )
    .await
}

/// The ids of the invoices `path` lists (asserting 200).
async fn invoice_ids(app: &TestApp, path: String) -> Vec<i64> {
    let reply = app.get(&path).await;
    reply.assert_status(200);
    ids(&reply.json(), "invoices")
}

/// Asserts a 400 whose first field error names `field`.
#[track_caller]
fn assert_field_error(reply: &Reply, field: &str, sent: &Value) {
    let problem = reply.assert_problem(400);
    assert_eq!(problem["errors"][0]["field"], field, "sent {sent}");
}

// ---------------------------------------------------------------------------------------
// Customers and invoices
// ---------------------------------------------------------------------------------------

async fn customers_have_crud(app: TestApp) {
    let reply = app.post("/customers", json!({ "name": "Acme" })).await;

    reply.assert_status(201);
    let customer = reply.json();
    let id = customer["id"].as_i64().expect("customer id");
    let path = format!("/customers/{id}");
    assert_eq!(reply.header("location"), Some(app.url(&path)));
    assert_eq!(customer["name"], "Acme");
    assert_eq!(customer["_links"]["self"]["href"], app.url(&path));
    assert_eq!(
        customer["_links"]["collection/invoices"]["href"],
        app.url(&format!("/customers/{id}/invoices"))
    );

    let patched = app.patch(&path, json!({ "name": "Acme Ltd" })).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["name"], "Acme Ltd");
    let mut own = app.get(&path).await.json();
    own["name"] = json!("Acme Holdings");
    let put = app.put(&path, own).await;
    put.assert_status(200);
    assert_eq!(put.json()["name"], "Acme Holdings");
    let nameless = app.post("/customers", json!({})).await;
    assert_field_error(&nameless, "name", &json!({}));
    assert_eq!(ids(&app.get("/customers").await.json(), "customers"), [id]);

    app.delete(&path).await.assert_status(204);
    app.get(&path).await.assert_problem(404);
    assert_eq!(app.count("customers").await, 0);
}

async fn an_invoice_created_under_its_customer_gets_a_number_and_its_links(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;

    let first = app
        .post(
            &format!("/customers/{customer}/invoices"),
            json!({ "date": "2026-03-01" }),
        )
        .await;
    let second = app
        .post(
            &format!("/customers/{customer}/invoices"),
            json!({ "date": "2026-03-01", "customerId": customer }),
        )
        .await;

    first.assert_status(201);
    second.assert_status(201);
    let invoice = first.json();
    let id = invoice["id"].as_i64().expect("invoice id");
    assert_eq!(
        first.header("location"),
        Some(app.url(&format!("/invoices/{id}")))
    );
    assert_eq!(invoice["date"], "2026-03-01");
    assert_eq!(invoice["customerId"], customer);
    assert_eq!(invoice["customerName"], "Acme");
    assert_eq!(invoice["total"], "0.00");
    assert_eq!(invoice["paid"], "0.00");
    let links = &invoice["_links"];
    assert_eq!(links["self"]["href"], app.url(&format!("/invoices/{id}")));
    assert_eq!(
        links["customer"]["href"],
        app.url(&format!("/customers/{customer}"))
    );
    assert_eq!(
        links["collection/lineitems"]["href"],
        app.url(&format!("/invoices/{id}/lineitems"))
    );
    assert_eq!(
        links["collection/payments"]["href"],
        app.url(&format!("/invoices/{id}/payments"))
    );
    let (first_number, second_number) = (
        invoice["number"].as_str().expect("an assigned number"),
        second.json()["number"]
            .as_str()
            .expect("an assigned number")
            .to_owned(),
    );
    assert!(!first_number.is_empty());
    assert_ne!(first_number, second_number);
    assert_eq!(app.count("invoices").await, 2);
}

async fn a_given_invoice_number_is_kept_and_a_duplicate_is_409(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let body = json!({ "number": "2026-0001", "date": "2026-03-01", "customerId": customer });

    let created = app.post("/invoices", body.clone()).await;
    let duplicate = app.post("/invoices", body).await;
    let duplicate_under_customer = app
        .post(
            &format!("/customers/{customer}/invoices"),
            json!({ "number": "2026-0001", "date": "2026-04-01" }),
        )
        .await;

    created.assert_status(201);
    assert_eq!(created.json()["number"], "2026-0001");
    duplicate.assert_problem(409);
    duplicate_under_customer.assert_problem(409);
    assert_eq!(app.count("invoices").await, 1);
    // A PUT that leaves the number out keeps it.
    let id = created.json()["id"].as_i64().expect("invoice id");
    let put = app
        .put(
            &format!("/invoices/{id}"),
            json!({ "date": "2026-03-05", "customerId": customer }),
        )
        .await;
    put.assert_status(200);
    assert_eq!(put.json()["number"], "2026-0001");
    assert_eq!(put.json()["date"], "2026-03-05");
}

async fn an_invoice_posted_at_the_top_level_names_its_customer_in_any_form(app: TestApp) {
    let _other = new_customer(&app, "Other").await;
    let customer = new_customer(&app, "Acme").await;
    let forms = [
        json!({ "customer": format!("/customers/{customer}") }),
        json!({ "customer": format!("customers/{customer}") }),
        json!({ "customer": app.url(&format!("/customers/{customer}")) }),
        json!({ "customer": customer }),
        json!({ "customerId": customer }),
        json!({ "customer_id": customer }),
    ];

    for form in &forms {
        let mut body = form.clone();
        body["date"] = json!("2026-03-01");
        let reply = app.post("/invoices", body).await;
        reply.assert_status(201);
        let invoice = reply.json();
        assert_eq!(invoice["customerId"], customer, "sent {form}");
        assert_eq!(
            invoice["_links"]["customer"]["href"],
            app.url(&format!("/customers/{customer}"))
        );
    }

    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM invoices WHERE customer_id = {customer}"
        ))
        .await,
        forms.len() as i64
    );
}

async fn an_unknown_customer_is_404_under_its_path_and_422_as_a_reference(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;

    let list = app.get("/customers/999/invoices").await;
    let post_under = app
        .post("/customers/999/invoices", json!({ "date": "2026-03-01" }))
        .await;
    let by_reference = app
        .post(
            "/invoices",
            json!({ "customer": "/customers/999", "date": "2026-03-01" }),
        )
        .await;
    let by_id = app
        .post(
            "/invoices",
            json!({ "customerId": 999, "date": "2026-03-01" }),
        )
        .await;
    let malformed = app
        .post(
            "/invoices",
            json!({ "customer": format!("/cars/{customer}"), "date": "2026-03-01" }),
        )
        .await;
    let missing = app.post("/invoices", json!({ "date": "2026-03-01" })).await;
    let another_customer = app
        .post(
            &format!("/customers/{customer}/invoices"),
            json!({ "customerId": 999, "date": "2026-03-01" }),
        )
        .await;

    list.assert_problem(404);
    post_under.assert_problem(404);
    by_reference.assert_problem(422);
    assert_eq!(
        by_id.assert_problem(422)["errors"][0]["field"],
        "customerId"
    );
    assert_field_error(&malformed, "customer", &json!("/cars/1"));
    assert_field_error(&missing, "customerId", &json!({}));
    assert_field_error(&another_customer, "customerId", &json!(999));
    assert_eq!(app.count("invoices").await, 0);
}

// ---------------------------------------------------------------------------------------
// Money
// ---------------------------------------------------------------------------------------

async fn an_invoice_of_three_times_6_10_and_2_00_totals_exactly_20_30(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;

    let mut amounts = Vec::new();
    for price in ["6.10", "6.10", "6.10", "2.00"] {
        amounts.push(new_line_item(&app, invoice, 1, price).await["amount"].clone());
    }

    assert_eq!(
        amounts,
        [json!("6.10"), json!("6.10"), json!("6.10"), json!("2.00")]
    );
    let read = app.get(&format!("/invoices/{invoice}")).await.json();
    assert_eq!(read["total"], "20.30");
    assert_eq!(read["paid"], "0.00");
    let listed = app
        .get(&format!("/customers/{customer}/invoices"))
        .await
        .json();
    assert_eq!(listed["_embedded"]["invoices"][0]["total"], "20.30");
}

async fn a_line_items_amount_is_quantity_times_unit_price_exactly(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;

    let cases = [
        (3, "0.10", "0.30"),
        (3, "6.10", "18.30"),
        (7, "19.99", "139.93"),
        (1_000_000, "0.01", "10000.00"),
        (2, "6.1", "12.20"),
    ];
    let mut created = Vec::new();
    for (quantity, price, _) in cases {
        created.push(new_line_item(&app, invoice, quantity, price).await);
    }

    for ((quantity, _, amount), item) in cases.iter().zip(&created) {
        assert_eq!(item["quantity"], *quantity);
        assert_eq!(item["amount"], *amount, "{item}");
    }
    assert_eq!(created[4]["unitPrice"], "6.10");
    let read = app.get(&format!("/invoices/{invoice}")).await.json();
    assert_eq!(read["total"], "10170.73");
}

async fn paid_is_the_sum_of_the_payments(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;
    new_line_item(&app, invoice, 1, "20.30").await;

    let payments = [
        new_payment(&app, invoice, "10.10").await,
        new_payment(&app, invoice, "0.10").await,
        new_payment(&app, invoice, "0.10").await,
    ];

    assert_eq!(payments[0]["amount"], "10.10");
    assert_eq!(payments[0]["method"], "card");
    assert_eq!(payments[0]["date"], "2026-03-02");
    let read = app.get(&format!("/invoices/{invoice}")).await.json();
    assert_eq!(read["paid"], "10.30");
    assert_eq!(read["total"], "20.30");
    let listed = app
        .get(&format!("/invoices/{invoice}/payments"))
        .await
        .json();
    assert_eq!(ids(&listed, "payments").len(), 3);
}

async fn money_with_more_than_two_decimals_is_400(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;

    for price in [
        json!("6.105"),
        json!(1.005),
        json!("0.001"),
        json!("abc"),
        json!("-1.00"),
    ] {
        let reply = app
            .post(
                &format!("/invoices/{invoice}/lineitems"),
                json!({ "description": "Rope", "quantity": 1, "unitPrice": price }),
            )
            .await;
        assert_field_error(&reply, "unitPrice", &price);
    }
    for amount in [json!("10.001"), json!(0.125)] {
        let reply = app
            .post(
                &format!("/invoices/{invoice}/payments"),
                json!({ "amount": amount, "date": "2026-03-02", "method": "cash" }),
            )
            .await;
        assert_field_error(&reply, "amount", &amount);
    }

    assert_eq!(app.count("line_items").await, 0);
    assert_eq!(app.count("payments").await, 0);
}

async fn a_quantity_must_be_a_positive_integer(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;
    let line = new_line_item(&app, invoice, 2, "1.00").await;
    let line_path = format!("/invoices/{invoice}/lineitems/{}", line["id"]);

    for quantity in [json!(0), json!(-1), json!(1.5), json!("2"), Value::Null] {
        let created = app
            .post(
                &format!("/invoices/{invoice}/lineitems"),
                json!({ "description": "Rope", "quantity": quantity, "unitPrice": "1.00" }),
            )
            .await;
        let patched = app.patch(&line_path, json!({ "quantity": quantity })).await;
        assert_field_error(&created, "quantity", &quantity);
        assert_field_error(&patched, "quantity", &quantity);
    }

    assert_eq!(app.count("line_items").await, 1);
    assert_eq!(app.get(&line_path).await.json()["quantity"], 2);
}

async fn a_payment_method_must_be_card_transfer_or_cash(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;
    let path = format!("/invoices/{invoice}/payments");
    let payment =
        |method: Value| json!({ "amount": "1.00", "date": "2026-03-02", "method": method });

    for method in [json!("bitcoin"), json!("Card"), json!(""), json!(1)] {
        let reply = app.post(&path, payment(method.clone())).await;
        assert_field_error(&reply, "method", &method);
    }
    for method in ["card", "transfer", "cash"] {
        let reply = app.post(&path, payment(json!(method))).await;
        reply.assert_status(201);
        assert_eq!(reply.json()["method"], method);
    }

    assert_eq!(app.count("payments").await, 3);
}

async fn an_impossible_or_informal_date_is_400(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;

    for date in [
        "2026-02-30",
        "yesterday",
        "2026-2-3",
        "2026-13-01",
        "2027-02-29",
        "03/01/2026",
    ] {
        let sent = json!(date);
        let invoice_reply = app
            .post("/invoices", json!({ "customerId": customer, "date": date }))
            .await;
        let payment_reply = app
            .post(
                &format!("/invoices/{invoice}/payments"),
                json!({ "amount": "1.00", "date": date, "method": "cash" }),
            )
            .await;
        assert_field_error(&invoice_reply, "date", &sent);
        assert_field_error(&payment_reply, "date", &sent);
    }
    let leap_day = app
        .post(
            "/invoices",
            json!({ "customerId": customer, "date": "2028-02-29" }),
        )
        .await;

    leap_day.assert_status(201);
    assert_eq!(app.count("invoices").await, 2);
    assert_eq!(app.count("payments").await, 0);
}

async fn line_items_and_payments_that_would_overflow_an_invoices_sums_are_409(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;
    let lines = format!("/invoices/{invoice}/lineitems");
    let payments = format!("/invoices/{invoice}/payments");
    let line = |quantity: i64, price: &str| json!({ "description": "Yacht", "quantity": quantity, "unitPrice": price });
    let payment =
        |amount: &str| json!({ "amount": amount, "date": "2026-03-02", "method": "cash" });

    // Far past what 64-bit cents can hold, in one line item and in a sum of payments.
    let huge_line = app
        .post(&lines, line(1_000_000, "90000000000000000.00"))
        .await;
    let at_the_limit = app.post(&lines, line(1, "999999999999999.99")).await;
    let one_cent_more = app.post(&lines, line(1, "0.01")).await;
    let first_payment = app.post(&payments, payment("90000000000000000.00")).await;
    let second_payment = app.post(&payments, payment("90000000000000000.00")).await;
    let line_path = format!("{lines}/{}", at_the_limit.json()["id"]);
    let doubled = app.patch(&line_path, json!({ "quantity": 2 })).await;

    huge_line.assert_problem(409);
    at_the_limit.assert_status(201);
    assert_eq!(at_the_limit.json()["amount"], "999999999999999.99");
    one_cent_more.assert_problem(409);
    first_payment.assert_problem(409);
    second_payment.assert_problem(409);
    doubled.assert_problem(409);
    assert_eq!(app.get(&line_path).await.json()["quantity"], 1);
    let read = app.get(&format!("/invoices/{invoice}")).await;
    read.assert_status(200);
    assert_eq!(read.json()["total"], "999999999999999.99");
    assert_eq!(read.json()["paid"], "0.00");
    app.post(&payments, payment("999999999999999.99"))
        .await
        .assert_status(201);
    app.post(&payments, payment("0.01"))
        .await
        .assert_problem(409);
    let listed = app.get("/invoices").await;
    listed.assert_status(200);
    assert_eq!(
        listed.json()["_embedded"]["invoices"][0]["paid"],
        "999999999999999.99"
    );
    assert_eq!(app.count("line_items").await, 1);
    assert_eq!(app.count("payments").await, 1);
}

// ---------------------------------------------------------------------------------------
// Line items and payments under their invoice
// ---------------------------------------------------------------------------------------

async fn a_line_item_is_read_patched_and_deleted_under_its_invoice(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;

    let reply = app
        .post(
            &format!("/invoices/{invoice}/lineitems"),
            json!({ "description": "Rope", "quantity": 2, "unitPrice": "6.10", "amount": "99.99" }),
        )
        .await;

    reply.assert_status(201);
    let line = reply.json();
    let id = line["id"].as_i64().expect("line item id");
    let path = format!("/invoices/{invoice}/lineitems/{id}");
    assert_eq!(reply.header("location"), Some(app.url(&path)));
    assert_eq!(line["amount"], "12.20");
    assert_eq!(line["_links"]["self"]["href"], app.url(&path));
    assert_eq!(
        line["_links"]["invoice"]["href"],
        app.url(&format!("/invoices/{invoice}"))
    );

    let read = app.get(&path).await;
    read.assert_status(200);
    assert_eq!(read.json(), line);
    let patched = app.patch(&path, json!({ "quantity": 3 })).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["amount"], "18.30");
    assert_eq!(patched.json()["description"], "Rope");
    assert_eq!(
        app.get(&format!("/invoices/{invoice}")).await.json()["total"],
        "18.30"
    );
    let listed = app
        .get(&format!("/invoices/{invoice}/lineitems"))
        .await
        .json();
    assert_eq!(items(&listed, "lineitems"), [patched.json()]);

    app.delete(&path).await.assert_status(204);
    app.get(&path).await.assert_problem(404);
    app.delete(&path).await.assert_problem(404);
    assert_eq!(app.count("line_items").await, 0);
    assert_eq!(
        app.get(&format!("/invoices/{invoice}")).await.json()["total"],
        "0.00"
    );
}

async fn a_line_item_or_payment_of_another_invoice_is_404_under_this_one(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let (mine, other) = (
        new_invoice(&app, customer, "2026-03-01").await,
        new_invoice(&app, customer, "2026-03-02").await,
    );
    let line = new_line_item(&app, mine, 1, "5.00").await["id"].clone();
    let payment = new_payment(&app, mine, "5.00").await["id"].clone();

    for path in [
        format!("/invoices/{other}/lineitems/{line}"),
        format!("/invoices/{other}/payments/{payment}"),
        format!("/invoices/999/lineitems/{line}"),
    ] {
        app.get(&path).await.assert_problem(404);
        app.patch(&path, json!({ "description": "Stolen", "amount": "0.00" }))
            .await
            .assert_problem(404);
        app.delete(&path).await.assert_problem(404);
    }

    let line_now = app.get(&format!("/invoices/{mine}/lineitems/{line}")).await;
    line_now.assert_status(200);
    assert_eq!(line_now.json()["description"], "Rope");
    let payment_now = app
        .get(&format!("/invoices/{mine}/payments/{payment}"))
        .await;
    assert_eq!(payment_now.json()["amount"], "5.00");
    assert_eq!(app.count("line_items").await, 1);
    assert_eq!(app.count("payments").await, 1);
}

async fn line_items_and_payments_have_no_top_level_collection(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoice = new_invoice(&app, customer, "2026-03-01").await;
    let line = new_line_item(&app, invoice, 1, "5.00").await["id"].clone();

    let replies = [
        app.get("/lineitems").await,
        app.get(&format!("/lineitems/{line}")).await,
        app.get("/payments").await,
        app.post(
            "/lineitems",
            json!({ "description": "Rope", "quantity": 1, "unitPrice": "1.00" }),
        )
        .await,
    ];

    for reply in &replies {
        reply.assert_problem(404);
    }
    assert_eq!(app.count("line_items").await, 1);
}

async fn deleting_an_invoice_deletes_its_line_items_and_payments(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let (doomed, kept) = (
        new_invoice(&app, customer, "2026-03-01").await,
        new_invoice(&app, customer, "2026-03-02").await,
    );
    for invoice in [doomed, doomed, kept] {
        new_line_item(&app, invoice, 1, "5.00").await;
        new_payment(&app, invoice, "1.00").await;
    }

    let deleted = app.delete(&format!("/invoices/{doomed}")).await;

    deleted.assert_status(204);
    assert_eq!(app.count("line_items").await, 1);
    assert_eq!(app.count("payments").await, 1);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM line_items WHERE invoice_id = {kept}"
        ))
        .await,
        1
    );
    app.get(&format!("/invoices/{doomed}"))
        .await
        .assert_problem(404);
    app.get(&format!("/invoices/{doomed}/lineitems"))
        .await
        .assert_problem(404);
    app.get(&format!("/invoices/{doomed}/payments"))
        .await
        .assert_problem(404);
    assert_eq!(
        app.get(&format!("/invoices/{kept}")).await.json()["total"],
        "5.00"
    );
}

async fn a_customer_with_invoices_cannot_be_deleted_until_they_are_gone(app: TestApp) {
    let customer = new_customer(&app, "Acme").await;
    let invoices = [
        new_invoice(&app, customer, "2026-03-01").await,
        new_invoice(&app, customer, "2026-03-02").await,
    ];
    new_line_item(&app, invoices[0], 1, "5.00").await;

    let refused = app.delete(&format!("/customers/{customer}")).await;

    refused.assert_problem(409);
    assert_eq!(app.count("customers").await, 1);
    assert_eq!(app.count("invoices").await, 2);
    assert_eq!(app.count("line_items").await, 1);
    for invoice in invoices {
        app.delete(&format!("/invoices/{invoice}"))
            .await
            .assert_status(204);
    }
    app.delete(&format!("/customers/{customer}"))
        .await
        .assert_status(204);
    assert_eq!(app.count("customers").await, 0);
}

// ---------------------------------------------------------------------------------------
// Both forms of a customer's invoices
// ---------------------------------------------------------------------------------------

async fn both_forms_of_a_customers_invoices_agree_item_for_item_and_page_for_page(app: TestApp) {
    let (acme, other) = (
        new_customer(&app, "Acme").await,
        new_customer(&app, "Other").await,
    );
    // Interleaved, so that the other customer's invoices sit between Acme's ids.
    let mut acmes = Vec::new();
    for day in 1..=5 {
        let date = format!("2026-03-0{day}");
        acmes.push(new_invoice(&app, acme, &date).await);
        if day <= 2 {
            new_invoice(&app, other, &date).await;
        }
    }
    new_line_item(&app, acmes[1], 2, "3.50").await;

    let sub = app.get(&format!("/customers/{acme}/invoices")).await;
    let query_forms = [
        format!("/invoices?customer_id={acme}"),
        format!("/invoices?customerId={acme}"),
        format!("/invoices?customer=%2Fcustomers%2F{acme}"),
    ];
    let sub_pages = app
        .pages(
            &format!("/customers/{acme}/invoices?maxPageSize=2"),
            "invoices",
        )
        .await;
    let query_pages = app
        .pages(
            &format!("/invoices?customer_id={acme}&maxPageSize=2"),
            "invoices",
        )
        .await;

    sub.assert_status(200);
    let sub_items = items(&sub.json(), "invoices");
    assert_eq!(ids(&sub.json(), "invoices"), acmes);
    assert_eq!(sub_items[1]["total"], "7.00");
    for path in &query_forms {
        let reply = app.get(path).await;
        reply.assert_status(200);
        assert_eq!(items(&reply.json(), "invoices"), sub_items, "{path}");
    }
    assert_eq!(
        sub_pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    assert_eq!(sub_pages, query_pages);
    assert_eq!(sub_pages.concat(), sub_items);
    // Under the customer's path the customer is fixed: naming one again, in any form,
    // is a parameter this path does not take.
    for param in [
        format!("customer_id={other}"),
        format!("customerId={acme}"),
        format!("customer=%2Fcustomers%2F{other}"),
    ] {
        let problem = app
            .get(&format!("/customers/{acme}/invoices?{param}"))
            .await
            .assert_problem(400);
        assert!(problem["detail"]
            .as_str()
            .unwrap()
            .contains("unknown query parameter"));
    }
}

async fn invoices_can_be_filtered_by_total_and_date(app: TestApp) {
    let (acme, other) = (
        new_customer(&app, "Acme").await,
        new_customer(&app, "Other").await,
    );
    let mut invoices = Vec::new();
    for (customer, date, price) in [
        (acme, "2025-12-31", "25.00"),
        (acme, "2026-01-01", "10.00"),
        (acme, "2026-02-01", "10.01"),
        (acme, "2026-03-01", "5.00"),
        (other, "2026-03-01", "50.00"),
    ] {
        let invoice = new_invoice(&app, customer, date).await;
        new_line_item(&app, invoice, 1, price).await;
        invoices.push(invoice);
    }
    let over_ten = invoice_ids(&app, format!("/invoices?filter={}", encoded("total > 10"))).await;
    let this_year = invoice_ids(
        &app,
        format!("/invoices?filter={}", encoded(r#"date >= "2026-01-01""#)),
    )
    .await;
    let acme_over_ten = invoice_ids(
        &app,
        format!(
            "/invoices?customer_id={acme}&filter={}",
            encoded("total > 10")
        ),
    )
    .await;
    let acme_sub = invoice_ids(
        &app,
        format!(
            "/customers/{acme}/invoices?filter={}",
            encoded(r#"total >= "10.00" AND date >= "2026-01-01""#)
        ),
    )
    .await;
    let bad = app
        .get(&format!("/invoices?filter={}", encoded("total > ten")))
        .await;

    assert_eq!(over_ten, [invoices[0], invoices[2], invoices[4]]);
    assert_eq!(this_year, invoices[1..].to_vec());
    assert_eq!(acme_over_ten, [invoices[0], invoices[2]]);
    assert_eq!(acme_sub, [invoices[1], invoices[2]]);
    assert_eq!(bad.assert_problem(400)["errors"][0]["field"], "filter");
}

on_both_backends!(
    customers_have_crud,
    an_invoice_created_under_its_customer_gets_a_number_and_its_links,
    a_given_invoice_number_is_kept_and_a_duplicate_is_409,
    an_invoice_posted_at_the_top_level_names_its_customer_in_any_form,
    an_unknown_customer_is_404_under_its_path_and_422_as_a_reference,
    an_invoice_of_three_times_6_10_and_2_00_totals_exactly_20_30,
    a_line_items_amount_is_quantity_times_unit_price_exactly,
    paid_is_the_sum_of_the_payments,
    money_with_more_than_two_decimals_is_400,
    a_quantity_must_be_a_positive_integer,
    a_payment_method_must_be_card_transfer_or_cash,
    an_impossible_or_informal_date_is_400,
    line_items_and_payments_that_would_overflow_an_invoices_sums_are_409,
    a_line_item_is_read_patched_and_deleted_under_its_invoice,
    a_line_item_or_payment_of_another_invoice_is_404_under_this_one,
    line_items_and_payments_have_no_top_level_collection,
    deleting_an_invoice_deletes_its_line_items_and_payments,
    a_customer_with_invoices_cannot_be_deleted_until_they_are_gone,
    both_forms_of_a_customers_invoices_agree_item_for_item_and_page_for_page,
    invoices_can_be_filtered_by_total_and_date,
);
