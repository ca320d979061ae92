//! A second domain, served from `schemas/recipes.toml` with no code of its own: cooks,
//! their recipes (belongs-to), each recipe's steps (dependent), ingredients with grams on
//! the relation (a cross-resource) and a cook's favourite ingredients (Add/Remove). The
//! tables come from the file, on an empty database of each backend.

use serde_json::json;

use crate::common::{
    embedded, embedded_ids, hrefs, schema_path, spawn_schema, spawn_schema_with, Backend, TestApp,
};

async fn recipes(backend: Backend) -> TestApp {
    spawn_schema(backend, &schema_path("schemas/recipes.toml")).await
}

/// Each test on SQLite and, when configured, PostgreSQL, over the recipes schema.
macro_rules! on_both_backends_with_recipes {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let app = super::recipes($crate::common::Backend::Sqlite)
                        .await;
                    super::$name(app).await;
                }

                #[cfg_attr(not(halyard_postgres_tests), ignore = "HALYARD_TEST_POSTGRES_URL is not set")]
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let app = super::recipes($crate::common::Backend::Postgres).await;
                    super::$name(app).await;
                }
            }
        )*
    };
}

async fn cook(app: &TestApp, handle: &str) -> i64 {
    app.create(
        "/cooks",
        json!({ "name": format!("Cook {handle}"), "handle": handle }),
    )
    .await["id"]
        .as_i64()
        .expect("an id")
}

async fn ingredient(app: &TestApp, name: &str) -> i64 {
    app.create("/ingredients", json!({ "name": name, "kind": "vegetable" }))
        .await["id"]
        .as_i64()
        .expect("an id")
}

async fn the_root_links_the_schemas_collections_and_nothing_else(app: TestApp) {
    let root = app.get("/").await.assert_status(200).json();
    let mut rels: Vec<&str> = root["_links"]
        .as_object()
        .expect("links")
        .keys()
        .map(String::as_str)
        .collect();
    rels.sort_unstable();
    for rel in [
        "cooks",
        "recipes",
        "ingredients",
        "recipe-ingredients",
        "recipe",
        "cook",
    ] {
        assert!(rels.contains(&rel), "{rel} in {rels:?}");
    }
    // Nothing but the schema's own resources and the server's fixed links.
    let known = [
        "self",
        "cooks",
        "cook",
        "recipes",
        "recipe",
        "ingredients",
        "ingredient",
        "recipe-ingredients",
        "recipes-search",
        "ingredients-search",
        "recipe-ingredients-search",
        "shopping-list",
        "health",
        "live",
        "ready",
        "openapi",
        "curies",
    ];
    for rel in &rels {
        assert!(
            known.contains(rel),
            "the root links {rel}, which the schema does not declare"
        );
    }
    assert!(
        rels.contains(&"recipes-search"),
        "recipes narrow by cook_id: {rels:?}"
    );
    // The tables are the file's.
    assert_eq!(app.count("cooks").await, 0);
    assert_eq!(app.count("recipe_ingredients").await, 0);
}

async fn a_cooks_recipes_are_the_same_under_the_cook_and_by_query(app: TestApp) {
    let ada = cook(&app, "ada").await;
    let created = app
        .post(
            &format!("/cooks/{ada}/recipes"),
            json!({ "title": "Soup", "serves": 4 }),
        )
        .await;
    created.assert_status(201);
    let recipe = created.json();
    assert_eq!(recipe["cookId"], ada);
    assert_eq!(recipe["cookName"], "Cook ada");
    assert_eq!(
        recipe["_links"]["cook"]["href"],
        app.url(&format!("/cooks/{ada}"))
    );
    let bread = app
        .post(
            "/recipes",
            json!({ "title": "Bread", "cook": format!("/cooks/{ada}") }),
        )
        .await;
    bread.assert_status(201);
    assert_eq!(bread.json()["serves"], 2, "the declared default");

    let under = app
        .get(&format!("/cooks/{ada}/recipes"))
        .await
        .assert_status(200)
        .json();
    let by_query = app.get(&format!("/recipes?cook_id={ada}")).await.json();
    assert_eq!(embedded(&under, "recipes"), embedded(&by_query, "recipes"));
    assert_eq!(embedded_ids(&under, "recipes").len(), 2);
    assert_eq!(
        app.get(&format!("/cooks/{ada}")).await.json()["recipeCount"],
        2
    );
}

