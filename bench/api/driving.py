"""Driving the API in ``foodmatch bench api``: concurrent clients over HTTP sending a phase's
calls, each answer timed (``perf_counter``), and the run's phases in order: the setup, the timed
orders, one round, the timed contract reads; with the progress line that follows them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bench.api.figures import PhaseFigures, RoundFigures, Sample, phase_figures
from bench.api.workload import Call, Market
from bench.processes import BenchError

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.progress import Progress, TaskID

API = "/api/v1"


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
    prefix: str = API,
) -> tuple[list[Sample], float]:
    """Send ``calls`` with ``concurrency`` workers (each takes the next call when its answer is
    in), each path under ``prefix``; the samples in the order answered and the wall seconds from
    first send to last answer.
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
                    prefix + call.path,
                    json=call.body,
                    params=call.params,
                    headers=call.headers(),
                )
                elapsed = time.perf_counter() - started
                ok = 200 <= response.status_code < 300
                detail = "" if ok else f"{call.method} {prefix}{call.path}: {response.text[:300]}"
                samples.append(Sample(call.kind, elapsed, response.status_code, detail))
            except httpx.HTTPError as err:
                elapsed = time.perf_counter() - started
                detail = f"{call.method} {prefix}{call.path}: {err!r}"[:300]
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
    order_calls: tuple[Call, ...] = ()
    """The orders sent, to be sent again to the reference."""


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
    reference: bool = True
    """Also send the same orders to the minimal FastAPI + SQLite reference."""


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
    """Setup, the timed orders, one round, the timed reads (see :mod:`bench.api`)."""
    import httpx

    limits = httpx.Limits(
        max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency
    )
    notes: list[str] = []
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=plan.request_timeout
    ) as client:
        setup_started = time.perf_counter()
        await set_up(client, market, coordinator, plan.concurrency, reporter)
        reporter.status("setup: a key per kitchen")
        tokens = {kid: await asyncio.to_thread(kitchen_key, kid) for kid in market.kitchens}
        setup_seconds = time.perf_counter() - setup_started

        reporter.start(f"POST /orders ×{plan.orders:,}", plan.orders)
        order_calls = market.orders(plan.orders, tokens)
        orders = await timed_phase(client, "orders", order_calls, plan.concurrency, reporter, notes)

        reporter.status("POST /rounds (one matching round)")
        round_ = await one_round(client, coordinator, plan.round_timeout, notes)

        reporter.status("reading each kitchen's contract ids")
        contracts = await contract_ids(client, market, coordinator)
        if not any(contracts.values()):
            notes.append("the round made no contract: the reads are list reads only")

        reporter.start(f"contract reads ×{plan.reads:,}", plan.reads)
        calls = market.reads(plan.reads, contracts, tokens, coordinator)
        reads = await timed_phase(client, "reads", calls, plan.concurrency, reporter, notes)
    return Measured(setup_seconds, orders, round_, reads, tuple(notes), tuple(order_calls))


async def measure_reference(
    base_url: str, calls: Sequence[Call], plan: Plan, reporter: Reporter, notes: list[str]
) -> PhaseFigures:
    """The same orders sent to the reference (``POST /orders`` at its root) by the same client
    code, with the same concurrency."""
    import httpx

    limits = httpx.Limits(
        max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency
    )
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=plan.request_timeout
    ) as client:
        reporter.start(f"reference POST /orders ×{len(calls):,}", len(calls))
        return await timed_phase(
            client, "reference", calls, plan.concurrency, reporter, notes, prefix=""
        )


async def set_up(
    client: httpx.AsyncClient,
    market: Market,
    coordinator: str,
    concurrency: int,
    reporter: Reporter,
) -> None:
    """The setup's stages, one after the other; BenchError at the first failed call."""
    for stage, calls in market.setup(coordinator):
        reporter.start(f"setup: {stage}", len(calls))
        samples, _ = await drive(client, calls, concurrency, reporter.advance)
        failed = _first_failure(samples)
        if failed is not None:
            raise BenchError(f"setup ({stage}) failed: HTTP {failed.status}: {failed.detail}")


FAILED = {"orders": "order", "reads": "read", "reference": "order to the reference"}
"""A phase's name, and what its notes call one of its requests."""


async def timed_phase(
    client: httpx.AsyncClient,
    name: str,
    calls: Sequence[Call],
    concurrency: int,
    reporter: Reporter,
    notes: list[str],
    prefix: str = API,
) -> PhaseFigures:
    """A timed phase's figures; its first failed request, if any, is noted."""
    samples, wall = await drive(client, calls, concurrency, reporter.advance, prefix)
    if (failed := _first_failure(samples)) is not None:
        notes.append(f"first failed {FAILED[name]}: HTTP {failed.status}: {failed.detail}")
    return phase_figures(name, samples, wall)


async def one_round(
    client: httpx.AsyncClient, coordinator: str, timeout: float, notes: list[str]
) -> RoundFigures:
    """One ``POST /rounds`` with the coordinator's key, timed: its answer and contracts made."""
    import httpx

    auth = {"Authorization": f"Bearer {coordinator}"}
    started = time.perf_counter()
    try:
        response = await client.post(API + "/rounds", json={}, headers=auth, timeout=timeout)
        round_wall = time.perf_counter() - started
        answer: Any = response.json() if response.status_code < 300 else None
    except httpx.HTTPError as err:
        round_wall = time.perf_counter() - started
        notes.append(f"round: {err!r}")
        return RoundFigures(round_wall, type(err).__name__, None, 0)
    if answer is None:
        notes.append(f"round: HTTP {response.status_code}: {response.text[:300]}")
    return RoundFigures(
        round_wall,
        response.status_code,
        None if answer is None else str(answer.get("status")),
        0 if answer is None else len(answer.get("contract_ids", [])),
    )


async def contract_ids(
    client: httpx.AsyncClient, market: Market, coordinator: str
) -> dict[str, list[str]]:
    """Each kitchen's contract ids, read with the coordinator's key (not timed)."""
    auth = {"Authorization": f"Bearer {coordinator}"}
    contracts: dict[str, list[str]] = {}
    for kid in market.kitchens:
        listed = await client.get(
            API + "/contracts", params={"buyer_id": kid, "limit": "1000"}, headers=auth
        )
        if listed.status_code != 200:
            raise BenchError(f"GET /contracts?buyer_id={kid}: HTTP {listed.status_code}")
        contracts[kid] = [str(c["id"]) for c in listed.json()]
    return contracts
