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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from matcher.domain.contracts import Contract, MatchingRound, UnfilledLine
from matcher.domain.model import Buyer, Crop, FarmerGroup, ForwardOrder, SupplyAnnouncement
from matcher.domain.weeks import iso_week
from matcher.optimiser.fairness import gini
from matcher.reference import District
from matcher.service import aggregates
from matcher.service.aggregates import DemandDay, HeldCell, SupplyCell, UnmetCell
from matcher.service.context import ServiceContext
from matcher.service.ports import UnitOfWork

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What the figures are computed from, read at one moment: the participants, and the
    market in aggregate (:mod:`matcher.service.aggregates`)."""

    today: date
    crops: Mapping[str, Crop]
    districts: Mapping[str, District]
    groups: Mapping[str, FarmerGroup]
    buyers: Mapping[str, Buyer]
    demand: Sequence[DemandDay]
    """Open orders' deliveries per crop and day."""
    ordered_by_buyer: Mapping[str, int]
    """Quantity of open orders (every delivery) per buyer."""
    supply: Sequence[SupplyCell]
    """Open supply per group and crop."""
    held: Sequence[HeldCell]
    """Contracts not released per group, buyer, crop and answer."""
    contracts_by_state: Mapping[str, int]
    unmet: Sequence[UnmetCell]
    """What the last round of each market left unfilled and is still open."""
    open_demand_total: int
    """Quantity of open orders' deliveries from today on not under contract."""
    last_round: MatchingRound | None = None
    generated_at: datetime | None = None
    unmet_of: Callable[[str], Sequence[UnmetCell]] | None = None
    """``unmet`` of one buyer's orders (None: not known, no cell)."""

    def unmet_for(self, buyer_id: str | None) -> Sequence[UnmetCell]:
        if buyer_id is None:
            return self.unmet
        return self.unmet_of(buyer_id) if self.unmet_of is not None else ()


class Facts(Protocol):
    """What the figures read: :class:`MarketFacts`, or an object that reads each part when a
    figure first asks for it (the API's, which keeps each part per state of the market)."""

    @property
    def today(self) -> date: ...
    @property
    def crops(self) -> Mapping[str, Crop]: ...
    @property
    def districts(self) -> Mapping[str, District]: ...
    @property
    def groups(self) -> Mapping[str, FarmerGroup]: ...
    @property
    def buyers(self) -> Mapping[str, Buyer]: ...
    @property
    def demand(self) -> Sequence[DemandDay]: ...
    @property
    def ordered_by_buyer(self) -> Mapping[str, int]: ...
    @property
    def supply(self) -> Sequence[SupplyCell]: ...
    @property
    def held(self) -> Sequence[HeldCell]: ...
    @property
    def contracts_by_state(self) -> Mapping[str, int]: ...
    @property
    def unmet(self) -> Sequence[UnmetCell]: ...
    @property
    def open_demand_total(self) -> int: ...
    @property
    def last_round(self) -> MatchingRound | None: ...
    @property
    def generated_at(self) -> datetime | None: ...
    def unmet_for(self, buyer_id: str | None) -> Sequence[UnmetCell]:
        """``unmet``, or of one buyer's orders only."""
        ...


def _last_round(uow: UnitOfWork) -> MatchingRound | None:
    latest = uow.rounds.list(limit=1, unfilled=False)
    return latest[0] if latest else None


PARTS: dict[str, Callable[[UnitOfWork, ServiceContext, date], Any]] = {
    "groups": lambda uow, ctx, today: {g.id: g for g in uow.groups.list()},
    "buyers": lambda uow, ctx, today: {b.id: b for b in uow.buyers.list()},
    "demand": lambda uow, ctx, today: uow.figures.demand_days(),
    "ordered_by_buyer": lambda uow, ctx, today: uow.figures.ordered_by_buyer(),
    "supply": lambda uow, ctx, today: uow.figures.supply_cells(),
    "held": lambda uow, ctx, today: uow.figures.held_cells(),
    "contracts_by_state": lambda uow, ctx, today: uow.figures.contracts_by_state(),
    "unmet": lambda uow, ctx, today: uow.figures.unmet_cells(sorted(ctx.crops), today),
    "open_demand_total": lambda uow, ctx, today: uow.figures.open_demand(today),
    "last_round": lambda uow, ctx, today: _last_round(uow),
}
"""How each part of the facts read from the database is read (every one a few queries whose
answer the database adds up, so the time grows little with the number of contracts)."""


MarketState = tuple[int, int, date]


def market_state(uow: UnitOfWork, today: date) -> MarketState:
    """The state of the market ``uow`` sees: newest outbox id, outbox rows, today. Every change
    of the market is a handled command, and every handled command records its events in the
    outbox in the same transaction, so figures of the same state are the same."""
    newest = uow.outbox.history(limit=1)
    return (newest[0].id if newest else 0, uow.outbox.history_count(), today)


