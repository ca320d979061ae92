//! Cars and drivers (§5): many-to-many through two-sided sub-resources, the query form,
//! and one table behind every view.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{hrefs, TestApp};
use crate::on_both_backends;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

async fn new_car(app: &TestApp, plate: &str) -> i64 {
    app.create(
        "/cars",
        json!({ "licensePlate": plate, "model": "Volvo 240" }),
    )
    .await["id"]
        .as_i64()
        .expect("car id")
}

async fn new_driver(app: &TestApp, name: &str) -> i64 {
    app.create("/drivers", json!({ "name": name })).await["id"]
        .as_i64()
        .expect("driver id")
}

/// Links a driver to a car through the car's sub-resource, asserting 201 or 200.
async fn link(app: &TestApp, car: i64, driver: i64) {
    app.link(&format!("/cars/{car}/drivers/{driver}")).await;
}

/// The items `path` embeds under `rel` (asserting 200).
async fn items(app: &TestApp, path: &str, rel: &str) -> Vec<Value> {
    let reply = app.get(path).await;
    reply.assert_status(200);
    reply.json()["_embedded"][rel]
        .as_array()
        .unwrap_or_else(|| panic!("no _embedded.{rel} in {}", reply.text))
        .clone()
}

/// The ids of the items `path` embeds under `rel` (asserting 200).
async fn ids(app: &TestApp, path: &str, rel: &str) -> Vec<i64> {
    items(app, path, rel)
        .await
        .iter()
        .map(|item| item["id"].as_i64().expect("item id"))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Cars and drivers
// ---------------------------------------------------------------------------------------

async fn cars_have_crud(app: TestApp) {
    let reply = app
        .post(
            "/cars",
            json!({ "licensePlate": "HAL-9000", "model": "Volvo 240" }),
        )
        .await;

    reply.assert_status(201);
    let car = reply.json();
    let id = car["id"].as_i64().expect("car id");
    let path = format!("/cars/{id}");
    assert_eq!(reply.header("location"), Some(app.url(&path)));
    assert_eq!(car["licensePlate"], "HAL-9000");
    assert_eq!(car["model"], "Volvo 240");
    assert_eq!(car["_links"]["self"]["href"], app.url(&path));
    assert_eq!(hrefs(&car["_links"]["drivers"]), Vec::<String>::new());
    assert_eq!(
        car["_links"]["collection/drivers"]["href"],
        app.url(&format!("/cars/{id}/drivers"))
    );

    let patched = app.patch(&path, json!({ "model": null })).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["model"], Value::Null);
    assert_eq!(patched.json()["licensePlate"], "HAL-9000");
    let mut own = app.get(&path).await.json();
    own["model"] = json!("Saab 900");
    let put = app.put(&path, own).await;
    put.assert_status(200);
    assert_eq!(put.json()["model"], "Saab 900");
    let plateless = app.post("/cars", json!({ "model": "Saab 900" })).await;
    assert_eq!(
        plateless.assert_problem(400)["errors"][0]["field"],
        "licensePlate"
    );
    assert_eq!(ids(&app, "/cars", "cars").await, [id]);

    app.delete(&path).await.assert_status(204);
    app.get(&path).await.assert_problem(404);
    assert_eq!(app.count("cars").await, 0);
}

async fn drivers_have_crud(app: TestApp) {
    let reply = app.post("/drivers", json!({ "name": "Nia" })).await;

    reply.assert_status(201);
    let driver = reply.json();
    let id = driver["id"].as_i64().expect("driver id");
    let path = format!("/drivers/{id}");
    assert_eq!(reply.header("location"), Some(app.url(&path)));
    assert_eq!(driver["name"], "Nia");
    assert_eq!(driver["_links"]["self"]["href"], app.url(&path));
    assert_eq!(hrefs(&driver["_links"]["cars"]), Vec::<String>::new());
    assert_eq!(
        driver["_links"]["collection/cars"]["href"],
        app.url(&format!("/drivers/{id}/cars"))
    );

    let patched = app.patch(&path, json!({ "name": "Nia Long" })).await;
    patched.assert_status(200);
    assert_eq!(patched.json()["name"], "Nia Long");
    let own = app.get(&path).await.json();
    app.put(&path, own).await.assert_status(200);
    let nameless = app.put(&path, json!({})).await;
    assert_eq!(nameless.assert_problem(400)["errors"][0]["field"], "name");
    assert_eq!(ids(&app, "/drivers", "drivers").await, [id]);

    app.delete(&path).await.assert_status(204);
    app.get(&path).await.assert_problem(404);
    assert_eq!(app.count("drivers").await, 0);
}

