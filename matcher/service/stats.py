"""The market's figures for coordinators: fill rate, unmet demand, distribution, map, planning.

:func:`read_facts` reads what the figures need in one unit of work; every other function here is
pure over the resulting :class:`MarketFacts`, so the dashboard, the planning report and the
Prometheus metrics all count the same way.

*Contracted* quantity is under contracts the group has accepted (accepted, in delivery,
completed); *proposed* quantity is under proposals not answered yet. Fill rates count contracted
quantity only; both hold quantity away from the open book.

Unmet demand is what the last round of each market left unfilled (with the round's reason) and
is still open: the order is open, the delivery is today or later and its quantity is not under
contract since. Open demand that no round has looked at yet is *pending*, not unmet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from matcher.domain.contracts import (
    Contract,
    ContractState,
    DeliveryState,
    MatchingRound,
    UnfilledLine,
)
from matcher.domain.model import Buyer, Crop, FarmerGroup, ForwardOrder, SupplyAnnouncement
from matcher.domain.weeks import iso_week
from matcher.optimiser.fairness import gini
from matcher.reference import District
from matcher.service.context import ServiceContext
from matcher.service.ports import ContractFilter, UnitOfWork

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What the figures are computed from, read at one moment."""

    today: date
    crops: Mapping[str, Crop]
    districts: Mapping[str, District]
    groups: Mapping[str, FarmerGroup]
    buyers: Mapping[str, Buyer]
    orders: Sequence[ForwardOrder]
    """Open orders."""
    supply: Sequence[SupplyAnnouncement]
    """Open supply announcements."""
    bound_demand: Mapping[tuple[str, date], int]
    bound_supply: Mapping[tuple[str, str], int]
    live: Sequence[Contract]
    """Contracts not released (proposed, accepted, in delivery, completed)."""
    contracts_by_state: Mapping[str, int]
    unfilled: Sequence[UnfilledLine]
    """The unfilled lines of the last round of each market."""
    last_round: MatchingRound | None = None
    generated_at: datetime | None = None
    proposed_demand: Mapping[tuple[str, date], int] = field(default_factory=dict)
    """Of ``bound_demand``, the quantity under proposals not answered yet."""
    proposed_supply: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """Of ``bound_supply``, the quantity under proposals not answered yet."""
    orders_by_id: dict[str, ForwardOrder] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.orders_by_id.update({o.id: o for o in self.orders})


def read_facts(uow: UnitOfWork, ctx: ServiceContext) -> MarketFacts:
    """Everything the figures need, read in ``uow`` (a read-only unit of work will do)."""
    from matcher.domain.contracts import BookState
    from matcher.service.rounds import live_contracts

    now = ctx.clock.now()
    live = live_contracts(uow)
    counts = {s.value: uow.contracts.count(ContractFilter(state=s)) for s in ContractState}
    latest = uow.rounds.list(limit=1, unfilled=False)
    return MarketFacts(
        today=now.date(),
        crops=ctx.crops,
        districts=ctx.districts,
        groups={g.id: g for g in uow.groups.list()},
        buyers={b.id: b for b in uow.buyers.list()},
        orders=[r.order for r in uow.orders.list(state=BookState.OPEN)],
        supply=[r.supply for r in uow.supply.list(state=BookState.OPEN)],
        bound_demand=uow.contracts.bound_demand(),
        bound_supply=uow.contracts.bound_supply(),
        live=live,
        contracts_by_state=counts,
        unfilled=uow.rounds.latest_unfilled(sorted(ctx.crops)),
        last_round=latest[0] if latest else None,
        generated_at=now,
        proposed_demand=uow.contracts.proposed_demand(),
        proposed_supply=uow.contracts.proposed_supply(),
    )


# --- small helpers ---------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _crop_names(f: MarketFacts, crop_id: str) -> Json:
    crop = f.crops.get(crop_id)
    if crop is None:
        return {"name_th": crop_id, "name_en": crop_id, "unit": "kg"}
    return {"name_th": crop.name_th, "name_en": crop.name_en, "unit": crop.unit.value}


