"""The PostgreSQL server tests create their databases on, named by ``FOODMATCH_TEST_POSTGRES_URL``
(see ``deploy/postgres/start-local.sh``; the role needs CREATEDB). Without the variable the tests
that need it are skipped, except in CI (``CI`` set), where they fail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine
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
