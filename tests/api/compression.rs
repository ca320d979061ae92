//! Response compression: a body of 1 KiB or more goes out in the coding
//! `Accept-Encoding` prefers (brotli, gzip), decodes to exactly the identity bytes, and
//! carries a strong ETag of its own per coding, which revalidation and `If-Match`
//! accept like the identity one.

use std::io::Read;

use reqwest::Method;
use serde_json::json;

use crate::common::TestApp;
use crate::on_both_backends;

/// A GET of `path` with `headers`, its body as bytes (a coded body is not text).
struct Raw {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Every `Vary` value, joined.
    fn vary(&self) -> String {
        self.headers
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().expect("ASCII header"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The body decoded by its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding").as_deref() {
            None => out.clone_from(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(self.body.as_slice())
                    .read_to_end(&mut out)
                    .expect("a gzip body");
            }
            Some("br") => {
                brotli::Decompressor::new(self.body.as_slice(), 4096)
                    .read_to_end(&mut out)
                    .expect("a brotli body");
            }
            Some(other) => panic!("unexpected coding {other}"),
        }
        out
    }
}

async fn get_raw(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Raw {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("a response");
    Raw {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("a body").to_vec(),
    }
}

/// An author linked to enough books that the representation is well over 1 KiB.
async fn prolific_author(app: &TestApp) -> String {
    let author = app.create("/authors", json!({"name": "Asimov"})).await["id"]
        .as_i64()
        .expect("an author id");
    for i in 0..20 {
        let book = app
            .create(
                "/books",
                json!({"title": format!("Foundation {i}"), "price": "9.99"}),
            )
            .await["id"]
            .as_i64()
            .expect("a book id");
        app.put_empty(&format!("/books/{book}/authors/{author}"))
            .await
            .assert_status(201);
    }
    format!("/authors/{author}")
}

/// `"tag"` as the tag of its bytes in `coding`.
fn coded(tag: &str, coding: &str) -> String {
    format!(
        "{}+{coding}\"",
        tag.strip_suffix('"').expect("a quoted tag")
    )
}

async fn a_coded_body_decodes_to_the_identity_bytes_under_a_tag_of_its_own(app: TestApp) {
    let path = prolific_author(&app).await;
    let identity = get_raw(&app, &path, &[]).await;
    assert_eq!(identity.status, 200);
    assert!(identity.body.len() >= 1024, "{} bytes", identity.body.len());
    assert_eq!(identity.header("content-encoding"), None);
    assert!(
        identity.vary().contains("Accept-Encoding"),
        "{}",
        identity.vary()
    );
    let tag = identity.header("etag").expect("an ETag");

    for (accept, coding) in [
        ("gzip, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
    ] {
        let reply = get_raw(&app, &path, &[("accept-encoding", accept)]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-encoding").as_deref(),
            Some(coding),
            "{accept}"
        );
        assert!(
            reply.body.len() < identity.body.len() / 2,
            "{accept}: not smaller"
        );
        assert_eq!(reply.decoded(), identity.body, "{accept}");
        assert_eq!(reply.header("etag"), Some(coded(&tag, coding)), "{accept}");
        assert!(reply.vary().contains("Accept-Encoding"));
    }
    for refused in ["gzip;q=0, br;q=0", "identity", "deflate", "gzip;q=nonsense"] {
        let reply = get_raw(&app, &path, &[("accept-encoding", refused)]).await;
        assert_eq!(reply.header("content-encoding"), None, "{refused}");
        assert_eq!(reply.body, identity.body, "{refused}");
        assert_eq!(reply.header("etag"), Some(tag.clone()), "{refused}");
    }
}

async fn a_small_body_goes_out_as_it_is(app: TestApp) {
    let book = app
        .create("/books", json!({"title": "Dune", "price": "9.99"}))
        .await["id"]
        .as_i64()
        .expect("a book id");
    let path = format!("/books/{book}");
    let plain = get_raw(&app, &path, &[]).await;
    let asked = get_raw(&app, &path, &[("accept-encoding", "gzip, br")]).await;
    assert!(plain.body.len() < 1024);
    assert_eq!(asked.header("content-encoding"), None);
    assert_eq!(asked.body, plain.body);
    assert_eq!(asked.header("etag"), plain.header("etag"));
    assert_eq!(asked.vary(), "Accept");
}

/// A revalidation of `path` with `tag` that accepts gzip.
async fn revalidate_gzip(app: &TestApp, path: &str, tag: &str) -> Raw {
    get_raw(
        app,
        path,
        &[("accept-encoding", "gzip"), ("if-none-match", tag)],
    )
    .await
}

/// A PATCH of the author at `path` to `name`, if it still has the tag `tag`.
async fn rename(app: &TestApp, path: &str, tag: &str, name: &str) -> crate::common::Reply {
    app.send(
        Method::PATCH,
        path,
        &[("if-match", tag)],
        Some(("application/json", json!({"name": name}).to_string())),
    )
    .await
}

async fn a_coded_tag_revalidates_and_matches_like_the_identity_one(app: TestApp) {
    let path = prolific_author(&app).await;
    let gzip = get_raw(&app, &path, &[("accept-encoding", "gzip")]).await;
    let tag = gzip.header("etag").expect("an ETag");
    assert!(tag.ends_with("+gzip\""), "{tag}");

    // Twice: once rendered, once from the remembered tag.
    for _ in 0..2 {
        let again = revalidate_gzip(&app, &path, &tag).await;
        assert_eq!(again.status, 304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(tag.clone()));
        assert!(again.vary().contains("Accept-Encoding"));
    }
    // The identity tag revalidates to itself.
    let identity = get_raw(&app, &path, &[])
        .await
        .header("etag")
        .expect("an ETag");
    let again = get_raw(&app, &path, &[("if-none-match", &identity)]).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), Some(identity.clone()));

    // If-Match with the coded tag names the same representation.
    rename(&app, &path, &tag, "Isaac Asimov")
        .await
        .assert_status(200);
    rename(&app, &path, &tag, "Paul French")
        .await
        .assert_status(412);
    let renamed = app.get(&path).await;
    renamed.assert_status(200);
    assert_eq!(renamed.json()["name"], "Isaac Asimov");
    // And the rename moved the coded tag with the identity one.
    let moved = revalidate_gzip(&app, &path, &tag).await;
    assert_eq!(moved.status, 200);
    assert_ne!(moved.header("etag"), Some(tag));
}

on_both_backends!(
    a_coded_body_decodes_to_the_identity_bytes_under_a_tag_of_its_own,
    a_small_body_goes_out_as_it_is,
    a_coded_tag_revalidates_and_matches_like_the_identity_one,
);
