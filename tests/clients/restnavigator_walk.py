"""restnavigator, a Python HAL client, walks Halyard from its root URL alone.

It follows every collection relation of the root and one embedded item of each (checking
the embedded copy and the fetched resource agree), expands the templated item links,
creates a user through the users collection, creates and links a driver through a car's
`collection/drivers` link, and reads the new relation back from the driver's side; then
it reads the user's cart with the token it got. Exits non-zero on the first surprise.

Usage: python tests/clients/restnavigator_walk.py http://127.0.0.1:8080/
"""

import sys
import time

import requests
import restnavigator

COLLECTIONS = [
    "books", "authors", "books-authors", "users", "groups",
    "customers", "invoices", "cars", "drivers",
]
PASSED = 0


def check(what, condition, detail=""):
    """Counts a passing check or stops the walk with what went wrong."""
    global PASSED
    if not condition:
        print(f"not ok - {what} {detail}")
        print(f"restnavigator: {PASSED} passed, 1 failed")
        sys.exit(1)
    PASSED += 1
    print(f"ok {PASSED} - {what}")


def hrefs(links):
    """The hrefs of a navigator's links under one relation (one link or a list)."""
    if links is None:
        return []
    if isinstance(links, list):
        return [nav.uri for nav in links]
    return [links.uri]


def main(root_url):
    root = restnavigator.Navigator.hal(root_url)
    root()
    rels = root.links()
    for rel in COLLECTIONS:
        check(f"the root links {rel}", rel in rels)
        collection = root[rel]
        collection()
        embedded = collection.embedded().get(rel, [])
        check(f"{rel} embeds its items", len(embedded) > 0)
        first = embedded[0]
        copy = dict(first.state)
        fetched = first.fetch()
        check(f"an embedded {rel} item is complete (same as fetched)", copy == dict(fetched), f"{copy} != {fetched}")
        check(f"an item of {rel} has an id", isinstance(fetched.get("id"), int))

    book = root["book"](id=1)
    check("the templated book link expands", book()["id"] == 1)

    stamp = str(int(time.time() * 1000))
    # restnavigator follows a 201's Location and drops its body, where the token is
    # shown this once: POST to the users link it discovered with requests instead.
    created = requests.post(root["users"].uri, json={"emailAddress": f"restnavigator-{stamp}@example.org"})
    check("creating a user is 201 with a token", created.status_code == 201 and created.json()["token"].startswith("hal_"))
    token = created.json()["token"]
    user = root["user"](id=created.json()["id"])
    check("the templated user link finds the user", user()["emailAddress"].startswith("restnavigator-"))

    # A relationship write through a link found on a car: create a driver and link it.
    car = root["cars"].embedded()["cars"][0]
    car()
    drivers = car["collection/drivers"]
    name = f"Driver {stamp}"
    driver = drivers.create({"name": name})
    check("collection/drivers creates and links a driver (Location under /drivers/)",
          "/drivers/" in driver.uri, driver.uri)
    driver_state = driver.fetch()
    check("the new driver is the one asked for", driver_state["name"] == name)
    check("the driver's side lists the car", car.uri in hrefs(driver.links().get("cars")),
          hrefs(driver.links().get("cars")))
    car.fetch()
    check("the car's side lists the driver", driver.uri in hrefs(car.links().get("drivers")))
    # And the query form of §5 gives the same driver.
    search = root["drivers-search"](car_id=car.state["id"])
    search()
    check("drivers?car_id lists it too", driver.uri in [d.uri for d in search.embedded()["drivers"]])

    # The cart, authenticated with the token.
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    authed = restnavigator.Navigator.hal(root_url, session=session)
    authed()
    cart = authed["cart"]
    cart_state = cart()
    check("the cart is the new user's and empty", cart_state["itemCount"] == 0)
    check("the cart links its owner", cart.links()["owner"].uri == user.uri)
    print(f"restnavigator: {PASSED} passed, 0 failed")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: restnavigator_walk.py ROOT_URL", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
