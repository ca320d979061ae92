//! The golden transcript: a fixed series of requests over a small data set made through
//! the API, and the route table, held byte for byte against `tests/golden/`. It exists so
//! that a refactor of `src/` can prove it changed nothing on the wire: every status,
//! every header that matters and every body byte must stay as recorded.
//!
//! Only what differs from run to run is masked (user tokens, page tokens, timestamps and
//! the ETags of bodies holding a timestamp); see [`Masks`].
//!
//! `HALYARD_BLESS=1 cargo test --test api golden` records the files again instead of
//! comparing; do that only for an intended change, and review the diff it makes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{spawn_with, Backend, Reply, TestApp};

const HAL: &str = "application/hal+json";
const FORMS: &str = "application/prs.hal-forms+json";
const HTML: &str = "text/html";

/// The public URL the app runs under, so that links and ETags do not depend on the port.
const PUBLIC_URL: &str = "http://halyard.test";

/// Response headers written to the transcript, in this order (each value it has).
const HEADERS: &[&str] = &[
    "content-type",
    "etag",
    "allow",
    "location",
    "vary",
    "cache-control",
    "www-authenticate",
    "retry-after",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-expose-headers",
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
];

/// The route table, path → methods, as the app registered it.
fn registered_routes(app: &TestApp) -> BTreeMap<String, BTreeSet<&'static str>> {
    app.routes.lock().expect("the route table").clone()
}

// ---------------------------------------------------------------------------------------
// Masking (hand-written matchers: the crate has no regex dependency)
// ---------------------------------------------------------------------------------------

/// Replaces what is random per run with stable placeholders:
///
/// - user tokens `hal_<id>_<64 hex>` keep their id: `hal_<id>_<secret-N>`;
/// - page tokens (the `nextPageToken` value and every `pageToken=` query value, of 20
///   characters or more: real ones have 34, a test's `forged` stays as sent) become
///   `<page-token-N>`;
/// - RFC 3339 timestamps (`2026-01-02T03:04:05.678Z`) become `<timestamp>`, and so does
///   a page's reading of one in words (the content of its `<time>`);
/// - the ETag of a body that held a timestamp becomes `<volatile-etag>`, wherever it
///   shows (its header, an HTML page's `data-etag`, an `If-Match` sent back).
///
/// `N` numbers the distinct values by first appearance, so that equal tokens stay
/// visibly equal and different ones visibly different, the same way every run.
#[derive(Default)]
struct Masks {
    user_secrets: Vec<String>,
    page_tokens: Vec<String>,
    volatile_etags: Vec<String>,
    /// Every token seen in a reply (read from its JSON, not by the matchers), to prove
    /// that none reaches the transcript.
    secrets: BTreeSet<String>,
}

/// The 1-based number of `value` in `seen`, adding it when new.
fn number(seen: &mut Vec<String>, value: &str) -> usize {
    match seen.iter().position(|v| v == value) {
        Some(i) => i + 1,
        None => {
            seen.push(value.to_owned());
            seen.len()
        }
    }
}

impl Masks {
    /// Masks `text`; returns it and whether it held a timestamp.
    fn apply(&mut self, text: &str) -> (String, bool) {
        let text = self.mask_user_tokens(text);
        let text = self.mask_page_tokens(&text);
        let (mut text, timestamps) = mask_timestamps(&text);
        for etag in &self.volatile_etags {
            text = text.replace(etag.as_str(), "<volatile-etag>");
        }
        (text, timestamps)
    }

