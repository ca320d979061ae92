//! `/openapi.json` is held against the routes the server really registers: a route the
//! document lacks, or a documented path the server does not serve, fails here.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::TestApp;
use crate::on_both_backends;

const METHODS: &[&str] = &["get", "put", "post", "patch", "delete"];

/// Path → upper-case methods, as the document lists them.
fn documented(document: &Value) -> BTreeMap<String, BTreeSet<String>> {
    document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| m.to_uppercase())
                .collect();
            (path.clone(), methods)
        })
        .collect()
}

async fn the_document_lists_exactly_the_registered_routes_and_methods(app: TestApp) {
    // A request first: the routes are registered while the server configures itself.
    app.get("/").await.assert_status(200);

    let document = app.get("/openapi.json").await.json();

    let registered: BTreeMap<String, BTreeSet<String>> = app
        .routes
        .lock()
        .expect("the route table")
        .clone()
        .into_iter()
        .map(|(path, methods)| (path, methods.into_iter().map(str::to_owned).collect()))
        .collect();
    let documented = documented(&document);
    assert!(registered.len() > 30, "{registered:?}");
    let undocumented: Vec<_> = registered
        .iter()
        .filter(|(path, methods)| documented.get(*path) != Some(methods))
        .collect();
    let unserved: Vec<_> = documented
        .iter()
        .filter(|(path, methods)| registered.get(*path) != Some(methods))
        .collect();
    assert!(
        undocumented.is_empty(),
        "served but not (or differently) documented: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "documented but not (or differently) served: {unserved:?}"
    );
}

async fn every_path_parameter_has_an_example_and_every_write_a_body_or_none_by_design(
    app: TestApp,
) {
    let document = app.get("/openapi.json").await.json();

    for (path, item) in document["paths"].as_object().unwrap() {
        let mut parameters: Vec<&Value> = item["parameters"]
            .as_array()
            .map(|p| p.iter().collect())
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(*method) else {
                continue;
            };
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has no success response"
            );
            if let Some(list) = op["parameters"].as_array() {
                parameters.extend(list);
            }
            let bodiless = path.ends_with(":checkout")
                || path.ends_with("{sub}") && *method == "put"
                || *method == "get"
                || *method == "delete";
            assert_eq!(
                op.get("requestBody").is_some(),
                !bodiless,
                "{method} {path}: request body"
            );
            for problem in responses.keys().filter(|s| s.starts_with('4')) {
                let reference = responses[problem]["$ref"].as_str().unwrap_or_default();
                assert_eq!(
                    reference,
                    format!("#/components/responses/Problem{problem}"),
                    "{method} {path} {problem}"
                );
            }
        }
        let names: Vec<&str> = parameters
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert!(p.get("example").is_some(), "{path}: {p} has no example");
                p["name"].as_str().unwrap()
            })
            .collect();
        let in_path = path.matches('{').count();
        assert_eq!(names.len(), in_path, "{path}: path parameters {names:?}");
    }
    let problem = &document["components"]["schemas"]["Problem"];
    assert_eq!(problem["required"][0], "type");
}

async fn the_3_0_variant_differs_only_in_version_and_nullability(app: TestApp) {
    let current = app.get("/openapi.json").await.json();
    let legacy = app.get("/openapi.json?openapi=3.0").await;
    let bad = app.get("/openapi.json?openapi=2.0").await;

    legacy.assert_status(200);
    let legacy = legacy.json();
    assert_eq!(current["openapi"], "3.1.0");
    assert_eq!(legacy["openapi"], "3.0.3");
    assert_eq!(documented(&current), documented(&legacy));
    let royalties = |d: &Value| {
        d["components"]["schemas"]["BooksAuthorRelation"]["properties"]["royalties"].clone()
    };
    assert_eq!(
        royalties(&current)["type"],
        serde_json::json!(["string", "null"])
    );
    assert_eq!(royalties(&legacy)["type"], "string");
    assert_eq!(royalties(&legacy)["nullable"], true);
    bad.assert_problem(400);
}

/// Resolves a `$ref` to `components/schemas`, or gives the schema itself.
fn resolved<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

fn body_schema<'a>(document: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &document["paths"][path][method];
    resolved(
        document,
        &op["requestBody"]["content"]["application/json"]["schema"],
    )
}

