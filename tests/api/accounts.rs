//! Users and groups (§3): user CRUD guarded by API tokens, group CRUD with a read-only
//! `userCount`, membership through `:add`/`:remove` only, and both lists of it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{embedded_ids as ids, encoded, Reply, TestApp};
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Creates a user and returns its id and its API token.
async fn new_user(app: &TestApp, email: &str) -> (i64, String) {
    let user = app.create("/users", json!({ "emailAddress": email })).await;
    let id = user["id"].as_i64().expect("user id");
    let token = user["token"]
        .as_str()
        .expect("a token on creation")
        .to_owned();
    (id, token)
}

/// Creates a group and returns its id.
async fn new_group(app: &TestApp, name: &str) -> i64 {
    app.create("/groups", json!({ "displayName": name })).await["id"]
        .as_i64()
        .expect("group id")
}

/// Sends a JSON body with `Authorization: Bearer {token}` (no header when `None`).
async fn send_as(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|value| ("authorization", value.as_str()))
        .collect();
    let body = body.map(|b| ("application/json", b.to_string()));
    app.send(method, path, &headers, body).await
}

/// `POST /groups/{group}/users:add` with `{"user": reference}`.
async fn add(app: &TestApp, group: i64, reference: Value) -> Reply {
    app.post(
        &format!("/groups/{group}/users:add"),
        json!({ "user": reference }),
    )
    .await
}

/// `POST /groups/{group}/users:remove` with `{"user": reference}`.
async fn remove(app: &TestApp, group: i64, reference: Value) -> Reply {
    app.post(
        &format!("/groups/{group}/users:remove"),
        json!({ "user": reference }),
    )
    .await
}

/// The ids on each page of a collection, following `next` links from `path`.
async fn pages(app: &TestApp, path: &str, rel: &str) -> Vec<Vec<i64>> {
    app.pages(path, rel)
        .await
        .iter()
        .map(|page| {
            page.iter()
                .map(|item| item["id"].as_i64().expect("item id"))
                .collect()
        })
        .collect()
}

/// The group's `userCount` as its GET shows it.
async fn user_count(app: &TestApp, group: i64) -> i64 {
    let reply = app.get(&format!("/groups/{group}")).await;
    reply.assert_status(200);
    reply.json()["userCount"]
        .as_i64()
        .expect("userCount is a number")
}

async fn members_in_db(app: &TestApp, group: i64) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS id FROM group_members WHERE group_id = {group}"
    ))
    .await
}

// ---------------------------------------------------------------------------------------
// Users and tokens
// ---------------------------------------------------------------------------------------

async fn creating_a_user_returns_its_token_once_and_stores_only_a_hash(app: TestApp) {
    let reply = app
        .post(
            "/users",
            json!({ "emailAddress": "ada@example.org", "displayName": "Ada" }),
        )
        .await;

    reply.assert_status(201);
    let user = reply.json();
    let id = user["id"].as_i64().expect("user id");
    let self_href = app.url(&format!("/users/{id}"));
    assert_eq!(
        reply.header("location").as_deref(),
        Some(self_href.as_str())
    );
    assert_eq!(user["emailAddress"], "ada@example.org");
    assert_eq!(user["displayName"], "Ada");
    assert_eq!(user["_links"]["self"]["href"], self_href);
    assert_eq!(
        user["_links"]["collection/groups"]["href"],
        app.url(&format!("/users/{id}/groups"))
    );
    let token = user["token"].as_str().expect("the token, on creation");
    let secret = token.rsplit('_').next().expect("a secret part");
    assert!(secret.len() >= 32, "{token}");

    let read = app.get(&format!("/users/{id}")).await;
    read.assert_status(200);
    assert!(read.json().get("token").is_none(), "{}", read.text);
    let list = app.get("/users").await;
    list.assert_status(200);
    assert!(!list.text.contains(secret), "{}", list.text);
    assert_eq!(list.json()["_embedded"]["users"][0]["id"], id);

    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM api_tokens").await, 1);
    let stored_as_given = format!(
        "SELECT COUNT(*) AS id FROM api_tokens WHERE hash = '{token}' OR hash LIKE '%{secret}%'"
    );
    assert_eq!(app.scalar(&stored_as_given).await, 0);
}

