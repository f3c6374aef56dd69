"""The market in aggregate: the rows the coordinator's figures are computed from.

A market of a province has tens of thousands of orders, contracts and delivery lines; the
figures need only their sums: per crop and day (demand), per group and crop (supply), per group,
buyer, crop and answer (contracts), and the last rounds' unfilled lines that are still open. The
database adds them up (:class:`~matcher.service.ports.FigureQueries`); the functions here add
them up from domain objects the same way, for the in-memory store and as the reference the SQL
is checked against.

Quantities under contract are split as :func:`split`: *contracted* under accepted (or later)
contracts, *proposed* under proposals not answered yet, each at most the quantity asked or
announced.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from matcher.domain.contracts import (
    RELEASED_STATES,
    Contract,
    ContractState,
    DeliveryState,
    OrderRecord,
    SupplyRecord,
    UnfilledLine,
)
from matcher.domain.lifecycle import bound_quantity
from matcher.domain.model import Buyer, ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier


@dataclass(frozen=True, slots=True, order=True)
class DemandDay:
    """Open orders' deliveries of one crop on one day."""

    crop_id: str
    day: date
    ordered: int
    contracted: int
    proposed: int
    open: int
    """Not under contract or proposal (what a round may still fill)."""


@dataclass(frozen=True, slots=True, order=True)
class SupplyCell:
    """Open supply of one group and crop, over its weeks."""

    group_id: str
    crop_id: str
    announced: int
    contracted: int
    proposed: int


@dataclass(frozen=True, slots=True, order=True)
class HeldCell:
    """Live contracts (not released) of one group, buyer and crop, proposals apart."""

    group_id: str
    buyer_id: str
    crop_id: str
    proposal: bool
    """Whether these are proposals the group has not answered yet."""
    contracts: int
    holding: int
    """Of ``contracts``, those still holding a delivery."""
    quantity: int
    """Held by deliveries not released."""
    value: int
    """Of those deliveries, in satang."""
    unit_km: float
    """Of those deliveries, quantity × distance."""


@dataclass(frozen=True, slots=True, order=True)
class UnmetCell:
    """What the last round of each market left unfilled and is still open, per crop, kitchens'
    district, ISO week, reason and minimum standard of the orders.

    A line counts for an open order, delivered today or later, as far as its delivery is still
    open (not under contract or proposal): the lines of one delivery take what is open in the
    order of their reason, then of the round's lines."""

    crop_id: str
    district: str
    week: str
    reason: str
    min_tier: Tier
    quantity: int
    lines: int
    orders: int
    buyers: tuple[str, ...]
    dates: tuple[date, ...]
    max_price: int | None
    """The lowest of the orders' maximum prices (None: no order has one)."""
    within_km: float | None
    """The shortest of the orders' maximum distances (None: no order has one)."""


@dataclass(frozen=True, slots=True)
class OpenDelivery:
    """A delivery of an open order with quantity not under contract or proposal."""

    order_id: str
    buyer_id: str
    day: date
    open: int
    min_tier: Tier


@dataclass(frozen=True, slots=True)
class FreeWeek:
    """A week of an open supply announcement with quantity not under contract or proposal."""

    supply_id: str
    group_id: str
    week: str
    free: int
    scheme: Scheme


def split(quantity: int, bound: int, proposed: int) -> tuple[int, int]:
    """(contracted, proposed) of ``quantity`` when ``bound`` is under contracts, ``proposed`` of
    it under proposals not answered yet."""
    contracted = min(quantity, max(0, bound - proposed))
    return contracted, min(proposed, quantity - contracted)


# -- from domain objects -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bound:
    """What contracts hold per order delivery and per supply week (``lifecycle.bound_quantity``),
    all of it and the part under proposals."""

    demand: Mapping[tuple[str, date], int]
    supply: Mapping[tuple[str, str], int]
    proposed_demand: Mapping[tuple[str, date], int]
    proposed_supply: Mapping[tuple[str, str], int]


