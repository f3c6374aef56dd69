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
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from ortools.graph.python import min_cost_flow

from matcher.optimiser.eligibility import EligibilityGraph

COST_LIMIT = 2**62


@dataclass
class FlowResult:
    flows: list[int]
    """Flow on each arc of the graph, in the graph's arc order."""
    solver_seconds: float = 0.0
    ok: bool = True
    notes: list[str] = field(default_factory=list)


def buckets(graph: EligibilityGraph) -> dict[int, list[int]]:
    """Arc indices grouped by connected bucket (arcs of one supply node stay together).

    Buckets are unions of supply nodes that share a delivery, so no path crosses two buckets.
    """
    parent = list(range(len(graph.supply)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_supply: dict[int, int] = {}
    for arc in graph.arcs:
        seen = first_supply.setdefault(arc.demand_index, arc.supply_index)
        a, b = find(seen), find(arc.supply_index)
        if a != b:
            parent[a] = b
    out: dict[int, list[int]] = defaultdict(list)
    for k, arc in enumerate(graph.arcs):
        out[find(arc.supply_index)].append(k)
    return out


def big_m(graph: EligibilityGraph, arc_ids: list[int], scale: int = 1) -> tuple[int, int]:
    """(M, a bound on the objective's magnitude) for one bucket, costs divided by ``scale``.

    The bound also covers OR-Tools' own check that an arc's cost times twice the number of
    nodes fits in 64 bits (it reports BAD_COST_RANGE otherwise).
    """
    arcs = [graph.arcs[k] for k in arc_ids]
    n_supply = len({a.supply_index for a in arcs})
    n_demand = len({a.demand_index for a in arcs})
    max_cost = -(-max((a.cost for a in arcs), default=0) // scale)
    m = (2 * min(n_supply, n_demand) + 2) * max_cost + 1
    w_max = max((graph.weights[a.demand_index] for a in arcs), default=1)
    total_supply = sum(graph.supply[s].quantity for s in {a.supply_index for a in arcs})
    return m, (m * w_max + max_cost) * max(total_supply, n_supply + n_demand + 5)


def solve_bucket(
    graph: EligibilityGraph, arc_ids: list[int], m: int, scale: int = 1
) -> tuple[list[int], float]:
    """Min-cost flow on one bucket; returns the flow on each of ``arc_ids`` and solver time.

    ``scale`` > 1 divides unit costs (rounding up) to keep them inside 64 bits.
    """
    arcs = [graph.arcs[k] for k in arc_ids]
    s_ids = sorted({a.supply_index for a in arcs})
    d_ids = sorted({a.demand_index for a in arcs})
    s_node = {s: 2 + i for i, s in enumerate(s_ids)}
    d_node = {d: 2 + len(s_ids) + i for i, d in enumerate(d_ids)}
    source, sink = 0, 1
    s_cap = [graph.supply[s].quantity for s in s_ids]
    d_cap = [graph.demand[d].quantity for d in d_ids]
    flow_total = min(sum(s_cap), sum(d_cap))

    tails = [source] * len(s_ids) + [s_node[a.supply_index] for a in arcs]
    tails += [d_node[d] for d in d_ids] + [source]
    heads = [s_node[s] for s in s_ids] + [d_node[a.demand_index] for a in arcs]
    heads += [sink] * len(d_ids) + [sink]
    caps = s_cap + [
        min(graph.supply[a.supply_index].quantity, graph.demand[a.demand_index].quantity)
        for a in arcs
    ]
    caps += [*d_cap, flow_total]
    costs = [0] * len(s_ids)
    costs += [-(-a.cost // scale) - m * graph.weights[a.demand_index] for a in arcs]
    costs += [0] * len(d_ids) + [0]

    smcf = min_cost_flow.SimpleMinCostFlow()
    handles = smcf.add_arcs_with_capacity_and_unit_cost(
        np.asarray(tails, dtype=np.int64),
        np.asarray(heads, dtype=np.int64),
        np.asarray(caps, dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
    )
    smcf.set_nodes_supplies(
        np.asarray([source, sink], dtype=np.int64),
        np.asarray([flow_total, -flow_total], dtype=np.int64),
    )
    started = time.perf_counter()
    status = smcf.solve()
    elapsed = time.perf_counter() - started
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = smcf.flows(handles)
    offset = len(s_ids)
    return [int(flows[offset + i]) for i in range(len(arcs))], elapsed


def solve_flow(graph: EligibilityGraph) -> FlowResult:
    """Solve every bucket to the lexicographic optimum (see the module's docstring)."""
    result = FlowResult(flows=[0] * len(graph.arcs))
    for arc_ids in buckets(graph).values():
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
        for k, f in zip(arc_ids, flows, strict=True):
            result.flows[k] = f
    return result
