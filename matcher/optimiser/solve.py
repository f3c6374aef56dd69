"""``solve()``: eligibility, model, extraction and explanations; returns a status, never raises.

The instance is cleared market by market (one crop, one week): each chunk of markets is built,
solved and explained on its own, in-process or in worker processes (see
:mod:`matcher.optimiser.parallel`), and the chunks' answers are joined into one solution.

Markets stay apart unless a rule ties them: continuity solves the markets of a crop week after
week (each week prefers the groups already supplying an order), and buyer limits tie the
markets of a week (a group's buyers are counted across crops). The solver is the min-cost flow
(:mod:`matcher.optimiser.model`) unless an integer rule applies; then CP-SAT
(:mod:`matcher.optimiser.cpsat`) with the time limit shared among the markets.
"""

from __future__ import annotations

import time
import traceback
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial
from typing import Any

import numpy as np

from matcher.optimiser import parallel as pool
from matcher.optimiser.baseline import greedy_flows
from matcher.optimiser.cpsat import Budget, RulesResult, greedy_rule_flows, solve_rules
from matcher.optimiser.eligibility import Context, EligibilityGraph, build_graph
from matcher.optimiser.explain import explain_market
from matcher.optimiser.instance import (
    COST_UNITS_PER_SATANG,
    FairnessPolicy,
    MatchingInstance,
    demand_nodes,
    supply_nodes,
)
from matcher.optimiser.model import NO_STEPS, FlowResult, Steps, solve_flow
from matcher.optimiser.reasons import FloatArray, IntArray
from matcher.optimiser.rules import RuleTables, RuleView, explain_rules
from matcher.optimiser.solution import (
    Allocation,
    Explanation,
    Solution,
    SolveStatus,
    Summary,
    Unfilled,
)


class SolverName(StrEnum):
    AUTO = "auto"
    """CP-SAT when an integer rule applies, else the flow model."""
    FLOW = "flow"
    CPSAT = "cpsat"
    GREEDY = "greedy"


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """How one clearing runs: the solver, the rules, the policies and the time limit."""

    name: SolverName
    rules: RuleTables
    fairness: float
    """Share of a supply's unit price added per unit for each further step (0: off)."""
    levels: int
    continuity: float
    """Share of the unit price added for a group new to an order that has a supplier (0: off)."""
    sequential: bool
    """Continuity: a chunk's markets are solved week after week, carrying the suppliers."""
    time_limit: float
    total_work: int
    workers: int

    @classmethod
    def of(cls, ctx: Context, name: SolverName) -> tuple[Plan, list[list[int]] | None]:
        """The plan and the units of markets that must be solved together (``None``: any)."""
        instance, t = ctx.instance, ctx.tables
        rules = RuleTables.of(instance, t)
        if name is SolverName.AUTO:
            name = SolverName.CPSAT if rules.active else SolverName.FLOW
        if name is SolverName.FLOW and rules.active:
            raise ValueError(
                "the flow solver cannot keep integer rules (max_suppliers, min_lot, "
                "max_buyers_per_week): use auto or cpsat"
            )
        p = instance.parameters
        greedy = name is SolverName.GREEDY
        fair = not greedy and p.fairness is FairnessPolicy.PROGRESSIVE and p.fairness_weight > 0
        continuity = 0.0 if greedy else p.continuity_weight
        sequential = continuity > 0 and any(len(o.deliveries) > 1 for o in instance.orders)
        by_week = rules.by_week and name is not SolverName.FLOW
        markets = range(len(t.markets))
        units: list[list[int]] | None = None
        if sequential and by_week:
            units = [list(markets)]
        elif sequential or by_week:
            keyed: dict[str, list[int]] = defaultdict(list)
            for m in markets:
                crop, week = t.markets[m]
                keyed[crop if sequential else week].append(m)
            units = list(keyed.values())
        total = sum(pool.market_work(t, m) for m in markets)
        plan = cls(
            name,
            rules,
            p.fairness_weight if fair else 0.0,
            p.fairness_steps,
            continuity,
            sequential,
            p.time_limit_seconds,
            total,
            1,
        )
        return plan, units


