"""Where one measurement of ``bench stream`` runs: a fresh PostgreSQL database on the --db server
(``<db>_bench_<tag>``, dropped at the end unless kept) and a fresh topic prefix of 8 partitions
(deleted at the end unless kept); the broker and the server checked before anything starts."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from bench.processes import BenchError, Child, drop_database
from bench.stream.options import PARTITIONS

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from matcher.adapters.wire import WireMessage
    from matcher.config import KafkaSettings

POLL_SECONDS = 0.2


def shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url


def _reason(err: Exception) -> str:
    text = str(getattr(err, "orig", None) or err)
    return "\n".join(dict.fromkeys(line.rstrip() for line in text.strip().splitlines()))


def admin_engine(url: str) -> Engine:
    """An autocommit engine on the --db server, once it has answered as PostgreSQL."""
    from sqlalchemy import text
    from sqlalchemy.pool import NullPool

    from matcher.adapters.db.session import make_engine

    try:
        engine = make_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            version = str(connection.execute(text("SELECT version()")).scalar() or "")
    except Exception as err:
        raise BenchError(f"cannot reach the database at {shown(url)}: {_reason(err)}") from None
    if not version.startswith("PostgreSQL"):
        engine.dispose()
        raise BenchError(f"the database at {shown(url)} is not PostgreSQL ({version[:60]})")
    return engine


def check_broker(bootstrap: str) -> None:
    from matcher.adapters.kafka.probe import BrokerUnreachable, probe

    try:
        probe(bootstrap)
    except BrokerUnreachable as err:
        raise BenchError(
            f"{err}: start one with `bash deploy/kafka/kafka-up.sh`, or pass --bootstrap "
            "HOST:PORT (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)"
        ) from None


@contextmanager
def fresh_database(
    admin: Engine, server_url: str, tag: str, *, keep: bool = False, migrate: bool = True
) -> Iterator[str]:
    """The URL of a new database ``<db>_bench_<tag>`` (migrated unless ``migrate`` is off),
    dropped at the end unless ``keep``."""
    from sqlalchemy.engine import make_url

    from matcher.adapters.db.session import make_engine, normalise_url

    base = make_url(server_url).database or "foodmatch"
    name = f"{base}_bench_{tag}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except Exception as err:
        raise BenchError(
            f"cannot create the database {name} on {shown(server_url)}: {_reason(err)} "
            "(the role needs CREATEDB)"
        ) from None
    url = normalise_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            from matcher.adapters.db.migrate import upgrade

            engine = make_engine(url)
            try:
                upgrade(engine)
            finally:
                engine.dispose()
        yield url
    finally:
        if keep:
            print(f"kept: database {name}", file=sys.stderr)
        else:
            drop_database(admin, name)


@contextmanager
def fresh_topics(bootstrap: str, tag: str, *, keep: bool = False) -> Iterator[KafkaSettings]:
    """Kafka settings on the prefix ``foodmatch-bench-<tag>`` (8 partitions), topics created;
    deleted at the end unless ``keep``."""
    from matcher.adapters.kafka.broker import ensure_topics
    from matcher.adapters.kafka.probe import BrokerUnreachable
    from matcher.config import load_settings

    settings = load_settings().kafka.model_copy(
        update={
            "bootstrap_servers": bootstrap,
            "topic_prefix": f"foodmatch-bench-{tag}",
            "partitions": PARTITIONS,
        }
    )
    try:
        try:
            ensure_topics(settings)
        except BrokerUnreachable as err:
            raise BenchError(str(err)) from None
        yield settings
    finally:
        if keep:
            print(f"kept: topics {settings.topic_prefix}.*", file=sys.stderr)
        else:
            from bench.api.target import delete_topics

            delete_topics(settings)


def publish(settings: KafkaSettings, messages: Iterable[WireMessage]) -> int:
    """Send ``messages`` and wait until the broker has them all."""
    from matcher.adapters.kafka.broker import open_publisher

    publisher = open_publisher(settings, client_id="foodmatch-bench-stream")
    try:
        sent = publisher.send_many(messages)
        publisher.flush()
        return sent
    finally:
        publisher.close()


class Counter:
    """Counts rows of the run's database with one SQL statement (0 while its table is missing)."""

    def __init__(self, url: str, sql: str) -> None:
        from sqlalchemy import text

        from matcher.adapters.db.session import make_engine

        self.engine = make_engine(url)
        self.sql = text(sql)

    def __call__(self) -> int:
        from sqlalchemy.exc import ProgrammingError

        try:
            with self.engine.connect() as connection:
                return int(connection.execute(self.sql).scalar() or 0)
        except ProgrammingError:  # the reference consumer has not made its tables yet
            return 0

    def close(self) -> None:
        self.engine.dispose()


def check_running(children: Iterable[Child]) -> None:
    for child in children:
        if not child.running:
            raise child.exited()


def wait_count(
    count: Callable[[], int],
    total: int,
    children: list[Child],
    status: Callable[[str], None],
    stall_seconds: float = 180.0,
) -> None:
    """Poll ``count`` every 0.2 s until it reaches ``total``. BenchError when a child exits or
    nothing moves for ``stall_seconds``."""
    last_change = time.monotonic()
    seen = 0
    while True:
        check_running(children)
        now_count = count()
        now = time.monotonic()
        if now_count != seen:
            seen, last_change = now_count, now
        if seen >= total:
            return
        if now - last_change > stall_seconds:
            tails = "\n".join(f"-- {c.name}:\n{c.tail()}" for c in children)
            raise BenchError(
                f"no progress for {stall_seconds:.0f} s at {seen}/{total} handled; last lines:\n"
                f"{tails}"
            )
        status(f"{seen:,}/{total:,} handled")
        time.sleep(POLL_SECONDS)


def span_rate(url: str, table: str, where: str, started: float) -> float:
    """Messages/s from the handling times of ``table``'s rows: the span from the first row's
    time to the last row's covers every batch but the last, so the rows of the last time are
    left out of the count. One time only (a single batch): all rows over the time from
    ``started`` (a UNIX time, when the consumer was started) to that time, a lower bound."""
    from sqlalchemy import text

    from matcher.adapters.db.session import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            first, last, total = connection.execute(
                text(f"SELECT min(handled_at), max(handled_at), count(*) FROM {table} {where}")
            ).one()
            if first is None:
                return 0.0
            at_last = connection.execute(
                text(f"SELECT count(*) FROM {table} {where} AND handled_at = :last"),
                {"last": last},
            ).scalar_one()
    finally:
        engine.dispose()
    seconds = float((last - first).total_seconds())
    if seconds > 0:
        return float(total - at_last) / seconds
    return float(total) / max(float(last.timestamp()) - started, 1e-3)
