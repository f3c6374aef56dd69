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
from matcher.roads import to_10_m


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
    orders = {o.id: o for o in instance.orders}
    supplies = {s.id: s for s in instance.supply}
    tally = _Tally()
    problems = _allocation_breaks(instance, solution.allocations, orders, supplies, tally)
    problems += _supply_breaks(instance, supplies, tally.used)
    problems += _delivery_breaks(instance, solution, tally.delivered)
    problems += _integer_rule_breaks(instance, solution.allocations, orders, supplies)
    s = solution.summary
    if (s.filled, s.weighted_filled, s.delivered_cost) != (
        tally.filled,
        tally.weighted,
        tally.cost,
    ):
        problems.append(
            f"summary says filled={s.filled} weighted={s.weighted_filled} cost={s.delivered_cost}"
            f", recomputed {tally.filled} / {tally.weighted} / {tally.cost}"
        )
    objective = Objective(
        tally.weighted, tally.filled, tally.cost, penalties(instance, solution.allocations)
    )
    return ValidationReport(objective, problems)


@dataclass
class _Tally:
    """What the allocations of known orders and supplies add up to."""

    used: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    """Quantity per (supply, week)."""
    delivered: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))
    """Quantity per (order, delivery date)."""
    weighted: int = 0
    filled: int = 0
    cost: int = 0


def _allocation_breaks(
    instance: MatchingInstance,
    allocations: Sequence[Allocation],
    orders: dict[str, ForwardOrder],
    supplies: dict[str, SupplyAnnouncement],
    tally: _Tally,
) -> list[str]:
    """The rules each allocation breaks on its own (adding the known ones to ``tally``)."""
    problems: list[str] = []
    certs_by_group: dict[str, list[Certificate]] = defaultdict(list)
    for cert in instance.certificates:
        certs_by_group[cert.group_id].append(cert)
    for i, a in enumerate(allocations):
        where = f"allocation {i} ({a.supply_id}->{a.order_id} {a.day})"
        order, supply = orders.get(a.order_id), supplies.get(a.supply_id)
        if order is None or supply is None:
            problems.append(f"{where}: unknown order or supply")
            continue
        certs = certs_by_group.get(supply.group_id, [])
        problems += [f"{where}: {p}" for p in _rule_breaks(instance, a, order, supply, certs)]
        if (order.id, supply.group_id) in instance.excluded:
            problems.append(f"{where}: group {supply.group_id} declined order {order.id}")
        tally.used[(supply.id, a.week)] += a.quantity
        tally.delivered[(order.id, a.day)] += a.quantity
        weight = instance.parameters.weight(instance.buyers[order.buyer_id].kind)
        tally.weighted += weight * a.quantity
        tally.filled += a.quantity
        tally.cost += a.unit_cost * a.quantity
    return problems


def _supply_breaks(
    instance: MatchingInstance,
    supplies: dict[str, SupplyAnnouncement],
    used: dict[tuple[str, str], int],
) -> list[str]:
    """Supply weeks given more than they offer (or, with ``open_supply``, have free)."""
    problems: list[str] = []
    for (supply_id, week), qty in used.items():
        offered = _free_supply(instance, supplies[supply_id], week)
        if qty > offered:
            problems.append(f"supply {supply_id} week {week}: {qty} allocated > {offered} offered")
    return problems


def _free_supply(instance: MatchingInstance, supply: SupplyAnnouncement, week: str) -> int:
    """What ``supply`` offers in ``week`` (or, with ``open_supply``, still has free)."""
    if instance.open_supply is not None:
        return instance.open_supply.get((supply.id, week), 0)
    return supply.quantities.get(week, 0)


def _delivery_breaks(
    instance: MatchingInstance, solution: Solution, delivered: dict[tuple[str, date], int]
) -> list[str]:
    """Deliveries given more than is open, or whose delivered and unfilled quantities do not
    add up to what is open."""
    problems: list[str] = []
    unfilled: dict[tuple[str, date], int] = defaultdict(int)
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
    return problems


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
    total = 0
    if p.fairness.value == "progressive" and p.fairness_weight > 0:
        total += _fairness_penalty(instance, allocations)
    if p.continuity_weight > 0:
        total += _continuity_penalty(instance, allocations)
    return total


