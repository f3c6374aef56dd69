"""The forward contract's lifecycle: its states, who may move them, and what falls back to the book.

```
proposed ──accept (group)──▶ accepted ──first delivery confirmed (buyer)──▶ in_delivery
   │ ├──reject (group)──▶ rejected                                            │
   │ └──deadline passed──▶ expired                      every delivery settled ▼
   └──────────────cancel (either party, with a reason)──▶ cancelled      completed
accepted / in_delivery ──amend (both parties agree)──▶ the same state, a new schedule
```

A delivery is ``scheduled``, then ``delivered`` (the kitchen confirms what it received and what
it refused for quality) or ``released`` (cancelled, rejected, expired, amended down, its
group's certificate lapsed before the date, or the kitchen cancelled that delivery of its
order). Every quantity that leaves a contract is returned as
a :class:`Release`, so the next round can offer it again, and every change is a
:class:`HistoryEntry` with its actor, time and reason. The functions are pure: they return the
new contract and never touch storage; illegal transitions raise :class:`Conflict` and change
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from matcher.domain.contracts import (
    REFUSAL_NOTE_LENGTH,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    HistoryEntry,
    RefusalReason,
)
from matcher.domain.errors import Conflict, InvalidValue
from matcher.domain.weeks import iso_week


class Party(StrEnum):
    GROUP = "group"
    BUYER = "buyer"
    COORDINATOR = "coordinator"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a party and its id (``group:grp-001``, ``buyer:hosp-hatyai``, ``system``)."""

    party: Party
    id: str = ""

    def __str__(self) -> str:
        return f"{self.party.value}:{self.id}" if self.id else self.party.value

    @classmethod
    def parse(cls, text: str, field_name: str = "actor") -> Actor:
        party, _, key = text.strip().partition(":")
        try:
            kind = Party(party.strip().lower())
        except ValueError:
            allowed = ", ".join(p.value for p in Party)
            raise InvalidValue(field_name, f"{text!r} must start with one of {allowed}") from None
        key = key.strip()
        if kind in (Party.GROUP, Party.BUYER) and not key:
            raise InvalidValue(field_name, f"give the {kind.value}'s id, e.g. {kind.value}:ID")
        return cls(kind, key)


SYSTEM = Actor(Party.SYSTEM)


@dataclass(frozen=True, slots=True)
class Release:
    """Quantity that left a contract: ``demand`` goes back to the order's delivery, ``supply``
    to the group's supply week."""

    contract_id: str
    order_id: str
    day: date
    supply_id: str
    week: str
    demand: int
    supply: int
    cause: str


@dataclass(frozen=True, slots=True)
class Change:
    contract: Contract
    entry: HistoryEntry
    released: tuple[Release, ...] = ()


@dataclass(frozen=True, slots=True)
class Settled:
    """What the kitchen confirmed for one delivery."""

    received: int
    refused: int
    reason: str | None = None
    """Why it refused (a :class:`RefusalReason` code): required when ``refused`` > 0."""
    note: str | None = None
    """Free text on the refusal, only with the reason ``other``."""


LIVE = frozenset({ContractState.ACCEPTED, ContractState.IN_DELIVERY})
CANCELLABLE = frozenset({ContractState.PROPOSED, *LIVE})


def _require_state(contract: Contract, allowed: frozenset[ContractState], action: str) -> None:
    if contract.state not in allowed:
        names = " or ".join(sorted(s.value for s in allowed))
        raise Conflict(
            f"contract {contract.id} is {contract.state.value}: only a contract that is "
            f"{names} can be {action}"
        )


def _require_party(contract: Contract, actor: Actor, parties: set[Party], action: str) -> None:
    own = {
        Party.GROUP: contract.group_id,
        Party.BUYER: contract.buyer_id,
    }
    if actor.party not in parties:
        names = " or ".join(sorted(p.value for p in parties))
        raise Conflict(f"contract {contract.id} can be {action} by the {names} only")
    if actor.party in own and actor.id != own[actor.party]:
        raise Conflict(
            f"{actor} is not a party to contract {contract.id} "
            f"({actor.party.value} {own[actor.party]})"
        )