def _district_names(f: MarketFacts, code: str) -> Json:
    d = f.districts.get(code)
    if d is None:
        return {"name_th": code or "-", "name_en": code or "-"}
    return {"name_th": d.name_th, "name_en": d.name_en}


def split_demand(f: MarketFacts, order_id: str, day: date, quantity: int) -> tuple[int, int]:
    """(contracted, proposed) quantity of one delivery of ``quantity``: contracted is under
    accepted (or later) contracts, proposed under proposals not answered yet."""
    key = (order_id, day)
    return _split(quantity, f.bound_demand.get(key, 0), f.proposed_demand.get(key, 0))


def split_supply(f: MarketFacts, supply_id: str, week: str, quantity: int) -> tuple[int, int]:
    """(contracted, proposed) quantity of one supply week, as :func:`split_demand`."""
    key = (supply_id, week)
    return _split(quantity, f.bound_supply.get(key, 0), f.proposed_supply.get(key, 0))


def _split(quantity: int, bound: int, proposed: int) -> tuple[int, int]:
    contracted = min(quantity, max(0, bound - proposed))
    return contracted, min(proposed, quantity - contracted)


def _held(contract: Contract) -> Iterable[Any]:
    """The deliveries a live contract still holds (released ones are gone)."""
    return (d for d in contract.deliveries if d.state is not DeliveryState.RELEASED)


# --- fill rate --------------------------------------------------------------------------------


def fill(f: MarketFacts) -> Json:
    """Ordered, contracted (accepted or later) and proposed quantity of open orders, per crop and
    ISO week of delivery; the fill rate is the contracted share of the ordered quantity."""
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for o in f.orders:
        for d in o.deliveries:
            cell = cells[o.crop_id][iso_week(d)]
            contracted, proposed = split_demand(f, o.id, d, o.quantity)
            cell[0] += o.quantity
            cell[1] += contracted
            cell[2] += proposed
    weeks = sorted({w for by_week in cells.values() for w in by_week})
    crops: list[Json] = []
    for crop_id, by_week in cells.items():
        ordered = sum(c[0] for c in by_week.values())
        contracted = sum(c[1] for c in by_week.values())
        crops.append(
            {"crop_id": crop_id}
            | _crop_names(f, crop_id)
            | {
                "ordered": ordered,
                "contracted": contracted,
                "proposed": sum(c[2] for c in by_week.values()),
                "fill_rate": ratio(contracted, ordered),
                "weeks": {
                    w: {
                        "ordered": c[0],
                        "contracted": c[1],
                        "proposed": c[2],
                        "fill_rate": ratio(c[1], c[0]),
                    }
                    for w, c in sorted(by_week.items())
                },
            }
        )
    crops.sort(key=lambda c: (-c["ordered"], c["crop_id"]))
    ordered = sum(c["ordered"] for c in crops)
    contracted = sum(c["contracted"] for c in crops)
    return {
        "weeks": weeks,
        "ordered": ordered,
        "contracted": contracted,
        "proposed": sum(c["proposed"] for c in crops),
        "fill_rate": ratio(contracted, ordered),
        "crops": crops,
    }


def open_demand(f: MarketFacts) -> dict[str, int]:
    """Quantity of open orders' deliveries from today on not under contract, per crop."""
    out: dict[str, int] = defaultdict(int)
    for o in f.orders:
        for d in o.deliveries:
            if d >= f.today:
                out[o.crop_id] += max(0, o.quantity - f.bound_demand.get((o.id, d), 0))
    return dict(out)


def supply_by_crop(f: MarketFacts) -> dict[str, tuple[int, int, int]]:
    """(announced, contracted, proposed) quantity of open supply, per crop: contracted under
    accepted (or later) contracts, proposed under proposals not answered yet."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in f.supply:
        for w, q in s.quantities.items():
            contracted, proposed = split_supply(f, s.id, w, q)
            out[s.crop_id][0] += q
            out[s.crop_id][1] += contracted
            out[s.crop_id][2] += proposed
    return {c: (a, b, p) for c, (a, b, p) in out.items()}


def km_per_unit(f: MarketFacts) -> dict[str, float]:
    """Distance from group to kitchen weighted by quantity, over live deliveries, per crop."""
    units: dict[str, int] = defaultdict(int)
    unit_km: dict[str, float] = defaultdict(float)
    for c in f.live:
        for d in _held(c):
            units[c.crop_id] += d.quantity
            unit_km[c.crop_id] += d.quantity * d.distance_km
    return {crop: round(unit_km[crop] / q, 3) for crop, q in units.items() if q}


# --- unmet demand -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnmetLine:
    """A still-open unfilled quantity of one delivery, with the round's reason."""

    order_id: str
    buyer_id: str
    crop_id: str
    district: str
    day: date
    week: str
    quantity: int
    reason: str
    detail: str


