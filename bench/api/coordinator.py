"""The coordinator's figures at the demo's size and at 100 times it (``foodmatch bench api``).

1. The demo's market, made as the demo makes it but without HTTP: the Songkhla scenario's
   registrations, certificates, supply and orders handled by the embedded service, one matching
   round, and the groups' answers (six proposals in ten accepted, one in ten rejected).
2. The API is started on that database and each coordinator route is read ``reads`` times by one
   client, each read timed; a minimal route on the same stack (``GET /api/v1/crops``: the same
   server, key check and JSON answer, no figure) is read as often in the same run as the
   reference, and each route's p50 is given as a multiple of it. The first read of each route
   after a change of the market is timed apart (``cold``): it computes what later reads reuse.
3. The API is stopped, the market is copied ``scale - 1`` times inside the database (every
   participant, certificate, supply, order, contract and unfilled line again under ids with a
   suffix, the unfilled lines in the same rounds), and step 2 runs again.

The market of steps 1 and 3 is made by :mod:`bench.api.demo_market`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.api.demo_market import replicate, seed_demo_market, top_crop

if TYPE_CHECKING:
    import httpx

Json = dict[str, Any]

API = "/api/v1"
REFERENCE = "/api/v1/crops"


def _kitchen(buyer_id: str) -> Json:
    return {
        "id": buyer_id,
        "name_th": "โรงครัวทดสอบ",
        "name_en": "Bench kitchen",
        "kind": "hospital",
        "lat": 7.1422,
        "lon": 100.5664,
        "district": "9001",
    }


def coordinator_routes(crop_id: str) -> list[str]:
    """Every coordinator figure: overview, statistics, map, planning report, one market's book."""
    return [
        "/api/v1/overview",
        "/api/v1/stats/fill",
        "/api/v1/stats/unmet",
        "/api/v1/stats/groups",
        "/api/v1/map",
        "/api/v1/report/planning",
        "/api/v1/report/planning.csv",
        f"/api/v1/markets/{crop_id}/book",
    ]


# -- timing the routes ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteFigures:
    path: str
    cold_ms: float
    p50_ms: float
    p95_ms: float
    reads: int
    ratio: float
    """p50 over the reference route's p50."""
    errors: int
    changed_ms: float = 0.0
    """The first read after a change of the market (a kitchen registered)."""
    changed_state: str = ""
    """Its ``X-Figures-State``: ``current``, or ``previous`` while the current is computed."""

    def to_json(self) -> Json:
        return {
            "path": self.path,
            "cold_ms": round(self.cold_ms, 2),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "reads": self.reads,
            "times_reference": round(self.ratio, 2),
            "errors": self.errors,
            "after_change_ms": round(self.changed_ms, 2),
            "after_change_state": self.changed_state,
        }


@dataclass(frozen=True, slots=True)
class SizeFigures:
    label: str
    counts: Json
    reference: RouteFigures
    routes: tuple[RouteFigures, ...]

    def to_json(self) -> Json:
        return {
            "size": self.label,
            "market": self.counts,
            "reference": self.reference.to_json(),
            "routes": [r.to_json() for r in self.routes],
        }


def time_routes(
    client: httpx.Client,
    paths: Sequence[str],
    reads: int,
    percentile: Callable[[Sequence[float], float], float],
) -> tuple[RouteFigures, list[RouteFigures]]:
    """The reference and each route: one cold read, then ``reads`` timed reads, in turns (the
    routes read one after the other, round after round, so that load on the machine falls on
    all alike); then one change of the market (a kitchen registered) and one timed read of
    each."""
    every = [REFERENCE, *paths]
    cold: dict[str, float] = {}
    errors: dict[str, int] = dict.fromkeys(every, 0)
    for path in every:
        started = time.perf_counter()
        response = client.get(path)
        cold[path] = time.perf_counter() - started
        errors[path] += response.status_code != 200
    seconds: dict[str, list[float]] = {path: [] for path in every}
    for _ in range(reads):
        for path in every:
            started = time.perf_counter()
            response = client.get(path)
            seconds[path].append(time.perf_counter() - started)
            errors[path] += response.status_code != 200
    registered = client.post(f"{API}/buyers", json=_kitchen(f"bench-kitchen-{time.time_ns()}"))
    errors[REFERENCE] += registered.status_code != 201
    changed: dict[str, tuple[float, str]] = {}
    for path in every:
        started = time.perf_counter()
        response = client.get(path)
        state = response.headers.get("X-Figures-State", "")
        changed[path] = (time.perf_counter() - started, state)
        errors[path] += response.status_code != 200

    def figures(path: str, base: float) -> RouteFigures:
        p50 = percentile(seconds[path], 50) * 1000
        return RouteFigures(
            path=path,
            cold_ms=cold[path] * 1000,
            p50_ms=p50,
            p95_ms=percentile(seconds[path], 95) * 1000,
            reads=reads,
            ratio=p50 / base if base else 0.0,
            errors=errors[path],
            changed_ms=changed[path][0] * 1000,
            changed_state=changed[path][1],
        )

    base = percentile(seconds[REFERENCE], 50) * 1000
    return figures(REFERENCE, base), [figures(path, base) for path in paths]


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FiguresRun:
    sizes: tuple[SizeFigures, ...]
    reads: int
    load_before: float | None

    @property
    def errors(self) -> int:
        return sum(r.errors for size in self.sizes for r in (size.reference, *size.routes))

    def to_json(self) -> Json:
        return {
            "reads_per_route": self.reads,
            "load_before": self.load_before,
            "sizes": [size.to_json() for size in self.sizes],
        }


