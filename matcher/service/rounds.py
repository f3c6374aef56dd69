"""The matching round: snapshot the open book, solve outside the transaction, apply with a check.

Rounds are incremental: quantities under live contracts stay fixed; only what is still open is
cleared. If a market (crop) changed while the solver ran, its result is dropped and the round asks
for another one; the other markets' contracts are applied.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    MatchingRound,
    RoundStatus,
    UnfilledLine,
)
from matcher.domain.lifecycle import (
    CANCELLABLE,
    TOO_LATE,
    Change,
    answer_due,
    expire,
    proposal_deadline,
    release_from,
    too_late,
)
from matcher.domain.model import Certificate, FarmerGroup, ForwardOrder, SupplyAnnouncement
from matcher.domain.weeks import iso_week
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Allocation, Solution, SolveStatus
from matcher.optimiser.solve import solve
from matcher.service import commands, events
from matcher.service.context import ServiceContext
from matcher.service.contract_handlers import record_change
from matcher.service.ports import ContractFilter, UnitOfWork
from matcher.service.results import Result

log = logging.getLogger(__name__)

# Contracts read at once when collecting the groups already under contract.
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Snapshot:
    instance: MatchingInstance
    versions: dict[str, int]
    pending: tuple[Change, ...] = ()
    removals: dict[str, int] = field(default_factory=dict)
    """Each market's changes other than additions when the book was read (see
    :meth:`~matcher.service.ports.MarketVersions.bump`)."""
    """Expiries and certificate lapses found by the snapshot, written with the round."""
    causes: dict[tuple[str, date], str] = field(default_factory=dict)
    """Why quantity of a delivery is open again (a release), for the contracts that take it."""
    too_late: tuple[UnfilledLine, ...] = ()
    """Open deliveries from today on too close to propose (lead days, proposal cut-off)."""


def live_contracts(uow: UnitOfWork, crops: Sequence[str] = ()) -> list[Contract]:
    """Every contract not released (proposed, accepted, in delivery, completed), of ``crops``
    only when given (each read through the crop's own rows)."""
    out: list[Contract] = []
    for state in sorted(set(ContractState) - RELEASED_STATES):
        for crop in crops or (None,):
            offset = 0
            while True:
                where = ContractFilter(state=state, crop_id=crop, limit=_PAGE, offset=offset)
                page = uow.contracts.list(where)
                out += page
                if len(page) < _PAGE:
                    break
                offset += _PAGE
    return out


def ties_markets(ctx: ServiceContext, groups: Iterable[FarmerGroup]) -> bool:
    """Whether a rule ties markets of different crops together (a group's buyers counted
    across crops): then a round clears every market at once."""
    return ctx.parameters.max_buyers_per_week is not None or any(
        g.max_buyers_per_week is not None for g in groups
    )


def open_book(
    uow: UnitOfWork, crops: Sequence[str]
) -> tuple[list[SupplyAnnouncement], list[ForwardOrder]]:
    """The open supply and orders, of ``crops`` only when given (read crop by crop through
    the book's state-and-crop index), in the order they arrived either way."""
    if not crops:
        supply_records = list(uow.supply.list(state=BookState.OPEN))
        order_records = list(uow.orders.list(state=BookState.OPEN))
    else:
        supply_records = sorted(
            (r for c in crops for r in uow.supply.list(state=BookState.OPEN, crop_id=c)),
            key=lambda r: (_arrival(r.created_at), r.supply.id),
        )
        order_records = sorted(
            (r for c in crops for r in uow.orders.list(state=BookState.OPEN, crop_id=c)),
            key=lambda r: (_arrival(r.created_at), r.order.id),
        )
    return [r.supply for r in supply_records], [r.order for r in order_records]


def _arrival(at: datetime | None) -> tuple[bool, float]:
    """The book's order of arrival: records without a time first, as the full read has it."""
    return (at is not None, at.timestamp() if at is not None else 0.0)


def pending_changes(
    uow: UnitOfWork,
    ctx: ServiceContext,
    now: datetime,
    live: list[Contract],
    certificates: Iterable[Certificate],
) -> list[tuple[Change, type[events.Event]]]:
    """Proposals past their deadline expire; scheduled deliveries whose group no longer holds a
    valid certificate of the contract's scheme for the crop are released from that date.
    ``certificates``: every certificate (the snapshot reads them once, not once per contract)."""
    out: list[tuple[Change, type[events.Event]]] = []
    for contract in uow.contracts.due_proposals(now):
        out.append((expire(contract, now), events.ContractExpired))
    expiring = {c.contract.id for c, _ in out}
    certs: dict[str, list[Certificate]] = defaultdict(list)
    for certificate in certificates:
        certs[certificate.group_id].append(certificate)
    for contract in live:
        if contract.id in expiring or contract.state not in CANCELLABLE:
            continue
        rule = ctx.standards.rules.get(contract.scheme)
        if rule is None or not rule.needs_certificate:
            continue
        held = certs.get(contract.group_id, [])
        crop = ctx.crops.get(contract.crop_id)
        if crop is None:
            continue
        lapsed = [
            d.day
            for d in contract.deliveries
            if d.state is DeliveryState.SCHEDULED
            and not any(
                c.scheme is contract.scheme and c.valid_on(d.day) and c.covers(crop) for c in held
            )
        ]
        if lapsed:
            first = min(lapsed)
            cause = f"{contract.scheme.value} certificate not valid on {first.isoformat()}"
            out.append((release_from(contract, now, first, cause), events.DeliveriesReleased))
    return out


def take_snapshot(
    uow: UnitOfWork,
    ctx: ServiceContext,
    crops: tuple[str, ...],
    today: date,
    now: datetime | None = None,
) -> Snapshot:
    """Read the open book and what is bound by contracts into a matching instance."""
    versions = uow.markets.all()
    removals = uow.markets.removals()
    groups = {g.id: g for g in uow.groups.list()}
    wanted = () if ties_markets(ctx, groups.values()) else tuple(sorted(set(crops)))
    supply, orders = open_book(uow, wanted)
    bound_demand = dict(uow.contracts.bound_demand(wanted))
    bound_supply = dict(uow.contracts.bound_supply(wanted))
    live = live_contracts(uow, wanted)
    at = now or ctx.clock.now()
    certificates = tuple(uow.certificates.list())
    pending = pending_changes(uow, ctx, at, live, certificates)
    order_ids = [o.id for o in orders]
    causes = dict(uow.releases.causes(order_ids)) if order_ids else {}
    for change, _ in pending:
        for r in change.released:
            key = (r.order_id, r.day)
            bound_demand[key] = bound_demand.get(key, 0) - r.demand
            skey = (r.supply_id, r.week)
            bound_supply[skey] = bound_supply.get(skey, 0) - r.supply
            causes[key] = r.cause
    open_demand, late = open_deliveries(orders, bound_demand, ctx, today, at)
    open_supply = {
        (s.id, w): q - bound_supply.get((s.id, w), 0)
        for s in supply
        for w, q in s.quantities.items()
    }
    buyers = {b.id: b for b in uow.buyers.list()}
    instance = MatchingInstance(
        name="round",
        crops=ctx.crops,
        standards=ctx.standards,
        groups=groups,
        buyers=buyers,
        certificates=certificates,
        supply=tuple(supply),
        orders=tuple(orders),
        parameters=ctx.parameters,
        open_demand=open_demand,
        open_supply=open_supply,
        excluded=frozenset(uow.contracts.declined(order_ids)) if order_ids else frozenset(),
        committed=committed_groups(live, {o.id for o in orders}, pending),
        road_distances=road_table(uow, groups, buyers),
        roads=ctx.roads,
    )
    pending_changes_ = tuple(c for c, _ in pending)
    return Snapshot(instance, versions, pending_changes_, removals, causes, late)


def road_table(
    uow: UnitOfWork, groups: Mapping[str, object], buyers: Mapping[str, object]
) -> dict[tuple[str, str], float]:
    """The coordinator's measured road km for the pairs whose group and buyer exist; they
    override the province road model."""
    return {
        (g, b): km
        for (g, b), km in uow.road_distances.table().items()
        if g in groups and b in buyers
    }


def open_deliveries(
    orders: Sequence[ForwardOrder],
    bound_demand: dict[tuple[str, date], int],
    ctx: ServiceContext,
    today: date,
    at: datetime,
) -> tuple[dict[tuple[str, date], int], tuple[UnfilledLine, ...]]:
    """The quantity a round may propose per (order, delivery date), and the open deliveries
    from ``today`` on that are too close to propose: sooner than the lead days, or whose answer
    would be due ``proposal_cutoff`` before the day, already at ``at`` (reason ``too_late``)."""
    first_day = today + timedelta(days=ctx.lead_days)
    hours = ctx.proposal_cutoff.total_seconds() / 3600
    open_demand: dict[tuple[str, date], int] = {}
    late: list[UnfilledLine] = []
    for o in orders:
        for d in o.deliveries:
            if d < today:
                continue
            left = o.quantity - bound_demand.get((o.id, d), 0)
            if d < first_day:
                detail = f"delivery on {d.isoformat()} is sooner than {ctx.lead_days} lead days"
            elif too_late(d, at, ctx.proposal_cutoff):
                due = answer_due(d, ctx.proposal_cutoff).isoformat()
                detail = (
                    f"delivery on {d.isoformat()} is too close to propose: a group's answer "
                    f"would be due {hours:g} h before it, by {due}"
                )
            else:
                open_demand[(o.id, d)] = left
                continue
            if left > 0:
                line = UnfilledLine(
                    o.id, o.buyer_id, o.crop_id, d, iso_week(d), left, TOO_LATE, detail
                )
                late.append(line)
    return open_demand, tuple(late)


def committed_groups(
    live: list[Contract],
    order_ids: set[str],
    pending: Sequence[tuple[Change, type[events.Event]]] = (),
) -> dict[tuple[str, date], frozenset[str]]:
    """Groups under a live (not released) contract per (order, delivery date), for ``order_ids``.

    Every delivery still held counts, past ones too: a group that already supplies an order is
    its supplier for the supplier limit and for continuity. Deliveries the snapshot releases
    (``pending``) do not count.
    """
    found: dict[tuple[str, date], set[str]] = defaultdict(set)
    if not order_ids:
        return {}
    gone = {(r.contract_id, r.day) for change, _ in pending for r in change.released}
    for contract in live:
        if contract.order_id in order_ids:
            for d in contract.deliveries:
                if d.state is not DeliveryState.RELEASED and (contract.id, d.day) not in gone:
                    found[(contract.order_id, d.day)].add(contract.group_id)
    return {key: frozenset(groups) for key, groups in found.items()}


def contracts_from(
    allocations: list[Allocation],
    instance: MatchingInstance,
    round_id: str,
    at: datetime,
    *,
    ttl: timedelta | None = None,
    cutoff: timedelta = timedelta(0),
    causes: dict[tuple[str, date], str] | None = None,
) -> list[Contract]:
    """One contract per (order, supply): the allocations become its delivery schedule.

    With a ``ttl`` a proposal expires ``ttl`` after ``at``, but at the latest ``cutoff`` before
    its first delivery."""
    grouped: dict[tuple[str, str], list[Allocation]] = defaultdict(list)
    for a in allocations:
        grouped[(a.order_id, a.supply_id)].append(a)
    supplies = {s.id: s for s in instance.supply}
    orders = {o.id: o for o in instance.orders}
    out: list[Contract] = []
    for n, ((order_id, supply_id), parts) in enumerate(sorted(grouped.items()), 1):
        order, supply = orders[order_id], supplies[supply_id]
        why = sorted({(causes or {}).get((order_id, a.day), "") for a in parts} - {""})
        first = min(a.day for a in parts)
        expires_at = (
            proposal_deadline(made_at=at, first_day=first, ttl=ttl, cutoff=cutoff)
            if ttl is not None
            else None
        )
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
                proposal_expires_at=expires_at,
                reason=("re-matched: " + "; ".join(why) if why else "matched in a clearing round"),
            )
        )
    return out