def _fairness_penalty(instance: MatchingInstance, allocations: Sequence[Allocation]) -> int:
    """The progressive fairness penalty of ``allocations`` (see :func:`penalties`)."""
    p = instance.parameters
    supplies = {s.id: s for s in instance.supply}
    used: dict[tuple[str, str], int] = defaultdict(int)
    for a in allocations:
        used[(a.supply_id, a.week)] += a.quantity
    total = 0
    for (supply_id, week), quantity in sorted(used.items()):
        supply = supplies[supply_id]
        free = _free_supply(instance, supply, week)
        own = supply.asking_price
        if own is None:
            own = instance.crops[supply.crop_id].reference_price or 0
        step = round(own * (p.fairness_weight * COST_UNITS_PER_SATANG))
        total += _stepped(quantity, free, p.fairness_steps, step)
    return total


def _stepped(quantity: int, free: int, n: int, step: int) -> int:
    """The penalty of ``quantity`` units of a supply week with ``free`` units cut into ``n``
    steps (the remainder one unit each to the first steps), a unit in step ``k`` costing
    ``k × step``."""
    total = 0
    left = quantity
    for k in range(n):
        size = free // n + (1 if k < free % n else 0)
        take = min(left, size)
        total += k * step * take
        left -= take
    return total


def _continuity_penalty(instance: MatchingInstance, allocations: Sequence[Allocation]) -> int:
    """The continuity penalty of ``allocations``, week after week (see :func:`penalties`)."""
    weight = instance.parameters.continuity_weight
    held: dict[str, set[str]] = defaultdict(set)
    for (order_id, _day), groups in instance.committed.items():
        held[order_id] |= groups
    by_week: dict[str, list[Allocation]] = defaultdict(list)
    for a in allocations:
        by_week[a.week].append(a)
    total = 0
    for week in sorted(by_week):
        for a in by_week[week]:
            if held[a.order_id] and a.group_id not in held[a.order_id]:
                unit = round(a.unit_price * (weight * COST_UNITS_PER_SATANG))
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
    crop = instance.crops[order.crop_id]
    km = round(_road_km(instance, supply.group_id, order.buyer_id), 2)
    return [
        *_identity_breaks(a, order, supply),
        *_standard_breaks(instance, a, order, supply, certs, crop),
        *_food_safety_breaks(instance, a, certs, crop),
        *_distance_breaks(instance, a, order, km),
        *_price_breaks(instance, a, order, supply, crop, km),
    ]


def _identity_breaks(a: Allocation, order: ForwardOrder, supply: SupplyAnnouncement) -> list[str]:
    """The quantity, the names, the crop, the date and the week."""
    out: list[str] = []
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
    return out


def _standard_breaks(
    instance: MatchingInstance,
    a: Allocation,
    order: ForwardOrder,
    supply: SupplyAnnouncement,
    certs: list[Certificate],
    crop: Crop,
) -> list[str]:
    """The order's minimum tier: met by the scheme itself, or by a certificate of it in force
    on the day and covering the crop."""
    rule = instance.standards.rules.get(supply.scheme)
    if rule is None:
        return [f"scheme {supply.scheme} unknown"]
    tier = order.min_tier
    if supply.scheme is Scheme.NONE or not rule.needs_certificate:
        if tier not in rule.satisfies:
            return [f"{supply.scheme} does not satisfy {tier}"]
        return []
    good = [
        c
        for c in certs
        if c.scheme == supply.scheme
        and (tier in rule.satisfies or rule.satisfies_with_scope.get(tier) in c.scopes)
        and _in_force(c, a.day)
        and _covers(c, crop)
    ]
    if not good:
        return [f"no {supply.scheme} certificate meets {tier} for {crop.id} on {a.day}"]
    if crop.group in rule.not_crop_groups or (
        rule.crop_groups and crop.group not in rule.crop_groups
    ):
        return [f"{supply.scheme} does not certify {crop.group} ({crop.id})"]
    return []


def _food_safety_breaks(
    instance: MatchingInstance, a: Allocation, certs: list[Certificate], crop: Crop
) -> list[str]:
    """A processed crop needs a food-safety credential in force on the day and covering it."""
    if not crop.processed:
        return []
    rules = instance.standards.rules
    safe = [
        c
        for c in certs
        if c.scheme in rules and rules[c.scheme].food_safety
        if _in_force(c, a.day) and _covers(c, crop)
    ]
    if not safe:
        return [f"{crop.id} is processed and no food-safety credential is valid"]
    return []