async fn a_user_is_read_listed_changed_and_deleted_with_its_own_token(app: TestApp) {
    let (id, token) = new_user(&app, "grace@example.org").await;
    let path = format!("/users/{id}");

    let patched = send_as(
        &app,
        Some(&token),
        Method::PATCH,
        &path,
        Some(json!({ "displayName": "Grace" })),
    )
    .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["displayName"], "Grace");
    assert_eq!(patched.json()["emailAddress"], "grace@example.org");

    let mut own = app.get(&path).await.json();
    own["emailAddress"] = json!("grace.hopper@example.org");
    let put = send_as(&app, Some(&token), Method::PUT, &path, Some(own)).await;
    put.assert_status(200);
    assert_eq!(put.json()["emailAddress"], "grace.hopper@example.org");
    assert_eq!(put.json()["displayName"], "Grace");
    assert_eq!(
        app.get(&path).await.json()["emailAddress"],
        "grace.hopper@example.org"
    );

    let deleted = send_as(&app, Some(&token), Method::DELETE, &path, None).await;
    deleted.assert_status(204);
    assert!(deleted.text.is_empty());
    app.get(&path).await.assert_problem(404);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM users").await, 0);
}

async fn an_invalid_email_address_is_400_and_a_duplicate_ignoring_case_is_409(app: TestApp) {
    let (first, token) = new_user(&app, "ada@example.org").await;
    let (second, _) = new_user(&app, "bob@example.org").await;

    for bad in [
        json!("not-an-email"),
        json!("ada@localhost"),
        json!("a da@example.org"),
        json!("@example.org"),
        json!(""),
        json!(42),
        Value::Null,
    ] {
        let reply = app.post("/users", json!({ "emailAddress": bad })).await;
        let problem = reply.assert_problem(400);
        assert_eq!(problem["errors"][0]["field"], "emailAddress", "{bad}");
    }
    let missing = app.post("/users", json!({ "displayName": "Nobody" })).await;
    assert_eq!(
        missing.assert_problem(400)["errors"][0]["field"],
        "emailAddress"
    );

    let duplicate = app
        .post("/users", json!({ "emailAddress": "ADA@Example.ORG" }))
        .await;
    duplicate.assert_problem(409);
    let taken = send_as(
        &app,
        Some(&token),
        Method::PATCH,
        &format!("/users/{first}"),
        Some(json!({ "emailAddress": "Bob@example.org" })),
    )
    .await;
    taken.assert_problem(409);

    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM users").await, 2);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM api_tokens").await, 2);
    let first_now = app.get(&format!("/users/{first}")).await.json();
    assert_eq!(first_now["emailAddress"], "ada@example.org");
    assert_ne!(first, second);
}

async fn changing_a_user_without_a_token_is_401_with_www_authenticate_bearer(app: TestApp) {
    let (id, _) = new_user(&app, "ada@example.org").await;
    let path = format!("/users/{id}");
    let body = json!({ "emailAddress": "eve@example.org", "displayName": "Eve" });

    let replies = [
        send_as(&app, None, Method::PATCH, &path, Some(body.clone())).await,
        send_as(&app, None, Method::PUT, &path, Some(body)).await,
        send_as(&app, None, Method::DELETE, &path, None).await,
    ];

    for reply in &replies {
        reply.assert_problem(401);
        assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
    }
    let user = app.get(&path).await.json();
    assert_eq!(user["emailAddress"], "ada@example.org");
    assert_eq!(user["displayName"], Value::Null);
}