async fn a_cook_with_recipes_cannot_be_deleted_and_a_handle_is_unique(app: TestApp) {
    let ada = cook(&app, "ada").await;
    app.post("/cooks", json!({ "name": "Other", "handle": "ada" }))
        .await
        .assert_problem(409);
    app.post(&format!("/cooks/{ada}/recipes"), json!({ "title": "Soup" }))
        .await
        .assert_status(201);
    app.delete(&format!("/cooks/{ada}"))
        .await
        .assert_problem(409);
    assert_eq!(app.count("cooks").await, 1);
}

async fn ingredients_relate_to_recipes_with_grams_and_both_sides_agree(app: TestApp) {
    let ada = cook(&app, "ada").await;
    let soup = app
        .create(&format!("/cooks/{ada}/recipes"), json!({ "title": "Soup" }))
        .await["id"]
        .as_i64()
        .expect("an id");
    let (leek, salt) = (
        ingredient(&app, "leek").await,
        ingredient(&app, "salt").await,
    );

    let relation = app
        .post(
            "/recipe-ingredients",
            json!({ "recipe": format!("/recipes/{soup}"), "ingredient_id": leek, "grams": 200 }),
        )
        .await;
    relation.assert_status(201);
    assert_eq!(relation.json()["grams"], 200);
    app.post(
        "/recipe-ingredients",
        json!({ "recipeId": soup, "ingredientId": leek }),
    )
    .await
    .assert_problem(409);

    // Link-array PATCH sets the set; the relation that stays keeps its grams.
    let patched = app
        .patch(
            &format!("/recipes/{soup}"),
            json!({ "ingredients": [format!("/ingredients/{leek}"), format!("ingredients/{salt}")] }),
        )
        .await;
    patched.assert_status(200);
    assert_eq!(
        hrefs(&patched.json()["_links"]["ingredients"]),
        vec![
            app.url(&format!("/ingredients/{leek}")),
            app.url(&format!("/ingredients/{salt}"))
        ]
    );
    let grams = app
        .get(&format!(
            "/recipe-ingredients?recipe_id={soup}&ingredient_id={leek}"
        ))
        .await
        .json();
    assert_eq!(embedded(&grams, "recipe-ingredients")[0]["grams"], 200);
    let salt_side = app.get(&format!("/ingredients/{salt}")).await.json();
    assert_eq!(
        hrefs(&salt_side["_links"]["recipes"]),
        vec![app.url(&format!("/recipes/{soup}"))]
    );
    let by_query = app
        .get(&format!("/ingredients?recipe_id={soup}"))
        .await
        .json();
    assert_eq!(embedded_ids(&by_query, "ingredients"), vec![leek, salt]);

    // Unlink one through the sub-resource; deleting the recipe takes its relations.
    app.delete(&format!("/recipes/{soup}/ingredients/{salt}"))
        .await
        .assert_status(204);
    app.delete(&format!("/recipes/{soup}"))
        .await
        .assert_status(204);
    assert_eq!(app.count("recipe_ingredients").await, 0);
    assert_eq!(app.count("ingredients").await, 2);
}

