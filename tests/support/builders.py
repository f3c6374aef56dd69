"""Builders of matching-instance dicts in the ``foodmatch-instance/1`` format.

The instances carry their own tiny crop list and standards relation, so tests do not depend on
the reference data in ``data/``.
"""

from __future__ import annotations

import copy
import random
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from matcher.domain.model import Location
from matcher.domain.weeks import iso_week
from matcher.geo import great_circle_km
from matcher.optimiser.instance import COST_UNITS_PER_SATANG, MatchingInstance
from matcher.optimiser.reasons import ReasonCode
from matcher.optimiser.schema import parse_instance
from matcher.optimiser.solution import Allocation, Solution, SolveStatus, Summary, Unfilled
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import ValidationReport, validate

# Places in Songkhla province.
HAT_YAI = (7.0167, 100.4681)
SONGKHLA_CITY = (7.1422, 100.5664)

# ISO week 2026-W50 runs from Monday 7 to Sunday 13 December 2026.
WEEK = "2026-W50"
MONDAY = date(2026, 12, 7)
DELIVERY = date(2026, 12, 9)  # the Wednesday of WEEK

STANDARDS: dict[str, Any] = {
    "schemes": {
        "NONE": {"satisfies": ["ANY"], "needs_certificate": False},
        "THAI_GAP": {"satisfies": ["ANY", "SAFE"]},
        "ORGANIC_CONVERSION": {"satisfies": ["ANY", "SAFE"]},
        "PGS": {"satisfies": ["ANY", "SAFE", "ORGANIC"]},
        "ORGANIC_THAILAND": {"satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED"]},
        "ACT_IFOAM": {
            "satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED"],
            "satisfies_with_scope": {"EU": "EU", "COR": "COR"},
        },
        "EU_ORGANIC": {"satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED", "EU"]},
        "USDA_NOP": {"satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED", "USDA"]},
        "COR": {"satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED", "COR"]},
        "GMP": {"satisfies": ["ANY", "SAFE"], "food_safety": True},
    }
}

CROPS: list[dict[str, Any]] = [
    {"id": "kale", "name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg", "group": "leafy"},
    {
        "id": "morning_glory",
        "name_th": "ผักบุ้ง",
        "name_en": "Morning glory",
        "unit": "kg",
        "group": "leafy",
    },
    {
        "id": "rice",
        "name_th": "ข้าวสาร",
        "name_en": "Milled rice",
        "unit": "kg",
        "group": "staple",
        "processed": True,
    },
    {"id": "eggs", "name_th": "ไข่ไก่", "name_en": "Hen eggs", "unit": "piece", "group": "eggs"},
]


def week_day(week: str, weekday: int = 2) -> date:
    """A day of an ISO week (0 = Monday)."""
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1) + timedelta(days=weekday)


def week_after(week: str, n: int = 1) -> str:
    """The ISO week ``n`` weeks after ``week``."""
    year, week_no, _ = (week_day(week, 0) + timedelta(weeks=n)).isocalendar()
    return f"{year:04d}-W{week_no:02d}"


def road_km(a: tuple[float, float], b: tuple[float, float], road_factor: float = 1.3) -> float:
    """The distance the matcher uses for a pair without a road-table entry."""
    return round(great_circle_km(Location(*a), Location(*b)) * road_factor, 2)


PLAIN: dict[str, Any] = {"fairness": "off", "continuity_weight": 0}
"""Parameters without the fairness and continuity policies: delivered cost alone decides."""


