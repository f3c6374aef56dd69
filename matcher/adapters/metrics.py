"""Prometheus metrics, in a registry of their own built by :class:`Metrics` (none at import).

Names, labels and help texts come from :mod:`matcher.adapters.catalogue`. The process metrics
(messages, commands, events, rounds, solver) are counted here as work happens; the market's
figures are read from the database at scrape time by a :class:`MarketCollector` registered by
the API (:meth:`Metrics.add_collector`), and the Kafka workers add their consumer lag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.registry import Collector

from matcher.adapters.catalogue import BY_NAME
from matcher.adapters.topics import COMMAND_TOPICS, OUTBOUND
from matcher.domain.contracts import MatchingRound
from matcher.service import events
from matcher.service.context import ServiceContext
from matcher.service.ports import UnitOfWork

PARKED_TOO_LARGE, PARKED_REFUSED = "too_large", "refused"
"""The ``reason`` labels of an outbound event parked by the relay: above the size limit, or
refused by the broker for good."""

ROUND_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


def _spec(name: str) -> tuple[str, str, tuple[str, ...]]:
    spec = BY_NAME[name]
    base = name.removesuffix("_total") if spec.kind == "counter" else name
    return base, spec.help, spec.labels


def _counter(registry: CollectorRegistry, name: str) -> Counter:
    base, doc, labels = _spec(name)
    return Counter(base, doc, labels, registry=registry)


def _gauge(registry: CollectorRegistry, name: str) -> Gauge:
    base, doc, labels = _spec(name)
    return Gauge(base, doc, labels, registry=registry)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.messages = _counter(r, "foodmatch_messages_consumed_total")
        self.dead_letters = _counter(r, "foodmatch_dead_letters_total")
        self.parked_events = _counter(r, "foodmatch_outbox_parked_total")
        for topic in OUTBOUND:  # every series exists from the start, at 0 (parking is rare)
            for reason in (PARKED_TOO_LARGE, PARKED_REFUSED):
                self.parked_events.labels(topic.value, reason)
        self.commands = _counter(r, "foodmatch_commands_total")
        self.events = _counter(r, "foodmatch_events_total")
        self.rounds = _counter(r, "foodmatch_rounds_total")
        base, doc, _ = _spec("foodmatch_round_duration_seconds")
        self.round_seconds = Histogram(base, doc, buckets=ROUND_BUCKETS, registry=r)
        self.solver_runs = _counter(r, "foodmatch_solver_runs_total")
        self.solver_gap = _gauge(r, "foodmatch_solver_gap")
        self.contracts = _counter(r, "foodmatch_contracts_proposed_total")
        self.queue_depth = _gauge(r, "foodmatch_engine_queue_depth")
        self.collectors: list[Collector] = []

    def add_collector(self, collector: Collector) -> None:
        """Register a collector read at scrape time (the market figures, the consumer lag)."""
        self.registry.register(collector)
        self.collectors.append(collector)

    def on_event(self, event: events.Event) -> None:
        self.events.labels(event.name).inc()
        if isinstance(event, events.ContractProposed):
            self.contracts.labels(event.contract.crop_id).inc()
        elif isinstance(event, events.RoundCompleted):
            self._round(event.round)

    def _round(self, record: MatchingRound) -> None:
        summary = record.summary or {}
        self.rounds.labels(record.trigger, record.status.value).inc()
        whole = summary.get("round_seconds", summary.get("wall_seconds", 0.0))
        self.round_seconds.observe(float(whole))
        solver = str(record.solver or summary.get("solver") or "")
        status = str(record.solver_status or summary.get("status") or "")
        self.solver_runs.labels(solver, status).inc()
        gap = summary.get("gap")
        self.solver_gap.set(float(gap) if gap is not None else 0.0)

    def command(self, name: str, outcome: str) -> None:
        self.commands.labels(name, outcome).inc()

    def consumed(self, topic: str, outcome: str) -> None:
        """One inbound message handled (Kafka), or one command taken (embedded engine)."""
        self.messages.labels(topic, outcome).inc()

    def message_taken(self, command_name: str, outcome: str) -> None:
        """The embedded engine's count of a submitted command as the message it stands for."""
        topic = COMMAND_TOPICS.get(command_name)
        if topic is not None:
            self.consumed(topic.value, outcome)

    def dead_letter(self, topic: str, field: str) -> None:
        self.dead_letters.labels(topic, field).inc()

    def outbox_parked(self, topic: str, reason: str) -> None:
        """An outbound event parked by the relay (``reason``: too_large or refused)."""
        self.parked_events.labels(topic, reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CacheSettings(Protocol):
    @property
    def metrics_cache_seconds(self) -> float: ...


class MeteredService(Protocol):
    """What the market's gauges need of a running service (:class:`matcher.bootstrap.Service`
    is one): its metrics, its settings, and units of work to read the market with."""

    @property
    def metrics(self) -> Metrics: ...

    @property
    def settings(self) -> CacheSettings: ...

    @property
    def context(self) -> ServiceContext: ...

    @property
    def read_uow_factory(self) -> Callable[[], UnitOfWork]: ...
