"""The book: the farmer groups' supply announcements and the buyers' forward orders.

Both are records with a book state, read in the order they arrived together with their
children (a supply's weekly quantities, an order's delivery dates): :class:`_Book` holds what
the two repositories share.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.adapters.db import mapping
from matcher.adapters.db.repositories.queries import chunks, plain
from matcher.adapters.db.tables import (
    OrderDeliveryCancellationRow,
    OrderDeliveryRow,
    OrderRow,
    SupplyRow,
    SupplyWeekRow,
)
from matcher.domain.contracts import BookState, CancelledDelivery, OrderRecord, SupplyRecord
from matcher.domain.errors import NotFound

_RecordT = TypeVar("_RecordT")
_RowT = TypeVar("_RowT", bound=SupplyRow | OrderRow)
_ChildT = TypeVar("_ChildT")


class _Book(ABC, Generic[_RecordT, _RowT, _ChildT]):
    """What the supply and order repositories share: ``_table`` holds the records, ``_kind``
    names one in :class:`NotFound`."""

    _table: type[_RowT]
    _kind: ClassVar[str]

    def __init__(self, session: Session) -> None:
        self.session = session
        self.absent: set[str] = set()
        """Ids :meth:`prefetch` found missing in this transaction (the unit of work forgets
        them when the transaction ends); ``get`` answers None for them without a query."""

    def prefetch(self, ids: Collection[str]) -> None:
        """Reads the records ``ids`` at once: a ``get`` of one of them in this transaction
        needs no query of its own (a missing one is remembered as missing)."""
        found: set[str] = set()
        for chunk in chunks(sorted(set(ids))):
            query = select(self._table).where(self._table.id.in_(chunk))
            found.update(row.id for row in self.session.scalars(query))
        self.absent.update(set(ids) - found)

    def _get(self, record_id: str) -> _RowT | None:
        if record_id in self.absent:
            return None
        return self.session.get(self._table, record_id)

    def _set_state(self, record_id: str, state: BookState) -> None:
        row = self.session.get(self._table, record_id)
        if row is None:
            raise NotFound(self._kind, record_id)
        row.state = state.value

    def _read(
        self,
        state: BookState | None,
        owner: tuple[InstrumentedAttribute[str], str | None],
        crop_id: str | None,
    ) -> Sequence[_RecordT]:
        """The records in a state, of an owner (the column and its id) and of a crop, each
        filter left out when ``None``; as plain rows, not ORM objects: the figures and the
        rounds read every open record."""
        table = self._table
        where: list[ColumnElement[bool]] = []
        if state is not None:
            where.append(table.state == state.value)
        column, owner_id = owner
        if owner_id is not None:
            where.append(column == owner_id)
        if crop_id is not None:
            where.append(table.crop_id == crop_id)
        # The records first, then the children of those (by id, not by the filter): a record
        # that changes or arrives between the two reads (read committed) never comes without
        # its children.
        query = (
            select(*table.__table__.columns)
            .where(*where)
            .order_by(table.created_at.asc().nulls_first(), table.id)
        )
        rows = plain(self.session, query).all()
        children: dict[str, list[_ChildT]] = defaultdict(list)
        for chunk in chunks([row.id for row in rows]):
            for record_id, child in self._children(chunk):
                children[record_id].append(child)
        return [self._record(row, children[row.id]) for row in rows]

    @abstractmethod
    def _children(self, ids: Sequence[str]) -> Iterator[tuple[str, _ChildT]]:
        """The children of the records ``ids`` in their order, each with its record's id."""

    @abstractmethod
    def _record(self, row: Row[*tuple[Any, ...]], children: Sequence[_ChildT]) -> _RecordT:
        """The record of a plain row, with its children."""


class SqlSupplyRepository(_Book[SupplyRecord, SupplyRow, tuple[str, int]]):
    _table = SupplyRow
    _kind = "supply"

    def add(self, record: SupplyRecord) -> None:
        self.absent.discard(record.supply.id)
        self.session.add(mapping.supply_row(record))

    def get(self, supply_id: str) -> SupplyRecord | None:
        row = self._get(supply_id)
        return mapping.supply_of(row) if row is not None else None

    def set_state(self, supply_id: str, state: BookState) -> None:
        self._set_state(supply_id, state)

    def list(
        self,
        *,
        state: BookState | None = None,
        group_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[SupplyRecord]:
        return self._read(state, (SupplyRow.group_id, group_id), crop_id)

    def _children(self, ids: Sequence[str]) -> Iterator[tuple[str, tuple[str, int]]]:
        query = select(SupplyWeekRow.supply_id, SupplyWeekRow.week, SupplyWeekRow.quantity)
        query = query.where(SupplyWeekRow.supply_id.in_(ids)).order_by(SupplyWeekRow.week)
        for supply_id, week, quantity in plain(self.session, query):
            yield supply_id, (week, quantity)

    def _record(
        self, row: Row[*tuple[Any, ...]], children: Sequence[tuple[str, int]]
    ) -> SupplyRecord:
        return mapping.supply_from(row, dict(children))


class SqlOrderRepository(_Book[OrderRecord, OrderRow, date]):
    _table = OrderRow
    _kind = "order"

    def add(self, record: OrderRecord) -> None:
        self.absent.discard(record.order.id)
        self.session.add(mapping.order_row(record))

    def get(self, order_id: str) -> OrderRecord | None:
        row = self._get(order_id)
        return mapping.order_of(row) if row is not None else None

    def set_state(self, order_id: str, state: BookState) -> None:
        self._set_state(order_id, state)

    def cancel_delivery(self, order_id: str, cancelled: CancelledDelivery) -> None:
        """The date leaves the order's deliveries (its demand) and is kept as cancelled."""
        row = self.session.get(OrderRow, order_id)
        if row is None:
            raise NotFound("order", order_id)
        delivery = next((d for d in row.deliveries if d.day == cancelled.day), None)
        if delivery is None:
            raise NotFound("order delivery", f"{order_id} {cancelled.day.isoformat()}")
        row.deliveries.remove(delivery)  # delete-orphan: the row goes
        row.cancelled.append(mapping.cancelled_row(order_id, cancelled))

    def list(
        self,
        *,
        state: BookState | None = None,
        buyer_id: str | None = None,
        crop_id: str | None = None,
    ) -> Sequence[OrderRecord]:
        records = self._read(state, (OrderRow.buyer_id, buyer_id), crop_id)
        return self._with_cancelled(records)

    def _with_cancelled(self, records: Sequence[OrderRecord]) -> Sequence[OrderRecord]:
        """``records`` with their cancelled dates (one query per chunk of ids)."""
        found: dict[str, list[CancelledDelivery]] = defaultdict(list)
        for chunk in chunks([r.order.id for r in records]):
            query = select(*OrderDeliveryCancellationRow.__table__.columns)
            query = query.where(OrderDeliveryCancellationRow.order_id.in_(chunk))
            for row in plain(self.session, query.order_by(OrderDeliveryCancellationRow.day)):
                found[row.order_id].append(mapping.cancelled_of(row))
        if not found:
            return records
        return [replace(r, cancelled=tuple(found.get(r.order.id, ()))) for r in records]

    def _children(self, ids: Sequence[str]) -> Iterator[tuple[str, date]]:
        query = select(OrderDeliveryRow.order_id, OrderDeliveryRow.day)
        query = query.where(OrderDeliveryRow.order_id.in_(ids)).order_by(OrderDeliveryRow.day)
        yield from plain(self.session, query)

    def _record(self, row: Row[*tuple[Any, ...]], children: Sequence[date]) -> OrderRecord:
        return mapping.order_from(row, tuple(children))
