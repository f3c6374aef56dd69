"""``foodmatch bench``: the optimiser against the greedy baseline, the plain model (policies off)
and an independent LP (GLOP), with figures.

Each scenario runs in a fresh process so that its peak memory (max RSS) is its own. In it the
instance is solved three times: by default (``solve``: the flow model, or CP-SAT under integer
rules, with the fairness and continuity policies), as the plain model (the same parameters
without the policies: delivered cost alone) and by the greedy baseline. Then come the checks:
the fairness metrics (the eligible groups are found market by market, so they are cheap at any
scale) and the LP, market by market. The printed figures are :mod:`bench.optimiser_figures`'.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from dataclasses import replace
from queue import Empty
from typing import TYPE_CHECKING, Any

from rich.console import Console

from bench.optimiser_figures import LEGEND, figures_table
from bench.scenarios import Scenario, scenarios

if TYPE_CHECKING:
    from matcher.optimiser.instance import MatchingInstance
    from matcher.optimiser.solution import Solution


def _mb(usage: int) -> float:
    return usage / 1024  # ru_maxrss is in KiB on Linux


def eligible_groups(instance: MatchingInstance) -> set[str]:
    """Groups with at least one allowed (supply week, delivery) pair, market by market."""
    import numpy as np

    from matcher.optimiser.eligibility import Context

    tables = Context(instance).tables
    used = np.zeros(len(tables.snodes), dtype=np.bool_)
    for m in range(len(tables.markets)):
        used[tables.market_arcs(m)[0]] = True
    ids = list(instance.groups)
    groups = np.unique(tables.a_group[tables.s_ann[np.flatnonzero(used)]])
    return {ids[g] for g in groups.tolist()}


def _solution_figures(solution: Solution) -> dict[str, Any]:
    summary = solution.summary
    return summary.to_json() | {
        "status": solution.status.value,
        "solver": solution.solver,
        "message": solution.message,
        "delivered_cost_units": summary.delivered_cost,
    }


def run_scenario(scenario: Scenario, lp: bool) -> dict[str, Any]:
    """Generate, parse and solve one scenario, then check it; returns the figures (runs in a
    child process under ``foodmatch bench``, in-process in the tests)."""
    from matcher.optimiser.fairness import fairness
    from matcher.optimiser.lp import solve_lp_markets
    from matcher.optimiser.schema import parse_instance
    from matcher.optimiser.solve import solve
    from matcher.optimiser.validate import validate
    from matcher.reference import data_dir
    from matcher.roads import province_network
    from matcher.scenario import scaled_instance, songkhla_instance

    t0 = time.perf_counter()
    if scenario.kind == "songkhla":
        raw = songkhla_instance(weeks=scenario.weeks, seed=1)
    else:
        raw = scaled_instance(
            order_weeks=scenario.order_weeks, groups=scenario.groups, seed=1, weeks=scenario.weeks
        )
    t1 = time.perf_counter()
    # Distances by the province road model (round Songkhla Lake), as the service measures them.
    instance = replace(scenario.apply(parse_instance(raw)), roads=province_network(data_dir()))
    del raw
    t2 = time.perf_counter()
    ours = solve(instance)
    # Our solve's process and, apart, the largest worker process it started (large instances).
    peak = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    workers_peak = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    plain_instance = replace(instance, parameters=instance.parameters.plain())
    solutions = {
        "ours": ours,
        "plain": solve(plain_instance),
        "greedy": solve(instance, solver="greedy"),
    }
    figures: dict[str, Any] = {
        "rules": scenario.rules,
        "integer_rules": instance.has_integer_rules(),
        "time_limit_seconds": instance.parameters.time_limit_seconds,
        "generate_s": t1 - t0,
        "parse_s": t2 - t1,
        "groups": len(instance.groups),
        "orders": len(instance.orders),
        "order_weeks": ours.summary.order_weeks,
        "supply_weeks": ours.summary.supply_weeks,
        "pairs": ours.summary.eligible_pairs,
        **{name: _solution_figures(s) for name, s in solutions.items()},
        "valid": {
            name: validate(plain_instance if name == "plain" else instance, s).ok
            for name, s in solutions.items()
        },
        "lp_requested": lp,
        "peak_rss_mb": peak,
        "workers_peak_rss_mb": workers_peak,
    }
    started = time.perf_counter()
    eligible = eligible_groups(instance)
    figures["fairness"] = {
        name: fairness(instance, s.allocations, eligible).to_json() for name, s in solutions.items()
    }
    figures["fairness_seconds"] = time.perf_counter() - started
    del solutions, ours
    if lp:
        result = solve_lp_markets(instance)
        figures["lp"] = {
            "seconds": result.seconds,
            "solver_seconds": result.solver_seconds,
            "weighted_filled": result.weighted_filled,
            "filled": result.filled,
            "delivered_cost": result.delivered_cost,
            "markets": result.markets,
            "fallbacks": result.fallbacks,
        }
    figures["end_peak_rss_mb"] = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    figures["end_workers_peak_rss_mb"] = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
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


def _progress(i: int, total: int, scenario: Scenario, f: dict[str, Any]) -> str:
    ours, lp = f["ours"], f.get("lp")
    text = (
        f"[{i}/{total}] {scenario.name}: {f['order_weeks']:,} order-weeks, ours "
        f"{ours['wall_seconds']:.2f} s ({ours['solver']} {ours['solver_seconds']:.3f} s), plain "
        f"{f['plain']['wall_seconds']:.2f} s, greedy {f['greedy']['wall_seconds']:.2f} s, peak "
        f"{f['peak_rss_mb']:.0f} MB"
    )
    if f.get("workers_peak_rss_mb"):
        text += f" (workers {f['workers_peak_rss_mb']:.0f} MB)"
    if lp is not None:
        text += f", LP {lp['seconds']:.2f} s"
    return text


def main(*, quick: bool = False, large: bool = False, lp: bool = True) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=240)  # the tables' columns stay whole in files and pipes
    chosen = scenarios(quick=quick, large=large)
    rows: list[tuple[Scenario, dict[str, Any]]] = []
    for i, scenario in enumerate(chosen, 1):
        with console.status(f"[{i}/{len(chosen)}] {scenario.name}"):
            figures = run_isolated(scenario, lp)
        rows.append((scenario, figures))
        console.print(_progress(i, len(chosen), scenario, figures))
    flow = [(s, f) for s, f in rows if not f["integer_rules"]]
    integer = [(s, f) for s, f in rows if f["integer_rules"]]
    if flow:
        console.print(figures_table("foodmatch bench: the flow optimiser", flow))
    if integer:
        console.print(figures_table("foodmatch bench: integer rules (CP-SAT)", integer))
    console.print(LEGEND, highlight=False)
