"""Alembic environment: runs the packaged migrations online (on a given or new connection) or
offline (rendering SQL for the configured URL). Configured by :mod:`matcher.adapters.db.migrate`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from matcher.adapters.db.migrate import migration_connection
from matcher.adapters.db.session import make_engine, normalise_url
from matcher.adapters.db.tables import metadata

config = context.config


def _configured_url() -> str:
    """``sqlalchemy.url`` when set, else the application's database (``FOODMATCH_DATABASE_URL``)."""
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from matcher.config import load_settings

    return load_settings().database_url


def run_offline() -> None:
    url = normalise_url(_configured_url())
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:
        run_on(given)
        return
    engine = make_engine(_configured_url(), poolclass=NullPool)
    try:
        with migration_connection(engine) as connection:
            run_on(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
