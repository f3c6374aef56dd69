"""Helpers of the Kafka tests: isolated markets, worker processes, producing and reading back.

A :class:`MarketSpace` is one isolated market: a topic prefix of its own and a PostgreSQL database
of its own, so that tests (and two markets in one test) never see each other's messages.
Workers run as separate processes (``python -m consumers.worker``) configured by environment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from fastapi.testclient import TestClient
from kafka import KafkaConsumer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from api.app import create_app
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.adapters.kafka.publisher import KafkaPublisher, create_topics, registry_of
from matcher.adapters.topics import Topic, TopicRegistry
from matcher.adapters.wire import WireMessage, encode_body
from matcher.config import KafkaSettings, Settings
from matcher.domain.contracts import Contract
from matcher.service.ports import ContractFilter, Rejection
from tests.support.api_keys import sign_in
from tests.support.market import (
    buyer_body,
    certificate_body,
    delivery_dates,
    group_body,
    order_body,
    supply_body,
    weeks_of,
)
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 3
ASSIGNED = "assigned partitions: "


@dataclass(frozen=True)
class MarketSpace:
    bootstrap: str
    prefix: str
    database_url: str
    partitions: int = PARTITIONS

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap_servers=self.bootstrap, topic_prefix=self.prefix, partitions=self.partitions
        )

    @property
    def topics(self) -> TopicRegistry:
        return registry_of(self.kafka)

    def create_topics(self) -> None:
        create_topics(self.kafka)

    def worker_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FOODMATCH_")}
        env.update(
            {
                "FOODMATCH_ENGINE": "kafka",
                "FOODMATCH_DATABASE_URL": self.database_url,
                "FOODMATCH_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap,
                "FOODMATCH_KAFKA__TOPIC_PREFIX": self.prefix,
                "FOODMATCH_KAFKA__PARTITIONS": str(self.partitions),
                "FOODMATCH_DEBOUNCE_SECONDS": "0.5",
                "FOODMATCH_MAX_DEBOUNCE_SECONDS": "5",
                "FOODMATCH_ROUND_INTERVAL_SECONDS": "0",
                "FOODMATCH_LOG_LEVEL": "INFO",
                "FOODMATCH_METRICS_PORT": "0",  # several workers per host: none unless asked
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env


REQUESTED_ROUNDS = {
    "FOODMATCH_DEBOUNCE_SECONDS": "3600",
    "FOODMATCH_MAX_DEBOUNCE_SECONDS": "3600",
}
"""Worker settings for tests that request every round themselves."""


@dataclass(frozen=True)
class TunedSpace(MarketSpace):
    """A market space whose workers get further settings."""

    settings: tuple[tuple[str, str], ...] = ()

    def worker_env(self, **extra: str) -> dict[str, str]:
        return super().worker_env(**(dict(self.settings) | extra))


@contextmanager
def api_on_kafka(
    space: MarketSpace, tmp_path: Path, name: str, **worker_settings: str
) -> Iterator[TestClient]:
    """The HTTP API on the Kafka engine, with one worker process (``worker_settings`` as its
    environment) assigned before the first request."""
    worker = WorkerProcess(tuned(space, **worker_settings), name, tmp_path).start()
    settings = Settings(
        engine="kafka", database_url=space.database_url, kafka=space.kafka.model_dump()
    )
    try:
        worker.wait_assigned()
        with TestClient(create_app(settings)) as client:
            sign_in(client)
            yield client
    finally:
        worker.stop()


class WorkerProcess:
    """``python -m consumers.worker`` in a process of its own, its output in a log file."""

    def __init__(self, space: MarketSpace, worker_id: str, log_dir: Path) -> None:
        self.space = space
        self.worker_id = worker_id
        self.log_path = log_dir / f"{worker_id}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> WorkerProcess:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "consumers.worker", "--worker-id", self.worker_id],
            cwd=REPO,
            # faust makes an (empty) data directory under the temporary directory: keep it here.
            env=self.space.worker_env(TMPDIR=str(self.log_path.parent)),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no commit of offsets, no goodbye to the group."""
        if self.process is not None and self.running:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``timeout``); returns the exit code."""
        if self.process is None:
            return None
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._close_log()
        return self.process.returncode

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def assignments(self) -> list[list[str]]:
        """Every partition assignment the worker logged, oldest first."""
        found: list[list[str]] = []
        for line in self.log().splitlines():
            _, marker, names = line.partition(ASSIGNED)
            if marker:
                found.append(json.loads(names.strip()))
        return found

    def wait_assigned(self, seconds: float = 60.0) -> list[str]:
        def assigned() -> list[str] | None:
            assert self.running, f"worker {self.worker_id} exited:\n{self.log()[-3000:]}"
            done = self.assignments()
            return done[-1] if done else None

        result: list[str] = wait_until(assigned, seconds, f"{self.worker_id} to join the group")
        return result

    def __repr__(self) -> str:
        return f"WorkerProcess({self.worker_id!r}, running={self.running})"


def wait_until(check: Callable[[], Any], seconds: float, what: str, every: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}; last saw {found!r}")
        time.sleep(every)


# What goes onto the topics --------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """Participants, then a book of supply and orders; every order can be filled by exactly
    one supply (one per crop, with room for every order), so any sequence of rounds gives the
    same contracts."""

    participants: tuple[WireMessage, ...]
    book: tuple[WireMessage, ...]
    orders: dict[str, dict[str, Any]]
    supply: dict[str, dict[str, Any]]


def message(kind: str, body: dict[str, Any], tag: str) -> WireMessage:
    return encode_body(kind, body, f"{tag}-{kind}-{body.get('id', '')}", "kafka-test")


def scenario(
    orders: int, *, crops: tuple[str, ...] = ("kale",), tag: str = "t", buyers: int = 2
) -> Scenario:
    days = delivery_dates(3)
    people: list[WireMessage] = []
    for n in range(buyers):
        people.append(message("buyer.register", buyer_body(f"b{n}"), tag))
    supply: dict[str, dict[str, Any]] = {}
    for crop in crops:
        gid = f"g-{crop}"
        people.append(message("group.register", group_body(gid), tag))
        people.append(message("certificate.register", certificate_body(f"c-{gid}", gid), tag))
        supply[f"s-{crop}"] = supply_body(
            f"s-{crop}", gid, crop_id=crop, weeks=weeks_of(days, 100_000)
        )
    wanted = {
        f"o{n:03d}": order_body(
            f"o{n:03d}",
            f"b{n % buyers}",
            crop_id=crops[n % len(crops)],
            deliveries=days,
            quantity=10 + n,
        )
        for n in range(orders)
    }
    book = [message("supply.announce", body, tag) for body in supply.values()]
    book += [message("order.submit", body, tag) for body in wanted.values()]
    return Scenario(tuple(people), tuple(book), wanted, supply)


@contextmanager
def publisher(space: MarketSpace) -> Iterator[KafkaPublisher]:
    pub = KafkaPublisher(space.kafka, client_id=f"test-{space.prefix}")
    try:
        yield pub
    finally:
        pub.close()


# Reading back ---------------------------------------------------------------------------


def read_topic(
    space: MarketSpace,
    topic: Topic,
    until: Callable[[list[Any]], bool],
    seconds: float = 60.0,
) -> list[Any]:
    """Records of ``topic`` from the beginning, until ``until(records)`` holds."""
    consumer = KafkaConsumer(
        space.topics.name(topic),
        bootstrap_servers=space.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
    )
    records: list[Any] = []
    deadline = time.monotonic() + seconds
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{topic.value}: waited {seconds} s, got {len(records)} records"
                )
            records.extend(consumer)
    finally:
        consumer.close()
    return records


def envelopes(records: Iterable[Any]) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in records]


class Database:
    """Reads of one market's PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def _uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, read_only=True)

    def counts(self) -> dict[str, int]:
        with self._uow() as uow:
            return {
                "groups": len(uow.groups.list()),
                "buyers": len(uow.buyers.list()),
                "certificates": len(uow.certificates.list()),
                "supply": len(uow.supply.list()),
                "orders": len(uow.orders.list()),
            }

    def order_ids(self) -> list[str]:
        with self._uow() as uow:
            return sorted(r.order.id for r in uow.orders.list())

    def contracts(self) -> list[Contract]:
        with self._uow() as uow:
            return list(uow.contracts.list(ContractFilter(limit=100_000)))

    def rejection(self, message_id: str) -> Rejection | None:
        with self._uow() as uow:
            return uow.inbox.rejection(message_id)

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar()

    def wait_for_participants(self, scenario: Scenario, seconds: float = 60.0) -> None:
        kinds = {"group.register": "groups", "buyer.register": "buyers"}
        kinds["certificate.register"] = "certificates"
        wanted: dict[str, int] = {}
        for m in scenario.participants:
            name = kinds[json.loads(m.value)["type"]]
            wanted[name] = wanted.get(name, 0) + 1

        def arrived() -> bool:
            counts = self.counts()
            return all(counts[k] >= n for k, n in wanted.items())

        wait_until(arrived, seconds, "the participants to be stored")

    def wait_for_filled(self, scenario: Scenario, seconds: float = 90.0) -> list[Contract]:
        """Wait until every order of ``scenario`` is stored and fully under contract."""

        def filled() -> list[Contract] | None:
            contracts = self.contracts()
            got = sum(c.quantity for c in contracts)
            want = sum(o["quantity"] * len(o["deliveries"]) for o in scenario.orders.values())
            return contracts if got >= want else None

        found: list[Contract] = wait_until(filled, seconds, "every order to be under contract")
        return found