def read_facts(uow: UnitOfWork, ctx: ServiceContext) -> MarketFacts:
    """Every part of the facts, read in ``uow`` (a read-only unit of work will do)."""
    now = ctx.clock.now()
    today = now.date()
    parts = {name: read(uow, ctx, today) for name, read in PARTS.items()}
    return MarketFacts(
        today=today,
        crops=ctx.crops,
        districts=ctx.districts,
        generated_at=now,
        unmet_of=lambda buyer: uow.figures.unmet_cells(sorted(ctx.crops), today, buyer),
        **parts,
    )


def facts_of(
    *,
    today: date,
    crops: Mapping[str, Crop],
    districts: Mapping[str, District],
    groups: Mapping[str, FarmerGroup],
    buyers: Mapping[str, Buyer],
    orders: Collection[ForwardOrder],
    supply: Iterable[SupplyAnnouncement],
    contracts: Collection[Contract],
    unfilled: Iterable[UnfilledLine],
    last_round: MatchingRound | None = None,
    generated_at: datetime | None = None,
) -> MarketFacts:
    """The facts of a market given by its objects: open ``orders`` and ``supply``, every
    contract, the last rounds' unfilled lines (what :func:`read_facts` has the database add up)."""
    bound = aggregates.bound(contracts)
    demand = aggregates.demand_days(orders, bound)
    lines = list(unfilled)
    by_id = {o.id: o for o in orders}

    def unmet_of(buyer_id: str | None) -> list[UnmetCell]:
        return aggregates.unmet_cells(lines, by_id, bound, buyers, today, buyer_id)

    return MarketFacts(
        today=today,
        crops=crops,
        districts=districts,
        groups=groups,
        buyers=buyers,
        demand=demand,
        ordered_by_buyer=aggregates.ordered_by_buyer(orders),
        supply=aggregates.supply_cells(supply, bound),
        held=aggregates.held_cells(contracts),
        contracts_by_state=aggregates.contracts_by_state(contracts),
        unmet=unmet_of(None),
        open_demand_total=sum(d.open for d in demand if d.day >= today),
        last_round=last_round,
        generated_at=generated_at,
        unmet_of=unmet_of,
    )


# --- small helpers ---------------------------------------------------------------------------


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


def _crop_names(f: Facts, crop_id: str) -> Json:
    crop = f.crops.get(crop_id)
    if crop is None:
        return {"name_th": crop_id, "name_en": crop_id, "unit": "kg"}
    return {"name_th": crop.name_th, "name_en": crop.name_en, "unit": crop.unit.value}


def _district_names(f: Facts, code: str) -> Json:
    d = f.districts.get(code)
    if d is None:
        return {"name_th": code or "-", "name_en": code or "-"}
    return {"name_th": d.name_th, "name_en": d.name_en}


# --- fill rate --------------------------------------------------------------------------------


def fill(f: Facts) -> Json:
    """Ordered, contracted (accepted or later) and proposed quantity of open orders, per crop and
    ISO week of delivery; the fill rate is the contracted share of the ordered quantity."""
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for d in f.demand:
        cell = cells[d.crop_id][iso_week(d.day)]
        cell[0] += d.ordered
        cell[1] += d.contracted
        cell[2] += d.proposed
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


def open_demand(f: Facts) -> dict[str, int]:
    """Quantity of open orders' deliveries from today on not under contract, per crop."""
    out: dict[str, int] = defaultdict(int)
    for d in f.demand:
        if d.day >= f.today:
            out[d.crop_id] += d.open
    return dict(out)


def supply_by_crop(f: Facts) -> dict[str, tuple[int, int, int]]:
    """(announced, contracted, proposed) quantity of open supply, per crop: contracted under
    accepted (or later) contracts, proposed under proposals not answered yet."""
    return aggregates.by_crop(f.supply)


def km_per_unit(f: Facts) -> dict[str, float]:
    """Distance from group to kitchen weighted by quantity, over live deliveries, per crop."""
    units: dict[str, int] = defaultdict(int)
    unit_km: dict[str, float] = defaultdict(float)
    for c in f.held:
        units[c.crop_id] += c.quantity
        unit_km[c.crop_id] += c.unit_km
    return {crop: round(unit_km[crop] / q, 3) for crop, q in units.items() if q}


# --- unmet demand -----------------------------------------------------------------------------


