"""A market's participants as domain objects (a group, a hospital kitchen, a certificate, supply
and an order of kale for one week) and their registration on a message bus."""

from __future__ import annotations

from datetime import date

from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.service import commands
from matcher.service.messagebus import MessageBus

DAY = date(2026, 12, 9)
WEEK = iso_week(DAY)


def group(gid: str = "g1", at: tuple[float, float] = (7.0, 100.45)) -> FarmerGroup:
    return FarmerGroup(gid, "กลุ่ม", f"Group {gid}", Location(*at), members=12)


def buyer(bid: str = "h1", kind: BuyerKind = BuyerKind.HOSPITAL) -> Buyer:
    return Buyer(bid, "โรงพยาบาล", f"Hospital {bid}", kind, Location(7.01, 100.47))


def certificate(gid: str = "g1", scheme: Scheme = Scheme.THAI_GAP) -> Certificate:
    return Certificate(f"c-{gid}-{scheme}", gid, scheme, date(2026, 1, 1), date(2027, 12, 31))


def supply(
    sid: str = "s1", gid: str = "g1", qty: int = 100, price: int = 2000
) -> SupplyAnnouncement:
    return SupplyAnnouncement(sid, gid, "kale", Scheme.THAI_GAP, {WEEK: qty}, price)


def order(oid: str = "o1", bid: str = "h1", qty: int = 60, tier: Tier = Tier.SAFE) -> ForwardOrder:
    return ForwardOrder(oid, bid, "kale", qty, (DAY,), tier, max_price=3000)


def register_market(bus: MessageBus) -> None:
    bus.handle(commands.RegisterGroup(group=group()))
    bus.handle(commands.RegisterBuyer(buyer=buyer()))
    bus.handle(commands.RegisterCertificate(certificate=certificate()))
