"""Latency at offered rates: k workers at their default round settings on a fresh database and
prefix, the participants and enough supply pre-loaded and handled; then, rate after rate, orders
the offline optimiser fills, sent at that rate for ``duration`` seconds. For each order: the time
from just before it was sent to the first poll (every 0.2 s) that finds a contract for it in the
database. After the sending the bench waits until every order has a contract, or until the
workers have handled every order sent and no contract came for 15 s, or 120 s in all. The worker
kept up when, as the sending stopped, at most two seconds' worth of orders were not handled yet.
"""

from __future__ import annotations

import math
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.processes import Child, wait_assigned
from bench.stream.drain import ORDERS_HANDLED, start_workers, worker_env
from bench.stream.messages import Book, wire
from bench.stream.options import StreamOptions
from bench.stream.stage import (
    POLL_SECONDS,
    Counter,
    check_running,
    fresh_database,
    fresh_topics,
    publish,
    wait_count,
)
from matcher.adapters.messages import Message
from matcher.percentile import percentile

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from matcher.adapters.kafka.publisher import KafkaPublisher

Status = Callable[[str], None]
MAX_SUPPLY_PASSES = 10
"""The supply pre-loaded covers at most this many passes of the fillable orders (the orders sent
past them find no supply left and stay without a contract)."""
SETTLE_SECONDS = 15.0
"""Once every order sent is handled: stop waiting for contracts when none came for this long..."""
WAIT_CAP_SECONDS = 120.0
"""... and after this long from the end of the sending in any case."""
HANDLED = (
    "SELECT count(*) FROM (SELECT message_id FROM inbox UNION SELECT message_id FROM rejections) m"
)


@dataclass
class RateRun:
    offered: float
    workers: int
    sent: int = 0
    handled_when_stopped: int = 0
    matched: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def backlog(self) -> int:
        return self.sent - self.handled_when_stopped

    @property
    def kept_up(self) -> bool:
        return self.backlog <= max(1, math.ceil(2 * self.offered))

    def latency_ms(self) -> dict[str, float | None]:
        values = sorted(self.latencies)
        if not values:
            return {"p50": None, "p95": None, "p99": None}
        return {f"p{q}": round(percentile(values, q) * 1000, 1) for q in (50, 95, 99)}