async fn the_document_says_exactly_what_the_parameters_and_bodies_take(app: TestApp) {
    let document = app.get("/openapi.json").await.json();
    let paths = document["paths"].as_object().unwrap();

    // `embed` is a comma-separated list of the names an item can embed, nothing else.
    let embed = document["paths"]["/books/{id}"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "embed")
        .expect("embed");
    assert_eq!(embed["schema"]["type"], "array");
    assert_eq!(
        embed["schema"]["items"]["enum"],
        serde_json::json!(["authors"])
    );
    assert_eq!(embed["schema"]["minItems"], 1);
    assert_eq!(
        (embed["style"].as_str(), embed["explode"].as_bool()),
        (Some("form"), Some(false))
    );
    // Ids are positive, everywhere.
    for (path, item) in paths {
        for param in item["parameters"].as_array().into_iter().flatten() {
            if param["in"] == "path" && param["name"] != "name" {
                assert_eq!(param["schema"]["minimum"], 1, "{path}: {param}");
            }
        }
    }
    let list = document["paths"]["/books-authors"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| list.iter().find(|p| p["name"] == name).expect(name).clone();
    assert_eq!(param("book_id")["schema"]["minimum"], 1);
    assert_eq!(param("pageToken")["schema"]["format"], "page-token");
    assert_eq!(param("filter")["schema"]["format"], "aip-160-filter");
    assert!(param("filter")["description"]
        .as_str()
        .unwrap()
        .contains("NOT binds tightest"));
    assert!(document["paths"]["/books"]["get"]["responses"]["400"].is_object());
    // Every JSON body refuses unknown properties, as the server does.
    for (path, item) in paths {
        for method in METHODS {
            let schema = &item[*method]["requestBody"]["content"]["application/json"]["schema"];
            if !schema.is_null() {
                assert_eq!(
                    resolved(&document, schema)["additionalProperties"],
                    false,
                    "{method} {path}"
                );
            }
        }
    }
    // A cross-resource's ends are written once, when it is created.
    let create = body_schema(&document, "/books-authors", "post");
    assert!(create["properties"]["bookId"].is_object());
    assert_eq!(
        create["required"],
        serde_json::json!(["bookId", "authorId"])
    );
    for method in ["put", "patch"] {
        let write = body_schema(&document, "/books-authors/{id}", method);
        assert!(write["properties"]["bookId"].is_null(), "{method}");
        assert!(write["properties"]["authorId"].is_null(), "{method}");
        assert!(write["properties"]["royalties"].is_object(), "{method}");
    }
    // An assigned field may be left out but is never null.
    assert_eq!(
        body_schema(&document, "/invoices", "post")["properties"]["number"]["type"],
        "string"
    );
}

async fn token_operations_name_the_bearer_scheme_and_their_401_and_403(app: TestApp) {
    let document = app.get("/openapi.json").await.json();
    let bearer = serde_json::json!([{ "bearer": [] }]);

    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    for (path, method) in [
        ("/cart", "get"),
        ("/cart/items", "post"),
        ("/cart/payment", "put"),
        ("/cart:checkout", "post"),
        ("/orders", "get"),
        ("/users/{id}", "patch"),
        ("/users/{id}", "delete"),
    ] {
        let op = &document["paths"][path][method];
        assert_eq!(op["security"], bearer, "{method} {path}");
        assert!(op["responses"]["401"].is_object(), "{method} {path}");
    }
    for (path, method) in [("/users/{id}", "put"), ("/users/{id}/cart", "get")] {
        assert!(
            document["paths"][path][method]["responses"]["403"].is_object(),
            "{method} {path}"
        );
    }
    // Open operations ask for no token.
    assert!(document["paths"]["/books"]["post"]["security"].is_null());
    assert!(document["paths"]["/users/{id}"]["get"]["security"].is_null());
}

async fn a_created_resource_links_to_its_item_and_relations(app: TestApp) {
    let document = app.get("/openapi.json").await.json();
    let links = &document["paths"]["/books"]["post"]["responses"]["201"]["links"];
    let targets: Vec<&str> = links
        .as_object()
        .expect("links")
        .values()
        .map(|l| l["operationRef"].as_str().unwrap())
        .collect();

    assert!(
        targets.contains(&"#/paths/~1books~1{id}/get"),
        "{targets:?}"
    );
    assert!(
        targets.contains(&"#/paths/~1books~1{id}~1authors/put"),
        "{targets:?}"
    );
    assert!(
        targets.contains(&"#/paths/~1books~1{id}~1authors~1{sub}/get"),
        "{targets:?}"
    );
    for link in links.as_object().unwrap().values() {
        assert_eq!(link["parameters"]["id"], "$response.body#/id", "{link}");
    }
    // A book created under an author is that author's: its `sub`.
    let nested = &document["paths"]["/authors/{id}/books"]["post"]["responses"]["201"]["links"];
    let link = nested
        .as_object()
        .expect("links")
        .values()
        .find(|l| l["operationRef"] == "#/paths/~1authors~1{id}~1books~1{sub}/get")
        .expect("a link to the new sub-resource");
    assert_eq!(link["parameters"]["id"], "$request.path.id");
    assert_eq!(link["parameters"]["sub"], "$response.body#/id");
}

on_both_backends!(
    the_document_says_exactly_what_the_parameters_and_bodies_take,
    token_operations_name_the_bearer_scheme_and_their_401_and_403,
    a_created_resource_links_to_its_item_and_relations,
    the_document_lists_exactly_the_registered_routes_and_methods,
    every_path_parameter_has_an_example_and_every_write_a_body_or_none_by_design,
    the_3_0_variant_differs_only_in_version_and_nullability,
);