async fn steps_live_under_their_recipe_and_add_up_to_its_cost(app: TestApp) {
    let ada = cook(&app, "ada").await;
    let soup = app
        .create(&format!("/cooks/{ada}/recipes"), json!({ "title": "Soup" }))
        .await["id"]
        .as_i64()
        .expect("an id");
    let bread = app
        .create(
            &format!("/cooks/{ada}/recipes"),
            json!({ "title": "Bread" }),
        )
        .await["id"]
        .as_i64()
        .expect("an id");
    let step = app
        .post(
            &format!("/recipes/{soup}/steps"),
            json!({ "instruction": "Chop", "minutes": 5, "cost": "1.25" }),
        )
        .await;
    step.assert_status(201);
    let step = step.json();
    assert_eq!(
        step["_links"]["self"]["href"],
        app.url(&format!("/recipes/{soup}/steps/{}", step["id"]))
    );
    assert_eq!(
        step["_links"]["recipe"]["href"],
        app.url(&format!("/recipes/{soup}"))
    );
    app.post(
        &format!("/recipes/{soup}/steps"),
        json!({ "instruction": "Boil", "minutes": 20, "cost": "0.50" }),
    )
    .await
    .assert_status(201);
    assert_eq!(
        app.get(&format!("/recipes/{soup}")).await.json()["cost"],
        "1.75"
    );
    app.get(&format!("/recipes/{bread}/steps/{}", step["id"]))
        .await
        .assert_problem(404);
    app.post(
        &format!("/recipes/{soup}/steps"),
        json!({ "instruction": "Rest", "minutes": -1 }),
    )
    .await
    .assert_problem(400);

    app.delete(&format!("/recipes/{soup}"))
        .await
        .assert_status(204);
    assert_eq!(app.count("steps").await, 0);
}

async fn a_cook_adds_and_removes_favourite_ingredients(app: TestApp) {
    let ada = cook(&app, "ada").await;
    let leek = ingredient(&app, "leek").await;
    let add = format!("/cooks/{ada}/ingredients:add");
    let remove = format!("/cooks/{ada}/ingredients:remove");
    let body = json!({ "ingredient": format!("/ingredients/{leek}") });
    app.post(&add, body.clone()).await.assert_status(204);
    app.post(&add, body.clone()).await.assert_problem(409);
    let favourites = app.get(&format!("/cooks/{ada}/ingredients")).await.json();
    assert_eq!(embedded_ids(&favourites, "ingredients"), vec![leek]);
    let back = app.get(&format!("/ingredients/{leek}/cooks")).await.json();
    assert_eq!(embedded_ids(&back, "cooks"), vec![ada]);
    app.post(&remove, body.clone()).await.assert_status(204);
    app.post(&remove, body).await.assert_problem(412);
    assert_eq!(app.count("favourites").await, 0);
}

async fn the_openapi_document_describes_the_schemas_paths(app: TestApp) {
    let document = app.get("/openapi.json").await.assert_status(200).json();
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/cooks",
        "/cooks/{id}/recipes",
        "/recipes/{id}/ingredients/{sub}",
        "/recipes/{id}/steps/{sub}",
        "/cooks/{id}/ingredients:add",
        "/recipe-ingredients",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    // Every path is one of the schema's resources or the server's own.
    let roots = [
        "",
        "cooks",
        "recipes",
        "ingredients",
        "recipe-ingredients",
        "shopping-list",
        "health",
        "live",
        "ready",
        "openapi.json",
        "openapi.html",
        "rels",
    ];
    for path in paths.keys() {
        let first = path
            .trim_start_matches('/')
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        assert!(roots.contains(&first), "{path} is not the schema's");
    }
}

async fn a_new_database_gets_the_schemas_demo_data(backend: Backend) {
    let app = spawn_schema_with(backend, &schema_path("schemas/recipes.toml"), |config| {
        config.demo_data = halyard::config::DemoData::Auto;
    })
    .await;
    assert_eq!(app.count("cooks").await, 2);
    let soup = app.get("/recipes/1").await.assert_status(200).json();
    assert_eq!(soup["cookName"], "Ada Lovelace");
    assert_eq!(soup["cost"], "3.20", "the demo steps add up");
    assert_eq!(hrefs(&soup["_links"]["ingredients"]).len(), 2);
    let flatbread = app.get("/recipes/2").await.json();
    assert_eq!(
        flatbread["serves"], 2,
        "the declared default applies to demo rows too"
    );
    let favourites = app.get("/cooks/2/ingredients").await.json();
    assert_eq!(embedded_ids(&favourites, "ingredients"), vec![3]);
}