class InstanceBuilder:
    """A fluent builder of instance dicts: ``InstanceBuilder().group(...).buyer(...).build()``."""

    def __init__(self, name: str = "test") -> None:
        self.doc: dict[str, Any] = {
            "format": "foodmatch-instance/1",
            "name": name,
            "parameters": {},
            "crops": copy.deepcopy(CROPS),
            "standards": copy.deepcopy(STANDARDS),
            "groups": [],
            "certificates": [],
            "buyers": [],
            "supply": [],
            "orders": [],
            "road_distances": [],
        }

    def parameters(self, **values: Any) -> InstanceBuilder:
        self.doc["parameters"].update(values)
        return self

    def crop(self, crop_id: str, *, unit: str = "kg", **extra: Any) -> InstanceBuilder:
        self.doc["crops"].append(
            {"id": crop_id, "name_th": crop_id, "name_en": crop_id, "unit": unit, **extra}
        )
        return self

    def group(
        self,
        group_id: str,
        at: tuple[float, float] = HAT_YAI,
        *,
        members: int = 15,
        **extra: Any,
    ) -> InstanceBuilder:
        self.doc["groups"].append(
            {
                "id": group_id,
                "name_th": f"กลุ่ม {group_id}",
                "name_en": f"Group {group_id}",
                "lat": at[0],
                "lon": at[1],
                "members": members,
                **extra,
            }
        )
        return self

    def certificate(
        self,
        group_id: str,
        scheme: str,
        *,
        valid_from: date = date(2026, 1, 1),
        valid_until: date = date(2027, 12, 31),
        cert_id: str | None = None,
        **extra: Any,
    ) -> InstanceBuilder:
        certs = self.doc["certificates"]
        certs.append(
            {
                "id": cert_id or f"c{len(certs) + 1}",
                "group_id": group_id,
                "scheme": scheme,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
                **_dates(extra),
            }
        )
        return self

    def buyer(
        self,
        buyer_id: str,
        kind: str = "hospital",
        at: tuple[float, float] = SONGKHLA_CITY,
        **extra: Any,
    ) -> InstanceBuilder:
        self.doc["buyers"].append(
            {
                "id": buyer_id,
                "name_th": f"ครัว {buyer_id}",
                "name_en": f"Kitchen {buyer_id}",
                "kind": kind,
                "lat": at[0],
                "lon": at[1],
                **extra,
            }
        )
        return self

    def supply(
        self,
        supply_id: str,
        group_id: str,
        *,
        crop: str = "kale",
        scheme: str = "THAI_GAP",
        weeks: dict[str, int] | None = None,
        ask: str | float | int | None = "30.00",
    ) -> InstanceBuilder:
        self.doc["supply"].append(
            {
                "id": supply_id,
                "group_id": group_id,
                "crop_id": crop,
                "scheme": scheme,
                "weeks": weeks if weeks is not None else {WEEK: 100},
                "asking_price": ask,
            }
        )
        return self

    def order(
        self,
        order_id: str,
        buyer_id: str,
        *,
        crop: str = "kale",
        quantity: int = 50,
        deliveries: list[date] | None = None,
        schedule: dict[str, Any] | None = None,
        min_tier: str = "SAFE",
        max_price: str | float | int | None = None,
        max_distance_km: float | None = None,
    ) -> InstanceBuilder:
        order: dict[str, Any] = {
            "id": order_id,
            "buyer_id": buyer_id,
            "crop_id": crop,
            "quantity": quantity,
            "min_tier": min_tier,
            "max_price": max_price,
            "max_distance_km": max_distance_km,
        }
        if schedule is not None:
            order["schedule"] = _dates(schedule)
        else:
            order["deliveries"] = [d.isoformat() for d in (deliveries or [DELIVERY])]
        self.doc["orders"].append(order)
        return self

    def road(self, group_id: str, buyer_id: str, km: float) -> InstanceBuilder:
        self.doc["road_distances"].append({"group_id": group_id, "buyer_id": buyer_id, "km": km})
        return self

    def build(self) -> dict[str, Any]:
        """The instance as a JSON-ready dict (a copy)."""
        return copy.deepcopy(self.doc)

    def instance(self) -> MatchingInstance:
        return parse_instance(self.build())


