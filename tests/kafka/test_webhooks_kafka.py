"""Webhooks and proposal expiry on the Kafka engine: the worker leader delivers signed webhooks
(retrying a failing receiver) and expires proposals in its rounds."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.kafka_harness import REQUESTED_ROUNDS, MarketSpace, api_on_kafka
from tests.support.market import Market, delivery_dates, wait_for, weeks_of
from tests.support.webhooks import SECRET, Receiver, running_receiver

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

TTL_SECONDS = 2.0


FAST_HOOKS = {
    "FOODMATCH_WEBHOOK_POLL_SECONDS": "0.1",
    "FOODMATCH_WEBHOOK_BACKOFF_SECONDS": "0.05",
    "FOODMATCH_PROPOSAL_TTL_HOURS": str(TTL_SECONDS / 3600),
}


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def kafka_client(space: MarketSpace, tmp_path: Path) -> Iterator[TestClient]:
    with api_on_kafka(space, tmp_path, "hooks-worker", **REQUESTED_ROUNDS, **FAST_HOOKS) as client:
        yield client


def test_webhooks_and_expiry_on_kafka(
    kafka_client: TestClient,
    receiver: tuple[Receiver, str],
) -> None:
    state, url = receiver
    market = Market(kafka_client)
    days = delivery_dates(1)
    market.group_with_certificate("grp-hatyai")
    market.buyer("hosp-songkhla")
    market.post("/webhooks", {"participant_id": "grp-hatyai", "url": url, "secret": SECRET})
    market.supply("sup-1", "grp-hatyai", weeks=weeks_of(days, 100))
    market.order("ord-1", "hosp-songkhla", deliveries=days)
    market.post("/rounds", {})
    [first] = market.contracts()

    def proposed() -> list[dict[str, Any]]:
        with state.lock:
            return [d for d in state.accepted if d["event"] == "ContractProposed"]

    [event] = wait_for(proposed, seconds=30)
    assert event["payload"]["id"] == first["id"]

    time.sleep(TTL_SECONDS + 0.5)
    market.post("/rounds", {})
    states = {c["id"]: c["state"] for c in market.contracts()}
    assert states[first["id"]] == "expired"
    [fresh] = [c for c in market.contracts() if c["id"] != first["id"]]
    assert fresh["reason"] == "re-matched: proposal expired"
    assert fresh["quantity"] == 40

    def expired_heard() -> list[dict[str, Any]]:
        with state.lock:
            return [d for d in state.accepted if d["event"] == "ContractExpired"]

    wait_for(expired_heard, seconds=30)
    with state.lock:
        assert state.bad_signatures == 0
        accepted = Counter(d["delivery_id"] for d in state.accepted)
        assert set(accepted.values()) == {1}
        assert all(state.attempts[d] == 3 for d in accepted)
