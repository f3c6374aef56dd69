"""An independent validator: checks any solution against every rule and recomputes its objective.

It shares no code with eligibility or the model: certificate, distance and price rules are
re-stated here from the domain values, so a bug in one shows up as a disagreement with the other.
So are the integer rules (see :mod:`matcher.optimiser.rules` for the solver's version): at most
``max_suppliers`` groups per delivery, a group's minimum lot per delivery and at most
``max_buyers_per_week`` buyers per group and ISO week, the groups under contract from earlier
rounds (``MatchingInstance.committed``) counting towards both limits and exempt from the lot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from matcher.domain.model import Certificate, Crop, ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme
from matcher.domain.weeks import iso_week
from matcher.geo import great_circle_km
from matcher.optimiser.instance import COST_UNITS_PER_SATANG, MatchingInstance
from matcher.optimiser.solution import Allocation, Solution


@dataclass(frozen=True, slots=True)
class Objective:
    """The documented objective: weighted filled first (maximised), then delivered cost plus
    the policies' penalties (minimised)."""

    weighted_filled: int
    filled: int
    delivered_cost: int
    penalties: int = 0
    """Fairness steps and continuity, in solver cost units (0.0001 THB); see :func:`penalties`."""

    @property
    def level_two(self) -> int:
        """The second level: delivered cost plus penalties."""
        return self.delivered_cost + self.penalties

    def key(self) -> tuple[int, int]:
        """Sort key: smaller is better."""
        return (-self.weighted_filled, self.level_two)


@dataclass
class ValidationReport:
    objective: Objective
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def validate(instance: MatchingInstance, solution: Solution) -> ValidationReport:
    """Check every allocation and total of ``solution`` against ``instance``."""
    problems: list[str] = []
    orders = {o.id: o for o in instance.orders}
    supplies = {s.id: s for s in instance.supply}
    certs_by_group: dict[str, list[Certificate]] = defaultdict(list)
    for cert in instance.certificates:
        certs_by_group[cert.group_id].append(cert)
    used: dict[tuple[str, str], int] = defaultdict(int)
    delivered: dict[tuple[str, object], int] = defaultdict(int)
    weighted = filled = cost = 0
    for i, a in enumerate(solution.allocations):
        where = f"allocation {i} ({a.supply_id}->{a.order_id} {a.day})"
        order, supply = orders.get(a.order_id), supplies.get(a.supply_id)
        if order is None or supply is None:
            problems.append(f"{where}: unknown order or supply")
            continue
        certs = certs_by_group.get(supply.group_id, [])
        problems += [f"{where}: {p}" for p in _rule_breaks(instance, a, order, supply, certs)]
        if (order.id, supply.group_id) in instance.excluded:
            problems.append(f"{where}: group {supply.group_id} declined order {order.id}")
        used[(supply.id, a.week)] += a.quantity
        delivered[(order.id, a.day)] += a.quantity
        weight = instance.parameters.weight(instance.buyers[order.buyer_id].kind)
        weighted += weight * a.quantity
        filled += a.quantity
        cost += a.unit_cost * a.quantity
    for (supply_id, week), qty in used.items():
        offered = supplies[supply_id].quantities.get(week, 0)
        if instance.open_supply is not None:
            offered = instance.open_supply.get((supply_id, week), 0)
        if qty > offered:
            problems.append(f"supply {supply_id} week {week}: {qty} allocated > {offered} offered")
    unfilled: dict[tuple[str, object], int] = defaultdict(int)
    for u in solution.unfilled:
        unfilled[(u.order_id, u.day)] += u.quantity
    for order in instance.orders:
        for day in order.deliveries:
            wanted = order.quantity
            if instance.open_demand is not None:
                wanted = instance.open_demand.get((order.id, day), 0)
            got = delivered.get((order.id, day), 0)
            if got > wanted:
                problems.append(f"order {order.id} {day}: {got} delivered > {wanted} open")
            if got + unfilled.get((order.id, day), 0) != wanted:
                problems.append(
                    f"order {order.id} {day}: delivered {got} + unfilled "
                    f"{unfilled.get((order.id, day), 0)} != open {wanted}"
                )
    problems += _integer_rule_breaks(instance, solution.allocations, orders, supplies)
    s = solution.summary
    if (s.filled, s.weighted_filled, s.delivered_cost) != (filled, weighted, cost):
        problems.append(
            f"summary says filled={s.filled} weighted={s.weighted_filled} cost={s.delivered_cost}"
            f", recomputed {filled} / {weighted} / {cost}"
        )
    objective = Objective(weighted, filled, cost, penalties(instance, solution.allocations))
    return ValidationReport(objective, problems)