def _dates(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def solve_and_validate(
    instance: MatchingInstance, solver: str = "flow"
) -> tuple[Solution, ValidationReport]:
    """Solve ``instance`` and check the solution with the independent validator."""
    solution = solve(instance, solver=solver)
    assert solution.status.value != "error", solution.message
    report = validate(instance, solution)
    assert report.ok, report.violations
    return solution, report


def filled_by_order(solution: Solution) -> dict[str, int]:
    out: dict[str, int] = {}
    for a in solution.allocations:
        out[a.order_id] = out.get(a.order_id, 0) + a.quantity
    return out


def allocation_for(
    instance: MatchingInstance, supply_id: str, order_id: str, day: date, quantity: int
) -> Allocation:
    """An allocation with price, distance and cost computed from the instance's own values."""
    supply = next(s for s in instance.supply if s.id == supply_id)
    order = next(o for o in instance.orders if o.id == order_id)
    crop = instance.crops[order.crop_id]
    if supply.asking_price is not None:
        price = supply.asking_price
    elif crop.reference_price is not None:
        price = crop.reference_price
    else:
        price = order.max_price if order.max_price is not None else 0
    group, buyer = instance.groups[supply.group_id], instance.buyers[order.buyer_id]
    km = instance.road_distances.get((group.id, buyer.id))
    if km is None:
        km = great_circle_km(group.location, buyer.location) * instance.parameters.road_factor
    km = round(km, 2)
    rate = instance.parameters.transport_cost_per_unit_km.get(crop.unit, 0.0)
    cost = price * COST_UNITS_PER_SATANG + round(rate * km * 100 * COST_UNITS_PER_SATANG)
    return Allocation(
        supply_id=supply.id,
        group_id=group.id,
        order_id=order.id,
        buyer_id=buyer.id,
        crop_id=order.crop_id,
        day=day,
        week=iso_week(day),
        quantity=quantity,
        unit_price=price,
        distance_km=km,
        unit_cost=cost,
    )


def solution_of(instance: MatchingInstance, allocations: list[Allocation]) -> Solution:
    """A complete solution made of ``allocations``: unfilled rest and summary filled in."""
    got: dict[tuple[str, date], int] = {}
    for a in allocations:
        got[(a.order_id, a.day)] = got.get((a.order_id, a.day), 0) + a.quantity
    unfilled = []
    weights = {
        o.id: instance.parameters.weight(instance.buyers[o.buyer_id].kind) for o in instance.orders
    }
    demand = weighted_demand = 0
    for order in instance.orders:
        for day in order.deliveries:
            demand += order.quantity
            weighted_demand += order.quantity * weights[order.id]
            missing = order.quantity - got.get((order.id, day), 0)
            if missing > 0:
                unfilled.append(
                    Unfilled(
                        order_id=order.id,
                        buyer_id=order.buyer_id,
                        crop_id=order.crop_id,
                        day=day,
                        week=iso_week(day),
                        quantity=missing,
                        reason=ReasonCode.NO_SUPPLY,
                        detail="",
                    )
                )
    summary = Summary(
        demand=demand,
        filled=sum(a.quantity for a in allocations),
        weighted_demand=weighted_demand,
        weighted_filled=sum(a.quantity * weights[a.order_id] for a in allocations),
        goods_cost=sum(a.price_total for a in allocations),
        delivered_cost=sum(a.cost_total for a in allocations),
        unit_km=sum(a.unit_km for a in allocations),
        orders=len(instance.orders),
        order_weeks=demand,
        supply_weeks=sum(len(s.quantities) for s in instance.supply),
        eligible_pairs=0,
    )
    return Solution(
        status=SolveStatus.FEASIBLE,
        solver="test",
        allocations=tuple(allocations),
        unfilled=tuple(unfilled),
        summary=summary,
    )


def validator_allows(instance: MatchingInstance, supply_id: str, order_id: str, day: date) -> bool:
    """Whether the validator accepts one unit of ``supply_id`` for ``order_id`` on ``day``."""
    allocation = allocation_for(instance, supply_id, order_id, day, 1)
    return validate(instance, solution_of(instance, [allocation])).ok


# Random markets ---------------------------------------------------------------------------

CERTIFIED_SCHEMES = (
    "THAI_GAP",
    "ORGANIC_CONVERSION",
    "PGS",
    "ORGANIC_THAILAND",
    "ACT_IFOAM",
    "EU_ORGANIC",
    "GMP",
)
TIERS = ("ANY", "SAFE", "SAFE", "SAFE", "ORGANIC", "ORGANIC", "ORGANIC_CERTIFIED", "EU")
BUYER_KINDS = ("hospital", "school", "prison", "factory", "hotel", "restaurant", "other")
RANDOM_CROPS = ("kale", "rice", "pumpkin")
ALL_CROPS = ("kale", "morning_glory", "rice", "eggs", "pumpkin")


def random_market(
    rng: random.Random,
    *,
    groups: int = 4,
    buyers: int = 3,
    orders: int = 4,
    weeks: int = 2,
    crops: tuple[str, ...] = RANDOM_CROPS,
    max_quantity: int = 100,
    max_deliveries: int = 3,
    supply_per_group: int = 2,
) -> InstanceBuilder:
    """A random market near Songkhla: certificates with random schemes, dates and scopes;
    supply and orders over ``weeks`` ISO weeks; random priorities, prices and radii."""
    season = [week_after(WEEK, n) for n in range(weeks)]
    first, last = week_day(season[0], 0), week_day(season[-1], 6)
    b = InstanceBuilder(f"random-{rng.random():.6f}")
    b.crop("pumpkin", group="fruit_veg", reference_price=f"{rng.randint(15, 35)}.00")
    if rng.random() < 0.3:
        b.parameters(default_max_distance_km=rng.choice([15.0, 30.0, 60.0]))
    if rng.random() < 0.2:
        b.parameters(road_factor=rng.choice([1.0, 1.2, 1.5]))
    for g in range(groups):
        gid = f"g{g}"
        b.group(gid, _near_songkhla(rng))
        held = [
            _random_certificate(b, rng, gid, first, weeks, crops)
            for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 3]))
        ]
        for k in range(rng.randint(1, supply_per_group)):
            _random_supply(b, rng, f"s{g}-{k}", gid, held, season, crops, max_quantity)
    for i in range(buyers):
        b.buyer(f"b{i}", rng.choice(BUYER_KINDS), _near_songkhla(rng))
    for i in range(orders):
        _random_order(b, rng, f"o{i}", (first, last), buyers, crops, max_quantity, max_deliveries)
    for g in range(groups):
        for i in range(buyers):
            if rng.random() < 0.1:
                b.road(f"g{g}", f"b{i}", round(rng.uniform(3.0, 90.0), 2))
    return b