def solve(
    instance: MatchingInstance,
    *,
    solver: SolverName | str = SolverName.AUTO,
    parallel: bool | None = None,
) -> Solution:
    """Clear ``instance``. Errors come back as a solution with status ``error``.

    ``solver``: ``auto`` (CP-SAT when an integer rule applies, else the flow model), ``flow``,
    ``cpsat`` or ``greedy`` (the baseline).
    ``parallel``: ``None`` uses worker processes for large instances only; ``True`` whenever
    there are two chunks of markets or more (and processes can be forked); ``False`` never.
    Without a time limit reached, the answer does not depend on it.
    """
    started = time.perf_counter()
    try:
        name = SolverName(solver)
        ctx = Context(instance)
        tables = ctx.tables
        plan, units = Plan.of(ctx, name)
        chunks = pool.plan_chunks(tables, pool.available_workers(), units)
        workers = pool.use_pool(tables, chunks, parallel)
        plan = replace(plan, workers=max(1, workers))
        parts = pool.run_chunks(partial(solve_markets, ctx, plan), chunks, workers)
        return join(ctx, parts, plan.name.value, started)
    except Exception as err:
        return _failed(instance, str(solver), err, started)


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
    cpsat_buckets: int = 0
    fallback_buckets: int = 0
    bound: int = 0
    value: int = 0
    cost_bound: int = 0
    cost_value: int = 0
    unproven_buckets: int = 0

    @classmethod
    def empty(cls) -> Part:
        """The answer for no markets: nothing open, nothing allocated."""
        ints = np.zeros(0, dtype=np.int64)
        return cls(
            alloc_supply=ints,
            alloc_demand=ints,
            alloc_quantity=ints,
            alloc_price=ints,
            alloc_km=np.zeros(0, dtype=np.float64),
            alloc_cost=ints,
            demand=ints,
            filled=ints,
            unfilled=[],
            pairs=0,
            solver_seconds=0.0,
            ok=True,
        )

    @classmethod
    def concat(cls, parts: list[Part]) -> Part:
        if not parts:
            return cls.empty()

        def cat(name: str) -> Any:
            return np.concatenate([getattr(p, name) for p in parts])

        return cls(
            alloc_supply=cat("alloc_supply"),
            alloc_demand=cat("alloc_demand"),
            alloc_quantity=cat("alloc_quantity"),
            alloc_price=cat("alloc_price"),
            alloc_km=cat("alloc_km"),
            alloc_cost=cat("alloc_cost"),
            demand=cat("demand"),
            filled=cat("filled"),
            unfilled=[u for p in parts for u in p.unfilled],
            pairs=sum(p.pairs for p in parts),
            solver_seconds=sum(p.solver_seconds for p in parts),
            ok=all(p.ok for p in parts),
            notes=[n for p in parts for n in p.notes],
            cpsat_buckets=sum(p.cpsat_buckets for p in parts),
            fallback_buckets=sum(p.fallback_buckets for p in parts),
            bound=sum(p.bound for p in parts),
            value=sum(p.value for p in parts),
            cost_bound=sum(p.cost_bound for p in parts),
            cost_value=sum(p.cost_value for p in parts),
            unproven_buckets=sum(p.unproven_buckets for p in parts),
        )