def _road_km(instance: MatchingInstance, group_id: str, buyer_id: str) -> float:
    """Road km from the group to the buyer: the instance's table, else its road model, else the
    great circle times the road factor."""
    group, buyer = instance.groups[group_id], instance.buyers[buyer_id]
    km = instance.road_distances.get((group.id, buyer.id))
    if km is None and instance.roads is not None:
        km = to_10_m(instance.roads.km(group.location, buyer.location))
    if km is None:
        km = great_circle_km(group.location, buyer.location) * instance.parameters.road_factor
    return km


def _distance_breaks(
    instance: MatchingInstance, a: Allocation, order: ForwardOrder, km: float
) -> list[str]:
    """The distance named (``km`` recomputed, to the metre) and the order's limit."""
    out: list[str] = []
    if abs(km - a.distance_km) > 1e-6:
        out.append(f"distance {a.distance_km} km, recomputed {km} km")
    limit = order.max_distance_km or instance.parameters.default_max_distance_km
    if limit is not None and km > limit:
        out.append(f"{km} km is beyond the limit of {limit} km")
    return out


def _price_breaks(
    instance: MatchingInstance,
    a: Allocation,
    order: ForwardOrder,
    supply: SupplyAnnouncement,
    crop: Crop,
    km: float,
) -> list[str]:
    """The ask against the order's max price, the unit price under the pricing policy and the
    unit cost (price plus transport over ``km``)."""
    out: list[str] = []
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
    delivered: dict[tuple[str, date, str], int] = defaultdict(int)
    served: dict[tuple[str, str], set[str]] = defaultdict(set)
    for a in allocations:
        order, supply = orders.get(a.order_id), supplies.get(a.supply_id)
        if order is None or supply is None:
            continue  # reported as unknown above
        delivered[(order.id, a.day, supply.group_id)] += a.quantity
        served[(supply.group_id, iso_week(a.day))].add(order.buyer_id)
    return [
        *_supplier_limit_breaks(instance, orders, delivered),
        *_lot_breaks(instance, delivered),
        *_buyer_limit_breaks(instance, orders, served),
    ]


def _supplier_limit_breaks(
    instance: MatchingInstance,
    orders: dict[str, ForwardOrder],
    delivered: dict[tuple[str, date, str], int],
) -> list[str]:
    """Deliveries given groups beyond the order's supplier limit (those under contract count)."""
    suppliers: dict[tuple[str, date], set[str]] = defaultdict(set)
    for order_id, day, group_id in delivered:
        suppliers[(order_id, day)].add(group_id)
    out: list[str] = []
    for (order_id, day), groups in sorted(suppliers.items()):
        order = orders[order_id]
        limit = (
            order.max_suppliers
            if order.max_suppliers is not None
            else instance.parameters.max_suppliers
        )
        held = instance.committed.get((order_id, day), frozenset())
        new = groups - held
        if limit is not None and new and len(new | held) > limit:
            under = f" + {', '.join(sorted(held))} under contract" if held else ""
            out.append(
                f"order {order_id} {day}: {len(new | held)} suppliers ({', '.join(sorted(new))}"
                f"{under}) > max_suppliers {limit}"
            )
    return out


def _lot_breaks(
    instance: MatchingInstance, delivered: dict[tuple[str, date, str], int]
) -> list[str]:
    """Groups delivering less than their minimum lot (unless under contract for the delivery)."""
    out: list[str] = []
    for (order_id, day, group_id), qty in sorted(delivered.items()):
        group = instance.groups[group_id]
        lot = group.min_lot if group.min_lot is not None else instance.parameters.min_lot
        held = instance.committed.get((order_id, day), frozenset())
        if lot is not None and qty < lot and group_id not in held:
            out.append(f"order {order_id} {day}: group {group_id} delivers {qty} < min_lot {lot}")
    return out


def _buyer_limit_breaks(
    instance: MatchingInstance,
    orders: dict[str, ForwardOrder],
    served: dict[tuple[str, str], set[str]],
) -> list[str]:
    """Groups serving buyers beyond their limit in a week (those under contract count)."""
    had: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (order_id, day), held in instance.committed.items():
        order = orders.get(order_id)
        if order is not None:
            for group_id in held:
                had[(group_id, iso_week(day))].add(order.buyer_id)
    out: list[str] = []
    for (group_id, week), buyers in sorted(served.items()):
        group = instance.groups[group_id]
        limit = group.max_buyers_per_week
        if limit is None:
            limit = instance.parameters.max_buyers_per_week
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