def _near_songkhla(rng: random.Random) -> tuple[float, float]:
    return (
        round(SONGKHLA_CITY[0] + rng.uniform(-0.4, 0.4), 4),
        round(SONGKHLA_CITY[1] + rng.uniform(-0.4, 0.4), 4),
    )


def _random_certificate(
    b: InstanceBuilder,
    rng: random.Random,
    gid: str,
    first: date,
    weeks: int,
    crops: tuple[str, ...],
) -> str:
    """A certificate of group ``gid`` with a random scheme, validity and scope; its scheme."""
    scheme = rng.choice(CERTIFIED_SCHEMES)
    valid_from = first + timedelta(days=rng.choice([-400, -100, -10, 0, 3, 10]))
    valid_until = valid_from + timedelta(days=rng.choice([0, 5, 20, 365, 730, 1000]))
    extra: dict[str, Any] = {}
    scope = rng.random()
    if scope < 0.1:
        extra["crops"] = rng.sample(list(crops), k=1)
    elif scope < 0.2:
        extra["crop_groups"] = [rng.choice(["leafy", "staple", "eggs", "fruit_veg"])]
    if rng.random() < 0.3:
        extra["scopes"] = [rng.choice(["EU", "COR"])]
    if rng.random() < 0.05:
        extra["revoked_on"] = first + timedelta(days=rng.randint(0, 7 * weeks))
    b.certificate(gid, scheme, valid_from=valid_from, valid_until=valid_until, **extra)
    return scheme


def _random_supply(
    b: InstanceBuilder,
    rng: random.Random,
    supply_id: str,
    gid: str,
    held: list[str],
    season: list[str],
    crops: tuple[str, ...],
    max_quantity: int,
) -> None:
    """A supply line of group ``gid``: mostly under a scheme it holds, sometimes under none or
    one it does not hold; in random weeks of the season."""
    offered = [s for s in held if s != "GMP"]
    pick = rng.random()
    if offered and pick < 0.85:
        scheme = rng.choice(offered)
    elif pick < 0.95:
        scheme = "NONE"
    else:
        scheme = rng.choice(CERTIFIED_SCHEMES[:-1])
    chosen = [w for w in season if rng.random() < 0.7] or [rng.choice(season)]
    ask = None if rng.random() < 0.15 else f"{rng.randint(15, 45)}.{rng.randint(0, 99):02d}"
    b.supply(
        supply_id,
        gid,
        crop=rng.choice(crops),
        scheme=scheme,
        weeks={w: rng.randint(1, max_quantity) for w in chosen},
        ask=ask,
    )


