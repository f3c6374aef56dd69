"""Integer rules: suppliers per delivery, minimum lots, buyers per group and week.

* **supplier limit**: a delivery is served by at most ``max_suppliers`` groups (1: single
  sourcing), counting the groups already under contract for it (earlier rounds);
* **minimum lot**: a group delivers either nothing or at least its ``min_lot`` to a delivery
  (a group already under contract for that delivery may add less);
* **buyer limit**: a group serves at most ``max_buyers_per_week`` buyers in one week, counting
  the buyers it already has under contract that week.

Orders and groups set their own limits; the parameters give the defaults. :class:`RuleTables`
holds them as arrays for the instance, :class:`RuleView` for the arcs of one graph;
:func:`satisfied` checks flows against them and :func:`explain_rules` names the rule that kept
free, eligible supply away from an unfilled delivery.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from matcher.domain.weeks import iso_week
from matcher.optimiser.eligibility import EligibilityGraph
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.markets import MarketTables
from matcher.optimiser.reasons import BoolArray, IntArray, ReasonCode
from matcher.optimiser.solution import Alternative, Explanation

NO_LIMIT = 1 << 40


@dataclass(frozen=True, slots=True, eq=False)
class RuleTables:
    """The rules of an instance as arrays (indices of :class:`MarketTables`)."""

    o_suppliers: IntArray
    """Supplier limit per order (``NO_LIMIT``: none)."""
    g_lot: IntArray
    """Minimum lot per group (0: none)."""
    g_buyers: IntArray
    """Buyer limit per group and week (``NO_LIMIT``: none)."""
    committed: dict[int, frozenset[int]]
    """Groups under contract per open delivery (delivery index → group indices)."""
    committed_orders: dict[int, frozenset[int]]
    """Groups under contract per order (order index → group indices)."""
    committed_buyers: dict[tuple[int, str], frozenset[int]]
    """Buyers under contract per (group index, week)."""
    active: bool
    """Whether any limit applies."""
    by_week: bool
    """Whether buyer limits tie the markets of a week together."""

    @classmethod
    def of(cls, instance: MatchingInstance, t: MarketTables) -> RuleTables:
        p = instance.parameters
        groups = list(instance.groups.values())
        o_suppliers = np.fromiter(
            (_limit(p.suppliers_limit(o)) for o in instance.orders), np.int64, len(instance.orders)
        )
        g_lot = np.fromiter((p.lot(g) or 0 for g in groups), np.int64, len(groups))
        g_buyers = np.fromiter((_limit(p.buyers_limit(g)) for g in groups), np.int64, len(groups))
        g_pos = {g: i for i, g in enumerate(instance.groups)}
        o_pos = {o.id: i for i, o in enumerate(instance.orders)}
        b_pos = {b: i for i, b in enumerate(instance.buyers)}
        d_pos = {(n.order_id, n.day): i for i, n in enumerate(t.dnodes)}
        committed: dict[int, set[int]] = defaultdict(set)
        by_order: dict[int, set[int]] = defaultdict(set)
        buyers: dict[tuple[int, str], set[int]] = defaultdict(set)
        for (order_id, day), group_ids in instance.committed.items():
            o = o_pos.get(order_id)
            if o is None:
                continue
            known = {g_pos[g] for g in group_ids if g in g_pos}
            by_order[o] |= known
            d = d_pos.get((order_id, day))
            if d is not None:
                committed[d] |= known
            buyer = b_pos[instance.orders[o].buyer_id]
            for g in known:
                buyers[(g, iso_week(day))].add(buyer)
        active = bool(
            (o_suppliers < NO_LIMIT).any() or (g_lot > 0).any() or (g_buyers < NO_LIMIT).any()
        )
        return cls(
            o_suppliers=o_suppliers,
            g_lot=g_lot,
            g_buyers=g_buyers,
            committed={d: frozenset(g) for d, g in committed.items()},
            committed_orders={o: frozenset(g) for o, g in by_order.items()},
            committed_buyers={k: frozenset(b) for k, b in buyers.items()},
            active=active,
            by_week=bool((g_buyers < NO_LIMIT).any()),
        )


def _limit(value: int | None) -> int:
    return NO_LIMIT if value is None else value


@dataclass(frozen=True, slots=True, eq=False)
class RuleView:
    """The rules seen from the arcs of one graph (local node indices)."""

    arc_group: IntArray
    """Instance-wide group index of each arc's supply."""
    arc_buyer: IntArray
    arc_week: IntArray
    """Index of the arc's week in ``weeks``."""
    arc_lot: IntArray
    """The lot the arc's group must reach on the delivery (0: none, or already under contract)."""
    arc_committed: np.ndarray
    """Whether the arc's group is already under contract for the delivery."""
    d_allowance: IntArray
    """New groups each delivery may still take."""
    d_limit: IntArray
    d_committed: list[frozenset[int]]
    """Groups already under contract for each delivery."""
    weeks: list[str]
    buyer_allowance: dict[tuple[int, int], int]
    """New buyers each (group, week index) may still take."""
    committed_buyers: dict[tuple[int, int], frozenset[int]]

    @classmethod
    def of(cls, rules: RuleTables, t: MarketTables, graph: EligibilityGraph) -> RuleView:
        d_ids = graph.demand_ids
        arc_d_global = d_ids[graph.arc_demand]
        arc_group = t.a_group[t.s_ann[graph.supply_ids[graph.arc_supply]]]
        arc_order = t.d_order[arc_d_global]
        arc_buyer = t.o_buyer[arc_order]
        market_weeks = [t.markets[m][1] for m in t.d_market[arc_d_global].tolist()]
        weeks = sorted(set(market_weeks))
        w_pos = {w: i for i, w in enumerate(weeks)}
        arc_week = np.fromiter((w_pos[w] for w in market_weeks), np.int64, len(market_weeks))
        committed_arc = np.fromiter(
            (
                g in rules.committed.get(d, ())
                for d, g in zip(arc_d_global.tolist(), arc_group.tolist(), strict=True)
            ),
            np.bool_,
            len(arc_group),
        )
        arc_lot = np.where(committed_arc, 0, rules.g_lot[arc_group])
        limits = rules.o_suppliers[t.d_order[d_ids]]
        held_by = [rules.committed.get(d, frozenset()) for d in d_ids.tolist()]
        counts = np.fromiter((len(h) for h in held_by), np.int64, len(d_ids))
        allowance: dict[tuple[int, int], int] = {}
        held: dict[tuple[int, int], frozenset[int]] = {}
        for g, w in set(zip(arc_group.tolist(), arc_week.tolist(), strict=True)):
            limit = int(rules.g_buyers[g])
            if limit >= NO_LIMIT:
                continue
            have = rules.committed_buyers.get((g, weeks[w]), frozenset())
            held[(g, w)] = have
            allowance[(g, w)] = max(0, limit - len(have))
        return cls(
            arc_group=arc_group,
            arc_buyer=arc_buyer,
            arc_week=arc_week,
            arc_lot=arc_lot,
            arc_committed=committed_arc,
            d_allowance=np.maximum(0, limits - counts),
            d_limit=limits,
            d_committed=held_by,
            weeks=weeks,
            buyer_allowance=allowance,
            committed_buyers=held,
        )


