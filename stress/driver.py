#!/usr/bin/env python3
"""Load and fault driver for Halyard's reliability runs (standard library only).

Subcommands (each prints one JSON summary line and exits non-zero when an invariant
fails):

  race URL [URL...]     races through every instance at once: one pair created and
                        linked N ways, royalties written to the ceiling, :add/:remove of
                        one user, a double checkout; then checks the invariants, and that
                        a page token from one instance works on another
  writes URL SECONDS    writes authors for SECONDS (or until killed), printing each
                        acknowledged id and name to stdout as "ack ID NAME"
  verify URL FILE       checks that every "ack" line in FILE is present on the server
  outage URL SECONDS    reads and writes for SECONDS while the caller stops and starts
                        the database; reports statuses, slowest answer, and recovery time
"""

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

TIMEOUT = 15
CALLS = [0]  # requests sent, for the summaries


def call(method, url, body=None, headers=None, content_type="application/json"):
    """One request; returns (status, headers, parsed JSON or text). Never raises on HTTP
    errors; a transport failure is status 0."""
    data = None
    hdrs = dict(headers or {})
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        hdrs["Content-Type"] = content_type
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    CALLS[0] += 1  # a lost increment under threads only makes the figure a lower bound
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            status, rh, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        status, rh, raw = e.code, dict(e.headers), e.read()
    except Exception as e:  # connection refused, reset, timeout
        return 0, {}, str(e)
    rh = {k.lower(): v for k, v in rh.items()}  # header names are case-insensitive
    try:
        return status, rh, json.loads(raw) if raw else None
    except ValueError:
        return status, rh, raw.decode(errors="replace")


class Failures:
    def __init__(self):
        self.items = []
        self.server_errors = 0

    def check(self, ok, what):
        if not ok:
            self.items.append(what)
            print("FAIL:", what, file=sys.stderr)

    def count(self, statuses):
        self.server_errors += sum(1 for s in statuses if s >= 500 or s == 0)