def unmet_lines(f: MarketFacts) -> list[UnmetLine]:
    """The last rounds' unfilled quantities that are still open, oldest delivery first."""
    left: dict[tuple[str, date], int] = {}
    out: list[UnmetLine] = []
    for u in sorted(f.unfilled, key=lambda u: (u.day, u.crop_id, u.order_id, u.reason)):
        order = f.orders_by_id.get(u.order_id)
        if order is None or u.day < f.today:
            continue
        key = (u.order_id, u.day)
        if key not in left:
            left[key] = max(0, order.quantity - f.bound_demand.get(key, 0))
        quantity = min(u.quantity, left[key])
        if quantity <= 0:
            continue
        left[key] -= quantity
        buyer = f.buyers.get(u.buyer_id)
        out.append(
            UnmetLine(
                u.order_id,
                u.buyer_id,
                u.crop_id,
                buyer.district if buyer is not None else "",
                u.day,
                u.week,
                quantity,
                u.reason,
                u.detail,
            )
        )
    return out


def unmet(f: MarketFacts, lines: Sequence[UnmetLine] | None = None) -> Json:
    """Unmet demand by reason, crop and district; ``pending``: open demand no round has seen."""
    lines = unmet_lines(f) if lines is None else lines
    by_reason: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_crop: dict[str, int] = defaultdict(int)
    by_district: dict[str, int] = defaultdict(int)
    for line in lines:
        by_reason[line.reason][0] += line.quantity
        by_reason[line.reason][1] += 1
        by_crop[line.crop_id] += line.quantity
        by_district[line.district] += line.quantity
    total = sum(line.quantity for line in lines)
    return {
        "total": total,
        "pending": max(0, sum(open_demand(f).values()) - total),
        "by_reason": [
            {"reason": r, "quantity": q, "lines": n}
            for r, (q, n) in sorted(by_reason.items(), key=lambda kv: (-kv[1][0], kv[0]))
        ],
        "by_crop": [
            {"crop_id": c} | _crop_names(f, c) | {"quantity": q}
            for c, q in sorted(by_crop.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "by_district": [
            {"district": d} | _district_names(f, d) | {"quantity": q}
            for d, q in sorted(by_district.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def unmet_by_reason_crop_district(lines: Sequence[UnmetLine]) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for line in lines:
        out[(line.reason, line.crop_id, line.district)] += line.quantity
    return dict(out)


# --- groups: volume, income, utilisation ------------------------------------------------------


def group_figures(f: MarketFacts) -> list[Json]:
    """Announced and contracted quantity, income and utilisation per group, largest first.

    Groups with open supply or a live contract are listed. Contracted quantity, income (the
    value of the deliveries still held, THB) and utilisation count accepted (or later)
    contracts; ``proposed`` is the quantity of proposals the group has not answered yet.
    """
    announced: dict[str, int] = defaultdict(int)
    used: dict[str, int] = defaultdict(int)
    for s in f.supply:
        for w, q in s.quantities.items():
            announced[s.group_id] += q
            used[s.group_id] += split_supply(f, s.id, w, q)[0]
    contracted: dict[str, int] = defaultdict(int)
    proposed: dict[str, int] = defaultdict(int)
    income: dict[str, int] = defaultdict(int)
    contracts: dict[str, int] = defaultdict(int)
    for c in f.live:
        held = sum(d.quantity for d in _held(c))
        contracts[c.group_id] += 1
        if c.state is ContractState.PROPOSED:
            proposed[c.group_id] += held
            continue
        contracted[c.group_id] += held
        income[c.group_id] += held * c.unit_price
    out: list[Json] = []
    for group_id in sorted(set(announced) | set(contracted)):
        group = f.groups.get(group_id)
        district = group.district if group is not None else ""
        names = _district_names(f, district)
        out.append(
            {
                "group_id": group_id,
                "name_th": group.name_th if group is not None else group_id,
                "name_en": group.name_en if group is not None else group_id,
                "district": district,
                "district_name_th": names["name_th"],
                "district_name_en": names["name_en"],
                "announced": announced[group_id],
                "contracted": contracted[group_id],
                "proposed": proposed[group_id],
                "income_thb": income[group_id] / 100,
                "utilisation": ratio(used[group_id], announced[group_id]),
                "contracts": contracts[group_id],
            }
        )
    out.sort(key=lambda g: (-g["contracted"], -g["announced"], g["group_id"]))
    return out


def ginis(groups: Sequence[Json]) -> dict[str, float]:
    """Gini of volume, income and utilisation across the groups with open supply."""
    supplying = [g for g in groups if g["announced"] > 0]
    return {
        "volume": round(gini([g["contracted"] for g in supplying]), 4),
        "income": round(gini([g["income_thb"] for g in supplying]), 4),
        "utilisation": round(gini([g["utilisation"] for g in supplying]), 4),
    }


def distribution(f: MarketFacts) -> Json:
    groups = group_figures(f)
    return {"gini": ginis(groups), "groups": groups}


# --- the map ----------------------------------------------------------------------------------


def map_view(f: MarketFacts) -> Json:
    """Groups and buyers with their positions, and one line per (group, buyer) under contract or
    proposal: ``quantity`` under accepted (or later) contracts, ``proposed`` under proposals."""
    figures = {g["group_id"]: g for g in group_figures(f)}
    ordered: dict[str, int] = defaultdict(int)
    for o in f.orders:
        ordered[o.buyer_id] += o.quantity * len(o.deliveries)
    links: dict[tuple[str, str], Json] = {}
    received: dict[str, int] = defaultdict(int)
    awaiting: dict[str, int] = defaultdict(int)
    for c in f.live:
        held = sum(d.quantity for d in _held(c))
        if held <= 0:
            continue
        link = links.setdefault(
            (c.group_id, c.buyer_id),
            {
                "group_id": c.group_id,
                "buyer_id": c.buyer_id,
                "quantity": 0,
                "proposed": 0,
                "contracts": 0,
            },
        )
        link["contracts"] += 1
        link.setdefault("crops", set()).add(c.crop_id)
        if c.state is ContractState.PROPOSED:
            link["proposed"] += held
            awaiting[c.buyer_id] += held
        else:
            link["quantity"] += held
            received[c.buyer_id] += held
    groups = [
        {
            "id": g.id,
            "name_th": g.name_th,
            "name_en": g.name_en,
            "lat": g.location.lat,
            "lon": g.location.lon,
            "district": g.district,
            "announced": figures.get(g.id, {}).get("announced", 0),
            "contracted": figures.get(g.id, {}).get("contracted", 0),
        }
        for g in sorted(f.groups.values(), key=lambda g: g.id)
    ]
    buyers = [
        {
            "id": b.id,
            "name_th": b.name_th,
            "name_en": b.name_en,
            "kind": b.kind.value,
            "lat": b.location.lat,
            "lon": b.location.lon,
            "district": b.district,
            "ordered": ordered[b.id],
            "contracted": received[b.id],
            "proposed": awaiting[b.id],
        }
        for b in sorted(f.buyers.values(), key=lambda b: b.id)
    ]
    points = [(p["lat"], p["lon"]) for p in groups + buyers]
    bounds = (
        {
            "south": min(p[0] for p in points),
            "west": min(p[1] for p in points),
            "north": max(p[0] for p in points),
            "east": max(p[1] for p in points),
        }
        if points
        else None
    )
    return {
        "groups": groups,
        "buyers": buyers,
        "links": [
            link | {"crops": sorted(link["crops"])}
            for _, link in sorted(links.items(), key=lambda kv: kv[0])
        ],
        "bounds": bounds,
    }
