"""The catalogue of foodmatch's Prometheus metrics: one entry per metric (docs/dashboard.md).

Every metric foodmatch exports is listed here with its type, labels, where it is served and what
it means; :mod:`matcher.adapters.metrics` builds the metrics from this table, the catalogue
of docs/dashboard.md and the Grafana dashboard are checked against it by the tests.

``served_by``:

- ``process``: counted by the process that does the work: the API process of the embedded engine
  (which also runs the rounds) and each Kafka worker (messages, dead letters, rounds on the
  leader). Sum them across instances.
- ``worker``: Kafka workers only.
- ``api``: the API process only; read from the database at scrape time (the same figures as the
  dashboard), so on a deployment with several API replicas take ``max`` across them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["counter", "gauge", "histogram"]
ServedBy = Literal["process", "worker", "api"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    """Name as scraped (counters end in ``_total``, histograms export ``_bucket/_sum/_count``)."""
    kind: Kind
    labels: tuple[str, ...]
    served_by: ServedBy
    help: str


CATALOGUE: tuple[MetricSpec, ...] = (
    # --- work done by the process -------------------------------------------------------------
    MetricSpec(
        "foodmatch_messages_consumed_total",
        "counter",
        ("topic", "outcome"),
        "process",
        "Inbound messages handled, by topic and outcome (ok, duplicate, rejected, abandoned). "
        "On the embedded engine the topic is the one the command would travel on.",
    ),
    MetricSpec(
        "foodmatch_dead_letters_total",
        "counter",
        ("topic", "field"),
        "worker",
        "Messages refused to the dead-letter topic, by the topic they came from and the field "
        "at fault, as in the dead-letter record (value: not a message envelope at all; '': an "
        "error that names no field).",
    ),
    MetricSpec(
        "foodmatch_outbox_parked_total",
        "counter",
        ("topic", "reason"),
        "worker",
        "Outbound events the outbox relay gave up on for good, by the topic they were for and "
        "reason (too_large: above FOODMATCH_MAX_MESSAGE_BYTES once encoded, or refused by the "
        "broker as too large; refused: another refusal that sending again cannot change). "
        "They stay in the outbox with parked_at and parked_reason; the events behind them go on.",
    ),
    MetricSpec(
        "foodmatch_commands_total",
        "counter",
        ("command", "outcome"),
        "process",
        "Commands handled by the message bus, by command and outcome.",
    ),
    MetricSpec(
        "foodmatch_events_total",
        "counter",
        ("event",),
        "process",
        "Events recorded, by event name.",
    ),
    MetricSpec(
        "foodmatch_rounds_total",
        "counter",
        ("trigger", "status"),
        "process",
        "Matching rounds run, by trigger (request, debounce, schedule) and status.",
    ),
    MetricSpec(
        "foodmatch_round_duration_seconds",
        "histogram",
        (),
        "process",
        "Wall time of a whole matching round: reading the book, solving, writing its contracts.",
    ),
    MetricSpec(
        "foodmatch_solver_runs_total",
        "counter",
        ("solver", "status"),
        "process",
        "Rounds by solver (flow, cpsat, greedy) and solver status (optimal, feasible, ...).",
    ),
    MetricSpec(
        "foodmatch_solver_gap",
        "gauge",
        (),
        "process",
        "Relative optimality gap of the last round solved by this process (0 when optimal).",
    ),
    MetricSpec(
        "foodmatch_contracts_proposed_total",
        "counter",
        ("crop",),
        "process",
        "Contracts proposed by rounds, by crop.",
    ),
    MetricSpec(
        "foodmatch_engine_queue_depth",
        "gauge",
        (),
        "api",
        "Commands waiting for the embedded engine (0 on the Kafka engine's API).",
    ),
    MetricSpec(
        "foodmatch_consumer_lag",
        "gauge",
        ("topic", "partition"),
        "worker",
        "Messages of an inbound topic's partition not yet committed by the workers' consumer "
        "group (end offset minus committed offset).",
    ),
    # --- the market, read from the database ---------------------------------------------------
    MetricSpec(
        "foodmatch_participants",
        "gauge",
        ("role",),
        "api",
        "Registered participants: role is group or buyer.",
    ),
    MetricSpec(
        "foodmatch_open_demand_units",
        "gauge",
        ("crop",),
        "api",
        "Ordered quantity of open orders' future deliveries not under contract, in the crop's "
        "unit (kg or pieces).",
    ),
    MetricSpec(
        "foodmatch_free_supply_units",
        "gauge",
        ("crop",),
        "api",
        "Announced supply of open announcements neither under contract nor proposed.",
    ),
    MetricSpec(
        "foodmatch_ordered_units",
        "gauge",
        ("crop", "week"),
        "api",
        "Quantity ordered by open orders, by crop and ISO week of delivery.",
    ),
    MetricSpec(
        "foodmatch_contracted_units",
        "gauge",
        ("crop", "week"),
        "api",
        "Of the ordered quantity, the part under a contract its group has accepted (accepted, "
        "in delivery or completed), by crop and ISO week.",
    ),
    MetricSpec(
        "foodmatch_proposed_units",
        "gauge",
        ("crop", "week"),
        "api",
        "Of the ordered quantity, the part under proposals their groups have not answered yet, "
        "by crop and ISO week (not counted in the fill rate).",
    ),
    MetricSpec(
        "foodmatch_fill_rate",
        "gauge",
        ("crop", "week"),
        "api",
        "Contracted share (accepted or later) of the ordered quantity (0..1), by crop and ISO "
        "week.",
    ),
    MetricSpec(
        "foodmatch_unmet_demand_units",
        "gauge",
        ("reason", "crop", "district"),
        "api",
        "Quantity the last round of each market left unfilled and still open, by reason code, "
        "crop and the buyer's district (the planning report's lines).",
    ),
    MetricSpec(
        "foodmatch_supply_announced_units",
        "gauge",
        ("crop",),
        "api",
        "Quantity announced by open supply announcements, by crop.",
    ),
    MetricSpec(
        "foodmatch_supply_contracted_units",
        "gauge",
        ("crop",),
        "api",
        "Of the announced supply, the part under a contract its group has accepted, by crop.",
    ),
    MetricSpec(
        "foodmatch_supply_utilisation",
        "gauge",
        ("crop",),
        "api",
        "Contracted share (accepted or later) of the announced supply (0..1), by crop.",
    ),
    MetricSpec(
        "foodmatch_km_per_unit",
        "gauge",
        ("crop",),
        "api",
        "Unit-km per unit contracted: the distance from group to kitchen weighted by quantity, "
        "over live contracts' deliveries, by crop.",
    ),
    MetricSpec(
        "foodmatch_contracts",
        "gauge",
        ("state",),
        "api",
        "Contracts by lifecycle state (proposed, accepted, in_delivery, completed, ...).",
    ),
    MetricSpec(
        "foodmatch_gini",
        "gauge",
        ("measure",),
        "api",
        "Gini coefficient across the groups with open supply (0 = equal): measure is volume "
        "(contracted quantity), income (contracted value) or utilisation (contracted share of "
        "each group's supply).",
    ),
    MetricSpec(
        "foodmatch_last_round_fill_rate",
        "gauge",
        (),
        "api",
        "Filled share of the open quantity in the last round.",
    ),
    MetricSpec(
        "foodmatch_last_round_gap",
        "gauge",
        (),
        "api",
        "Relative optimality gap reported by the last round (0 when optimal).",
    ),
    MetricSpec(
        "foodmatch_last_round_info",
        "gauge",
        ("solver", "solver_status", "trigger"),
        "api",
        "Always 1; the labels name the last round's solver, solver status and trigger.",
    ),
    MetricSpec(
        "foodmatch_last_round_timestamp_seconds",
        "gauge",
        (),
        "api",
        "When the last round finished (Unix time).",
    ),
)

BY_NAME: dict[str, MetricSpec] = {m.name: m for m in CATALOGUE}


def exported_names(spec: MetricSpec) -> tuple[str, ...]:
    """The sample names a metric exports (a histogram's buckets, sum and count)."""
    if spec.kind == "histogram":
        return tuple(f"{spec.name}{s}" for s in ("_bucket", "_sum", "_count"))
    return (spec.name,)