async fn a_malformed_or_unknown_token_is_401(app: TestApp) {
    let (id, token) = new_user(&app, "ada@example.org").await;
    let path = format!("/users/{id}");
    let (prefix, secret) = token.rsplit_once('_').expect("hal_<id>_<secret>");
    let wrong_secret = format!("{prefix}_{}", "0".repeat(secret.len()));
    let unknown_id = format!("hal_999_{secret}");
    let headers = [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "Bearer garbage".to_owned(),
        format!("Basic {token}"),
        format!("Bearer {token}x"),
        format!("Bearer {wrong_secret}"),
        format!("Bearer {unknown_id}"),
        format!("Bearer hal_-1_{secret}"),
        token.clone(),
    ];

    for header in &headers {
        let reply = app
            .send(
                Method::PATCH,
                &path,
                &[("authorization", header)],
                Some((
                    "application/json",
                    json!({ "displayName": "Eve" }).to_string(),
                )),
            )
            .await;
        reply.assert_problem(401);
        assert_eq!(
            reply.header("www-authenticate").as_deref(),
            Some("Bearer"),
            "{header}"
        );
    }
    assert_eq!(app.get(&path).await.json()["displayName"], Value::Null);
}

async fn the_bearer_scheme_is_matched_ignoring_case(app: TestApp) {
    let (id, token) = new_user(&app, "ada@example.org").await;
    let path = format!("/users/{id}");

    let mut names = Vec::new();
    for (scheme, name) in [
        ("bearer", "Ada"),
        ("BEARER", "Ada L."),
        ("BeArEr", "Ada Lovelace"),
    ] {
        let reply = app
            .send(
                Method::PATCH,
                &path,
                &[("authorization", &format!("{scheme} {token}"))],
                Some((
                    "application/json",
                    json!({ "displayName": name }).to_string(),
                )),
            )
            .await;
        reply.assert_status(200);
        names.push(reply.json()["displayName"].clone());
    }

    // RFC 9110 §11.1: the authentication scheme is case-insensitive.
    assert_eq!(
        names,
        [json!("Ada"), json!("Ada L."), json!("Ada Lovelace")]
    );
    assert_eq!(app.get(&path).await.json()["displayName"], "Ada Lovelace");
}

async fn another_users_token_is_403_and_changes_nothing(app: TestApp) {
    let (ada, _) = new_user(&app, "ada@example.org").await;
    let (_, bobs_token) = new_user(&app, "bob@example.org").await;
    let path = format!("/users/{ada}");
    let body = json!({ "emailAddress": "ada@example.org", "displayName": "Not Ada" });

    let replies = [
        send_as(
            &app,
            Some(&bobs_token),
            Method::PATCH,
            &path,
            Some(body.clone()),
        )
        .await,
        send_as(&app, Some(&bobs_token), Method::PUT, &path, Some(body)).await,
        send_as(&app, Some(&bobs_token), Method::DELETE, &path, None).await,
    ];

    for reply in &replies {
        reply.assert_problem(403);
    }
    assert_eq!(app.get(&path).await.json()["displayName"], Value::Null);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM users").await, 2);
}

async fn deleting_a_user_removes_their_memberships_and_tokens(app: TestApp) {
    let (ada, adas_token) = new_user(&app, "ada@example.org").await;
    let (bob, bobs_token) = new_user(&app, "bob@example.org").await;
    let (admins, editors) = (
        new_group(&app, "Admins").await,
        new_group(&app, "Editors").await,
    );
    for (group, user) in [(admins, ada), (editors, ada), (admins, bob)] {
        add(&app, group, json!(user)).await.assert_status(204);
    }

    send_as(
        &app,
        Some(&adas_token),
        Method::DELETE,
        &format!("/users/{ada}"),
        None,
    )
    .await
    .assert_status(204);

    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM group_members").await,
        1
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) AS id FROM api_tokens WHERE user_id = {ada}"
        ))
        .await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM api_tokens").await, 1);
    assert_eq!(user_count(&app, admins).await, 1);
    assert_eq!(user_count(&app, editors).await, 0);
    assert_eq!(
        ids(
            &app.get(&format!("/groups/{admins}/users")).await.json(),
            "users"
        ),
        [bob]
    );
    // The deleted user's token authenticates no one any more: 401, not 403.
    let stale = send_as(
        &app,
        Some(&adas_token),
        Method::PATCH,
        &format!("/users/{bob}"),
        Some(json!({ "displayName": "Bob" })),
    )
    .await;
    stale.assert_problem(401);
    let own = send_as(
        &app,
        Some(&bobs_token),
        Method::PATCH,
        &format!("/users/{bob}"),
        Some(json!({ "displayName": "Bob" })),
    )
    .await;
    own.assert_status(200);
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

