"""Eligibility: which week of which supply may serve which delivery of which order.

A pair is allowed only when every rule holds, checked in this order (the order also decides the
reason code given to an unfilled quantity):

1. the produce's scheme satisfies the order's minimum tier (``standard_not_met``);
2. a certificate of that scheme is valid on the delivery date (``certificate_invalid``);
3. that certificate's scope covers the crop (``crop_not_covered``);
4. for processed crops, a valid food-safety credential covers it (``no_food_safety_credential``);
5. the road distance is within the order's limit (``out_of_range``);
6. the unit price is within the order's max price (``price_too_high``).

The search works per market (one crop, one week) on arrays (:mod:`matcher.optimiser.markets`);
:func:`build_graph` assembles the allowed pairs of some markets into an
:class:`EligibilityGraph`. :class:`Context` keeps the rules pair by pair, for explanations and
as the reference the tests compare the arrays with.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import overload

import numpy as np

from matcher.domain.model import Certificate, Crop, ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier
from matcher.geo import DistanceModel, GridIndex
from matcher.optimiser.instance import (
    DemandNode,
    MatchingInstance,
    SupplyNode,
    unit_cost,
)
from matcher.optimiser.markets import MarketTables, no_arcs
from matcher.optimiser.reasons import FloatArray, IntArray, ReasonCode


def offered_price(supply: SupplyAnnouncement, crop: Crop, order: ForwardOrder) -> int:
    """Unit price in satang: the group's ask, else the crop's reference price, else the cap."""
    if supply.asking_price is not None:
        return supply.asking_price
    if crop.reference_price is not None:
        return crop.reference_price
    return order.max_price if order.max_price is not None else 0


class CertificateRules:
    """The certificate rules (1-4), memoised per supply, delivery date and tier."""

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        self.by_group = instance.certificates_by_group()
        self._food_safety = instance.standards.food_safety_schemes()
        self._memo: dict[tuple[str, date, Tier], ReasonCode | None] = {}

    def reason(self, supply: SupplyAnnouncement, day: date, tier: Tier) -> ReasonCode | None:
        key = (supply.id, day, tier)
        if key not in self._memo:
            self._memo[key] = self._reason(supply, day, tier)
        return self._memo[key]

    def _reason(self, supply: SupplyAnnouncement, day: date, tier: Tier) -> ReasonCode | None:
        standards = self.instance.standards
        crop = self.instance.crops[supply.crop_id]
        certs = self.by_group.get(supply.group_id, [])
        if supply.scheme is Scheme.NONE or not standards.rule(supply.scheme).needs_certificate:
            if not standards.satisfies(supply.scheme, tier):
                return ReasonCode.STANDARD_NOT_MET
        else:
            held = [c for c in certs if c.scheme is supply.scheme]
            meeting = [c for c in held if standards.satisfies(c.scheme, tier, c.scopes)]
            if not meeting:
                return ReasonCode.STANDARD_NOT_MET
            valid = [c for c in meeting if c.valid_on(day)]
            if not valid:
                return ReasonCode.CERTIFICATE_INVALID
            if not standards.applies_to(supply.scheme, crop.group):  # eggs: livestock GAP
                return ReasonCode.CROP_NOT_COVERED
            if not any(c.covers(crop) for c in valid):
                return ReasonCode.CROP_NOT_COVERED
        if crop.processed and not self._has_food_safety(certs, crop, day):
            return ReasonCode.NO_FOOD_SAFETY_CREDENTIAL
        return None

    def _has_food_safety(self, certs: list[Certificate], crop: Crop, day: date) -> bool:
        return any(
            c.scheme in self._food_safety and c.valid_on(day) and c.covers(crop) for c in certs
        )


@dataclass(frozen=True, slots=True)
class Arc:
    """An allowed pair, with the delivered cost of one unit."""

    supply_index: int
    demand_index: int
    price: int
    distance_km: float
    cost: int


@dataclass(frozen=True, slots=True, eq=False)
class EligibilityGraph:
    """Allowed pairs of some markets, as arrays (``arcs`` gives them one by one).

    Node indices are local to the graph; ``supply_ids`` and ``demand_ids`` map them to the
    instance-wide node lists of :class:`MarketTables`.
    """

    supply: list[SupplyNode]
    demand: list[DemandNode]
    weights: list[int]
    """Priority weight of each demand node."""
    arc_supply: IntArray
    arc_demand: IntArray
    arc_price: IntArray
    """Satang per unit."""
    arc_km: FloatArray
    arc_cost: IntArray
    """Delivered cost of one unit, in solver cost units."""
    supply_quantity: IntArray
    demand_quantity: IntArray
    weight: IntArray
    supply_ids: IntArray
    demand_ids: IntArray

    @property
    def arcs(self) -> ArcView:
        return ArcView(self)

    @property
    def arc_count(self) -> int:
        return len(self.arc_supply)


class ArcView(Sequence[Arc]):
    """The arcs of a graph as :class:`Arc` values, made on demand."""

    def __init__(self, graph: EligibilityGraph) -> None:
        self._graph = graph

    def __len__(self) -> int:
        return len(self._graph.arc_supply)

    @overload
    def __getitem__(self, k: int) -> Arc: ...

    @overload
    def __getitem__(self, k: slice) -> list[Arc]: ...

    def __getitem__(self, k: int | slice) -> Arc | list[Arc]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        g = self._graph
        return Arc(
            int(g.arc_supply[k]),
            int(g.arc_demand[k]),
            int(g.arc_price[k]),
            float(g.arc_km[k]),
            int(g.arc_cost[k]),
        )

    def __iter__(self) -> Iterator[Arc]:
        g = self._graph
        columns = (g.arc_supply, g.arc_demand, g.arc_price, g.arc_km, g.arc_cost)
        for s, d, price, km, cost in zip(*(c.tolist() for c in columns), strict=True):
            yield Arc(s, d, price, km, cost)


class Context:
    """Lookups shared by eligibility, explanations and the greedy baseline."""

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        self.orders = {o.id: o for o in instance.orders}
        self.supplies = {s.id: s for s in instance.supply}
        self.rules = CertificateRules(instance)
        self.distances: DistanceModel = instance.distance_model()
        self._km: dict[tuple[str, str], float] = {}

    def km(self, group_id: str, buyer_id: str) -> float:
        key = (group_id, buyer_id)
        known = self._km.get(key)
        if known is None:
            group = self.instance.groups[group_id]
            buyer = self.instance.buyers[buyer_id]
            known = self.distances.km(group_id, group.location, buyer_id, buyer.location)
            self._km[key] = known
        return known

    def pair_reason(self, supply: SupplyAnnouncement, node: DemandNode) -> ReasonCode | None:
        """The first rule the pair breaks, or ``None`` when it is allowed."""
        order = self.orders[node.order_id]
        found = self.rules.reason(supply, node.day, order.min_tier)
        if found is not None:
            return found
        limit = self.instance.max_distance(order)
        if limit is not None and self.km(supply.group_id, order.buyer_id) > limit:
            return ReasonCode.OUT_OF_RANGE
        crop = self.instance.crops[order.crop_id]
        if order.max_price is not None and offered_price(supply, crop, order) > order.max_price:
            return ReasonCode.PRICE_TOO_HIGH
        return None

    def unit_cost(self, supply: SupplyAnnouncement, order: ForwardOrder) -> tuple[int, float, int]:
        """Contract price (satang, by the pricing policy), distance (km) and delivered cost
        (solver units) of one unit."""
        crop = self.instance.crops[order.crop_id]
        price = self.instance.price_of(supply, order, offered_price(supply, crop, order))
        km = self.km(supply.group_id, order.buyer_id)
        rate = self.instance.parameters.transport_rate(crop.unit)
        return price, km, unit_cost(price=price, distance_km=km, rate_thb_per_unit_km=rate)

    def weight(self, order_id: str) -> int:
        buyer = self.instance.buyers[self.orders[order_id].buyer_id]
        return self.instance.parameters.weight(buyer.kind)

    @cached_property
    def tables(self) -> MarketTables:
        """The instance as arrays by market, built on first use."""
        return MarketTables(self.instance)


def supply_index(
    instance: MatchingInstance, nodes: list[SupplyNode]
) -> dict[tuple[str, str], GridIndex[int]]:
    """Supply nodes by (crop, week), each bucket a grid over the groups' locations."""
    supplies = {s.id: s for s in instance.supply}
    buckets: dict[tuple[str, str], list[tuple[int, SupplyNode]]] = defaultdict(list)
    for i, node in enumerate(nodes):
        buckets[(supplies[node.supply_id].crop_id, node.week)].append((i, node))
    return {
        key: GridIndex(
            (instance.groups[supplies[n.supply_id].group_id].location, i) for i, n in items
        )
        for key, items in buckets.items()
    }


