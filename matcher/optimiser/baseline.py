"""The greedy baseline: each delivery, highest priority first, takes the nearest eligible supply."""

from __future__ import annotations

from collections import defaultdict

from matcher.optimiser.eligibility import EligibilityGraph


def greedy_flows(graph: EligibilityGraph) -> list[int]:
    """Flow on each arc chosen greedily (priority, then date, then nearest, then cheapest)."""
    by_demand: dict[int, list[int]] = defaultdict(list)
    for k, arc in enumerate(graph.arcs):
        by_demand[arc.demand_index].append(k)
    left = [node.quantity for node in graph.supply]
    flows = [0] * len(graph.arcs)
    order = sorted(
        by_demand,
        key=lambda d: (-graph.weights[d], graph.demand[d].day, graph.demand[d].order_id),
    )
    for d in order:
        need = graph.demand[d].quantity
        arcs = sorted(
            by_demand[d], key=lambda k: (graph.arcs[k].distance_km, graph.arcs[k].cost, k)
        )
        for k in arcs:
            if need == 0:
                break
            s = graph.arcs[k].supply_index
            take = min(need, left[s])
            if take > 0:
                flows[k] = take
                left[s] -= take
                need -= take
    return flows
