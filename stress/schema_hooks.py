# schemathesis hooks for stress/schema (loaded through SCHEMATHESIS_HOOKS).
#
# The document names four string formats whose rules are written in their descriptions
# but are not regular expressions: a filter's grammar, a signed page token, a card number
# (Luhn) and a card expiry (not in the past). schemathesis cannot know them, so these
# strategies draw values the server accepts, and a page token, which only the server can
# sign, is fetched from the server for the very query it is sent with.
import datetime
import os

import requests
import schemathesis
from hypothesis import strategies as st

# A comparison every collection takes: `id` is filterable everywhere.
_comparison = st.builds(
    "id {} {}".format,
    st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
    st.integers(min_value=-5, max_value=10_000),
)


def _filters(depth):
    if depth == 0:
        return _comparison
    inner = _filters(depth - 1)
    return st.one_of(
        _comparison,
        st.builds("NOT {}".format, inner),
        st.builds("({})".format, inner),
        st.builds("{} AND {}".format, inner, inner),
        st.builds("{} OR {}".format, inner, inner),
    )


schemathesis.openapi.format("aip-160-filter", _filters(2))


def _luhn_complete(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return digits + str((10 - total % 10) % 10)


schemathesis.openapi.format(
    "card-number",
    st.integers(min_value=11, max_value=18)
    .flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))
    .map(_luhn_complete),
)

_today = datetime.date.today()
schemathesis.openapi.format(
    "card-expiry",
    st.integers(min_value=0, max_value=120).map(
        lambda months: "{:02d}/{:02d}".format(
            (_today.month - 1 + months) % 12 + 1,
            (_today.year + (_today.month - 1 + months) // 12) % 100,
        )
    ),
)

# Any token: only a positive case's token is replaced by a real one (below); a negative
# case's is whatever schemathesis makes of it.
schemathesis.openapi.format("page-token", st.just("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))


@schemathesis.hook
def before_call(context, case, kwargs):
    """A positive case's `pageToken` becomes one the server issued for the same query
    (or is dropped when that query has one page only)."""
    query = case.query
    if not query or "pageToken" not in query:
        return
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    first = {k: v for k, v in query.items() if k not in ("pageToken", "maxPageSize")}
    first["maxPageSize"] = 1
    url = case.operation.schema.build_request_url(case, case.operation.base_url)
    headers = {"Authorization": os.environ.get("HALYARD_FUZZ_AUTHORIZATION", "")}
    token = None
    try:
        reply = requests.get(url, params=first, headers=headers, timeout=10)
        if reply.status_code == 200:
            token = reply.json().get("nextPageToken")
    except (requests.RequestException, ValueError):
        pass
    if token:
        query["pageToken"] = token
    else:
        del query["pageToken"]
