"""The Kafka engine end to end: worker processes, a real broker and PostgreSQL.

Each test has topics and a database of its own (see conftest.py). Messages are produced with
kafka-python as any participant's system would; the results are read back from the outbound
topics and from PostgreSQL.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable

import pytest

from matcher.adapters.topics import INBOUND, Topic
from matcher.adapters.wire import WireMessage
from tests.support.kafka_harness import (
    Database,
    MarketSpace,
    WorkerProcess,
    check_within_quantities,
    contract_terms,
    envelopes,
    message,
    publisher,
    read_topic,
    scenario,
    tuned,
    wait_until,
)
from tests.support.market import delivery_dates, order_body

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]


def body_of(m: WireMessage) -> dict[str, object]:
    import json

    body: dict[str, object] = json.loads(m.value)["body"]
    return body


def message_id_of(m: WireMessage) -> str:
    import json

    mid: str = json.loads(m.value)["message_id"]
    return mid


def test_supply_and_orders_on_the_topics_become_contracts_on_kafka_and_in_postgres(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    worker = workers(space, "solo")
    market = scenario(orders=2, tag=space.prefix)

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(market.book)
    contracts = database.wait_for_filled(market)

    days = tuple(delivery_dates(3))
    assert contract_terms(contracts) == [
        ("o000", "b0", "g-kale", "s-kale", 2450, tuple((d, 10) for d in days)),
        ("o001", "b1", "g-kale", "s-kale", 2450, tuple((d, 11) for d in days)),
    ]
    proposed = read_topic(space, Topic.CONTRACTS, until=lambda records: len(records) >= 2)
    bodies = [e["body"] for e in envelopes(proposed) if e["type"] == "contract.proposed"]
    assert sorted(b["id"] for b in bodies) == sorted(c.id for c in contracts)
    assert {(b["order_id"], b["quantity"]) for b in bodies} == {("o000", 30), ("o001", 33)}
    assert {r.key for r in proposed} == {b"kale"}
    assert worker.stop() == 0  # SIGTERM: a clean shutdown


def test_refused_messages_land_on_the_dead_letters_and_the_valid_ones_around_them_are_handled(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    workers(space, "solo")
    market = scenario(orders=2, tag=space.prefix)
    first, second = (m for m in market.book if body_of(m).get("buyer_id"))
    not_json = b"this is not JSON {"
    zero = message("order.submit", order_body("o-zero", "b0", quantity=0), space.prefix)
    stray = message("order.submit", order_body("o-stray", "nobody"), space.prefix)

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(m for m in market.book if m not in (first, second))
        pub.send(first)
        pub.send_raw(space.topics.name(Topic.ORDERS), not_json, key=b"kale")
        pub.send(zero)
        pub.send(stray)
        pub.send(second)
    dead = envelopes(read_topic(space, Topic.DEAD_LETTERS, until=lambda r: len(r) >= 3))
    database.wait_for_filled(market)

    by_bytes = {base64.b64decode(d["original_base64"]): d for d in dead}
    assert set(by_bytes) == {not_json, zero.value, stray.value}
    assert by_bytes[not_json]["field"] == "value"
    assert by_bytes[not_json]["reason"].startswith("not JSON")
    assert by_bytes[zero.value]["field"] == "quantity"
    assert by_bytes[stray.value]["field"] == "buyer_id"
    assert "nobody" in by_bytes[stray.value]["reason"]
    assert {(d["topic"], d["key"]) for d in dead} == {(space.topics.name(Topic.ORDERS), "kale")}
    assert len({(d["partition"], d["offset"]) for d in dead}) == 3
    assert database.order_ids() == ["o000", "o001"]
    rejection = database.rejection(message_id_of(stray))
    assert rejection is not None
    assert rejection.field == "buyer_id"


def test_a_message_delivered_twice_has_one_effect(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    workers(space, "solo")
    market = scenario(orders=2, tag=space.prefix)
    twice, sentinel = (m for m in market.book if body_of(m).get("buyer_id"))

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(m for m in market.book if m is not sentinel)
        pub.send(twice)  # the same message id again, on the same partition, then the sentinel
        pub.send(sentinel)
    contracts = database.wait_for_filled(market)
    # The sentinel's event follows the repeat's in the outbox, hence on the events topic.
    submitted = envelopes(
        read_topic(
            space,
            Topic.EVENTS,
            until=lambda r: any(
                e["type"] == "order.submitted" and e["body"]["id"] == "o001" for e in envelopes(r)
            ),
        )
    )

    assert [e["body"]["id"] for e in submitted if e["type"] == "order.submitted"].count("o000") == 1
    handled = "SELECT count(*) FROM inbox WHERE message_id = :mid"
    assert database.scalar(handled, mid=message_id_of(twice)) == 1
    assert [(c.order_id, c.quantity) for c in contracts if c.order_id == "o000"] == [("o000", 30)]


@pytest.mark.parametrize("batch", [1, 500])
def test_a_worker_killed_mid_stream_and_restarted_loses_and_duplicates_nothing(
    space: MarketSpace, database: Database, workers: StartWorker, batch: int
) -> None:
    space = tuned(space, FOODMATCH_BATCH_SIZE=str(batch))
    market = scenario(orders=60, crops=("kale", "morning_glory", "choy_sum"), tag=space.prefix)
    first = workers(space, "first")

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)

        def trickle() -> None:
            for m in market.book:
                pub.send(m)
                time.sleep(0.04)

        producing = threading.Thread(target=trickle)
        producing.start()
        wait_until(lambda: database.counts()["orders"] >= 12, 60, "a dozen orders stored")
        first.kill()
        stored_at_kill = database.counts()["orders"]
        workers(space, "second")
        producing.join(60)
    contracts = database.wait_for_filled(market, seconds=120)

    assert stored_at_kill < len(market.orders)  # the kill came mid-stream
    assert database.order_ids() == sorted(market.orders)
    submits = "SELECT count(*) FROM inbox WHERE kind = 'SubmitOrder'"
    assert database.scalar(submits) == len(market.orders)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)  # one contract each
    check_within_quantities(contracts, market)


def inbound_partitions(space: MarketSpace) -> set[str]:
    return {
        f"{space.topics.name(t)}:{p}" for t in INBOUND for p in range(space.topics.partitions_of(t))
    }


def test_two_workers_share_the_partitions_and_reach_the_contracts_of_one(
    new_space: Callable[[], MarketSpace], workers: StartWorker
) -> None:
    solo_space, duo_space = new_space(), new_space()
    market = scenario(orders=40, crops=("kale", "morning_glory", "choy_sum"), tag="same")
    workers(solo_space, "solo")
    pair = [workers(duo_space, "left"), workers(duo_space, "right")]
    wanted = inbound_partitions(duo_space)

    def shared() -> bool:
        latest = [w.assignments()[-1] if w.assignments() else [] for w in pair]
        mine = [set(names) & wanted for names in latest]
        return all(mine) and not (mine[0] & mine[1]) and (mine[0] | mine[1]) == wanted

    wait_until(shared, 90, "both workers to hold a share of the partitions")

    results = {}
    for space in (solo_space, duo_space):
        database = Database(space.database_url)
        try:
            with publisher(space) as pub:
                pub.send_many(market.participants)
                database.wait_for_participants(market)
                pub.send_many(market.book)
            results[space.prefix] = database.wait_for_filled(market)
        finally:
            database.close()

    solo, duo = results[solo_space.prefix], results[duo_space.prefix]
    assert contract_terms(duo) == contract_terms(solo)
    assert len(duo) == len(market.orders)
    check_within_quantities(duo, market)


def test_a_worker_joining_mid_stream_takes_over_partitions_without_losing_anything(
    space: MarketSpace, database: Database, workers: StartWorker
) -> None:
    market = scenario(orders=60, crops=("kale", "morning_glory", "choy_sum"), tag=space.prefix)
    first = workers(space, "first")
    first.wait_assigned()
    sent: list[WireMessage] = []

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)

        def trickle() -> None:
            for m in market.book:
                pub.send(m)
                sent.append(m)
                time.sleep(0.15)

        producing = threading.Thread(target=trickle)
        producing.start()
        wait_until(lambda: database.counts()["orders"] >= 5, 60, "five orders stored")
        joining = workers(space, "joining")
        joining.wait_assigned()
        sent_before_join = len(sent)
        producing.join(60)
    contracts = database.wait_for_filled(market, seconds=120)

    assert sent_before_join < len(market.book)  # the group rebalanced mid-stream
    assert len(first.assignments()) >= 2
    assert database.order_ids() == sorted(market.orders)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)
    check_within_quantities(contracts, market)
