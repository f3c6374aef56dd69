"""A worker's Prometheus endpoint on a real broker: messages, dead letters and consumer lag.

The worker runs as a process of its own (``python -m consumers.worker``) with
``FOODMATCH_METRICS_PORT`` set to a free port; the lag before any worker is read with the same
collector straight from the broker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from consumers.app import app_id
from consumers.lag import lag_collector
from matcher.adapters.topics import INBOUND, Topic
from matcher.config import Settings
from tests.support.kafka_harness import (
    Database,
    MarketSpace,
    TunedSpace,
    WorkerProcess,
    publisher,
    read_topic,
    scenario,
    wait_until,
)
from tests.support.ports import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples | None:
    """Every sample of the exposition at ``url`` by (name, sorted labels); None: no answer."""
    try:
        response = httpx.get(url, timeout=10)
    except httpx.TransportError:
        return None
    assert response.status_code == 200, response.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def lag_of(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["topic"], dict(labels)["partition"]): v
        for (name, labels), v in samples.items()
        if name == "foodmatch_consumer_lag"
    }


def every_inbound_partition(space: MarketSpace) -> set[tuple[str, str]]:
    return {(t.value, str(p)) for t in INBOUND for p in range(space.topics.partitions_of(t))}


def test_a_worker_serves_its_messages_dead_letters_and_consumer_lag(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=2, tag=space.prefix)
    group = app_id(Settings(kafka=space.kafka.model_dump()))
    poison = b"\x00 not an envelope"

    # No worker yet: what is published waits, and the lag says so.
    waiting = lag_collector(space.bootstrap, group, space.topics, cache_seconds=0)
    try:
        with publisher(space) as pub:
            pub.send_many(market.participants)
        # (a broker's first group lookup may answer "coordinator not available" a moment)
        read = wait_until(waiting.samples, 30, "the broker to give the lag", 0.5)
        before = {(s.topic, str(s.partition)): s.lag for s in read}
    finally:
        waiting.close()
    assert set(before) == every_inbound_partition(space)
    assert sum(v for (t, _), v in before.items() if t == "participants") == len(market.participants)
    assert all(v == 0 for (t, _), v in before.items() if t != "participants")

    port = free_port()
    metered = TunedSpace(
        space.bootstrap,
        space.prefix,
        space.database_url,
        space.partitions,
        (("FOODMATCH_METRICS_PORT", str(port)), ("FOODMATCH_METRICS_CACHE_SECONDS", "0")),
    )
    worker = workers(metered, "metered")
    url = f"http://127.0.0.1:{port}/metrics"
    database.wait_for_participants(market)
    with publisher(space) as pub:
        pub.send_many(market.book)
        pub.send_raw(space.topics.name(Topic.ORDERS), poison, key=b"kale")
    database.wait_for_filled(market)
    read_topic(space, Topic.DEAD_LETTERS, until=lambda records: len(records) >= 1)

    orders = sum(1 for m in market.book if b'"order.submit"' in m.value)
    supply = len(market.book) - orders

    def settled() -> Samples | None:
        samples = scrape(url)
        if samples is None:
            return None
        lag = lag_of(samples)
        done = (
            value(samples, "foodmatch_messages_consumed_total", topic="orders", outcome="ok")
            >= orders
            and value(samples, "foodmatch_messages_consumed_total", topic="supply", outcome="ok")
            >= supply
            and set(lag) == every_inbound_partition(space)
            and all(v == 0 for v in lag.values())
        )
        return samples if done else None

    samples: Any = wait_until(settled, 60, "every message counted and the lag back to 0", 0.5)

    consumed = "foodmatch_messages_consumed_total"
    assert value(samples, consumed, topic="orders", outcome="ok") == orders
    assert value(samples, consumed, topic="orders", outcome="rejected") == 1
    assert value(samples, consumed, topic="participants", outcome="ok") == len(market.participants)
    dead = {k: v for k, v in samples.items() if k[0] == "foodmatch_dead_letters_total"}
    assert dead == {("foodmatch_dead_letters_total", (("field", "value"), ("topic", "orders"))): 1}
    assert f"metrics at {url}" in worker.log()
