"""An independent LP of the same problem (GLOP, two phases), used to check the flow model.

Phase 1 maximises priority-weighted filled quantity; phase 2 fixes it and minimises delivered
cost. The constraint matrix of the network is totally unimodular, so the LP optimum equals the
integer optimum the flow model must reach.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from matcher.optimiser.eligibility import EligibilityGraph


@dataclass(frozen=True, slots=True)
class LpResult:
    weighted_filled: float
    filled: float
    delivered_cost: float
    seconds: float


def solve_lp(graph: EligibilityGraph) -> LpResult:
    started = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:  # pragma: no cover - GLOP ships with OR-Tools
        raise RuntimeError("GLOP is not available")
    x = [
        solver.NumVar(0.0, float(_arc_capacity(graph, k)), f"x{k}") for k in range(len(graph.arcs))
    ]
    by_supply: dict[int, list[int]] = defaultdict(list)
    by_demand: dict[int, list[int]] = defaultdict(list)
    for k, a in enumerate(graph.arcs):
        by_supply[a.supply_index].append(k)
        by_demand[a.demand_index].append(k)
    for s, ks in by_supply.items():
        solver.Add(sum(x[k] for k in ks) <= graph.supply[s].quantity)
    for d, ks in by_demand.items():
        solver.Add(sum(x[k] for k in ks) <= graph.demand[d].quantity)
    weighted = sum(graph.weights[a.demand_index] * x[k] for k, a in enumerate(graph.arcs))
    if not graph.arcs:
        return LpResult(0.0, 0.0, 0.0, time.perf_counter() - started)
    solver.Maximize(weighted)
    _check(solver.Solve())
    best = solver.Objective().Value()
    solver.Add(weighted >= best - 1e-9 * max(1.0, abs(best)))
    cost = sum(a.cost * x[k] for k, a in enumerate(graph.arcs))
    solver.Minimize(cost)
    _check(solver.Solve())
    filled = sum(v.solution_value() for v in x)
    return LpResult(best, filled, solver.Objective().Value(), time.perf_counter() - started)


def _arc_capacity(graph: EligibilityGraph, k: int) -> int:
    arc = graph.arcs[k]
    return min(graph.supply[arc.supply_index].quantity, graph.demand[arc.demand_index].quantity)


def _check(status: int) -> None:
    if status != pywraplp.Solver.OPTIMAL:
        raise RuntimeError(f"GLOP ended with status {status}")