def violations(
    view: RuleView, graph: EligibilityGraph, arc_ids: IntArray, flows: IntArray
) -> list[str]:
    """The rules ``flows`` (on ``arc_ids``) break; empty when they hold."""
    used = flows > 0
    return [
        *_supplier_violations(view, graph, arc_ids, flows, used),
        *_buyer_violations(view, arc_ids, used),
    ]


def _supplier_violations(
    view: RuleView, graph: EligibilityGraph, arc_ids: IntArray, flows: IntArray, used: BoolArray
) -> list[str]:
    """Groups delivering less than their lot, deliveries taking more new groups than allowed."""
    problems: list[str] = []
    d = graph.arc_demand[arc_ids][used]
    g = view.arc_group[arc_ids][used]
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    for di, gi, q in zip(d.tolist(), g.tolist(), flows[used].tolist(), strict=True):
        pairs[(di, gi)] += q
    arc_d = graph.arc_demand[arc_ids].tolist()
    arc_g = view.arc_group[arc_ids].tolist()
    lots = {
        (int(di), int(gi)): int(lot)
        for di, gi, lot in zip(arc_d, arc_g, view.arc_lot[arc_ids].tolist(), strict=True)
    }
    committed = {
        (int(di), int(gi))
        for di, gi, c in zip(arc_d, arc_g, view.arc_committed[arc_ids].tolist(), strict=True)
        if c
    }
    new_groups: dict[int, int] = defaultdict(int)
    for (di, gi), q in pairs.items():
        if q < lots[(di, gi)]:
            problems.append(f"delivery {di}: group {gi} delivers {q} < lot {lots[(di, gi)]}")
        if (di, gi) not in committed:
            new_groups[di] += 1
    for di, n in new_groups.items():
        if n > view.d_allowance[di]:
            problems.append(f"delivery {di}: {n} new suppliers > {view.d_allowance[di]} allowed")
    return problems


