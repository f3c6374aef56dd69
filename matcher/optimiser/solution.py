"""What a solve returns: a status, allocations, unfilled quantities with reasons, a summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple

from matcher.domain.model import thb
from matcher.optimiser.instance import COST_UNITS_PER_SATANG
from matcher.optimiser.reasons import ReasonCode


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Allocation:
    """Quantity of one supply week assigned to one delivery."""

    supply_id: str
    group_id: str
    order_id: str
    buyer_id: str
    crop_id: str
    day: date
    week: str
    quantity: int
    unit_price: int
    """Satang per unit."""
    distance_km: float
    unit_cost: int
    """Delivered cost of one unit, in 0.0001 THB (price plus transport)."""

    @property
    def price_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def cost_total(self) -> int:
        return self.unit_cost * self.quantity

    @property
    def transport_total(self) -> int:
        return self.cost_total - self.price_total * COST_UNITS_PER_SATANG

    @property
    def unit_km(self) -> float:
        return self.distance_km * self.quantity

    def to_json(self) -> dict[str, Any]:
        return {
            "supply_id": self.supply_id,
            "group_id": self.group_id,
            "order_id": self.order_id,
            "buyer_id": self.buyer_id,
            "crop_id": self.crop_id,
            "date": self.day.isoformat(),
            "week": self.week,
            "quantity": self.quantity,
            "unit_price": thb(self.unit_price),
            "distance_km": self.distance_km,
            "cost": {
                "goods": thb(self.price_total),
                "transport": _thb_cost(self.transport_total),
                "delivered": _thb_cost(self.cost_total),
            },
        }


Figure = str | int | float | None


@dataclass(frozen=True, slots=True)
class Alternative:
    """The candidate that came nearest to serving an unfilled quantity, and what stopped it.

    ``measure`` names what was compared (``distance_km``, ``unit_price_thb``, ``scheme``,
    ``certificate_valid_until``, ``crop_scope``, ``food_safety``, ``free_quantity``, ``week``,
    ``min_lot``, ``suppliers``, ``buyers``...); ``value`` is the candidate's, ``limit`` the
    order's or the rule's.

    For the rules of :mod:`matcher.optimiser.explain`: ``certificate_valid_from``,
    ``certificate_valid_until`` and ``certificate_revoked_on`` give the bound of the certificate
    nearest to valid (ISO dates; the limit is the delivery date); ``food_safety`` is ``none``
    or what the group holds instead; for ``insufficient_supply`` the value is the eligible total
    of all suppliers (the group is the largest), for ``capacity_taken`` what the group had free
    before this clearing (the limit is the quantity missing); for ``no_supply`` the week is the
    nearest week with free supply of the crop, not the delivery's.
    """

    group_id: str
    supply_id: str
    week: str
    rule: ReasonCode
    measure: str
    value: Figure
    limit: Figure = None

    def to_json(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "supply_id": self.supply_id,
            "week": self.week,
            "rule": self.rule.value,
            "measure": self.measure,
            "value": self.value,
            "limit": self.limit,
        }


class Explanation(NamedTuple):
    """Why (part of) a delivery stayed unfilled."""

    reason: ReasonCode
    detail: str
    alternative: Alternative | None = None


@dataclass(frozen=True, slots=True)
class Unfilled:
    """Quantity of a delivery that no allowed supply could take, and why."""

    order_id: str
    buyer_id: str
    crop_id: str
    day: date
    week: str
    quantity: int
    reason: ReasonCode
    detail: str
    alternative: Alternative | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["date"] = data.pop("day").isoformat()
        data["reason"] = self.reason.value
        data["alternative"] = self.alternative.to_json() if self.alternative else None
        return data


@dataclass(frozen=True, slots=True)
class Summary:
    demand: int
    filled: int
    weighted_demand: int
    weighted_filled: int
    goods_cost: int
    """Satang."""
    delivered_cost: int
    """Solver cost units (0.0001 THB)."""
    unit_km: float
    orders: int
    order_weeks: int
    supply_weeks: int
    eligible_pairs: int
    wall_seconds: float = 0.0
    solver_seconds: float = 0.0
    gap: float = 0.0
    """Relative optimality gap of the priority-weighted filled quantity (integer rules)."""
    cost_gap: float = 0.0
    """Relative optimality gap of the second level, delivered cost plus the policies'
    penalties, at the filled quantity reached (integer rules)."""
    cpsat_buckets: int = 0
    """Buckets the integer rules sent to CP-SAT (the others kept them with the flow answer)."""
    fallback_buckets: int = 0
    """Buckets where CP-SAT found nothing in time and the greedy answer was used."""
    suppliers_per_order: float = 0.0
    """Distinct groups per served order (continuity)."""

    @property
    def fill_rate(self) -> float:
        return self.filled / self.demand if self.demand else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "demand": self.demand,
            "filled": self.filled,
            "unfilled": self.demand - self.filled,
            "fill_rate": round(self.fill_rate, 6),
            "weighted_demand": self.weighted_demand,
            "weighted_filled": self.weighted_filled,
            "goods_cost_thb": thb(self.goods_cost),
            "transport_cost_thb": _thb_cost(
                self.delivered_cost - self.goods_cost * COST_UNITS_PER_SATANG
            ),
            "delivered_cost_thb": _thb_cost(self.delivered_cost),
            "unit_km": round(self.unit_km, 2),
            "km_per_unit": round(self.unit_km / self.filled, 3) if self.filled else 0.0,
            "orders": self.orders,
            "order_weeks": self.order_weeks,
            "supply_weeks": self.supply_weeks,
            "eligible_pairs": self.eligible_pairs,
            "wall_seconds": round(self.wall_seconds, 4),
            "solver_seconds": round(self.solver_seconds, 4),
            "gap": round(self.gap, 6),
            "cost_gap": round(self.cost_gap, 6),
            "cpsat_buckets": self.cpsat_buckets,
            "fallback_buckets": self.fallback_buckets,
            "suppliers_per_order": round(self.suppliers_per_order, 4),
        }


@dataclass(frozen=True, slots=True)
class Solution:
    status: SolveStatus
    solver: str
    allocations: tuple[Allocation, ...]
    unfilled: tuple[Unfilled, ...]
    summary: Summary
    message: str = ""
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "format": "foodmatch-solution/1",
            "status": self.status.value,
            "solver": self.solver,
            "message": self.message,
            "notes": list(self.notes),
            "summary": self.summary.to_json(),
            "allocations": [a.to_json() for a in self.allocations],
            "unfilled": [u.to_json() for u in self.unfilled],
        }


def _thb_cost(units: int) -> str:
    """Solver cost units (0.0001 THB) as THB, rounded half up to the satang."""
    satang = (units + COST_UNITS_PER_SATANG // 2) // COST_UNITS_PER_SATANG
    return thb(satang)