def _changed(
    contract: Contract,
    *,
    at: datetime,
    actor: Actor,
    action: str,
    state: ContractState,
    reason: str = "",
    deliveries: tuple[ContractDelivery, ...] | None = None,
    released: tuple[Release, ...] = (),
    details: dict[str, Any] | None = None,
) -> Change:
    entry = HistoryEntry(
        at=at,
        actor=str(actor),
        action=action,
        from_state=contract.state.value,
        to_state=state.value,
        reason=reason,
        details=details or {},
    )
    new = replace(
        contract,
        state=state,
        deliveries=contract.deliveries if deliveries is None else deliveries,
        history=(*contract.history, entry),
    )
    return Change(new, entry, released)


def _release_all(
    contract: Contract, cause: str, keep: frozenset[date] = frozenset()
) -> tuple[tuple[ContractDelivery, ...], tuple[Release, ...]]:
    """Release every scheduled delivery (except the days in ``keep``)."""
    out: list[ContractDelivery] = []
    released: list[Release] = []
    for d in contract.deliveries:
        if d.state is DeliveryState.SCHEDULED and d.day not in keep:
            out.append(replace(d, state=DeliveryState.RELEASED))
            released.append(_release(contract, d, d.quantity, d.quantity, cause))
        else:
            out.append(d)
    return tuple(out), tuple(released)


def _release(
    contract: Contract, d: ContractDelivery, demand: int, supply: int, cause: str
) -> Release:
    return Release(
        contract.id,
        contract.order_id,
        d.day,
        contract.supply_id,
        d.week,
        demand,
        supply,
        cause,
    )


TOO_LATE = "too_late"
"""Reason code of a delivery too close for a group to answer a proposal: it is not proposed."""


def answer_due(day: date, cutoff: timedelta) -> datetime:
    """When a group's answer to a proposal delivering on ``day`` is due at the latest: the start
    of that day (00:00 UTC, the service's clock) minus ``cutoff``."""
    return datetime.combine(day, time(0), UTC) - cutoff


def too_late(day: date, at: datetime, cutoff: timedelta) -> bool:
    """Whether a delivery on ``day`` is too close to propose at ``at``: its answer would be due
    by then already."""
    return answer_due(day, cutoff) <= at


def proposal_deadline(
    *, made_at: datetime, first_day: date, ttl: timedelta, cutoff: timedelta
) -> datetime:
    """A proposal's deadline: ``ttl`` after it was made, but never later than ``cutoff`` before
    its first delivery (so it cannot outlive its own delivery)."""
    return min(made_at + ttl, answer_due(first_day, cutoff))


def accept(contract: Contract, actor: Actor, at: datetime) -> Change:
    """The group accepts a proposal before its deadline."""
    _require_state(contract, frozenset({ContractState.PROPOSED}), "accepted")
    _require_party(contract, actor, {Party.GROUP}, "accepted")
    if contract.proposal_expires_at is not None and at >= contract.proposal_expires_at:
        raise Conflict(
            f"the proposal of contract {contract.id} expired at "
            f"{contract.proposal_expires_at.isoformat()}"
        )
    return _changed(contract, at=at, actor=actor, action="accept", state=ContractState.ACCEPTED)


def reject(contract: Contract, actor: Actor, at: datetime, reason: str = "") -> Change:
    """The group turns a proposal down: its whole quantity goes back to the book."""
    _require_state(contract, frozenset({ContractState.PROPOSED}), "rejected")
    _require_party(contract, actor, {Party.GROUP}, "rejected")
    deliveries, released = _release_all(contract, "rejected by the group")
    return _changed(
        contract,
        at=at,
        actor=actor,
        action="reject",
        state=ContractState.REJECTED,
        reason=reason,
        deliveries=deliveries,
        released=released,
    )


