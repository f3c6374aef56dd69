"""The figures of ``foodmatch bench api`` (pure): each request's sample, a phase's requests,
errors, requests/s and latency percentiles (nearest rank, :func:`matcher.percentile.percentile`),
the round's, an engine's run, and their table and JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from matcher.percentile import percentile

if TYPE_CHECKING:
    from rich.console import RenderableType

    from bench.api.coordinator import FiguresRun

PERCENTILES = (50, 90, 95, 99)

TARGET_RATIO = 0.8
"""Issue 17's target: the service's orders/s at least this times the reference's ..."""
TARGET_P99_MS = 100.0
"""... and the service's p99 under this, with 16 clients on the embedded engine."""

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sample:
    """One request: its kind, how long it took and its outcome."""

    kind: str
    seconds: float
    status: int | str
    """The HTTP status, or the name of the transport error (``ConnectError``, ``ReadTimeout``)."""
    detail: str = ""
    """The start of the answer when it was not 2xx."""

    @property
    def ok(self) -> bool:
        return isinstance(self.status, int) and 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Latency:
    """Latency percentiles in milliseconds."""

    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency | None:
        if not seconds:
            return None
        ms = sorted(1000.0 * s for s in seconds)
        p50, p90, p95, p99 = (percentile(ms, q) for q in PERCENTILES)
        return cls(p50, p90, p95, p99, ms[-1], sum(ms) / len(ms))

    def to_json(self) -> Json:
        return {
            "p50": round(self.p50, 3),
            "p90": round(self.p90, 3),
            "p95": round(self.p95, 3),
            "p99": round(self.p99, 3),
            "max": round(self.max, 3),
            "mean": round(self.mean, 3),
        }


@dataclass(frozen=True, slots=True)
class PhaseFigures:
    name: str
    requests: int
    errors: dict[str, int]
    """Failed requests by HTTP status (or transport error)."""
    wall_seconds: float | None
    """From the first request sent to the last answer (``None`` for a part of a phase)."""
    latency: Latency | None
    by_kind: dict[str, PhaseFigures] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def requests_per_second(self) -> float | None:
        if self.wall_seconds is None:
            return None
        return self.requests / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_json(self) -> Json:
        rps = self.requests_per_second
        body: Json = {
            "requests": self.requests,
            "errors": self.error_count,
            "errors_by_status": dict(sorted(self.errors.items())),
            "wall_seconds": None if self.wall_seconds is None else round(self.wall_seconds, 4),
            "requests_per_second": None if rps is None else round(rps, 2),
            "latency_ms": None if self.latency is None else self.latency.to_json(),
        }
        if self.by_kind:
            body["by_kind"] = {kind: part.to_json() for kind, part in self.by_kind.items()}
        return body


def phase_figures(name: str, samples: Sequence[Sample], wall_seconds: float | None) -> PhaseFigures:
    """A phase's figures; with more than one kind of request, each kind's figures too."""
    errors: dict[str, int] = {}
    for sample in samples:
        if not sample.ok:
            errors[str(sample.status)] = errors.get(str(sample.status), 0) + 1
    kinds = sorted({s.kind for s in samples})
    by_kind = (
        {kind: phase_figures(kind, [s for s in samples if s.kind == kind], None) for kind in kinds}
        if len(kinds) > 1
        else {}
    )
    return PhaseFigures(
        name=name,
        requests=len(samples),
        errors=errors,
        wall_seconds=wall_seconds,
        latency=Latency.of([s.seconds for s in samples]),
        by_kind=by_kind,
    )


@dataclass(frozen=True, slots=True)
class RoundFigures:
    wall_seconds: float
    http_status: int | str
    status: str | None
    """The round's status (``completed``, ...) when the API answered with it."""
    contracts: int

    def to_json(self) -> Json:
        return {
            "wall_seconds": round(self.wall_seconds, 4),
            "http_status": self.http_status,
            "status": self.status,
            "contracts": self.contracts,
        }


