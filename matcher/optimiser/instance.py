"""A matching instance: everything one clearing needs, as domain values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from matcher.domain.errors import InvalidValue, UnknownReference, require
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    SupplyAnnouncement,
    Unit,
)
from matcher.domain.standards import Scheme, StandardsRelation
from matcher.domain.weeks import iso_week
from matcher.geo import DistanceModel
from matcher.roads import RoadNetwork

DEFAULT_PRIORITY_WEIGHTS: Mapping[BuyerKind, int] = {
    BuyerKind.HOSPITAL: 10,
    BuyerKind.SCHOOL: 8,
    BuyerKind.PRISON: 6,
    BuyerKind.FACTORY: 3,
    BuyerKind.HOTEL: 2,
    BuyerKind.RESTAURANT: 2,
    BuyerKind.OTHER: 1,
}

DEFAULT_TRANSPORT_COST: Mapping[Unit, float] = {Unit.KG: 0.02, Unit.PIECE: 0.001}


class PricingPolicy(StrEnum):
    """How the contract's unit price is set (always between the group's ask and the buyer's cap).

    ``ask``: the group's asking price; ``buyer_max``: the buyer's max price; ``midpoint``: half
    way between them (half a satang rounds up); ``reference``: the reference price of the crop
    and the produce's scheme (else the crop's), kept within the ask and the cap.
    """

    ASK = "ask"
    BUYER_MAX = "buyer_max"
    MIDPOINT = "midpoint"
    REFERENCE = "reference"


def contract_price(
    policy: PricingPolicy, *, ask: int, cap: int | None, reference: int | None
) -> int:
    """The unit price (satang) of a pair allowed by the price rule (``ask <= cap``)."""
    if policy is PricingPolicy.BUYER_MAX:
        return cap if cap is not None else ask
    if policy is PricingPolicy.MIDPOINT:
        return (ask + cap + 1) // 2 if cap is not None else ask
    if policy is PricingPolicy.REFERENCE and reference is not None:
        return max(ask, reference if cap is None else min(reference, cap))
    return ask


class FairnessPolicy(StrEnum):
    """How demand is spread across eligible groups (never at the expense of filled quantity).

    ``off``: only delivered cost decides between groups. ``progressive``: every supply week's
    quantity is cut into ``fairness_steps`` equal steps and each unit in step ``k`` (from 0)
    costs ``k × fairness_weight`` THB more, so a group's last units cost more than another
    group's first ones: demand spreads unless the saving in price and transport is larger.
    """

    OFF = "off"
    PROGRESSIVE = "progressive"


# Costs inside the solver are whole units of 0.0001 THB (1/100 satang).
COST_UNITS_PER_SATANG = 100


@dataclass(frozen=True, slots=True)
class Parameters:
    """Knobs of one clearing.

    ``transport_cost_per_unit_km`` is in THB per unit of the crop per km of road.
    ``priority_weights`` weigh filled quantity by the buyer's kind (whole numbers >= 1).
    """

    road_factor: float = 1.3
    transport_cost_per_unit_km: Mapping[Unit, float] = field(
        default_factory=lambda: dict(DEFAULT_TRANSPORT_COST)
    )
    priority_weights: Mapping[BuyerKind, int] = field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS)
    )
    default_max_distance_km: float | None = None
    pricing_policy: PricingPolicy = PricingPolicy.ASK
    reference_prices: Mapping[tuple[str, Scheme], int] = field(default_factory=dict)
    """Satang per unit by (crop, scheme), for the ``reference`` pricing policy."""
    fairness: FairnessPolicy = FairnessPolicy.PROGRESSIVE
    fairness_weight: float = 0.05
    """Share of the supply's unit price added per unit for each further step of its week."""
    fairness_steps: int = 10
    continuity_weight: float = 0.02
    """Share of the unit price added per unit from a group that does not yet supply an order
    that has a supplier (0: no preference for keeping suppliers across weeks)."""
    max_suppliers: int | None = None
    """Default for orders that set none: most groups per delivery (1: single sourcing)."""
    min_lot: int | None = None
    """Default for groups that set none: smallest quantity per delivery."""
    max_buyers_per_week: int | None = None
    """Default for groups that set none: most buyers served in one week."""
    time_limit_seconds: float = 10.0
    """Time the integer solver (CP-SAT) may take in one clearing."""

    def __post_init__(self) -> None:
        require(self.road_factor >= 1.0, "road_factor", "must be at least 1.0")
        for unit, rate in self.transport_cost_per_unit_km.items():
            require(rate >= 0, f"transport_cost_per_unit_km.{unit}", "must not be negative")
        for kind, weight in self.priority_weights.items():
            require(
                isinstance(weight, int) and 1 <= weight <= 1000,
                f"priority_weights.{kind}",
                "must be a whole number from 1 to 1000",
            )
        if self.default_max_distance_km is not None:
            require(self.default_max_distance_km > 0, "default_max_distance_km", "must be > 0")
        object.__setattr__(self, "fairness", FairnessPolicy(self.fairness))
        object.__setattr__(self, "pricing_policy", PricingPolicy(self.pricing_policy))
        require(0 <= self.fairness_weight <= 1, "fairness_weight", "must be from 0 to 1")
        require(2 <= self.fairness_steps <= 20, "fairness_steps", "must be from 2 to 20")
        require(0 <= self.continuity_weight <= 1, "continuity_weight", "must be from 0 to 1")
        for name in ("max_suppliers", "min_lot", "max_buyers_per_week"):
            value = getattr(self, name)
            if value is not None:
                whole = isinstance(value, int) and not isinstance(value, bool)
                require(whole and value >= 1, name, "must be a whole number >= 1")
        require(
            0 < self.time_limit_seconds <= 3600,
            "time_limit_seconds",
            "must be above 0 and at most 3600",
        )

    def suppliers_limit(self, order: ForwardOrder) -> int | None:
        return order.max_suppliers if order.max_suppliers is not None else self.max_suppliers

    def lot(self, group: FarmerGroup) -> int | None:
        return group.min_lot if group.min_lot is not None else self.min_lot

    def buyers_limit(self, group: FarmerGroup) -> int | None:
        if group.max_buyers_per_week is not None:
            return group.max_buyers_per_week
        return self.max_buyers_per_week

    def plain(self) -> Parameters:
        """The same parameters without fairness and continuity: delivered cost alone."""
        return replace(self, fairness=FairnessPolicy.OFF, continuity_weight=0.0)

    def weight(self, kind: BuyerKind) -> int:
        return self.priority_weights.get(kind, 1)

    def transport_rate(self, unit: Unit) -> float:
        return self.transport_cost_per_unit_km.get(unit, 0.0)