def together(n, fn):
    """Runs fn(i) for i in 0..n on n threads released at the same moment."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def created_id(reply):
    status, _, body = reply
    assert status == 201, f"expected 201, got {status}: {body}"
    return body["id"]


def race(urls, ways):
    f = Failures()
    n = len(urls)
    at = lambda i: urls[i % n]  # noqa: E731 - request i goes to instance i mod n
    tag = f"{time.time_ns()}"

    # 1. One pair created through /books-authors and linked through the sub-resource,
    #    `ways` requests at once spread over every instance.
    book = created_id(call("POST", f"{urls[0]}/books", {"title": f"race {tag}"}))
    author = created_id(call("POST", f"{urls[0]}/authors", {"name": f"racer {tag}"}))

    def link(i):
        if i % 2:
            return call("PUT", f"{at(i)}/books/{book}/authors/{author}")[0]
        return call("POST", f"{at(i)}/books-authors", {"book_id": book, "author_id": author})[0]

    statuses = together(ways, link)
    f.count(statuses)
    _, _, page = call("GET", f"{urls[0]}/books-authors?book_id={book}")
    relations = page["_embedded"]["books-authors"]
    f.check(len(relations) == 1, f"pair linked {ways} ways gave {len(relations)} relations")
    f.check(statuses.count(201) == 1, f"pair: {statuses.count(201)} creations (201), want 1")
    f.check(set(statuses) <= {200, 201, 409}, f"pair: statuses {sorted(set(statuses))}")

    # 2. Royalties to the ceiling: `ways` authors each claim 0.25 of one book at once.
    book2 = created_id(call("POST", f"{urls[0]}/books", {"title": f"royal {tag}"}))
    authors = [created_id(call("POST", f"{at(i)}/authors", {"name": f"a{i} {tag}"}))
               for i in range(ways)]
    statuses = together(ways, lambda i: call(
        "POST", f"{at(i)}/books-authors",
        {"book_id": book2, "author_id": authors[i], "royalties": "0.25"})[0])
    f.count(statuses)
    _, _, page = call("GET", f"{urls[0]}/books-authors?book_id={book2}&maxPageSize=1000")
    total = sum(float(r["royalties"] or 0) for r in page["_embedded"]["books-authors"])
    f.check(total <= 1.0 + 1e-9, f"royalties add up to {total}")
    f.check(statuses.count(201) == min(ways, 4), f"royalties: {statuses.count(201)} x 201")
    f.check(set(statuses) <= {201, 409}, f"royalties: statuses {sorted(set(statuses))}")
    # ...and the same race through PATCH of existing relations (null -> 0.5).
    book3 = created_id(call("POST", f"{urls[0]}/books", {"title": f"patch {tag}"}))
    rels = [created_id(call("POST", f"{urls[0]}/books-authors",
                            {"book_id": book3, "author_id": authors[i]}))
            for i in range(min(ways, 8))]
    statuses = together(len(rels), lambda i: call(
        "PATCH", f"{at(i)}/books-authors/{rels[i]}", {"royalties": "0.5"})[0])
    f.count(statuses)
    f.check(statuses.count(200) == min(len(rels), 2), f"PATCH royalties: {statuses.count(200)} x 200")

    # 3. :add and :remove of one user, and many users at once: userCount stays exact.
    group = created_id(call("POST", f"{urls[0]}/groups", {"displayName": f"g {tag}"}))
    user = created_id(call("POST", f"{urls[0]}/users", {"emailAddress": f"u{tag}@example.org"}))
    statuses = together(ways, lambda i: call(
        "POST", f"{at(i)}/groups/{group}/users:add", {"user": f"/users/{user}"})[0])
    f.count(statuses)
    f.check(statuses.count(204) == 1 and statuses.count(409) == ways - 1, f":add: {statuses}")
    _, _, g = call("GET", f"{urls[0]}/groups/{group}")
    f.check(g["userCount"] == 1, f"userCount {g['userCount']} after one add")
    statuses = together(ways, lambda i: call(
        "POST", f"{at(i)}/groups/{group}/users:remove", {"user": f"/users/{user}"})[0])
    f.count(statuses)
    f.check(statuses.count(204) == 1 and statuses.count(412) == ways - 1, f":remove: {statuses}")
    users = [created_id(call("POST", f"{at(i)}/users", {"emailAddress": f"m{i}.{tag}@example.org"}))
             for i in range(ways)]

    def add_remove(i):
        # Every user is added; every odd one is then removed again.
        s = [call("POST", f"{at(i)}/groups/{group}/users:add", {"user": f"users/{users[i]}"})[0]]
        if i % 2:
            s.append(call("POST", f"{at(i + 1)}/groups/{group}/users:remove",
                          {"user": f"users/{users[i]}"})[0])
        return s

    statuses = [s for ss in together(ways, add_remove) for s in ss]
    f.count(statuses)
    _, _, g = call("GET", f"{urls[-1]}/groups/{group}")
    want = (ways + 1) // 2
    f.check(g["userCount"] == want, f"userCount {g['userCount']}, want {want}")

    # 4. Double checkout: a full cart checked out from every instance at once.
    status, _, body = call("POST", f"{urls[0]}/users", {"emailAddress": f"buyer{tag}@example.org"})
    auth = {"Authorization": f"Bearer {body['token']}"}
    s1 = call("POST", f"{urls[0]}/cart/items", {"book": f"/books/{book}", "quantity": 2}, auth)[0]
    s2 = call("PUT", f"{urls[0]}/cart/shipping", {
        "name": "Ada Buyer", "street": "1 Race Street", "city": "Lyon",
        "postalCode": "69001", "country": "FR"}, auth)[0]
    s3 = call("PUT", f"{urls[0]}/cart/payment", {
        "cardholder": "Ada Buyer", "cardNumber": "4111111111111111", "expiry": "12/30"}, auth)[0]
    f.check((s1, s2, s3) in [(201, 200, 200)], f"cart set-up statuses {(s1, s2, s3)}")
    statuses = together(ways, lambda i: call("POST", f"{at(i)}/cart:checkout", None, auth)[0])
    f.count(statuses)
    f.check(statuses.count(201) == 1, f"checkout: {statuses.count(201)} orders (201), want 1")
    f.check(set(statuses) <= {201, 409}, f"checkout statuses {sorted(set(statuses))}")
    _, _, orders = call("GET", f"{urls[-1]}/orders", None, auth)
    count = len(orders["_embedded"]["orders"])
    f.check(count == 1, f"{count} orders after a double checkout")

    # 5. A page token from one instance is accepted by every other.
    for i in range(3):
        call("POST", f"{urls[0]}/books", {"title": f"page {i} {tag}"})
    _, _, first = call("GET", f"{urls[0]}/books?maxPageSize=2")
    token = first.get("nextPageToken")
    f.check(bool(token), "no nextPageToken on the first page")
    for other in urls:
        status, _, page = call("GET", f"{other}/books?maxPageSize=2&pageToken={token}")
        f.check(status == 200, f"token from {urls[0]} on {other}: {status}")

    summary = {"instances": n, "ways": ways, "requests": CALLS[0], "server_errors": f.server_errors,
               "failures": f.items}
    f.check(f.server_errors == 0, f"{f.server_errors} 5xx or transport errors")
    print(json.dumps(summary))
    return 1 if f.items else 0


def writes(url, seconds, threads=4):
    """Writes until killed; prints every acknowledged write at once (flushed), so that a
    kill -9 of the server cannot lose the record of an acknowledgement."""
    deadline = time.time() + seconds
    lock = threading.Lock()
    tag = time.time_ns()

    def loop(t):
        i = 0
        while time.time() < deadline:
            name = f"w{tag}-{t}-{i}"
            i += 1
            status, _, body = call("POST", f"{url}/authors", {"name": name})
            if 200 <= status < 300:
                with lock:
                    print(f"ack {body['id']} {name}", flush=True)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(loop, range(threads)))
    return 0


def verify(url, path):
    acked = [line.split() for line in open(path) if line.startswith("ack ")]
    missing = []
    for _, ident, name in acked:
        status, _, body = call("GET", f"{url}/authors/{ident}")
        if status != 200 or body.get("name") != name:
            missing.append((ident, name, status))
    print(json.dumps({"acknowledged": len(acked), "missing": len(missing),
                      "examples": missing[:5]}))
    return 1 if missing else 0


def outage(url, seconds, threads=6):
    """Load during an outage: every answer must come within the time bound and be 2xx or
    a 503 problem with Retry-After; records when service came back."""
    deadline = time.time() + seconds
    lock = threading.Lock()
    stats = {"statuses": {}, "slowest_s": 0.0, "bad": []}

    def loop(t):
        i = 0
        while time.time() < deadline:
            i += 1
            started = time.time()
            if i % 2:
                status, headers, body = call("GET", f"{url}/books?maxPageSize=5")
            else:
                status, headers, body = call("POST", f"{url}/authors", {"name": f"o{t}-{i}"})
            took = time.time() - started
            with lock:
                stats["statuses"][status] = stats["statuses"].get(status, 0) + 1
                stats["slowest_s"] = max(stats["slowest_s"], took)
                if status == 503:
                    if "retry-after" not in headers or "problem+json" not in headers.get("content-type", ""):
                        stats["bad"].append("503 without Retry-After or problem+json")
                elif not 200 <= status < 300:
                    stats["bad"].append(f"{status}: {str(body)[:200]}")
            if status == 503:
                time.sleep(0.05)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(loop, range(threads)))
    stats["bad"] = stats["bad"][:10]
    print(json.dumps(stats))
    return 1 if stats["bad"] else 0


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "race":
        ways = int(__import__("os").environ.get("WAYS", "32"))
        return race(args, ways)
    if cmd == "writes":
        return writes(args[0], float(args[1]))
    if cmd == "verify":
        return verify(args[0], args[1])
    if cmd == "outage":
        return outage(args[0], float(args[1]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
