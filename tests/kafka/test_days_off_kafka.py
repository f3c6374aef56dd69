"""A kitchen's days off changed through the API on the Kafka engine: the change travels as
``buyer.days_off`` to a worker process, which stores it; a refusal made by the worker reaches the
caller; an order submitted afterwards is moved off the new day as on the embedded engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.kafka_harness import MarketSpace, api_on_kafka
from tests.support.market import API, Market, order_body

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

CLOSED = date(2027, 3, 17)  # a Wednesday, no public holiday


@pytest.fixture
def kafka_client(space: MarketSpace, tmp_path: Path) -> Iterator[TestClient]:
    with api_on_kafka(space, tmp_path, "days-off-worker") as client:
        yield client


def test_days_off_travel_to_the_worker_and_move_a_later_order(kafka_client: TestClient) -> None:
    Market(kafka_client).buyer("hosp-songkhla")
    path = f"{API}/buyers/hosp-songkhla/days-off"
    body = {"non_delivery_weekdays": ["sun"], "non_delivery_dates": [CLOSED.isoformat()]}

    answer = kafka_client.put(path, json=body)
    every_day = kafka_client.put(
        path, json={"non_delivery_weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "buyer_id": "hosp-songkhla",
        "non_delivery_weekdays": ["sun"],
        "non_delivery_dates": ["2027-03-17"],
    }
    assert every_day.status_code == 422, every_day.text
    assert every_day.json()["detail"][0]["loc"][-1] == "non_delivery_weekdays"
    assert kafka_client.get(path).json() == answer.json()
    moved = kafka_client.post(
        f"{API}/orders", json=order_body("ord-after", "hosp-songkhla", deliveries=[CLOSED])
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["deliveries"] == ["2027-03-16"]
