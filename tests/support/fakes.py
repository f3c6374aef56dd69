"""Hand-written fakes of the ports: an in-memory unit of work and a settable clock."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from types import TracebackType
from typing import Any, Self

from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    CancelledDelivery,
    Contract,
    ContractState,
    MatchingRound,
    OrderRecord,
    SupplyRecord,
    UnfilledLine,
    latest_clearings,
)
from matcher.domain.errors import NotFound
from matcher.domain.lifecycle import Release, bound_quantity
from matcher.domain.model import Buyer, Certificate, FarmerGroup, ForwardOrder
from matcher.service import aggregates
from matcher.service.events import Event
from matcher.service.ports import (
    Contact,
    ContractFilter,
    DuplicateMessage,
    Notification,
    NotificationFilter,
    OutboxEntry,
    Rejection,
    RoadDistance,
)


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class LoggedRelease:
    """A row of the fake release log."""

    release: Release
    at: datetime
    taken_up_by: str | None = None


@dataclass
class Store:
    """The committed state that fake units of work share."""

    groups: dict[str, FarmerGroup] = field(default_factory=dict)
    buyers: dict[str, Buyer] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    supply: dict[str, SupplyRecord] = field(default_factory=dict)
    orders: dict[str, OrderRecord] = field(default_factory=dict)
    contracts: dict[str, Contract] = field(default_factory=dict)
    releases: list[LoggedRelease] = field(default_factory=list)
    rounds: dict[str, MatchingRound] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    removals: dict[str, int] = field(default_factory=dict)
    inbox: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    rejections: dict[str, Rejection] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)
    published: set[int] = field(default_factory=set)
    parked: dict[int, str] = field(default_factory=dict)
    road_distances: dict[tuple[str, str], RoadDistance] = field(default_factory=dict)


class FakeRoadDistances:
    def __init__(self, rows: dict[tuple[str, str], RoadDistance]) -> None:
        self.rows = rows

    def list(self, limit: int | None = None, offset: int = 0) -> list[RoadDistance]:
        found = [self.rows[k] for k in sorted(self.rows)]
        return found[offset:] if limit is None else found[offset : offset + limit]

    def table(self) -> dict[tuple[str, str], float]:
        return {key: d.km for key, d in self.rows.items()}

    def put(self, items: Iterable[RoadDistance]) -> int:
        count = 0
        for item in items:
            self.rows[(item.group_id, item.buyer_id)] = item
            count += 1
        return count


class _Table:
    def __init__(self, rows: dict[str, Any]) -> None:
        self.rows = rows

    def add(self, item: Any) -> None:
        key = item.id if hasattr(item, "id") else _record_id(item)
        self.rows[key] = item

    def get(self, key: str) -> Any:
        return self.rows.get(key)


def _record_id(record: Any) -> str:
    """The id of a book record (a supply or order record): its announcement's or order's."""
    inner = getattr(record, "supply", None) or getattr(record, "order", None)
    if inner is None:
        raise TypeError(f"{type(record).__name__} has no id, supply or order")
    return str(inner.id)


class FakeGroups(_Table):
    def list(self) -> Sequence[FarmerGroup]:
        return list(self.rows.values())


class FakeBuyers(FakeGroups):
    def update(self, buyer: Buyer) -> None:
        self.rows[buyer.id] = buyer


class FakeCertificates(_Table):
    def revoke(self, certificate_id: str, revoked_on: date) -> None:
        if certificate_id not in self.rows:
            raise NotFound("certificate", certificate_id)
        self.rows[certificate_id] = replace(self.rows[certificate_id], revoked_on=revoked_on)

    def list(self, group_id: str | None = None) -> Sequence[Certificate]:
        return [c for c in self.rows.values() if group_id is None or c.group_id == group_id]


class FakeSupply(_Table):
    def prefetch(self, ids: Collection[str]) -> None:
        """Nothing to read ahead in memory."""

    def set_state(self, key: str, state: BookState) -> None:
        self.rows[key] = replace(self.rows[key], state=state)

    def list(
        self,
        *,
        state: BookState | None = None,
        group_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[SupplyRecord]:
        return [
            r
            for r in self.rows.values()
            if (state is None or r.state is state)
            and (group_id is None or r.supply.group_id == group_id)
            and (crop_id is None or r.supply.crop_id == crop_id)
        ]


class FakeOrders(FakeSupply):
    def list(  # type: ignore[override]
        self,
        *,
        state: BookState | None = None,
        buyer_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[OrderRecord]:
        return [
            r
            for r in self.rows.values()
            if (state is None or r.state is state)
            and (buyer_id is None or r.order.buyer_id == buyer_id)
            and (crop_id is None or r.order.crop_id == crop_id)
        ]

    def cancel_delivery(self, order_id: str, cancelled: CancelledDelivery) -> None:
        record: OrderRecord = self.rows[order_id]
        days = tuple(d for d in record.order.deliveries if d != cancelled.day)
        self.rows[order_id] = replace(
            record,
            order=replace(record.order, deliveries=days),
            cancelled=tuple(sorted((*record.cancelled, cancelled), key=lambda c: c.day)),
        )


class FakeContracts(_Table):
    def list(self, where: ContractFilter) -> Sequence[Contract]:
        found = [
            c
            for c in self.rows.values()
            if all(
                wanted is None or getattr(c, name) == wanted
                for name, wanted in (
                    ("buyer_id", where.buyer_id),
                    ("group_id", where.group_id),
                    ("crop_id", where.crop_id),
                    ("state", where.state),
                    ("order_id", where.order_id),
                    ("round_id", where.round_id),
                )
            )
            and (where.week is None or any(d.week == where.week for d in c.deliveries))
        ]
        return found[where.offset : where.offset + where.limit]

    def count(self, where: ContractFilter) -> int:
        return len(self.list(replace(where, limit=10**9, offset=0)))

    def update(self, contract: Contract) -> None:
        """Like the SQL repository: stored history never changes, later entries are appended."""
        stored = self.rows.get(contract.id)
        if stored is None:
            raise NotFound("contract", contract.id)
        history = (*stored.history, *contract.history[len(stored.history) :])
        deliveries = tuple(sorted(contract.deliveries, key=lambda d: d.day))
        self.rows[contract.id] = replace(contract, deliveries=deliveries, history=history)

    def bound_demand(self, crops: Sequence[str] = ()) -> dict[tuple[str, date], int]:
        out: dict[tuple[str, date], int] = defaultdict(int)
        for c in self.rows.values():
            if crops and c.crop_id not in crops:
                continue
            gone = c.state in RELEASED_STATES
            for d in c.deliveries:
                out[(c.order_id, d.day)] += bound_quantity(d, released=gone)[0]
        return {key: total for key, total in out.items() if total}

    def bound_supply(self, crops: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = defaultdict(int)
        for c in self.rows.values():
            if crops and c.crop_id not in crops:
                continue
            gone = c.state in RELEASED_STATES
            for d in c.deliveries:
                out[(c.supply_id, d.week)] += bound_quantity(d, released=gone)[1]
        return {key: total for key, total in out.items() if total}

    def proposed_demand(self) -> dict[tuple[str, date], int]:
        out: dict[tuple[str, date], int] = defaultdict(int)
        for c in self.rows.values():
            if c.state is ContractState.PROPOSED:
                for d in c.deliveries:
                    out[(c.order_id, d.day)] += bound_quantity(d)[0]
        return {key: total for key, total in out.items() if total}

    def proposed_supply(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = defaultdict(int)
        for c in self.rows.values():
            if c.state is ContractState.PROPOSED:
                for d in c.deliveries:
                    out[(c.supply_id, d.week)] += bound_quantity(d)[1]
        return {key: total for key, total in out.items() if total}

    def due_proposals(self, at: datetime) -> Sequence[Contract]:
        due = [
            c
            for c in self.rows.values()
            if c.state is ContractState.PROPOSED
            and c.proposal_expires_at is not None
            and c.proposal_expires_at <= at
        ]
        return sorted(due, key=lambda c: (c.proposal_expires_at or at, c.id))

    def declined(self, order_ids: Sequence[str]) -> set[tuple[str, str]]:
        wanted = set(order_ids)
        return {
            (c.order_id, c.group_id)
            for c in self.rows.values()
            if c.state is ContractState.REJECTED and c.order_id in wanted
        }


class FakeReleases:
    def __init__(self, rows: list[LoggedRelease]) -> None:
        self.rows = rows

    def add(self, release: Release, at: datetime) -> None:
        self.rows.append(LoggedRelease(release, at))

    def causes(self, order_ids: Sequence[str]) -> dict[tuple[str, date], str]:
        wanted = set(order_ids)
        out: dict[tuple[str, date], str] = {}
        # Oldest first (by time, then by the order they were logged): the latest one wins.
        for row in sorted(self.rows, key=lambda r: r.at):
            r = row.release
            if r.order_id in wanted and row.taken_up_by is None:
                out[(r.order_id, r.day)] = r.cause
        return out

    def taken_up(self, order_id: str, day: date, contract_id: str) -> None:
        for row in self.rows:
            r = row.release
            if (r.order_id, r.day) == (order_id, day) and row.taken_up_by is None:
                row.taken_up_by = contract_id


class FakeRounds(_Table):
    def list(
        self, *, limit: int = 50, offset: int = 0, unfilled: bool = True
    ) -> Sequence[MatchingRound]:
        newest = sorted(self.rows.values(), key=lambda r: r.finished_at, reverse=True)
        page = newest[offset : offset + limit]
        return page if unfilled else [replace(r, unfilled=()) for r in page]

    def count(self) -> int:
        return len(self.rows)

    def _newest(self) -> Sequence[MatchingRound]:
        return sorted(self.rows.values(), key=lambda r: (r.started_at, r.id), reverse=True)

    def latest_with_contracts(self) -> MatchingRound | None:
        made = [r for r in self._newest() if r.contract_ids]
        return replace(made[0], unfilled=()) if made else None

    def after(self, record: MatchingRound | None) -> tuple[int, datetime | None]:
        later = [
            r
            for r in self.rows.values()
            if record is None or (r.started_at, r.id) > (record.started_at, record.id)
        ]
        return len(later), max((r.finished_at for r in later), default=None)

    def latest_unfilled(self, crop_ids: Collection[str]) -> Sequence[UnfilledLine]:
        newest = sorted(self.rows.values(), key=lambda r: (r.started_at, r.id), reverse=True)
        chosen = latest_clearings(((r.id, r.summary) for r in newest), crop_ids)
        return [u for r in newest for u in r.unfilled if u.crop_id in chosen.get(r.id, ())]


class FakeFigures:
    """The market in aggregate, added up by :mod:`matcher.service.aggregates` over the store."""

    def __init__(self, work: Store) -> None:
        self.work = work

    def _orders(self) -> list[ForwardOrder]:
        return [r.order for r in self.work.orders.values() if r.state is BookState.OPEN]

    def _bound(self) -> aggregates.Bound:
        return aggregates.bound(self.work.contracts.values())

    def demand_days(self) -> Sequence[aggregates.DemandDay]:
        return aggregates.demand_days(self._orders(), self._bound())

    def ordered_by_buyer(self) -> dict[str, int]:
        return aggregates.ordered_by_buyer(self._orders())

    def supply_cells(self) -> Sequence[aggregates.SupplyCell]:
        open_supply = [r.supply for r in self.work.supply.values() if r.state is BookState.OPEN]
        return aggregates.supply_cells(open_supply, self._bound())

    def held_cells(self) -> Sequence[aggregates.HeldCell]:
        return aggregates.held_cells(self.work.contracts.values())

    def contracts_by_state(self) -> dict[str, int]:
        return aggregates.contracts_by_state(self.work.contracts.values())

    def participants_and_book(self) -> dict[str, int]:
        return {
            "groups": len(self.work.groups),
            "buyers": len(self.work.buyers),
            "orders_open": len(self._orders()),
            "supply_open": sum(r.state is BookState.OPEN for r in self.work.supply.values()),
        }

    def unmet_cells(
        self, crop_ids: Collection[str], today: date, buyer_id: str | None = None
    ) -> Sequence[aggregates.UnmetCell]:
        lines = FakeRounds(self.work.rounds).latest_unfilled(crop_ids)
        orders = {o.id: o for o in self._orders()}
        return aggregates.unmet_cells(
            lines, orders, self._bound(), self.work.buyers, today, buyer_id
        )

    def open_demand(self, today: date) -> int:
        days = aggregates.demand_days(self._orders(), self._bound())
        return sum(d.open for d in days if d.day >= today)

    def open_deliveries(
        self, crop_id: str, since: date | None = None
    ) -> Sequence[aggregates.OpenDelivery]:
        orders = FakeOrders(self.work.orders).list(state=BookState.OPEN, crop_id=crop_id)
        return aggregates.open_deliveries(orders, self._bound(), since)

    def free_weeks(self, crop_id: str) -> Sequence[aggregates.FreeWeek]:
        supply = FakeSupply(self.work.supply).list(state=BookState.OPEN, crop_id=crop_id)
        return aggregates.free_weeks(supply, self._bound())


class FakeVersions:
    def __init__(
        self,
        rows: dict[str, int],
        removed: dict[str, int] | None = None,
        bumped: dict[str, bool] | None = None,
    ) -> None:
        self.rows = rows
        self.removed = removed if removed is not None else {}
        self.bumped = bumped if bumped is not None else {}  # in this transaction

    def get(self, crop_id: str) -> int:
        return self.rows.get(crop_id, 0)

    def all(self) -> dict[str, int]:
        return dict(self.rows)

    def removals(self) -> dict[str, int]:
        return {crop: self.removed.get(crop, 0) for crop in self.rows}

    def bump(self, crop_id: str, *, addition: bool = False) -> None:
        before = self.bumped.get(crop_id)
        if before is None:
            self.rows[crop_id] = self.rows.get(crop_id, 0) + 1
        if not addition and not before:
            self.removed[crop_id] = self.removed.get(crop_id, 0) + 1
        self.bumped[crop_id] = (not addition) or bool(before)

    def lock(self, crop_ids: Sequence[str]) -> dict[str, int]:
        return {c: self.rows.get(c, 0) for c in sorted(set(crop_ids))}


class FakeInbox:
    def __init__(
        self,
        rows: dict[str, str],
        rejected: dict[str, Rejection],
        digests: dict[str, str] | None = None,
    ) -> None:
        self.rows = rows
        self.rejected = rejected
        self.bodies = digests if digests is not None else {}

    def reject(self, rejection: Rejection) -> None:
        self.rejected[rejection.message_id] = rejection

    def rejection(self, message_id: str) -> Rejection | None:
        return self.rejected.get(message_id)

    def seen(self, message_id: str) -> bool:
        return message_id in self.rows

    def digest(self, message_id: str) -> str | None:
        if message_id not in self.rows:
            return None
        return self.bodies.get(message_id, "")

    def record(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        if message_id in self.rows:
            raise DuplicateMessage(message_id)
        self.rows[message_id] = kind
        self.bodies[message_id] = digest

    def add(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        self.record(message_id, kind, at, digest)

    def digests(self, message_ids: Collection[str]) -> dict[str, str]:
        return {m: self.bodies.get(m, "") for m in message_ids if m in self.rows}


class FakeOutbox:
    def __init__(
        self, rows: list[OutboxEntry], published: set[int], parked: dict[int, str] | None = None
    ) -> None:
        self.rows = rows
        self.published = published
        self.parked = parked if parked is not None else {}

    def add(self, event: Event, at: datetime) -> None:
        entry = OutboxEntry(len(self.rows) + 1, event.name, event.key, dict(event.payload), at)
        self.rows.append(entry)

    def pending(self, limit: int = 500) -> Sequence[OutboxEntry]:
        return [e for e in self.rows if e.id not in self.published][:limit]

    def mark_published(self, ids: Sequence[int], at: datetime) -> None:
        self.published.update(ids)

    def park(self, entry_id: int, reason: str, at: datetime) -> None:
        self.published.add(entry_id)  # out of the pending events for good
        self.parked[entry_id] = reason

    def history(
        self,
        *,
        event: str | None = None,
        key: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[OutboxEntry]:
        found = [
            e
            for e in reversed(self.rows)
            if (event is None or e.event == event) and (key is None or e.key == key)
        ]
        return found[offset : offset + limit]

    def history_count(self, *, event: str | None = None, key: str | None = None) -> int:
        return len(self.history(event=event, key=key, limit=len(self.rows)))


REPOSITORIES = (
    "groups",
    "buyers",
    "certificates",
    "supply",
    "orders",
    "contracts",
    "releases",
    "rounds",
    "markets",
    "figures",
    "inbox",
    "outbox",
    "road_distances",
)


class FakeUnitOfWork:
    """Works on a private copy of the store; ``commit()`` writes the copy back.

    Like a database session, a new transaction (a fresh copy) starts at the first use of a
    repository after ``commit()`` or ``rollback()``.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.commits = 0
        self._repos: dict[str, Any] | None = None

    def _open(self) -> dict[str, Any]:
        return self._repositories(copy.deepcopy(self.store))

    def _repositories(self, work: Store) -> dict[str, Any]:
        self.work = work
        return {
            "groups": FakeGroups(self.work.groups),
            "buyers": FakeBuyers(self.work.buyers),
            "certificates": FakeCertificates(self.work.certificates),
            "supply": FakeSupply(self.work.supply),
            "orders": FakeOrders(self.work.orders),
            "contracts": FakeContracts(self.work.contracts),
            "releases": FakeReleases(self.work.releases),
            "rounds": FakeRounds(self.work.rounds),
            "markets": FakeVersions(self.work.versions, self.work.removals),
            "figures": FakeFigures(self.work),
            "inbox": FakeInbox(self.work.inbox, self.work.rejections, self.work.digests),
            "outbox": FakeOutbox(self.work.outbox, self.work.published, self.work.parked),
            "road_distances": FakeRoadDistances(self.work.road_distances),
        }

    def __getattr__(self, name: str) -> Any:
        if name not in REPOSITORIES:
            raise AttributeError(name)
        if self._repos is None:
            self._repos = self._open()
        return self._repos[name]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        if self._repos is not None:
            for name in vars(self.store):
                setattr(self.store, name, getattr(self.work, name))
            self.commits += 1
        self._repos = None

    def rollback(self) -> None:
        self._repos = None

    @contextmanager
    def quietly(self) -> Iterator[None]:
        yield

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        if self._repos is None:
            self._repos = self._open()
        kept = copy.deepcopy(self.work)
        moved = dict(self._repos["markets"].bumped)
        try:
            yield
        except BaseException:
            self._repos = self._repositories(kept)
            self._repos["markets"].bumped = moved
            raise


