"""A market of two groups, one near the kitchen and one far, and the small steps the contract
lifecycle tests take on it through the HTTP API (the embedded and the Kafka engine alike)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.market import API, SONGKHLA_CITY, Market, delivery_dates, weeks_of

Json = dict[str, Any]
PLAIN = {"fairness": "off", "continuity_weight": 0.0}
"""Delivered cost alone decides, so a round gives the whole order to the nearer group."""
NEAR = (7.10, 100.55)  # a few km from the kitchen
FAR = (7.0167, 100.4681)  # Hat Yai, about 20 km


def two_group_market(market: Market, *, deliveries: int = 1, quantity: int = 40) -> list[str]:
    days = delivery_dates(deliveries)
    market.group_with_certificate("grp-near", lat=NEAR[0], lon=NEAR[1])
    market.group_with_certificate("grp-far", lat=FAR[0], lon=FAR[1])
    market.buyer("hosp-songkhla", lat=SONGKHLA_CITY[0], lon=SONGKHLA_CITY[1])
    market.supply("sup-near", "grp-near", weeks=weeks_of(days, quantity))
    market.supply("sup-far", "grp-far", weeks=weeks_of(days, quantity))
    market.order("ord-1", deliveries=days, quantity=quantity)
    return [d.isoformat() for d in days]


def only_contract(market: Market, **filters: Any) -> Json:
    found = market.contracts(**filters)
    assert len(found) == 1, found
    return found[0]


def act(client: TestClient, contract_id: str, action: str, body: Json) -> Any:
    return client.post(f"{API}/contracts/{contract_id}/{action}", json=body)