def expire(contract: Contract, at: datetime) -> Change:
    """A proposal not answered by its deadline lapses."""
    _require_state(contract, frozenset({ContractState.PROPOSED}), "expired")
    deadline = contract.proposal_expires_at
    if deadline is None or at < deadline:
        raise Conflict(f"the proposal of contract {contract.id} has not reached its deadline")
    deliveries, released = _release_all(contract, "proposal expired")
    return _changed(
        contract,
        at=at,
        actor=SYSTEM,
        action="expire",
        state=ContractState.EXPIRED,
        reason=f"no answer by {deadline.isoformat()}",
        deliveries=deliveries,
        released=released,
    )


def cancel(contract: Contract, actor: Actor, at: datetime, reason: str) -> Change:
    """Either party (or a coordinator) cancels, with a reason; delivered quantities stay."""
    _require_state(contract, CANCELLABLE, "cancelled")
    _require_party(contract, actor, {Party.GROUP, Party.BUYER, Party.COORDINATOR}, "cancelled")
    if not reason.strip():
        raise InvalidValue("reason", "say why the contract is cancelled")
    deliveries, released = _release_all(contract, f"cancelled by {actor.party.value}")
    return _changed(
        contract,
        at=at,
        actor=actor,
        action="cancel",
        state=ContractState.CANCELLED,
        reason=reason,
        deliveries=deliveries,
        released=released,
    )


def confirm_delivery(
    contract: Contract, actor: Actor, at: datetime, day: date, settled: Settled
) -> Change:
    """The kitchen confirms one delivery: what it received and what it refused for quality.

    The shortfall (contracted minus received, refused produce included) goes back to the book
    as demand for that delivery, to be topped up by another group; the group's week stays
    consumed (what it did not bring, it did not have).
    """
    _require_state(contract, LIVE, "confirmed as delivered")
    _require_party(contract, actor, {Party.BUYER, Party.COORDINATOR}, "confirmed")
    matches = [d for d in contract.deliveries if d.day == day]
    if not matches:
        raise Conflict(f"contract {contract.id} has no delivery on {day.isoformat()}")
    delivery = matches[0]
    if delivery.state is not DeliveryState.SCHEDULED:
        raise Conflict(
            f"the delivery of {day.isoformat()} of contract {contract.id} is already "
            f"{delivery.state.value}"
        )
    _check_quantities(settled, delivery.quantity)
    reason, note = _refusal(settled)
    done = replace(
        delivery,
        state=DeliveryState.DELIVERED,
        received=settled.received,
        refused=settled.refused,
        refusal_reason=reason,
        refusal_note=note,
    )
    deliveries = tuple(done if d.day == day else d for d in contract.deliveries)
    released: tuple[Release, ...] = ()
    short = delivery.quantity - settled.received
    if short > 0:
        cause = "delivery refused for quality" if settled.refused else "delivery short"
        released = (_release(contract, delivery, short, 0, cause),)
    left = any(d.state is DeliveryState.SCHEDULED for d in deliveries)
    state = ContractState.IN_DELIVERY if left else ContractState.COMPLETED
    return _changed(
        contract,
        at=at,
        actor=actor,
        action="confirm_delivery",
        state=state,
        deliveries=deliveries,
        released=released,
        details={
            "date": day.isoformat(),
            "contracted": delivery.quantity,
            "received": settled.received,
            "refused": settled.refused,
            **_refusal_details(reason, note),
        },
    )