class FakeNotificationStore:
    """Contacts, notifications and the notify cursor in memory (the SQL store's behaviour is
    checked against this one in tests/integration/test_notifications_db.py)."""

    def __init__(self, outbox: list[OutboxEntry] | None = None) -> None:
        self.outbox = outbox if outbox is not None else []
        self.contacts: dict[str, Contact] = {}
        self.rows: dict[str, Notification] = {}
        self.notified: dict[int, datetime] = {}

    def contact(self, participant_id: str) -> Contact | None:
        return self.contacts.get(participant_id)

    def put_contact(self, contact: Contact) -> None:
        if contact.updated_at is None:
            raise ValueError("a stored contact needs updated_at")
        self.contacts[contact.participant_id] = contact

    def unnotified(self, limit: int = 500) -> Sequence[OutboxEntry]:
        return [e for e in self.outbox if e.id not in self.notified][:limit]

    def mark_notified(self, ids: Sequence[int], at: datetime) -> None:
        for outbox_id in ids:
            self.notified.setdefault(outbox_id, at)

    def add(self, notification: Notification) -> bool:
        if notification.id in self.rows:
            return False
        self.rows[notification.id] = notification
        return True

    def get(self, notification_id: str) -> Notification | None:
        return self.rows.get(notification_id)

    def due(self, at: datetime, limit: int = 100) -> Sequence[Notification]:
        due = [
            n
            for n in self.rows.values()
            if n.state == "pending" and n.next_attempt_at is not None and n.next_attempt_at <= at
        ]
        return sorted(due, key=lambda n: (n.next_attempt_at or at, n.created_at))[:limit]

    def update(self, notification: Notification) -> None:
        if notification.id not in self.rows:
            raise KeyError(notification.id)
        self.rows[notification.id] = notification

    def log(
        self, where: NotificationFilter, *, limit: int = 100, offset: int = 0
    ) -> Sequence[Notification]:
        found = [n for n in self.rows.values() if _matches(n, where)]
        found.sort(key=lambda n: n.id)
        found.sort(key=lambda n: n.created_at, reverse=True)
        return found[offset : offset + limit]

    def count(self, where: NotificationFilter) -> int:
        return sum(1 for n in self.rows.values() if _matches(n, where))


def _matches(notification: Notification, where: NotificationFilter) -> bool:
    return all(
        value is None or getattr(notification, name) == value
        for name, value in (
            ("participant_id", where.participant_id),
            ("state", where.state),
            ("kind", where.kind),
            ("channel", where.channel),
        )
    )