def run_figures(
    *, reads: int, scale: int, reporter: Any, port: int = 0, ready_seconds: float = 120.0
) -> FiguresRun:
    """The demo's market and ``scale`` times it, each coordinator route read ``reads`` times
    (see the module's description)."""
    import os
    import secrets
    import tempfile
    from pathlib import Path

    import httpx

    from bench.processes import HOST, Keys, api_child, free_port, service_env, wait_ready
    from matcher.percentile import percentile

    tag = secrets.token_hex(3)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryDirectory(prefix=f"fm-bench-figures-{tag}-") as folder:
        tmp = Path(folder)
        url = f"sqlite:///{tmp}/figures.db"
        reporter.status("figures: the demo's market (the scenario, one round, the answers)")
        counts = seed_demo_market(url)
        keys = Keys(url, tag)
        try:
            token = keys.create("coordinator")
        finally:
            keys.close()
        paths = coordinator_routes(top_crop(url))
        sizes: list[SizeFigures] = []
        for label in ("demo", f"{scale}x"):
            if label != "demo":
                reporter.status(f"figures: the market copied to {scale} times its size")
                counts = replicate(url, scale)
            chosen = port or free_port()
            base_url = f"http://{HOST}:{chosen}"
            api = api_child(
                chosen, service_env("inprocess", url, None, tmp), tmp / f"api-{label}.log"
            )
            api.start()
            try:
                wait_ready(api, base_url, ready_seconds)
                reporter.status(f"figures: {label}: {len(paths) + 1} routes × {reads} reads")
                headers = {"Authorization": f"Bearer {token}"}
                with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
                    reference, routes = time_routes(client, paths, reads, percentile)
            finally:
                api.stop()
            sizes.append(SizeFigures(label, counts, reference, tuple(routes)))
    return FiguresRun(tuple(sizes), reads, None if load is None else round(load, 2))


def render_figures(run: FiguresRun) -> Any:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"coordinator figures: one client, {run.reads} reads per route after a cold one",
        caption="milliseconds; ×ref: p50 over the p50 of GET /api/v1/crops (same server, "
        "same key check, no figure), read in the same turns; after a change: the first read "
        "after a kitchen is registered, and the state it answered (previous: computed meanwhile)",
    )
    table.add_column("route")
    for name in ("cold", "p50", "p95", "×ref", "after a change", "errors"):
        table.add_column(name, justify="right")
    for index, size in enumerate(run.sizes):
        if index:
            table.add_section()
        market = size.counts
        table.add_row(
            f"[bold]{size.label}[/bold]: {market['contracts']:,} contracts, "
            f"{market['orders']:,} orders, {market['supply']:,} supply, "
            f"{market['groups']:,} groups, {market['buyers']:,} kitchens"
        )
        for figures in (size.reference, *size.routes):
            table.add_row(
                figures.path.removeprefix("/api/v1"),
                f"{figures.cold_ms:,.1f}",
                f"{figures.p50_ms:,.1f}",
                f"{figures.p95_ms:,.1f}",
                "1" if figures is size.reference else f"{figures.ratio:,.1f}",
                f"{figures.changed_ms:,.1f}"
                + (f" ({figures.changed_state})" if figures.changed_state else ""),
                str(figures.errors),
            )
    load = "" if run.load_before is None else f"load {run.load_before:.2f} at start"
    return Group(table, Text(f"figures: embedded engine, SQLite; {load}"))