def build_graph(
    instance: MatchingInstance,
    context: Context | None = None,
    markets: Sequence[int] | None = None,
) -> EligibilityGraph:
    """Every allowed (supply week, delivery) pair of ``markets`` (default: all of them).

    Nodes are those of the given markets, in the instance-wide order; arcs come market by
    market, each ordered by delivery, then supply week.
    """
    ctx = context or Context(instance)
    t = ctx.tables
    chosen = range(len(t.markets)) if markets is None else markets
    found = [t.market_arcs(m) for m in chosen]
    s_ids = np.sort(np.concatenate([t.m_supply[m] for m in chosen] or [no_arcs()[0]]))
    d_ids = np.sort(np.concatenate([t.m_demand[m] for m in chosen] or [no_arcs()[0]]))
    arc_s, arc_d, price, cost = (
        np.concatenate([f[i] for f in found]).astype(np.int64, copy=False)
        if found
        else no_arcs()[0]
        for i in (0, 1, 2, 4)
    )
    km = (
        np.concatenate([f[3] for f in found]).astype(np.float64, copy=False)
        if found
        else no_arcs()[3]
    )
    weight = t.d_weight[d_ids]
    return EligibilityGraph(
        supply=[t.snodes[i] for i in s_ids.tolist()],
        demand=[t.dnodes[i] for i in d_ids.tolist()],
        weights=weight.tolist(),
        arc_supply=_local(s_ids, len(t.snodes))[arc_s],
        arc_demand=_local(d_ids, len(t.dnodes))[arc_d],
        arc_price=price,
        arc_km=km,
        arc_cost=cost,
        supply_quantity=t.s_qty[s_ids],
        demand_quantity=t.d_qty[d_ids],
        weight=weight,
        supply_ids=s_ids,
        demand_ids=d_ids,
    )


def _local(ids: IntArray, count: int) -> IntArray:
    """Position of each of ``ids`` (ascending) by instance-wide index."""
    out = np.zeros(count, dtype=np.int64)
    out[ids] = np.arange(len(ids), dtype=np.int64)
    return out