def bound(contracts: Iterable[Contract]) -> Bound:
    demand: dict[tuple[str, date], int] = defaultdict(int)
    supply: dict[tuple[str, str], int] = defaultdict(int)
    proposed_demand: dict[tuple[str, date], int] = defaultdict(int)
    proposed_supply: dict[tuple[str, str], int] = defaultdict(int)
    for c in contracts:
        gone = c.state in RELEASED_STATES
        for d in c.deliveries:
            on_order, on_supply = bound_quantity(d, released=gone)
            demand[(c.order_id, d.day)] += on_order
            supply[(c.supply_id, d.week)] += on_supply
            if c.state is ContractState.PROPOSED:
                proposed_demand[(c.order_id, d.day)] += on_order
                proposed_supply[(c.supply_id, d.week)] += on_supply
    return Bound(dict(demand), dict(supply), dict(proposed_demand), dict(proposed_supply))


def demand_days(orders: Iterable[ForwardOrder], held: Bound) -> list[DemandDay]:
    """Per crop and day, over ``orders`` (the open ones)."""
    cells: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for o in orders:
        for day in o.deliveries:
            key = (o.id, day)
            taken = held.demand.get(key, 0)
            contracted, proposed = split(o.quantity, taken, held.proposed_demand.get(key, 0))
            cell = cells[(o.crop_id, day)]
            cell[0] += o.quantity
            cell[1] += contracted
            cell[2] += proposed
            cell[3] += max(0, o.quantity - taken)
    return [DemandDay(crop, day, *c) for (crop, day), c in sorted(cells.items())]


