"""Forward contracts and matching rounds, and the lifecycle states of supply and orders."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from matcher.domain.errors import Conflict, InvalidValue
from matcher.domain.model import ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier


class BookState(StrEnum):
    """State of an order or a supply announcement in the book."""

    OPEN = "open"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"


class ContractState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"
    IN_DELIVERY = "in_delivery"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# States whose quantities no longer bind supply or demand (they go back to the book).
RELEASED_STATES = frozenset(
    {ContractState.REJECTED, ContractState.EXPIRED, ContractState.CANCELLED}
)


CANCEL_REASON_LENGTH = 500
"""The longest reason a kitchen may give for cancelling one delivery of its order."""


@dataclass(frozen=True, slots=True)
class CancelledDelivery:
    """One delivery date of an order that the kitchen (or a coordinator) cancelled: when, by
    whom and why. The date is no longer part of the order's demand."""

    day: date
    reason: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order in the book. ``order.deliveries`` are the dates still wanted: a cancelled
    delivery is left out of them and kept in ``cancelled``."""

    order: ForwardOrder
    state: BookState = BookState.OPEN
    created_at: datetime | None = None
    cancelled: tuple[CancelledDelivery, ...] = ()

    @property
    def submitted(self) -> ForwardOrder:
        """The order as it was submitted (its cancelled dates put back)."""
        if not self.cancelled:
            return self.order
        days = (*self.order.deliveries, *(c.day for c in self.cancelled))
        return replace(self.order, deliveries=days)


def cancel_delivery(
    record: OrderRecord, day: date, *, today: date, at: datetime, actor: str, reason: str
) -> tuple[OrderRecord, CancelledDelivery]:
    """Cancel the delivery of ``day`` of an open order, with a reason: only a future one (after
    ``today``), one the order has and has not cancelled yet, and never its last one (cancel the
    order instead). Returns the record without that date, and the cancellation."""
    order = record.order
    why = reason.strip()
    if not why:
        raise InvalidValue("reason", "say why the delivery is cancelled")
    if len(why) > CANCEL_REASON_LENGTH:
        raise InvalidValue("reason", f"must be at most {CANCEL_REASON_LENGTH} characters")
    if record.state is not BookState.OPEN:
        raise Conflict(f"order {order.id!r} is {record.state.value}: its deliveries are over")
    when = day.isoformat()
    done = next((c for c in record.cancelled if c.day == day), None)
    if done is not None:
        raise Conflict(f"the delivery of {when} of order {order.id!r} is already cancelled")
    if day not in order.deliveries:
        raise InvalidValue("day", f"{when} is not a delivery date of order {order.id!r}")
    if day <= today:
        raise Conflict(
            f"the delivery of {when} is not in the future (today is {today.isoformat()}): "
            "only a delivery after today can be cancelled"
        )
    if len(order.deliveries) == 1:
        raise Conflict(
            f"{when} is the last delivery left of order {order.id!r}: cancel the order instead"
        )
    kept = tuple(d for d in order.deliveries if d != day)
    cancelled = CancelledDelivery(day, why, actor, at)
    new = replace(
        record,
        order=replace(order, deliveries=kept),
        cancelled=tuple(sorted((*record.cancelled, cancelled), key=lambda c: c.day)),
    )
    return new, cancelled


@dataclass(frozen=True, slots=True)
class SupplyRecord:
    supply: SupplyAnnouncement
    state: BookState = BookState.OPEN
    created_at: datetime | None = None


class DeliveryState(StrEnum):
    SCHEDULED = "scheduled"
    DELIVERED = "delivered"
    RELEASED = "released"


class RefusalReason(StrEnum):
    """Why a kitchen refused part of a delivery (required when it refused any)."""

    NOT_FRESH = "not_fresh"
    RESIDUE_TEST_FAILED = "residue_test_failed"
    WRONG_SIZE = "wrong_size"
    LATE = "late"
    OTHER = "other"


REFUSAL_NOTE_LENGTH = 200
"""The longest free-text note a refusal may carry (with the reason ``other``)."""


@dataclass(frozen=True, slots=True)
class ContractDelivery:
    day: date
    week: str
    quantity: int
    distance_km: float
    state: DeliveryState = DeliveryState.SCHEDULED
    received: int | None = None
    """Confirmed by the kitchen: quantity accepted."""
    refused: int | None = None
    """Confirmed by the kitchen: quantity refused for quality."""
    refusal_reason: RefusalReason | None = None
    """Why the kitchen refused what it refused (set when ``refused`` > 0)."""
    refusal_note: str | None = None
    """The kitchen's own words on the refusal (only with the reason ``other``)."""


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of a contract: when, by whom, what, from and to which state, and why."""

    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    reason: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Contract:
    """A forward contract between one buyer and one group for one order: a delivery schedule."""

    id: str
    round_id: str
    order_id: str
    buyer_id: str
    group_id: str
    supply_id: str
    crop_id: str
    scheme: Scheme
    min_tier: Tier
    unit_price: int
    """Satang per unit."""
    deliveries: tuple[ContractDelivery, ...]
    state: ContractState = ContractState.PROPOSED
    pricing_policy: str = "ask"
    reason: str = "matched in a clearing round"
    created_at: datetime | None = None
    proposal_expires_at: datetime | None = None
    """A proposal not accepted by then expires."""
    history: tuple[HistoryEntry, ...] = ()

    @property
    def quantity(self) -> int:
        return sum(d.quantity for d in self.deliveries)

    @property
    def value(self) -> int:
        """Satang."""
        return self.quantity * self.unit_price

    @property
    def first_day(self) -> date:
        return min(d.day for d in self.deliveries)

    @property
    def last_day(self) -> date:
        return max(d.day for d in self.deliveries)


class RoundStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class UnfilledLine:
    order_id: str
    buyer_id: str
    crop_id: str
    day: date
    week: str
    quantity: int
    reason: str
    detail: str
    alternative: dict[str, Any] | None = None
    """The nearest candidate and the rule that stopped it, as JSON (``group_id``,
    ``supply_id``, ``week``, ``rule``, ``measure``, ``value``, ``limit``); None when unknown."""


@dataclass(frozen=True, slots=True)
class MatchingRound:
    """The record of one clearing round."""

    id: str
    trigger: str
    started_at: datetime
    finished_at: datetime
    status: RoundStatus
    solver: str
    solver_status: str
    summary: dict[str, Any]
    contract_ids: tuple[str, ...] = ()
    unfilled: tuple[UnfilledLine, ...] = ()
    notes: tuple[str, ...] = field(default=())


def latest_clearings(
    heads: Iterable[tuple[str, Mapping[str, Any]]], crop_ids: Collection[str]
) -> dict[str, set[str]]:
    """Which round cleared each market last: round id -> its crops among ``crop_ids``.

    ``heads`` are (round id, summary) pairs, newest first. A round's summary lists the markets
    it cleared under ``markets``; a summary without that list (older rounds) cleared them all.
    """
    left = set(crop_ids)
    out: dict[str, set[str]] = {}
    for round_id, summary in heads:
        if not left:
            break
        markets = summary.get("markets")
        taken = left & set(markets) if isinstance(markets, list) else set(left)
        if taken:
            out[round_id] = taken
            left -= taken
    return out