def penalties(instance: MatchingInstance, allocations: Sequence[Allocation]) -> int:
    """The fairness and continuity penalties of ``allocations``, re-stated from docs/optimiser.md.

    Fairness (``progressive``): each supply week's free quantity is cut into ``fairness_steps``
    steps (the remainder one unit each to the first steps), filled in order; a unit in step
    ``k`` costs ``k × fairness_weight ×`` the supply's own price (its ask, else the crop's
    reference price, else 0). Continuity: a unit from a group new to an order that already has
    a supplier (under contract, or in an earlier week of these allocations) costs
    ``continuity_weight ×`` the unit price; each week is weighed given the weeks before it.
    Per-unit penalties are rounded to the cost unit (0.0001 THB).
    """
    p = instance.parameters
    supplies = {s.id: s for s in instance.supply}
    total = 0
    if p.fairness.value == "progressive" and p.fairness_weight > 0:
        used: dict[tuple[str, str], int] = defaultdict(int)
        for a in allocations:
            used[(a.supply_id, a.week)] += a.quantity
        for (supply_id, week), quantity in sorted(used.items()):
            supply = supplies[supply_id]
            free = supply.quantities.get(week, 0)
            if instance.open_supply is not None:
                free = instance.open_supply.get((supply_id, week), 0)
            own = supply.asking_price
            if own is None:
                own = instance.crops[supply.crop_id].reference_price or 0
            step = round(own * (p.fairness_weight * COST_UNITS_PER_SATANG))
            n = p.fairness_steps
            left = quantity
            for k in range(n):
                size = free // n + (1 if k < free % n else 0)
                take = min(left, size)
                total += k * step * take
                left -= take
    if p.continuity_weight > 0:
        held: dict[str, set[str]] = defaultdict(set)
        for (order_id, _day), groups in instance.committed.items():
            held[order_id] |= groups
        by_week: dict[str, list[Allocation]] = defaultdict(list)
        for a in allocations:
            by_week[a.week].append(a)
        for week in sorted(by_week):
            for a in by_week[week]:
                if held[a.order_id] and a.group_id not in held[a.order_id]:
                    unit = round(a.unit_price * (p.continuity_weight * COST_UNITS_PER_SATANG))
                    total += unit * a.quantity
            for a in by_week[week]:
                held[a.order_id].add(a.group_id)
    return total


def _rule_breaks(
    instance: MatchingInstance,
    a: Allocation,
    order: ForwardOrder,
    supply: SupplyAnnouncement,
    certs: list[Certificate],
) -> list[str]:
    out: list[str] = []
    crop = instance.crops[order.crop_id]
    if a.quantity <= 0:
        out.append("quantity must be above 0")
    if (a.group_id, a.buyer_id) != (supply.group_id, order.buyer_id):
        out.append(
            f"group {a.group_id} / buyer {a.buyer_id} named, the supply's group and the order's "
            f"buyer are {supply.group_id} / {order.buyer_id}"
        )
    if supply.crop_id != order.crop_id:
        out.append(f"crop {supply.crop_id} supplied for an order of {order.crop_id}")
    if a.day not in order.deliveries:
        out.append("not a delivery date of the order")
    if iso_week(a.day) != a.week or a.week not in supply.quantities:
        out.append(f"week {a.week} does not match the delivery or the supply")
    rule = instance.standards.rules.get(supply.scheme)
    if rule is None:
        out.append(f"scheme {supply.scheme} unknown")
    elif supply.scheme is Scheme.NONE or not rule.needs_certificate:
        if order.min_tier not in rule.satisfies:
            out.append(f"{supply.scheme} does not satisfy {order.min_tier}")
    else:
        tier = order.min_tier
        good = [
            c
            for c in certs
            if c.scheme == supply.scheme
            and (tier in rule.satisfies or rule.satisfies_with_scope.get(tier) in c.scopes)
            and _in_force(c, a.day)
            and _covers(c, crop)
        ]
        if not good:
            out.append(f"no {supply.scheme} certificate meets {tier} for {crop.id} on {a.day}")
    if crop.processed:
        rules = instance.standards.rules
        safe = [
            c
            for c in certs
            if c.scheme in rules and rules[c.scheme].food_safety
            if _in_force(c, a.day) and _covers(c, crop)
        ]
        if not safe:
            out.append(f"{crop.id} is processed and no food-safety credential is valid")
    group, buyer = instance.groups[supply.group_id], instance.buyers[order.buyer_id]
    km = instance.road_distances.get((group.id, buyer.id))
    if km is None:
        km = great_circle_km(group.location, buyer.location) * instance.parameters.road_factor
    km = round(km, 2)
    if abs(km - a.distance_km) > 1e-6:
        out.append(f"distance {a.distance_km} km, recomputed {km} km")
    limit = order.max_distance_km or instance.parameters.default_max_distance_km
    if limit is not None and km > limit:
        out.append(f"{km} km is beyond the limit of {limit} km")
    ask = supply.asking_price
    if ask is None:
        ask = crop.reference_price if crop.reference_price is not None else order.max_price or 0
    if order.max_price is not None and ask > order.max_price:
        out.append(f"asking price {ask} satang above the max {order.max_price}")
    price = _policy_price(instance, supply, order, ask)
    policy = instance.parameters.pricing_policy.value
    if a.unit_price != price:
        under = "" if policy == "ask" else f" under the {policy} policy"
        out.append(f"unit price {a.unit_price} satang, offered {price}{under}")
    elif order.max_price is not None and ask <= order.max_price < a.unit_price:
        out.append(f"unit price {a.unit_price} satang above the max {order.max_price}")
    rate = instance.parameters.transport_cost_per_unit_km.get(crop.unit, 0.0)
    expected = price * COST_UNITS_PER_SATANG + round(rate * km * 100 * COST_UNITS_PER_SATANG)
    if a.unit_cost != expected:
        out.append(f"unit cost {a.unit_cost}, recomputed {expected}")
    return out


