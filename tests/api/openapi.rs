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

on_both_backends!(
    the_document_lists_exactly_the_registered_routes_and_methods,
    every_path_parameter_has_an_example_and_every_write_a_body_or_none_by_design,
    the_3_0_variant_differs_only_in_version_and_nullability,
);
