"""Events: what happened, in the past tense. Each names its market key and renders a payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    name: ClassVar[str] = "event"
    book_change: ClassVar[bool] = False
    """Events that change the open book trigger a (debounced) round."""
    key: str
    """Partition key: the market (crop) for book events, the participant otherwise."""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRegistered(Event):
    name: ClassVar[str] = "GroupRegistered"


@dataclass(frozen=True, slots=True, kw_only=True)
class BuyerRegistered(Event):
    name: ClassVar[str] = "BuyerRegistered"


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRegistered(Event):
    name: ClassVar[str] = "CertificateRegistered"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateRevoked(Event):
    name: ClassVar[str] = "CertificateRevoked"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyAnnounced(Event):
    name: ClassVar[str] = "SupplyAnnounced"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class SupplyWithdrawn(Event):
    name: ClassVar[str] = "SupplyWithdrawn"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(Event):
    name: ClassVar[str] = "OrderSubmitted"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelled(Event):
    name: ClassVar[str] = "OrderCancelled"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractProposed(Event):
    name: ClassVar[str] = "ContractProposed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAccepted(Event):
    name: ClassVar[str] = "ContractAccepted"


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractRejected(Event):
    name: ClassVar[str] = "ContractRejected"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractExpired(Event):
    name: ClassVar[str] = "ContractExpired"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCancelled(Event):
    name: ClassVar[str] = "ContractCancelled"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractAmended(Event):
    name: ClassVar[str] = "ContractAmended"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryConfirmed(Event):
    name: ClassVar[str] = "DeliveryConfirmed"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveriesReleased(Event):
    """Deliveries left a contract because the group's certificate lapsed before them."""

    name: ClassVar[str] = "DeliveriesReleased"
    book_change: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCompleted(Event):
    name: ClassVar[str] = "ContractCompleted"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundCompleted(Event):
    name: ClassVar[str] = "RoundCompleted"


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        GroupRegistered,
        BuyerRegistered,
        CertificateRegistered,
        CertificateRevoked,
        SupplyAnnounced,
        SupplyWithdrawn,
        OrderSubmitted,
        OrderCancelled,
        ContractProposed,
        ContractAccepted,
        ContractRejected,
        ContractExpired,
        ContractCancelled,
        ContractAmended,
        DeliveryConfirmed,
        DeliveriesReleased,
        ContractCompleted,
        RoundCompleted,
    )
}