async fn groups_have_crud_and_a_read_only_user_count(app: TestApp) {
    let reply = app
        .post(
            "/groups",
            json!({ "displayName": "Admins", "userCount": 7 }),
        )
        .await;

    reply.assert_status(201);
    let group = reply.json();
    let id = group["id"].as_i64().expect("group id");
    let path = format!("/groups/{id}");
    assert_eq!(reply.header("location"), Some(app.url(&path)));
    assert_eq!(group["displayName"], "Admins");
    assert_eq!(group["userCount"], 0);
    assert_eq!(group["_links"]["self"]["href"], app.url(&path));

    let patched = app
        .patch(&path, json!({ "displayName": "Admins", "userCount": 3 }))
        .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["userCount"], 0);

    let mut own = app.get(&path).await.json();
    own["displayName"] = json!("Administrators");
    let put = app.put(&path, own).await;
    put.assert_status(200);
    assert_eq!(put.json()["displayName"], "Administrators");
    assert_eq!(put.json()["userCount"], 0);
    let no_name = app.put(&path, json!({ "userCount": 1 })).await;
    assert_eq!(
        no_name.assert_problem(400)["errors"][0]["field"],
        "displayName"
    );

    let list = app.get("/groups").await;
    list.assert_status(200);
    assert_eq!(ids(&list.json(), "groups"), [id]);
    let (member, _) = new_user(&app, "ada@example.org").await;
    add(&app, id, json!(member)).await.assert_status(204);
    app.delete(&path).await.assert_status(204);
    app.get(&path).await.assert_problem(404);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM user_groups").await,
        0
    );
    // Deleting a group ends its memberships, not its members.
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM group_members").await,
        0
    );
    app.get(&format!("/users/{member}"))
        .await
        .assert_status(200);
    let groups = app.get(&format!("/users/{member}/groups")).await.json();
    assert_eq!(ids(&groups, "groups"), Vec::<i64>::new());
}

async fn a_group_links_its_users_collection_and_never_inlines_them(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;
    add(&app, group, json!(user)).await.assert_status(204);

    let body = app.get(&format!("/groups/{group}")).await.json();

    assert_eq!(
        body["_links"]["collection/users"]["href"],
        app.url(&format!("/groups/{group}/users"))
    );
    assert!(body.get("users").is_none(), "{body}");
    assert!(body["_links"].get("users").is_none(), "{body}");
    assert!(body.get("_embedded").is_none(), "{body}");
    assert_eq!(body["userCount"], 1);
    // The user side links its groups the same way, without inlining them either.
    let user_body = app.get(&format!("/users/{user}")).await.json();
    assert!(user_body["_links"].get("groups").is_none(), "{user_body}");
}

// ---------------------------------------------------------------------------------------
// :add and :remove
// ---------------------------------------------------------------------------------------

async fn adding_a_member_is_204_and_adding_it_again_is_409(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;

    let first = add(&app, group, json!(format!("users/{user}"))).await;
    let again = add(&app, group, json!(format!("users/{user}"))).await;

    first.assert_status(204);
    assert!(first.text.is_empty());
    again.assert_problem(409);
    assert_eq!(members_in_db(&app, group).await, 1);
    assert_eq!(user_count(&app, group).await, 1);
}

async fn removing_a_non_member_is_412_naming_the_failed_precondition(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;

    let never_member = remove(&app, group, json!(user)).await;
    add(&app, group, json!(user)).await.assert_status(204);
    let removed = remove(&app, group, json!(user)).await;
    let again = remove(&app, group, json!(user)).await;

    for reply in [&never_member, &again] {
        let problem = reply.assert_problem(412);
        let detail = problem["detail"].as_str().expect("detail");
        assert!(detail.contains("member"), "{detail}");
    }
    removed.assert_status(204);
    assert!(removed.text.is_empty());
    assert_eq!(members_in_db(&app, group).await, 0);
    assert_eq!(user_count(&app, group).await, 0);
}

