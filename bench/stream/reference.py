"""The minimal reference consumer of ``bench stream``: a faust app with one agent on the orders
topic that takes what is ready (``stream.take(500, within=0.05)``) and writes each batch in one
PostgreSQL transaction (psycopg 3): an inbox row per message (its message id, unique; a repeat is
skipped) and an order row, then commits; faust commits the offsets as usual. No domain, no
rounds, no outbox: what the same machine, broker and database server do at the least.

    python -m bench.stream.reference --bootstrap B --db URL --topic T --group G

It runs until stopped (SIGTERM or Ctrl-C)."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

INBOX = "bench_reference_inbox"
ORDERS = "bench_reference_orders"
TABLES = (
    f"CREATE TABLE IF NOT EXISTS {INBOX} (message_id text PRIMARY KEY, "
    "handled_at timestamptz NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {ORDERS} (id text PRIMARY KEY, buyer_id text NOT NULL, "
    "crop_id text NOT NULL, quantity integer NOT NULL, body jsonb NOT NULL)",
)


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}://{rest}"


def ensure_tables(url: str) -> None:
    import psycopg

    with psycopg.connect(conninfo(url), autocommit=True) as connection:
        for statement in TABLES:
            connection.execute(statement)


def rows_of(values: Sequence[bytes]) -> tuple[list[tuple[str, datetime]], list[tuple[Any, ...]]]:
    """The inbox and order rows of a batch of wire values (a value that is not an order
    envelope is skipped)."""
    now = datetime.now(UTC)
    inbox: list[tuple[str, datetime]] = []
    orders: list[tuple[Any, ...]] = []
    for value in values:
        try:
            envelope = json.loads(value)
            body = envelope["body"]
            row = (
                str(body["id"]),
                str(body["buyer_id"]),
                str(body["crop_id"]),
                int(body["quantity"]),
                json.dumps(body),
            )
            inbox.append((str(envelope["message_id"]), now))
        except (ValueError, KeyError, TypeError):
            continue
        orders.append(row)
    return inbox, orders


async def write_batch(connection: Any, values: Sequence[bytes]) -> None:
    """One transaction: an inbox row and an order row per message (repeats skipped)."""
    inbox, orders = rows_of(values)
    async with connection.transaction(), connection.cursor() as cursor:
        if inbox:
            await cursor.executemany(
                f"INSERT INTO {INBOX} (message_id, handled_at) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                inbox,
            )
        if orders:
            await cursor.executemany(
                f"INSERT INTO {ORDERS} (id, buyer_id, crop_id, quantity, body) "
                "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT DO NOTHING",
                orders,
            )


def build_app(bootstrap: str, url: str, topic: str, group: str, datadir: Path) -> Any:
    import faust
    import psycopg

    from matcher.adapters.kafka.security import faust_credentials
    from matcher.config import load_settings

    # The worker's security settings (FOODMATCH_KAFKA__*), for a secured broker too.
    kafka = load_settings().kafka.model_copy(update={"bootstrap_servers": bootstrap})
    app = faust.App(
        group,
        broker=f"kafka://{bootstrap}",
        broker_credentials=faust_credentials(kafka),
        store="memory://",
        datadir=datadir,
        autodiscover=False,
        web_enabled=False,
        topic_disable_leader=True,
    )
    orders = app.topic(topic, value_serializer="raw", key_serializer="raw")
    state: dict[str, Any] = {}

    @app.agent(orders)
    async def reference(stream: Any) -> None:
        if "connection" not in state:
            state["connection"] = await psycopg.AsyncConnection.connect(conninfo(url))
        async for values in stream.take(500, within=0.05):
            await write_batch(state["connection"], values)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stream.reference")
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args(argv)
    ensure_tables(args.db)
    datadir = Path(tempfile.mkdtemp(prefix="fm-bench-reference-"))
    app = build_app(args.bootstrap, args.db, args.topic, args.group, datadir)
    worker = app.Worker(loglevel="WARNING", redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise


if __name__ == "__main__":
    main()
