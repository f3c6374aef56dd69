"""Sourcing rules over HTTP: an order's supplier limit, a group's minimum lot and buyer limit,
and the nearest alternative shown with a round's unfilled quantities."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.market import API, Market, delivery_dates, group_body, order_body, weeks_of


def test_an_order_with_max_suppliers_and_a_group_with_limits_come_back_with_them(
    market: Market,
) -> None:
    market.buyer()
    posted_group = market.group_with_certificate(min_lot=25, max_buyers_per_week=2)
    posted_order = market.order(max_suppliers=1)

    assert (posted_group["min_lot"], posted_group["max_buyers_per_week"]) == (25, 2)
    assert posted_order["max_suppliers"] == 1
    group = market.get("/groups/grp-hatyai")
    assert (group["min_lot"], group["max_buyers_per_week"]) == (25, 2)
    assert [(g["id"], g["min_lot"]) for g in market.get("/groups")] == [("grp-hatyai", 25)]
    order = market.get("/orders/ord-kale-1")
    assert order["max_suppliers"] == 1
    assert [o["max_suppliers"] for o in market.get("/orders")] == [1]


def test_fields_left_out_come_back_as_null(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order()

    group = market.get("/groups/grp-hatyai")
    assert (group["min_lot"], group["max_buyers_per_week"]) == (None, None)
    assert market.get("/orders/ord-kale-1")["max_suppliers"] is None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/orders", order_body(max_suppliers=0), "max_suppliers"),
        ("/orders", order_body(max_suppliers=10**30), "max_suppliers"),
        ("/orders", order_body(max_suppliers="one"), "max_suppliers"),
        ("/groups", group_body(min_lot=0), "min_lot"),
        ("/groups", group_body(min_lot=2.5), "min_lot"),
        ("/groups", group_body(max_buyers_per_week=-1), "max_buyers_per_week"),
        ("/groups", group_body(max_buyers_per_week=10**30), "max_buyers_per_week"),
    ],
)
def test_bad_limits_are_refused_naming_the_field(
    market: Market, client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    market.buyer()

    response = client.post(API + path, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_a_round_shows_the_nearest_alternative_of_what_single_sourcing_leaves_unfilled(
    market: Market,
) -> None:
    days = delivery_dates(1)
    market.buyer()
    market.group_with_certificate("grp-hatyai")
    market.group_with_certificate("grp-second")
    market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 30))
    market.supply("sup-2", "grp-second", weeks=weeks_of(days, 30))
    market.order(deliveries=days, max_suppliers=1)

    ran = market.run_round()

    contracts = market.contracts(order_id="ord-kale-1")
    assert [c["quantity"] for c in contracts] == [30]
    chosen = contracts[0]["group_id"]
    other = ({"grp-hatyai", "grp-second"} - {chosen}).pop()
    (line,) = ran["unfilled"]
    assert (line["quantity"], line["reason"]) == (10, "supplier_limit")
    alternative = line["alternative"]
    assert alternative["group_id"] == other
    assert alternative["rule"] == "supplier_limit"
    assert alternative["supply_id"] in {"sup-1", "sup-2"}
    assert set(alternative) == {
        "group_id",
        "supply_id",
        "week",
        "rule",
        "measure",
        "value",
        "limit",
    }
    assert market.get(f"/rounds/{ran['id']}")["unfilled"] == ran["unfilled"]


def test_an_unfilled_line_without_an_alternative_shows_null(market: Market) -> None:
    market.buyer()
    market.group_with_certificate()
    market.order()  # no supply at all

    ran = market.run_round()

    assert ran["unfilled"]
    assert {u["reason"] for u in ran["unfilled"]} == {"no_supply"}
    assert all(u["alternative"] is None for u in ran["unfilled"])