class ContractWatch:
    """A thread polling the contracts table every 0.2 s: when each order was first seen with a
    contract (monotonic time)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import text

        from matcher.adapters.db.session import make_engine

        self.engine = make_engine(url)
        self.query = text("SELECT DISTINCT order_id FROM contracts")
        self.first_seen: dict[str, float] = {}
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="contract-watch", daemon=True)

    def start(self) -> ContractWatch:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.engine.connect() as connection:
                    ids = connection.execute(self.query).scalars().all()
            except Exception as err:  # told by the main thread
                self.error = err
                return
            now = time.monotonic()
            for order_id in ids:
                self.first_seen.setdefault(order_id, now)
            self._stop.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()


def supply_passes(options: StreamOptions, fillable: Book) -> int:
    wanted = sum(math.ceil(rate * options.duration) for rate in options.rates)
    return max(1, min(MAX_SUPPLY_PASSES, math.ceil(wanted / len(fillable.orders))))


def due(elapsed: float, rate: float, sent: int) -> int:
    """How many orders are due after ``elapsed`` seconds at ``rate``/s with ``sent`` sent (the
    i-th, from 0, is due at i / rate seconds)."""
    return max(0, math.floor(elapsed * rate) + 1 - sent)


def paced(
    publisher: KafkaPublisher,
    orders: list[Message],
    rate: float,
    seconds: float,
    status: Status,
) -> dict[str, float]:
    """Send ``orders`` at ``rate`` per second for at most ``seconds``: the (monotonic) time
    just before each was sent, by order id."""
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    index = 0
    while index < len(orders):
        elapsed = time.monotonic() - started
        if elapsed >= seconds:
            break
        batch = orders[index : index + due(elapsed, rate, index)]
        if batch:
            now = time.monotonic()
            for message in batch:
                sent_at[str(message.body["id"])] = now
            publisher.send_many([wire(m) for m in batch])
            index += len(batch)
            status(f"{index:,}/{len(orders):,} sent")
        time.sleep(max(0.0, min(0.05, index / rate - (time.monotonic() - started))))
    publisher.flush()
    return sent_at


def wait_contracts(
    watch: ContractWatch,
    sent_at: dict[str, float],
    unhandled: Callable[[], int],
    children: list[Child],
    status: Status,
) -> None:
    """Until every order sent has a contract; or, once the workers have handled every order
    sent, no new contract came for SETTLE_SECONDS; or WAIT_CAP_SECONDS in all."""
    started = quiet_since = time.monotonic()
    matched = 0
    drained = False
    while True:
        check_running(children)
        if watch.error is not None:
            raise watch.error
        now_matched = sum(1 for order_id in sent_at if order_id in watch.first_seen)
        now = time.monotonic()
        if now_matched != matched:
            matched, quiet_since = now_matched, now
        if not drained and unhandled() <= 0:
            drained, quiet_since = True, max(quiet_since, now)
        if matched >= len(sent_at) or now - started > WAIT_CAP_SECONDS:
            return
        if drained and now - quiet_since > SETTLE_SECONDS:
            return
        state = "" if drained else f", {unhandled():,} not handled yet"
        status(f"orders with a contract: {matched:,}/{len(sent_at):,}{state}")
        time.sleep(POLL_SECONDS)


def measure_rate(
    publisher: KafkaPublisher,
    fillable: Book,
    run: RateRun,
    context: tuple[ContractWatch, Counter, list[Child]],
    duration: float,
    status: Status,
) -> None:
    """One offered rate: send, note the backlog as the sending stops, wait for contracts."""
    watch, handled, children = context
    label = f"{run.workers} worker(s) at {run.offered:g}/s"
    orders = fillable.orders_n(math.ceil(run.offered * duration), f"q{run.offered:g}-")
    before = handled()
    sent_at = paced(
        publisher, orders, run.offered, duration, lambda text: status(f"{label}: {text}")
    )
    run.sent = len(sent_at)
    run.handled_when_stopped = handled() - before
    wait_contracts(
        watch,
        sent_at,
        lambda: run.sent - (handled() - before),
        children,
        lambda text: status(f"{label}: {text}"),
    )
    seen = watch.first_seen
    run.latencies = [seen[oid] - at for oid, at in sent_at.items() if oid in seen]
    run.matched = len(run.latencies)


def latency_runs(
    admin: Engine, options: StreamOptions, fillable: Book, workers: int, status: Status
) -> list[RateRun]:
    """The offered rates, in turn, with ``workers`` workers at their default round settings."""
    from matcher.adapters.kafka.broker import open_publisher

    tag = secrets.token_hex(3)
    label = f"latency, {workers} worker(s)"
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fm-stream-{tag}-")))
        status(f"{label}: a fresh database and topics")
        url = stack.enter_context(fresh_database(admin, options.db, tag, keep=options.keep))
        kafka = stack.enter_context(fresh_topics(options.bootstrap, tag, keep=options.keep))
        supply = fillable.supply_passes(supply_passes(options, fillable))
        publish(kafka, [wire(m) for m in (*fillable.participants, *supply)])
        children = start_workers(stack, workers, worker_env(url, kafka, tmp, rounds=True), tmp, tag)
        for child in children:
            wait_assigned(child, 120.0)
        everything = Counter(url, HANDLED)
        stack.callback(everything.close)
        wait_count(
            everything,
            len(fillable.participants) + len(supply),
            children,
            lambda text: status(f"{label}: participants and supply {text}"),
        )
        handled = Counter(url, ORDERS_HANDLED)
        stack.callback(handled.close)
        watch = ContractWatch(url).start()
        stack.callback(watch.stop)
        publisher = open_publisher(kafka, client_id="foodmatch-bench-stream")
        stack.callback(publisher.close)
        runs = []
        for rate in sorted(options.rates):
            run = RateRun(rate, workers)
            measure_rate(
                publisher, fillable, run, (watch, handled, children), options.duration, status
            )
            runs.append(run)
        status(f"{label}: stopping")
    return runs
