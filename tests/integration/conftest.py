"""Databases for integration tests: a SQLite file, or a fresh PostgreSQL database, per test.

PostgreSQL comes from ``FOODMATCH_TEST_POSTGRES_URL`` (see ``deploy/postgres/start-local.sh``);
the role needs CREATEDB. Each test gets a database of its own, dropped afterwards. Without the
variable the PostgreSQL tests are skipped, except in CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from tests.support.postgres import POSTGRES_ENV, admin_engine, drop_database


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'foodmatch.db'}"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    with admin_engine() as engine:
        yield engine


@pytest.fixture
def postgres_url(postgres_admin: Engine) -> Iterator[str]:
    """The URL of a new, empty database, dropped when the test ends."""
    name = f"foodmatch_t_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(os.environ[POSTGRES_ENV].strip())
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        drop_database(postgres_admin, name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest schema."""
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def uow_factory(sessions: sessionmaker[Session]) -> Callable[[], SqlUnitOfWork]:
    def factory() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions)

    return factory
