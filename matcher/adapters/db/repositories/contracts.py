"""Contracts, with their deliveries and history; and the contracts a session changed, whose
orders and supplies have what they hold set anew before the commit
(:mod:`matcher.adapters.db.held`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.adapters.db import mapping
from matcher.adapters.db.repositories.bound import BOUND_DEMAND, BOUND_SUPPLY
from matcher.adapters.db.repositories.queries import chunks, plain
from matcher.adapters.db.tables import ContractDeliveryRow, ContractHistoryRow, ContractRow
from matcher.domain.contracts import Contract, ContractDelivery, ContractState, HistoryEntry
from matcher.domain.errors import NotFound
from matcher.service.ports import ContractFilter

_TOUCHED = "foodmatch.touched_by_contracts"
_When = TypeVar("_When", date, str)


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
        rows = plain(self.session, page).all()
        if not rows:
            return []
        # The deliveries and history of the rows read (by id, not by the filter again: a
        # contract that changes between the reads keeps its children).
        deliveries: dict[str, list[ContractDelivery]] = defaultdict(list)
        history: dict[str, list[HistoryEntry]] = defaultdict(list)
        for chunk in chunks([row.id for row in rows]):
            query = select(*ContractDeliveryRow.__table__.columns)
            query = query.where(ContractDeliveryRow.contract_id.in_(chunk))
            for row in plain(self.session, query.order_by(ContractDeliveryRow.day)):
                deliveries[row.contract_id].append(mapping.delivery_of(row))
            query = select(*ContractHistoryRow.__table__.columns)
            query = query.where(ContractHistoryRow.contract_id.in_(chunk))
            for row in plain(self.session, query.order_by(ContractHistoryRow.seq)):
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

    def bound_demand(self, crops: Sequence[str] = ()) -> dict[tuple[str, date], int]:
        return self._held(
            ContractRow.order_id, ContractDeliveryRow.day, BOUND_DEMAND, *_of_crops(crops)
        )

    def bound_supply(self, crops: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        return self._held(
            ContractRow.supply_id, ContractDeliveryRow.week, BOUND_SUPPLY, *_of_crops(crops)
        )

    def proposed_demand(self) -> dict[tuple[str, date], int]:
        proposed = ContractRow.state == ContractState.PROPOSED.value
        return self._held(ContractRow.order_id, ContractDeliveryRow.day, BOUND_DEMAND, proposed)

    def proposed_supply(self) -> dict[tuple[str, str], int]:
        proposed = ContractRow.state == ContractState.PROPOSED.value
        return self._held(ContractRow.supply_id, ContractDeliveryRow.week, BOUND_SUPPLY, proposed)

    def _held(
        self,
        held: InstrumentedAttribute[str],
        when: InstrumentedAttribute[_When],
        amount: ColumnElement[int],
        *where: ColumnElement[bool],
    ) -> dict[tuple[str, _When], int]:
        """``amount`` summed over the deliveries of the contracts ``where``, per order or supply
        (``held``) and day or week (``when``); sums of nothing left out."""
        query = (
            select(held, when, func.sum(amount))
            .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .where(*where)
            .group_by(held, when)
        )
        return {(key, at): int(total) for key, at, total in self.session.execute(query) if total}

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


def _of_crops(crops: Sequence[str]) -> list[ColumnElement[bool]]:
    """The contracts of ``crops`` (none given: every contract)."""
    return [ContractRow.crop_id.in_(sorted(set(crops)))] if crops else []


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