def contract_terms(contracts: Iterable[Contract]) -> list[tuple[Any, ...]]:
    """What a contract says, without its ids and timestamps."""
    return sorted(
        (
            c.order_id,
            c.buyer_id,
            c.group_id,
            c.supply_id,
            c.unit_price,
            tuple((d.day, d.quantity) for d in c.deliveries),
        )
        for c in contracts
    )


def check_within_quantities(contracts: list[Contract], scenario: Scenario) -> None:
    """No order gets more than it asked for on a day; no supply gives more than it has."""
    per_order_day: dict[tuple[str, date], int] = {}
    per_supply_week: dict[tuple[str, str], int] = {}
    for c in contracts:
        for d in c.deliveries:
            per_order_day[(c.order_id, d.day)] = per_order_day.get((c.order_id, d.day), 0)
            per_order_day[(c.order_id, d.day)] += d.quantity
            per_supply_week[(c.supply_id, d.week)] = per_supply_week.get((c.supply_id, d.week), 0)
            per_supply_week[(c.supply_id, d.week)] += d.quantity
    for (order_id, _), quantity in per_order_day.items():
        assert quantity <= scenario.orders[order_id]["quantity"], (order_id, quantity)
    for (supply_id, week), quantity in per_supply_week.items():
        assert quantity <= scenario.supply[supply_id]["weeks"][week], (supply_id, week, quantity)


