"""Drain: N order messages pre-loaded on a fresh topic prefix (8 partitions), then k workers
started on a fresh database, timed from the first handled message to the N-th (inbox rows of
kind SubmitOrder, or refused, polled every 0.2 s; the rate from the inbox rows' handling
times). Rounds off (only on request, as ``bench api`` runs them) or at their defaults. The
reference consumer drains the same N messages on its own prefix and database."""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processes import REQUESTED_ROUNDS, Child, service_env, worker_child
from bench.stream.messages import Book, wire
from bench.stream.options import StreamOptions
from bench.stream.reference import INBOX, ensure_tables
from bench.stream.stage import (
    Counter,
    fresh_database,
    fresh_topics,
    publish,
    span_rate,
    wait_count,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from matcher.config import KafkaSettings

Status = Callable[[str], None]
ORDERS_HANDLED = (
    "SELECT count(*) FROM (SELECT message_id FROM inbox WHERE kind = 'SubmitOrder' "
    "UNION SELECT message_id FROM rejections WHERE kind = 'SubmitOrder') m"
)
"""Orders handled: written (an inbox row) or refused (a rejection row)."""


@dataclass(frozen=True, slots=True)
class Drained:
    workers: int
    rounds: bool
    messages_per_second: float
    seconds: float


def worker_env(url: str, kafka: KafkaSettings, tmp: Path, *, rounds: bool) -> dict[str, str]:
    """The workers' environment: rounds only on request, or (``rounds``) at their defaults."""
    env = service_env("kafka", url, kafka, tmp) | {"FOODMATCH_LOG_LEVEL": "INFO"}
    if rounds:
        for name in REQUESTED_ROUNDS:
            env.pop(name, None)
    return env


def start_workers(
    stack: ExitStack, count: int, env: dict[str, str], tmp: Path, tag: str
) -> list[Child]:
    children = []
    for number in range(1, count + 1):
        child = worker_child(f"bench-{tag}-{number}", env, tmp / f"worker-{number}.log")
        stack.callback(child.stop)
        children.append(child.start())
    return children


def worker_drain(
    admin: Engine,
    options: StreamOptions,
    book: Book,
    workers: int,
    *,
    rounds: bool,
    status: Status,
) -> Drained:
    """k workers draining ``options.messages`` pre-loaded orders (participants loaded too)."""
    tag = secrets.token_hex(3)
    setting = "rounds at their defaults" if rounds else "rounds off"
    label = f"drain, {workers} worker(s), {setting}"
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fm-stream-{tag}-")))
        status(f"{label}: a fresh database and topics")
        url = stack.enter_context(fresh_database(admin, options.db, tag, keep=options.keep))
        kafka = stack.enter_context(fresh_topics(options.bootstrap, tag, keep=options.keep))
        status(f"{label}: pre-loading {options.messages:,} orders")
        orders = book.orders_n(options.messages)
        publish(kafka, [wire(m) for m in book.participants])
        publish(kafka, [wire(m) for m in orders])
        counter = Counter(url, ORDERS_HANDLED)
        stack.callback(counter.close)
        env = worker_env(url, kafka, tmp, rounds=rounds)
        started = time.time()
        children = start_workers(stack, workers, env, tmp, tag)
        began = time.monotonic()
        wait_count(counter, len(orders), children, lambda text: status(f"{label}: {text}"))
        seconds = time.monotonic() - began
        rate = span_rate(url, "inbox", "WHERE kind = 'SubmitOrder'", started)
        status(f"{label}: stopping")
    return Drained(workers, rounds, rate, seconds)


def reference_child(kafka: KafkaSettings, url: str, tag: str, log_path: Path) -> Child:
    return Child(
        "reference consumer",
        [
            sys.executable, "-m", "bench.stream.reference", "--bootstrap",
            kafka.bootstrap_servers, "--db", url, "--topic", f"{kafka.topic_prefix}.orders",
            "--group", f"foodmatch-bench-reference-{tag}",
        ],
        service_env("kafka", url, kafka, log_path.parent),
        log_path,
    )  # fmt: skip


def reference_drain(admin: Engine, options: StreamOptions, book: Book, status: Status) -> Drained:
    """The reference consumer draining the same number of pre-loaded orders."""
    tag = secrets.token_hex(3)
    label = "drain, reference consumer"
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fm-stream-{tag}-")))
        status(f"{label}: a fresh database and topics")
        url = stack.enter_context(
            fresh_database(admin, options.db, tag, keep=options.keep, migrate=False)
        )
        kafka = stack.enter_context(fresh_topics(options.bootstrap, tag, keep=options.keep))
        ensure_tables(url)
        status(f"{label}: pre-loading {options.messages:,} orders")
        orders = book.orders_n(options.messages)
        publish(kafka, [wire(m) for m in orders])
        counter = Counter(url, f"SELECT count(*) FROM {INBOX}")
        stack.callback(counter.close)
        child = reference_child(kafka, url, tag, tmp / "reference.log")
        stack.callback(child.stop)
        started = time.time()
        began = time.monotonic()
        child.start()
        wait_count(counter, len(orders), [child], lambda text: status(f"{label}: {text}"))
        seconds = time.monotonic() - began
        rate = span_rate(url, INBOX, "WHERE true", started)
        status(f"{label}: stopping")
    return Drained(0, False, rate, seconds)