async fn a_licence_plate_is_unique(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let other = new_car(&app, "HAL-9001").await;

    let duplicate = app
        .post("/cars", json!({ "licensePlate": "HAL-9000" }))
        .await;
    let taken = app
        .patch(
            &format!("/cars/{other}"),
            json!({ "licensePlate": "HAL-9000" }),
        )
        .await;

    duplicate.assert_problem(409);
    taken.assert_problem(409);
    assert_eq!(app.count("cars").await, 2);
    assert_eq!(
        app.get(&format!("/cars/{other}")).await.json()["licensePlate"],
        "HAL-9001"
    );
    assert_ne!(car, other);
}

// ---------------------------------------------------------------------------------------
// The sub-resources
// ---------------------------------------------------------------------------------------

async fn putting_a_driver_under_a_car_links_them_201_then_200_with_the_car(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let driver = new_driver(&app, "Nia").await;
    let path = format!("/cars/{car}/drivers/{driver}");

    let first = app.put_empty(&path).await;
    let again = app.put_empty(&path).await;

    first.assert_status(201);
    assert_eq!(first.header("location"), Some(app.url(&path)));
    let body = first.json();
    assert_eq!(body["id"], car);
    assert_eq!(body["licensePlate"], "HAL-9000");
    assert_eq!(
        body["_links"]["self"]["href"],
        app.url(&format!("/cars/{car}"))
    );
    assert_eq!(
        hrefs(&body["_links"]["drivers"]),
        [app.url(&format!("/drivers/{driver}"))]
    );
    again.assert_status(200);
    assert_eq!(again.json(), body);
    assert_eq!(app.count("cars_drivers").await, 1);
    assert_eq!(
        ids(&app, &format!("/cars/{car}/drivers"), "drivers").await,
        [driver]
    );
    assert_eq!(
        ids(&app, &format!("/drivers/{driver}/cars"), "cars").await,
        [car]
    );
    let linked = app.get(&path).await;
    linked.assert_status(200);
    assert_eq!(linked.json()["name"], "Nia");
    app.put_empty(&format!("/cars/{car}/drivers/999"))
        .await
        .assert_problem(404);
    app.put_empty(&format!("/cars/999/drivers/{driver}"))
        .await
        .assert_problem(404);
    assert_eq!(app.count("cars_drivers").await, 1);
}

async fn unlinking_is_204_then_404_and_keeps_both_resources(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let driver = new_driver(&app, "Nia").await;
    link(&app, car, driver).await;
    let path = format!("/cars/{car}/drivers/{driver}");

    let first = app.delete(&path).await;
    let again = app.delete(&path).await;

    first.assert_status(204);
    again.assert_problem(404);
    app.get(&path).await.assert_problem(404);
    assert_eq!(
        ids(&app, &format!("/cars/{car}/drivers"), "drivers").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&app, &format!("/drivers/{driver}/cars"), "cars").await,
        Vec::<i64>::new()
    );
    assert_eq!(app.count("cars_drivers").await, 0);
    assert_eq!(app.count("cars").await, 1);
    assert_eq!(app.count("drivers").await, 1);
}

async fn the_mirror_sub_resource_links_the_same_pair(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let driver = new_driver(&app, "Nia").await;
    let mirror = format!("/drivers/{driver}/cars/{car}");

    let created = app.put_empty(&mirror).await;
    let from_the_car = app
        .put_empty(&format!("/cars/{car}/drivers/{driver}"))
        .await;
    let listed = ids(&app, &format!("/cars/{car}/drivers"), "drivers").await;
    let read = app.get(&mirror).await;
    let unlinked = app.delete(&mirror).await;

    created.assert_status(201);
    assert_eq!(created.header("location"), Some(app.url(&mirror)));
    assert_eq!(created.json()["id"], driver);
    assert_eq!(created.json()["name"], "Nia");
    assert_eq!(
        hrefs(&created.json()["_links"]["cars"]),
        [app.url(&format!("/cars/{car}"))]
    );
    from_the_car.assert_status(200);
    assert_eq!(listed, [driver]);
    read.assert_status(200);
    assert_eq!(read.json()["licensePlate"], "HAL-9000");
    unlinked.assert_status(204);
    app.get(&format!("/cars/{car}/drivers/{driver}"))
        .await
        .assert_problem(404);
    assert_eq!(app.count("cars_drivers").await, 0);
}

