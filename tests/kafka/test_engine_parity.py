"""Engine parity: the same Songkhla scenario through the in-process engine and through Kafka."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.messages import WIRE_TYPES, Message, scenario_messages, to_command
from matcher.adapters.wire import encode_body
from matcher.bootstrap import bootstrap
from matcher.config import Settings
from matcher.scenario import season_start, songkhla_instance
from matcher.service.commands import RunMatchingRound
from matcher.service.ports import ContractFilter
from matcher.service.rounds import round_id_for
from tests.support.kafka_harness import (
    Database,
    MarketSpace,
    WorkerProcess,
    contract_terms,
    publisher,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

NO_AUTOMATIC_ROUNDS = {
    "FOODMATCH_DEBOUNCE_SECONDS": "3600",
    "FOODMATCH_MAX_DEBOUNCE_SECONDS": "3600",
    "FOODMATCH_ROUND_INTERVAL_SECONDS": "0",
}


@dataclass(frozen=True)
class QuietSpace(MarketSpace):
    """A market space whose workers run rounds only on request."""

    def worker_env(self, **extra: str) -> dict[str, str]:
        return super().worker_env(**(NO_AUTOMATIC_ROUNDS | extra))


def songkhla_messages() -> list[Message]:
    raw = songkhla_instance(weeks=3, seed=5, start=season_start(date.today()))
    return list(scenario_messages(raw, "parity", seed=5))


def through_the_inprocess_engine(messages: list[Message], db_path: Path) -> list[Any]:
    settings = Settings(
        database_url=f"sqlite:///{db_path}",
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
    )
    service = bootstrap(settings)
    service.engine.start_sync()
    try:
        for m in messages:
            service.engine.execute_sync(to_command(m.kind, m.body, m.message_id))
        service.engine.execute_sync(RunMatchingRound(message_id="parity-round"))
        with service.read_uow_factory() as uow:
            return contract_terms(uow.contracts.list(ContractFilter(limit=1_000_000)))
    finally:
        service.engine.stop_sync()
        service.close()


def through_kafka(messages: list[Message], space: MarketSpace, database: Database) -> list[Any]:
    wire = [encode_body(WIRE_TYPES[m.kind], m.body, m.message_id, "parity") for m in messages]
    pairs = list(zip(messages, wire, strict=True))
    participants = [w for m, w in pairs if m.kind in ("groups", "buyers", "certificates")]
    book = [w for m, w in pairs if m.kind in ("supply", "orders")]
    kinds = {k: sum(1 for m in messages if m.kind == k) for k in WIRE_TYPES}
    with publisher(space) as pub:
        pub.send_many(participants)
        wait_until(
            lambda: _stored(database, ("groups", "buyers", "certificates"), kinds),
            90,
            "the participants to be registered",
        )
        pub.send_many(book)
        wait_until(lambda: _stored(database, ("supply", "orders"), kinds), 120, "the book")
        pub.send(encode_body("round.request", {"crops": []}, "parity-round", "parity"))
    wanted = round_id_for("parity-round")
    wait_until(lambda: database.scalar("SELECT count(*) FROM rounds WHERE id = :i", i=wanted), 120,
               "the requested round")  # fmt: skip
    sessions = make_session_factory(make_engine(space.database_url))
    with SqlUnitOfWork(sessions, read_only=True) as uow:
        return contract_terms(uow.contracts.list(ContractFilter(limit=1_000_000)))


def _stored(database: Database, kinds: tuple[str, ...], expected: dict[str, int]) -> bool:
    counts = database.counts()
    return all(counts.get(kind, 0) >= expected[kind] for kind in kinds)


def test_the_songkhla_scenario_gives_the_same_contracts_on_both_engines(
    new_database: Callable[[], str], kafka_bootstrap: str, tmp_path: Path
) -> None:
    messages = songkhla_messages()
    space = QuietSpace(kafka_bootstrap, f"p{uuid.uuid4().hex[:10]}", new_database())
    space.create_topics()
    database = Database(space.database_url)
    worker = WorkerProcess(space, "parity-worker", tmp_path).start()
    try:
        worker.wait_assigned()
        on_kafka = through_kafka(messages, space, database)
    finally:
        worker.stop()
        database.close()
    inprocess = through_the_inprocess_engine(messages, tmp_path / "inprocess.db")

    assert len(inprocess) > 50
    assert on_kafka == inprocess


@pytest.fixture(scope="module")
def inprocess_contracts(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    db = tmp_path_factory.mktemp("parity") / "inprocess.db"
    return through_the_inprocess_engine(songkhla_messages(), db)


@pytest.mark.parametrize("count", [1, 2, 4])
def test_one_two_or_four_workers_on_eight_partitions_make_the_same_contracts(
    count: int,
    inprocess_contracts: list[Any],
    new_database: Callable[[], str],
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    """Workers share the partitions of every inbound topic (8 here); whichever worker handles a
    message, and however the group rebalances while they join, the book and the contracts of
    the requested round are those of the embedded engine."""
    space = QuietSpace(kafka_bootstrap, f"w{uuid.uuid4().hex[:10]}", new_database(), 8)
    space.create_topics()
    database = Database(space.database_url)
    started = [WorkerProcess(space, f"parity-{count}-{n}", tmp_path) for n in range(count)]
    try:
        for worker in started:
            worker.start()
        for worker in started:
            worker.wait_assigned()
        on_kafka = through_kafka(songkhla_messages(), space, database)
    finally:
        for worker in started:
            worker.stop()
        database.close()

    assert len(on_kafka) > 50
    assert on_kafka == inprocess_contracts