@dataclass(frozen=True, slots=True)
class EngineRun:
    """The figures of one engine."""

    engine: str
    tag: str
    database: str
    concurrency: int
    setup_seconds: float
    orders: PhaseFigures
    round: RoundFigures
    reads: PhaseFigures
    groups: int
    kitchens: int
    cpus: int
    load_before: float | None
    """The one-minute load average when the run started (other jobs on the machine)."""
    notes: tuple[str, ...] = ()
    reference: PhaseFigures | None = None
    """The same orders sent to the minimal FastAPI + SQLite reference (None: not measured)."""

    @property
    def errors(self) -> int:
        round_failed = not (
            isinstance(self.round.http_status, int) and self.round.http_status < 300
        )
        reference = 0 if self.reference is None else self.reference.error_count
        return self.orders.error_count + self.reads.error_count + int(round_failed) + reference

    @property
    def ratio_to_reference(self) -> float | None:
        """The service's orders/s over the reference's (None without a reference)."""
        if self.reference is None:
            return None
        ours, theirs = self.orders.requests_per_second, self.reference.requests_per_second
        if ours is None or not theirs:
            return None
        return ours / theirs

    def target(self) -> Json | None:
        """Whether issue 17's target for ``POST /orders`` holds in this run."""
        ratio = self.ratio_to_reference
        if ratio is None or self.orders.latency is None:
            return None
        return {
            "ratio_at_least": TARGET_RATIO,
            "p99_ms_under": TARGET_P99_MS,
            "ratio_holds": ratio >= TARGET_RATIO,
            "p99_holds": self.orders.latency.p99 < TARGET_P99_MS,
        }

    def _reference_json(self) -> Json | None:
        if self.reference is None:
            return None
        rps = self.reference.requests_per_second
        body = self.reference.to_json()
        return {
            "app": "FastAPI + pydantic + SQLite (WAL, a connection and a commit per request)",
            "orders_per_second": None if rps is None else round(rps, 2),
        } | body

    def to_json(self) -> Json:
        return {
            "engine": self.engine,
            "run": self.tag,
            "database": self.database,
            "concurrency": self.concurrency,
            "groups": self.groups,
            "kitchens": self.kitchens,
            "cpus": self.cpus,
            "load_before": self.load_before,
            "setup_seconds": round(self.setup_seconds, 3),
            "orders": self.orders.to_json(),
            "round": self.round.to_json(),
            "reads": self.reads.to_json(),
            "reference": self._reference_json(),
            "ratio_to_reference": None if (r := self.ratio_to_reference) is None else round(r, 3),
            "target": self.target(),
            "notes": list(self.notes),
        }


def report_json(runs: Sequence[EngineRun], figures: FiguresRun | None = None) -> Json:
    body: Json = {"format": "foodmatch-bench-api/1", "runs": [run.to_json() for run in runs]}
    if figures is not None:
        body["figures"] = figures.to_json()
    return body


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _phase_row(label: str, phase: PhaseFigures) -> list[str]:
    lat = phase.latency
    errors = ", ".join(f"{status}×{n}" for status, n in sorted(phase.errors.items())) or "0"
    rps = phase.requests_per_second
    return [
        label,
        f"{phase.requests:,}",
        errors,
        "-" if phase.wall_seconds is None else f"{phase.wall_seconds:,.2f}",
        "-" if rps is None else f"{rps:,.1f}",
        *(
            _ms(None if lat is None else getattr(lat, name))
            for name in ("p50", "p90", "p95", "p99", "max")
        ),
    ]


READ_LABELS = {"list": "  ?buyer_id= (list)", "get": "  /{id} (one)"}


def render(runs: Sequence[EngineRun]) -> RenderableType:
    """The figures as a table (latencies in ms), with a line per engine about its setting."""
    first = runs[0]
    table = Table(
        title=f"bench api: {first.concurrency} concurrent clients over HTTP, access control on",
        caption="latency in milliseconds (nearest rank); seconds: wall time of the phase",
    )
    table.add_column("phase")
    for name in ("requests", "errors", "seconds", "req/s", "p50", "p90", "p95", "p99", "max"):
        table.add_column(name, justify="right")
    for index, run in enumerate(runs):
        if index:
            table.add_section()
        table.add_row(f"[bold]{run.engine}[/bold]")
        table.add_row(*_phase_row("POST /orders", run.orders))
        if run.reference is not None:
            table.add_row(*_phase_row("  reference POST /orders", run.reference))
        r = run.round
        failed = not (isinstance(r.http_status, int) and r.http_status < 300)
        table.add_row(
            "POST /rounds", "1", f"{r.http_status}×1" if failed else "0", f"{r.wall_seconds:,.2f}"
        )
        table.add_row(*_phase_row("GET /contracts", run.reads))
        for kind in sorted(run.reads.by_kind, key=lambda k: (k not in READ_LABELS, k != "list")):
            part = run.reads.by_kind[kind]
            table.add_row(*_phase_row(READ_LABELS.get(kind, f"  {kind}"), part))
    lines: list[RenderableType] = [table]
    for run in runs:
        r = run.round
        outcome = r.status if r.status is not None else f"HTTP {r.http_status}"
        load = "" if run.load_before is None else f", load {run.load_before:.2f} at start"
        lines.append(
            Text(
                f"{run.engine}: the round made {r.contracts:,} contracts ({outcome}); "
                f"{run.groups} groups, {run.kitchens} kitchens, setup {run.setup_seconds:,.1f} s; "
                f"{run.database}; {run.cpus} CPUs{load}; run {run.tag}"
            )
        )
        if (verdict := _reference_line(run)) is not None:
            lines.append(Text(f"  {verdict}"))
        lines.extend(Text(f"  note: {note}") for note in run.notes)
    return Group(*lines)


def _reference_line(run: EngineRun) -> str | None:
    """The orders against the reference, and whether the target holds."""
    ratio, target = run.ratio_to_reference, run.target()
    if ratio is None or target is None or run.orders.latency is None:
        return None
    p99 = run.orders.latency.p99

    def held(ok: bool) -> str:
        return "holds" if ok else "does not hold"

    return (
        f"POST /orders: {ratio:.2f} × the minimal FastAPI + SQLite reference "
        f"(target ≥ {TARGET_RATIO} ×: {held(target['ratio_holds'])}); p99 {p99:,.1f} ms "
        f"(target < {TARGET_P99_MS:.0f} ms: {held(target['p99_holds'])})"
    )