class Suppliers:
    """Continuity: the (order, group) pairs under contract or chosen so far, as sorted keys."""

    def __init__(self, ctx: Context, rules: RuleTables) -> None:
        t = ctx.tables
        self.n_groups = max(1, len(ctx.instance.groups))
        self.has = np.zeros(len(ctx.instance.orders), dtype=np.bool_)
        keys = [o * self.n_groups + g for o, gs in rules.committed_orders.items() for g in gs]
        self.keys = np.unique(np.asarray(keys, dtype=np.int64))
        if len(self.keys):
            self.has[self.keys // self.n_groups] = True
        self._t = t

    def pair_keys(self, graph: EligibilityGraph) -> tuple[IntArray, IntArray]:
        t = self._t
        orders = t.d_order[graph.demand_ids[graph.arc_demand]]
        groups = t.a_group[t.s_ann[graph.supply_ids[graph.arc_supply]]]
        return orders, orders * self.n_groups + groups

    def penalties(self, graph: EligibilityGraph, share: float) -> IntArray:
        """``share`` of the unit price on each arc whose group is new to an order that already
        has a supplier, in cost units."""
        orders, keys = self.pair_keys(graph)
        new = self.has[orders] & ~np.isin(keys, self.keys)
        cost = np.rint(graph.arc_price * (share * COST_UNITS_PER_SATANG)).astype(np.int64)
        return np.where(new, cost, np.int64(0))

    def add(self, graph: EligibilityGraph, flows: IntArray) -> None:
        orders, keys = self.pair_keys(graph)
        used = flows > 0
        self.keys = np.union1d(self.keys, keys[used])
        self.has[orders[used]] = True


def solve_markets(ctx: Context, plan: Plan, markets: Sequence[int]) -> Part:
    """Build, solve and explain the given markets (week after week under continuity)."""
    t = ctx.tables
    if plan.sequential:
        by_week: dict[str, list[int]] = defaultdict(list)
        for m in markets:
            by_week[t.markets[m][1]].append(m)
        steps = [by_week[w] for w in sorted(by_week)]
    else:
        steps = [list(markets)]
    work = [sum(pool.market_work(t, m) for m in step) for step in steps]
    share = min(1.0, sum(work) / max(1, plan.total_work) * plan.workers)
    budget = Budget(plan.time_limit * share, sum(work))
    suppliers = Suppliers(ctx, plan.rules) if plan.continuity else None
    parts = [
        _solve_step(ctx, plan, step, suppliers, budget.take(w))
        for step, w in zip(steps, work, strict=True)
    ]
    return parts[0] if len(parts) == 1 else Part.concat(parts)


def _solve_step(
    ctx: Context,
    plan: Plan,
    markets: Sequence[int],
    suppliers: Suppliers | None,
    seconds: float,
) -> Part:
    graph = build_graph(ctx.instance, ctx, markets)
    costs = None
    if suppliers is not None:
        costs = graph.arc_cost + suppliers.penalties(graph, plan.continuity)
    steps = NO_STEPS
    if plan.fairness:
        t = ctx.tables
        # The supply's own price (ask, else reference; -1 when it has neither: no steps).
        price = np.maximum(t.a_price[t.s_ann[graph.supply_ids]], 0)
        cost = np.rint(price * (plan.fairness * COST_UNITS_PER_SATANG)).astype(np.int64)
        steps = Steps(plan.levels, cost)
    view: RuleView | None = None
    if plan.rules.active and plan.name is not SolverName.FLOW:
        view = RuleView.of(plan.rules, ctx.tables, graph)
    extra = RulesResult(flows=np.zeros(0, dtype=np.int64))
    if plan.name is SolverName.GREEDY:
        began = time.perf_counter()
        flows = greedy_rule_flows(graph, view) if view is not None else greedy_flows(graph)
        result = FlowResult(flows=flows, solver_seconds=time.perf_counter() - began, ok=False)
    elif view is not None:
        extra = solve_rules(graph, view, Budget(seconds, graph.arc_count), costs, steps)
        result = extra
    else:
        result = solve_flow(graph, costs, steps)
    if suppliers is not None:
        suppliers.add(graph, result.flows)
    part = _extract(ctx, graph, result, view)
    part.cpsat_buckets = extra.cpsat_buckets
    part.fallback_buckets = extra.fallback_buckets
    part.bound, part.value = extra.bound, extra.value
    part.cost_bound, part.cost_value = extra.cost_bound, extra.cost_value
    part.unproven_buckets = extra.unproven_buckets
    return part


def _extract(
    ctx: Context, graph: EligibilityGraph, result: FlowResult, view: RuleView | None
) -> Part:
    """Allocations and explained unfilled quantities of one solved graph."""
    used = np.flatnonzero(result.flows > 0)
    flows = result.flows[used]
    filled = np.zeros(len(graph.demand), dtype=np.int64)
    np.add.at(filled, graph.arc_demand[used], flows)
    missing = graph.demand_quantity - filled
    unfilled: list[tuple[int, int, Explanation]] = []
    short = np.flatnonzero(missing > 0)
    if len(short):
        t = ctx.tables
        by_rule = (
            explain_rules(view, graph, result.flows, t, ctx.instance, short)
            if view is not None
            else {}
        )
        short_ids = graph.demand_ids[short]
        by_market = t.d_market[short_ids]
        for m in np.unique(by_market).tolist():
            chosen = by_market == m
            answers = explain_market(ctx, m, short_ids[chosen], missing[short[chosen]])
            for local, d, gap, answer in zip(
                short[chosen].tolist(),
                short_ids[chosen].tolist(),
                missing[short[chosen]].tolist(),
                answers,
                strict=True,
            ):
                unfilled.append((d, gap, by_rule.get(local, answer)))
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
    cpsat = fallback = bound = value = cost_bound = cost_value = unproven = 0
    for part in parts:
        filled[part.demand] = part.filled
        unfilled += part.unfilled
        notes += part.notes
        ok = ok and part.ok
        pairs += part.pairs
        solver_seconds += part.solver_seconds
        cpsat += part.cpsat_buckets
        fallback += part.fallback_buckets
        bound += part.bound
        value += part.value
        cost_bound += part.cost_bound
        cost_value += part.cost_value
        unproven += part.unproven_buckets
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
        gap=(bound - value) / bound if bound > 0 else 0.0,
        cost_gap=(cost_value - cost_bound) / cost_value if cost_value > 0 else 0.0,
        cpsat_buckets=cpsat,
        fallback_buckets=fallback,
        suppliers_per_order=_suppliers_per_order(allocations),
    )
    if unproven > fallback:
        notes.append(
            f"CP-SAT reached the time limit ({instance.parameters.time_limit_seconds:g} s per "
            f"clearing) before proving {unproven - fallback} of {cpsat} buckets optimal: the "
            f"answer keeps every rule but may not be the best (gap {100 * summary.gap:.2f} % "
            f"of the weighted fill, {100 * summary.cost_gap:.2f} % of cost plus penalties)"
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


def _suppliers_per_order(allocations: list[Allocation]) -> float:
    """Continuity: distinct groups per order that got any allocation (1.0: one each)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for a in allocations:
        groups[a.order_id].add(a.group_id)
    return sum(len(g) for g in groups.values()) / len(groups) if groups else 0.0


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
    """An error as a solution; its demand is what was open (under contract is not demand)."""
    deliveries = demand_nodes(instance)
    summary = Summary(
        demand=sum(n.quantity for n in deliveries),
        filled=0,
        weighted_demand=0,
        weighted_filled=0,
        goods_cost=0,
        delivered_cost=0,
        unit_km=0.0,
        orders=len(instance.orders),
        order_weeks=len(deliveries),
        supply_weeks=len(supply_nodes(instance)),
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
