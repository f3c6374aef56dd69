"""``foodmatch bench``: optimiser against the greedy baseline and the raw solver, with figures.

Each scenario runs in a fresh process so that its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
from queue import Empty
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    kind: str
    order_weeks: int = 0
    groups: int = 0
    weeks: int = 12


SCENARIOS_QUICK = (
    Scenario("songkhla 12 weeks", "songkhla"),
    Scenario("scaled 1k × 200", "scaled", 1_000, 200),
)
SCENARIOS_FULL = (*SCENARIOS_QUICK, Scenario("scaled 10k × 2k", "scaled", 10_000, 2_000))
SCENARIO_LARGE = Scenario("scaled 100k × 5k", "scaled", 100_000, 5_000)
FAIRNESS_MAX_PAIRS = 2_000_000
"""Fairness figures need the eligible groups, read off the whole graph: skipped above this."""
LP_MAX_PAIRS = 400_000
"""The independent LP is skipped above this many eligible pairs (it is for checking, not speed)."""


def run_scenario(scenario: Scenario, lp: bool) -> dict[str, Any]:
    """Generate, parse and solve one scenario; returns the figures (runs in a child process)."""
    import numpy as np

    from matcher.optimiser.eligibility import build_graph
    from matcher.optimiser.fairness import fairness
    from matcher.optimiser.lp import solve_lp
    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve
    from matcher.optimiser.validate import validate
    from matcher.scenario import scaled_instance, songkhla_instance

    t0 = time.perf_counter()
    if scenario.kind == "songkhla":
        raw = songkhla_instance(weeks=scenario.weeks, seed=1)
    else:
        raw = scaled_instance(
            order_weeks=scenario.order_weeks, groups=scenario.groups, seed=1, weeks=scenario.weeks
        )
    t1 = time.perf_counter()
    instance = parse_instance(raw)
    del raw
    t2 = time.perf_counter()
    optimal = solve(instance)
    greedy = solve(instance, solver="greedy")
    figures: dict[str, Any] = {
        "generate_s": t1 - t0,
        "parse_s": t2 - t1,
        "groups": len(instance.groups),
        "orders": len(instance.orders),
        "order_weeks": optimal.summary.order_weeks,
        "supply_weeks": optimal.summary.supply_weeks,
        "pairs": optimal.summary.eligible_pairs,
        "ours": optimal.summary.to_json() | {"status": optimal.status.value},
        "greedy": greedy.summary.to_json(),
        "valid": validate(instance, optimal).ok and validate(instance, greedy).ok,
        "lp_requested": lp,
    }
    if optimal.summary.eligible_pairs <= FAIRNESS_MAX_PAIRS:
        graph = build_graph(instance)
        supplies = {s.id: s for s in instance.supply}
        used = {int(i) for i in np.unique(graph.arc_supply)}
        eligible = {supplies[graph.supply[i].supply_id].group_id for i in used}
        for name, solution in (("ours", optimal), ("greedy", greedy)):
            metrics = fairness(instance, solution.allocations, eligible)
            figures[f"fairness_{name}"] = metrics.to_json()
    if lp and optimal.summary.eligible_pairs <= LP_MAX_PAIRS:
        graph = build_graph(instance)
        result = solve_lp(graph)
        figures["lp"] = {
            "seconds": result.seconds,
            "weighted_filled": result.weighted_filled,
            "delivered_cost": result.delivered_cost,
        }
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Large instances are solved in worker processes: the largest of them, measured apart.
    figures["workers_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return figures


def _child(scenario: Scenario, lp: bool, queue: mp.Queue[dict[str, Any]]) -> None:
    queue.put(run_scenario(scenario, lp))


def run_isolated(scenario: Scenario, lp: bool) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue[dict[str, Any]] = ctx.Queue()
    proc = ctx.Process(target=_child, args=(scenario, lp, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=1.0)
            break
        except Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{scenario.name}: the benchmark process died") from None
    proc.join()
    return result


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}×" if b else "-"


def _per_unit(summary: dict[str, Any]) -> float:
    filled = summary["filled"]
    return float(summary["delivered_cost_thb"]) / filled if filled else 0.0


def _lp_agrees(f: dict[str, Any]) -> str:
    lp, ours = f.get("lp"), f["ours"]
    if lp is None:
        if not f.get("lp_requested", True):
            return "skipped (--no-lp)"
        return f"skipped (> {LP_MAX_PAIRS:,} pairs)"
    same_fill = abs(lp["weighted_filled"] - ours["weighted_filled"]) <= 1e-6 * max(
        1, ours["weighted_filled"]
    )
    ours_cost = float(ours["delivered_cost_thb"]) * 10_000
    same_cost = abs(lp["delivered_cost"] - ours_cost) <= 1e-6 * max(1.0, ours_cost) + 100
    verdict = "yes" if same_fill and same_cost else "NO"
    return f"{verdict} ({lp['seconds']:.2f} s)"


def _fair(f: dict[str, Any], key: str) -> str:
    if "fairness_ours" not in f:
        return f"skipped (> {FAIRNESS_MAX_PAIRS:,} pairs)"
    return f"{f['fairness_ours'][key]:.3f} / {f['fairness_greedy'][key]:.3f}"


def figures_rows(f: dict[str, Any]) -> list[tuple[str, str]]:
    """The printed figures of one scenario, as (label, value) rows."""
    ours, greedy = f["ours"], f["greedy"]
    return [
        ("groups", f"{f['groups']:,}"),
        ("orders", f"{f['orders']:,}"),
        ("order-weeks (deliveries)", f"{f['order_weeks']:,}"),
        ("supply weeks", f"{f['supply_weeks']:,}"),
        ("eligible pairs", f"{f['pairs']:,}"),
        ("ours: status", ours["status"]),
        ("ours: wall time", f"{ours['wall_seconds']:.2f} s"),
        ("ours: raw OR-Tools time", f"{ours['solver_seconds']:.3f} s"),
        ("greedy: wall time", f"{greedy['wall_seconds']:.2f} s"),
        ("wall time ours / greedy", _ratio(ours["wall_seconds"], greedy["wall_seconds"])),
        ("fill rate ours", f"{100 * ours['fill_rate']:.2f} %"),
        ("fill rate greedy", f"{100 * greedy['fill_rate']:.2f} %"),
        ("filled ours / greedy", _ratio(ours["filled"], greedy["filled"])),
        (
            "priority-weighted fill ours / greedy",
            _ratio(ours["weighted_filled"], greedy["weighted_filled"]),
        ),
        ("delivered cost ours (THB)", f"{float(ours['delivered_cost_thb']):,.2f}"),
        ("delivered cost greedy (THB)", f"{float(greedy['delivered_cost_thb']):,.2f}"),
        ("THB per unit filled ours / greedy", _ratio(_per_unit(ours), _per_unit(greedy))),
        ("km per unit ours", f"{ours['km_per_unit']:.2f}"),
        ("km per unit greedy", f"{greedy['km_per_unit']:.2f}"),
        ("Gini of group utilisation ours / greedy", _fair(f, "gini_utilisation")),
        ("lowest group utilisation ours / greedy", _fair(f, "min_utilisation")),
        ("volume share of the smallest groups ours / greedy", _fair(f, "smallest_groups_share")),
        ("independent LP (GLOP) agrees", _lp_agrees(f)),
        ("validator", "passes" if f["valid"] else "FAILS"),
        ("generate + parse", f"{f['generate_s']:.2f} s + {f['parse_s']:.2f} s"),
        ("peak memory (max RSS)", f"{f['peak_rss_mb']:.0f} MB"),
        ("peak memory of a worker process", _workers_peak(f)),
    ]


def _workers_peak(f: dict[str, Any]) -> str:
    peak = f.get("workers_peak_rss_mb", 0.0)
    return f"{peak:.0f} MB" if peak else "- (solved in-process)"


def figures_table(rows: list[tuple[Scenario, dict[str, Any]]]) -> Table:
    table = Table(title="foodmatch bench: flow optimiser against the greedy baseline")
    table.add_column("figure")
    for scenario, _ in rows:
        table.add_column(scenario.name, justify="right")
    columns = [figures_rows(f) for _, f in rows]
    for i, (label, _) in enumerate(columns[0] if columns else []):
        table.add_row(label, *(col[i][1] for col in columns))
    return table


def main(*, quick: bool = False, large: bool = False, lp: bool = True) -> None:
    console = Console()
    scenarios = list(SCENARIOS_QUICK if quick else SCENARIOS_FULL)
    if large:
        scenarios.append(SCENARIO_LARGE)
    rows: list[tuple[Scenario, dict[str, Any]]] = []
    for i, scenario in enumerate(scenarios, 1):
        with console.status(f"[{i}/{len(scenarios)}] {scenario.name}"):
            figures = run_isolated(scenario, lp)
        rows.append((scenario, figures))
        ours = figures["ours"]
        console.print(
            f"[{i}/{len(scenarios)}] {scenario.name}: {figures['order_weeks']:,} order-weeks, "
            f"ours {ours['wall_seconds']:.2f} s (solver {ours['solver_seconds']:.3f} s), "
            f"greedy {figures['greedy']['wall_seconds']:.2f} s, "
            f"peak {figures['peak_rss_mb']:.0f} MB"
            + (
                f" (workers {figures['workers_peak_rss_mb']:.0f} MB)"
                if figures.get("workers_peak_rss_mb")
                else ""
            )
        )
    console.print(figures_table(rows))
    console.print(
        "fill rate: filled / ordered quantity; delivered cost: goods + transport; wall time "
        "includes eligibility, model, extraction and explanations; the raw OR-Tools time is "
        "the min-cost-flow solves inside it (summed over worker processes on large instances); "
        "peak memory: the solving process, and apart the largest worker process; LP agrees: "
        "the two-phase GLOP optimum has the same priority-weighted fill and delivered cost."
    )
