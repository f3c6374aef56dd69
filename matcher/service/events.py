"""Events: what happened, in the past tense.

Each event holds the domain value it is about (the order submitted, the contract and the change
it went through, the round completed...). Its market ``key`` and its ``payload``, the body the
outbox stores and the relay publishes, are derived from that value with the codec's dump
functions, so the wire form is written in one place.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from matcher.domain.contracts import CancelledDelivery, Contract, MatchingRound
from matcher.domain.lifecycle import Change
from matcher.domain.model import (
    Buyer,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    SupplyAnnouncement,
)
from matcher.service import codec
from matcher.service.codec import Json

ROUNDS_KEY = "rounds"
"""The key of every round event: rounds are not about one market."""


class Event(ABC):
    """What every event has: a name, whether it changes the open book, a key and a payload."""

    __slots__ = ()

    name: ClassVar[str] = "event"
    book_change: ClassVar[bool] = False
    """Events that change the open book trigger a (debounced) round."""

    @property
    @abstractmethod
    def key(self) -> str:
        """Partition key: the market (crop) for book and contract events, the participant (the
        group, the buyer) for registrations and certificates, ``rounds`` for a round."""

    @property
    @abstractmethod
    def payload(self) -> Json:
        """The event's body as JSON values: a new dict at each read."""


