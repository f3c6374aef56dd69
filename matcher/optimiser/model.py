"""The model: OR-Tools min-cost flow over the eligibility graph.

Network per market bucket (one crop, one week): source → supply week (capacity: announced
quantity, cut into the fairness policy's steps) → delivery (capacity: the smaller of both
quantities, per-unit cost ``c - M·w``) → sink (capacity: ordered quantity), and a zero-cost
source → sink bypass so nothing is forced.

``c`` is the cost of one unit on the pair: delivered cost (price + transport, in 0.0001 THB) plus
the continuity penalty when the group is new to an order that has a supplier; ``w`` is the
buyer's priority weight. The ``k``-th step of a supply week (from 0) costs ``k`` × that supply
week's fairness step cost per unit: convex, so the steps fill in order. ``M`` is larger than the
cost of any simple path of the bucket's network, so one more priority-weighted unit filled is
always worth more than any saving: the min-cost flow is the lexicographic optimum (1) max
priority-weighted filled quantity, then (2) min delivered cost plus policy penalties. When ``M``
would overflow 64-bit costs, the bucket's costs are scaled down (the filled quantity stays
optimal, the cost may not: the result then says so).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.optimiser.eligibility import EligibilityGraph
from matcher.optimiser.reasons import IntArray

COST_LIMIT = 2**62


class Steps(NamedTuple):
    """The fairness policy inside the model: each supply week of the graph cut into ``levels``
    steps, each ``cost[s]`` (solver units per unit, by graph supply node) dearer than the one
    before. ``Steps()``: no policy."""

    levels: int = 1
    cost: IntArray | None = None

    def top(self, s_ids: IntArray) -> int:
        """Cost per unit of the last step of the dearest of supply nodes ``s_ids``."""
        if self.cost is None or self.levels < 2 or len(s_ids) == 0:
            return 0
        return (self.levels - 1) * int(self.cost[s_ids].max())

    def node_costs(self, s_ids: IntArray, scale: int = 1) -> IntArray:
        """Step cost of supply nodes ``s_ids``, divided by ``scale`` (rounded up)."""
        if self.cost is None:
            return np.zeros(len(s_ids), dtype=np.int64)
        return -(-self.cost[s_ids] // scale)

    def penalty(self, s_ids: IntArray, quantity: IntArray, used: IntArray) -> int:
        """The policy's cost (solver units) of using ``used`` of supply nodes ``s_ids``
        (``quantity`` each), their steps filled in order."""
        if self.cost is None or self.levels < 2 or len(s_ids) == 0:
            return 0
        caps = step_capacities(quantity, self.levels)
        before = np.cumsum(caps, axis=0) - caps
        taken = np.clip(used[None, :] - before, 0, caps)
        levels = np.arange(self.levels, dtype=np.int64)[:, None]
        return int((levels * self.cost[s_ids][None, :] * taken).sum())


NO_STEPS = Steps()


def step_capacities(quantity: IntArray, count: int) -> IntArray:
    """Each supply week's quantity cut into ``count`` steps (rows), the remainder first."""
    base = quantity // count
    extra = quantity - base * count
    rows = np.arange(count, dtype=np.int64)[:, None]
    return (base[None, :] + (rows < extra[None, :])).astype(np.int64)


@dataclass
class FlowResult:
    flows: IntArray
    """Flow on each arc of the graph, in the graph's arc order."""
    solver_seconds: float = 0.0
    ok: bool = True
    notes: list[str] = field(default_factory=list)


def buckets(graph: EligibilityGraph, links: Sequence[tuple[IntArray, int]] = ()) -> list[IntArray]:
    """Arc indices grouped by connected bucket, each in the graph's arc order.

    Buckets are unions of supply nodes that share a delivery (or, for each ``(keys, count)`` of
    ``links``, an arc key in ``0..count-1``), so no path or tied rule crosses two buckets.
    Labels (the least supply index of the bucket) spread along the arcs, with each label's own
    label lowered too and chains of labels shortened, until every arc agrees.
    """
    arc_s, arc_d = graph.arc_supply, graph.arc_demand
    if len(arc_s) == 0:
        return []
    n_supply = len(graph.supply)
    spaces = [(arc_d, len(graph.demand)), *links]
    label = np.arange(n_supply, dtype=np.int64)
    while True:
        new = label.copy()
        for keys, count in spaces:
            lowest = np.full(count, n_supply, dtype=np.int64)
            np.minimum.at(lowest, keys, label[arc_s])
            reached = lowest[keys]
            np.minimum.at(new, arc_s, reached)
            np.minimum.at(new, label[arc_s], reached)
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            break
        label = new
    bucket = label[arc_s]
    order = np.argsort(bucket, kind="stable")
    starts = np.flatnonzero(np.diff(bucket[order], prepend=-1))
    groups = np.split(order, starts[1:])
    groups.sort(key=lambda g: int(g[0]))
    return groups


def _nodes(ends: IntArray, count: int) -> tuple[IntArray, IntArray]:
    """The distinct nodes among ``ends`` (ascending) and each end's position among them."""
    seen = np.zeros(count, dtype=np.bool_)
    seen[ends] = True
    position = np.cumsum(seen, dtype=np.int64) - 1
    return np.flatnonzero(seen), position[ends]


