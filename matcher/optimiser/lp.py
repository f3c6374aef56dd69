"""An independent LP of the same problem (GLOP, two phases), used to check the flow model.

Phase 1 maximises priority-weighted filled quantity. Phase 2 minimises delivered cost over the
optimal face of phase 1, read off phase 1's dual prices by complementary slackness: a pair
whose reduced cost is not zero carries nothing, and a supply week or delivery with a positive
dual price is used to capacity. The constraint matrix of the network is totally unimodular, so
the dual prices of a basic solution are whole numbers: they are checked (whole, dual feasible
on every pair, and their objective equal to phase 1's optimum) before the face is used; when
the check fails, phase 2 keeps every pair and adds the dense constraint "priority-weighted
fill ≥ phase 1's optimum" instead (the same answer, much slower to reach).

Large graphs are solved by column generation: the LP starts from each node's cheapest pairs,
and after each solve every pair of the graph is priced with the dual prices (numpy); the pairs
that would improve the objective join the LP (the most improving few per node) and GLOP
resumes from its last basis, until no pair improves: the optimum of the whole graph. No answer
of the flow model is used.

Without integer rules the LP optimum equals the integer optimum the flow model must reach.
Under integer rules (``max_suppliers``, ``min_lot``, ``max_buyers_per_week``) the LP ignores
them: it is their relaxation, and its priority-weighted fill is an upper bound.

:func:`solve_lp` solves one eligibility graph; :func:`solve_lp_markets` solves an instance
market by market (one crop, one week: markets share no supply and no delivery, so the sum of
their optima is the optimum of the whole), in worker processes on large instances.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp

from matcher.optimiser import parallel as pool
from matcher.optimiser.eligibility import Context, EligibilityGraph, build_graph
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.reasons import BoolArray, FloatArray, IntArray

FILL_TOLERANCE = 1e-9
"""Fallback phase 2: relative slack on "weighted fill ≥ phase 1's optimum"."""
DIRECT_MAX_PAIRS = 5_000
"""Graphs up to this many pairs are solved whole; larger ones by column generation."""
SEED_PAIRS = 10
"""Column generation starts from each supply week's and each delivery's cheapest pairs."""
ADD_PAIRS = 10
"""Per supply week and per delivery, the most improving pairs that join the LP in a round."""
PRICE_TOLERANCE = 1e-9
"""A pair improves the objective when its reduced cost beats this share of the largest
objective coefficient (dual prices are whole numbers: a real improvement is at least 1)."""

_RECORD = np.dtype(
    [("head", "u1", (3,)), ("lower", "<f8"), ("objective_key", "u1"), ("objective", "<f8")]
)
"""One ``MPModelProto.variable`` entry in protobuf wire format: key of field 3 (``variable``,
length-delimited) and its length (18); key of field 1 (``lower_bound``, fixed64) and the value;
key of field 3 (``objective_coefficient``, fixed64) and the value. Every variable of the LP has
this shape, so all of them are written at once rather than one message at a time."""
_HEAD = (0x1A, 18, 0x09)
_OBJECTIVE_KEY = 0x19


@dataclass(frozen=True, slots=True)
class LpResult:
    weighted_filled: float
    filled: float
    delivered_cost: float
    """Solver cost units (0.0001 THB)."""
    seconds: float
    """Wall time, graphs and models included."""
    solver_seconds: float = 0.0
    """Time inside GLOP (summed over worker processes)."""
    markets: int = 1
    pairs: int = 0
    fallbacks: int = 0
    """LPs whose dual prices failed the check: phase 2 used the dense constraint."""


def solve_lp(graph: EligibilityGraph) -> LpResult:
    """Both phases on ``graph`` (see the module)."""
    started = time.perf_counter()
    n = graph.arc_count
    if n == 0:
        return LpResult(0.0, 0.0, 0.0, time.perf_counter() - started, pairs=0)
    weight = graph.weight[graph.arc_demand].astype(np.float64)
    cost = graph.arc_cost.astype(np.float64)
    everything = np.ones(n, dtype=np.bool_)
    if n <= DIRECT_MAX_PAIRS:
        seed = everything
    else:
        seed = _cheapest(graph.arc_demand, cost, SEED_PAIRS)
        seed |= _cheapest(graph.arc_supply, cost, SEED_PAIRS)
    lp = _ColumnLp(graph, seed, weight)
    prices = lp.optimise(weight, maximize=True, allowed=everything)
    best = lp.value()
    face = _optimal_face(graph, prices, best)
    if face is None:
        flows, delivered_cost, seconds = _dense_phase_two(graph, weight, cost, best)
        solver_seconds = lp.seconds + seconds
    else:
        keep, tight_supply, tight_demand = face
        lp.restrict(keep, tight_supply, tight_demand, cost)
        lp.optimise(cost, maximize=False, allowed=keep)
        flows, delivered_cost, solver_seconds = lp.flows(), lp.value(), lp.seconds
    return LpResult(
        weighted_filled=best,
        filled=float(flows.sum()),
        delivered_cost=delivered_cost,
        seconds=time.perf_counter() - started,
        solver_seconds=solver_seconds,
        pairs=n,
        fallbacks=int(face is None),
    )


def solve_lp_markets(instance: MatchingInstance, *, parallel: bool | None = None) -> LpResult:
    """The LP of ``instance``, market by market, summed.

    ``parallel``: as for :func:`matcher.optimiser.solve.solve` (``None``: worker processes for
    large instances only). Each market's graph is built, solved and dropped in turn.
    """
    started = time.perf_counter()
    ctx = Context(instance)
    tables = ctx.tables
    chunks = pool.plan_chunks(tables, pool.available_workers())
    workers = pool.use_pool(tables, chunks, parallel)
    parts = list(pool.run_chunks(partial(_solve_markets, ctx), chunks, workers))
    return LpResult(
        weighted_filled=sum(p.weighted_filled for p in parts),
        filled=sum(p.filled for p in parts),
        delivered_cost=sum(p.delivered_cost for p in parts),
        seconds=time.perf_counter() - started,
        solver_seconds=sum(p.solver_seconds for p in parts),
        markets=sum(p.markets for p in parts),
        pairs=sum(p.pairs for p in parts),
        fallbacks=sum(p.fallbacks for p in parts),
    )


def _solve_markets(ctx: Context, markets: Sequence[int]) -> LpResult:
    started = time.perf_counter()
    results = [solve_lp(build_graph(ctx.instance, ctx, [m])) for m in markets]
    return LpResult(
        weighted_filled=sum(r.weighted_filled for r in results),
        filled=sum(r.filled for r in results),
        delivered_cost=sum(r.delivered_cost for r in results),
        seconds=time.perf_counter() - started,
        solver_seconds=sum(r.solver_seconds for r in results),
        markets=len(results),
        pairs=sum(r.pairs for r in results),
        fallbacks=sum(r.fallbacks for r in results),
    )


class _ColumnLp:
    """GLOP over a growing set of the graph's pairs, one variable each, solved incrementally:
    adding pairs or changing the objective keeps the last basis."""

    def __init__(self, graph: EligibilityGraph, active: BoolArray, objective: FloatArray) -> None:
        self.graph = graph
        request = _request(graph, active, objective, maximize=True)
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise RuntimeError("GLOP is not available")
        error = self.solver.LoadModelFromProto(request.model)
        if error:  # pragma: no cover - the model is well formed
            raise RuntimeError(f"GLOP rejected the model: {error}")
        self.objective = self.solver.Objective()
        self.pairs: list[int] = np.flatnonzero(active).tolist()
        self.variables: list[pywraplp.Variable] = self.solver.variables()
        self.rows: list[pywraplp.Constraint] = self.solver.constraints()
        self.active = active.copy()
        self.seconds = 0.0

    def optimise(self, objective: FloatArray, *, maximize: bool, allowed: BoolArray) -> FloatArray:
        """Solve, price every ``allowed`` pair, add the improving ones, until none improves;
        returns the dual prices (supply weeks, then deliveries)."""
        g = self.graph
        n_s = len(g.supply)
        sign = 1.0 if maximize else -1.0
        tolerance = PRICE_TOLERANCE * max(1.0, float(np.abs(objective).max())) + 1e-6
        while True:
            started = time.perf_counter()
            status = self.solver.Solve()
            self.seconds += time.perf_counter() - started
            if status != pywraplp.Solver.OPTIMAL:
                raise RuntimeError(f"GLOP ended with status {status}")
            prices = np.asarray([row.dual_value() for row in self.rows], dtype=np.float64)
            gain = sign * (objective - prices[g.arc_supply] - prices[n_s + g.arc_demand])
            candidates = np.flatnonzero(allowed & ~self.active & (gain > tolerance))
            if len(candidates) == 0:
                return prices
            best = -gain[candidates]
            chosen = _cheapest(g.arc_demand[candidates], best, ADD_PAIRS)
            chosen |= _cheapest(g.arc_supply[candidates], best, ADD_PAIRS)
            self._add(candidates[chosen], objective)

    def _add(self, pairs: IntArray, objective: FloatArray) -> None:
        g = self.graph
        n_s = len(g.supply)
        infinity = self.solver.infinity()
        columns = zip(
            g.arc_supply[pairs].tolist(),
            g.arc_demand[pairs].tolist(),
            objective[pairs].tolist(),
            strict=True,
        )
        for s, d, coefficient in columns:
            variable = self.solver.NumVar(0.0, infinity, "")
            self.rows[s].SetCoefficient(variable, 1.0)
            self.rows[n_s + d].SetCoefficient(variable, 1.0)
            self.objective.SetCoefficient(variable, coefficient)
            self.variables.append(variable)
        self.pairs += pairs.tolist()
        self.active[pairs] = True

    def restrict(
        self,
        keep: BoolArray,
        tight_supply: BoolArray,
        tight_demand: BoolArray,
        objective: FloatArray,
    ) -> None:
        """Phase 2: the pairs outside ``keep`` carry nothing, the tight rows are equalities,
        and ``objective`` is minimised."""
        g = self.graph
        for variable, k in zip(self.variables, self.pairs, strict=True):
            self.objective.SetCoefficient(variable, float(objective[k]))
            if not keep[k]:
                variable.SetUb(0.0)
        quantities = np.concatenate([g.supply_quantity, g.demand_quantity]).tolist()
        tight = np.concatenate([tight_supply, tight_demand]).tolist()
        for row, quantity, equal in zip(self.rows, quantities, tight, strict=True):
            if equal:
                row.SetLb(float(quantity))
        self.objective.SetMinimization()

    def value(self) -> float:
        return float(self.objective.Value())

    def flows(self) -> FloatArray:
        return np.asarray([v.solution_value() for v in self.variables], dtype=np.float64)


def _cheapest(keys: IntArray, values: FloatArray, count: int) -> BoolArray:
    """For each key, its ``count`` entries of least value."""
    order = np.lexsort((values, keys))
    ordered = keys[order]
    rank = np.arange(len(order)) - np.searchsorted(ordered, ordered, side="left")
    chosen = np.zeros(len(keys), dtype=np.bool_)
    chosen[order[rank < count]] = True
    return chosen


def _dense_phase_two(
    graph: EligibilityGraph, weight: FloatArray, cost: FloatArray, best: float
) -> tuple[FloatArray, float, float]:
    """Phase 2 on every pair with "weighted fill ≥ ``best``": (flows, cost, GLOP seconds)."""
    n = graph.arc_count
    request = _request(graph, np.ones(n, dtype=np.bool_), cost, maximize=False)
    row = request.model.constraint.add(
        lower_bound=best - FILL_TOLERANCE * max(1.0, abs(best)), upper_bound=np.inf
    )
    row.var_index.extend(range(n))
    row.coefficient.extend(weight.tolist())
    response = linear_solver_pb2.MPSolutionResponse()
    started = time.perf_counter()
    pywraplp.Solver.SolveWithProto(request, response)
    seconds = time.perf_counter() - started
    if response.status != linear_solver_pb2.MPSOLVER_OPTIMAL:
        raise RuntimeError(f"GLOP phase 2 ended with status {response.status_str}")
    flows = np.asarray(response.variable_value, dtype=np.float64)
    return flows, response.objective_value, seconds


def _request(
    graph: EligibilityGraph, keep: BoolArray, objective: FloatArray, *, maximize: bool
) -> linear_solver_pb2.MPModelRequest:
    """The LP over the pairs ``keep``: one variable per pair (≥ 0) with its ``objective``
    coefficient, one row per supply week and per delivery (sum ≤ quantity). Rows come supply
    weeks first, then deliveries, in graph order."""
    request = linear_solver_pb2.MPModelRequest(
        solver_type=linear_solver_pb2.MPModelRequest.GLOP_LINEAR_PROGRAMMING
    )
    model = request.model
    model.maximize = maximize
    pairs = np.flatnonzero(keep)
    records = np.zeros(len(pairs), dtype=_RECORD)
    records["head"] = _HEAD
    records["objective_key"] = _OBJECTIVE_KEY
    records["objective"] = objective[pairs]
    model.MergeFromString(records.tobytes())
    _rows(model, graph.arc_supply[pairs], graph.supply_quantity)
    _rows(model, graph.arc_demand[pairs], graph.demand_quantity)
    return request


def _rows(model: linear_solver_pb2.MPModelProto, nodes: IntArray, quantity: IntArray) -> None:
    order = np.argsort(nodes, kind="stable")
    bounds = np.searchsorted(nodes[order], np.arange(len(quantity) + 1)).tolist()
    for i, q in enumerate(quantity.tolist()):
        variables = order[bounds[i] : bounds[i + 1]]
        row = model.constraint.add(lower_bound=-np.inf, upper_bound=q)
        row.var_index.extend(variables.tolist())
        row.coefficient.extend([1.0] * len(variables))


def _optimal_face(
    graph: EligibilityGraph, prices: FloatArray, best: float
) -> tuple[BoolArray, BoolArray, BoolArray] | None:
    """(pairs that may carry flow, supply weeks and deliveries used to capacity) in every
    optimum of phase 1, from its dual ``prices``; ``None`` when they fail the check."""
    n_s = len(graph.supply)
    if len(prices) != n_s + len(graph.demand) or abs(best - round(best)) > 1e-6:
        return None
    whole = np.rint(prices)
    if len(whole) and (np.abs(prices - whole).max() > 1e-6 or whole.min() < 0):
        return None
    y = whole.astype(np.int64)
    u, v = y[:n_s], y[n_s:]
    reduced = u[graph.arc_supply] + v[graph.arc_demand] - graph.weight[graph.arc_demand]
    if reduced.min() < 0:
        return None  # not dual feasible
    bound = int(u @ graph.supply_quantity) + int(v @ graph.demand_quantity)
    if bound != round(best):
        return None  # not optimal: the face would be wrong
    return reduced == 0, u > 0, v > 0
