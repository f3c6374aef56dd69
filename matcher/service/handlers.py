"""Command handlers: plain functions of a command, a unit of work and the service context.

Each returns the events it caused and a value for the caller; the bus records the command in the
inbox and the events in the outbox in the same transaction, then commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date

from matcher.domain.calendar import either
from matcher.domain.contracts import (
    BookState,
    Contract,
    DeliveryState,
    OrderRecord,
    SupplyRecord,
    cancel_delivery,
)
from matcher.domain.errors import Conflict, DomainError, NotFound, UnknownReference
from matcher.domain.lifecycle import CANCELLABLE, Actor, Party, cancel, release_day
from matcher.service import commands, events
from matcher.service import contract_handlers as contracts
from matcher.service.context import ServiceContext
from matcher.service.ports import ContractFilter, UnitOfWork
from matcher.service.results import Handler, Result
from matcher.service.rounds import run_round

__all__ = ["Handler", "Result", "command_handlers"]


def _same_or_conflict(existing: object, new: object, kind: str, key: str) -> bool:
    """True when ``existing`` is the same as ``new`` (a repeat); Conflict when it differs."""
    if existing is None:
        return False
    if existing == new:
        return True
    raise Conflict(f"{kind} {key!r} already exists with other values")


def register_group(cmd: commands.RegisterGroup, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    g = cmd.group
    if _same_or_conflict(uow.groups.get(g.id), g, "group", g.id):
        return Result(value=g)
    uow.groups.add(g)
    return Result([events.GroupRegistered(group=g)], g)


def register_buyer(cmd: commands.RegisterBuyer, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    b = cmd.buyer
    if _same_or_conflict(uow.buyers.get(b.id), b, "buyer", b.id):
        return Result(value=b)
    uow.buyers.add(b)
    return Result([events.BuyerRegistered(buyer=b)], b)


def set_days_off(cmd: commands.SetDaysOff, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    """Replaces the buyer's non-delivery days (checked as a buyer's are); the same days again
    change nothing. Orders already submitted keep their dates."""
    b = uow.buyers.get(cmd.buyer_id)
    if b is None:
        raise NotFound("buyer", cmd.buyer_id)
    changed = replace(b, non_delivery_weekdays=cmd.weekdays, non_delivery_dates=cmd.dates)
    if changed == b:
        return Result(value=b)
    uow.buyers.update(changed)
    return Result([events.BuyerDaysOffChanged(buyer=changed, actor=cmd.actor)], changed)


def register_certificate(
    cmd: commands.RegisterCertificate, uow: UnitOfWork, ctx: ServiceContext
) -> Result:
    c = cmd.certificate
    if uow.groups.get(c.group_id) is None:
        raise UnknownReference("group_id", f"no group with id {c.group_id!r}")
    if c.scheme not in ctx.standards.rules:
        raise UnknownReference("scheme", f"{c.scheme} is not in the standards relation")
    if _same_or_conflict(uow.certificates.get(c.id), c, "certificate", c.id):
        return Result(value=c)
    uow.certificates.add(c)
    for record in uow.supply.list(state=BookState.OPEN, group_id=c.group_id):
        uow.markets.bump(record.supply.crop_id)
    return Result([events.CertificateRegistered(certificate=c)], c)


def revoke_certificate(
    cmd: commands.RevokeCertificate, uow: UnitOfWork, ctx: ServiceContext
) -> Result:
    c = uow.certificates.get(cmd.certificate_id)
    if c is None:
        raise NotFound("certificate", cmd.certificate_id)
    if c.revoked_on is not None and c.revoked_on <= cmd.revoked_on:
        raise Conflict(f"certificate {c.id!r} is already revoked from {c.revoked_on.isoformat()}")
    uow.certificates.revoke(c.id, cmd.revoked_on)
    for record in uow.supply.list(state=BookState.OPEN, group_id=c.group_id):
        uow.markets.bump(record.supply.crop_id)
    revoked = replace(c, revoked_on=cmd.revoked_on)
    happened = events.CertificateRevoked(certificate=revoked, reason=cmd.reason, actor=cmd.actor)
    return Result([happened], c)


def announce_supply(cmd: commands.AnnounceSupply, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    s = cmd.supply
    if uow.groups.get(s.group_id) is None:
        raise UnknownReference("group_id", f"no group with id {s.group_id!r}")
    if s.crop_id not in ctx.crops:
        raise UnknownReference("crop_id", f"no crop with id {s.crop_id!r}")
    if s.scheme not in ctx.standards.rules:
        raise UnknownReference("scheme", f"{s.scheme} is not in the standards relation")
    existing = uow.supply.get(s.id)
    if _same_or_conflict(existing.supply if existing else None, s, "supply", s.id):
        return Result(value=s)
    uow.supply.add(SupplyRecord(s, BookState.OPEN, ctx.clock.now()))
    uow.markets.bump(s.crop_id, addition=True)
    return Result([events.SupplyAnnounced(supply=s)], s)


def withdraw_supply(cmd: commands.WithdrawSupply, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    record = uow.supply.get(cmd.supply_id)
    if record is None:
        raise NotFound("supply", cmd.supply_id)
    if record.state is not BookState.OPEN:
        raise Conflict(f"supply {cmd.supply_id!r} is already {record.state.value}")
    uow.supply.set_state(cmd.supply_id, BookState.WITHDRAWN)
    uow.markets.bump(record.supply.crop_id)
    s = record.supply
    happened: list[events.Event] = [
        events.SupplyWithdrawn(supply=s, reason=cmd.reason, actor=cmd.actor)
    ]
    where = ContractFilter(group_id=s.group_id, crop_id=s.crop_id, limit=1000)
    actor = Actor(Party.GROUP, s.group_id)
    why = "supply withdrawn" + (f": {cmd.reason}" if cmd.reason else "")
    happened += _cancel_live(uow, ctx, where, actor, why, lambda c: c.supply_id == s.id)
    return Result(happened)


def _cancel_live(
    uow: UnitOfWork,
    ctx: ServiceContext,
    where: ContractFilter,
    actor: Actor,
    reason: str,
    chosen: Callable[[Contract], bool],
) -> list[events.Event]:
    """Cancel the contracts (not yet settled) that ``chosen`` picks: their scheduled deliveries
    go back to the book."""
    out: list[events.Event] = []
    offset = 0
    while True:
        page = uow.contracts.list(replace(where, offset=offset))
        for contract in page:
            if contract.state in CANCELLABLE and chosen(contract):
                change = cancel(contract, actor, ctx.clock.now(), reason)
                out += contracts.record_change(uow, ctx, change, events.ContractCancelled)
        if len(page) < where.limit:
            return out
        offset += where.limit


def submit_order(cmd: commands.SubmitOrder, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    o = cmd.order
    buyer = uow.buyers.get(o.buyer_id)
    if buyer is None:
        raise UnknownReference("buyer_id", f"no buyer with id {o.buyer_id!r}")
    if o.crop_id not in ctx.crops:
        raise UnknownReference("crop_id", f"no crop with id {o.crop_id!r}")
    # Public holidays and the kitchen's non-delivery days move or drop dates (or refuse).
    o = o.on_calendar(either(ctx.holidays, buyer.closed_days()))
    existing = uow.orders.get(o.id)
    if _same_or_conflict(existing.submitted if existing else None, o, "order", o.id):
        return Result(value=o)
    uow.orders.add(OrderRecord(o, BookState.OPEN, ctx.clock.now()))
    uow.markets.bump(o.crop_id, addition=True)
    return Result([events.OrderSubmitted(order=o)], o)


def cancel_order(cmd: commands.CancelOrder, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    record = uow.orders.get(cmd.order_id)
    if record is None:
        raise NotFound("order", cmd.order_id)
    if record.state is not BookState.OPEN:
        raise Conflict(f"order {cmd.order_id!r} is already {record.state.value}")
    uow.orders.set_state(cmd.order_id, BookState.CANCELLED)
    uow.markets.bump(record.order.crop_id)
    o = record.order
    happened: list[events.Event] = [
        events.OrderCancelled(order=o, reason=cmd.reason, actor=cmd.actor)
    ]
    where = ContractFilter(order_id=o.id, limit=1000)
    why = "order cancelled" + (f": {cmd.reason}" if cmd.reason else "")
    happened += _cancel_live(uow, ctx, where, Actor(Party.BUYER, o.buyer_id), why, bool)
    return Result(happened)


def cancel_order_delivery(
    cmd: commands.CancelDelivery, uow: UnitOfWork, ctx: ServiceContext
) -> Result:
    """One future delivery of an order is cancelled: the date leaves the order's demand and
    the contract deliveries scheduled on it are released (their groups hear of it)."""
    record = uow.orders.get(cmd.order_id)
    if record is None:
        raise NotFound("order", cmd.order_id)
    now = ctx.clock.now()
    o = record.order
    after, cancelled = cancel_delivery(
        record, cmd.day, today=now.date(), at=now, actor=cmd.actor, reason=cmd.reason
    )
    on_day = _contracts_on(uow, o.id, cmd.day)
    for contract in on_day:
        if _on(contract, cmd.day, DeliveryState.DELIVERED):
            raise Conflict(
                f"the delivery of {cmd.day.isoformat()} of order {o.id!r} is already delivered "
                f"(contract {contract.id})"
            )
    uow.orders.cancel_delivery(o.id, cancelled)
    uow.markets.bump(o.crop_id)
    happened: list[events.Event] = [
        events.OrderDeliveryCancelled(order=after.order, cancelled=cancelled)
    ]
    actor = _order_actor(cmd.actor, o.buyer_id)
    for contract in on_day:
        if contract.state in CANCELLABLE and _on(contract, cmd.day, DeliveryState.SCHEDULED):
            change = release_day(contract, actor, now, cmd.day, cancelled.reason)
            happened += contracts.record_change(uow, ctx, change, events.ContractDeliveryCancelled)
    return Result(happened, after)


def _contracts_on(uow: UnitOfWork, order_id: str, day: date) -> list[Contract]:
    """The contracts of an order with a delivery (in any state) on ``day``."""
    out: list[Contract] = []
    where = ContractFilter(order_id=order_id, limit=1000)
    offset = 0
    while True:
        page = uow.contracts.list(replace(where, offset=offset))
        out += [c for c in page if any(d.day == day for d in c.deliveries)]
        if len(page) < where.limit:
            return out
        offset += where.limit


def _on(contract: Contract, day: date, state: DeliveryState) -> bool:
    """Whether the contract's delivery of ``day`` is in ``state``."""
    return any(d.day == day and d.state is state for d in contract.deliveries)