mod a_new_database_gets_the_schemas_demo_data {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_new_database_gets_the_schemas_demo_data(crate::common::Backend::Sqlite).await;
    }

    #[cfg_attr(
        not(halyard_postgres_tests),
        ignore = "HALYARD_TEST_POSTGRES_URL is not set"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_new_database_gets_the_schemas_demo_data(crate::common::Backend::Postgres).await;
    }
}

/// A new cook and the token their creation answered with, once.
async fn cook_with_token(app: &TestApp, handle: &str) -> (i64, String) {
    let created = app
        .post(
            "/cooks",
            json!({ "name": format!("Cook {handle}"), "handle": handle }),
        )
        .await;
    created.assert_status(201);
    assert_eq!(created.header("cache-control").as_deref(), Some("no-store"));
    let body = created.json();
    let token = body["token"].as_str().expect("a token, once").to_owned();
    (body["id"].as_i64().expect("an id"), token)
}

async fn a_cooks_shopping_list_exists_with_the_cook_and_is_theirs_alone(app: TestApp) {
    let (ada, token) = cook_with_token(&app, "ada").await;
    let (grace, other) = cook_with_token(&app, "grace").await;
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str())];

    let list = app
        .send(reqwest::Method::GET, "/shopping-list", &auth, None)
        .await;
    list.assert_status(200);
    assert_eq!(list.header("cache-control").as_deref(), Some("private"));
    let body = list.json();
    assert_eq!(body["itemCount"], 0);
    assert_eq!(body["_links"]["self"]["href"], app.url("/shopping-list"));
    assert_eq!(
        body["_links"]["owner"]["href"],
        app.url(&format!("/cooks/{ada}"))
    );
    assert_eq!(
        body["_links"]["delivery"]["href"],
        app.url("/shopping-list/delivery")
    );
    let same = app
        .send(
            reqwest::Method::GET,
            &format!("/cooks/{ada}/shopping-list"),
            &auth,
            None,
        )
        .await;
    assert_eq!(same.json(), body);
    app.send(
        reqwest::Method::GET,
        &format!("/cooks/{grace}/shopping-list"),
        &auth,
        None,
    )
    .await
    .assert_problem(403);
    let anonymous = app.get("/shopping-list").await;
    anonymous.assert_problem(401);
    assert!(anonymous
        .header("www-authenticate")
        .unwrap_or_default()
        .starts_with("Bearer"));
    app.send(reqwest::Method::DELETE, "/shopping-list", &auth, None)
        .await
        .assert_problem(405);

    // Items go into the owner's list and only theirs.
    let added = app
        .send(
            reqwest::Method::POST,
            "/shopping-list/items",
            &auth,
            Some((
                "application/json",
                json!({ "what": "leeks", "grams": 500 }).to_string(),
            )),
        )
        .await;
    added.assert_status(201);
    let item = added.json();
    assert_eq!(
        item["_links"]["self"]["href"],
        app.url(&format!("/shopping-list/items/{}", item["id"]))
    );
    let list = app
        .send(reqwest::Method::GET, "/shopping-list", &auth, None)
        .await
        .json();
    assert_eq!(list["itemCount"], 1);
    assert_eq!(list["_links"]["items"][0]["title"], "leeks");
    let others = format!("Bearer {other}");
    let other_auth = [("Authorization", others.as_str())];
    let theirs = app
        .send(
            reqwest::Method::GET,
            "/shopping-list/items",
            &other_auth,
            None,
        )
        .await
        .json();
    assert!(embedded_ids(&theirs, "items").is_empty());
    app.send(
        reqwest::Method::GET,
        &format!("/shopping-list/items/{}", item["id"]),
        &other_auth,
        None,
    )
    .await
    .assert_problem(404);

    // The delivery part: unset, then replaced, then read back.
    let delivery = app
        .send(reqwest::Method::GET, "/shopping-list/delivery", &auth, None)
        .await
        .json();
    assert_eq!(delivery["street"], serde_json::Value::Null);
    let put = app
        .send(
            reqwest::Method::PUT,
            "/shopping-list/delivery",
            &auth,
            Some((
                "application/json",
                json!({ "street": "1 Quay", "city": "Kiel", "day": "2026-12-24" }).to_string(),
            )),
        )
        .await;
    put.assert_status(200);
    assert_eq!(put.json()["city"], "Kiel");
    app.send(
        reqwest::Method::PUT,
        "/shopping-list/delivery",
        &auth,
        Some((
            "application/json",
            json!({ "street": "1 Quay" }).to_string(),
        )),
    )
    .await
    .assert_problem(400);

    // The list goes with its cook.
    app.delete(&format!("/cooks/{ada}"))
        .await
        .assert_status(204);
    assert_eq!(app.count("shopping_lists").await, 1);
    assert_eq!(app.count("shopping_list_items").await, 0);
}

