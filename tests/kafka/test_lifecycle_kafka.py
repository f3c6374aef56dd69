"""The contract lifecycle on the Kafka engine: the API publishes each transition, a worker
process handles it, and what falls out of a contract is re-matched by the next round."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.kafka_harness import REQUESTED_ROUNDS, MarketSpace, api_on_kafka
from tests.support.lifecycle import act, only_contract, two_group_market
from tests.support.market import API, Market

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


PLAIN = {"FOODMATCH_FAIRNESS": "off", "FOODMATCH_CONTINUITY_WEIGHT": "0"}
"""Delivered cost alone decides (the nearer group wins)."""


@pytest.fixture
def kafka_client(space: MarketSpace, tmp_path: Path) -> Iterator[TestClient]:
    with api_on_kafka(space, tmp_path, "lifecycle-worker", **REQUESTED_ROUNDS, **PLAIN) as client:
        yield client


def test_rejection_and_illegal_moves_on_kafka(kafka_client: TestClient) -> None:
    market = Market(kafka_client)
    two_group_market(market)
    market.post("/rounds", {})
    first = only_contract(market)
    assert first["group_id"] == "grp-near"

    wrong = act(kafka_client, first["id"], "reject", {"actor": "group:grp-far"})
    assert wrong.status_code == 409
    assert "not a party" in wrong.json()["detail"]
    rejected = act(kafka_client, first["id"], "reject", {"actor": "group:grp-near"})
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"
    again = act(kafka_client, first["id"], "accept", {"actor": "group:grp-near"})
    assert again.status_code == 409
    assert "is rejected" in again.json()["detail"]

    market.post("/rounds", {})
    second = only_contract(market, state="proposed")
    assert (second["group_id"], second["quantity"]) == ("grp-far", 40)
    assert second["reason"] == "re-matched: rejected by the group"


def test_short_delivery_and_revoked_certificate_on_kafka(kafka_client: TestClient) -> None:
    market = Market(kafka_client)
    days = two_group_market(market, deliveries=2)
    market.post("/rounds", {})
    first = only_contract(market)
    assert act(kafka_client, first["id"], "accept", {"actor": "group:grp-near"}).status_code == 200
    confirmed = kafka_client.post(
        f"{API}/contracts/{first['id']}/deliveries/{days[0]}/confirm",
        json={"actor": "buyer:hosp-songkhla", "received": 28},
    )
    assert confirmed.status_code == 200, confirmed.text
    revoked = kafka_client.post(
        f"{API}/certificates/cert-grp-near/revoke", json={"revoked_on": days[1]}
    )
    assert revoked.status_code == 200, revoked.text

    market.post("/rounds", {})
    kept = market.get(f"/contracts/{first['id']}")
    assert [(d["date"], d["state"]) for d in kept["deliveries"]] == [
        (days[0], "delivered"),
        (days[1], "released"),
    ]
    fresh = sorted(
        ((c["group_id"], d["date"], d["quantity"]) for c in market.contracts()
         if c["id"] != first["id"] for d in c["deliveries"]),
    )  # fmt: skip
    assert fresh == [("grp-far", days[0], 12), ("grp-far", days[1], 40)]


def test_a_kitchen_cancels_one_delivery_on_kafka(kafka_client: TestClient) -> None:
    """The cancellation travels as an ``order.cancel_delivery`` message: the worker releases
    the contract's delivery of that day, and its refusal of a second try reaches the caller."""
    market = Market(kafka_client)
    days = two_group_market(market, deliveries=2)
    market.post("/rounds", {})
    first = only_contract(market)
    path = f"{API}/orders/ord-1/deliveries/{days[1]}/cancel"

    cancelled = kafka_client.post(path, json={"reason": "ward closed that week"})

    assert cancelled.status_code == 200, cancelled.text
    order = cancelled.json()
    assert order["deliveries"] == [days[0]]
    assert [(c["date"], c["reason"]) for c in order["cancelled_deliveries"]] == [
        (days[1], "ward closed that week")
    ]
    kept = market.get(f"/contracts/{first['id']}")
    assert [(d["date"], d["state"]) for d in kept["deliveries"]] == [
        (days[0], "scheduled"),
        (days[1], "released"),
    ]
    again = kafka_client.post(path, json={"reason": "ward closed that week"})
    assert again.status_code == 409
    assert "already cancelled" in again.json()["detail"]
