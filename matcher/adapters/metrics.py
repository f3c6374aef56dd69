"""Prometheus metrics, in a registry of their own built by :class:`Metrics` (none at import)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from matcher.service import events


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.commands = Counter(
            "foodmatch_commands_total",
            "Commands handled, by command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "foodmatch_events_total",
            "Events recorded, by event.",
            ["event"],
            registry=self.registry,
        )
        self.rounds = Counter(
            "foodmatch_rounds_total",
            "Matching rounds, by trigger and status.",
            ["trigger", "status"],
            registry=self.registry,
        )
        self.round_seconds = Histogram(
            "foodmatch_round_duration_seconds",
            "Wall time of a matching round.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.contracts = Counter(
            "foodmatch_contracts_proposed_total",
            "Contracts proposed, by crop.",
            ["crop"],
            registry=self.registry,
        )
        self.fill_rate = Gauge(
            "foodmatch_last_round_fill_rate",
            "Filled share of the open quantity in the last round.",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "foodmatch_engine_queue_depth",
            "Commands waiting for the engine.",
            registry=self.registry,
        )

    def on_event(self, event: events.Event) -> None:
        self.events.labels(event.name).inc()
        if isinstance(event, events.ContractProposed):
            self.contracts.labels(str(event.payload.get("crop_id", ""))).inc()
        elif isinstance(event, events.RoundCompleted):
            payload = event.payload
            summary = payload.get("summary", {})
            self.rounds.labels(str(payload.get("trigger")), str(payload.get("status"))).inc()
            self.round_seconds.observe(float(summary.get("wall_seconds", 0.0)))
            if summary.get("demand"):  # an empty round says nothing about the fill rate
                self.fill_rate.set(float(summary.get("fill_rate", 0.0)))

    def command(self, name: str, outcome: str) -> None:
        self.commands.labels(name, outcome).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
