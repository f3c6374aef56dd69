"""SQL implementations of the repository ports in :mod:`matcher.service.ports`.

Each repository works inside the session of its unit of work and never commits. Rows are
translated to domain values on the way out (see :mod:`matcher.adapters.db.mapping`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import TypeVarTuple, cast

from sqlalchemy import ColumnElement, Select, Table, case, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from matcher.adapters.db import mapping
from matcher.adapters.db.tables import (
    ApiKeyRow,
    BuyerRow,
    CertificateRow,
    ContractDeliveryRow,
    ContractHistoryRow,
    ContractRow,
    GroupRow,
    InboxRow,
    MarketVersionRow,
    OrderDeliveryRow,
    OrderRow,
    OutboxRow,
    RejectionRow,
    ReleaseRow,
    RoundRow,
    RoundUnfilledRow,
    SupplyRow,
    SupplyWeekRow,
    WebhookDeliveryRow,
    WebhookRow,
)
from matcher.auth import ApiKey, Role
from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    HistoryEntry,
    MatchingRound,
    OrderRecord,
    SupplyRecord,
    UnfilledLine,
    latest_clearings,
)
from matcher.domain.errors import NotFound
from matcher.domain.lifecycle import Release
from matcher.domain.model import Buyer, Certificate, FarmerGroup
from matcher.service.events import Event
from matcher.service.ports import (
    ContractFilter,
    DuplicateMessage,
    OutboxEntry,
    Rejection,
    Webhook,
    WebhookDelivery,
)

_RELEASED = sorted(state.value for state in RELEASED_STATES)


class SqlGroupRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, group: FarmerGroup) -> None:
        self.session.add(mapping.group_row(group))

    def get(self, group_id: str) -> FarmerGroup | None:
        row = self.session.get(GroupRow, group_id)
        return mapping.group_of(row) if row is not None else None

    def list(self) -> Sequence[FarmerGroup]:
        rows = self.session.scalars(select(GroupRow).order_by(GroupRow.id))
        return [mapping.group_of(row) for row in rows]


class SqlBuyerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, buyer: Buyer) -> None:
        self.session.add(mapping.buyer_row(buyer))

    def get(self, buyer_id: str) -> Buyer | None:
        row = self.session.get(BuyerRow, buyer_id)
        return mapping.buyer_of(row) if row is not None else None

    def list(self) -> Sequence[Buyer]:
        rows = self.session.scalars(select(BuyerRow).order_by(BuyerRow.id))
        return [mapping.buyer_of(row) for row in rows]


class SqlCertificateRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, certificate: Certificate) -> None:
        self.session.add(mapping.certificate_row(certificate))

    def revoke(self, certificate_id: str, revoked_on: date) -> None:
        row = self.session.get(CertificateRow, certificate_id)
        if row is None:
            raise NotFound("certificate", certificate_id)
        row.revoked_on = revoked_on

    def get(self, certificate_id: str) -> Certificate | None:
        row = self.session.get(CertificateRow, certificate_id)
        return mapping.certificate_of(row) if row is not None else None

    def list(self, group_id: str | None = None) -> Sequence[Certificate]:
        query = select(CertificateRow).order_by(CertificateRow.id)
        if group_id is not None:
            query = query.where(CertificateRow.group_id == group_id)
        return [mapping.certificate_of(row) for row in self.session.scalars(query)]


class SqlSupplyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: SupplyRecord) -> None:
        self.session.add(mapping.supply_row(record))

    def get(self, supply_id: str) -> SupplyRecord | None:
        row = self.session.get(SupplyRow, supply_id)
        return mapping.supply_of(row) if row is not None else None

    def set_state(self, supply_id: str, state: BookState) -> None:
        row = self.session.get(SupplyRow, supply_id)
        if row is None:
            raise NotFound("supply", supply_id)
        row.state = state.value

    def list(
        self,
        *,
        state: BookState | None = None,
        group_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[SupplyRecord]:
        # Plain rows, not ORM objects: the figures read every open announcement.
        where: list[ColumnElement[bool]] = []
        if state is not None:
            where.append(SupplyRow.state == state.value)
        if group_id is not None:
            where.append(SupplyRow.group_id == group_id)
        if crop_id is not None:
            where.append(SupplyRow.crop_id == crop_id)
        # The announcements first, then the weeks of those (by id, not by the filter): a row
        # that changes or arrives between the two reads (read committed) never comes without
        # its weeks.
        query = (
            select(*SupplyRow.__table__.columns)
            .where(*where)
            .order_by(SupplyRow.created_at.asc().nulls_first(), SupplyRow.id)
        )
        rows = _plain(self.session, query).all()
        weeks: dict[str, dict[str, int]] = defaultdict(dict)
        for chunk in _chunks([row.id for row in rows]):
            query = select(SupplyWeekRow.supply_id, SupplyWeekRow.week, SupplyWeekRow.quantity)
            query = query.where(SupplyWeekRow.supply_id.in_(chunk)).order_by(SupplyWeekRow.week)
            for supply_id, week, quantity in _plain(self.session, query):
                weeks[supply_id][week] = quantity
        return [mapping.supply_from(row, weeks[row.id]) for row in rows]


class SqlOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: OrderRecord) -> None:
        self.session.add(mapping.order_row(record))

    def get(self, order_id: str) -> OrderRecord | None:
        row = self.session.get(OrderRow, order_id)
        return mapping.order_of(row) if row is not None else None

    def set_state(self, order_id: str, state: BookState) -> None:
        row = self.session.get(OrderRow, order_id)
        if row is None:
            raise NotFound("order", order_id)
        row.state = state.value

    def list(
        self,
        *,
        state: BookState | None = None,
        buyer_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[OrderRecord]:
        # Plain rows, not ORM objects: the figures and the rounds read every open order.
        where: list[ColumnElement[bool]] = []
        if state is not None:
            where.append(OrderRow.state == state.value)
        if buyer_id is not None:
            where.append(OrderRow.buyer_id == buyer_id)
        if crop_id is not None:
            where.append(OrderRow.crop_id == crop_id)
        # The orders first, then the dates of those (see SqlSupplyRepository.list).
        query = (
            select(*OrderRow.__table__.columns)
            .where(*where)
            .order_by(OrderRow.created_at.asc().nulls_first(), OrderRow.id)
        )
        rows = _plain(self.session, query).all()
        days: dict[str, list[date]] = defaultdict(list)
        for chunk in _chunks([row.id for row in rows]):
            query = select(OrderDeliveryRow.order_id, OrderDeliveryRow.day)
            query = query.where(OrderDeliveryRow.order_id.in_(chunk)).order_by(OrderDeliveryRow.day)
            for order_id, day in _plain(self.session, query):
                days[order_id].append(day)
        return [mapping.order_from(row, tuple(days[row.id])) for row in rows]


_TOUCHED = "foodmatch.touched_by_contracts"


def _touch(session: Session, contract: Contract) -> None:
    """Name a contract added or changed in ``session``, with its order and supply (what they
    hold is set anew before the commit: ``matcher.adapters.db.held``)."""
    contracts, orders, supplies = session.info.setdefault(_TOUCHED, (set(), set(), set()))
    contracts.add(contract.id)
    orders.add(contract.order_id)
    supplies.add(contract.supply_id)


def touched_by_contracts(session: Session) -> tuple[set[str], set[str], set[str]]:
    """The contracts added or changed in ``session`` since the last call, and their orders and
    supplies."""
    touched: tuple[set[str], set[str], set[str]] = session.info.pop(_TOUCHED, (set(), set(), set()))
    return touched


class SqlContractRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, contract: Contract) -> None:
        self.session.add(mapping.contract_row(contract))
        _touch(self.session, contract)

    def get(self, contract_id: str) -> Contract | None:
        row = self.session.get(ContractRow, contract_id)
        return mapping.contract_of(row) if row is not None else None

    def list(self, where: ContractFilter) -> Sequence[Contract]:
        # Plain rows, not ORM objects: the figures read every live contract.
        page = (
            _filtered(where)
            .with_only_columns(*ContractRow.__table__.columns)
            .order_by(ContractRow.created_at.asc().nulls_first(), ContractRow.id)
            .limit(where.limit)
            .offset(where.offset)
        )
        rows = _plain(self.session, page).all()
        if not rows:
            return []
        # The deliveries and history of the rows read (by id, not by the filter again: a
        # contract that changes between the reads keeps its children).
        deliveries: dict[str, list[ContractDelivery]] = defaultdict(list)
        history: dict[str, list[HistoryEntry]] = defaultdict(list)
        for chunk in _chunks([row.id for row in rows]):
            query = select(*ContractDeliveryRow.__table__.columns)
            query = query.where(ContractDeliveryRow.contract_id.in_(chunk))
            for row in _plain(self.session, query.order_by(ContractDeliveryRow.day)):
                deliveries[row.contract_id].append(mapping.delivery_of(row))
            query = select(*ContractHistoryRow.__table__.columns)
            query = query.where(ContractHistoryRow.contract_id.in_(chunk))
            for row in _plain(self.session, query.order_by(ContractHistoryRow.seq)):
                history[row.contract_id].append(mapping.history_of(row))
        return [
            mapping.contract_from(row, tuple(deliveries[row.id]), tuple(history[row.id]))
            for row in rows
        ]

    def count(self, where: ContractFilter) -> int:
        query = select(func.count()).select_from(_filtered(where).subquery())
        return int(self.session.scalar(query) or 0)

    def update(self, contract: Contract) -> None:
        row = self.session.get(ContractRow, contract.id)
        if row is None:
            raise NotFound("contract", contract.id)
        _touch(self.session, contract)
        row.state = contract.state.value
        row.proposal_expires_at = contract.proposal_expires_at
        # Deliveries are keyed by (contract, day) and an amendment may move a day: rows whose
        # day is still in the contract are rewritten in place, the others are deleted (orphans)
        # and new days inserted. Days are unique within a contract, so no key ever collides.
        by_day = {d.day: d for d in row.deliveries}
        rows = []
        for delivery in sorted(contract.deliveries, key=lambda d: d.day):
            existing = by_day.get(delivery.day)
            if existing is None:
                rows.append(mapping.delivery_row(delivery))
            else:
                mapping.set_delivery(existing, delivery)
                rows.append(existing)
        row.deliveries = rows
        # History only grows: append the entries beyond those stored.
        stored = {h.seq for h in row.history}
        for seq, entry in enumerate(contract.history):
            if seq not in stored:
                row.history.append(mapping.history_row(seq, entry))
        self.session.flush()

    def bound_demand(self) -> dict[tuple[str, date], int]:
        query = (
            select(ContractRow.order_id, ContractDeliveryRow.day, func.sum(BOUND_DEMAND))
            .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .group_by(ContractRow.order_id, ContractDeliveryRow.day)
        )
        return {
            (order, day): int(total) for order, day, total in self.session.execute(query) if total
        }

    def bound_supply(self) -> dict[tuple[str, str], int]:
        query = (
            select(ContractRow.supply_id, ContractDeliveryRow.week, func.sum(BOUND_SUPPLY))
            .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .group_by(ContractRow.supply_id, ContractDeliveryRow.week)
        )
        return {
            (supply, week): int(total)
            for supply, week, total in self.session.execute(query)
            if total
        }

    def proposed_demand(self) -> dict[tuple[str, date], int]:
        query = (
            select(ContractRow.order_id, ContractDeliveryRow.day, func.sum(BOUND_DEMAND))
            .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .where(ContractRow.state == ContractState.PROPOSED.value)
            .group_by(ContractRow.order_id, ContractDeliveryRow.day)
        )
        return {
            (order, day): int(total) for order, day, total in self.session.execute(query) if total
        }

    def proposed_supply(self) -> dict[tuple[str, str], int]:
        query = (
            select(ContractRow.supply_id, ContractDeliveryRow.week, func.sum(BOUND_SUPPLY))
            .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .where(ContractRow.state == ContractState.PROPOSED.value)
            .group_by(ContractRow.supply_id, ContractDeliveryRow.week)
        )
        return {
            (supply, week): int(total)
            for supply, week, total in self.session.execute(query)
            if total
        }

    def due_proposals(self, at: datetime) -> Sequence[Contract]:
        query = (
            select(ContractRow)
            .where(
                ContractRow.state == ContractState.PROPOSED.value,
                ContractRow.proposal_expires_at.is_not(None),
                ContractRow.proposal_expires_at <= at,
            )
            .order_by(ContractRow.proposal_expires_at, ContractRow.id)
        )
        return [mapping.contract_of(row) for row in self.session.scalars(query)]

    def declined(self, order_ids: Sequence[str]) -> set[tuple[str, str]]:
        wanted = sorted(set(order_ids))
        if not wanted:
            return set()
        query = (
            select(ContractRow.order_id, ContractRow.group_id)
            .where(
                ContractRow.state == ContractState.REJECTED.value,
                ContractRow.order_id.in_(wanted),
            )
            .distinct()
        )
        return {(order, group) for order, group in self.session.execute(query)}


def _bound(delivered: ColumnElement[int]) -> ColumnElement[int]:
    """What a delivery still binds (see ``lifecycle.bound_quantity``), as a SQL expression."""
    scheduled = ContractDeliveryRow.state == DeliveryState.SCHEDULED.value
    return case(
        (scheduled & ContractRow.state.not_in(_RELEASED), ContractDeliveryRow.quantity),
        (ContractDeliveryRow.state == DeliveryState.DELIVERED.value, delivered),
        else_=0,
    )


_RECEIVED = func.coalesce(ContractDeliveryRow.received, 0)
BOUND_DEMAND = _bound(_RECEIVED)
"""What a contract delivery still holds of its order's delivery that day."""
BOUND_SUPPLY = _bound(func.coalesce(ContractDeliveryRow.quantity, 0))
"""What a contract delivery still holds of its supply's week."""