def big_m(
    graph: EligibilityGraph,
    arc_ids: IntArray,
    scale: int = 1,
    costs: IntArray | None = None,
    steps: Steps = NO_STEPS,
) -> tuple[int, int]:
    """(M, a bound on the objective's magnitude) for one bucket, costs divided by ``scale``.

    The bound also covers OR-Tools' own check that an arc's cost times twice the number of
    nodes fits in 64 bits (it reports BAD_COST_RANGE otherwise).
    """
    s_ids, _ = _nodes(graph.arc_supply[arc_ids], len(graph.supply))
    n_supply = len(s_ids)
    n_demand = len(_nodes(graph.arc_demand[arc_ids], len(graph.demand))[0])
    unit = (graph.arc_cost if costs is None else costs)[arc_ids]
    max_cost = -(-((int(unit.max()) if len(unit) else 0) + steps.top(s_ids)) // scale)
    m = (2 * min(n_supply, n_demand) + 2) * max_cost + 1
    weights = graph.weight[graph.arc_demand[arc_ids]]
    w_max = int(weights.max()) if len(weights) else 1
    total_supply = int(graph.supply_quantity[s_ids].sum())
    return m, (m * w_max + max_cost) * max(total_supply, n_supply + n_demand + 5)


def solve_bucket(
    graph: EligibilityGraph,
    arc_ids: IntArray,
    m: int,
    scale: int = 1,
    costs: IntArray | None = None,
    steps: Steps = NO_STEPS,
) -> tuple[IntArray, float]:
    """Min-cost flow on one bucket; returns the flow on each of ``arc_ids`` and solver time.

    ``costs``: the unit cost of each arc of the graph (default: its delivered cost).
    ``scale`` > 1 divides unit costs (rounding up) to keep them inside 64 bits.
    """
    arc_s, arc_d = graph.arc_supply[arc_ids], graph.arc_demand[arc_ids]
    s_ids, s_local = _nodes(arc_s, len(graph.supply))
    d_ids, d_local = _nodes(arc_d, len(graph.demand))
    n_s, n_d, n_a = len(s_ids), len(d_ids), len(arc_ids)
    source, sink = 0, 1
    s_cap = graph.supply_quantity[s_ids]
    d_cap = graph.demand_quantity[d_ids]
    flow_total = int(min(s_cap.sum(), d_cap.sum()))
    s_nodes = 2 + np.arange(n_s, dtype=np.int64)
    d_nodes = 2 + n_s + np.arange(n_d, dtype=np.int64)

    k = steps.levels
    step_caps = step_capacities(s_cap, k).reshape(-1)
    levels = np.arange(k, dtype=np.int64)[:, None]
    step_costs = (levels * steps.node_costs(s_ids, scale)[None, :]).reshape(-1)
    tails = np.concatenate([np.full(k * n_s, source), s_nodes[s_local], d_nodes, [source]]).astype(
        np.int64
    )
    heads = np.concatenate(
        [np.tile(s_nodes, k), d_nodes[d_local], np.full(n_d, sink), [sink]]
    ).astype(np.int64)
    caps = np.concatenate(
        [
            step_caps,
            np.minimum(graph.supply_quantity[arc_s], graph.demand_quantity[arc_d]),
            d_cap,
            [flow_total],
        ]
    ).astype(np.int64)
    base = (graph.arc_cost if costs is None else costs)[arc_ids]
    unit = -(-base // scale) - np.int64(m) * graph.weight[arc_d]
    all_costs = np.concatenate([step_costs, unit, np.zeros(n_d + 1, dtype=np.int64)])

    smcf = min_cost_flow.SimpleMinCostFlow()
    handles = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, all_costs)
    smcf.set_nodes_supplies(
        np.asarray([source, sink], dtype=np.int64),
        np.asarray([flow_total, -flow_total], dtype=np.int64),
    )
    started = time.perf_counter()
    status = smcf.solve()
    elapsed = time.perf_counter() - started
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = np.asarray(smcf.flows(handles), dtype=np.int64)
    return flows[k * n_s : k * n_s + n_a], elapsed


def solve_flow(
    graph: EligibilityGraph, costs: IntArray | None = None, steps: Steps = NO_STEPS
) -> FlowResult:
    """Solve every bucket to the lexicographic optimum (see the module's docstring)."""
    result = FlowResult(flows=np.zeros(graph.arc_count, dtype=np.int64))
    for arc_ids in buckets(graph):
        flows, seconds, note = solve_flow_bucket(graph, arc_ids, costs, steps)
        if note:
            result.ok = False
            result.notes.append(note)
        result.solver_seconds += seconds
        result.flows[arc_ids] = flows
    return result


def solve_flow_bucket(
    graph: EligibilityGraph,
    arc_ids: IntArray,
    costs: IntArray | None = None,
    steps: Steps = NO_STEPS,
) -> tuple[IntArray, float, str]:
    """One bucket to the lexicographic optimum: (flows, solver seconds, a note when the costs
    had to be scaled down)."""
    m, bound = big_m(graph, arc_ids, 1, costs, steps)
    if bound < COST_LIMIT:
        flows, seconds = solve_bucket(graph, arc_ids, m, 1, costs, steps)
        return flows, seconds, ""
    scale = -(-bound // COST_LIMIT) + 1
    m, _ = big_m(graph, arc_ids, scale, costs, steps)
    flows, seconds = solve_bucket(graph, arc_ids, m, scale, costs, steps)
    return (
        flows,
        seconds,
        f"a market bucket of {len(arc_ids)} pairs had its costs scaled by 1/{scale} "
        "to fit 64-bit arithmetic: filled quantity optimal, cost within rounding",
    )