    /// `hal_<digits>_<64 hex digits>` → `hal_<digits>_<secret-N>`.
    fn mask_user_tokens(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("hal_") {
            out.push_str(&rest[..at + 4]);
            rest = &rest[at + 4..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let after = &rest.as_bytes()[digits..];
            let hex = after
                .iter()
                .skip(1)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if digits > 0 && after.first() == Some(&b'_') && hex == 64 {
                let secret = &rest[digits + 1..digits + 1 + hex];
                let n = number(&mut self.user_secrets, secret);
                write!(out, "{}_<secret-{n}>", &rest[..digits]).expect("write to a String");
                rest = &rest[digits + 1 + hex..];
            }
        }
        out.push_str(rest);
        out
    }

    /// The value after `"nextPageToken":"` or `pageToken=` → `<page-token-N>`.
    fn mask_page_tokens(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        loop {
            let found = ["\"nextPageToken\":\"", "pageToken="]
                .iter()
                .filter_map(|marker| rest.find(marker).map(|at| (at, marker.len())))
                .min();
            let Some((at, len)) = found else {
                out.push_str(rest);
                return out;
            };
            out.push_str(&rest[..at + len]);
            rest = &rest[at + len..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            if end >= 20 {
                let n = number(&mut self.page_tokens, &rest[..end]);
                write!(out, "<page-token-{n}>").expect("write to a String");
                rest = &rest[end..];
            }
        }
    }
}

/// The length of an RFC 3339 UTC timestamp at the start of `s`
/// (`dddd-dd-ddTdd:dd:dd`, optional `.d+`, `Z`), if there is one.
fn timestamp_at(s: &[u8]) -> Option<usize> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if s.len() < SHAPE.len()
        || !SHAPE.iter().zip(s).all(|(want, got)| match want {
            b'd' => got.is_ascii_digit(),
            literal => literal == got,
        })
    {
        return None;
    }
    let mut end = SHAPE.len();
    if s.get(end) == Some(&b'.') {
        let digits = s[end + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        end += 1 + digits;
    }
    (s.get(end) == Some(&b'Z')).then_some(end + 1)
}

/// Every RFC 3339 timestamp → `<timestamp>`; also says whether there was one.
fn mask_timestamps(text: &str) -> (String, bool) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut i, mut found) = (0, 0, false);
    while i < bytes.len() {
        // A timestamp starts with a digit not preceded by one.
        let starts = bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit());
        match timestamp_at(&bytes[i..]).filter(|_| starts) {
            Some(len) => {
                out.push_str(&text[copied..i]);
                out.push_str("<timestamp>");
                i += len;
                copied = i;
                found = true;
            }
            None => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    // A page shows a timestamp once more in words, inside the `<time>` that holds it.
    let marker = "title=\"<timestamp>\">";
    let mut masked = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find(marker) {
        let after = at + marker.len();
        let Some(end) = rest[after..].find("</time>") else {
            break;
        };
        masked.push_str(&rest[..after]);
        masked.push_str("<timestamp>");
        rest = &rest[after + end..];
    }
    masked.push_str(rest);
    (masked, found)
}

// ---------------------------------------------------------------------------------------
// The recorder
// ---------------------------------------------------------------------------------------

/// Sends requests and writes each exchange to the transcript.
struct Recorder<'a> {
    app: &'a TestApp,
    out: String,
    masks: Masks,
    /// The `Authorization` value of the shopper, once created.
    bearer: Option<String>,
}

/// One request of the transcript.
struct Call<'r> {
    method: Method,
    path: &'r str,
    accept: &'r str,
    /// Sends the shopper's bearer token.
    auth: bool,
    headers: Vec<(&'r str, String)>,
    body: Option<Value>,
}

fn call(method: Method, path: &str) -> Call<'_> {
    Call {
        method,
        path,
        accept: HAL,
        auth: false,
        headers: Vec::new(),
        body: None,
    }
}

impl<'r> Call<'r> {
    fn accept(mut self, accept: &'r str) -> Self {
        self.accept = accept;
        self
    }

    fn auth(mut self) -> Self {
        self.auth = true;
        self
    }

