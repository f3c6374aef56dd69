"""Near-valid bodies: what schemathesis rarely reaches.

A body that matches the OpenAPI document is still mostly refused by the domain (unknown
references, kinds, schemes, weeks...), so the fuzzer seldom gets past validation. Here each body
is a valid one (the e2e builders, referring to the seeded market) with one field set to an edge
value: zero, negative, the largest accepted and one more, far past and far future dates, odd
prices and text. Every answer is a 2xx, 404, 409 or 422 naming a body field; then a round runs
over whatever was accepted, and the book and the contracts are read back.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.routes.bodies import MAX_WHOLE
from tests.support.fuzz import CALLS, FuzzApi
from tests.support.market import (
    API,
    buyer_body,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
    supply_body,
    weeks_of,
)

Json = dict[str, Any]

NEAR_VALID = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TODAY = date.today()
EDGE_INTS = st.sampled_from(
    [0, -1, 1, 2, 999, 1000, 1001, MAX_WHOLE, MAX_WHOLE + 1, 2**31, 2**63, -(2**63), True]
)
EDGE_FLOATS = st.sampled_from(
    [0.0, -0.0, 1e-300, 0.5, 89.9999999, 90.0, 90.0000001, 180.0, 180.1, -180.0, 1e308, 20000.5]
)
EDGE_DATES = st.sampled_from(
    [
        date.min,
        date(1970, 1, 1),
        TODAY - timedelta(days=1),
        TODAY,
        TODAY + timedelta(days=3650),
        date(9999, 12, 31),
        date(9999, 12, 25),
    ]
).map(date.isoformat) | st.sampled_from(["2026-02-29", "2026-13-01", "0", "", "2026-W50"])
EDGE_TEXT = st.sampled_from(
    ["", " ", "\t", "\x00", "kale ", "KALE", "x" * 10_000, "=1+1", "مرحبا", "🥬", "a\u0301", "None"]
)
EDGE_PRICES = st.sampled_from(
    ["0", "0.00", "0.001", "-1", "1e3", "NaN", "Infinity", "10000000", "10000000.01", " 12.5 "]
) | st.sampled_from([0, 12.345, 1e7, 1e7 + 1, -0.0, True])
EDGE_WEEKS = st.sampled_from(
    ["2026-W00", "2026-W53", "2020-W53", "9999-W52", "0001-W01", "2026-w50", " 2026-W50 ", "x"]
)
EDGE_VALUES = st.one_of(
    EDGE_INTS, EDGE_FLOATS, EDGE_DATES, EDGE_TEXT, EDGE_PRICES, st.none(), st.just([])
)

_serial = itertools.count()


def fresh(prefix: str) -> str:
    return f"{prefix}-nv-{next(_serial)}"


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, Json]:
    """A valid body of one kind with one field (or a nested one) set to an edge value."""
    kind = draw(st.sampled_from(["/groups", "/buyers", "/certificates", "/supply", "/orders"]))
    days = delivery_dates(3)
    body = _valid_body(draw, kind, days)
    field = draw(st.sampled_from(sorted(body)))
    return kind, body | {field: _edge_value(draw, body, field, days)}


def _valid_body(draw: st.DrawFn, kind: str, days: list[date]) -> Json:
    """A valid body for ``kind`` (an order with its deliveries or, drawn, a schedule)."""
    if kind == "/groups":
        return group_body(fresh("grp"), min_lot=5, max_buyers_per_week=3)
    if kind == "/buyers":
        return buyer_body(fresh("buyer"))
    if kind == "/certificates":
        return certificate_body(fresh("cert"), "grp-hatyai", crops=["kale"], revoked_on=None)
    if kind == "/supply":
        return supply_body(fresh("sup"), "grp-hatyai", weeks=weeks_of(days, 50))
    body = order_body(fresh("ord"), "hosp-songkhla", deliveries=days, max_suppliers=2)
    if draw(st.booleans()):
        del body["deliveries"]
        start = days[0].isoformat()
        body["schedule"] = {"start": start, "end": days[-1].isoformat(), "weekdays": ["mon"]}
    return body


def _edge_value(draw: st.DrawFn, body: Json, field: str, days: list[date]) -> Any:
    """An edge value for ``field`` of ``body``, drawn among the edges that field can meet."""
    if field == "weeks":
        return {draw(EDGE_WEEKS): draw(EDGE_INTS)} | draw(st.sampled_from([{}, body["weeks"]]))
    if field == "schedule":
        part = draw(st.sampled_from(["start", "end", "weekdays"]))
        edge = draw(st.lists(EDGE_TEXT, max_size=3) if part == "weekdays" else EDGE_DATES)
        return body["schedule"] | {part: edge}
    if field == "deliveries":
        return draw(st.lists(EDGE_DATES, max_size=4)) + [d.isoformat() for d in days]
    if field in ("asking_price", "max_price"):
        return draw(EDGE_PRICES)
    if field in ("valid_from", "valid_until", "revoked_on"):
        return draw(EDGE_DATES)
    return draw(EDGE_VALUES)


def _refusal_names_a_field(answer: Json) -> bool:
    detail = answer.get("detail")
    if isinstance(detail, str):  # 404 or 409: what was not found, what it contradicts
        return bool(detail)
    return isinstance(detail, list) and all(e["loc"][:1] == ["body"] for e in detail)


@NEAR_VALID
@given(near_valid())
def test_near_valid_bodies_are_answered_without_a_server_error(
    fuzz_api: FuzzApi, posted: tuple[str, Json]
) -> None:
    path, body = posted
    response = fuzz_api.client.post(API + path, json=body)
    CALLS["near-valid bodies", f"POST {API}{path}", response.status_code] += 1
    assert response.status_code in (200, 201, 404, 409, 422), (body, response.text)
    answer = response.json()
    if response.status_code >= 400:
        assert _refusal_names_a_field(answer), answer


def test_a_round_over_what_was_accepted_runs_and_everything_reads_back(
    fuzz_api: FuzzApi,
) -> None:
    client = fuzz_api.client
    response = client.post(API + "/rounds", json={"crops": []})
    assert response.status_code == 201, response.text
    for path in ("/orders", "/supply", "/groups", "/buyers", "/contracts", "/overview"):
        assert client.get(API + path).status_code == 200, path
    for order in client.get(API + "/orders").json():
        assert client.get(f"{API}/orders/{order['id']}").status_code == 200
    for path in ("/markets/kale/book", "/stats/fill", "/stats/unmet", "/stats/groups", "/map"):
        assert client.get(API + path).status_code == 200, path
    assert client.get(API + "/report/planning.csv").status_code == 200
