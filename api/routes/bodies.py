"""Request bodies: the instance-format shapes, with bounds that keep stored values finite.

The models of :mod:`matcher.optimiser.schema` describe the JSON; these subclasses add what an
open HTTP endpoint needs on top: finite coordinates and distances, whole numbers that fit a
64-bit column, prices below a ceiling, and lists of a sane length. Domain rules (quantity above
zero, known references...) stay in the domain and the handlers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from matcher.optimiser import schema

MAX_WHOLE = 1_000_000_000
"""Largest quantity, member count or similar whole number accepted."""
MAX_PRICE_THB = Decimal(10_000_000)
MAX_KM = 100_000.0
MAX_DATES = 1_000
MAX_WEEKS = 260


def _bounded_price(value: schema.Price) -> schema.Price:
    if isinstance(value, bool):
        return value
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return value  # the domain names the problem
    if not amount.is_finite():
        raise ValueError("must be a finite price")
    if abs(amount) > MAX_PRICE_THB:
        raise ValueError(f"must be at most {MAX_PRICE_THB} THB")
    return value


Whole = Annotated[int, Field(le=MAX_WHOLE, ge=-MAX_WHOLE)]
Coordinate = Annotated[float, Field(allow_inf_nan=False, ge=-1000.0, le=1000.0)]
Km = Annotated[float, Field(allow_inf_nan=False, le=MAX_KM, ge=-MAX_KM)]
Price = Annotated[schema.Price, AfterValidator(_bounded_price)]
Text = Annotated[str, Field(max_length=10_000)]


class GroupBody(schema.GroupIn):
    """A farmer group, cooperative or community enterprise."""

    lat: Coordinate
    lon: Coordinate
    members: Whole
    min_lot: Whole | None = Field(
        None, description="Smallest quantity delivered to one delivery (null: any)."
    )
    max_buyers_per_week: Whole | None = Field(
        None, description="Most buyers served in one week (null: no limit)."
    )


class BuyerBody(schema.BuyerIn):
    """An institutional kitchen (hospital, school, prison...)."""

    lat: Coordinate
    lon: Coordinate


class CertificateBody(schema.CertificateIn):
    """A certificate held by a group: scheme, validity dates and crop scope."""


class SupplyBody(schema.SupplyIn):
    """A group's supply announcement: one crop under one scheme, a quantity per ISO week."""

    weeks: dict[str, Whole] = Field(
        description="Quantity per ISO week, e.g. {'2026-W50': 120}.", max_length=MAX_WEEKS
    )
    asking_price: Price | None = Field(None, description="THB per unit.")


class OrderBody(schema.OrderIn):
    """A kitchen's forward order: the same quantity on each delivery date."""

    quantity: Whole = Field(description="Units per delivery.")
    deliveries: list[date] | None = Field(None, max_length=MAX_DATES)
    max_price: Price | None = Field(None, description="THB per unit, delivered price cap.")
    max_distance_km: Km | None = None
    max_suppliers: Whole | None = Field(
        None, description="Most groups sharing one delivery (1: single sourcing; null: any)."
    )


class ReasonBody(BaseModel):
    """Why a participant takes something back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: Text = ""


class RoundBody(BaseModel):
    """Which markets a requested round clears (empty: all of them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    crops: list[str] = Field(default_factory=list, max_length=1_000)