def _integer_rule_breaks(
    instance: MatchingInstance,
    allocations: tuple[Allocation, ...],
    orders: dict[str, ForwardOrder],
    supplies: dict[str, SupplyAnnouncement],
) -> list[str]:
    """Supplier limits, minimum lots and buyer limits, re-stated from the domain values.

    What is under contract already may break a limit (the limit came later): only a solution
    that adds a group or a buyer beyond it breaks it.
    """
    p = instance.parameters
    delivered: dict[tuple[str, date, str], int] = defaultdict(int)
    served: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in allocations:
        order, supply = orders.get(a.order_id), supplies.get(a.supply_id)
        if order is None or supply is None:
            continue  # reported as unknown above
        delivered[(order.id, a.day, supply.group_id)] += a.quantity
        served[(supply.group_id, iso_week(a.day))].add(order.buyer_id)
    suppliers: dict[tuple[str, date], set[str]] = defaultdict(set)
    for order_id, day, group_id in delivered:
        suppliers[(order_id, day)].add(group_id)
    out: list[str] = []
    for (order_id, day), groups in sorted(suppliers.items()):
        order = orders[order_id]
        limit = order.max_suppliers if order.max_suppliers is not None else p.max_suppliers
        held = instance.committed.get((order_id, day), frozenset())
        new = groups - held
        if limit is not None and new and len(new | held) > limit:
            under = f" + {', '.join(sorted(held))} under contract" if held else ""
            out.append(
                f"order {order_id} {day}: {len(new | held)} suppliers ({', '.join(sorted(new))}"
                f"{under}) > max_suppliers {limit}"
            )
    for (order_id, day, group_id), qty in sorted(delivered.items()):
        group = instance.groups[group_id]
        lot = group.min_lot if group.min_lot is not None else p.min_lot
        held = instance.committed.get((order_id, day), frozenset())
        if lot is not None and qty < lot and group_id not in held:
            out.append(f"order {order_id} {day}: group {group_id} delivers {qty} < min_lot {lot}")
    had: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (order_id, day), held in instance.committed.items():
        order = orders.get(order_id)
        if order is not None:
            for group_id in held:
                had[(group_id, iso_week(day))].add(order.buyer_id)
    for (group_id, week), buyers in sorted(served.items()):
        group = instance.groups[group_id]
        limit = group.max_buyers_per_week
        if limit is None:
            limit = p.max_buyers_per_week
        before = had.get((group_id, week), set())
        new = buyers - before
        if limit is not None and new and len(new | before) > limit:
            under = f" + {', '.join(sorted(before))} under contract" if before else ""
            out.append(
                f"group {group_id} week {week}: {len(new | before)} buyers "
                f"({', '.join(sorted(new))}{under}) > max_buyers_per_week {limit}"
            )
    return out


def _in_force(cert: Certificate, day: date) -> bool:
    revoked = cert.revoked_on is not None and day >= cert.revoked_on
    return cert.valid_from <= day <= cert.valid_until and not revoked


def _covers(cert: Certificate, crop: Crop) -> bool:
    whole_farm = not cert.crops and not cert.crop_groups
    return whole_farm or crop.id in cert.crops or crop.group in cert.crop_groups


def _policy_price(
    instance: MatchingInstance, supply: SupplyAnnouncement, order: ForwardOrder, ask: int
) -> int:
    """The documented pricing policies, restated (see docs/optimiser.md, "Pricing policies")."""
    policy = instance.parameters.pricing_policy.value
    cap = order.max_price
    if policy == "buyer_max" and cap is not None:
        return cap
    if policy == "midpoint" and cap is not None:
        return (ask + cap + 1) // 2
    if policy == "reference":
        table = instance.parameters.reference_prices
        reference = table.get((supply.crop_id, supply.scheme))
        if reference is None:
            reference = instance.crops[supply.crop_id].reference_price
        if reference is not None:
            return max(ask, reference if cap is None else min(reference, cap))
    return ask