def unit_cost(*, price: int, distance_km: float, rate_thb_per_unit_km: float) -> int:
    """Delivered cost of one unit in solver cost units (0.0001 THB): price plus transport."""
    transport = round(rate_thb_per_unit_km * distance_km * 100 * COST_UNITS_PER_SATANG)
    return price * COST_UNITS_PER_SATANG + transport


@dataclass(frozen=True, slots=True)
class MatchingInstance:
    """Groups, buyers, certificates, supply and orders to clear together, checked for references."""

    name: str
    crops: Mapping[str, Crop]
    standards: StandardsRelation
    groups: Mapping[str, FarmerGroup]
    buyers: Mapping[str, Buyer]
    certificates: tuple[Certificate, ...]
    supply: tuple[SupplyAnnouncement, ...]
    orders: tuple[ForwardOrder, ...]
    parameters: Parameters = field(default_factory=Parameters)
    road_distances: Mapping[tuple[str, str], float] = field(default_factory=dict)
    open_demand: Mapping[tuple[str, date], int] | None = None
    """Incremental rounds: quantity still open per (order, delivery date); ``None``: all open."""
    open_supply: Mapping[tuple[str, str], int] | None = None
    """Incremental rounds: quantity still free per (supply, week); ``None``: all free."""
    excluded: frozenset[tuple[str, str]] = frozenset()
    """(order, group) pairs never matched: the group declined a contract for the order."""
    committed: Mapping[tuple[str, date], frozenset[str]] = field(default_factory=dict)
    """Incremental rounds: groups already under contract per (order, delivery date). They
    count towards the delivery's supplier limit and their buyers towards the groups' weekly
    buyer limit, and continuity prefers them for the order's other deliveries."""
    roads: RoadNetwork | None = field(default=None, compare=False)
    """The province road model for the pairs ``road_distances`` does not give (the service
    attaches it); ``None``: straight line × ``road_factor``."""

    def __post_init__(self) -> None:
        self._check_references()

    def _check_references(self) -> None:
        def known(table: Mapping[str, object], key: str, where: str, what: str) -> None:
            if key not in table:
                raise UnknownReference(where, f"no {what} with id {key!r}")

        seen: set[str] = set()
        for i, cert in enumerate(self.certificates):
            known(self.groups, cert.group_id, f"certificates[{i}].group_id", "group")
            _unique(seen, cert.id, f"certificates[{i}].id")
        seen.clear()
        for i, sup in enumerate(self.supply):
            known(self.groups, sup.group_id, f"supply[{i}].group_id", "group")
            known(self.crops, sup.crop_id, f"supply[{i}].crop_id", "crop")
            _unique(seen, sup.id, f"supply[{i}].id")
            if sup.scheme not in self.standards.rules:
                raise InvalidValue(f"supply[{i}].scheme", f"{sup.scheme} is not in the relation")
        seen.clear()
        for i, order in enumerate(self.orders):
            known(self.buyers, order.buyer_id, f"orders[{i}].buyer_id", "buyer")
            known(self.crops, order.crop_id, f"orders[{i}].crop_id", "crop")
            _unique(seen, order.id, f"orders[{i}].id")
        for group_id, buyer_id in self.road_distances:
            known(self.groups, group_id, "road_distances.group_id", "group")
            known(self.buyers, buyer_id, "road_distances.buyer_id", "buyer")

    def has_integer_rules(self) -> bool:
        """Whether a supplier limit, a minimum lot or a buyer limit applies anywhere."""
        p = self.parameters
        if p.max_suppliers is not None or p.min_lot is not None or p.max_buyers_per_week:
            return True
        if any(o.max_suppliers is not None for o in self.orders):
            return True
        return any(
            g.min_lot is not None or g.max_buyers_per_week is not None for g in self.groups.values()
        )

    def distance_model(self) -> DistanceModel:
        return DistanceModel(self.parameters.road_factor, self.road_distances, self.roads)

    def certificates_by_group(self) -> dict[str, list[Certificate]]:
        out: dict[str, list[Certificate]] = {g: [] for g in self.groups}
        for cert in self.certificates:
            out[cert.group_id].append(cert)
        return out

    def reference_price(self, supply: SupplyAnnouncement) -> int | None:
        """The reference price of the supply's crop and scheme (else of the crop), in satang."""
        known = self.parameters.reference_prices.get((supply.crop_id, supply.scheme))
        return known if known is not None else self.crops[supply.crop_id].reference_price

    def price_of(self, supply: SupplyAnnouncement, order: ForwardOrder, ask: int) -> int:
        """The contract's unit price for a pair whose offered price is ``ask``."""
        return contract_price(
            self.parameters.pricing_policy,
            ask=ask,
            cap=order.max_price,
            reference=self.reference_price(supply),
        )

    def max_distance(self, order: ForwardOrder) -> float | None:
        if order.max_distance_km is not None:
            return order.max_distance_km
        return self.parameters.default_max_distance_km


