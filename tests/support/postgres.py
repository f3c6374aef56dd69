"""The PostgreSQL server tests create their databases on, named by ``FOODMATCH_TEST_POSTGRES_URL``
(see ``deploy/postgres/start-local.sh``; the role needs CREATEDB). Without the variable the tests
that need it are skipped, except in CI (``CI`` set), where they fail."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from matcher.adapters.db.session import make_engine

POSTGRES_ENV = "FOODMATCH_TEST_POSTGRES_URL"


@contextmanager
def admin_engine() -> Iterator[Engine]:
    """An autocommit engine on the server named by the environment, to create test databases."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: set {POSTGRES_ENV}")
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (deploy/postgres/start-local.sh)")
    engine = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


DROP_ATTEMPTS = 5


def drop_database(admin: Engine, name: str) -> None:
    """Drop a test database, ending the sessions still in it. Tried again a few times, a second
    apart: a background process of the server (autovacuum after a test's many updates) may
    still work in it, and the test role may not end it until it is done."""
    for attempt in range(1, DROP_ATTEMPTS + 1):
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except DBAPIError:
            if attempt == DROP_ATTEMPTS:
                raise
            time.sleep(1)
        else:
            return