def _buyer_violations(view: RuleView, arc_ids: IntArray, used: BoolArray) -> list[str]:
    """Limited (group, week)s taking more new buyers than allowed."""
    buyers: dict[tuple[int, int], set[int]] = defaultdict(set)
    for gi, wi, bi in zip(
        view.arc_group[arc_ids][used].tolist(),
        view.arc_week[arc_ids][used].tolist(),
        view.arc_buyer[arc_ids][used].tolist(),
        strict=True,
    ):
        if (gi, wi) in view.buyer_allowance and bi not in view.committed_buyers[(gi, wi)]:
            buyers[(gi, wi)].add(bi)
    return [
        f"group {key[0]} week {view.weeks[key[1]]}: {len(found)} new buyers > "
        f"{view.buyer_allowance[key]} allowed"
        for key, found in buyers.items()
        if len(found) > view.buyer_allowance[key]
    ]


def explain_rules(
    view: RuleView,
    graph: EligibilityGraph,
    flows: IntArray,
    t: MarketTables,
    instance: MatchingInstance,
    deliveries: IntArray,
) -> dict[int, Explanation]:
    """For unfilled local ``deliveries`` that still had free eligible supply after the solve,
    the integer rule that kept it away (deliveries whose cause is not a rule are left out)."""
    out: dict[int, Explanation] = {}
    if len(deliveries) == 0 or graph.arc_count == 0:
        return out
    used_supply = np.zeros(len(graph.supply), dtype=np.int64)
    np.add.at(used_supply, graph.arc_supply, flows)
    free = graph.supply_quantity - used_supply
    filled = np.zeros(len(graph.demand), dtype=np.int64)
    np.add.at(filled, graph.arc_demand, flows)
    order_of_arc = np.argsort(graph.arc_demand, kind="stable")
    starts = np.searchsorted(graph.arc_demand[order_of_arc], np.arange(len(graph.demand) + 1))
    served = _served_buyers(view, flows)
    group_ids = list(instance.groups)
    for d in deliveries.tolist():
        arcs = order_of_arc[starts[d] : starts[d + 1]]
        open_arcs = arcs[free[graph.arc_supply[arcs]] > 0]
        if len(open_arcs) == 0:
            continue
        missing = int(graph.demand_quantity[d] - filled[d])
        suppliers = {int(view.arc_group[k]) for k in arcs.tolist() if flows[k] > 0}
        suppliers |= view.d_committed[d]
        short = _Short.of(
            view, graph, t, instance, group_ids, free, d, missing, suppliers, open_arcs
        )
        answer = _supplier_limit(short) or _below_lot(short) or _buyer_limit(short, view, served)
        if answer is not None:
            out[d] = answer
    return out


def _served_buyers(view: RuleView, flows: IntArray) -> dict[tuple[int, int], set[int]]:
    """The buyers each limited (group, week index) serves in ``flows``."""
    served: dict[tuple[int, int], set[int]] = defaultdict(set)
    for k in np.flatnonzero(flows > 0).tolist():
        key = (int(view.arc_group[k]), int(view.arc_week[k]))
        if key in view.buyer_allowance:
            served[key].add(int(view.arc_buyer[k]))
    return served


