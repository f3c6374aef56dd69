"""``bench stream``: ingest throughput and order-to-contract latency of a running worker.

It starts nothing: the broker and the worker (``foodmatch worker``) must be running with the
same ``FOODMATCH_KAFKA__*`` settings. Progress is observed on the worker's outbound topics (see
:mod:`producers.observe`): the outbox relay's ``<prefix>.events`` tell when a message has been
handled (committed), ``<prefix>.contracts`` when an order got its first contract, and
``<prefix>.dead-letters`` when a message was refused. So the bench needs Kafka only, not the
worker's database, and what it measures includes the outbox relay.

Each run renames everything it sends with a fresh tag (participants included), so runs do not
collide; it leaves its orders and supply in the book. For comparable figures, start the worker
on an empty database and a fresh topic prefix.

1. Registration: the scenario's buyers, groups and certificates; waits for their events.
2. Latency: the scenario's supply, enough passes for all orders, announced and handled first;
   then orders that the offline optimiser fills, at ``rate`` per second for ``warmup +
   duration`` seconds. For each order sent after the warm-up: the time from just before
   sending it to the arrival of its first ``contract.proposed``. Orders without a contract
   when no contract has arrived for ``settle`` seconds are *unmatched*.
3. Ingest: further passes over the book (supply and orders with fresh ids) as fast as the
   producer goes, holding at most ``max_backlog`` messages sent but not yet handled, for
   ``warmup + duration`` seconds. The sustained rate is the number of messages handled in
   the window after the warm-up, divided by its length.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from matcher.adapters.kafka.broker import ensure_topics, open_publisher
from matcher.adapters.kafka.probe import BrokerUnreachable
from matcher.adapters.messages import Message
from matcher.config import KafkaSettings
from matcher.scenario import season_start
from producers.observe import marked
from producers.stats import (
    IngestFigures,
    LatencySummary,
    ingest_figures,
    latencies_of,
    summarize_latencies,
)
from producers.stream import Scenario, Sink, due, key_of, to_wire
from producers.watch import Watcher, wait_until

ACTOR = "bench-stream"
WORKER_HINT = (
    "is the worker running with the same FOODMATCH_KAFKA__* settings? "
    "Start it with `foodmatch worker`"
)


class WorkerSilent(Exception):
    """The worker handled none of the messages sent (it is not running, or not relaying)."""


@dataclass(frozen=True, slots=True)
class BenchOptions:
    rate: float = 20.0
    duration: float = 30.0
    warmup: float = 5.0
    settle: float = 30.0
    """Give up waiting when nothing new has arrived for this long."""
    max_backlog: int = 2000
    seed: int = 1
    weeks: int = 12
    scale: float = 1.0
    ingest: bool = True
    latency: bool = True


@dataclass
class BenchReport:
    tag: str
    registered: int = 0
    ingest: IngestFigures | None = None
    latency: LatencySummary | None = None
    latency_sent: int = 0
    latency_refused: int = 0
    supply_announced: int = 0
    refusals: list[str] = field(default_factory=list)


def fillable_order_ids(instance: dict[str, Any]) -> set[str]:
    """Orders that the offline optimiser fills at least in part, given all of the supply."""
    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve

    solution = solve(parse_instance(instance))
    return {a.order_id for a in solution.allocations}


def send_all(sink: Sink, messages: list[Message], batch: int = 500) -> None:
    for start in range(0, len(messages), batch):
        sink.send_many([to_wire(m, ACTOR) for m in messages[start : start + batch]])


class StreamBench:
    def __init__(
        self,
        settings: KafkaSettings,
        options: BenchOptions,
        status: Callable[[str], None] = lambda text: None,
        today: date | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.status = status
        self.today = today or date.today()
        self.tag = f"b{secrets.token_hex(4)}"

    def run(self) -> BenchReport:
        from matcher.scenario import songkhla_instance

        o = self.options
        report = BenchReport(self.tag)
        self.status("generating the Songkhla scenario")
        instance = songkhla_instance(
            weeks=o.weeks, seed=o.seed, scale=o.scale, start=season_start(self.today)
        )
        scenario = Scenario.of(instance, "bench", o.seed, self.tag)
        ensure_topics(self.settings)
        publisher = open_publisher(self.settings, client_id="foodmatch-bench")
        watcher = Watcher(self.settings, marked(f"-{self.tag}")).start()
        try:
            self._register(scenario, publisher, watcher, report)
            passes = 0
            if o.latency:
                passes = self._latency(instance, scenario, publisher, watcher, report)
            if o.ingest:
                self._ingest(scenario, publisher, watcher, report, first_pass=passes + 1)
            report.refusals = watcher.observations.refusals()
        finally:
            watcher.stop()
            publisher.close()
        if watcher.error is not None:
            raise BrokerUnreachable(f"reading the outbound topics failed: {watcher.error}")
        return report

    def _register(
        self, scenario: Scenario, sink: Sink, watcher: Watcher, report: BenchReport
    ) -> None:
        people = list(scenario.participants)
        keys = [key_of(m) for m in people]
        self.status(f"registering {len(people)} participants ({self.tag})")
        send_all(sink, people)
        done = wait_until(
            watcher.handled(keys),
            len(keys),
            self.options.settle,
            lambda n: self.status(f"registering participants: {n}/{len(keys)} handled"),
        )
        if done == 0:
            raise WorkerSilent(
                f"the worker handled none of {len(keys)} registrations within "
                f"{self.options.settle:.0f} s (watching {self.settings.topic_prefix}.events and "
                f".dead-letters): {WORKER_HINT}"
            )
        report.registered = watcher.observations.handled(keys)[0]

    def _latency(
        self,
        instance: dict[str, Any],
        scenario: Scenario,
        sink: Sink,
        watcher: Watcher,
        report: BenchReport,
    ) -> int:
        o = self.options
        self.status("choosing orders the offline optimiser can fill")
        fillable = fillable_order_ids(instance)
        wanted = max(1, math.ceil(o.rate * (o.warmup + o.duration)))
        per_pass = sum(1 for m in scenario.book if m.kind == "orders" and m.body["id"] in fillable)
        if per_pass == 0:
            raise ValueError("the scenario has no order that its supply can fill")
        passes = math.ceil(wanted / per_pass)
        supply: list[Message] = []
        orders: list[Message] = []
        for number in range(1, passes + 1):
            for original, message in zip(scenario.book, scenario.cycle(number), strict=True):
                if message.kind == "supply":
                    supply.append(message)
                elif original.body["id"] in fillable and len(orders) < wanted:
                    orders.append(message)
        keys = [key_of(m) for m in supply]
        self.status(f"announcing {len(supply)} supply offers ({passes} pass(es))")
        send_all(sink, supply)
        wait_until(
            watcher.handled(keys),
            len(keys),
            o.settle,
            lambda n: self.status(f"supply handled: {n}/{len(keys)}"),
        )
        report.supply_announced = watcher.observations.handled(keys)[0]
        sent_at = self._paced(sink, orders, o.rate, o.warmup + o.duration)
        started = min(sent_at.values(), default=0.0)
        measured = {k: t for k, t in sent_at.items() if t >= started + o.warmup}
        measured_keys = [("order.submitted", oid) for oid in measured]
        contracts = watcher.observations.first_contracts

        def progress() -> int:
            first = contracts()
            matched = sum(1 for oid in measured if oid in first)
            return matched + watcher.observations.handled(measured_keys)[1]

        wait_until(
            progress,
            len(measured),
            o.settle,
            lambda n: self.status(f"orders with a contract (or refused): {n}/{len(measured)}"),
        )
        latencies, missing = latencies_of(measured, contracts())
        refused = watcher.observations.handled([("order.submitted", oid) for oid in missing])[1]
        report.latency = summarize_latencies(latencies, unmatched=len(missing) - refused)
        report.latency_sent = len(measured)
        report.latency_refused = refused
        return passes

    def _paced(
        self, sink: Sink, orders: list[Message], rate: float, seconds: float
    ) -> dict[str, float]:
        """Send ``orders`` at ``rate`` per second; the time just before each was sent."""
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
                sink.send_many([to_wire(m, ACTOR) for m in batch])
                index += len(batch)
                self.status(f"orders sent at {rate:g}/s: {index}/{len(orders)}")
            time.sleep(max(0.0, min(0.05, index / rate - (time.monotonic() - started))))
        return sent_at

    def _ingest(
        self,
        scenario: Scenario,
        sink: Sink,
        watcher: Watcher,
        report: BenchReport,
        first_pass: int,
    ) -> None:
        o = self.options
        kinds = ("supply.announced", "order.submitted")
        seen = watcher.observations
        before = {kind: seen.count(kind) for kind in kinds}
        refused_before = seen.refused_count(*kinds)

        def handled() -> int:
            done = seen.count(*kinds) - sum(before.values())
            return done + seen.refused_count(*kinds) - refused_before

        messages: Iterator[tuple[int, Message]] = scenario.cycles(first=first_pass)
        sent = 0
        started = time.monotonic()
        window_start = started + o.warmup
        stop_at = window_start + o.duration
        while (now := time.monotonic()) < stop_at:
            room = o.max_backlog - (sent - handled())
            if room <= 0:
                time.sleep(0.01)
                continue
            batch = [message for _, message in islice(messages, min(room, 500))]
            sink.send_many([to_wire(m, ACTOR) for m in batch])
            sent += len(batch)
            phase = "warm-up" if now < window_start else "measuring"
            self.status(f"ingest ({phase}): {sent:,} sent, {handled():,} handled")
        stopped = time.monotonic()
        wait_until(
            handled,
            sent,
            o.settle,
            lambda n: self.status(f"ingest: draining, {n:,}/{sent:,} handled"),
        )
        report.ingest = ingest_figures(
            sent=sent,
            handled_at=seen.times(*kinds, skip=before),
            refused=seen.refused_count(*kinds) - refused_before,
            started=started,
            window_start=window_start,
            stopped=stopped,
        )
