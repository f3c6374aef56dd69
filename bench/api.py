"""``foodmatch bench api``: requests per second and latency of the HTTP API, on either engine.

The real service is started as a separate process (``uvicorn --factory api.app:create_app`` on a
local port) and measured over real HTTP by an ``httpx.AsyncClient`` with ``concurrency``
connections, one worker coroutine per connection. Access control is on: the bench writes a
coordinator key (and, once the kitchens are registered, one key per kitchen) straight into the
service's database with :func:`matcher.keys.create_key`, and every request carries one.

- ``inprocess``: the embedded engine, on a fresh temporary SQLite file unless ``--db`` is given.
- ``kafka``: the Kafka engine. A fresh topic prefix ``foodmatch-bench-<tag>`` (topics created
  here, deleted at the end), one worker process (``python -m consumers.worker``) waited for until
  it has been assigned partitions, then the API on the faust engine. PostgreSQL only.

On PostgreSQL a fresh database ``foodmatch_bench_<tag>`` is created for the run (and dropped
afterwards) when the URL's role may create databases; otherwise the given database is used and
the run's rows stay there (every id carries the run's tag). Rounds run only on request
(debounce 3600 s, no scheduled rounds), so the measured phases are not disturbed by them.

1. Setup, not timed: groups with a certificate each, kitchens, and supply of a few crops for the
   next weeks (every group offers every crop); then a key per kitchen.
2. Orders, timed: ``orders`` distinct ``POST /orders``, each with its own ``Idempotency-Key``,
   sent by the kitchen's own key.
3. One ``POST /rounds`` (coordinator), timed on its own: wall time and contracts made.
4. Contract reads, timed: ``reads`` requests, half ``GET /contracts?buyer_id=`` (the kitchen's
   list, default page) and half ``GET /contracts/{id}`` of one of the kitchen's contracts; four
   in five with the kitchen's key, one in five with the coordinator's.

Per phase: requests, errors (non-2xx by status, or the transport error), wall seconds,
requests/s and latency percentiles (nearest rank over every request's ``perf_counter`` time).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import httpx
    from rich.console import RenderableType
    from rich.progress import Progress, TaskID

    from bench.figures import FiguresRun
    from matcher.config import KafkaSettings

from bench.processes import (
    HOST,
    BenchError,
    Child,
    Keys,
    check_port,
    free_port,
    service_env,
    wait_assigned,
    wait_ready,
)
from matcher.percentile import percentile

API = "/api/v1"
ENGINES = ("inprocess", "kafka")
PERCENTILES = (50, 90, 95, 99)
CROPS = ("kale", "choy_sum", "morning_glory", "cucumber")
WEEKS = 5
"""Weeks of supply offered; each order has three weekly deliveries within them."""
HAT_YAI = (7.0167, 100.4681)
SONGKHLA_CITY = (7.1422, 100.5664)

Json = dict[str, Any]


# -- figures (pure) -------------------------------------------------------------------------


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

    @property
    def errors(self) -> int:
        round_failed = not (
            isinstance(self.round.http_status, int) and self.round.http_status < 300
        )
        return self.orders.error_count + self.reads.error_count + int(round_failed)

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
        lines.extend(Text(f"  note: {note}") for note in run.notes)
    return Group(*lines)


# -- the requests (pure) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    kind: str
    method: str
    path: str
    token: str
    body: Json | None = None
    params: dict[str, str] | None = None
    idempotency_key: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"}
        if self.idempotency_key is not None:
            headers["Idempotency-Key"] = self.idempotency_key
        return headers


@dataclass(frozen=True, slots=True)
class Market:
    """The participants of one run: ids carry the run's tag."""

    tag: str
    groups: tuple[str, ...]
    kitchens: tuple[str, ...]
    crops: tuple[str, ...] = CROPS
    today: date = field(default_factory=date.today)

    @classmethod
    def of(
        cls, tag: str, groups: int = 20, kitchens: int = 20, today: date | None = None
    ) -> Market:
        return cls(
            tag,
            tuple(f"bgrp-{n:03d}-{tag}" for n in range(groups)),
            tuple(f"bkit-{n:03d}-{tag}" for n in range(kitchens)),
            today=today or date.today(),
        )

    @property
    def days(self) -> list[date]:
        """Delivery dates, one a week, from two weeks ahead."""
        start = self.today + timedelta(days=14)
        return [start + timedelta(weeks=n) for n in range(WEEKS)]

    def setup(self, token: str) -> list[tuple[str, list[Call]]]:
        """The setup's stages, in order (a stage's calls may run concurrently)."""
        from matcher.domain.weeks import iso_week

        weeks = {iso_week(d): 300 for d in self.days}
        people: list[Call] = []
        certificates: list[Call] = []
        supply: list[Call] = []
        for n, gid in enumerate(self.groups):
            body = {
                "id": gid,
                "name_th": f"วิสาหกิจชุมชนผักปลอดภัย {n}",
                "name_en": f"Bench safe vegetable group {n}",
                "lat": round(HAT_YAI[0] + 0.01 * (n % 7), 4),
                "lon": round(HAT_YAI[1] - 0.01 * (n % 5), 4),
                "members": 10 + n % 20,
                "kind": "community_enterprise",
                "district": "9011",
            }
            people.append(self._post("group", "/groups", token, body))
            certificates.append(
                self._post(
                    "certificate",
                    "/certificates",
                    token,
                    {
                        "id": f"bcert-{gid}",
                        "group_id": gid,
                        "scheme": "THAI_GAP",
                        "valid_from": (self.today - timedelta(days=30)).isoformat(),
                        "valid_until": (self.today + timedelta(days=365)).isoformat(),
                        "certifier": "Department of Agriculture",
                    },
                )
            )
            for crop in self.crops:
                supply.append(
                    self._post(
                        "supply",
                        "/supply",
                        token,
                        {
                            "id": f"bsup-{crop}-{gid}",
                            "group_id": gid,
                            "crop_id": crop,
                            "scheme": "THAI_GAP",
                            "weeks": weeks,
                            "asking_price": f"{22 + n % 5}.50",
                        },
                    )
                )
        for n, kid in enumerate(self.kitchens):
            body = {
                "id": kid,
                "name_th": f"โรงครัว {n}",
                "name_en": f"Bench kitchen {n}",
                "kind": ("hospital", "school", "prison")[n % 3],
                "lat": round(SONGKHLA_CITY[0] - 0.01 * (n % 6), 4),
                "lon": round(SONGKHLA_CITY[1] - 0.01 * (n % 4), 4),
                "district": "9001",
            }
            people.append(self._post("buyer", "/buyers", token, body))
        return [
            ("groups and kitchens", people),
            ("certificates", certificates),
            ("supply", supply),
        ]

    def orders(self, count: int, tokens: dict[str, str]) -> list[Call]:
        """``count`` distinct orders, each sent by its kitchen with its own Idempotency-Key."""
        days = self.days
        calls: list[Call] = []
        for n in range(count):
            kitchen = self.kitchens[n % len(self.kitchens)]
            crop = self.crops[(n // len(self.kitchens)) % len(self.crops)]
            first = n % (WEEKS - 2)
            body = {
                "id": f"bord-{n:06d}-{self.tag}",
                "buyer_id": kitchen,
                "crop_id": crop,
                "quantity": 10 + 10 * (n % 5),
                "deliveries": [d.isoformat() for d in days[first : first + 3]],
                "min_tier": "SAFE",
                "max_price": "30.00",
                "max_distance_km": 80,
            }
            calls.append(
                Call("order", "POST", "/orders", tokens[kitchen], body, None, f"order-{body['id']}")
            )
        return calls

    def reads(
        self,
        count: int,
        contracts: dict[str, list[str]],
        tokens: dict[str, str],
        coordinator: str,
    ) -> list[Call]:
        """Half the kitchens' lists, half single contracts (a kitchen's own), alternating; one in
        five with the coordinator's key. Kitchens without contracts get only list reads."""
        calls: list[Call] = []
        seen: dict[str, int] = {}
        for n in range(count):
            kitchen = self.kitchens[(n // 2) % len(self.kitchens)]
            token = coordinator if n % 5 == 4 else tokens[kitchen]
            mine = contracts.get(kitchen, [])
            if n % 2 == 0 or not mine:
                calls.append(Call("list", "GET", "/contracts", token, params={"buyer_id": kitchen}))
                continue
            index = seen.get(kitchen, 0)
            seen[kitchen] = index + 1
            calls.append(Call("get", "GET", f"/contracts/{mine[index % len(mine)]}", token))
        return calls

    def _post(self, kind: str, path: str, token: str, body: Json) -> Call:
        return Call(kind, "POST", path, token, body, None, f"setup-{kind}-{body['id']}")


# -- driving the API ------------------------------------------------------------------------


class Reporter(Protocol):
    def status(self, text: str) -> None: ...

    def start(self, description: str, total: int) -> None: ...

    def advance(self) -> None: ...


class ProgressReporter:
    """One rich progress line: a spinner for the steps, a bar for the timed phases."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID = progress.add_task("starting", total=None)

    def status(self, text: str) -> None:
        self.progress.update(self.task, description=text, total=None, completed=0)

    def start(self, description: str, total: int) -> None:
        self.progress.update(self.task, description=description, total=total, completed=0)

    def advance(self) -> None:
        self.progress.advance(self.task)


@contextmanager
def progress_reporter(console: Console) -> Iterator[ProgressReporter]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        yield ProgressReporter(progress)


async def drive(
    client: httpx.AsyncClient,
    calls: Sequence[Call],
    concurrency: int,
    advance: Callable[[], None] = lambda: None,
) -> tuple[list[Sample], float]:
    """Send ``calls`` with ``concurrency`` workers (each takes the next call when its answer is
    in); the samples in the order answered and the wall seconds from first send to last answer.
    """
    import httpx

    pending = iter(calls)
    samples: list[Sample] = []

    async def worker() -> None:
        for call in pending:  # shared: each call is taken by one worker
            started = time.perf_counter()
            try:
                response = await client.request(
                    call.method,
                    API + call.path,
                    json=call.body,
                    params=call.params,
                    headers=call.headers(),
                )
                elapsed = time.perf_counter() - started
                ok = 200 <= response.status_code < 300
                detail = "" if ok else f"{call.method} {API}{call.path}: {response.text[:300]}"
                samples.append(Sample(call.kind, elapsed, response.status_code, detail))
            except httpx.HTTPError as err:
                elapsed = time.perf_counter() - started
                detail = f"{call.method} {API}{call.path}: {err!r}"[:300]
                samples.append(Sample(call.kind, elapsed, type(err).__name__, detail))
            advance()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(calls))))))
    return samples, time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Measured:
    setup_seconds: float
    orders: PhaseFigures
    round: RoundFigures
    reads: PhaseFigures
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    orders: int = 500
    reads: int = 2000
    concurrency: int = 16
    groups: int = 20
    kitchens: int = 20
    request_timeout: float = 60.0
    round_timeout: float = 300.0
    figures: bool = True
    """Also the coordinator's figures at the demo's size and ``figure_scale`` times it."""
    figure_reads: int = 20
    figure_scale: int = 100


def _first_failure(samples: Sequence[Sample]) -> Sample | None:
    return next((s for s in samples if not s.ok), None)


async def measure(
    base_url: str,
    market: Market,
    coordinator: str,
    kitchen_key: Callable[[str], str],
    plan: Plan,
    reporter: Reporter,
) -> Measured:
    """Setup, the timed orders, one round, the timed reads (see the module's description)."""
    import httpx

    limits = httpx.Limits(
        max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency
    )
    notes: list[str] = []
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=plan.request_timeout
    ) as client:
        setup_started = time.perf_counter()
        for stage, calls in market.setup(coordinator):
            reporter.start(f"setup: {stage}", len(calls))
            samples, _ = await drive(client, calls, plan.concurrency, reporter.advance)
            failed = _first_failure(samples)
            if failed is not None:
                raise BenchError(f"setup ({stage}) failed: HTTP {failed.status}: {failed.detail}")
        reporter.status("setup: a key per kitchen")
        tokens = {kid: await asyncio.to_thread(kitchen_key, kid) for kid in market.kitchens}
        setup_seconds = time.perf_counter() - setup_started

        reporter.start(f"POST /orders ×{plan.orders:,}", plan.orders)
        samples, wall = await drive(
            client, market.orders(plan.orders, tokens), plan.concurrency, reporter.advance
        )
        orders = phase_figures("orders", samples, wall)
        if (failed := _first_failure(samples)) is not None:
            notes.append(f"first failed order: HTTP {failed.status}: {failed.detail}")

        reporter.status("POST /rounds (one matching round)")
        auth = {"Authorization": f"Bearer {coordinator}"}
        started = time.perf_counter()
        try:
            response = await client.post(
                API + "/rounds", json={}, headers=auth, timeout=plan.round_timeout
            )
            round_wall = time.perf_counter() - started
            answer: Any = response.json() if response.status_code < 300 else None
            if answer is None:
                notes.append(f"round: HTTP {response.status_code}: {response.text[:300]}")
            round_ = RoundFigures(
                round_wall,
                response.status_code,
                None if answer is None else str(answer.get("status")),
                0 if answer is None else len(answer.get("contract_ids", [])),
            )
        except httpx.HTTPError as err:
            round_wall = time.perf_counter() - started
            notes.append(f"round: {err!r}")
            round_ = RoundFigures(round_wall, type(err).__name__, None, 0)

        reporter.status("reading each kitchen's contract ids")
        contracts: dict[str, list[str]] = {}
        for kid in market.kitchens:
            listed = await client.get(
                API + "/contracts", params={"buyer_id": kid, "limit": "1000"}, headers=auth
            )
            if listed.status_code != 200:
                raise BenchError(f"GET /contracts?buyer_id={kid}: HTTP {listed.status_code}")
            contracts[kid] = [str(c["id"]) for c in listed.json()]
        if not any(contracts.values()):
            notes.append("the round made no contract: the reads are list reads only")

        reporter.start(f"contract reads ×{plan.reads:,}", plan.reads)
        calls = market.reads(plan.reads, contracts, tokens, coordinator)
        samples, wall = await drive(client, calls, plan.concurrency, reporter.advance)
        reads = phase_figures("reads", samples, wall)
        if (failed := _first_failure(samples)) is not None:
            notes.append(f"first failed read: HTTP {failed.status}: {failed.detail}")
    return Measured(setup_seconds, orders, round_, reads, tuple(notes))


# -- processes, ports, databases, topics ----------------------------------------------------


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
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.pool import NullPool

    from matcher.adapters.db.migrate import upgrade
    from matcher.adapters.db.session import make_engine, normalise_url

    fresh: str | None = None
    admin = None
    if given is None:
        database = Database(f"sqlite:///{tmp / 'bench.db'}", "SQLite, a temporary file")
    elif is_sqlite(given):
        database = Database(given, f"SQLite {shown(given)} (rows left, ids tagged -{tag})")
    else:
        try:
            admin = make_engine(given, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as err:
            raise BenchError(
                f"cannot reach the database at {shown(given)}: {_reason(err)}"
            ) from None
        except Exception as err:
            raise BenchError(f"cannot use the database at {shown(given)}: {err}") from None
        name = f"foodmatch_bench_{tag}"
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
            fresh = name
            url = normalise_url(given).set(database=name).render_as_string(hide_password=False)
            database = Database(url, f"PostgreSQL, fresh database {name} (dropped afterwards)")
        except DBAPIError as err:
            reason = str(err.orig).strip().splitlines()[0]
            database = Database(
                given,
                f"PostgreSQL {shown(given)} (could not create a database: {reason}; rows left, "
                f"ids tagged -{tag})",
            )
    try:
        engine = make_engine(database.url)
        try:
            upgrade(engine)
        except OperationalError as err:
            raise BenchError(
                f"cannot reach the database at {shown(database.url)}: {_reason(err)}"
            ) from None
        finally:
            engine.dispose()
        yield database
    finally:
        if admin is not None:
            if fresh is not None:
                try:
                    with admin.connect() as connection:
                        connection.exec_driver_sql(
                            f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'
                        )
                except Exception as err:  # best effort: an empty database left behind
                    print(f"warning: could not drop database {fresh}: {err}", file=sys.stderr)
            admin.dispose()


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


# -- a run ----------------------------------------------------------------------------------


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


def run_engine(
    target: Target,
    plan: Plan,
    reporter: Reporter,
    *,
    port: int = 0,
    ready_seconds: float = 120.0,
) -> EngineRun:
    """Start the service on ``target``'s engine, measure it, stop everything (also on errors)."""
    import httpx

    if port:
        check_port(port)
    tag = secrets.token_hex(3)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    market = Market.of(tag, plan.groups, plan.kitchens)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"fm-bench-{tag}-")))
        reporter.status(f"{target.engine}: preparing the database")
        database = stack.enter_context(database_for(target.database_url, tmp, tag))
        keys = Keys(database.url, tag)
        stack.callback(keys.close)
        coordinator = keys.create("coordinator")
        kafka = None
        if target.kafka is not None:
            from matcher.adapters.kafka.broker import ensure_topics
            from matcher.adapters.kafka.probe import BrokerUnreachable

            kafka = target.kafka.model_copy(update={"topic_prefix": f"foodmatch-bench-{tag}"})
            reporter.status(f"kafka: creating the topics {kafka.topic_prefix}.*")
            stack.callback(delete_topics, kafka)
            try:
                ensure_topics(kafka)
            except BrokerUnreachable as err:
                raise BenchError(str(err)) from None
        env = service_env(target.engine, database.url, kafka, tmp)
        if kafka is not None:
            worker = Child(
                "worker",
                [sys.executable, "-m", "consumers.worker", "--worker-id", f"bench-{tag}"],
                env | {"FOODMATCH_LOG_LEVEL": "INFO"},
                tmp / "worker.log",
            )
            stack.callback(worker.stop)
            reporter.status("kafka: starting a worker, waiting for its partitions")
            worker.start()
            wait_assigned(worker, ready_seconds)
        chosen = port or free_port()
        api = Child(
            "API",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "api.app:create_app",
                "--host",
                HOST,
                "--port",
                str(chosen),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            tmp / "api.log",
        )
        stack.callback(api.stop)  # stopped first: registered last
        base_url = f"http://{HOST}:{chosen}"
        reporter.status(f"{target.engine}: starting the API at {base_url}")
        api.start()
        wait_ready(api, base_url, ready_seconds)
        try:
            measured = asyncio.run(
                measure(
                    base_url,
                    market,
                    coordinator,
                    lambda kitchen: keys.create("kitchen", kitchen),
                    plan,
                    reporter,
                )
            )
        except httpx.HTTPError as err:  # outside the timed phases, which count such errors
            raise BenchError(
                f"the API at {base_url} stopped answering ({err!r}); its last lines:\n{api.tail()}"
            ) from None
        reporter.status(f"{target.engine}: stopping")
    return EngineRun(
        engine=target.engine,
        tag=tag,
        database=database.label,
        concurrency=plan.concurrency,
        setup_seconds=measured.setup_seconds,
        orders=measured.orders,
        round=measured.round,
        reads=measured.reads,
        groups=plan.groups,
        kitchens=plan.kitchens,
        cpus=os.cpu_count() or 1,
        load_before=None if load is None else round(load, 2),
        notes=measured.notes,
    )


def main(
    engine: str = "inprocess",
    plan: Plan | None = None,
    *,
    db: str | None = None,
    bootstrap: str | None = None,
    port: int = 0,
    as_json: bool = False,
) -> int:
    """``foodmatch bench api``: 0 done, 1 some request failed, 2 the bench could not run,
    130 interrupted."""
    import json

    plan = plan or Plan()
    err_console = Console(stderr=True)
    try:
        import httpx  # noqa: F401
    except ImportError:
        print("error: bench api needs httpx: .venv/bin/pip install httpx", file=sys.stderr)
        return 2
    engines = ENGINES if engine == "both" else (engine,)
    runs: list[EngineRun] = []
    figures: FiguresRun | None = None
    try:
        targets = [target_for(name, db, bootstrap) for name in engines]
        with progress_reporter(err_console) as reporter:
            for target in targets:
                runs.append(run_engine(target, plan, reporter, port=port))
            if plan.figures:
                from bench.figures import run_figures

                figures = run_figures(
                    reads=plan.figure_reads, scale=plan.figure_scale, reporter=reporter, port=port
                )
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the bench's processes are stopped", file=sys.stderr)
        return 130
    if as_json:
        sys.stdout.write(
            json.dumps(report_json(runs, figures), ensure_ascii=False, indent=2) + "\n"
        )
    else:
        console = Console()
        if not console.is_terminal:  # a file or a pipe: wide enough for the table
            console = Console(width=max(console.width, 110))
        console.print(render(runs))
        if figures is not None:
            from bench.figures import render_figures

            console.print(render_figures(figures))
    failed = any(run.errors for run in runs) or (figures is not None and figures.errors > 0)
    return 1 if failed else 0
