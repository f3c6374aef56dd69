"""Commands: what a participant or the engine asks for. Each carries a ``message_id``.

A command with a ``message_id`` already handled has no further effect (the inbox absorbs it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from matcher.domain.model import Buyer, Certificate, FarmerGroup, ForwardOrder, SupplyAnnouncement


def new_message_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    message_id: str = field(default_factory=new_message_id)
    actor: str = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterGroup(Command):
    group: FarmerGroup


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterBuyer(Command):
    buyer: Buyer


@dataclass(frozen=True, slots=True, kw_only=True)
class SetDaysOff(Command):
    """The buyer's own non-delivery days, replacing those it had (the rest of the buyer stays):
    weekdays ("mon".."sun") and dates."""

    buyer_id: str
    weekdays: tuple[str, ...]
    dates: tuple[date, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterCertificate(Command):
    certificate: Certificate


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnounceSupply(Command):
    supply: SupplyAnnouncement


@dataclass(frozen=True, slots=True, kw_only=True)
class WithdrawSupply(Command):
    supply_id: str
    reason: str = ""
    crop_id: str = ""
    """The market, when known: the partition key on Kafka (the handler reads the stored one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitOrder(Command):
    order: ForwardOrder


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOrder(Command):
    order_id: str
    reason: str = ""
    crop_id: str = ""
    """The market, when known: the partition key on Kafka (the handler reads the stored one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelDelivery(Command):
    """The kitchen (or a coordinator) cancels one future delivery of its order, with a reason:
    the order keeps its other dates; contract deliveries on that day are released."""

    order_id: str
    day: date
    reason: str
    crop_id: str = ""
    """The market, when known: the partition key on Kafka (the handler reads the stored one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeCertificate(Command):
    """A certifier or coordinator revokes a certificate from a date: deliveries of contracts
    that relied on it from that date are released and re-matched by the next round."""

    certificate_id: str
    revoked_on: date
    reason: str = ""
    group_id: str = ""
    """The group, when known: the partition key on Kafka (the handler reads the stored one)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractCommand(Command):
    """A party acts on a contract; ``actor`` says who (``group:ID``, ``buyer:ID``,
    ``coordinator:NAME``)."""

    contract_id: str
    crop_id: str = ""
    """The market, when known: the partition key on Kafka (the handler reads the stored one)."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptContract(ContractCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectContract(ContractCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelContract(ContractCommand):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfirmDelivery(ContractCommand):
    day: date
    received: int
    refused: int = 0
    refusal_reason: str | None = None
    """Why it refused (not_fresh, residue_test_failed, wrong_size, late, other)."""
    refusal_note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AmendContract(ContractCommand):
    changes: tuple[tuple[date, date, int], ...]
    """(delivery date, new date in the same week, new quantity) for each changed delivery."""
    agreed_by: str
    """The other party, who agreed (``group:ID`` or ``buyer:ID``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunMatchingRound(Command):
    """Clear the open book. ``crops`` limits the round to some markets (empty: all)."""

    trigger: str = "request"
    crops: tuple[str, ...] = ()


def market_of(command: Command) -> str:
    """The market (crop) a command names on its face, or "" when only its handler can tell."""
    if isinstance(command, AnnounceSupply):
        return command.supply.crop_id
    if isinstance(command, SubmitOrder):
        return command.order.crop_id
    return str(getattr(command, "crop_id", ""))
