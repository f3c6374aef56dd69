"""``solve()``: eligibility, model, extraction and explanations; returns a status, never raises."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from enum import StrEnum

from matcher.optimiser.baseline import greedy_flows
from matcher.optimiser.eligibility import (
    Context,
    EligibilityGraph,
    build_graph,
    supply_index,
)
from matcher.optimiser.explain import explain
from matcher.optimiser.instance import MatchingInstance, supply_nodes
from matcher.optimiser.model import FlowResult, solve_flow
from matcher.optimiser.solution import Allocation, Solution, SolveStatus, Summary, Unfilled


class SolverName(StrEnum):
    FLOW = "flow"
    GREEDY = "greedy"


def solve(instance: MatchingInstance, *, solver: SolverName | str = SolverName.FLOW) -> Solution:
    """Clear ``instance``. Errors come back as a solution with status ``error``."""
    started = time.perf_counter()
    try:
        name = SolverName(solver)
        ctx = Context(instance)
        graph = build_graph(instance, ctx)
        result = _run(name, graph)
        return extract(ctx, graph, result, name.value, started)
    except Exception as err:
        return _failed(instance, str(solver), err, started)


def _run(name: SolverName, graph: EligibilityGraph) -> FlowResult:
    runners: dict[SolverName, Callable[[EligibilityGraph], FlowResult]] = {
        SolverName.FLOW: solve_flow,
        SolverName.GREEDY: _greedy,
    }
    return runners[name](graph)


def _greedy(graph: EligibilityGraph) -> FlowResult:
    began = time.perf_counter()
    flows = greedy_flows(graph)
    return FlowResult(flows=flows, solver_seconds=time.perf_counter() - began, ok=False)


def extract(
    ctx: Context, graph: EligibilityGraph, result: FlowResult, solver: str, started: float
) -> Solution:
    """Turn arc flows into allocations, unfilled quantities with reasons and a summary."""
    instance = ctx.instance
    filled = [0] * len(graph.demand)
    allocations: list[Allocation] = []
    for arc, flow in zip(graph.arcs, result.flows, strict=True):
        if flow <= 0:
            continue
        snode, dnode = graph.supply[arc.supply_index], graph.demand[arc.demand_index]
        supply, order = ctx.supplies[snode.supply_id], ctx.orders[dnode.order_id]
        filled[arc.demand_index] += flow
        allocations.append(
            Allocation(
                supply_id=supply.id,
                group_id=supply.group_id,
                order_id=order.id,
                buyer_id=order.buyer_id,
                crop_id=order.crop_id,
                day=dnode.day,
                week=dnode.week,
                quantity=flow,
                unit_price=arc.price,
                distance_km=arc.distance_km,
                unit_cost=arc.cost,
            )
        )
    # Explanations look at every supply week, also those already under contract.
    every_week = supply_nodes(instance, keep_empty=True)
    index = supply_index(instance, every_week)
    unfilled: list[Unfilled] = []
    for d, node in enumerate(graph.demand):
        missing = node.quantity - filled[d]
        if missing <= 0:
            continue
        order = ctx.orders[node.order_id]
        reason, detail = explain(ctx, node, index.get((order.crop_id, node.week)), every_week)
        unfilled.append(
            Unfilled(
                order_id=order.id,
                buyer_id=order.buyer_id,
                crop_id=order.crop_id,
                day=node.day,
                week=node.week,
                quantity=missing,
                reason=reason,
                detail=detail,
            )
        )
    summary = Summary(
        demand=sum(n.quantity for n in graph.demand),
        filled=sum(filled),
        weighted_demand=sum(
            n.quantity * w for n, w in zip(graph.demand, graph.weights, strict=True)
        ),
        weighted_filled=sum(f * w for f, w in zip(filled, graph.weights, strict=True)),
        goods_cost=sum(a.price_total for a in allocations),
        delivered_cost=sum(a.cost_total for a in allocations),
        unit_km=sum(a.unit_km for a in allocations),
        orders=len(instance.orders),
        order_weeks=len(graph.demand),
        supply_weeks=len(graph.supply),
        eligible_pairs=len(graph.arcs),
        wall_seconds=time.perf_counter() - started,
        solver_seconds=result.solver_seconds,
    )
    status = SolveStatus.OPTIMAL if result.ok else SolveStatus.FEASIBLE
    return Solution(
        status=status,
        solver=solver,
        allocations=tuple(sorted(allocations, key=lambda a: (a.order_id, a.day, a.group_id))),
        unfilled=tuple(unfilled),
        summary=summary,
        notes=tuple(result.notes),
    )


def _failed(instance: MatchingInstance, solver: str, err: Exception, started: float) -> Solution:
    summary = Summary(
        demand=sum(o.quantity * len(o.deliveries) for o in instance.orders),
        filled=0,
        weighted_demand=0,
        weighted_filled=0,
        goods_cost=0,
        delivered_cost=0,
        unit_km=0.0,
        orders=len(instance.orders),
        order_weeks=sum(len(o.deliveries) for o in instance.orders),
        supply_weeks=sum(len(s.quantities) for s in instance.supply),
        eligible_pairs=0,
        wall_seconds=time.perf_counter() - started,
    )
    return Solution(
        status=SolveStatus.ERROR,
        solver=solver,
        allocations=(),
        unfilled=(),
        summary=summary,
        message=f"{type(err).__name__}: {err}",
        notes=tuple(traceback.format_exception_only(err)),
    )
