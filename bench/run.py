"""``foodmatch bench``: optimiser against the greedy baseline and the raw solver, with figures.

Each scenario runs in a fresh process so that its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from dataclasses import dataclass
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


def run_scenario(scenario: Scenario, lp: bool) -> dict[str, Any]:
    """Generate, parse and solve one scenario; returns the figures (runs in a child process)."""
    from matcher.scenario import scaled_instance, songkhla_instance

    from matcher.optimiser.eligibility import build_graph
    from matcher.optimiser.lp import solve_lp
    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve
    from matcher.optimiser.validate import validate

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
    }
    if lp:
        graph = build_graph(instance)
        result = solve_lp(graph)
        figures["lp"] = {
            "seconds": result.seconds,
            "weighted_filled": result.weighted_filled,
            "delivered_cost": result.delivered_cost,
        }
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _child(scenario: Scenario, lp: bool, queue: mp.Queue[dict[str, Any]]) -> None:
    queue.put(run_scenario(scenario, lp))


def run_isolated(scenario: Scenario, lp: bool) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue: mp.Queue[dict[str, Any]] = ctx.Queue()
    proc = ctx.Process(target=_child, args=(scenario, lp, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "-"


def figures_table(rows: list[tuple[Scenario, dict[str, Any]]]) -> Table:
    table = Table(title="foodmatch bench (flow optimiser vs greedy baseline)")
    columns = (
        "scenario",
        "groups",
        "order-weeks",
        "supply-weeks",
        "pairs",
        "ours wall s",
        "solver s",
        "greedy s",
        "fill ours",
        "fill greedy",
        "cost ours THB",
        "cost greedy THB",
        "cost ratio",
        "km/unit ours",
        "km/unit greedy",
        "LP s",
        "LP agrees",
        "valid",
        "peak MB",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == "scenario" else "right")
    for scenario, f in rows:
        ours, greedy = f["ours"], f["greedy"]
        lp = f.get("lp")
        agrees = "-"
        if lp is not None:
            same_fill = abs(lp["weighted_filled"] - ours["weighted_filled"]) < 1e-6 * max(
                1, ours["weighted_filled"]
            )
            ours_cost = float(ours["delivered_cost_thb"]) * 10_000
            same_cost = abs(lp["delivered_cost"] - ours_cost) <= 1e-6 * max(1.0, ours_cost) + 100
            agrees = "yes" if same_fill and same_cost else "NO"
        table.add_row(
            scenario.name,
            f"{f['groups']:,}",
            f"{f['order_weeks']:,}",
            f"{f['supply_weeks']:,}",
            f"{f['pairs']:,}",
            f"{ours['wall_seconds']:.2f}",
            f"{ours['solver_seconds']:.3f}",
            f"{greedy['wall_seconds']:.2f}",
            f"{100 * ours['fill_rate']:.2f} %",
            f"{100 * greedy['fill_rate']:.2f} %",
            ours["delivered_cost_thb"],
            greedy["delivered_cost_thb"],
            _ratio(float(ours["delivered_cost_thb"]), float(greedy["delivered_cost_thb"])),
            f"{ours['km_per_unit']:.2f}",
            f"{greedy['km_per_unit']:.2f}",
            f"{lp['seconds']:.2f}" if lp else "-",
            agrees,
            "yes" if f["valid"] else "NO",
            f"{f['peak_rss_mb']:.0f}",
        )
    return table


def main(*, quick: bool = False, large: bool = False, lp: bool = True) -> None:
    console = Console()
    scenarios = list(SCENARIOS_QUICK if quick else SCENARIOS_FULL)
    if large:
        scenarios.append(SCENARIO_LARGE)
    rows: list[tuple[Scenario, dict[str, Any]]] = []
    for i, scenario in enumerate(scenarios, 1):
        with console.status(f"[{i}/{len(scenarios)}] {scenario.name}"):
            use_lp = lp and scenario.order_weeks <= 10_000
            figures = run_isolated(scenario, use_lp)
        rows.append((scenario, figures))
        ours = figures["ours"]
        console.print(
            f"[{i}/{len(scenarios)}] {scenario.name}: {figures['order_weeks']:,} order-weeks, "
            f"ours {ours['wall_seconds']:.2f} s (solver {ours['solver_seconds']:.3f} s), "
            f"greedy {figures['greedy']['wall_seconds']:.2f} s, "
            f"peak {figures['peak_rss_mb']:.0f} MB"
        )
    console.print(figures_table(rows))
    console.print(
        "fill: filled / ordered quantity; cost: delivered cost (goods + transport); "
        "cost ratio: ours / greedy; LP agrees: GLOP two-phase optimum equals ours; "
        "wall time includes eligibility, model, extraction and explanations."
    )
