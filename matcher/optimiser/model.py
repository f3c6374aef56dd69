"""The model: OR-Tools min-cost flow over the eligibility graph.

Network per market bucket (one crop, one week): source → supply week (capacity: announced
quantity) → delivery (capacity: the smaller of both quantities, per-unit cost ``c - M·w``) → sink
(capacity: ordered quantity), and a zero-cost source → sink bypass so nothing is forced.

``c`` is the delivered cost of one unit (price + transport, in 0.0001 THB) and ``w`` the buyer's
priority weight. ``M`` is larger than the cost of any simple path of the bucket's network, so one
more priority-weighted unit filled is always worth more than any saving in cost: the min-cost flow
is the lexicographic optimum (1) max priority-weighted filled quantity, then (2) min delivered
cost. When ``M`` would overflow 64-bit costs, the bucket's costs are scaled down (the filled
quantity stays optimal, the cost may not: the result then says so).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.optimiser.eligibility import EligibilityGraph, IntArray

COST_LIMIT = 2**62


@dataclass
class FlowResult:
    flows: IntArray
    """Flow on each arc of the graph, in the graph's arc order."""
    solver_seconds: float = 0.0
    ok: bool = True
    notes: list[str] = field(default_factory=list)


def buckets(graph: EligibilityGraph) -> list[IntArray]:
    """Arc indices grouped by connected bucket, each in the graph's arc order.

    Buckets are unions of supply nodes that share a delivery, so no path crosses two buckets.
    Labels (the least supply index of the bucket) spread along the arcs, with each label's own
    label lowered too and chains of labels shortened, until every arc agrees.
    """
    arc_s, arc_d = graph.arc_supply, graph.arc_demand
    if len(arc_s) == 0:
        return []
    n_supply, n_demand = len(graph.supply), len(graph.demand)
    label = np.arange(n_supply, dtype=np.int64)
    while True:
        lowest = np.full(n_demand, n_supply, dtype=np.int64)
        np.minimum.at(lowest, arc_d, label[arc_s])
        reached = lowest[arc_d]
        new = label.copy()
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


def big_m(graph: EligibilityGraph, arc_ids: IntArray, scale: int = 1) -> tuple[int, int]:
    """(M, a bound on the objective's magnitude) for one bucket, costs divided by ``scale``.

    The bound also covers OR-Tools' own check that an arc's cost times twice the number of
    nodes fits in 64 bits (it reports BAD_COST_RANGE otherwise).
    """
    s_ids, _ = _nodes(graph.arc_supply[arc_ids], len(graph.supply))
    n_supply = len(s_ids)
    n_demand = len(_nodes(graph.arc_demand[arc_ids], len(graph.demand))[0])
    costs = graph.arc_cost[arc_ids]
    max_cost = -(-(int(costs.max()) if len(costs) else 0) // scale)
    m = (2 * min(n_supply, n_demand) + 2) * max_cost + 1
    weights = graph.weight[graph.arc_demand[arc_ids]]
    w_max = int(weights.max()) if len(weights) else 1
    total_supply = int(graph.supply_quantity[s_ids].sum())
    return m, (m * w_max + max_cost) * max(total_supply, n_supply + n_demand + 5)


def solve_bucket(
    graph: EligibilityGraph, arc_ids: IntArray, m: int, scale: int = 1
) -> tuple[IntArray, float]:
    """Min-cost flow on one bucket; returns the flow on each of ``arc_ids`` and solver time.

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

    tails = np.concatenate([np.full(n_s, source), s_nodes[s_local], d_nodes, [source]]).astype(
        np.int64
    )
    heads = np.concatenate([s_nodes, d_nodes[d_local], np.full(n_d, sink), [sink]]).astype(np.int64)
    caps = np.concatenate(
        [
            s_cap,
            np.minimum(graph.supply_quantity[arc_s], graph.demand_quantity[arc_d]),
            d_cap,
            [flow_total],
        ]
    ).astype(np.int64)
    unit = -(-graph.arc_cost[arc_ids] // scale) - np.int64(m) * graph.weight[arc_d]
    costs = np.concatenate([np.zeros(n_s, dtype=np.int64), unit, np.zeros(n_d + 1, dtype=np.int64)])

    smcf = min_cost_flow.SimpleMinCostFlow()
    handles = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
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
    return flows[n_s : n_s + n_a], elapsed


def solve_flow(graph: EligibilityGraph) -> FlowResult:
    """Solve every bucket to the lexicographic optimum (see the module's docstring)."""
    result = FlowResult(flows=np.zeros(graph.arc_count, dtype=np.int64))
    for arc_ids in buckets(graph):
        m, bound = big_m(graph, arc_ids)
        if bound < COST_LIMIT:
            flows, seconds = solve_bucket(graph, arc_ids, m)
        else:
            scale = -(-bound // COST_LIMIT) + 1
            m, _ = big_m(graph, arc_ids, scale)
            flows, seconds = solve_bucket(graph, arc_ids, m, scale)
            result.ok = False
            result.notes.append(
                f"a market bucket of {len(arc_ids)} pairs had its costs scaled by 1/{scale} "
                "to fit 64-bit arithmetic: filled quantity optimal, cost within rounding"
            )
        result.solver_seconds += seconds
        result.flows[arc_ids] = flows
    return result