    fn header(mut self, name: &'r str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Recorder<'_> {
    /// Sends `call`, records it, and returns the reply unmasked.
    async fn send(&mut self, call: Call<'_>) -> Reply {
        let mut headers = vec![("accept", call.accept.to_owned())];
        if call.auth {
            let bearer = self.bearer.clone().expect("a shopper exists");
            headers.push(("authorization", bearer));
        }
        headers.extend(call.headers);

        let mut request = self
            .app
            .client
            .request(call.method.clone(), self.app.url(call.path));
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        let body = call.body.as_ref().map(Value::to_string);
        if let Some(body) = &body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let response_headers = response.headers().clone();
        let bytes = response.bytes().await.expect("response body");
        let text = String::from_utf8(bytes.to_vec()).unwrap_or_else(|e| {
            panic!("{} {}: the body is not UTF-8: {e}", call.method, call.path)
        });
        let reply = Reply {
            status,
            headers: response_headers,
            text,
        };

        // The exchange, masked. A timestamped body makes its ETag volatile first, so the
        // ETag is masked wherever it shows from now on, its own header included.
        let (masked_body, timestamped) = self.masks.apply(&reply.text);
        if timestamped {
            if let Some(etag) = reply.header("etag") {
                let inner = etag.trim_start_matches("W/").trim_matches('"').to_owned();
                if !inner.is_empty() && !self.masks.volatile_etags.contains(&inner) {
                    self.masks.volatile_etags.push(inner);
                }
            }
        }
        let masked_body = self.masks.apply(&masked_body).0;
        let mut exchange = format!(
            "=== {} {} (Accept: {})\n",
            call.method, call.path, call.accept
        );
        for (name, value) in headers.iter().skip(1) {
            writeln!(exchange, "> {name}: {value}").expect("write to a String");
        }
        if let Some(body) = &body {
            writeln!(exchange, "> {body}").expect("write to a String");
        }
        writeln!(exchange, "status: {status}").expect("write to a String");
        for name in HEADERS {
            for value in reply.headers.get_all(*name) {
                let value = String::from_utf8_lossy(value.as_bytes());
                writeln!(exchange, "{name}: {value}").expect("write to a String");
            }
        }
        exchange.push('\n');
        let exchange = self.masks.apply(&exchange).0;
        self.out.push_str(&exchange);
        self.out.push_str(&masked_body);
        self.out.push_str("\n\n");

        // Tokens of this reply, so that the end can prove none was left unmasked.
        self.masks.secrets.extend(tokens_in(&reply.text));
        reply
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send(call(Method::GET, path)).await
    }

    /// GET in each of the media types.
    async fn get_in(&mut self, path: &str, accepts: &[&str]) {
        for accept in accepts {
            self.send(call(Method::GET, path).accept(accept)).await;
        }
    }

    /// GET with the shopper's token, in each of the media types.
    async fn get_auth_in(&mut self, path: &str, accepts: &[&str]) {
        for accept in accepts {
            self.send(call(Method::GET, path).accept(accept).auth())
                .await;
        }
    }

    async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.send(call(Method::POST, path).body(body)).await
    }

    /// POST, asserting 201, and returns the new resource's id.
    async fn create(&mut self, path: &str, body: Value) -> i64 {
        let reply = self.post(path, body).await;
        reply.assert_status(201);
        reply.json()["id"].as_i64().expect("an id")
    }
}

/// The tokens a reply's JSON holds: a new user's `token`, a page's `nextPageToken`.
fn tokens_in(text: &str) -> Vec<String> {
    let Ok(body) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    ["token", "nextPageToken"]
        .iter()
        .filter_map(|name| body[name].as_str().map(str::to_owned))
        .collect()
}

// ---------------------------------------------------------------------------------------
// The data set and the requests
// ---------------------------------------------------------------------------------------

/// Makes the data set through the API (every write is part of the transcript), then
/// reads every kind of resource and relationship, and ends with the deletes.
async fn record(app: &TestApp) -> String {
    let mut r = Recorder {
        app,
        out: String::new(),
        masks: Masks::default(),
        bearer: None,
    };

    // -- Catalogue: books, authors and the three styles of their relationship.
    let dune = r
        .create("/books", json!({ "title": "Dune", "price": "12.50" }))
        .await;
    let emma = r
        .create("/books", json!({ "title": "Emma", "price": "3.25" }))
        .await;
    let omens = r
        .create("/books", json!({ "title": "Good Omens", "price": "9.99" }))
        .await;
    let herbert = r
        .create("/authors", json!({ "name": "Frank Herbert" }))
        .await;
    let austen = r.create("/authors", json!({ "name": "Jane Austen" })).await;
    let pratchett = r
        .create("/authors", json!({ "name": "Terry Pratchett" }))
        .await;
    // Link-array PATCH, both the plain and the HAL `_links` forms.
    r.send(
        call(Method::PATCH, &format!("/books/{dune}"))
            .body(json!({ "authors": [format!("/authors/{herbert}")] })),
    )
    .await
    .assert_status(200);
    r.send(
        call(Method::PATCH, &format!("/authors/{austen}")).body(json!({
            "_links": { "books": [{ "href": format!("{PUBLIC_URL}/books/{emma}") }] }
        })),
    )
    .await
    .assert_status(200);
    // Sub-resources: PUT links (201), again (200).
    let dune_pratchett = format!("/books/{dune}/authors/{pratchett}");
    r.send(call(Method::PUT, &dune_pratchett))
        .await
        .assert_status(201);
    r.send(call(Method::PUT, &dune_pratchett))
        .await
        .assert_status(200);
    // The cross-resource, with royalties.
    let relation = r
        .create(
            "/books-authors",
            json!({ "bookId": omens, "authorId": pratchett, "royalties": "0.5" }),
        )
        .await;
    r.send(
        call(Method::PATCH, &format!("/books-authors/{relation}"))
            .body(json!({ "royalties": "0.25" })),
    )
    .await
    .assert_status(200);

    // -- Accounts: users (the first is the shopper), a group and its member.
    let reply = r
        .post(
            "/users",
            json!({ "emailAddress": "ada@example.org", "displayName": "Ada" }),
        )
        .await;
    reply.assert_status(201);
    let ada = reply.json()["id"].as_i64().expect("user id");
    let token = reply.json()["token"].as_str().expect("a token").to_owned();
    r.bearer = Some(format!("Bearer {token}"));
    let grace = r
        .create("/users", json!({ "emailAddress": "grace@example.org" }))
        .await;
    let admins = r
        .create("/groups", json!({ "displayName": "Admins" }))
        .await;
    let add = format!("/groups/{admins}/users:add");
    let remove = format!("/groups/{admins}/users:remove");
    r.post(&add, json!({ "user": format!("/users/{ada}") }))
        .await
        .assert_status(204);
    r.post(&add, json!({ "user": format!("/users/{ada}") }))
        .await
        .assert_status(409);
    r.post(&remove, json!({ "user": format!("/users/{grace}") }))
        .await
        .assert_status(412);

    // -- Billing: a customer, invoices both ways, line items and a payment.
    let acme = r.create("/customers", json!({ "name": "Acme" })).await;
    let invoice = r
        .create(
            &format!("/customers/{acme}/invoices"),
            json!({ "date": "2026-03-01" }),
        )
        .await;
    r.create(
        "/invoices",
        json!({ "date": "2026-03-05", "customerId": acme }),
    )
    .await;
    let line = r
        .create(
            &format!("/invoices/{invoice}/lineitems"),
            json!({ "description": "Rope", "quantity": 3, "unitPrice": "2.50" }),
        )
        .await;
    r.create(
        &format!("/invoices/{invoice}/lineitems"),
        json!({ "description": "Anchor", "quantity": 1, "unitPrice": "120.00" }),
    )
    .await;
    r.create(
        &format!("/invoices/{invoice}/payments"),
        json!({ "amount": "50.00", "date": "2026-03-02", "method": "card" }),
    )
    .await;

    // -- Fleet: cars and drivers, linked from both sides.
    let car = r
        .create(
            "/cars",
            json!({ "licensePlate": "HAL-9000", "model": "Discovery" }),
        )
        .await;
    let other_car = r.create("/cars", json!({ "licensePlate": "KITT-1" })).await;
    let nia = r.create("/drivers", json!({ "name": "Nia" })).await;
    let omar = r.create("/drivers", json!({ "name": "Omar" })).await;
    r.send(call(Method::PUT, &format!("/cars/{car}/drivers/{nia}")))
        .await
        .assert_status(201);
    r.send(call(Method::PUT, &format!("/drivers/{omar}/cars/{car}")))
        .await
        .assert_status(201);
    r.send(call(
        Method::PUT,
        &format!("/drivers/{omar}/cars/{other_car}"),
    ))
    .await
    .assert_status(201);

    // -- Shop: a cart checked out into an order, then a new item in the new cart.
    let add_item = |book: i64, quantity: i64| {
        call(Method::POST, "/cart/items")
            .auth()
            .body(json!({ "book": format!("/books/{book}"), "quantity": quantity }))
    };
    r.send(add_item(dune, 2)).await.assert_status(201);
    let emma_line = r.send(add_item(emma, 1)).await;
    emma_line.assert_status(201);
    let emma_line = emma_line.json()["id"].as_i64().expect("item id");
    r.send(add_item(dune, 1)).await.assert_status(200);
    r.send(
        call(Method::PATCH, &format!("/cart/items/{emma_line}"))
            .auth()
            .body(json!({ "quantity": 3 })),
    )
    .await
    .assert_status(200);
    let address = |name: &str| {
        json!({
            "name": name, "street": format!("{name} Street 7"), "city": format!("{name}ville"),
            "postalCode": "12345", "country": "GB",
        })
    };
    r.send(
        call(Method::PUT, "/cart/shipping")
            .auth()
            .body(address("Ada")),
    )
    .await
    .assert_status(200);
    r.send(
        call(Method::PUT, "/cart/billing")
            .auth()
            .body(address("Acme")),
    )
    .await
    .assert_status(200);
    r.send(call(Method::PUT, "/cart/payment").auth().body(json!({
        "cardholder": "Ada Lovelace", "cardNumber": "4111111111111111", "expiry": "12/99"
    })))
    .await
    .assert_status(200);
    let order = r.send(call(Method::POST, "/cart:checkout").auth()).await;
    order.assert_status(201);
    let order = order.json()["id"].as_i64().expect("order id");
    let omens_line = r.send(add_item(omens, 1)).await;
    omens_line.assert_status(201);
    let omens_line = omens_line.json()["id"].as_i64().expect("item id");
    r.send(
        call(Method::PATCH, "/cart/shipping")
            .auth()
            .body(json!({ "city": "Oxford" })),
    )
    .await
    .assert_status(200);

    // -- Reads: every kind of resource and relationship.
    r.get_in("/", &[HAL, FORMS, HTML]).await;
    r.get("/health").await;
    r.get_in("/books", &[HAL, FORMS, HTML]).await;
    let first_page = r.get("/books?maxPageSize=2").await;
    let next = first_page.json()["_links"]["next"]["href"]
        .as_str()
        .expect("a next page")
        .strip_prefix(PUBLIC_URL)
        .expect("an absolute link")
        .to_owned();
    r.get(&next).await;
    r.get_in(&format!("/books/{dune}"), &[HAL, FORMS, HTML])
        .await;
    r.get(&format!("/books/{dune}?embed=authors")).await;
    r.get_in(&format!("/books/{dune}/authors"), &[HAL, FORMS])
        .await;
    r.get_in(&format!("/books/{dune}/authors/{herbert}"), &[HAL, FORMS])
        .await;
    r.get_in(&format!("/authors/{herbert}"), &[HAL, FORMS])
        .await;
    r.get(&format!("/authors/{pratchett}/books")).await;
    r.get("/authors").await;
    r.get_in("/books-authors", &[HAL, FORMS]).await;
    r.get(&format!("/books-authors?book_id={dune}")).await;
    r.get_in(&format!("/books-authors/{relation}"), &[HAL, FORMS])
        .await;
    r.get(&format!(
        "/books?filter={}",
        encoded("price < 10 AND title : \"e\"")
    ))
    .await;
    r.get_in(&format!("/users/{ada}"), &[HAL, FORMS]).await;
    r.get("/users").await;
    r.get_in(&format!("/groups/{admins}"), &[HAL, FORMS, HTML])
        .await;
    r.get(&format!("/groups/{admins}/users")).await;
    r.get(&format!("/users/{ada}/groups")).await;
    r.get_in(&format!("/customers/{acme}"), &[HAL, FORMS]).await;
    r.get_in(&format!("/customers/{acme}/invoices"), &[HAL, FORMS])
        .await;
    r.get(&format!("/invoices?customer_id={acme}")).await;
    r.get_in(&format!("/invoices/{invoice}"), &[HAL, FORMS])
        .await;
    r.get(&format!("/invoices/{invoice}?embed=lineitems,payments"))
        .await;
    r.get_in(&format!("/invoices/{invoice}/lineitems"), &[HAL, FORMS])
        .await;
    r.get_in(
        &format!("/invoices/{invoice}/lineitems/{line}"),
        &[HAL, FORMS],
    )
    .await;
    r.get(&format!("/invoices/{invoice}/payments")).await;
    r.get_in(&format!("/cars/{car}"), &[HAL, FORMS]).await;
    r.get(&format!("/cars/{car}/drivers")).await;
    r.get(&format!("/drivers?car_id={car}")).await;
    r.get(&format!("/cars?driver_id={omar}")).await;
    r.get_in(&format!("/drivers/{omar}"), &[HAL, FORMS]).await;
    r.get_auth_in("/cart", &[HAL, FORMS, HTML]).await;
    r.get_auth_in("/cart?embed=items", &[HAL]).await;
    r.get_auth_in(&format!("/users/{ada}/cart"), &[HAL]).await;
    r.get_auth_in("/cart/items", &[HAL, FORMS]).await;
    r.get_auth_in(&format!("/cart/items/{omens_line}"), &[HAL, FORMS])
        .await;
    r.get_auth_in("/cart/shipping", &[HAL, FORMS]).await;
    r.get_auth_in("/cart/billing", &[HAL, FORMS]).await;
    r.get_auth_in("/cart/payment", &[HAL, FORMS]).await;
    r.get_auth_in("/orders", &[HAL, FORMS]).await;
    r.get_auth_in(&format!("/orders/{order}"), &[HAL, FORMS, HTML])
        .await;
    r.get("/openapi.json").await;
    r.get("/openapi.json?openapi=3.0").await;
    r.get_in("/rels/authors", &[HTML, HAL]).await;
    r.get_in("/rels/collection/authors", &[HTML]).await;
    // The browsable pages' assets (routed outside `Routes`, so not in routes.txt).
    r.get_in("/_browser/halyard.css", &["text/css,*/*;q=0.1"])
        .await;
    r.get_in("/_browser/halyard.js", &["*/*"]).await;

    // -- Methods, conditions and problems.
    r.send(call(Method::HEAD, &format!("/books/{dune}"))).await;
    r.send(call(Method::OPTIONS, "/books")).await;
    r.send(call(
        Method::OPTIONS,
        &format!("/books/{dune}/authors/{herbert}"),
    ))
    .await;
    r.send(call(Method::OPTIONS, &add)).await;
    r.send(
        call(Method::OPTIONS, "/cart")
            .header("origin", "http://example.org")
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization"),
    )
    .await;
    r.send(call(Method::GET, "/books").header("origin", "http://example.org"))
        .await;
    r.send(call(Method::PUT, "/books")).await;
    r.send(call(Method::DELETE, "/cart").auth()).await;
    r.get("/books/999").await;
    r.get_in("/no/such/path", &[HAL, HTML]).await;
    r.get("/books?filter=title%20%3D%3D").await;
    r.get("/books?colour=red").await;
    r.get("/books?maxPageSize=many").await;
    r.get("/books?pageToken=forged").await;
    r.get("/cart").await;
    r.send(call(Method::GET, "/cart").header(
        "authorization",
        "Bearer hal_1_0000000000000000000000000000000000000000000000000000000000000000",
    ))
    .await;
    r.get(&format!("/books/{dune}?embed=nonsense")).await;
    r.post("/books", json!({ "price": "abc" })).await;
    r.post("/users", json!({ "emailAddress": "ADA@example.org" }))
        .await;
    let etag = r
        .get(&format!("/books/{emma}"))
        .await
        .header("etag")
        .expect("an ETag");
    r.send(call(Method::GET, &format!("/books/{emma}")).header("if-none-match", etag.clone()))
        .await;
    r.send(
        call(Method::PATCH, &format!("/books/{emma}"))
            .header("if-match", "\"stale\"")
            .body(json!({ "price": "4.00" })),
    )
    .await;
    r.send(
        call(Method::PATCH, &format!("/books/{emma}"))
            .header("if-match", etag)
            .body(json!({ "price": "4.00" })),
    )
    .await;
    r.send(call(Method::POST, "/cart:checkout").auth()).await;

    // -- Deletes and removals.
    r.post(&remove, json!({ "user": format!("/users/{ada}") }))
        .await
        .assert_status(204);
    r.post(&remove, json!({ "user": format!("/users/{ada}") }))
        .await
        .assert_status(412);
    r.send(call(Method::DELETE, &format!("/cart/items/{omens_line}")).auth())
        .await;
    r.send(call(Method::DELETE, &dune_pratchett)).await;
    r.send(call(
        Method::DELETE,
        &format!("/books-authors?author_id={austen}"),
    ))
    .await;
    r.send(call(Method::DELETE, &format!("/drivers/{nia}")))
        .await;
    r.send(call(Method::DELETE, &format!("/users/{ada}")).auth())
        .await;
    r.send(call(
        Method::DELETE,
        &format!("/invoices/{invoice}/lineitems/{line}"),
    ))
    .await;
    r.get(&format!("/invoices/{invoice}")).await;

    let Recorder { out, masks, .. } = r;
    for secret in &masks.secrets {
        assert!(
            !out.contains(secret.as_str()),
            "a secret reached the transcript unmasked: {secret}"
        );
    }
    out
}

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The route table, one `path METHODS` line per path.
fn routes(app: &TestApp) -> String {
    let mut out = String::new();
    for (path, methods) in registered_routes(app) {
        let methods: Vec<&str> = methods.into_iter().collect();
        writeln!(out, "{path} {}", methods.join(", ")).expect("write to a String");
    }
    out
}

// ---------------------------------------------------------------------------------------
// Golden files
// ---------------------------------------------------------------------------------------

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Writes `actual` as the golden file `name` under `HALYARD_BLESS=1`; otherwise returns
/// a short diff when it differs from the file.
fn check(name: &str, actual: &str) -> Option<String> {
    let path = golden_path(name);
    if std::env::var("HALYARD_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("create tests/golden");
        std::fs::write(&path, actual).expect("write the golden file");
        return None;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; record it with HALYARD_BLESS=1 cargo test --test api golden",
            path.display()
        )
    });
    if golden == actual {
        return None;
    }
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.actual"));
    std::fs::write(&kept, actual).expect("write the actual transcript");
    Some(format!(
        "{name} differs from {} (whole output: {}):\n{}",
        path.display(),
        kept.display(),
        short_diff(&golden, actual, 30)
    ))
}

