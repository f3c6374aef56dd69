"""On a real broker and PostgreSQL: events that cannot be published are parked and the others go
on, a round's event carries counts and a reference, a worker stops within its grace period while
its relay backs off, and message ids and dead-letter fields as outside senders meet them.

* An event above ``FOODMATCH_MAX_MESSAGE_BYTES``, or refused by the broker for good (a topic's
  ``max.message.bytes``), is parked with its reason and counted; the events behind it are
  published (the relay used to retry its whole batch of 500 for ever).
* ``round.completed`` (version 2) names its contracts' count and where to read them.
* A worker stopped while its relay backs off after failures stops within its grace period
  (it used to wait for the back-off, up to 30 s); the next worker relays what is left.
* The same ``message_id`` with another body is dead-lettered (``message_id reused with a
  different body``) and counted; the first body stays. Fields of dead letters are named by their
  path in the body, and an unknown envelope version says which version the worker reads.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.topics import Topic
from matcher.adapters.wire import encode_body
from matcher.config import Settings
from matcher.domain.contracts import MatchingRound, RoundStatus
from matcher.service import events
from matcher.service.codec import ROUND_EVENT_NOTE_CHARS, ROUND_EVENT_NOTES
from tests.support.kafka_harness import (
    Database,
    MarketSpace,
    WorkerProcess,
    envelopes,
    kafka_api,
    publisher,
    read_topic,
    scenario,
    tuned,
    unpublished,
    wait_until,
)
from tests.support.market import API, order_body
from tests.support.participants import group
from tests.support.ports import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    except httpx.TransportError:
        return None
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def counted(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name and v}


def set_topic_config(space: MarketSpace, topic: Topic, configs: dict[str, str]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=space.bootstrap, client_id="test-topic-config")
    try:
        name = space.topics.name(topic)
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs=configs)])
    finally:
        admin.close()


def add_event(database: Database, event: events.Event) -> None:
    with SqlUnitOfWork(database.sessions) as uow:
        uow.outbox.add(event, datetime.now(UTC))
        uow.commit()


def parked(database: Database) -> dict[str, str]:
    """Parked events: the id in the payload -> reason."""
    from sqlalchemy import JSON, String, column, text

    query = text("SELECT payload, parked_reason FROM outbox WHERE parked_at IS NOT NULL")
    typed = query.columns(column("payload", JSON()), column("parked_reason", String()))
    with database.engine.connect() as connection:
        return {str(p["id"]): str(r) for p, r in connection.execute(typed)}


def round_event(round_id: str, notes: tuple[str, ...] = ()) -> events.Event:
    at = datetime.now(UTC)
    record = MatchingRound(
        id=round_id,
        trigger="request",
        started_at=at,
        finished_at=at,
        status=RoundStatus.COMPLETED,
        solver="flow",
        solver_status="optimal",
        summary={},
        notes=notes,
    )
    return events.RoundCompleted(round=record)


# 1. Events that cannot be published ------------------------------------------------------------


def test_events_that_cannot_be_published_are_parked_counted_and_the_events_behind_go_out(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    limit = Settings().max_message_bytes
    set_topic_config(space, Topic.ROUNDS, {"max.message.bytes": "20000"})
    huge = replace(group("g-huge"), name_th="ก" * (limit // 3 + 10_000))  # 3 bytes a character
    wordy = ("น" * ROUND_EVENT_NOTE_CHARS,) * ROUND_EVENT_NOTES  # above the rounds topic's limit
    add_event(database, events.GroupRegistered(group=huge))
    add_event(database, round_event("rnd-wordy", wordy))
    add_event(database, round_event("rnd-small"))
    market = scenario(orders=0, tag=space.prefix)
    port = free_port()
    workers(tuned(space, FOODMATCH_METRICS_PORT=str(port)), "relaying")

    with publisher(space) as pub:
        pub.send_many(market.participants)
    database.wait_for_participants(market)
    wait_until(lambda: unpublished(database) == 2, 60, "every event but the parked two relayed")
    rounds = envelopes(read_topic(space, Topic.ROUNDS, until=lambda r: len(r) >= 1))
    registered = {"group.registered", "buyer.registered", "certificate.registered"}

    def all_registered(records: list[Any]) -> bool:
        return sum(1 for e in envelopes(records) if e["type"] in registered) >= len(
            market.participants
        )

    out = envelopes(read_topic(space, Topic.EVENTS, until=all_registered))
    samples: Any = wait_until(
        lambda: (s := scrape(port)) and counted(s, "foodmatch_outbox_parked_total") and s,
        30,
        "the parked events counted",
    )

    reasons = parked(database)
    assert set(reasons) == {"g-huge", "rnd-wordy"}
    assert re.fullmatch(
        rf"encoded event of [\d,]+ bytes is above the limit of {limit:,} bytes", reasons["g-huge"]
    )
    assert reasons["rnd-wordy"].startswith("refused by the broker: MessageSizeTooLargeError")
    assert [e["body"]["id"] for e in rounds] == ["rnd-small"]
    assert "g-huge" not in {e["body"].get("id") for e in out}
    assert sum(1 for e in out if e["type"] in registered) == len(market.participants)
    assert counted(samples, "foodmatch_outbox_parked_total") == {
        (("reason", "too_large"), ("topic", "events")): 1,
        (("reason", "too_large"), ("topic", "rounds")): 1,
    }


# 2. A round's event ----------------------------------------------------------------------------


def test_a_round_event_carries_its_contract_count_and_where_to_read_the_contracts(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=4, tag=space.prefix)
    workers(space, "solo")
    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(market.book)
    contracts = database.wait_for_filled(market)
    made = [e for e in envelopes(read_topic(space, Topic.ROUNDS, lambda r: len(r) >= 1))]
    with kafka_api(space) as api:
        listed = api.get(made[0]["body"]["contracts_url"])
        record = api.get(made[0]["body"]["round_url"])

    round_event = made[0]
    assert (round_event["type"], round_event["version"]) == ("round.completed", 2)
    body = round_event["body"]
    assert "contract_ids" not in body
    assert body["contracts"] == len(contracts)
    assert body["contracts_url"].startswith(f"{API}/contracts?round_id=")
    assert listed.status_code == 200
    assert record.status_code == 200
    assert sorted(c["id"] for c in listed.json()) == sorted(c.id for c in contracts)
    assert record.json()["id"] == body["id"]


# 3. A worker stopped while its relay backs off ------------------------------------------------

GRACE_SECONDS = 10.0
"""How long a stopping worker may take before the harness kills it (deployments usually give
30 s; the relay used to hold a stopping worker for its whole back-off, up to 30 s)."""


def test_a_worker_stops_within_its_grace_period_while_its_relay_backs_off(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=0, tag=space.prefix)
    worker = workers(space, "stopping")
    with publisher(space) as pub:
        pub.send_many(market.participants)
    database.wait_for_participants(market)
    wait_until(lambda: unpublished(database) == 0, 60, "the registrations relayed")
    add_event(database, events.GroupRegistered(group=group("g-later")))
    with database.engine.begin() as connection:  # the relay fails on every pass from now on
        connection.exec_driver_sql("ALTER TABLE outbox RENAME TO outbox_away")
    try:
        # Failed four times: it now waits 16 s before its next attempt.
        wait_until(lambda: "retrying in 16.0 s" in worker.log(), 60, "the relay to back off")
        code = worker.stop(timeout=GRACE_SECONDS)
    finally:
        with database.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE outbox_away RENAME TO outbox")

    assert code == 0, worker.log()[-3000:]  # it stopped by itself, it was not killed
    assert unpublished(database) == 1
    workers(space, "next")
    wait_until(lambda: unpublished(database) == 0, 60, "the next worker to relay the event")


def test_a_worker_stops_within_its_grace_period_in_the_middle_of_a_large_backlog(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    # A backlog as a large round leaves (100,000 contract events): the relay used to drain it
    # to the end, batch after batch, before the worker could stop.
    backlog = 60_000
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO outbox (event, key, payload, created_at)"
            " SELECT 'GroupRegistered', 'g' || n, json_build_object('id', 'g' || n), now()"
            f" FROM generate_series(1, {backlog}) AS n"
        )
    worker = workers(space, "draining")
    wait_until(lambda: unpublished(database) < backlog, 60, "the relay to begin")

    code = worker.stop(timeout=GRACE_SECONDS)
    left = unpublished(database)

    assert code == 0, worker.log()[-3000:]  # it stopped by itself, it was not killed
    assert 0 < left < backlog  # in the middle of the backlog; the rest waits for the next one
    assert parked(database) == {}


# 4. Message ids and dead-letter fields as outside senders meet them ----------------------------


def test_a_reused_message_id_and_bad_messages_are_dead_lettered_naming_fields_in_one_style(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=0, tag=space.prefix)
    port = free_port()
    workers(tuned(space, FOODMATCH_METRICS_PORT=str(port)), "solo")
    mid = f"{space.prefix}-order-1"
    first = encode_body("order.submit", order_body("o-1", "b0", quantity=10), mid, "kitchen")
    changed = encode_body("order.submit", order_body("o-1", "b0", quantity=99), mid, "kitchen")
    resent = encode_body("order.submit", order_body("o-1", "b0", quantity=10), mid, "kitchen")
    stray = encode_body("order.submit", order_body("o-2", "nobody"), f"{mid}-stray", "kitchen")
    zero = encode_body("order.submit", order_body("o-3", "b0", quantity=1), f"{mid}-0", "x")
    zero_value = zero.value.replace(b'"quantity":1', b'"quantity":0')
    later = json.loads(first.value) | {"version": 2, "message_id": f"{mid}-v2"}

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        for m in (first, changed, resent, stray):
            pub.send(m)
        topic = space.topics.name(Topic.ORDERS)
        pub.send_raw(topic, zero_value, key=b"kale")
        pub.send_raw(topic, json.dumps(later).encode(), key=b"kale")
    dead = envelopes(read_topic(space, Topic.DEAD_LETTERS, until=lambda r: len(r) >= 4))
    samples: Any = wait_until(
        lambda: (s := scrape(port)) and len(counted(s, "foodmatch_dead_letters_total")) == 4 and s,
        30,
        "the dead letters counted",
    )

    by_field = {d["field"]: d["reason"] for d in dead}
    assert by_field["message_id"] == "message_id reused with a different body"
    assert by_field["version"] == "version 2 is not known; this worker reads version 1"
    assert by_field["buyer_id"] == "no buyer with id 'nobody'"
    assert by_field["quantity"] == "0 must be above 0"
    assert len(dead) == 4
    with database._uow() as uow:
        stored = uow.orders.get("o-1")
        assert stored is not None
        assert stored.order.quantity == 10
    assert counted(samples, "foodmatch_dead_letters_total") == {
        (("field", f), ("topic", "orders")): 1
        for f in ("message_id", "version", "buyer_id", "quantity")
    }