def _random_order(
    b: InstanceBuilder,
    rng: random.Random,
    order_id: str,
    span: tuple[date, date],
    buyers: int,
    crops: tuple[str, ...],
    max_quantity: int,
    max_deliveries: int,
) -> None:
    """An order of a random buyer for up to ``max_deliveries`` days in ``span`` (first, last)."""
    first, last = span
    drawn = sorted({first + timedelta(days=rng.randint(0, (last - first).days)) for _ in range(3)})
    days = drawn[: rng.randint(1, max_deliveries)]
    b.order(
        order_id,
        f"b{rng.randrange(buyers)}",
        crop=rng.choice(crops),
        quantity=rng.randint(1, max_quantity),
        deliveries=days,
        min_tier=rng.choice(TIERS),
        max_price=None if rng.random() < 0.5 else f"{rng.randint(20, 45)}.00",
        max_distance_km=None if rng.random() < 0.5 else float(rng.choice([10, 25, 40, 80])),
    )


# Integer rules ----------------------------------------------------------------------------


def with_committed(
    instance: MatchingInstance, committed: dict[tuple[str, date], set[str]]
) -> MatchingInstance:
    """``instance`` with groups already under contract per (order id, delivery date)."""
    return replace(instance, committed={k: frozenset(v) for k, v in committed.items()})


def without_rules(instance: MatchingInstance) -> MatchingInstance:
    """``instance`` without integer rules and contracts: the pairs it allows are the same, and
    the validator accepts a single unit of any of them (a lot or a limit may refuse it)."""
    return replace(
        instance,
        parameters=replace(
            instance.parameters, max_suppliers=None, min_lot=None, max_buyers_per_week=None
        ),
        orders=tuple(replace(o, max_suppliers=None) for o in instance.orders),
        groups={
            k: replace(g, min_lot=None, max_buyers_per_week=None)
            for k, g in instance.groups.items()
        },
        committed={},
    )


def random_rules(
    b: InstanceBuilder, rng: random.Random, *, max_quantity: int = 100, share: float = 0.35
) -> InstanceBuilder:
    """Random integer rules on the built market: defaults in the parameters, and a ``share`` of
    the orders and groups with a supplier limit, a minimum lot or a buyer limit of their own
    (lots from 1 to ``max_quantity``, limits mostly 1 or 2)."""
    top = max(1, max_quantity)
    if rng.random() < share:
        b.parameters(max_suppliers=rng.choice([1, 1, 2, 3]))
    if rng.random() < share:
        b.parameters(min_lot=rng.randint(1, top))
    if rng.random() < share:
        b.parameters(max_buyers_per_week=rng.choice([1, 1, 2]))
    for order in b.doc["orders"]:
        if rng.random() < share:
            order["max_suppliers"] = rng.choice([1, 1, 2, 3])
    for group in b.doc["groups"]:
        if rng.random() < share:
            group["min_lot"] = rng.randint(1, top)
        if rng.random() < share:
            group["max_buyers_per_week"] = rng.choice([1, 1, 2])
    return b


def random_committed(
    instance: MatchingInstance, rng: random.Random, share: float = 0.3
) -> MatchingInstance:
    """``instance`` with one or two random groups under contract for a ``share`` of its
    deliveries (as if an earlier round had matched them)."""
    groups = sorted(instance.groups)
    committed: dict[tuple[str, date], set[str]] = {}
    for order in instance.orders:
        for day in order.deliveries:
            if groups and rng.random() < share:
                k = rng.randint(1, min(len(groups), 2))
                committed[(order.id, day)] = set(rng.sample(groups, k=k))
    return with_committed(instance, committed)