def ordered_by_buyer(orders: Iterable[ForwardOrder]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for o in orders:
        out[o.buyer_id] += o.quantity * len(o.deliveries)
    return dict(out)


def supply_cells(supply: Iterable[SupplyAnnouncement], held: Bound) -> list[SupplyCell]:
    """Per group and crop, over ``supply`` (the open announcements)."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for s in supply:
        for week, quantity in s.quantities.items():
            key = (s.id, week)
            contracted, proposed = split(
                quantity, held.supply.get(key, 0), held.proposed_supply.get(key, 0)
            )
            cell = cells[(s.group_id, s.crop_id)]
            cell[0] += quantity
            cell[1] += contracted
            cell[2] += proposed
    return [SupplyCell(group, crop, *c) for (group, crop), c in sorted(cells.items())]


def held_cells(contracts: Iterable[Contract]) -> list[HeldCell]:
    """Per group, buyer, crop and answer, over the contracts not released."""
    cells: dict[tuple[str, str, str, bool], list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    for c in contracts:
        if c.state in RELEASED_STATES:
            continue
        held = [d for d in c.deliveries if d.state is not DeliveryState.RELEASED]
        quantity = sum(d.quantity for d in held)
        cell = cells[(c.group_id, c.buyer_id, c.crop_id, c.state is ContractState.PROPOSED)]
        cell[0] += 1
        cell[1] += 1 if quantity > 0 else 0
        cell[2] += quantity
        cell[3] += quantity * c.unit_price
        cell[4] += sum(d.quantity * d.distance_km for d in held)
    return [
        HeldCell(g, b, crop, p, int(c[0]), int(c[1]), int(c[2]), int(c[3]), c[4])
        for (g, b, crop, p), c in sorted(cells.items())
    ]


def contracts_by_state(contracts: Iterable[Contract]) -> dict[str, int]:
    """How many contracts are in each state (every state named, 0 included)."""
    out = {s.value: 0 for s in ContractState}
    for c in contracts:
        out[c.state.value] += 1
    return out


def unmet_cells(
    lines: Iterable[UnfilledLine],
    orders: Mapping[str, ForwardOrder],
    held: Bound,
    buyers: Mapping[str, Buyer],
    today: date,
    buyer_id: str | None = None,
) -> list[UnmetCell]:
    """The cells of the last rounds' unfilled ``lines`` (each round's in their order), of the
    open ``orders`` (of one buyer's only, with ``buyer_id``)."""
    left: dict[tuple[str, date], int] = {}
    cells: dict[tuple[str, str, str, str, Tier], _Cell] = {}
    for u in sorted(lines, key=lambda u: (u.day, u.crop_id, u.order_id, u.reason)):
        order = orders.get(u.order_id)
        if order is None or u.day < today or buyer_id not in (None, u.buyer_id):
            continue
        key = (u.order_id, u.day)
        if key not in left:
            left[key] = max(0, order.quantity - held.demand.get(key, 0))
        quantity = min(u.quantity, left[key])
        if quantity <= 0:
            continue
        left[key] -= quantity
        buyer = buyers.get(u.buyer_id)
        district = buyer.district if buyer is not None else ""
        cell = cells.setdefault((u.crop_id, district, u.week, u.reason, order.min_tier), _Cell())
        cell.add(u, quantity, order)
    return sorted(cell.done(*key) for key, cell in cells.items())


class _Cell:
    def __init__(self) -> None:
        self.quantity = self.lines = 0
        self.orders: set[str] = set()
        self.buyers: set[str] = set()
        self.dates: set[date] = set()
        self.prices: list[int] = []
        self.ranges: list[float] = []

    def add(self, line: UnfilledLine, quantity: int, order: ForwardOrder) -> None:
        self.quantity += quantity
        self.lines += 1
        self.orders.add(order.id)
        self.buyers.add(line.buyer_id)
        self.dates.add(line.day)
        if order.max_price is not None:
            self.prices.append(order.max_price)
        if order.max_distance_km is not None:
            self.ranges.append(order.max_distance_km)

    def done(self, crop: str, district: str, week: str, reason: str, tier: Tier) -> UnmetCell:
        return UnmetCell(
            crop, district, week, reason, tier, self.quantity, self.lines, len(self.orders),
            tuple(sorted(self.buyers)), tuple(sorted(self.dates)),
            min(self.prices, default=None), min(self.ranges, default=None),
        )  # fmt: skip


def _stored_order(created_at: datetime | None, key: str) -> tuple[bool, datetime, str]:
    """Oldest first, those without a time before the others, then by id (as stored)."""
    return (created_at is not None, created_at or datetime.min.replace(tzinfo=UTC), key)


def open_deliveries(
    orders: Iterable[OrderRecord], held: Bound, since: date | None = None
) -> list[OpenDelivery]:
    """The deliveries of ``orders`` (one market's open ones) with open quantity, oldest order
    first, each order's by day; with ``since``, those from that day on."""
    out: list[OpenDelivery] = []
    for r in sorted(orders, key=lambda r: _stored_order(r.created_at, r.order.id)):
        o = r.order
        for day in sorted(o.deliveries):
            left = o.quantity - held.demand.get((o.id, day), 0)
            if left > 0 and (since is None or day >= since):
                out.append(OpenDelivery(o.id, o.buyer_id, day, left, o.min_tier))
    return out


def free_weeks(supply: Iterable[SupplyRecord], held: Bound) -> list[FreeWeek]:
    """The weeks of ``supply`` (one market's open announcements) with free quantity, oldest
    announcement first, each one's by week."""
    out: list[FreeWeek] = []
    for r in sorted(supply, key=lambda r: _stored_order(r.created_at, r.supply.id)):
        s = r.supply
        for week, quantity in sorted(s.quantities.items()):
            free = quantity - held.supply.get((s.id, week), 0)
            if free > 0:
                out.append(FreeWeek(s.id, s.group_id, week, free, s.scheme))
    return out


def by_crop(cells: Sequence[SupplyCell]) -> dict[str, tuple[int, int, int]]:
    """(announced, contracted, proposed) per crop."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in cells:
        out[c.crop_id][0] += c.announced
        out[c.crop_id][1] += c.contracted
        out[c.crop_id][2] += c.proposed
    return {crop: (a, b, p) for crop, (a, b, p) in out.items()}
