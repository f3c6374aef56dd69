"""``solve()``: eligibility, model, extraction and explanations; returns a status, never raises.

The instance is cleared market by market (one crop, one week): each chunk of markets is built,
solved and explained on its own, in-process or in worker processes (see
:mod:`matcher.optimiser.parallel`), and the chunks' answers are joined into one solution.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial

import numpy as np

from matcher.optimiser import parallel as pool
from matcher.optimiser.baseline import greedy_flows
from matcher.optimiser.eligibility import (
    Context,
    EligibilityGraph,
    FloatArray,
    IntArray,
    build_graph,
)
from matcher.optimiser.explain import explain_market
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.model import FlowResult, solve_flow
from matcher.optimiser.solution import (
    Allocation,
    Explanation,
    Solution,
    SolveStatus,
    Summary,
    Unfilled,
)


class SolverName(StrEnum):
    FLOW = "flow"
    GREEDY = "greedy"


def solve(
    instance: MatchingInstance,
    *,
    solver: SolverName | str = SolverName.FLOW,
    parallel: bool | None = None,
) -> Solution:
    """Clear ``instance``. Errors come back as a solution with status ``error``.

    ``parallel``: ``None`` uses worker processes for large instances only; ``True`` whenever
    there are two chunks of markets or more (and processes can be forked); ``False`` never.
    The answer does not depend on it.
    """
    started = time.perf_counter()
    try:
        name = SolverName(solver)
        ctx = Context(instance)
        tables = ctx.tables
        chunks = pool.plan_chunks(tables, pool.available_workers())
        workers = pool.use_pool(tables, chunks, parallel)
        parts = pool.run_chunks(partial(solve_markets, ctx, name), chunks, workers)
        return join(ctx, parts, name.value, started)
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


@dataclass
class Part:
    """The answer for a chunk of markets, in instance-wide node indices (compact to send)."""

    alloc_supply: IntArray
    alloc_demand: IntArray
    alloc_quantity: IntArray
    alloc_price: IntArray
    alloc_km: FloatArray
    alloc_cost: IntArray
    demand: IntArray
    filled: IntArray
    unfilled: list[tuple[int, int, Explanation]]
    """(delivery, missing quantity, explanation)."""
    pairs: int
    solver_seconds: float
    ok: bool
    notes: list[str] = field(default_factory=list)


def solve_markets(ctx: Context, name: SolverName, markets: Sequence[int]) -> Part:
    """Build, solve and explain the given markets."""
    graph = build_graph(ctx.instance, ctx, markets)
    result = _run(name, graph)
    used = np.flatnonzero(result.flows > 0)
    flows = result.flows[used]
    filled = np.zeros(len(graph.demand), dtype=np.int64)
    np.add.at(filled, graph.arc_demand[used], flows)
    missing = graph.demand_quantity - filled
    unfilled: list[tuple[int, int, Explanation]] = []
    short = np.flatnonzero(missing > 0)
    if len(short):
        t = ctx.tables
        short_ids = graph.demand_ids[short]
        by_market = t.d_market[short_ids]
        for m in np.unique(by_market).tolist():
            chosen = by_market == m
            answers = explain_market(ctx, m, short_ids[chosen])
            for d, gap, answer in zip(
                short_ids[chosen].tolist(), missing[short[chosen]].tolist(), answers, strict=True
            ):
                unfilled.append((d, gap, answer))
    return Part(
        alloc_supply=graph.supply_ids[graph.arc_supply[used]],
        alloc_demand=graph.demand_ids[graph.arc_demand[used]],
        alloc_quantity=flows,
        alloc_price=graph.arc_price[used],
        alloc_km=graph.arc_km[used],
        alloc_cost=graph.arc_cost[used],
        demand=graph.demand_ids,
        filled=filled,
        unfilled=unfilled,
        pairs=graph.arc_count,
        solver_seconds=result.solver_seconds,
        ok=result.ok,
        notes=result.notes,
    )


def join(ctx: Context, parts: Iterable[Part], solver: str, started: float) -> Solution:
    """Allocations, unfilled quantities with reasons and a summary from the chunks' answers."""
    instance = ctx.instance
    t = ctx.tables
    anns, orders = instance.supply, instance.orders
    filled = np.zeros(len(t.dnodes), dtype=np.int64)
    allocations: list[Allocation] = []
    unfilled: list[tuple[int, int, Explanation]] = []
    notes: list[str] = []
    ok = True
    pairs = 0
    solver_seconds = 0.0
    for part in parts:
        filled[part.demand] = part.filled
        unfilled += part.unfilled
        notes += part.notes
        ok = ok and part.ok
        pairs += part.pairs
        solver_seconds += part.solver_seconds
        columns = (
            part.alloc_supply,
            part.alloc_demand,
            part.alloc_quantity,
            part.alloc_price,
            part.alloc_km,
            part.alloc_cost,
        )
        for s, d, quantity, price, km, cost in zip(*(c.tolist() for c in columns), strict=True):
            supply = anns[int(t.s_ann[s])]
            dnode = t.dnodes[d]
            order = orders[int(t.d_order[d])]
            allocations.append(
                Allocation(
                    supply_id=supply.id,
                    group_id=supply.group_id,
                    order_id=order.id,
                    buyer_id=order.buyer_id,
                    crop_id=order.crop_id,
                    day=dnode.day,
                    week=t.snodes[s].week,
                    quantity=quantity,
                    unit_price=price,
                    distance_km=km,
                    unit_cost=cost,
                )
            )
    allocations.sort(key=lambda a: (a.order_id, a.day, a.group_id, a.supply_id))
    unfilled.sort(key=lambda u: u[0])
    summary = Summary(
        demand=int(t.d_qty.sum()),
        filled=int(filled.sum()),
        weighted_demand=int((t.d_qty * t.d_weight).sum()),
        weighted_filled=int((filled * t.d_weight).sum()),
        goods_cost=sum(a.price_total for a in allocations),
        delivered_cost=sum(a.cost_total for a in allocations),
        unit_km=sum(a.unit_km for a in allocations),
        orders=len(orders),
        order_weeks=len(t.dnodes),
        supply_weeks=len(t.snodes),
        eligible_pairs=pairs,
        wall_seconds=time.perf_counter() - started,
        solver_seconds=solver_seconds,
    )
    status = SolveStatus.OPTIMAL if ok else SolveStatus.FEASIBLE
    return Solution(
        status=status,
        solver=solver,
        allocations=tuple(allocations),
        unfilled=tuple(_unfilled(ctx, d, gap, answer) for d, gap, answer in unfilled),
        summary=summary,
        notes=tuple(notes),
    )


def _unfilled(ctx: Context, d: int, gap: int, answer: Explanation) -> Unfilled:
    node = ctx.tables.dnodes[d]
    order = ctx.orders[node.order_id]
    return Unfilled(
        order_id=order.id,
        buyer_id=order.buyer_id,
        crop_id=order.crop_id,
        day=node.day,
        week=node.week,
        quantity=gap,
        reason=answer.reason,
        detail=answer.detail,
        alternative=answer.alternative,
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
