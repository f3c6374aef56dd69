"""``foodmatch relay`` as a process of its own, with workers that do not relay
(``FOODMATCH_WORKER_RELAY=false``), as the compose file deploys them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher.adapters.topics import Topic
from tests.support.kafka_harness import (
    REPO,
    Database,
    MarketSpace,
    WorkerProcess,
    envelopes,
    publisher,
    read_topic,
    scenario,
    tuned,
    unpublished,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]


def test_the_relay_process_publishes_what_non_relaying_workers_commit(
    space: MarketSpace, database: Database, workers: StartWorker, tmp_path: Path
) -> None:
    quiet = tuned(space, FOODMATCH_WORKER_RELAY="false")
    worker = workers(quiet, "no-relay")
    market = scenario(orders=2, tag=space.prefix)
    with publisher(space) as pub:
        pub.send_many(market.participants)
        database.wait_for_participants(market)
        pub.send_many(market.book)
    contracts = database.wait_for_filled(market)
    assert worker.running
    assert unpublished(database) > 0  # nothing relays yet: the events wait in the outbox

    log = (tmp_path / "relay.log").open("wb")
    relay = subprocess.Popen(
        [sys.executable, "-m", "matcher", "relay"],
        cwd=REPO,
        env=space.worker_env(TMPDIR=str(tmp_path)),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: unpublished(database) == 0, 60, "the relay to drain the outbox")
        proposed = read_topic(space, Topic.CONTRACTS, until=lambda records: len(records) >= 2)
        bodies = [e["body"] for e in envelopes(proposed) if e["type"] == "contract.proposed"]
        assert sorted(b["id"] for b in bodies) == sorted(c.id for c in contracts)
    finally:
        relay.terminate()
        code = relay.wait(30)
        log.close()
    assert code == 0, (tmp_path / "relay.log").read_text()[-3000:]
    assert "relay stopped after" in (tmp_path / "relay.log").read_text()