# Faults: a broker of a test's own, outages, what must hold afterwards --------------------------

KAFKA_SCRIPTS = REPO / "deploy" / "kafka"


class KafkaBroker:
    """A broker of one test module's own: ``deploy/kafka/kafka-up.sh`` with a state dir of its own
    on free ports, which a test may stop (``kafka-down.sh``, state kept) and start again on the
    same ports and state. Never the shared broker."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self, script: str, *args: str, timeout: float = 150.0) -> None:
        env = dict(os.environ)
        env.update(
            {
                "FOODMATCH_KAFKA_HOME": str(self.home),
                "FOODMATCH_KAFKA_PORT": str(self.port),
                "FOODMATCH_KAFKA_CONTROLLER_PORT": str(self.controller_port),
            }
        )
        done = subprocess.run(
            ["bash", str(KAFKA_SCRIPTS / script), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"{script} {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def start(self) -> None:
        """Start (or find running) and wait until it answers."""
        self._run("kafka-up.sh")

    def stop(self, *, purge: bool = False) -> None:
        """Controlled shutdown; ``purge`` also deletes the state dir."""
        self._run("kafka-down.sh", *(["--purge"] if purge else []), timeout=60.0)


@contextmanager
def database_down(admin: Engine, url: str) -> Iterator[None]:
    """No connection to the database at ``url`` succeeds inside the block (``admin``: an engine
    on another database of the same server)."""
    name = make_url(url).database
    with admin.connect() as connection:
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        connection.exec_driver_sql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


def tuned(space: MarketSpace, **settings: str) -> TunedSpace:
    """``space`` whose workers get further ``FOODMATCH_*`` settings (added to those it has)."""
    earlier = dict(space.settings) if isinstance(space, TunedSpace) else {}
    return TunedSpace(
        space.bootstrap,
        space.prefix,
        space.database_url,
        space.partitions,
        tuple((earlier | settings).items()),
    )


@contextmanager
def kafka_api(space: MarketSpace, **settings: Any) -> Iterator[TestClient]:
    """The HTTP API on the Kafka engine of ``space`` (no worker of its own), signed in as a
    coordinator; ``settings`` are further :class:`Settings` fields."""
    config = Settings(
        engine="kafka",
        database_url=space.database_url,
        kafka=space.kafka.model_dump(),
        **settings,
    )
    with TestClient(create_app(config)) as client:
        sign_in(client)
        yield client


def group_lag(space: MarketSpace) -> int:
    """Messages on the inbound topics that the workers' group has not committed yet."""
    from consumers.lag import KafkaOffsetSource, inbound_names, lag_samples

    names = inbound_names(space.topics)
    source = KafkaOffsetSource(space.bootstrap, f"{space.prefix}-worker", names)
    try:
        return sum(sample.lag for sample in lag_samples(names, source.offsets()))
    finally:
        source.close()


