"""Participants' contacts, the notification outbox (the delivery log) and the notify cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from matcher.adapters.db.repositories.outbox import entry_of
from matcher.adapters.db.tables import ContactRow, NotificationRow, OutboxNotifiedRow, OutboxRow
from matcher.service.ports import Contact, Notification, NotificationFilter, OutboxEntry

_FIELDS = (
    "id",
    "key",
    "kind",
    "participant_id",
    "channel",
    "address",
    "language",
    "subject",
    "body",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "sent_at",
    "created_at",
)
_ATTEMPT = ("state", "attempts", "next_attempt_at", "last_error", "sent_at")


def _contact_of(row: ContactRow) -> Contact:
    return Contact(
        participant_id=row.participant_id,
        email=row.email,
        line_user_id=row.line_user_id,
        phone=row.phone,
        language=row.language,
        channels=tuple(row.channels or ()),
        updated_at=row.updated_at,
    )


def _notification_of(row: NotificationRow) -> Notification:
    return Notification(**{name: getattr(row, name) for name in _FIELDS})


def _filtered(query: Select[Any], where: NotificationFilter) -> Select[Any]:
    names = ("participant_id", "state", "kind", "channel")
    for name, value in zip(names, astuple(where), strict=True):
        if value is not None:
            query = query.where(getattr(NotificationRow, name) == value)
    return query


class SqlNotificationStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def contact(self, participant_id: str) -> Contact | None:
        row = self.session.get(ContactRow, participant_id)
        return _contact_of(row) if row is not None else None

    def put_contact(self, contact: Contact) -> None:
        if contact.updated_at is None:
            raise ValueError("a stored contact needs updated_at")
        row = self.session.get(ContactRow, contact.participant_id)
        if row is None:
            row = ContactRow(participant_id=contact.participant_id)
            self.session.add(row)
        row.email = contact.email
        row.line_user_id = contact.line_user_id
        row.phone = contact.phone
        row.language = contact.language
        row.channels = list(contact.channels)
        row.updated_at = contact.updated_at
        self.session.flush()

    def unnotified(self, limit: int = 500) -> Sequence[OutboxEntry]:
        read = exists().where(OutboxNotifiedRow.outbox_id == OutboxRow.id)
        query = (
            select(OutboxRow)
            .where(~read)
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(of=OutboxRow, skip_locked=True)
        )
        return [entry_of(row) for row in self.session.scalars(query)]

    def mark_notified(self, ids: Sequence[int], at: datetime) -> None:
        """Each event of ``ids`` marked as looked at, once (one read of those already marked,
        one write of the others)."""
        wanted = sorted(set(ids))
        if not wanted:
            return
        marked = OutboxNotifiedRow.outbox_id
        query = select(marked).where(marked.in_(wanted))
        done = set(self.session.scalars(query))
        self.session.add_all(
            OutboxNotifiedRow(outbox_id=outbox_id, notified_at=at)
            for outbox_id in wanted
            if outbox_id not in done
        )
        self.session.flush()

    def add(self, notification: Notification) -> bool:
        if self.session.get(NotificationRow, notification.id) is not None:
            return False
        self.session.add(NotificationRow(**{n: getattr(notification, n) for n in _FIELDS}))
        self.session.flush()
        return True

    def get(self, notification_id: str) -> Notification | None:
        row = self.session.get(NotificationRow, notification_id)
        return _notification_of(row) if row is not None else None

    def due(self, at: datetime, limit: int = 100) -> Sequence[Notification]:
        query = (
            select(NotificationRow)
            .where(NotificationRow.state == "pending", NotificationRow.next_attempt_at <= at)
            .order_by(NotificationRow.next_attempt_at, NotificationRow.created_at)
            .limit(limit)
        )
        return [_notification_of(row) for row in self.session.scalars(query)]

    def update(self, notification: Notification) -> None:
        row = self.session.get(NotificationRow, notification.id)
        if row is None:
            raise KeyError(notification.id)
        for name in _ATTEMPT:
            setattr(row, name, getattr(notification, name))
        self.session.flush()

    def log(
        self, where: NotificationFilter, *, limit: int = 100, offset: int = 0
    ) -> Sequence[Notification]:
        query = _filtered(select(NotificationRow), where).order_by(
            NotificationRow.created_at.desc(), NotificationRow.id
        )
        rows = self.session.scalars(query.limit(limit).offset(offset))
        return [_notification_of(row) for row in rows]

    def count(self, where: NotificationFilter) -> int:
        query = _filtered(select(func.count()).select_from(NotificationRow), where)
        return int(self.session.scalar(query) or 0)