def _unique(seen: set[str], key: str, where: str) -> None:
    if key in seen:
        raise InvalidValue(where, f"id {key!r} appears twice")
    seen.add(key)


@dataclass(frozen=True, slots=True, order=True)
class DemandNode:
    """One delivery of one order: the unit the optimiser fills ("order-week")."""

    order_id: str
    day: date
    quantity: int

    @property
    def week(self) -> str:
        return iso_week(self.day)


@dataclass(frozen=True, slots=True, order=True)
class SupplyNode:
    """One week of one supply announcement."""

    supply_id: str
    week: str
    quantity: int


def demand_nodes(instance: MatchingInstance) -> list[DemandNode]:
    """Deliveries with a quantity still open (all of them unless ``open_demand`` says less)."""
    nodes = [DemandNode(o.id, d, o.quantity) for o in instance.orders for d in o.deliveries]
    if instance.open_demand is None:
        return nodes
    left = instance.open_demand
    opened = (DemandNode(n.order_id, n.day, left.get((n.order_id, n.day), 0)) for n in nodes)
    return [n for n in opened if n.quantity > 0]


def supply_nodes(instance: MatchingInstance, *, keep_empty: bool = False) -> list[SupplyNode]:
    """Supply weeks with a quantity still free (all of them unless ``open_supply`` says less).

    ``keep_empty`` keeps weeks with nothing free (quantity 0), for explanations.
    """
    nodes = [
        SupplyNode(s.id, week, qty)
        for s in instance.supply
        for week, qty in sorted(s.quantities.items())
    ]
    if instance.open_supply is None:
        return nodes
    free = instance.open_supply
    opened = (SupplyNode(n.supply_id, n.week, free.get((n.supply_id, n.week), 0)) for n in nodes)
    return [n for n in opened if n.quantity > 0 or keep_empty]
