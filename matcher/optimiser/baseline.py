"""The greedy baseline: each delivery, highest priority first, takes the nearest eligible supply."""

from __future__ import annotations

import numpy as np

from matcher.optimiser.eligibility import EligibilityGraph
from matcher.optimiser.reasons import IntArray


def greedy_flows(graph: EligibilityGraph) -> IntArray:
    """Flow on each arc chosen greedily (priority, then date, then nearest, then cheapest)."""
    flows = np.zeros(graph.arc_count, dtype=np.int64)
    if graph.arc_count == 0:
        return flows
    demand = graph.demand
    served = sorted(
        set(graph.arc_demand.tolist()),
        key=lambda d: (-graph.weights[d], demand[d].day, demand[d].order_id),
    )
    rank = np.zeros(len(demand), dtype=np.int64)
    rank[np.asarray(served, dtype=np.int64)] = np.arange(len(served), dtype=np.int64)
    arc_ids = np.arange(graph.arc_count, dtype=np.int64)
    visit = np.lexsort((arc_ids, graph.arc_cost, graph.arc_km, rank[graph.arc_demand]))
    need = graph.demand_quantity.tolist()
    left = graph.supply_quantity.tolist()
    arc_s, arc_d = graph.arc_supply.tolist(), graph.arc_demand.tolist()
    taken: list[tuple[int, int]] = []
    for k in visit.tolist():
        d = arc_d[k]
        wanted = need[d]
        if wanted == 0:
            continue
        s = arc_s[k]
        take = min(wanted, left[s])
        if take > 0:
            taken.append((k, take))
            left[s] -= take
            need[d] = wanted - take
    if taken:
        ks, qs = zip(*taken, strict=True)
        flows[np.asarray(ks, dtype=np.int64)] = np.asarray(qs, dtype=np.int64)
    return flows