def round_id_for(message_id: str) -> str:
    """The id of the round a RunMatchingRound message makes (so a repeat can find it)."""
    return "rnd-" + hashlib.sha256(message_id.encode()).hexdigest()[:16]


def run_round(cmd: commands.RunMatchingRound, uow: UnitOfWork, ctx: ServiceContext) -> Result:
    started = ctx.clock.now()
    began = time.perf_counter()
    snapshot = take_snapshot(uow, ctx, cmd.crops, started.date(), started)
    uow.rollback()  # the solver runs outside any transaction
    read = time.perf_counter()
    log.info(
        "round %s (%s) solving: %d open orders, %d supply announcements",
        round_id_for(cmd.message_id),
        cmd.trigger,
        len(snapshot.instance.orders),
        len(snapshot.instance.supply),
    )
    solution = solve(snapshot.instance, solver=ctx.solver, parallel=ctx.parallel)
    phases = Phases(began, read - began, time.perf_counter() - read)
    return apply_round(uow, ctx, cmd, snapshot, solution, started, phases)


@dataclass(frozen=True, slots=True)
class Phases:
    """When a round began (``time.perf_counter``) and how long it read and solved."""

    began: float
    read_seconds: float
    solve_seconds: float

    def summary(self) -> dict[str, float]:
        """The whole round's time (read, solve and write, until its record is written) and its
        parts, for the round's summary and the round-duration metric."""
        total = time.perf_counter() - self.began
        return {
            "round_seconds": round(total, 4),
            "read_seconds": round(self.read_seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "write_seconds": round(max(0.0, total - self.read_seconds - self.solve_seconds), 4),
        }


def apply_round(
    uow: UnitOfWork,
    ctx: ServiceContext,
    cmd: commands.RunMatchingRound,
    snapshot: Snapshot,
    solution: Solution,
    started: datetime,
    phases: Phases,
) -> Result:
    """Write the round's contracts and record, skipping markets that changed meanwhile."""
    solved = ctx.clock.now()
    round_id = round_id_for(cmd.message_id)
    markets = sorted({o.crop_id for o in snapshot.instance.orders})
    current = uow.markets.lock(markets)
    removed = uow.markets.removals()  # read under the lock
    # A market that lost or changed something while the round solved drops its result; one
    # that only gained orders or supply keeps it for the part of the book the round saw, and
    # the next round takes the new arrivals.
    stale = {c for c in markets if removed.get(c, 0) != snapshot.removals.get(c, 0)}
    grown = {
        c for c in markets if c not in stale and current.get(c, 0) != snapshot.versions.get(c, 0)
    }
    notes = list(solution.notes)
    if stale:
        notes.append(
            f"changed while solving, cleared in the next round: {', '.join(sorted(stale))}"
        )
    if grown:
        notes.append(
            "new orders or supply arrived while solving, cleared in the next round: "
            + ", ".join(sorted(grown))
        )
    happened: list[events.Event] = []
    for change in snapshot.pending:
        stored = uow.contracts.get(change.contract.id)
        if stored is None or stored.history != change.contract.history[:-1]:
            continue  # changed meanwhile: the next round looks again
        kind = (
            events.ContractExpired if change.entry.action == "expire" else events.DeliveriesReleased
        )
        happened += record_change(uow, ctx, change, kind)
    allocations = [a for a in solution.allocations if a.crop_id not in stale]
    contracts = contracts_from(
        allocations,
        snapshot.instance,
        round_id,
        solved,
        ttl=ctx.proposal_ttl,
        cutoff=ctx.proposal_cutoff,
        causes=snapshot.causes,
    )
    for contract in contracts:
        uow.contracts.add(contract)
        for d in contract.deliveries:
            if (contract.order_id, d.day) in snapshot.causes:
                uow.releases.taken_up(contract.order_id, d.day, contract.id)
    for crop in sorted({c.crop_id for c in contracts}):
        uow.markets.bump(crop)  # a round working from the same snapshot must not apply too
    failed = solution.status is SolveStatus.ERROR
    late = tuple(u for u in snapshot.too_late if u.crop_id not in stale)
    record = MatchingRound(
        id=round_id,
        trigger=cmd.trigger,
        started_at=started,
        finished_at=ctx.clock.now(),  # after its contracts are written
        status=RoundStatus.FAILED if failed else RoundStatus.COMPLETED,
        solver=solution.solver,
        solver_status=solution.status.value,
        summary=solution.summary.to_json()
        | phases.summary()
        | {
            "contracts": len(contracts),
            "markets": [m for m in markets if m not in stale],
            "too_late": sum(u.quantity for u in late),
        },
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
        )
        + late,
        notes=tuple([solution.message, *notes] if solution.message else notes),
    )
    uow.rounds.add(record)
    happened += [events.ContractProposed(contract=c) for c in contracts]
    happened.append(events.RoundCompleted(round=record))
    return Result(happened, record, rerun=bool(stale or grown))