def unmet(f: Facts) -> Json:
    """Unmet demand by reason, crop and district; ``pending``: open demand no round has seen."""
    by_reason: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_crop: dict[str, int] = defaultdict(int)
    by_district: dict[str, int] = defaultdict(int)
    for cell in f.unmet:
        by_reason[cell.reason][0] += cell.quantity
        by_reason[cell.reason][1] += cell.lines
        by_crop[cell.crop_id] += cell.quantity
        by_district[cell.district] += cell.quantity
    total = sum(cell.quantity for cell in f.unmet)
    return {
        "total": total,
        "pending": max(0, f.open_demand_total - total),
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


def unmet_by_reason_crop_district(f: Facts) -> dict[tuple[str, str, str], int]:
    out: dict[tuple[str, str, str], int] = defaultdict(int)
    for cell in f.unmet:
        out[(cell.reason, cell.crop_id, cell.district)] += cell.quantity
    return dict(out)


# --- groups: volume, income, utilisation ------------------------------------------------------


def group_figures(f: Facts) -> list[Json]:
    """Announced and contracted quantity, income and utilisation per group, largest first.

    Groups with open supply or a live contract are listed. Contracted quantity, income (the
    value of the deliveries still held, THB) and utilisation count accepted (or later)
    contracts; ``proposed`` is the quantity of proposals the group has not answered yet.
    """
    announced: dict[str, int] = defaultdict(int)
    used: dict[str, int] = defaultdict(int)
    for s in f.supply:
        announced[s.group_id] += s.announced
        used[s.group_id] += s.contracted
    contracted: dict[str, int] = defaultdict(int)
    proposed: dict[str, int] = defaultdict(int)
    income: dict[str, int] = defaultdict(int)
    contracts: dict[str, int] = defaultdict(int)
    for c in f.held:
        contracts[c.group_id] += c.contracts
        if c.proposal:
            proposed[c.group_id] += c.quantity
            continue
        contracted[c.group_id] += c.quantity
        income[c.group_id] += c.value
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
                "subdistrict_code": group.registry.subdistrict_code if group is not None else "",
                "subdistrict": group.registry.subdistrict if group is not None else "",
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


def supply_by_area(f: Facts) -> Json:
    """The groups' supply by district and by sub-district (ตำบล, as the records give it: code
    and name; "" when not recorded): groups, members, farm area in rai, announced and
    contracted quantity. Largest supply first."""
    figures = {g["group_id"]: g for g in group_figures(f)}
    districts: dict[str, Json] = {}
    subdistricts: dict[tuple[str, str, str], Json] = {}
    for group in f.groups.values():
        r = group.registry
        key = (group.district, r.subdistrict_code, r.subdistrict)
        names = _district_names(f, group.district)
        row = districts.setdefault(
            group.district,
            {
                "district": group.district,
                "district_name_th": names["name_th"],
                "district_name_en": names["name_en"],
            },
        )
        sub = subdistricts.setdefault(
            key,
            {"district": group.district, "subdistrict_code": key[1], "subdistrict": key[2]},
        )
        for target in (row, sub):
            _add_group(target, group.members, r.farm_area_rai, figures.get(group.id, {}))
    return {
        "by_district": _largest(districts.values()),
        "by_subdistrict": _largest(subdistricts.values()),
    }


def _add_group(row: Json, members: int, area: float | None, figures: Json) -> None:
    row["groups"] = row.get("groups", 0) + 1
    row["members"] = row.get("members", 0) + members
    row["farm_area_rai"] = round(row.get("farm_area_rai", 0.0) + (area or 0.0), 2)
    row["announced"] = row.get("announced", 0) + figures.get("announced", 0)
    row["contracted"] = row.get("contracted", 0) + figures.get("contracted", 0)


def _largest(rows: Iterable[Json]) -> list[Json]:
    return sorted(
        rows,
        key=lambda r: (-r["announced"], r["district"], r.get("subdistrict_code", "")),
    )


def ginis(groups: Sequence[Json]) -> dict[str, float]:
    """Gini of volume, income and utilisation across the groups with open supply."""
    supplying = [g for g in groups if g["announced"] > 0]
    return {
        "volume": round(gini([g["contracted"] for g in supplying]), 4),
        "income": round(gini([g["income_thb"] for g in supplying]), 4),
        "utilisation": round(gini([g["utilisation"] for g in supplying]), 4),
    }


def distribution(f: Facts) -> Json:
    groups = group_figures(f)
    return {"gini": ginis(groups), "groups": groups}


# --- the map ----------------------------------------------------------------------------------


def map_view(f: Facts) -> Json:
    """Groups and buyers with their positions, and one line per (group, buyer) under contract or
    proposal: ``quantity`` under accepted (or later) contracts, ``proposed`` under proposals."""
    figures = {g["group_id"]: g for g in group_figures(f)}
    links: dict[tuple[str, str], Json] = {}
    received: dict[str, int] = defaultdict(int)
    awaiting: dict[str, int] = defaultdict(int)
    for c in f.held:
        if c.holding <= 0:
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
        link["contracts"] += c.holding
        crops = link.setdefault("crops", [])
        if c.crop_id not in crops:
            crops.append(c.crop_id)
        if c.proposal:
            link["proposed"] += c.quantity
            awaiting[c.buyer_id] += c.quantity
        else:
            link["quantity"] += c.quantity
            received[c.buyer_id] += c.quantity
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
            "ordered": f.ordered_by_buyer.get(b.id, 0),
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
            link | {"crops": sorted(link["crops"]) if len(link["crops"]) > 1 else link["crops"]}
            for _, link in sorted(links.items(), key=lambda kv: kv[0])
        ],
        "bounds": bounds,
    }