_Ts = TypeVarTuple("_Ts")
_CHUNK = 5_000
"""Ids per ``IN (...)``: well under SQLite's and psycopg's limits on bound parameters."""


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def _plain(session: Session, query: Select[*_Ts]) -> CursorResult[*_Ts]:
    """The rows of ``query`` as plain tuples, straight from the session's connection (the ORM's
    row handling costs more than the reading where there are many), after a flush as the
    session's own queries do."""
    session.flush()
    return session.connection().execute(query)


def _filtered(where: ContractFilter) -> Select[ContractRow]:
    query = select(ContractRow)
    for column, value in (
        (ContractRow.buyer_id, where.buyer_id),
        (ContractRow.group_id, where.group_id),
        (ContractRow.crop_id, where.crop_id),
        (ContractRow.order_id, where.order_id),
        (ContractRow.round_id, where.round_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if where.state is not None:
        query = query.where(ContractRow.state == where.state.value)
    if where.week is not None:
        query = query.where(
            exists().where(
                ContractDeliveryRow.contract_id == ContractRow.id,
                ContractDeliveryRow.week == where.week,
            )
        )
    return query


class SqlReleaseLog:
    """Released quantities per (order, delivery date), until a new contract takes them up."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, release: Release, at: datetime) -> None:
        self.session.add(
            ReleaseRow(
                contract_id=release.contract_id,
                order_id=release.order_id,
                day=release.day,
                supply_id=release.supply_id,
                week=release.week,
                demand=release.demand,
                supply=release.supply,
                cause=release.cause,
                at=at,
                taken_up_by=None,
            )
        )

    def causes(self, order_ids: Sequence[str]) -> dict[tuple[str, date], str]:
        wanted = sorted(set(order_ids))
        if not wanted:
            return {}
        self.session.flush()
        query = (
            select(ReleaseRow.order_id, ReleaseRow.day, ReleaseRow.cause)
            .where(ReleaseRow.order_id.in_(wanted), ReleaseRow.taken_up_by.is_(None))
            .order_by(ReleaseRow.at, ReleaseRow.id)
        )
        # Oldest first: the latest release of each delivery is the one left in the dict.
        return {(order, day): cause for order, day, cause in self.session.execute(query)}

    def taken_up(self, order_id: str, day: date, contract_id: str) -> None:
        self.session.flush()
        self.session.execute(
            update(ReleaseRow)
            .where(
                ReleaseRow.order_id == order_id,
                ReleaseRow.day == day,
                ReleaseRow.taken_up_by.is_(None),
            )
            .values(taken_up_by=contract_id)
        )


class SqlRoundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: MatchingRound) -> None:
        self.session.add(mapping.round_row(record))

    def get(self, round_id: str) -> MatchingRound | None:
        row = self.session.get(RoundRow, round_id)
        return mapping.round_of(row) if row is not None else None

    def list(
        self, *, limit: int = 50, offset: int = 0, unfilled: bool = True
    ) -> Sequence[MatchingRound]:
        query = (
            select(RoundRow)
            .order_by(RoundRow.started_at.desc(), RoundRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if not unfilled:
            query = query.options(lazyload(RoundRow.unfilled))  # and never touched: not read
        rows = self.session.scalars(query)
        return [mapping.round_of(row, with_unfilled=unfilled) for row in rows]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(RoundRow)) or 0)

    def latest_with_contracts(self) -> MatchingRound | None:
        made = exists().where(ContractRow.round_id == RoundRow.id)
        query = (
            select(RoundRow)
            .where(made)
            .order_by(RoundRow.started_at.desc(), RoundRow.id.desc())
            .limit(1)
            .options(lazyload(RoundRow.unfilled))
        )
        row = self.session.scalars(query).first()
        return mapping.round_of(row, with_unfilled=False) if row is not None else None

    def after(self, record: MatchingRound | None) -> tuple[int, datetime | None]:
        query = select(func.count(), func.max(RoundRow.finished_at))
        if record is not None:
            query = query.where(
                (RoundRow.started_at > record.started_at)
                | ((RoundRow.started_at == record.started_at) & (RoundRow.id > record.id))
            )
        count, newest = self.session.execute(query).one()
        return int(count or 0), newest

    def latest_unfilled(self, crop_ids: Collection[str]) -> Sequence[UnfilledLine]:
        heads = self.session.execute(
            select(RoundRow.id, RoundRow.summary).order_by(
                RoundRow.started_at.desc(), RoundRow.id.desc()
            )
        )
        out: list[UnfilledLine] = []
        for round_id, crops in latest_clearings(((r[0], r[1]) for r in heads), crop_ids).items():
            query = (
                select(*RoundUnfilledRow.__table__.columns)  # plain rows: many lines
                .where(
                    RoundUnfilledRow.round_id == round_id,
                    RoundUnfilledRow.crop_id.in_(sorted(crops)),
                )
                .order_by(RoundUnfilledRow.line)
            )
            out += [mapping.unfilled_of(row) for row in _plain(self.session, query)]
        return out


class SqlMarketVersions:
    """Version counters per market (crop), bumped atomically with an upsert."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, crop_id: str) -> int:
        query = select(MarketVersionRow.version).where(MarketVersionRow.crop_id == crop_id)
        version = self.session.scalar(query)
        return int(version) if version is not None else 0

    def all(self) -> dict[str, int]:
        query = select(MarketVersionRow.crop_id, MarketVersionRow.version)
        return {crop: int(version) for crop, version in self.session.execute(query)}

    def bump(self, crop_id: str) -> int:
        table = cast(Table, MarketVersionRow.__table__)
        dialect = self.session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(table)
                .values(crop_id=crop_id, version=1)
                .on_conflict_do_update(
                    index_elements=[table.c.crop_id],
                    set_={"version": table.c.version + 1},
                )
                .returning(table.c.version)
            )
            return int(self.session.execute(statement).scalar_one())
        changed = self.session.execute(
            update(table)
            .where(table.c.crop_id == crop_id)
            .values(version=table.c.version + 1)
            .returning(table.c.version)
        ).scalar_one_or_none()
        if changed is not None:
            return int(changed)
        self.session.add(MarketVersionRow(crop_id=crop_id, version=1))
        self.session.flush()
        return 1

    def lock(self, crop_ids: Sequence[str]) -> dict[str, int]:
        """Versions of ``crop_ids``, rows locked (FOR UPDATE on PostgreSQL) in crop order.

        Missing rows are created at version 0 first so that every market can be locked; on
        SQLite the unit of work already holds the database's write lock.
        """
        wanted = sorted(set(crop_ids))
        if not wanted:
            return {}
        present = set(
            self.session.scalars(
                select(MarketVersionRow.crop_id).where(MarketVersionRow.crop_id.in_(wanted))
            )
        )
        for crop_id in wanted:
            if crop_id not in present:
                self.session.add(MarketVersionRow(crop_id=crop_id, version=0))
        self.session.flush()
        query = (
            select(MarketVersionRow.crop_id, MarketVersionRow.version)
            .where(MarketVersionRow.crop_id.in_(wanted))
            .order_by(MarketVersionRow.crop_id)
            .with_for_update()
        )
        return {crop: int(version) for crop, version in self.session.execute(query)}


class SqlInbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def seen(self, message_id: str) -> bool:
        query = select(exists().where(InboxRow.message_id == message_id))
        return bool(self.session.scalar(query))

    def reject(self, rejection: Rejection) -> None:
        row = self.session.get(RejectionRow, rejection.message_id)
        if row is None:
            row = RejectionRow(message_id=rejection.message_id)
            self.session.add(row)
        row.kind = rejection.kind
        row.error = rejection.error[:64]
        row.field = rejection.field
        row.reason = rejection.reason
        row.rejected_at = rejection.at
        self.session.flush()

    def rejection(self, message_id: str) -> Rejection | None:
        row = self.session.get(RejectionRow, message_id)
        if row is None:
            return None
        return Rejection(
            row.message_id, row.kind, row.error, row.field, row.reason, row.rejected_at
        )

    def digest(self, message_id: str) -> str | None:
        query = select(InboxRow.message_id, InboxRow.body_digest).where(
            InboxRow.message_id == message_id
        )
        row = self.session.execute(query).first()
        return None if row is None else (row.body_digest or "")

    def record(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        """Record a handled message; a duplicate id raises ``DuplicateMessage`` right here."""
        self.session.add(
            InboxRow(message_id=message_id, kind=kind, handled_at=at, body_digest=digest or None)
        )
        try:
            self.session.flush()
        except IntegrityError as err:
            raise DuplicateMessage(message_id) from err


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: Event, at: datetime) -> None:
        self.session.add(
            OutboxRow(event=event.name, key=event.key, payload=dict(event.payload), created_at=at)
        )

    def pending(self, limit: int = 500) -> Sequence[OutboxEntry]:
        query = (
            select(OutboxRow)
            .where(OutboxRow.published_at.is_(None), OutboxRow.parked_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return [_entry_of(row) for row in self.session.scalars(query)]

    def park(self, entry_id: int, reason: str, at: datetime) -> None:
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == entry_id, OutboxRow.published_at.is_(None))
            .values(parked_at=at, parked_reason=reason)
        )

    def mark_published(self, ids: Sequence[int], at: datetime) -> None:
        if not ids:
            return
        self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(ids)), OutboxRow.published_at.is_(None))
            .values(published_at=at)
        )

    def history(
        self,
        *,
        event: str | None = None,
        key: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[OutboxEntry]:
        query = select(OutboxRow)
        if event is not None:
            query = query.where(OutboxRow.event == event)
        if key is not None:
            query = query.where(OutboxRow.key == key)
        query = query.order_by(OutboxRow.id.desc()).limit(limit).offset(offset)
        return [_entry_of(row) for row in self.session.scalars(query)]

    def history_count(self, *, event: str | None = None, key: str | None = None) -> int:
        query = select(func.count()).select_from(OutboxRow)
        if event is not None:
            query = query.where(OutboxRow.event == event)
        if key is not None:
            query = query.where(OutboxRow.key == key)
        return int(self.session.scalar(query) or 0)


def _entry_of(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(row.id, row.event, row.key, dict(row.payload), row.created_at)


def _webhook_of(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.participant_id, row.url, row.secret, row.created_at, row.active)


def _delivery_of(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        outbox_id=row.outbox_id,
        event=row.event,
        payload=dict(row.payload),
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        last_status=row.last_status,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


class SqlWebhookStore:
    """Webhooks, their delivery log and the fan-out cursor."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, webhook: Webhook) -> None:
        self.session.add(
            WebhookRow(
                id=webhook.id,
                participant_id=webhook.participant_id,
                url=webhook.url,
                secret=webhook.secret,
                created_at=webhook.created_at,
                active=webhook.active,
            )
        )

    def get(self, webhook_id: str) -> Webhook | None:
        row = self.session.get(WebhookRow, webhook_id)
        return _webhook_of(row) if row is not None and row.active else None

    def list(self, participant_id: str | None = None) -> Sequence[Webhook]:
        query = select(WebhookRow).where(WebhookRow.active.is_(True))
        if participant_id is not None:
            query = query.where(WebhookRow.participant_id == participant_id)
        rows = self.session.scalars(query.order_by(WebhookRow.created_at, WebhookRow.id))
        return [_webhook_of(row) for row in rows]

    def deactivate(self, webhook_id: str) -> bool:
        row = self.session.get(WebhookRow, webhook_id)
        if row is None or not row.active:
            return False
        row.active = False
        return True

    def active_for(self, participant_ids: Sequence[str]) -> Sequence[Webhook]:
        if not participant_ids:
            return []
        query = (
            select(WebhookRow)
            .where(WebhookRow.active.is_(True), WebhookRow.participant_id.in_(participant_ids))
            .order_by(WebhookRow.id)
        )
        return [_webhook_of(row) for row in self.session.scalars(query)]

    def unfanned(self, limit: int = 500) -> Sequence[OutboxEntry]:
        query = (
            select(OutboxRow)
            .where(OutboxRow.fanned_out_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_entry_of(row) for row in self.session.scalars(query)]

    def mark_fanned(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            self.session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(list(ids))).values(fanned_out_at=at)
            )

    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        if self.session.get(WebhookDeliveryRow, delivery.id) is not None:
            return False
        self.session.add(
            WebhookDeliveryRow(
                id=delivery.id,
                webhook_id=delivery.webhook_id,
                outbox_id=delivery.outbox_id,
                event=delivery.event,
                payload=dict(delivery.payload),
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                last_status=delivery.last_status,
                delivered_at=delivery.delivered_at,
                created_at=delivery.created_at,
            )
        )
        self.session.flush()
        return True

    def due(self, at: datetime, limit: int = 100) -> Sequence[WebhookDelivery]:
        query = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.state == "pending",
                WebhookDeliveryRow.next_attempt_at <= at,
            )
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.outbox_id)
            .limit(limit)
        )
        return [_delivery_of(row) for row in self.session.scalars(query)]

    def update_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery.id)
            .values(
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                last_status=delivery.last_status,
                delivered_at=delivery.delivered_at,
            )
        )

    def deliveries(
        self, webhook_id: str, *, limit: int = 100, offset: int = 0
    ) -> Sequence[WebhookDelivery]:
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.webhook_id == webhook_id)
            .order_by(WebhookDeliveryRow.outbox_id.desc(), WebhookDeliveryRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_delivery_of(row) for row in self.session.scalars(query)]

    def count_deliveries(self, webhook_id: str) -> int:
        query = select(func.count()).select_from(WebhookDeliveryRow)
        query = query.where(WebhookDeliveryRow.webhook_id == webhook_id)
        return int(self.session.scalar(query) or 0)

    def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        row = self.session.get(WebhookDeliveryRow, delivery_id)
        return _delivery_of(row) if row is not None else None


class SqlKeyStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(
            ApiKeyRow(
                id=key.id,
                role=key.role.value,
                participant_id=key.participant_id,
                name=key.name,
                secret_hash=key.secret_hash,
                created_at=key.created_at,
                revoked_at=key.revoked_at,
            )
        )

    def get(self, key_id: str) -> ApiKey | None:
        row = self.session.get(ApiKeyRow, key_id)
        return _key_of(row) if row is not None else None

    def list(self, *, include_revoked: bool = False) -> Sequence[ApiKey]:
        query = select(ApiKeyRow)
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        rows = self.session.scalars(query.order_by(ApiKeyRow.created_at, ApiKeyRow.id))
        return [_key_of(row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> bool:
        row = self.session.get(ApiKeyRow, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = at
        return True


def _key_of(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        role=Role(row.role),
        participant_id=row.participant_id,
        name=row.name,
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
