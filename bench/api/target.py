"""Where a run of ``foodmatch bench api`` goes: the engine's target, checked before anything
starts; its database, migrated (on PostgreSQL a fresh one when the role may create it, dropped
afterwards); on the Kafka engine its own topics, deleted at the end."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processes import BenchError, drop_database

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bench.api.driving import Reporter
    from matcher.config import KafkaSettings


@dataclass(frozen=True, slots=True)
class Target:
    """Where an engine runs: its database URL (None: a temporary SQLite file) and broker."""

    engine: str
    database_url: str | None
    kafka: KafkaSettings | None = None


def target_for(engine: str, db: str | None, bootstrap: str | None) -> Target:
    """Check what ``engine`` needs before anything starts (BenchError with the reason)."""
    if engine == "inprocess":
        return Target(engine, db)
    if engine != "kafka":
        raise BenchError(f"unknown engine {engine!r}: inprocess, kafka or both")
    from pydantic import ValidationError

    from matcher.adapters.kafka.probe import BrokerUnreachable, probe
    from matcher.config import load_settings

    url = db or os.environ.get("FOODMATCH_DATABASE_URL", "").strip() or None
    if url is None:
        raise BenchError(
            "the Kafka engine needs PostgreSQL: pass --db postgresql://USER:PASSWORD@HOST/DB or "
            "set FOODMATCH_DATABASE_URL"
        )
    if is_sqlite(url):
        raise BenchError(
            f"the Kafka engine runs on PostgreSQL, not SQLite ({shown(url)}): pass --db "
            "postgresql://USER:PASSWORD@HOST/DB or set FOODMATCH_DATABASE_URL"
        )
    try:
        kafka = load_settings().kafka
    except ValidationError as err:
        raise BenchError(f"the FOODMATCH_* settings are invalid: {err}") from None
    if bootstrap:
        kafka = kafka.model_copy(update={"bootstrap_servers": bootstrap})
    try:
        probe(kafka.bootstrap_servers)
    except BrokerUnreachable as err:
        raise BenchError(
            f"{err}: start one with `bash deploy/kafka/kafka-up.sh`, or pass --bootstrap "
            "HOST:PORT (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)"
        ) from None
    return Target(engine, url, kafka)


def _reason(err: Exception) -> str:
    """A database error's message, each line once (psycopg repeats one per address tried)."""
    text = str(getattr(err, "orig", None) or err)
    return "\n".join(dict.fromkeys(line.rstrip() for line in text.strip().splitlines()))


def is_sqlite(url: str) -> bool:
    return url.strip().lower().startswith("sqlite")


def shown(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    label: str


@contextmanager
def database_for(given: str | None, tmp: Path, tag: str) -> Iterator[Database]:
    """The run's database, migrated: a temporary SQLite file when none is given; on PostgreSQL a
    fresh database when the role may create one (dropped afterwards), else the given one."""
    admin: Engine | None = None
    fresh: str | None = None
    if given is None:
        database = Database(f"sqlite:///{tmp / 'bench.db'}", "SQLite, a temporary file")
    elif is_sqlite(given):
        database = Database(given, f"SQLite {shown(given)} (rows left, ids tagged -{tag})")
    else:
        admin = _admin(given)
        database, fresh = _fresh_database(admin, given, tag)
    try:
        _migrate(database.url)
        yield database
    finally:
        if admin is not None:
            if fresh is not None:
                drop_database(admin, fresh)
            admin.dispose()


def _admin(given: str) -> Engine:
    """An engine on the given PostgreSQL URL that commits each statement, once it has answered."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.pool import NullPool

    from matcher.adapters.db.session import make_engine

    try:
        admin = make_engine(given, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as err:
        raise BenchError(f"cannot reach the database at {shown(given)}: {_reason(err)}") from None
    except Exception as err:
        raise BenchError(f"cannot use the database at {shown(given)}: {err}") from None
    return admin


def _fresh_database(admin: Engine, given: str, tag: str) -> tuple[Database, str | None]:
    """The run's own database and its name; the given one (and ``None``) when the role may not
    create a database."""
    from sqlalchemy.exc import DBAPIError

    from matcher.adapters.db.session import normalise_url

    name = f"foodmatch_bench_{tag}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except DBAPIError as err:
        reason = str(err.orig).strip().splitlines()[0]
        return Database(
            given,
            f"PostgreSQL {shown(given)} (could not create a database: {reason}; rows left, "
            f"ids tagged -{tag})",
        ), None
    url = normalise_url(given).set(database=name).render_as_string(hide_password=False)
    return Database(url, f"PostgreSQL, fresh database {name} (dropped afterwards)"), name


def _migrate(url: str) -> None:
    from sqlalchemy.exc import OperationalError

    from matcher.adapters.db.migrate import upgrade
    from matcher.adapters.db.session import make_engine

    engine = make_engine(url)
    try:
        upgrade(engine)
    except OperationalError as err:
        raise BenchError(f"cannot reach the database at {shown(url)}: {_reason(err)}") from None
    finally:
        engine.dispose()


@contextmanager
def run_topics(settings: KafkaSettings, tag: str, reporter: Reporter) -> Iterator[KafkaSettings]:
    """The Kafka settings on the run's own topic prefix, its topics created; deleted at the end
    (also when creating them failed)."""
    from matcher.adapters.kafka.broker import ensure_topics
    from matcher.adapters.kafka.probe import BrokerUnreachable

    kafka = settings.model_copy(update={"topic_prefix": f"foodmatch-bench-{tag}"})
    reporter.status(f"kafka: creating the topics {kafka.topic_prefix}.*")
    try:
        try:
            ensure_topics(kafka)
        except BrokerUnreachable as err:
            raise BenchError(str(err)) from None
        yield kafka
    finally:
        delete_topics(kafka)


def delete_topics(settings: KafkaSettings) -> None:
    """Delete the run's topics (and the worker group's internal ones): best effort."""
    from matcher.adapters.kafka.broker import admin

    prefix = settings.topic_prefix
    try:
        with admin(settings) as client:
            doomed = [
                name
                for name in client.list_topics()
                if name.startswith((f"{prefix}.", f"{prefix}-"))
            ]
            if doomed:
                client.delete_topics(doomed)
    except Exception as err:
        print(f"warning: could not delete the topics {prefix}.*: {err}", file=sys.stderr)