def _check_quantities(settled: Settled, contracted: int) -> None:
    for name, value in (("received", settled.received), ("refused", settled.refused)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidValue(name, "must be a whole number >= 0")
    if settled.received + settled.refused > contracted:
        raise InvalidValue(
            "received",
            f"received {settled.received} + refused {settled.refused} is more than the "
            f"{contracted} contracted",
        )


def _refusal(settled: Settled) -> tuple[RefusalReason | None, str | None]:
    """The reason (and note) of a refusal: a reason is required when something was refused
    and refused when nothing was; a note only goes with the reason ``other``."""
    note = settled.note.strip() if settled.note is not None else None
    if settled.refused == 0:
        if settled.reason is not None:
            raise InvalidValue("refusal_reason", "must be empty when nothing is refused")
        if note:
            raise InvalidValue("refusal_note", "must be empty when nothing is refused")
        return None, None
    if settled.reason is None:
        raise InvalidValue("refusal_reason", "is required when a quantity is refused")
    try:
        reason = RefusalReason(settled.reason)
    except ValueError:
        codes = ", ".join(r.value for r in RefusalReason)
        raise InvalidValue("refusal_reason", f"must be one of {codes}") from None
    if note and reason is not RefusalReason.OTHER:
        raise InvalidValue("refusal_note", "goes only with the reason other")
    if note and len(note) > REFUSAL_NOTE_LENGTH:
        raise InvalidValue("refusal_note", f"must be at most {REFUSAL_NOTE_LENGTH} characters")
    return reason, note or None


def _refusal_details(reason: RefusalReason | None, note: str | None) -> dict[str, str]:
    """The history's record of a refusal's reason (nothing when nothing was refused)."""
    if reason is None:
        return {}
    return {"refusal_reason": reason.value} | ({"refusal_note": note} if note else {})


def amend(
    contract: Contract,
    actor: Actor,
    at: datetime,
    changes: dict[date, tuple[date, int]],
    *,
    agreed_by: Actor,
    reason: str = "",
) -> Change:
    """Change scheduled deliveries by agreement of both parties: ``changes`` maps a delivery's
    date to its new (date, quantity). A new date stays in the same ISO week (the supply is
    weekly); a smaller quantity goes back to the book, a larger one needs the supply (the
    caller checks it)."""
    _require_state(contract, LIVE, "amended")
    _require_party(contract, actor, {Party.GROUP, Party.BUYER}, "amended")
    _require_party(contract, agreed_by, {Party.GROUP, Party.BUYER}, "amended")
    if actor.party is agreed_by.party:
        raise Conflict("an amendment needs the agreement of both the group and the buyer")
    if not changes:
        raise InvalidValue("deliveries", "name at least one delivery to change")
    by_day = {d.day: d for d in contract.deliveries}
    out = dict(by_day)
    released: list[Release] = []
    for day, (new_day, quantity) in sorted(changes.items()):
        current = _amendable(contract, by_day, out, day, new_day, quantity)
        del out[day]
        if quantity == 0:
            out[day] = replace(current, state=DeliveryState.RELEASED)
            released.append(
                _release(contract, current, current.quantity, current.quantity, "amended")
            )
            continue
        out[new_day] = replace(current, day=new_day, quantity=quantity)
        if quantity < current.quantity:
            less = current.quantity - quantity
            released.append(_release(contract, current, less, less, "amended"))
    deliveries = tuple(sorted(out.values(), key=lambda d: d.day))
    return _changed(
        contract,
        at=at,
        actor=actor,
        action="amend",
        state=contract.state,
        reason=reason,
        deliveries=deliveries,
        released=tuple(released),
        details={
            "agreed_by": str(agreed_by),
            "changes": {
                d.isoformat(): {"date": n.isoformat(), "quantity": q}
                for d, (n, q) in sorted(changes.items())
            },
        },
    )


def _amendable(
    contract: Contract,
    by_day: dict[date, ContractDelivery],
    out: dict[date, ContractDelivery],
    day: date,
    new_day: date,
    quantity: int,
) -> ContractDelivery:
    """The scheduled delivery of ``day``, once moving it to ``new_day`` (same ISO week, no
    delivery there yet in ``out``, the deliveries as amended so far) with ``quantity`` (>= 0)
    is checked."""
    current = by_day.get(day)
    if current is None:
        raise InvalidValue("deliveries", f"contract {contract.id} has no delivery on {day}")
    if current.state is not DeliveryState.SCHEDULED:
        raise Conflict(f"the delivery of {day.isoformat()} is {current.state.value}")
    if iso_week(new_day) != current.week:
        raise InvalidValue(
            "deliveries", f"{new_day.isoformat()} is not in the delivery's week {current.week}"
        )
    if quantity < 0:
        raise InvalidValue("deliveries", "a quantity must be >= 0")
    if new_day != day and new_day in out:
        raise InvalidValue("deliveries", f"there is already a delivery on {new_day}")
    return current


def release_from(contract: Contract, at: datetime, first_day: date, cause: str) -> Change:
    """Release the scheduled deliveries on or after ``first_day`` (a certificate lapsed or was
    revoked): only those go back to the book. A contract left with nothing is cancelled; one
    left with delivered quantities only is completed."""
    _require_state(contract, CANCELLABLE, "released")
    keep = frozenset(d.day for d in contract.deliveries if d.day < first_day)
    deliveries, released = _release_all(contract, cause, keep)
    if not released:
        raise Conflict(f"contract {contract.id} has no delivery from {first_day} to release")
    return _changed(
        contract,
        at=at,
        actor=SYSTEM,
        action="release",
        state=_state_after_release(contract, deliveries),
        reason=cause,
        deliveries=deliveries,
        released=released,
        details={"from": first_day.isoformat()},
    )


def _state_after_release(
    contract: Contract, deliveries: tuple[ContractDelivery, ...]
) -> ContractState:
    """A contract keeps its state while it has a delivery scheduled; left with delivered
    quantities only it is completed, left with nothing it is cancelled."""
    if any(d.state is DeliveryState.SCHEDULED for d in deliveries):
        return contract.state
    if any(d.state is DeliveryState.DELIVERED for d in deliveries):
        return ContractState.COMPLETED
    return ContractState.CANCELLED


def release_day(contract: Contract, actor: Actor, at: datetime, day: date, reason: str) -> Change:
    """The kitchen (or a coordinator) cancelled the delivery of ``day`` of the contract's order:
    that scheduled delivery is released, the others stay. A contract left with nothing
    scheduled is completed when something was delivered, cancelled otherwise."""
    _require_state(contract, CANCELLABLE, "changed")
    _require_party(contract, actor, {Party.BUYER, Party.COORDINATOR}, "changed")
    if not reason.strip():
        raise InvalidValue("reason", "say why the delivery is cancelled")
    scheduled = [d for d in contract.deliveries if d.day == day]
    if not scheduled or scheduled[0].state is not DeliveryState.SCHEDULED:
        raise Conflict(f"contract {contract.id} has no scheduled delivery on {day.isoformat()}")
    delivery = scheduled[0]
    deliveries = tuple(
        replace(d, state=DeliveryState.RELEASED) if d.day == day else d for d in contract.deliveries
    )
    cause = f"delivery cancelled by {actor.party.value}"
    released = (_release(contract, delivery, delivery.quantity, delivery.quantity, cause),)
    return _changed(
        contract,
        at=at,
        actor=actor,
        action="cancel_delivery",
        state=_state_after_release(contract, deliveries),
        reason=reason,
        deliveries=deliveries,
        released=released,
        details={"date": day.isoformat(), "quantity": delivery.quantity},
    )


def bound_quantity(delivery: ContractDelivery, *, released: bool = False) -> tuple[int, int]:
    """(demand, supply) a delivery still holds: all of it while scheduled; once delivered, what
    was received (demand) and the whole contracted quantity (supply: what the group did not
    bring, it did not have); nothing once released. ``released``: the contract itself is
    released (rejected, expired, cancelled): only its delivered quantities still count."""
    if delivery.state is DeliveryState.SCHEDULED and not released:
        return delivery.quantity, delivery.quantity
    if delivery.state is DeliveryState.DELIVERED:
        return delivery.received or 0, delivery.quantity
    return 0, 0
