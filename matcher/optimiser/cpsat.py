"""Integer rules with OR-Tools CP-SAT, bucket by bucket, with a time limit and a fallback.

For each bucket (pairs tied by a supply week, a delivery or, under buyer limits, a group's week):

1. the min-cost flow (:mod:`matcher.optimiser.model`) solves the bucket without the integer
   rules: a relaxation. When its answer keeps the rules it is the lexicographic optimum with
   them too, and nothing else runs (the common case);
2. otherwise CP-SAT solves the bucket in two phases, as the flow model does with its weights:
   (1) maximise priority-weighted filled quantity, (2) keep that and minimise cost plus policy
   penalties. The rule-keeping greedy answer is the hint; the relaxation bounds phase 1;
3. when CP-SAT has no solution within the bucket's share of the time limit, the greedy answer
   is used and a note says so. The better of CP-SAT's and greedy's answers is kept, compared
   on the whole objective: weighted fill, then cost plus the policies' penalties (continuity
   and fairness steps), which is what phase 2 minimises.

A bucket is optimal only when the answer kept is CP-SAT's and CP-SAT proved both phases. Two
gaps are reported over the buckets CP-SAT solved: phase 1's, (bound − weighted fill) / bound,
and phase 2's, (cost and penalties − bound) / cost and penalties, the bound being CP-SAT's at
the weighted fill reached (0 when CP-SAT found nothing).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from ortools.sat.python import cp_model

from matcher.optimiser.eligibility import EligibilityGraph
from matcher.optimiser.model import NO_STEPS, FlowResult, Steps, buckets, solve_flow_bucket
from matcher.optimiser.model import step_capacities as _step_caps
from matcher.optimiser.reasons import IntArray
from matcher.optimiser.rules import NO_LIMIT, RuleView, violations

PHASE_ONE_SHARE = 0.6
"""Share of a bucket's time that phase 1 (filled quantity) may take; phase 2 gets the rest."""
MIN_BUCKET_SECONDS = 0.05


