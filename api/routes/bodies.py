"""Request bodies: the instance-format shapes, with bounds that keep stored values finite.

The models of :mod:`matcher.optimiser.schema` describe the JSON; these subclasses add what an
open HTTP endpoint needs on top: finite coordinates and distances, whole numbers that fit a
64-bit column, prices below a ceiling, lists of a sane length, and dates only as ISO text. Domain
rules (quantity above zero, known references...) stay in the domain and the handlers.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from api.auth import Caller
from matcher.adapters.wire import SURROGATE_REASON, may_escape_a_surrogate, unpaired_surrogate
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


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` text (or a date) is a date: pydantic alone would also read a number,
    or a string of digits, as Unix seconds (``0`` became 1970-01-01) and accept a datetime."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A date in a body, a query or a path."""
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
    non_delivery_weekdays: list[Text] = Field(
        default_factory=list,
        max_length=7,
        description="Weekdays the kitchen does not receive deliveries, e.g. ['sat', 'sun'].",
    )
    non_delivery_dates: list[IsoDate] = Field(
        default_factory=list,
        max_length=MAX_DATES,
        description="Dates the kitchen does not receive deliveries (public holidays apart).",
    )


class CertificateBody(schema.CertificateIn):
    """A certificate held by a group: scheme, validity dates and crop scope."""

    valid_from: IsoDate
    valid_until: IsoDate
    revoked_on: IsoDate | None = None


class SupplyBody(schema.SupplyIn):
    """A group's supply announcement: one crop under one scheme, a quantity per ISO week."""

    weeks: dict[str, Whole] = Field(
        description="Quantity per ISO week, e.g. {'2026-W50': 120}.", max_length=MAX_WEEKS
    )
    asking_price: Price | None = Field(None, description="THB per unit.")


class ScheduleBody(schema.ScheduleIn):
    """Deliveries on some weekdays of every week from ``start`` to ``end``."""

    start: IsoDate
    end: IsoDate


class OrderBody(schema.OrderIn):
    """A kitchen's forward order: the same quantity on each delivery date."""

    quantity: Whole = Field(description="Units per delivery.")
    deliveries: list[IsoDate] | None = Field(None, max_length=MAX_DATES)
    schedule: ScheduleBody | None = None
    max_price: Price | None = Field(
        None, description="THB per unit: the highest ask and contract price; transport is on top."
    )
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


async def unicode_body(request: Request, _: Caller) -> None:
    """Route dependency (after authentication): a JSON body may escape half of a surrogate pair
    (``"\\ud800"``), which no database column or answer can hold; refuse it (422, naming the
    field) before any route sees it. Only bodies with such an escape are read twice."""
    body = await request.body()
    if not may_escape_a_surrogate(body):
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: FastAPI says so
    place = unpaired_surrogate(data)
    if place is not None:
        error = {"type": "string_unicode", "loc": ("body", *place), "msg": SURROGATE_REASON}
        raise RequestValidationError([error])