async fn the_user_field_takes_every_reference_form(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let mut users = Vec::new();
    for email in [
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "d@example.org",
    ] {
        users.push(new_user(&app, email).await.0);
    }
    let forms = |id: i64, which: usize| match which {
        0 => json!(format!("users/{id}")),
        1 => json!(format!("/users/{id}")),
        2 => json!(app.url(&format!("/users/{id}"))),
        _ => json!(id),
    };

    for (which, user) in users.iter().enumerate() {
        let reply = add(&app, group, forms(*user, which)).await;
        assert_eq!(reply.status, 204, "form {which}: {}", reply.text);
    }
    assert_eq!(
        ids(
            &app.get(&format!("/groups/{group}/users")).await.json(),
            "users"
        ),
        users
    );
    for (which, user) in users.iter().enumerate() {
        // Each form again, on another user, to remove.
        let reply = remove(&app, group, forms(*user, 3 - which)).await;
        assert_eq!(reply.status, 204, "form {}: {}", 3 - which, reply.text);
    }

    assert_eq!(members_in_db(&app, group).await, 0);
}

async fn a_malformed_user_reference_is_400_naming_the_field(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;
    let bad = [
        json!(format!("groups/{user}")),
        json!("users/abc"),
        json!(format!("/users/{user}/groups")),
        json!(format!("http://elsewhere.example/users/{user}")),
        json!(format!("{user}")),
        json!(-1),
        json!(1.5),
        json!(""),
        json!(true),
        json!([user]),
        json!({ "href": format!("/users/{user}") }),
        Value::Null,
    ];

    for reference in bad {
        for path in ["users:add", "users:remove"] {
            let reply = app
                .post(
                    &format!("/groups/{group}/{path}"),
                    json!({ "user": reference }),
                )
                .await;
            let problem = reply.assert_problem(400);
            assert_eq!(problem["errors"][0]["field"], "user", "{path} {reference}");
        }
    }
    let missing = app
        .post(&format!("/groups/{group}/users:add"), json!({}))
        .await;
    assert_eq!(missing.assert_problem(400)["errors"][0]["field"], "user");
    let extra = app
        .post(
            &format!("/groups/{group}/users:add"),
            json!({ "user": user, "role": "owner" }),
        )
        .await;
    assert_eq!(extra.assert_problem(400)["errors"][0]["field"], "role");
    assert_eq!(members_in_db(&app, group).await, 0);
}

async fn an_unknown_user_is_422_and_an_unknown_group_is_404(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;

    let add_nobody = add(&app, group, json!("/users/999")).await;
    let remove_nobody = remove(&app, group, json!(999)).await;
    let add_to_nothing = add(&app, 999, json!(user)).await;
    let remove_from_nothing = remove(&app, 999, json!(user)).await;

    for reply in [&add_nobody, &remove_nobody] {
        let problem = reply.assert_problem(422);
        assert_eq!(problem["errors"][0]["field"], "user");
    }
    add_to_nothing.assert_problem(404);
    remove_from_nothing.assert_problem(404);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS id FROM group_members").await,
        0
    );
}

