"""Fixtures of the Kafka tests: the broker, and an isolated market (topics + database) per test.

The broker comes from ``FOODMATCH_TEST_KAFKA_BOOTSTRAP`` (``bash deploy/kafka/kafka-up.sh``
prints it); PostgreSQL from ``FOODMATCH_TEST_POSTGRES_URL`` (see tests/support/postgres.py).
Without them the tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine
from tests.support.kafka_harness import Database, MarketSpace, WorkerProcess
from tests.support.postgres import POSTGRES_ENV, admin_engine, drop_database

KAFKA_ENV = "FOODMATCH_TEST_KAFKA_BOOTSTRAP"


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    """The address of a Kafka broker that answers."""
    servers = os.environ.get(KAFKA_ENV, "").strip()
    if not servers:
        if os.environ.get("CI"):
            pytest.fail(f"a Kafka broker is required in CI: set {KAFKA_ENV}")
        pytest.skip(f"Kafka tests need {KAFKA_ENV} (bash deploy/kafka/kafka-up.sh)")
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=servers,
            client_id="foodmatch-test-check",
            request_timeout_ms=5_000,
            bootstrap_timeout_ms=5_000,
        )
        try:
            admin.list_topics()
        finally:
            admin.close()
    except Exception as err:
        pytest.fail(f"no Kafka broker answers at {servers} ({KAFKA_ENV}): {err!r}")
    return servers


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    with admin_engine() as engine:
        yield engine


@pytest.fixture
def new_database(postgres_admin: Engine) -> Iterator[Callable[[], str]]:
    """Makes PostgreSQL databases at the newest schema (dropped when the test ends)."""
    made: list[str] = []
    base = make_url(os.environ[POSTGRES_ENV].strip())

    def make() -> str:
        name = f"foodmatch_k_{uuid.uuid4().hex[:12]}"
        with postgres_admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        url = base.set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url, poolclass=NullPool)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        return url

    yield make
    for name in made:
        drop_database(postgres_admin, name)


@pytest.fixture
def new_space(
    kafka_bootstrap: str, new_database: Callable[[], str]
) -> Iterator[Callable[[], MarketSpace]]:
    """Makes isolated markets: a unique topic prefix (topics created) and a database each.

    Their topics, and the group's internal ones, are deleted when the test ends.
    """
    made: list[MarketSpace] = []

    def make() -> MarketSpace:
        space = MarketSpace(kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}", new_database())
        space.create_topics()
        made.append(space)
        return space

    yield make
    if made:
        delete_topics(kafka_bootstrap, tuple(s.prefix for s in made))


def delete_topics(servers: str, prefixes: tuple[str, ...]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=servers, client_id="foodmatch-test-cleanup")
    try:
        doomed = [
            name
            for name in admin.list_topics()
            if any(name.startswith((f"{p}.", f"{p}-")) for p in prefixes)
        ]
        if doomed:
            admin.delete_topics(doomed)
    except Exception as err:  # cleanup is best effort: a leftover topic harms no other test
        warnings.warn(f"could not delete the test topics {prefixes}: {err!r}", stacklevel=1)
    finally:
        admin.close()


@pytest.fixture
def space(new_space: Callable[[], MarketSpace]) -> MarketSpace:
    return new_space()


@pytest.fixture
def database(space: MarketSpace) -> Iterator[Database]:
    db = Database(space.database_url)
    yield db
    db.close()


@pytest.fixture
def workers(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[MarketSpace, str], WorkerProcess]]:
    """Starts worker processes; stops them at the end and shows their logs if the test failed."""
    started: list[WorkerProcess] = []

    def start(space: MarketSpace, worker_id: str) -> WorkerProcess:
        worker = WorkerProcess(space, worker_id, tmp_path).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        for worker in started:
            print(f"\n----- log of worker {worker.worker_id} (last lines) -----")
            print(worker.log()[-6000:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)