async fn a_uri_list_replaces_or_adds_a_cars_drivers(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let mut drivers = Vec::new();
    for name in ["Ann", "Ben", "Cat"] {
        drivers.push(new_driver(&app, name).await);
    }
    let collection = format!("/cars/{car}/drivers");
    let absolute = app.url(&format!("/drivers/{}", drivers[0]));
    let path = format!("/drivers/{}", drivers[1]);
    let relative = format!("drivers/{}", drivers[2]);

    let put = app
        .uri_list(Method::PUT, &collection, &[&absolute, &path])
        .await;
    let after_put = ids(&app, &collection, "drivers").await;
    let replaced = app.uri_list(Method::PUT, &collection, &[&relative]).await;
    let after_replace = ids(&app, &collection, "drivers").await;
    let added = app.uri_list(Method::POST, &collection, &[&absolute]).await;
    let after_add = ids(&app, &collection, "drivers").await;
    let bad_line = app
        .uri_list(Method::PUT, &collection, &[&path, "/cars/1"])
        .await;
    let unknown = app
        .uri_list(Method::POST, &collection, &[&path, "/drivers/999"])
        .await;

    put.assert_status(204);
    assert_eq!(after_put, [drivers[0], drivers[1]]);
    replaced.assert_status(204);
    assert_eq!(after_replace, [drivers[2]]);
    added.assert_status(204);
    assert_eq!(after_add, [drivers[0], drivers[2]]);
    assert_eq!(bad_line.assert_problem(400)["errors"][0]["field"], "line 2");
    unknown.assert_problem(422);
    assert_eq!(ids(&app, &collection, "drivers").await, after_add);
    assert_eq!(app.count("cars_drivers").await, 2);
    assert_eq!(
        ids(&app, &format!("/drivers/{}/cars", drivers[2]), "cars").await,
        [car]
    );
}

async fn posting_a_driver_under_a_car_creates_and_links_it(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let existing = new_driver(&app, "Ann").await;
    link(&app, car, existing).await;

    let reply = app
        .post(&format!("/cars/{car}/drivers"), json!({ "name": "Nia" }))
        .await;
    let nameless = app.post(&format!("/cars/{car}/drivers"), json!({})).await;
    let unknown_car = app
        .post("/cars/999/drivers", json!({ "name": "Ghost" }))
        .await;

    reply.assert_status(201);
    let driver = reply.json();
    let id = driver["id"].as_i64().expect("driver id");
    assert_eq!(
        reply.header("location"),
        Some(app.url(&format!("/drivers/{id}")))
    );
    assert_eq!(driver["name"], "Nia");
    assert_eq!(
        hrefs(&driver["_links"]["cars"]),
        [app.url(&format!("/cars/{car}"))]
    );
    assert_eq!(
        ids(&app, &format!("/cars/{car}/drivers"), "drivers").await,
        [existing, id]
    );
    assert_eq!(nameless.assert_problem(400)["errors"][0]["field"], "name");
    unknown_car.assert_problem(404);
    assert_eq!(app.count("drivers").await, 2);
    assert_eq!(app.count("cars_drivers").await, 2);
}

// ---------------------------------------------------------------------------------------
// The query form and the links
// ---------------------------------------------------------------------------------------

async fn the_query_form_gives_exactly_the_items_of_the_sub_resource_lists(app: TestApp) {
    let (first, second) = (new_car(&app, "HAL-1").await, new_car(&app, "HAL-2").await);
    let mut drivers = Vec::new();
    for name in ["Ann", "Ben", "Cat"] {
        drivers.push(new_driver(&app, name).await);
    }
    for (car, driver) in [
        (first, drivers[2]),
        (first, drivers[0]),
        (second, drivers[1]),
        (second, drivers[0]),
    ] {
        link(&app, car, driver).await;
    }

    for car in [first, second] {
        let sub = items(&app, &format!("/cars/{car}/drivers"), "drivers").await;
        for query in [
            format!("/drivers?car_id={car}"),
            format!("/drivers?carId={car}"),
            format!("/drivers?car=%2Fcars%2F{car}"),
            format!("/drivers?car=cars%2F{car}"),
        ] {
            assert_eq!(items(&app, &query, "drivers").await, sub, "{query}");
        }
        assert_eq!(sub.len(), 2);
    }
    for driver in &drivers {
        let sub = items(&app, &format!("/drivers/{driver}/cars"), "cars").await;
        for query in [
            format!("/cars?driver_id={driver}"),
            format!("/cars?driverId={driver}"),
            format!("/cars?driver=%2Fdrivers%2F{driver}"),
        ] {
            assert_eq!(items(&app, &query, "cars").await, sub, "{query}");
        }
    }
    assert_eq!(
        ids(&app, &format!("/cars?driver_id={}", drivers[0]), "cars").await,
        [first, second]
    );
    let paged_query = ids(
        &app,
        &format!("/drivers?car_id={first}&maxPageSize=1"),
        "drivers",
    )
    .await;
    let paged_sub = ids(
        &app,
        &format!("/cars/{first}/drivers?maxPageSize=1"),
        "drivers",
    )
    .await;
    assert_eq!(paged_query, paged_sub);
    assert_eq!(paged_query, [drivers[0]]);
    let bad = app.get("/drivers?car=%2Fdrivers%2F1").await;
    assert_eq!(bad.assert_problem(400)["errors"][0]["field"], "car");
}