class Budget:
    """Seconds shared among pieces of work in proportion to their size, unused time rolling on."""

    def __init__(self, seconds: float, work: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.work_left = max(1, work)

    def take(self, work: int) -> float:
        """The seconds a piece of ``work`` may use now (it then counts as done)."""
        left = max(0.0, self.deadline - time.monotonic())
        share = left * min(1.0, work / self.work_left)
        self.work_left = max(1, self.work_left - work)
        return max(MIN_BUCKET_SECONDS, share)

    def skip(self, work: int) -> None:
        """A piece of ``work`` done without using the budget: its share goes to the rest."""
        self.work_left = max(1, self.work_left - work)


@dataclass
class RulesResult(FlowResult):
    """Flows with how the integer rules were met."""

    cpsat_buckets: int = 0
    fallback_buckets: int = 0
    bound: int = 0
    """Upper bound of the priority-weighted filled quantity of the CP-SAT buckets."""
    value: int = 0
    """Priority-weighted filled quantity of the CP-SAT buckets."""
    cost_bound: int = 0
    """Lower bound of cost plus penalties (phase 2) of the CP-SAT buckets at the fill kept."""
    cost_value: int = 0
    """Cost plus penalties (phase 2) of the answers kept on the CP-SAT buckets."""
    unproven_buckets: int = 0
    """CP-SAT buckets whose answer is not proven optimal (time limit)."""


def solve_rules(
    graph: EligibilityGraph,
    view: RuleView,
    budget: Budget,
    costs: IntArray | None = None,
    steps: Steps = NO_STEPS,
) -> RulesResult:
    """Every bucket of ``graph`` under the integer rules of ``view`` (see the module)."""
    result = RulesResult(flows=np.zeros(graph.arc_count, dtype=np.int64))
    unit_costs = graph.arc_cost if costs is None else costs
    for arc_ids in buckets(graph, _links(graph, view)):
        flows, seconds, note = solve_flow_bucket(graph, arc_ids, costs, steps)
        result.solver_seconds += seconds
        if note:
            result.ok = False
            result.notes.append(note)
        if not violations(view, graph, arc_ids, flows):
            result.flows[arc_ids] = flows
            budget.skip(len(arc_ids))
            continue
        relaxed = _weighted(graph, arc_ids, flows)
        greedy = greedy_rule_flows(graph, view, arc_ids)
        outcome = _cpsat(graph, view, arc_ids, unit_costs, steps, budget.take(len(arc_ids)), greedy)
        result.solver_seconds += outcome.seconds
        result.cpsat_buckets += 1
        chosen = greedy
        if outcome.flows is not None and _at_least_as_good(
            _objective(graph, arc_ids, unit_costs, steps, outcome.flows),
            _objective(graph, arc_ids, unit_costs, steps, greedy),
        ):
            chosen = outcome.flows
        if outcome.flows is None:
            result.fallback_buckets += 1
            result.notes.append(
                f"CP-SAT found no solution for a bucket of {len(arc_ids)} pairs within "
                f"{outcome.limit:.2f} s: the greedy answer (rules kept) is used"
            )
        value, cost = _objective(graph, arc_ids, unit_costs, steps, chosen)
        bound = min(relaxed, outcome.bound) if outcome.flows is not None else relaxed
        result.value += value
        result.bound += max(bound, value)
        result.cost_value += cost
        result.cost_bound += min(outcome.cost_bound, cost) if outcome.flows is not None else 0
        if not (outcome.optimal and chosen is outcome.flows):
            result.ok = False
            result.unproven_buckets += 1
        result.flows[arc_ids] = chosen
    return result


def _links(graph: EligibilityGraph, view: RuleView) -> list[tuple[IntArray, int]]:
    """Arcs of a group with a buyer limit are tied by (group, week)."""
    if not view.buyer_allowance:
        return []
    n_weeks = max(1, len(view.weeks))
    keys = view.arc_group * n_weeks + view.arc_week
    limited = np.fromiter(
        (
            (g, w) in view.buyer_allowance
            for g, w in zip(view.arc_group.tolist(), view.arc_week.tolist(), strict=True)
        ),
        np.bool_,
        graph.arc_count,
    )
    base = int(keys.max()) + 1 if len(keys) else 0
    keys = np.where(limited, keys, base + graph.arc_supply)
    return [(keys.astype(np.int64), base + len(graph.supply))]


def _weighted(graph: EligibilityGraph, arc_ids: IntArray, flows: IntArray) -> int:
    return int((flows * graph.weight[graph.arc_demand[arc_ids]]).sum())


def _objective(
    graph: EligibilityGraph, arc_ids: IntArray, costs: IntArray, steps: Steps, flows: IntArray
) -> tuple[int, int]:
    """Both levels of the objective of ``flows`` on a bucket: (priority-weighted fill, cost
    plus penalties), ``costs`` carrying the continuity penalty and ``steps`` the fairness one."""
    cost = int((flows * costs[arc_ids]).sum())
    arc_s = graph.arc_supply[arc_ids]
    s_ids, local = np.unique(arc_s, return_inverse=True)
    used = np.zeros(len(s_ids), dtype=np.int64)
    np.add.at(used, local.reshape(-1), flows)
    cost += steps.penalty(s_ids, graph.supply_quantity[s_ids].astype(np.int64), used)
    return _weighted(graph, arc_ids, flows), cost


def _at_least_as_good(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether objective ``a`` (weighted fill, cost plus penalties) is at least as good as ``b``."""
    return (-a[0], a[1]) <= (-b[0], b[1])


@dataclass
class _Outcome:
    flows: IntArray | None
    optimal: bool
    """Both phases proven optimal."""
    bound: int
    """Upper bound of phase 1 (priority-weighted fill)."""
    seconds: float
    limit: float
    cost_bound: int = 0
    """Lower bound of phase 2 (cost plus penalties) at the fill reached; 0 when unknown."""


CPSAT_WORKERS = 8
"""CP-SAT's full portfolio of search workers. Fewer proved much slower on some small buckets
(2 workers left a 20-pair bucket's cost phase unproven after 10 s; 8 proved it in 0.06 s),
even on two cores."""


class _ArcSets(NamedTuple):
    """A bucket's arcs (positions in the bucket) by supply node, by delivery and by
    (delivery, group), each in the order of the arcs."""

    by_supply: dict[int, list[int]]
    by_demand: dict[int, list[int]]
    by_pair: dict[tuple[int, int], list[int]]


class _BucketModel:
    """The CP-SAT model of one bucket: a quantity per arc (``x``) kept within supply and
    demand, whether each group serves each delivery (``chosen``), the integer rules over those,
    the fairness steps as phase 2 penalties and the priority-weighted fill. ``hint`` (flows
    keeping the rules) is the start."""

    def __init__(
        self,
        graph: EligibilityGraph,
        view: RuleView,
        arc_ids: IntArray,
        steps: Steps,
        hint: IntArray,
    ) -> None:
        self.model = cp_model.CpModel()
        self.graph, self.view, self.arc_ids, self.hint = graph, view, arc_ids, hint
        self.arc_d = graph.arc_demand[arc_ids]
        self.groups: list[int] = view.arc_group[arc_ids].tolist()
        arc_s = graph.arc_supply[arc_ids]
        caps = np.minimum(graph.supply_quantity[arc_s], graph.demand_quantity[self.arc_d])
        self.x = [self.model.new_int_var(0, int(c), "") for c in caps.tolist()]
        for var, h in zip(self.x, hint.tolist(), strict=True):
            self.model.add_hint(var, h)
        arcs = _arc_sets(arc_s.tolist(), self.arc_d.tolist(), self.groups)
        self.penalties = self._supply_limits(arcs.by_supply, steps)
        self._demand_limits(arcs.by_demand)
        self.chosen = self._pair_choices(arcs.by_pair)
        self._supplier_limits()
        self._buyer_limits()
        weights = graph.weight[self.arc_d].tolist()
        self.filled = sum(w * var for w, var in zip(weights, self.x, strict=True))
        """Priority-weighted filled quantity: phase 1 maximises it, phase 2 keeps it."""

    def _supply_limits(
        self, by_supply: dict[int, list[int]], steps: Steps
    ) -> list[cp_model.LinearExprT]:
        """Each supply node gives at most its quantity; under fairness steps the quantity is cut
        into steps, each unit of step ``k`` adding ``k`` times the supply's step cost. Returns
        those penalty terms."""
        penalties: list[cp_model.LinearExprT] = []
        for s, ks in by_supply.items():
            total = sum(self.x[k] for k in ks)
            quantity = int(self.graph.supply_quantity[s])
            step_cost = int(steps.node_costs(np.asarray([s], dtype=np.int64))[0])
            if step_cost and steps.levels > 1:
                step_caps = _step_caps(np.asarray([quantity], dtype=np.int64), steps.levels)[:, 0]
                parts = [self.model.new_int_var(0, int(c), "") for c in step_caps.tolist()]
                self.model.add(sum(parts) == total)
                penalties += [level * step_cost * part for level, part in enumerate(parts)]
            else:
                self.model.add(total <= quantity)
        return penalties

    def _demand_limits(self, by_demand: dict[int, list[int]]) -> None:
        """Each delivery gets at most its quantity."""
        for d, ks in by_demand.items():
            self.model.add(sum(self.x[k] for k in ks) <= int(self.graph.demand_quantity[d]))

    def _pair_choices(
        self, by_pair: dict[tuple[int, int], list[int]]
    ) -> dict[tuple[int, int], cp_model.IntVar]:
        """Whether group ``g`` serves delivery ``d``: nothing unless chosen, then at least the
        group's lot (minimum lot)."""
        chosen: dict[tuple[int, int], cp_model.IntVar] = {}
        for (d, g), ks in by_pair.items():
            serves = self.model.new_bool_var("")
            total = sum(self.x[k] for k in ks)
            self.model.add(total <= int(self.graph.demand_quantity[d]) * serves)
            lot = int(self.view.arc_lot[self.arc_ids[ks[0]]])
            if lot:
                self.model.add(total >= lot * serves)
            self.model.add_hint(serves, any(self.hint[k] > 0 for k in ks))
            chosen[(d, g)] = serves
        return chosen

    def _supplier_limits(self) -> None:
        """Each delivery takes at most its allowance of groups not under contract for it
        (supplier limit)."""
        view = self.view
        committed_arcs = np.flatnonzero(view.arc_committed[self.arc_ids]).tolist()
        committed = {(int(self.arc_d[k]), self.groups[k]) for k in committed_arcs}
        new_by_delivery: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for (d, g), var in self.chosen.items():
            if (d, g) not in committed:
                new_by_delivery[d].append(var)
        for d, new in new_by_delivery.items():
            allowance = int(view.d_allowance[d])
            if allowance < NO_LIMIT and allowance < len(new):
                self.model.add(sum(new) <= allowance)

    def _buyer_limits(self) -> None:
        """Each limited (group, week) serves at most its allowance of buyers not under contract
        with it that week (buyer limit): a buyer counts once any of its deliveries is chosen."""
        view, model = self.view, self.model
        buyers = view.arc_buyer[self.arc_ids].tolist()
        weeks = view.arc_week[self.arc_ids].tolist()
        served: dict[tuple[int, int], dict[int, cp_model.IntVar]] = defaultdict(dict)
        for k, (d, g) in enumerate(zip(self.arc_d.tolist(), self.groups, strict=True)):
            key = (g, weeks[k])
            if key not in view.buyer_allowance or buyers[k] in view.committed_buyers[key]:
                continue
            if buyers[k] not in served[key]:
                served[key][buyers[k]] = model.new_bool_var("")
            model.add_implication(self.chosen[(d, g)], served[key][buyers[k]])
        for key, by_buyer in served.items():
            if view.buyer_allowance[key] < len(by_buyer):
                model.add(sum(by_buyer.values()) <= view.buyer_allowance[key])
            hinted = {
                buyers[k]
                for k in range(len(self.arc_ids))
                if (self.groups[k], weeks[k]) == key and self.hint[k] > 0 and buyers[k] in by_buyer
            }
            for b, z in by_buyer.items():
                model.add_hint(z, b in hinted)

    def values(self, solver: cp_model.CpSolver) -> IntArray:
        """The quantities of the solver's answer, arc by arc."""
        return np.asarray([solver.value(v) for v in self.x], dtype=np.int64)


def _arc_sets(arc_s: list[int], arc_d: list[int], groups: list[int]) -> _ArcSets:
    out = _ArcSets(defaultdict(list), defaultdict(list), defaultdict(list))
    for k, (s, d, g) in enumerate(zip(arc_s, arc_d, groups, strict=True)):
        out.by_supply[s].append(k)
        out.by_demand[d].append(k)
        out.by_pair[(d, g)].append(k)
    return out


@dataclass
class _PhaseOne:
    """Phase 1's answer: the most weighted fill found, its bound, whether it is proven, the
    quantities reaching it and the solver's seconds."""

    best: int
    bound: int
    optimal: bool
    flows: IntArray
    seconds: float


def _cpsat(
    graph: EligibilityGraph,
    view: RuleView,
    arc_ids: IntArray,
    costs: IntArray,
    steps: Steps,
    seconds: float,
    hint: IntArray,
) -> _Outcome:
    """Two-phase CP-SAT on one bucket, ``hint`` (flows keeping the rules) as a start."""
    bucket = _BucketModel(graph, view, arc_ids, steps, hint)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = CPSAT_WORKERS
    began = time.monotonic()
    first = _most_filled(bucket, solver, seconds)
    if first is None:
        return _Outcome(None, False, 0, solver.wall_time, seconds)
    return _least_cost(bucket, solver, first, costs[arc_ids], seconds, began)


def _most_filled(
    bucket: _BucketModel, solver: cp_model.CpSolver, seconds: float
) -> _PhaseOne | None:
    """Phase 1: maximise the priority-weighted fill within its share of ``seconds``; ``None``
    when CP-SAT finds no solution in time."""
    bucket.model.maximize(bucket.filled)
    solver.parameters.max_time_in_seconds = max(MIN_BUCKET_SECONDS, seconds * PHASE_ONE_SHARE)
    status = solver.solve(bucket.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _PhaseOne(
        best=round(solver.objective_value),
        bound=int(solver.best_objective_bound + 1e-6),
        optimal=status == cp_model.OPTIMAL,
        flows=bucket.values(solver),
        seconds=solver.wall_time,
    )


def _least_cost(
    bucket: _BucketModel,
    solver: cp_model.CpSolver,
    first: _PhaseOne,
    unit_costs: IntArray,
    seconds: float,
    began: float,
) -> _Outcome:
    """Phase 2: keep phase 1's fill and minimise cost plus penalties in what is left of
    ``seconds`` since ``began``, phase 1's answer as the start (and the answer, when nothing
    better comes in time)."""
    model = bucket.model
    model.clear_hints()  # type: ignore[no-untyped-call]
    for var, v in zip(bucket.x, first.flows.tolist(), strict=True):
        model.add_hint(var, v)
    model.add(bucket.filled >= first.best)
    unit = unit_costs.tolist()
    model.minimize(
        sum(c * var for c, var in zip(unit, bucket.x, strict=True)) + sum(bucket.penalties)
    )
    left = seconds - (time.monotonic() - began)
    solver.parameters.max_time_in_seconds = max(MIN_BUCKET_SECONDS, left)
    status = solver.solve(model)
    spent = first.seconds + solver.wall_time
    bound = first.bound if not first.optimal else first.best
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Outcome(first.flows, False, bound, spent, seconds, 0)
    optimal = first.optimal and status == cp_model.OPTIMAL
    cost_bound = max(0, math.ceil(solver.best_objective_bound - 1e-6))
    return _Outcome(bucket.values(solver), optimal, bound, spent, seconds, cost_bound)


def greedy_rule_flows(
    graph: EligibilityGraph, view: RuleView, arc_ids: IntArray | None = None
) -> IntArray:
    """The greedy baseline keeping the integer rules: deliveries by priority, then date; each
    takes the nearest, then cheapest supply whose group the rules still allow, in lots of at
    least the group's minimum. Returns the flows on ``arc_ids`` (default: every arc)."""
    ids = np.arange(graph.arc_count, dtype=np.int64) if arc_ids is None else arc_ids
    flows = np.zeros(len(ids), dtype=np.int64)
    if len(ids) == 0:
        return flows
    need = graph.demand_quantity.astype(np.int64).copy()
    left = graph.supply_quantity.astype(np.int64).copy()
    supplied: dict[int, set[int]] = defaultdict(set)
    new_count: dict[int, int] = defaultdict(int)
    buyers_of: dict[tuple[int, int], set[int]] = defaultdict(set)
    arc_s = graph.arc_supply[ids].tolist()
    arc_d = graph.arc_demand[ids].tolist()
    groups = view.arc_group[ids].tolist()
    weeks = view.arc_week[ids].tolist()
    buyers = view.arc_buyer[ids].tolist()
    lots = view.arc_lot[ids].tolist()
    committed = view.arc_committed[ids].tolist()
    for k in _greedy_order(graph, ids).tolist():
        d, s, g = arc_d[k], arc_s[k], groups[k]
        take = int(min(need[d], left[s]))
        if take <= 0:
            continue
        # A group new to the delivery (not under contract for it) needs room under the
        # supplier limit and brings at least its lot.
        fresh = g not in supplied[d]
        new_group = fresh and not committed[k]
        if new_group and (new_count[d] >= view.d_allowance[d] or take < lots[k]):
            continue
        # A buyer new to a limited (group, week) needs room under the buyer limit.
        key = (g, weeks[k])
        new_buyer = (
            key in view.buyer_allowance
            and buyers[k] not in view.committed_buyers[key]
            and buyers[k] not in buyers_of[key]
        )
        if new_buyer and len(buyers_of[key]) >= view.buyer_allowance[key]:
            continue
        flows[k] += take
        need[d] -= take
        left[s] -= take
        if fresh:
            supplied[d].add(g)
        if new_group:
            new_count[d] += 1
        if new_buyer:
            buyers_of[key].add(buyers[k])
    return flows


def _greedy_order(graph: EligibilityGraph, ids: IntArray) -> IntArray:
    """The order the greedy baseline visits the arcs ``ids`` in (positions in ``ids``):
    deliveries by priority, then date, then order; within one, the nearest, then cheapest."""
    demand = graph.demand
    arc_d = graph.arc_demand[ids]
    rank_key = sorted(
        set(arc_d.tolist()), key=lambda d: (-graph.weights[d], demand[d].day, demand[d].order_id)
    )
    rank = {d: i for i, d in enumerate(rank_key)}
    ranks = np.fromiter((rank[d] for d in arc_d.tolist()), np.int64, len(ids))
    visit: IntArray = np.lexsort((ids, graph.arc_cost[ids], graph.arc_km[ids], ranks))
    return visit
