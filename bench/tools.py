"""Helpers for bench/run, standard library only.

    tools.py json DB OUT            export the SQLite catalogue as json-server's db.json
    tools.py token DB SCOPE ID      a Halyard page token for the page after row ID
    tools.py report RESULTS META MD SVG   write docs/benchmarks.md's measured part and chart
"""

import base64
import hashlib
import hmac
import json
import sqlite3
import sys


def export_json(db, out):
    """json-server 0.17 keeps its whole database in one JSON file (lowdb)."""
    conn = sqlite3.connect(db)
    data = {
        "books": [
            {"id": i, "title": t, "price": "%d.%02d" % divmod(c, 100)}
            for i, t, c in conn.execute("SELECT id, title, price_cents FROM books ORDER BY id")
        ],
        "authors": [
            {"id": i, "name": n}
            for i, n in conn.execute("SELECT id, name FROM authors ORDER BY id")
        ],
        # json-server finds a book's relations by `bookId` (`?_embed=books_authors`).
        "books_authors": [
            {"id": i, "bookId": b, "authorId": a, "royalties": r}
            for i, b, a, r in conn.execute(
                "SELECT id, book_id, author_id, royalties FROM books_authors ORDER BY id"
            )
        ],
    }
    with open(out, "w") as f:
        json.dump(data, f, separators=(",", ":"))


def token(db, scope, last_id):
    """Mirrors src/hal/token.rs: version 1, the id big-endian, 16 bytes of HMAC-SHA256
    over version || id || scope, keyed by the secret kept in the database. It lets the
    benchmark jump to row N without paging there, as a client holding a token would."""
    key = sqlite3.connect(db).execute(
        "SELECT value FROM server_keys WHERE name = 'page_tokens'"
    ).fetchone()[0].encode()
    ident = int(last_id).to_bytes(8, "big")
    tag = hmac.new(key, b"\x01" + ident + scope.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(b"\x01" + ident + tag).rstrip(b"=").decode()


def report(results, meta, md_out, svg_out):
    rows = [line.rstrip("\n").split("\t") for line in open(results) if line.strip()]
    # server, scenario, requests/s, p50 ms, p99 ms, non-2xx, server CPU µs a request
    info = json.load(open(meta))
    servers = []
    scenarios = []
    for r in rows:
        if r[0] not in servers:
            servers.append(r[0])
        if r[1] not in scenarios:
            scenarios.append(r[1])
    table = {(r[0], r[1]): r for r in rows}
    lines = ["| scenario | " + " | ".join(servers) + " |",
             "| --- | " + " | ".join("---:" for _ in servers) + " |"]
    for sc in scenarios:
        cells = []
        for s in servers:
            r = table.get((s, sc))
            if r is None:
                cells.append("")
            else:
                err = " (%s non-2xx)" % r[5] if r[5] not in ("0", "") else ""
                cpu = ", %s µs CPU" % r[6] if len(r) > 6 else ""
                cells.append("%s req/s%s, p50 %s ms, p99 %s ms%s" % (r[2], cpu, r[3], r[4], err))
        lines.append("| %s | %s |" % (info["scenarios"].get(sc, sc), " | ".join(cells)))
    # Halyard as a ratio to the in-memory limit (serving its bytes) and to each peer,
    # all measured in this run; a revalidation (304) is set against the limit's book.
    against = {"revalidate": "book"}
    peers = [s for s in servers if s not in ("halyard", "halyard-pg", "limit")]
    heads = ["req/s ÷ limit"] + [h % p for p in peers for h in ("req/s ÷ %s", "CPU ÷ %s")]
    ratio_lines = ["", "| Halyard (SQLite) | " + " | ".join(heads) + " |",
                   "| --- |" + " ---: |" * len(heads)]
    for sc in scenarios:
        mine = table.get(("halyard", sc))
        if mine is None:
            continue
        cells = []
        for other in ["limit"] + peers:
            theirs = table.get((other, against.get(sc, sc) if other == "limit" else sc))
            if theirs is None or float(theirs[2]) == 0:
                cells += [""] if other == "limit" else ["", ""]
                continue
            cells.append("%.2f" % (float(mine[2]) / float(theirs[2])))
            if other != "limit":
                try:
                    cells.append("%.2f" % (float(mine[6]) / float(theirs[6])))
                except (ValueError, ZeroDivisionError):
                    cells.append("")
        ratio_lines.append("| %s | %s |" % (info["scenarios"].get(sc, sc), " | ".join(cells)))
    with open(md_out, "w") as f:
        f.write("\n".join(lines + ratio_lines) + "\n")

    # The chart: one group of bars a scenario, requests per second on a log scale
    # (json-server and the in-memory limit differ by orders of magnitude).
    import math
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    # Room on the left for the longest scenario label at 12 px.
    bar_h, gap, left, width = 14, 12, 300, 560
    top = 40
    peak = max(float(r[2]) for r in rows) or 1.0
    scale = lambda v: 0 if v <= 1 else width * math.log10(v) / math.log10(max(peak, 10))
    y = top
    parts = []
    for sc in scenarios:
        present = [s for s in servers if (s, sc) in table]
        parts.append('<text x="%d" y="%d" font-size="12" text-anchor="end">%s</text>'
                     % (left - 8, y + bar_h * len(present) / 2 + 4, info["scenarios"].get(sc, sc)))
        for s in present:
            v = float(table[(s, sc)][2])
            c = colours[servers.index(s) % len(colours)]
            parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                         % (left, y, scale(v), bar_h - 2, c))
            parts.append('<text x="%.1f" y="%d" font-size="10">%s</text>'
                         % (left + scale(v) + 4, y + bar_h - 4, "%.0f" % v))
            y += bar_h
        y += gap
    legend = []
    for i, s in enumerate(servers):
        legend.append('<rect x="%d" y="12" width="10" height="10" fill="%s"/>'
                      '<text x="%d" y="21" font-size="11">%s</text>'
                      % (left + i * 130, colours[i % len(colours)], left + i * 130 + 14, s))
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif"><rect width="100%%" height="100%%" fill="white"/>%s%s'
           '<text x="%d" y="%d" font-size="10" fill="#555">requests per second, log scale '
           '(higher is better)</text></svg>\n'
           % (left + width + 80, y + 20, "".join(legend), "".join(parts), left, y + 10))
    with open(svg_out, "w") as f:
        f.write(svg)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "json":
        export_json(*args)
    elif command == "token":
        print(token(*args))
    elif command == "report":
        report(*args)
    else:
        sys.exit("unknown command " + command)