async fn timestamps_and_decimals_are_exact_and_checked(app: TestApp) {
    let ada = cook(&app, "ada").await;
    let recipe = app
        .post(
            &format!("/cooks/{ada}/recipes"),
            json!({ "title": "Soup", "publishedAt": "2026-12-02T07:30:00Z" }),
        )
        .await;
    recipe.assert_status(201);
    assert_eq!(recipe.json()["publishedAt"], "2026-12-02T07:30:00Z");
    for wrong in [
        "2026-12-02",
        "2026-12-02T25:00:00Z",
        "2026-12-02T07:30:00+01:00",
    ] {
        app.post(
            &format!("/cooks/{ada}/recipes"),
            json!({ "title": "Stew", "publishedAt": wrong }),
        )
        .await
        .assert_problem(400);
    }

    let saffron = app
        .post(
            "/ingredients",
            json!({ "name": "saffron", "kind": "spice", "pricePerKilo": "9999.125" }),
        )
        .await;
    saffron.assert_status(201);
    assert_eq!(saffron.json()["pricePerKilo"], "9999.125");
    app.create(
        "/ingredients",
        json!({ "name": "salt", "kind": "spice", "pricePerKilo": 0.5 }),
    )
    .await;
    for wrong in [
        json!("1.2345"),
        json!("-1"),
        json!("10000.001"),
        json!("cheap"),
    ] {
        app.post(
            "/ingredients",
            json!({ "name": "odd", "kind": "other", "pricePerKilo": wrong }),
        )
        .await
        .assert_problem(400);
    }
    let dear = app
        .get(&format!(
            "/ingredients?filter={}",
            crate::common::encoded("pricePerKilo > 1")
        ))
        .await
        .json();
    assert_eq!(embedded(&dear, "ingredients").len(), 1);
    assert_eq!(embedded(&dear, "ingredients")[0]["name"], "saffron");
}

on_both_backends_with_recipes!(
    timestamps_and_decimals_are_exact_and_checked,
    a_cooks_shopping_list_exists_with_the_cook_and_is_theirs_alone,
    the_root_links_the_schemas_collections_and_nothing_else,
    a_cooks_recipes_are_the_same_under_the_cook_and_by_query,
    a_cook_with_recipes_cannot_be_deleted_and_a_handle_is_unique,
    ingredients_relate_to_recipes_with_grams_and_both_sides_agree,
    steps_live_under_their_recipe_and_add_up_to_its_cost,
    a_cook_adds_and_removes_favourite_ingredients,
    the_openapi_document_describes_the_schemas_paths,
);