def _order_actor(text: str, buyer_id: str) -> Actor:
    """Who changes the contracts of a buyer's order: a coordinator as itself, anyone else (the
    kitchen, the API without access control) as the buyer."""
    try:
        actor = Actor.parse(text)
    except DomainError:
        return Actor(Party.BUYER, buyer_id)
    return actor if actor.party is Party.COORDINATOR else Actor(Party.BUYER, buyer_id)


def command_handlers() -> dict[type[commands.Command], Handler]:
    return {
        commands.RegisterGroup: register_group,
        commands.RegisterBuyer: register_buyer,
        commands.SetDaysOff: set_days_off,
        commands.RegisterCertificate: register_certificate,
        commands.RevokeCertificate: revoke_certificate,
        commands.AnnounceSupply: announce_supply,
        commands.WithdrawSupply: withdraw_supply,
        commands.SubmitOrder: submit_order,
        commands.CancelOrder: cancel_order,
        commands.CancelDelivery: cancel_order_delivery,
        commands.RunMatchingRound: run_round,
        commands.AcceptContract: contracts.accept_contract,
        commands.RejectContract: contracts.reject_contract,
        commands.CancelContract: contracts.cancel_contract,
        commands.ConfirmDelivery: contracts.confirm_delivery,
        commands.AmendContract: contracts.amend_contract,
    }
