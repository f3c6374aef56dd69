"""Alembic, configured in code: the migrations live in this package (no ``alembic.ini`` needed).

``upgrade(url_or_engine)`` brings a database to the newest schema; ``current_revision(engine)``
says where it is. On SQLite, foreign keys are switched off while migrating (batch migrations
rebuild tables, and a rebuilt table must not cascade deletes into its children), and checked
before the migration commits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from matcher.adapters.db.session import SQLITE_BEGIN_OPTION, make_engine, normalise_url

MIGRATIONS = Path(__file__).resolve().with_name("migrations")


class MigrationError(RuntimeError):
    """A migration left the database inconsistent (for example a dangling foreign key)."""


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations (and ``url`` if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        text = normalise_url(url).render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", text.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision of the packaged migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise MigrationError("the migration folder has no revision")
    return head


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction, committed on success, fit to run migrations on."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest). Safe to run again."""
    if isinstance(url_or_engine, Engine):
        _upgrade_on(url_or_engine, revision)
        return
    engine = make_engine(url_or_engine, poolclass=NullPool)
    try:
        _upgrade_on(engine, revision)
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_sql(url: str | URL, revision: str = "head") -> str:
    """The SQL an upgrade to ``revision`` would run, rendered offline for ``url``'s dialect."""
    config = alembic_config(url)
    buffer = io.StringIO()
    config.output_buffer = buffer
    command.upgrade(config, revision, sql=True)
    return buffer.getvalue()


def _upgrade_on(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _sqlite_pragma(connection: Connection, statement: str) -> None:
    """Run a PRAGMA outside any transaction (SQLite ignores foreign_keys inside one)."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _check_foreign_keys(connection: Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise MigrationError(f"foreign keys broken by the migration: {problems[:5]}")