# Participants --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRegistered(Event):
    name: ClassVar[str] = "GroupRegistered"
    group: FarmerGroup

    @property
    def key(self) -> str:
        return self.group.id

    @property
    def payload(self) -> Json:
        return codec.dump_group(self.group)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyerRegistered(Event):
    name: ClassVar[str] = "BuyerRegistered"
    buyer: Buyer

    @property
    def key(self) -> str:
        return self.buyer.id

    @property
    def payload(self) -> Json:
        return codec.dump_buyer(self.buyer)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyerDaysOffChanged(Event):
    """``buyer`` with its new non-delivery days, and who changed them; orders submitted from
    now on are moved or refused on them."""

    name: ClassVar[str] = "BuyerDaysOffChanged"
    buyer: Buyer
    actor: str

    @property
    def key(self) -> str:
        return self.buyer.id

    @property
    def payload(self) -> Json:
        return {
            "buyer_id": self.buyer.id,
            "non_delivery_weekdays": list(self.buyer.non_delivery_weekdays),
            "non_delivery_dates": [d.isoformat() for d in self.buyer.non_delivery_dates],
            "actor": self.actor,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRegistered(Event):
    name: ClassVar[str] = "CertificateRegistered"
    book_change: ClassVar[bool] = True
    certificate: Certificate

    @property
    def key(self) -> str:
        return self.certificate.group_id

    @property
    def payload(self) -> Json:
        return codec.dump_certificate(self.certificate)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRevoked(Event):
    """``certificate`` as revoked (its ``revoked_on`` set), why and by whom."""

    name: ClassVar[str] = "CertificateRevoked"
    book_change: ClassVar[bool] = True
    certificate: Certificate
    reason: str
    actor: str

    @property
    def key(self) -> str:
        return self.certificate.group_id

    @property
    def payload(self) -> Json:
        return codec.dump_certificate(self.certificate) | {
            "reason": self.reason,
            "actor": self.actor,
        }


# The book ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyAnnounced(Event):
    name: ClassVar[str] = "SupplyAnnounced"
    book_change: ClassVar[bool] = True
    supply: SupplyAnnouncement

    @property
    def key(self) -> str:
        return self.supply.crop_id

    @property
    def payload(self) -> Json:
        return codec.dump_supply(self.supply)


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyWithdrawn(Event):
    """``supply`` left the book: its payload names it by id, with why and by whom."""

    name: ClassVar[str] = "SupplyWithdrawn"
    book_change: ClassVar[bool] = True
    supply: SupplyAnnouncement
    reason: str
    actor: str

    @property
    def key(self) -> str:
        return self.supply.crop_id

    @property
    def payload(self) -> Json:
        return {"id": self.supply.id, "reason": self.reason, "actor": self.actor}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(Event):
    name: ClassVar[str] = "OrderSubmitted"
    book_change: ClassVar[bool] = True
    order: ForwardOrder

    @property
    def key(self) -> str:
        return self.order.crop_id

    @property
    def payload(self) -> Json:
        return codec.dump_order(self.order)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(Event):
    """``order`` left the book: its payload names it by id, with why and by whom."""

    name: ClassVar[str] = "OrderCancelled"
    book_change: ClassVar[bool] = True
    order: ForwardOrder
    reason: str
    actor: str

    @property
    def key(self) -> str:
        return self.order.crop_id

    @property
    def payload(self) -> Json:
        return {"id": self.order.id, "reason": self.reason, "actor": self.actor}


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderDeliveryCancelled(Event):
    """One delivery date left ``order`` (the order as it is after): the date, why and by
    whom."""

    name: ClassVar[str] = "OrderDeliveryCancelled"
    book_change: ClassVar[bool] = True
    order: ForwardOrder
    cancelled: CancelledDelivery

    @property
    def key(self) -> str:
        return self.order.crop_id

    @property
    def payload(self) -> Json:
        return {"id": self.order.id, "buyer_id": self.order.buyer_id} | codec.dump_cancelled(
            self.cancelled
        )


# Contracts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractProposed(Event):
    name: ClassVar[str] = "ContractProposed"
    contract: Contract

    @property
    def key(self) -> str:
        return self.contract.crop_id

    @property
    def payload(self) -> Json:
        return codec.dump_contract(self.contract)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractChanged(Event):
    """A transition of a contract: the contract after it, the history entry that records it and
    the quantities it released (the ``change``, its ``released``). Each transition is one of the
    subclasses below."""

    change: Change

    @property
    def contract(self) -> Contract:
        return self.change.contract

    @property
    def key(self) -> str:
        return self.change.contract.crop_id

    @property
    def payload(self) -> Json:
        return codec.dump_contract(self.change.contract) | {
            "change": codec.dump_history_entry(self.change.entry),
            "released": [codec.dump_release(r) for r in self.change.released],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAccepted(ContractChanged):
    name: ClassVar[str] = "ContractAccepted"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractRejected(ContractChanged):
    name: ClassVar[str] = "ContractRejected"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractExpired(ContractChanged):
    name: ClassVar[str] = "ContractExpired"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCancelled(ContractChanged):
    name: ClassVar[str] = "ContractCancelled"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAmended(ContractChanged):
    name: ClassVar[str] = "ContractAmended"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryConfirmed(ContractChanged):
    name: ClassVar[str] = "DeliveryConfirmed"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveriesReleased(ContractChanged):
    """Deliveries left a contract because the group's certificate lapsed before them."""

    name: ClassVar[str] = "DeliveriesReleased"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractDeliveryCancelled(ContractChanged):
    """The kitchen cancelled one delivery of its order: the contract's delivery that day left
    it (the change's details name the date)."""

    name: ClassVar[str] = "ContractDeliveryCancelled"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCompleted(ContractChanged):
    """The change that settled the contract's last delivery (its payload is that change's)."""

    name: ClassVar[str] = "ContractCompleted"


# Rounds --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundCompleted(Event):
    """The round's record; its payload is the round's figures and where to read the rest."""

    name: ClassVar[str] = "RoundCompleted"
    round: MatchingRound

    @property
    def key(self) -> str:
        return ROUNDS_KEY

    @property
    def payload(self) -> Json:
        return codec.dump_round_event(self.round)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        GroupRegistered,
        BuyerRegistered,
        BuyerDaysOffChanged,
        CertificateRegistered,
        CertificateRevoked,
        SupplyAnnounced,
        SupplyWithdrawn,
        OrderSubmitted,
        OrderCancelled,
        OrderDeliveryCancelled,
        ContractProposed,
        ContractAccepted,
        ContractRejected,
        ContractExpired,
        ContractCancelled,
        ContractAmended,
        DeliveryConfirmed,
        DeliveriesReleased,
        ContractDeliveryCancelled,
        ContractCompleted,
        RoundCompleted,
    )
}
"""Every event by its name."""
