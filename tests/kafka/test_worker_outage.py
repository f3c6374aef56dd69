"""A database outage under a running worker: messages wait and are retried, none is skipped,
and a worker stopped during the outage exits cleanly and leaves them for the next one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from tests.support.kafka_harness import (
    Database,
    MarketSpace,
    WorkerProcess,
    check_within_quantities,
    database_down,
    publisher,
    scenario,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]


def retried(worker: WorkerProcess, at_least: int = 1) -> bool:
    return worker.log().count("failed; retrying") >= at_least


def test_a_database_outage_delays_messages_but_loses_none_even_across_a_stop(
    space: MarketSpace, database: Database, workers: StartWorker, postgres_admin: Engine
) -> None:
    market = scenario(orders=6, tag=space.prefix)
    orders = [m for m in market.book if b'"order.submit"' in m.value]
    first_half, second_half = orders[:3], orders[3:]
    supply = [m for m in market.book if m not in orders]
    first = workers(space, "first")

    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        with database_down(postgres_admin, space.database_url):
            pub.send_many([*supply, *first_half])
            wait_until(lambda: retried(first), 30, "the worker to meet the outage")
        wait_until(lambda: database.counts()["orders"] == 3, 60, "the waiting orders")

        met = first.log().count("failed; retrying")  # the first outage may have retried often
        with database_down(postgres_admin, space.database_url):
            pub.send_many(second_half)
            wait_until(lambda: retried(first, met + 1), 30, "the worker to meet the second outage")
            assert first.stop() == 0
        assert "left for the next worker" in first.log()
        workers(space, "second")
        contracts = database.wait_for_filled(market, seconds=90)

    assert database.order_ids() == sorted(market.orders)
    assert sorted(c.order_id for c in contracts) == sorted(market.orders)
    check_within_quantities(contracts, market)