async fn other_methods_on_add_and_remove_are_405_with_allow_post(app: TestApp) {
    let group = new_group(&app, "Admins").await;

    for verb in ["add", "remove"] {
        let path = format!("/groups/{group}/users:{verb}");
        for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
            let reply = app.send(method.clone(), &path, &[], None).await;
            reply.assert_problem(405);
            let allow = reply.header("allow").unwrap_or_default();
            let allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
            assert!(allowed.contains(&"POST"), "{method} {path}: {allow}");
            assert!(
                !allowed.contains(&method.as_str()),
                "{method} {path}: {allow}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Both lists of the membership
// ---------------------------------------------------------------------------------------

async fn a_groups_users_and_a_users_groups_list_the_same_membership(app: TestApp) {
    let (ada, _) = new_user(&app, "ada@example.org").await;
    let (bob, _) = new_user(&app, "bob@example.org").await;
    let (cy, _) = new_user(&app, "cy@example.org").await;
    let (admins, editors) = (
        new_group(&app, "Admins").await,
        new_group(&app, "Editors").await,
    );
    let membership = [(admins, cy), (admins, ada), (editors, ada)];
    for (group, user) in membership {
        add(&app, group, json!(user)).await.assert_status(204);
    }

    let admins_users = app.get(&format!("/groups/{admins}/users")).await;
    let editors_users = app.get(&format!("/groups/{editors}/users")).await;
    let mut users_groups = Vec::new();
    for user in [ada, bob, cy] {
        let reply = app.get(&format!("/users/{user}/groups")).await;
        reply.assert_status(200);
        users_groups.push(ids(&reply.json(), "groups"));
    }

    assert_eq!(admins_users.content_type(), "application/hal+json");
    let admins_page = admins_users.json();
    assert_eq!(ids(&admins_page, "users"), [ada, cy]);
    assert_eq!(
        admins_page["_embedded"]["users"][1]["_links"]["self"]["href"],
        app.url(&format!("/users/{cy}"))
    );
    assert_eq!(
        admins_page["_links"]["self"]["href"],
        app.url(&format!("/groups/{admins}/users"))
    );
    assert_eq!(ids(&editors_users.json(), "users"), [ada]);
    assert_eq!(users_groups, [vec![admins, editors], vec![], vec![admins]]);
    for group in [admins, editors] {
        assert_eq!(
            user_count(&app, group).await,
            members_in_db(&app, group).await
        );
    }
    assert_eq!(user_count(&app, admins).await, 2);
    app.get("/groups/999/users").await.assert_problem(404);
    app.get("/users/999/groups").await.assert_problem(404);
}

async fn membership_lists_are_paginated_and_filterable(app: TestApp) {
    let group = new_group(&app, "Everyone").await;
    let mut users = Vec::new();
    for email in [
        "a@example.org",
        "b@example.com",
        "c@EXAMPLE.org",
        "d@example.com",
        "e@example.org",
    ] {
        let (user, _) = new_user(&app, email).await;
        add(&app, group, json!(user)).await.assert_status(204);
        users.push(user);
    }
    let mut groups = vec![group];
    for name in ["Two", "Three"] {
        let other = new_group(&app, name).await;
        add(&app, other, json!(users[0])).await.assert_status(204);
        groups.push(other);
    }

    let user_pages = pages(
        &app,
        &format!("/groups/{group}/users?maxPageSize=2"),
        "users",
    )
    .await;
    let group_pages = pages(
        &app,
        &format!("/users/{}/groups?maxPageSize=2", users[0]),
        "groups",
    )
    .await;
    let filter = encoded(r#"emailAddress : "example.org""#);
    let filtered = app
        .get(&format!("/groups/{group}/users?filter={filter}"))
        .await;
    let filtered_pages = pages(
        &app,
        &format!("/groups/{group}/users?filter={filter}&maxPageSize=1"),
        "users",
    )
    .await;

    assert_eq!(
        user_pages,
        [
            vec![users[0], users[1]],
            vec![users[2], users[3]],
            vec![users[4]]
        ]
    );
    assert_eq!(group_pages, [vec![groups[0], groups[1]], vec![groups[2]]]);
    filtered.assert_status(200);
    let expected = vec![users[0], users[2], users[4]];
    assert_eq!(ids(&filtered.json(), "users"), expected);
    assert_eq!(filtered_pages.concat(), expected);
    assert_eq!(filtered_pages.len(), 3);
    let bad_filter = app
        .get(&format!(
            "/groups/{group}/users?filter={}",
            encoded("token : \"x\"")
        ))
        .await;
    assert_eq!(
        bad_filter.assert_problem(400)["errors"][0]["field"],
        "filter"
    );
}

async fn the_membership_has_no_url_of_its_own(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;
    add(&app, group, json!(user)).await.assert_status(204);

    let cross = app.get("/groups-users").await;
    let cross_query = app.get(&format!("/groups-users?group_id={group}")).await;
    let post_cross = app
        .post("/groups-users", json!({ "group": group, "user": user }))
        .await;
    let item = app.get(&format!("/groups/{group}/users/{user}")).await;

    cross.assert_problem(404);
    cross_query.assert_problem(404);
    post_cross.assert_problem(404);
    item.assert_problem(404);
    let root = app.get("/").await.json();
    assert!(root["_links"].get("groups-users").is_none(), "{root}");
    assert_eq!(members_in_db(&app, group).await, 1);
}

async fn concurrent_adds_make_one_member_and_concurrent_removes_remove_it_once(app: TestApp) {
    let group = new_group(&app, "Admins").await;
    let (user, _) = new_user(&app, "ada@example.org").await;

    let adds = race(&app, &format!("/groups/{group}/users:add"), user).await;
    let count_after_adds = user_count(&app, group).await;
    let removes = race(&app, &format!("/groups/{group}/users:remove"), user).await;

    assert_eq!(
        tally(&adds),
        [(204, 1), (409, 31)],
        "{:?}: {adds:?}",
        app.backend
    );
    assert_eq!(count_after_adds, 1);
    assert_eq!(
        tally(&removes),
        [(204, 1), (412, 31)],
        "{:?}: {removes:?}",
        app.backend
    );
    assert_eq!(user_count(&app, group).await, 0);
    assert_eq!(members_in_db(&app, group).await, 0);
}

/// Sends 32 identical `{"user": id}` POSTs to `path` at once; returns their statuses.
async fn race(app: &TestApp, path: &str, user: i64) -> Vec<u16> {
    let url = app.url(path);
    let handles: Vec<_> = (0..32)
        .map(|_| {
            let client = app.client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({ "user": user }))
                    .send()
                    .await
                    .expect("request sent")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.expect("request task"));
    }
    statuses
}

/// How many times each status occurs, by status.
fn tally(statuses: &[u16]) -> Vec<(u16, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for status in statuses {
        *counts.entry(*status).or_insert(0) += 1;
    }
    counts.into_iter().collect()
}

async fn email_addresses_are_unique_ignoring_case_beyond_ascii(app: TestApp) {
    let (first, _) = new_user(&app, "Élodie@example.org").await;

    let duplicate = app
        .post("/users", json!({ "emailAddress": "élodie@EXAMPLE.org" }))
        .await;

    duplicate.assert_problem(409);
    assert_eq!(app.scalar("SELECT COUNT(*) AS id FROM users").await, 1);
    let kept = app.get(&format!("/users/{first}")).await.json();
    assert_eq!(kept["emailAddress"], "Élodie@example.org");
}

async fn the_token_response_may_not_be_cached(app: TestApp) {
    let reply = app
        .post("/users", json!({ "emailAddress": "cache@example.org" }))
        .await;

    reply.assert_status(201);
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
}

on_both_backends!(
    email_addresses_are_unique_ignoring_case_beyond_ascii,
    the_token_response_may_not_be_cached,
    creating_a_user_returns_its_token_once_and_stores_only_a_hash,
    a_user_is_read_listed_changed_and_deleted_with_its_own_token,
    an_invalid_email_address_is_400_and_a_duplicate_ignoring_case_is_409,
    changing_a_user_without_a_token_is_401_with_www_authenticate_bearer,
    a_malformed_or_unknown_token_is_401,
    the_bearer_scheme_is_matched_ignoring_case,
    another_users_token_is_403_and_changes_nothing,
    deleting_a_user_removes_their_memberships_and_tokens,
    groups_have_crud_and_a_read_only_user_count,
    a_group_links_its_users_collection_and_never_inlines_them,
    adding_a_member_is_204_and_adding_it_again_is_409,
    removing_a_non_member_is_412_naming_the_failed_precondition,
    the_user_field_takes_every_reference_form,
    a_malformed_user_reference_is_400_naming_the_field,
    an_unknown_user_is_422_and_an_unknown_group_is_404,
    other_methods_on_add_and_remove_are_405_with_allow_post,
    a_groups_users_and_a_users_groups_list_the_same_membership,
    membership_lists_are_paginated_and_filterable,
    the_membership_has_no_url_of_its_own,
    concurrent_adds_make_one_member_and_concurrent_removes_remove_it_once,
);
