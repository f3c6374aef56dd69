"""Eligibility: which week of which supply may serve which delivery of which order.

A pair is allowed only when every rule holds, checked in this order (the order also decides the
reason code given to an unfilled quantity):

1. the produce's scheme satisfies the order's minimum tier (``standard_not_met``);
2. a certificate of that scheme is valid on the delivery date (``certificate_invalid``);
3. that certificate's scope covers the crop (``crop_not_covered``);
4. for processed crops, a valid food-safety credential covers it (``no_food_safety_credential``);
5. the road distance is within the order's limit (``out_of_range``);
6. the unit price is within the order's max price (``price_too_high``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from matcher.domain.model import Certificate, Crop, ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier
from matcher.geo import DistanceModel, GridIndex
from matcher.optimiser.instance import (
    DemandNode,
    MatchingInstance,
    SupplyNode,
    demand_nodes,
    supply_nodes,
    unit_cost,
)


class ReasonCode(StrEnum):
    """Why (part of) a delivery stayed unfilled."""

    NO_SUPPLY = "no_supply"
    STANDARD_NOT_MET = "standard_not_met"
    CERTIFICATE_INVALID = "certificate_invalid"
    CROP_NOT_COVERED = "crop_not_covered"
    NO_FOOD_SAFETY_CREDENTIAL = "no_food_safety_credential"
    OUT_OF_RANGE = "out_of_range"
    PRICE_TOO_HIGH = "price_too_high"
    INSUFFICIENT_SUPPLY = "insufficient_supply"
    CAPACITY_TAKEN = "capacity_taken"


# How far a candidate got through the rules: a later failure is a nearer miss.
RULE_ORDER: tuple[ReasonCode, ...] = (
    ReasonCode.STANDARD_NOT_MET,
    ReasonCode.CERTIFICATE_INVALID,
    ReasonCode.CROP_NOT_COVERED,
    ReasonCode.NO_FOOD_SAFETY_CREDENTIAL,
    ReasonCode.OUT_OF_RANGE,
    ReasonCode.PRICE_TOO_HIGH,
)


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


@dataclass(frozen=True, slots=True)
class EligibilityGraph:
    supply: list[SupplyNode]
    demand: list[DemandNode]
    arcs: list[Arc]
    weights: list[int]
    """Priority weight of each demand node."""


class Context:
    """Lookups shared by eligibility, explanations and the greedy baseline."""

    def __init__(self, instance: MatchingInstance) -> None:
        self.instance = instance
        self.orders = {o.id: o for o in instance.orders}
        self.supplies = {s.id: s for s in instance.supply}
        self.rules = CertificateRules(instance)
        self.distances: DistanceModel = instance.distance_model()
        self._km: dict[tuple[str, str], float] = {}
        self._terms: dict[tuple[str, str], tuple[int, float, int] | None] = {}

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

    def order_terms(
        self, supply: SupplyAnnouncement, order: ForwardOrder
    ) -> tuple[int, float, int] | None:
        """Price, distance and unit cost when the distance and price rules hold, else ``None``.

        These rules do not depend on the delivery date, so the answer is kept per (supply, order).
        """
        key = (supply.id, order.id)
        if key in self._terms:
            return self._terms[key]
        terms: tuple[int, float, int] | None = None
        limit = self.instance.max_distance(order)
        if limit is None or self.km(supply.group_id, order.buyer_id) <= limit:
            crop = self.instance.crops[order.crop_id]
            price_ok = order.max_price is None or (
                offered_price(supply, crop, order) <= order.max_price
            )
            terms = self.unit_cost(supply, order) if price_ok else None
        self._terms[key] = terms
        return terms

    def unit_cost(self, supply: SupplyAnnouncement, order: ForwardOrder) -> tuple[int, float, int]:
        """Price (satang), distance (km) and delivered cost (solver units) of one unit."""
        crop = self.instance.crops[order.crop_id]
        price = offered_price(supply, crop, order)
        km = self.km(supply.group_id, order.buyer_id)
        rate = self.instance.parameters.transport_rate(crop.unit)
        return price, km, unit_cost(price=price, distance_km=km, rate_thb_per_unit_km=rate)

    def weight(self, order_id: str) -> int:
        buyer = self.instance.buyers[self.orders[order_id].buyer_id]
        return self.instance.parameters.weight(buyer.kind)


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


def build_graph(instance: MatchingInstance, context: Context | None = None) -> EligibilityGraph:
    """Every allowed (supply week, delivery) pair, found through the candidate index."""
    ctx = context or Context(instance)
    snodes = supply_nodes(instance)
    dnodes = demand_nodes(instance)
    index = supply_index(instance, snodes)
    # A road-table distance may be shorter than the straight line, so the straight-line search
    # could miss its pair: those pairs are always checked.
    tabled: dict[str, set[str]] = defaultdict(set)
    for group_id, buyer_id in instance.road_distances:
        tabled[buyer_id].add(group_id)
    by_group: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, snode in enumerate(snodes):
        sup = ctx.supplies[snode.supply_id]
        by_group[(sup.crop_id, snode.week, sup.group_id)].append(i)
    arcs: list[Arc] = []
    weights: list[int] = []
    for d, node in enumerate(dnodes):
        order = ctx.orders[node.order_id]
        weights.append(ctx.weight(order.id))
        grid = index.get((order.crop_id, node.week))
        if grid is None:
            continue
        buyer_at = instance.buyers[order.buyer_id].location
        limit = instance.max_distance(order)
        # Road km are rounded to 10 m: widen the search by that rounding.
        found = [s for _, s in grid.within(buyer_at, None if limit is None else limit + 0.01)]
        if limit is not None and order.buyer_id in tabled:
            seen = set(found)
            for group_id in sorted(tabled[order.buyer_id]):
                found += [
                    s
                    for s in by_group.get((order.crop_id, node.week, group_id), [])
                    if s not in seen
                ]
        for s in found:
            supply = ctx.supplies[snodes[s].supply_id]
            terms = ctx.order_terms(supply, order)
            if terms is not None and ctx.rules.reason(supply, node.day, order.min_tier) is None:
                arcs.append(Arc(s, d, *terms))
    return EligibilityGraph(supply=snodes, demand=dnodes, arcs=arcs, weights=weights)