/// The differing stretch between `golden` and `actual` (common first and last lines left
/// out), at most `limit` lines of each side, with line numbers and the exchange (`===`
/// line) it starts in. A long line (a body) shows only around its first difference.
fn short_diff(golden: &str, actual: &str, limit: usize) -> String {
    let old: Vec<&str> = golden.split('\n').collect();
    let new: Vec<&str> = actual.split('\n').collect();
    let head = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let tail = old[head..]
        .iter()
        .rev()
        .zip(new[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let (old_diff, new_diff) = (&old[head..old.len() - tail], &new[head..new.len() - tail]);
    let exchange = old[..head.min(old.len())]
        .iter()
        .rev()
        .find(|line| line.starts_with("=== "))
        .map(|line| format!(" {line}"))
        .unwrap_or_default();
    let mut out = format!(
        "@@ -{},{} +{},{} @@{exchange}\n",
        head + 1,
        old_diff.len(),
        head + 1,
        new_diff.len()
    );
    for (sign, lines, others) in [('-', old_diff, new_diff), ('+', new_diff, old_diff)] {
        for (i, line) in lines.iter().enumerate().take(limit) {
            let shown = clip(line, others.get(i).copied().unwrap_or(""));
            writeln!(out, "{sign}{:>6}: {shown}", head + i + 1).expect("write to a String");
        }
        if lines.len() > limit {
            writeln!(out, "{sign} ... {} more lines", lines.len() - limit)
                .expect("write to a String");
        }
    }
    out
}

/// `line` whole when short, else about 160 characters around where it first differs
/// from `other`, with that column.
fn clip(line: &str, other: &str) -> String {
    const WIDTH: usize = 160;
    if line.len() <= WIDTH {
        return line.to_owned();
    }
    let column = line
        .bytes()
        .zip(other.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let boundary = |mut at: usize| {
        at = at.min(line.len());
        while !line.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let (start, end) = (boundary(column.saturating_sub(60)), boundary(column + 100));
    format!(
        "[{} bytes, first difference at byte {}] …{}…",
        line.len(),
        column + 1,
        &line[start..end]
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_format_matches_the_recorded_transcript() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.public_url = Some(PUBLIC_URL.into());
    })
    .await;

    let transcript = record(&app).await;
    let routes = routes(&app);

    let failures: Vec<String> = [("transcript.txt", &transcript), ("routes.txt", &routes)]
        .into_iter()
        .filter_map(|(name, actual)| check(name, actual))
        .collect();
    assert!(
        failures.is_empty(),
        "the wire format changed (HALYARD_BLESS=1 re-records, for intended changes only):\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_masks_catch_tokens_timestamps_and_page_tokens_and_nothing_else() {
    let mut masks = Masks::default();
    let (ada, bob) = (
        format!("hal_12_{}", "ab".repeat(32)),
        format!("hal_3_{}", "0".repeat(64)),
    );
    assert_eq!(
        masks
            .apply(&format!("{ada}, {bob}, {ada}, hal_forms, hal_3_abc"))
            .0,
        "hal_12_<secret-1>, hal_3_<secret-2>, hal_12_<secret-1>, hal_forms, hal_3_abc"
    );

    let (page, other) = (
        "AQAAAAAAAAACx-_Zr3kq0aJb9QnJ8oLpWw",
        "AQAAAAAAAAAEiA7t4gR2uQ-VWs0kPq_3cA",
    );
    assert_eq!(
        masks
            .apply(&format!(
                r#"{{"href":"/b?pageToken={page}&x=1","nextPageToken":"{page}","c":"pageToken={other}","d":"pageToken=forged"}}"#
            ))
            .0,
        r#"{"href":"/b?pageToken=<page-token-1>&x=1","nextPageToken":"<page-token-1>","c":"pageToken=<page-token-2>","d":"pageToken=forged"}"#
    );

    assert_eq!(
        mask_timestamps(
            r#"{"at":"2026-01-02T03:04:05.678Z","date":"2026-01-02","n":12026-01-02T03:04:05Z}"#
        ),
        (
            r#"{"at":"<timestamp>","date":"2026-01-02","n":12026-01-02T03:04:05Z}"#.to_owned(),
            true
        )
    );
    assert_eq!(
        mask_timestamps("2026-01-02T03:04:05Z"),
        ("<timestamp>".to_owned(), true)
    );
    assert!(!mask_timestamps("2026-01-02T03:04:05.Z, 2026-01-02T03:04:05").1);

    masks.volatile_etags.push("Zm9vYmFy".into());
    assert_eq!(
        masks
            .apply(r#"etag: "Zm9vYmFy" data-etag="&quot;Zm9vYmFy&quot;""#)
            .0,
        r#"etag: "<volatile-etag>" data-etag="&quot;<volatile-etag>&quot;""#
    );
}