def unpublished(database: Database) -> int:
    """Outbox events not relayed yet."""
    return int(database.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


def table_counts(database: Database) -> dict[str, int]:
    """Rows of the tables that commands and rounds write."""
    from sqlalchemy import text

    tables = "groups buyers certificates supply orders contracts contract_deliveries rounds"
    tables += " inbox rejections outbox"
    # One snapshot: a command or round committing meanwhile shows in every count or in none.
    with database.engine.connect().execution_options(
        isolation_level="REPEATABLE READ"
    ) as connection:
        return {
            t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
            for t in tables.split()
        }


def check_contracts_consistent(database: Database) -> list[Contract]:
    """What must hold whatever failed on the way, read from the database alone: no (order,
    delivery date) is contracted above the order's quantity, no supply week above the supply's,
    and every contract belongs to a stored round whose record lists exactly that round's
    contracts (no half-written round). Returns the contracts."""
    from matcher.domain.contracts import DeliveryState

    with database._uow() as uow:
        orders = {r.order.id: r.order for r in uow.orders.list()}
        supply = {r.supply.id: r.supply for r in uow.supply.list()}
        contracts = list(uow.contracts.list(ContractFilter(limit=100_000)))
        rounds = list(uow.rounds.list(limit=100_000))
    per_order_day: dict[tuple[str, date], int] = {}
    per_supply_week: dict[tuple[str, str], int] = {}
    for c in contracts:
        for d in c.deliveries:
            if d.state is DeliveryState.RELEASED:
                continue
            per_order_day[(c.order_id, d.day)] = per_order_day.get((c.order_id, d.day), 0)
            per_order_day[(c.order_id, d.day)] += d.quantity
            per_supply_week[(c.supply_id, d.week)] = per_supply_week.get((c.supply_id, d.week), 0)
            per_supply_week[(c.supply_id, d.week)] += d.quantity
    for (order_id, day), quantity in per_order_day.items():
        order = orders[order_id]
        assert day in order.deliveries, (order_id, day, quantity)
        assert quantity <= order.quantity, (order_id, day, quantity)
    for (supply_id, week), quantity in per_supply_week.items():
        assert quantity <= supply[supply_id].quantities.get(week, 0), (supply_id, week, quantity)
    listed = {r.id: sorted(r.contract_ids) for r in rounds}
    made: dict[str, list[str]] = {}
    for c in contracts:
        made.setdefault(c.round_id, []).append(c.id)
    unrecorded = set(made) - set(listed)
    assert not unrecorded, f"contracts of rounds never recorded: {unrecorded}"
    for round_id, ids in listed.items():
        assert sorted(made.get(round_id, [])) == ids, f"round {round_id} is half-written"
    return contracts
