"""The matching round: snapshot the open book, solve outside the transaction, apply with a check.

Rounds are incremental: quantities under live contracts stay fixed; only what is still open is
cleared. If a market (crop) changed while the solver ran, its result is dropped and the round asks
for another one; the other markets' contracts are applied.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    MatchingRound,
    RoundStatus,
    UnfilledLine,
)
from matcher.domain.model import ForwardOrder, SupplyAnnouncement
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Allocation, Solution, SolveStatus
from matcher.optimiser.solve import solve
from matcher.service import codec, commands, events
from matcher.service.context import ServiceContext
from matcher.service.handlers import Result
from matcher.service.ports import ContractFilter, UnitOfWork

# Contracts read at once when collecting the groups already under contract.
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Snapshot:
    instance: MatchingInstance
    versions: dict[str, int]


def take_snapshot(
    uow: UnitOfWork, ctx: ServiceContext, crops: tuple[str, ...], today: date
) -> Snapshot:
    """Read the open book and what is bound by contracts into a matching instance."""
    versions = uow.markets.all()
    wanted = set(crops)
    supply: list[SupplyAnnouncement] = [
        r.supply
        for r in uow.supply.list(state=BookState.OPEN)
        if not wanted or r.supply.crop_id in wanted
    ]
    orders: list[ForwardOrder] = [
        r.order
        for r in uow.orders.list(state=BookState.OPEN)
        if not wanted or r.order.crop_id in wanted
    ]
    bound_demand = uow.contracts.bound_demand()
    bound_supply = uow.contracts.bound_supply()
    first_day = today + timedelta(days=ctx.lead_days)
    open_demand = {
        (o.id, d): o.quantity - bound_demand.get((o.id, d), 0)
        for o in orders
        for d in o.deliveries
        if d >= first_day
    }
    open_supply = {
        (s.id, w): q - bound_supply.get((s.id, w), 0)
        for s in supply
        for w, q in s.quantities.items()
    }
    instance = MatchingInstance(
        name="round",
        crops=ctx.crops,
        standards=ctx.standards,
        groups={g.id: g for g in uow.groups.list()},
        buyers={b.id: b for b in uow.buyers.list()},
        certificates=tuple(uow.certificates.list()),
        supply=tuple(supply),
        orders=tuple(orders),
        parameters=ctx.parameters,
        open_demand=open_demand,
        open_supply=open_supply,
        committed=committed_groups(uow, {o.id for o in orders}),
    )
    return Snapshot(instance, versions)


def committed_groups(
    uow: UnitOfWork, order_ids: set[str]
) -> dict[tuple[str, date], frozenset[str]]:
    """Groups under a live (not released) contract per (order, delivery date), for ``order_ids``.

    Every delivery of those orders counts, past ones too: a group that already supplies an
    order is its supplier for the supplier limit and for continuity.
    """
    found: dict[tuple[str, date], set[str]] = defaultdict(set)
    if not order_ids:
        return {}
    for state in sorted(set(ContractState) - RELEASED_STATES):
        offset = 0
        while True:
            page = uow.contracts.list(ContractFilter(state=state, limit=_PAGE, offset=offset))
            for contract in page:
                if contract.order_id in order_ids:
                    for d in contract.deliveries:
                        found[(contract.order_id, d.day)].add(contract.group_id)
            if len(page) < _PAGE:
                break
            offset += _PAGE
    return {key: frozenset(groups) for key, groups in found.items()}


def contracts_from(
    allocations: list[Allocation],
    instance: MatchingInstance,
    round_id: str,
    at: datetime,
) -> list[Contract]:
    """One contract per (order, supply): the allocations become its delivery schedule."""
    grouped: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for a in allocations:
        grouped[(a.order_id, a.supply_id)].append(a)
    supplies = {s.id: s for s in instance.supply}
    orders = {o.id: o for o in instance.orders}
    out: list[Contract] = []
    for n, ((order_id, supply_id), parts) in enumerate(sorted(grouped.items()), 1):
        order, supply = orders[order_id], supplies[supply_id]
        out.append(
            Contract(
                id=f"{round_id}-{n:04d}",
                round_id=round_id,
                order_id=order_id,
                buyer_id=order.buyer_id,
                group_id=supply.group_id,
                supply_id=supply_id,
                crop_id=order.crop_id,
                scheme=supply.scheme,
                min_tier=order.min_tier,
                unit_price=parts[0].unit_price,
                pricing_policy=instance.parameters.pricing_policy.value,
                deliveries=tuple(
                    ContractDelivery(a.day, a.week, a.quantity, a.distance_km)
                    for a in sorted(parts, key=lambda a: a.day)
                ),
                created_at=at,
            )
        )
    return out


def round_id_for(message_id: str) -> str:
    """The id of the round a RunMatchingRound message makes (so a repeat can find it)."""
    return "rnd-" + hashlib.sha256(message_id.encode()).hexdigest()[:16]


def run_round(cmd: commands.RunMatchingRound, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    started = ctx.clock.now()
    snapshot = take_snapshot(uow, ctx, cmd.crops, started.date())
    uow.rollback()  # the solver runs outside any transaction
    solution = solve(snapshot.instance, solver=ctx.solver, parallel=ctx.parallel)
    return apply_round(uow, ctx, cmd, snapshot, solution, started)


def apply_round(
    uow: UnitOfWork,
    ctx: ServiceContext,
    cmd: commands.RunMatchingRound,
    snapshot: Snapshot,
    solution: Solution,
    started: datetime,
) -> Result:
    """Write the round's contracts and record, skipping markets that changed meanwhile."""
    finished = ctx.clock.now()
    round_id = round_id_for(cmd.message_id)
    markets = sorted({o.crop_id for o in snapshot.instance.orders})
    current = uow.markets.lock(markets)
    stale = {c for c in markets if current.get(c, 0) != snapshot.versions.get(c, 0)}
    notes = list(solution.notes)
    if stale:
        notes.append(
            f"changed while solving, cleared in the next round: {', '.join(sorted(stale))}"
        )
    allocations = [a for a in solution.allocations if a.crop_id not in stale]
    contracts = contracts_from(allocations, snapshot.instance, round_id, finished)
    for contract in contracts:
        uow.contracts.add(contract)
    for crop in sorted({c.crop_id for c in contracts}):
        uow.markets.bump(crop)  # a round working from the same snapshot must not apply too
    failed = solution.status is SolveStatus.ERROR
    record = MatchingRound(
        id=round_id,
        trigger=cmd.trigger,
        started_at=started,
        finished_at=finished,
        status=RoundStatus.FAILED if failed else RoundStatus.COMPLETED,
        solver=solution.solver,
        solver_status=solution.status.value,
        summary=solution.summary.to_json() | {"contracts": len(contracts)},
        contract_ids=tuple(c.id for c in contracts),
        unfilled=tuple(
            UnfilledLine(
                u.order_id,
                u.buyer_id,
                u.crop_id,
                u.day,
                u.week,
                u.quantity,
                u.reason.value,
                u.detail,
                u.alternative.to_json() if u.alternative is not None else None,
            )
            for u in solution.unfilled
            if u.crop_id not in stale
        ),
        notes=tuple([solution.message, *notes] if solution.message else notes),
    )
    uow.rounds.add(record)
    happened: list[events.Event] = [
        events.ContractProposed(key=c.crop_id, payload=codec.dump_contract(c)) for c in contracts
    ]
    happened.append(
        events.RoundCompleted(key="rounds", payload=codec.dump_round(record, with_unfilled=False))
    )
    return Result(happened, record, rerun=bool(stale))