async fn a_car_links_its_drivers_titled_in_id_order(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let (ann, ben) = (new_driver(&app, "Ann").await, new_driver(&app, "Ben").await);
    link(&app, car, ben).await;
    link(&app, car, ann).await;

    let body = app.get(&format!("/cars/{car}")).await.json();
    let driver = app.get(&format!("/drivers/{ann}")).await.json();

    assert_eq!(
        body["_links"]["drivers"],
        json!([
            { "href": app.url(&format!("/drivers/{ann}")), "title": "Ann" },
            { "href": app.url(&format!("/drivers/{ben}")), "title": "Ben" },
        ])
    );
    assert_eq!(
        body["_links"]["collection/drivers"]["href"],
        app.url(&format!("/cars/{car}/drivers"))
    );
    assert_eq!(
        driver["_links"]["cars"],
        json!([{ "href": app.url(&format!("/cars/{car}")), "title": "HAL-9000" }])
    );
    let listed = items(&app, "/cars", "cars").await;
    assert_eq!(listed[0]["_links"]["drivers"], body["_links"]["drivers"]);
}

async fn there_is_no_cars_drivers_url(app: TestApp) {
    let car = new_car(&app, "HAL-9000").await;
    let driver = new_driver(&app, "Nia").await;
    link(&app, car, driver).await;

    let replies = [
        app.get("/cars-drivers").await,
        app.get(&format!("/cars-drivers?car_id={car}")).await,
        app.get("/drivers-cars").await,
        app.post("/cars-drivers", json!({ "car": car, "driver": driver }))
            .await,
    ];

    for reply in &replies {
        reply.assert_problem(404);
    }
    let car_body = app.get(&format!("/cars/{car}")).await.json();
    assert!(
        car_body["_links"].get("cars-drivers").is_none(),
        "{car_body}"
    );
    assert_eq!(app.count("cars_drivers").await, 1);
}

async fn deleting_a_car_removes_its_links_not_its_drivers(app: TestApp) {
    let (doomed, kept) = (new_car(&app, "HAL-1").await, new_car(&app, "HAL-2").await);
    let (ann, ben) = (new_driver(&app, "Ann").await, new_driver(&app, "Ben").await);
    for (car, driver) in [(doomed, ann), (doomed, ben), (kept, ann)] {
        link(&app, car, driver).await;
    }

    let deleted = app.delete(&format!("/cars/{doomed}")).await;

    deleted.assert_status(204);
    assert_eq!(app.count("cars_drivers").await, 1);
    assert_eq!(app.count("drivers").await, 2);
    assert_eq!(
        ids(&app, &format!("/drivers/{ann}/cars"), "cars").await,
        [kept]
    );
    assert_eq!(
        ids(&app, &format!("/drivers/{ben}/cars"), "cars").await,
        Vec::<i64>::new()
    );
    assert_eq!(
        hrefs(&app.get(&format!("/drivers/{ben}")).await.json()["_links"]["cars"]),
        Vec::<String>::new()
    );
    app.get(&format!("/cars/{doomed}/drivers"))
        .await
        .assert_problem(404);
}

on_both_backends!(
    cars_have_crud,
    drivers_have_crud,
    a_licence_plate_is_unique,
    putting_a_driver_under_a_car_links_them_201_then_200_with_the_car,
    unlinking_is_204_then_404_and_keeps_both_resources,
    the_mirror_sub_resource_links_the_same_pair,
    a_uri_list_replaces_or_adds_a_cars_drivers,
    posting_a_driver_under_a_car_creates_and_links_it,
    the_query_form_gives_exactly_the_items_of_the_sub_resource_lists,
    a_car_links_its_drivers_titled_in_id_order,
    there_is_no_cars_drivers_url,
    deleting_a_car_removes_its_links_not_its_drivers,
);