@dataclass(frozen=True, slots=True)
class _Short:
    """An unfilled delivery ``d`` with free eligible supply, as its explanations see it."""

    graph: EligibilityGraph
    view: RuleView
    d: int
    missing: int
    week: str
    label: str
    """The crop's names."""
    unit: str
    by_km: list[int]
    """Arcs to supply with something free, nearest first."""
    suppliers: set[int]
    """Groups serving the delivery (in the solve, or under contract)."""
    free: IntArray
    """Free quantity of each supply node."""
    group_ids: list[str]

    @classmethod
    def of(
        cls,
        view: RuleView,
        graph: EligibilityGraph,
        t: MarketTables,
        instance: MatchingInstance,
        group_ids: list[str],
        free: IntArray,
        d: int,
        missing: int,
        suppliers: set[int],
        open_arcs: IntArray,
    ) -> _Short:
        order = instance.orders[int(t.d_order[graph.demand_ids[d]])]
        crop = instance.crops[order.crop_id]
        by_km = open_arcs[np.argsort(graph.arc_km[open_arcs], kind="stable")]
        return cls(
            graph=graph,
            view=view,
            d=d,
            missing=missing,
            week=graph.demand[d].week,
            label=f"{crop.name_en} ({crop.name_th})",
            unit=crop.unit.value,
            by_km=by_km.tolist(),
            suppliers=suppliers,
            free=free,
            group_ids=group_ids,
        )

    def free_at(self, k: int) -> int:
        """Free quantity of arc ``k``'s supply node."""
        return int(self.free[self.graph.arc_supply[k]])

    def group(self, k: int) -> str:
        """Id of arc ``k``'s group."""
        return self.group_ids[int(self.view.arc_group[k])]

    def km(self, k: int) -> float:
        return float(self.graph.arc_km[k])


def _supplier_limit(short: _Short) -> Explanation | None:
    """The delivery has as many suppliers as the order allows, and a nearer group is free."""
    view = short.view
    others = [k for k in short.by_km if int(view.arc_group[k]) not in short.suppliers]
    limit = int(view.d_limit[short.d])
    if not others or len(short.suppliers) < limit:
        return None
    k = others[0]
    g = short.group(k)
    names = ", ".join(sorted(short.group_ids[s] for s in short.suppliers))
    return Explanation(
        ReasonCode.SUPPLIER_LIMIT,
        f"the order allows {limit} supplier{'s' if limit != 1 else ''} per delivery "
        f"and has {names}; nearest other: group {g} with {short.free_at(k)} "
        f"{short.unit} of {short.label} free in week {short.week} at {short.km(k):g} km",
        _alternative(
            short.graph,
            k,
            g,
            ReasonCode.SUPPLIER_LIMIT,
            "suppliers",
            len(short.suppliers),
            limit,
        ),
    )


def _below_lot(short: _Short) -> Explanation | None:
    """The nearest free supply whose group's lot is more than it could bring."""
    view = short.view
    lotted = [k for k in short.by_km if view.arc_lot[k] > min(short.missing, short.free_at(k))]
    if not lotted:
        return None
    k = lotted[0]
    g = short.group(k)
    lot = int(view.arc_lot[k])
    room = min(short.missing, short.free_at(k))
    return Explanation(
        ReasonCode.BELOW_MIN_LOT,
        f"{short.missing} {short.unit} of {short.label} still missing in week {short.week}; "
        f"nearest free supply: group {g} at {short.km(k):g} km delivers lots of at least "
        f"{lot} {short.unit}",
        _alternative(short.graph, k, g, ReasonCode.BELOW_MIN_LOT, "min_lot", lot, room),
    )


def _buyer_limit(
    short: _Short, view: RuleView, served: dict[tuple[int, int], set[int]]
) -> Explanation | None:
    """The nearest free supply whose group already serves as many buyers that week as allowed,
    the delivery's buyer not among them."""
    for k in short.by_km:
        key = (int(view.arc_group[k]), int(view.arc_week[k]))
        if key not in view.buyer_allowance:
            continue
        buyer = int(view.arc_buyer[k])
        held = view.committed_buyers[key]
        if buyer in served[key] or buyer in held:
            continue
        new_buyers = served[key] - held
        if len(new_buyers) >= view.buyer_allowance[key]:
            have = len(new_buyers) + len(held)
            cap = len(held) + view.buyer_allowance[key]
            g = short.group_ids[key[0]]
            return Explanation(
                ReasonCode.BUYER_LIMIT,
                f"nearest free {short.label} in week {short.week}: group {g} at "
                f"{short.km(k):g} km already serves {have} buyers that week, its limit",
                _alternative(short.graph, k, g, ReasonCode.BUYER_LIMIT, "buyers", have, cap),
            )
    return None


def _alternative(
    graph: EligibilityGraph,
    k: int,
    group_id: str,
    rule: ReasonCode,
    measure: str,
    value: int,
    limit: int,
) -> Alternative:
    s = graph.supply[int(graph.arc_supply[k])]
    return Alternative(group_id, s.supply_id, s.week, rule, measure, value, limit)
