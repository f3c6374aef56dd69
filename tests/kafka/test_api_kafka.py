"""The HTTP API on the Kafka engine: commands go onto the topics, a worker process handles them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.kafka_harness import REQUESTED_ROUNDS, MarketSpace, api_on_kafka
from tests.support.market import API, Market, order_body

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


@pytest.fixture
def kafka_client(space: MarketSpace, tmp_path: Path) -> Iterator[TestClient]:
    with api_on_kafka(space, tmp_path, "api-worker", **REQUESTED_ROUNDS) as client:
        yield client


def test_an_order_matched_through_kafka_appears_for_kitchen_and_group(
    kafka_client: TestClient,
) -> None:
    market = Market(kafka_client)
    market.buyer("hosp-songkhla")
    market.group_with_certificate("grp-hatyai")
    market.supply("sup-kale-1", "grp-hatyai")
    order = market.post("/orders", order_body("ord-kale-1", "hosp-songkhla"))

    round_ = market.post("/rounds", {})
    kitchen = market.get("/contracts", buyer_id="hosp-songkhla")
    group = market.get("/contracts", group_id="grp-hatyai")

    assert order["state"] == "open"
    assert round_["status"] == "completed"
    assert len(round_["contract_ids"]) == 1
    assert kitchen == group
    assert kitchen[0]["group_id"] == "grp-hatyai"
    assert [d["date"] for d in kitchen[0]["deliveries"]] == order_body()["deliveries"]
    assert kafka_client.get("/health").json()["engine"]["name"] == "kafka"


def test_refusals_made_by_the_worker_reach_the_api_caller(kafka_client: TestClient) -> None:
    unknown_buyer = kafka_client.post(f"{API}/orders", json=order_body("ord-x", "nobody"))
    bad_quantity = kafka_client.post(f"{API}/orders", json=order_body("ord-y", quantity=0))

    assert unknown_buyer.status_code == 422
    assert unknown_buyer.json()["detail"][0]["loc"][-1] == "buyer_id"
    assert bad_quantity.status_code == 422
    assert kafka_client.get(f"{API}/orders/ord-x").status_code == 404


def test_a_repeated_request_has_one_effect_on_kafka(kafka_client: TestClient) -> None:
    market = Market(kafka_client)
    first = kafka_client.post(
        f"{API}/buyers", json={"id": "b1", "name_th": "รพ", "name_en": "H", "kind": "hospital",
                               "lat": 7.0, "lon": 100.5}, headers={"Idempotency-Key": "k-1"},
    )  # fmt: skip
    again = kafka_client.post(
        f"{API}/buyers", json={"id": "b1", "name_th": "รพ", "name_en": "H", "kind": "hospital",
                               "lat": 7.0, "lon": 100.5}, headers={"Idempotency-Key": "k-1"},
    )  # fmt: skip

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.headers["Idempotent-Replay"] == "true"
    assert [b["id"] for b in market.get("/buyers")] == ["b1"]
