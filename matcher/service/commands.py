"""Commands: what a participant or the engine asks for. Each carries a ``message_id``.

A command with a ``message_id`` already handled has no further effect (the inbox absorbs it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

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
class RunMatchingRound(Command):
    """Clear the open book. ``crops`` limits the round to some markets (empty: all)."""

    trigger: str = "request"
    crops: tuple[str, ...] = ()
