"""The outbox: events stored with the changes that raised them, until they are published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import OutboxRow
from matcher.service.events import Event
from matcher.service.ports import OutboxEntry


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
        return [entry_of(row) for row in self.session.scalars(query)]

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
        return [entry_of(row) for row in self.session.scalars(query)]

    def history_count(self, *, event: str | None = None, key: str | None = None) -> int:
        query = select(func.count()).select_from(OutboxRow)
        if event is not None:
            query = query.where(OutboxRow.event == event)
        if key is not None:
            query = query.where(OutboxRow.key == key)
        return int(self.session.scalar(query) or 0)


def entry_of(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(row.id, row.event, row.key, dict(row.payload), row.created_at)
