"""Handlers of the contract lifecycle: a party's command becomes a transition of
:mod:`matcher.domain.lifecycle`, stored with its history entry, its released quantities logged
for re-matching, and an event for every change."""

from __future__ import annotations

from matcher.domain.contracts import Contract, ContractState, DeliveryState
from matcher.domain.errors import Conflict, NotFound
from matcher.domain.lifecycle import Actor, Change, Settled, accept, amend, cancel, reject
from matcher.domain.lifecycle import confirm_delivery as confirm
from matcher.service import commands, events
from matcher.service.context import ServiceContext
from matcher.service.ports import UnitOfWork
from matcher.service.results import Result


def _contract(uow: UnitOfWork, contract_id: str) -> Contract:
    found = uow.contracts.get(contract_id)
    if found is None:
        raise NotFound("contract", contract_id)
    return found


def record_change(
    uow: UnitOfWork, ctx: ServiceContext, change: Change, kind: type[events.ContractChanged]
) -> list[events.Event]:
    """Store ``change``, log what it released and return its events."""
    contract = change.contract
    uow.contracts.update(contract)
    now = ctx.clock.now()
    for released in change.released:
        uow.releases.add(released, now)
    if change.released:
        uow.markets.bump(contract.crop_id)
    happened: list[events.Event] = [kind(change=change)]
    if contract.state is ContractState.COMPLETED and change.entry.from_state != "completed":
        happened.append(events.ContractCompleted(change=change))
    return happened


def accept_contract(cmd: commands.AcceptContract, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    change = accept(_contract(uow, cmd.contract_id), Actor.parse(cmd.actor), ctx.clock.now())
    return Result(record_change(uow, ctx, change, events.ContractAccepted), change.contract)


def reject_contract(cmd: commands.RejectContract, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    contract = _contract(uow, cmd.contract_id)
    change = reject(contract, Actor.parse(cmd.actor), ctx.clock.now(), cmd.reason)
    return Result(record_change(uow, ctx, change, events.ContractRejected), change.contract)


def cancel_contract(cmd: commands.CancelContract, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    contract = _contract(uow, cmd.contract_id)
    change = cancel(contract, Actor.parse(cmd.actor), ctx.clock.now(), cmd.reason)
    return Result(record_change(uow, ctx, change, events.ContractCancelled), change.contract)


def confirm_delivery(cmd: commands.ConfirmDelivery, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    contract = _contract(uow, cmd.contract_id)
    settled = Settled(
        received=cmd.received,
        refused=cmd.refused,
        reason=cmd.refusal_reason,
        note=cmd.refusal_note,
    )
    change = confirm(contract, Actor.parse(cmd.actor), ctx.clock.now(), cmd.day, settled)
    return Result(record_change(uow, ctx, change, events.DeliveryConfirmed), change.contract)


def amend_contract(cmd: commands.AmendContract, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    contract = _contract(uow, cmd.contract_id)
    changes = {day: (new_day, quantity) for day, new_day, quantity in cmd.changes}
    change = amend(
        contract,
        Actor.parse(cmd.actor),
        ctx.clock.now(),
        changes,
        agreed_by=Actor.parse(cmd.agreed_by, "agreed_by"),
        reason=cmd.reason,
    )
    _check_supply_for_increases(uow, contract, change.contract)
    return Result(record_change(uow, ctx, change, events.ContractAmended), change.contract)


def _check_supply_for_increases(uow: UnitOfWork, before: Contract, after: Contract) -> None:
    """A larger quantity must fit in what the group's supply week still has free."""
    old: dict[str, int] = {}
    for d in before.deliveries:
        if d.state is DeliveryState.SCHEDULED:
            old[d.week] = old.get(d.week, 0) + d.quantity
    new: dict[str, int] = {}
    for d in after.deliveries:
        if d.state is DeliveryState.SCHEDULED:
            new[d.week] = new.get(d.week, 0) + d.quantity
    record = uow.supply.get(before.supply_id)
    bound = uow.contracts.bound_supply()
    for week, quantity in new.items():
        extra = quantity - old.get(week, 0)
        if extra <= 0:
            continue
        offered = record.supply.quantities.get(week, 0) if record else 0
        free = offered - bound.get((before.supply_id, week), 0)
        if extra > free:
            raise Conflict(
                f"supply {before.supply_id} has {max(free, 0)} free in week {week}, "
                f"the amendment needs {extra} more"
            )
