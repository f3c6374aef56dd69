"""Every integer allocation of a tiny market, enumerated, and random tiny markets and rules to
enumerate: what the optimiser's answers are checked against by brute force."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

from matcher.domain.weeks import iso_week
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Solution
from tests.support.builders import (
    BUYER_KINDS,
    DELIVERY,
    MONDAY,
    PLAIN,
    SONGKHLA_CITY,
    WEEK,
    InstanceBuilder,
    validator_allows,
)

Slot = tuple[str, str, date]  # supply id, order id, delivery day


def allowed_slots(instance: MatchingInstance) -> list[Slot]:
    """Every (supply week, delivery) pair the validator accepts."""
    slots = []
    for order in instance.orders:
        for day in order.deliveries:
            for supply in instance.supply:
                if supply.crop_id == order.crop_id and validator_allows(
                    instance, supply.id, order.id, day
                ):
                    slots.append((supply.id, order.id, day))
    return slots


def all_allocations(instance: MatchingInstance, slots: list[Slot]) -> Iterator[list[int]]:
    """Every integer quantity vector over ``slots`` within supply and order capacities."""
    supplies = {s.id: s for s in instance.supply}
    orders = {o.id: o for o in instance.orders}
    supply_left: dict[tuple[str, str], int] = {}
    for s in instance.supply:
        for week, qty in s.quantities.items():
            supply_left[(s.id, week)] = qty
    demand_left = {(o.id, d): o.quantity for o in instance.orders for d in o.deliveries}
    chosen = [0] * len(slots)

    def go(k: int) -> Iterator[list[int]]:
        if k == len(slots):
            yield list(chosen)
            return
        supply_id, order_id, day = slots[k]
        skey = (supply_id, iso_week(day))
        dkey = (order_id, day)
        assert supplies[supply_id].crop_id == orders[order_id].crop_id
        for q in range(min(supply_left[skey], demand_left[dkey]) + 1):
            chosen[k] = q
            supply_left[skey] -= q
            demand_left[dkey] -= q
            yield from go(k + 1)
            supply_left[skey] += q
            demand_left[dkey] += q
        chosen[k] = 0

    yield from go(0)


def tiny_market(seed: int) -> MatchingInstance:
    """At most 3 supply weeks and 3 deliveries of one crop in one week, quantities 1-3, with
    enough valid certificates that groups and kitchens compete."""
    rng = random.Random(seed)
    b = InstanceBuilder(f"tiny-{seed}").parameters(**PLAIN)
    if rng.random() < 0.3:
        b.parameters(transport_cost_per_unit_km={"kg": rng.choice([0.0, 0.5, 2.0])})

    def place() -> tuple[float, float]:
        return (
            round(SONGKHLA_CITY[0] + rng.uniform(-0.3, 0.3), 4),
            round(SONGKHLA_CITY[1] + rng.uniform(-0.3, 0.3), 4),
        )

    for g in range(rng.randint(1, 3)):
        schemes = rng.sample(["THAI_GAP", "PGS", "ORGANIC_THAILAND"], k=rng.randint(1, 2))
        b.group(f"g{g}", place())
        for scheme in schemes:
            until = DELIVERY if rng.random() < 0.85 else DELIVERY - timedelta(days=1)
            b.certificate(f"g{g}", scheme, valid_until=until)
        scheme = rng.choice([*schemes, "NONE"]) if rng.random() < 0.2 else schemes[0]
        ask = rng.choice(["20.00", "25.50", "30.00", "30.01", None])
        b.supply(f"s{g}", f"g{g}", scheme=scheme, weeks={WEEK: rng.randint(1, 3)}, ask=ask)
    buyers = rng.randint(1, 3)
    for i in range(buyers):
        b.buyer(f"b{i}", rng.choice(BUYER_KINDS), place())
    deliveries_left = 3
    for i in range(rng.randint(1, 3)):
        if deliveries_left == 0:
            break
        n = rng.randint(1, min(2, deliveries_left))
        deliveries_left -= n
        days = rng.sample([MONDAY + timedelta(days=k) for k in range(7)], k=n)
        b.order(
            f"o{i}",
            f"b{rng.randrange(buyers)}",
            quantity=rng.randint(1, 3),
            deliveries=days,
            min_tier=rng.choice(["ANY", "SAFE", "SAFE", "ORGANIC"]),
            max_price=rng.choice([None, None, "30.00", "35.00"]),
            max_distance_km=rng.choice([None, None, 30.0, 50.0]),
        )
    return b.instance()


def served(solution: Solution) -> list[tuple[str, str, int]]:
    """(order, group, quantity) of every allocation, summed per order and group."""
    out: dict[tuple[str, str], int] = defaultdict(int)
    for a in solution.allocations:
        out[(a.order_id, a.group_id)] += a.quantity
    return sorted((o, g, q) for (o, g), q in out.items())


def with_random_rules(instance: MatchingInstance, rng: random.Random) -> MatchingInstance:
    """``instance`` with random supplier limits, lots, buyer limits and groups under contract
    (quantities in the tiny markets are 1 to 3)."""
    p = replace(
        instance.parameters,
        max_suppliers=rng.choice([None, None, 1, 2]),
        min_lot=rng.choice([None, None, None, 2]),
        max_buyers_per_week=rng.choice([None, None, 1]),
    )
    orders = tuple(
        replace(o, max_suppliers=rng.choice([None, None, 1, 1, 2])) for o in instance.orders
    )
    groups = {
        gid: replace(
            g,
            min_lot=rng.choice([None, None, 2, 3]),
            max_buyers_per_week=rng.choice([None, None, 1]),
        )
        for gid, g in instance.groups.items()
    }
    committed: dict[tuple[str, date], frozenset[str]] = {}
    for o in orders:
        for day in o.deliveries:
            if rng.random() < 0.2:
                committed[(o.id, day)] = frozenset({rng.choice(sorted(groups))})
    return replace(instance, parameters=p, orders=orders, groups=groups, committed=committed)


def keeps_rules(instance: MatchingInstance, slots: list[Slot], x: list[int]) -> bool:
    """The three rules, stated once more for the enumeration (slots carry no group)."""
    orders = {o.id: o for o in instance.orders}
    per_pair = _per_group(instance, slots, x)
    if not _lots_kept(instance, per_pair):
        return False
    groups: dict[tuple[str, date], set[str]] = defaultdict(set)
    buyers: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (order_id, day), held in instance.committed.items():
        for g in held:
            buyers[(g, iso_week(day))].add(orders[order_id].buyer_id)
    old_buyers = {k: set(v) for k, v in buyers.items()}
    for order_id, day, group_id in per_pair:
        groups[(order_id, day)].add(group_id)
        buyers[(group_id, iso_week(day))].add(orders[order_id].buyer_id)
    return _suppliers_kept(instance, groups) and _buyers_kept(instance, buyers, old_buyers)


def _per_group(
    instance: MatchingInstance, slots: list[Slot], x: list[int]
) -> dict[tuple[str, date, str], int]:
    """Quantity per (order, day, group) of the enumerated quantities ``x``."""
    supplies = {s.id: s for s in instance.supply}
    per_pair: dict[tuple[str, date, str], int] = defaultdict(int)
    for (supply_id, order_id, day), q in zip(slots, x, strict=True):
        if q:
            per_pair[(order_id, day, supplies[supply_id].group_id)] += q
    return per_pair


def _lots_kept(instance: MatchingInstance, per_pair: dict[tuple[str, date, str], int]) -> bool:
    """Each group's quantity for an order and day is at least its minimum lot, unless the group
    is already under contract for it."""
    p = instance.parameters
    for (order_id, day, group_id), q in per_pair.items():
        held = instance.committed.get((order_id, day), frozenset())
        group = instance.groups[group_id]
        lot = group.min_lot if group.min_lot is not None else p.min_lot
        if group_id not in held and lot is not None and q < lot:
            return False
    return True


def _suppliers_kept(instance: MatchingInstance, groups: dict[tuple[str, date], set[str]]) -> bool:
    """No order's delivery takes a new group beyond its supplier limit."""
    orders = {o.id: o for o in instance.orders}
    for (order_id, day), gs in groups.items():
        held = instance.committed.get((order_id, day), frozenset())
        limit = instance.parameters.suppliers_limit(orders[order_id])
        if limit is not None and gs - held and len(gs | held) > limit:
            return False
    return True


def _buyers_kept(
    instance: MatchingInstance,
    buyers: dict[tuple[str, str], set[str]],
    old_buyers: dict[tuple[str, str], set[str]],
) -> bool:
    """No group takes a new buyer in a week beyond its buyer limit."""
    for (group_id, week), bs in buyers.items():
        limit = instance.parameters.buyers_limit(instance.groups[group_id])
        if limit is not None and bs - old_buyers.get((group_id, week), set()) and len(bs) > limit:
            return False
    return True
