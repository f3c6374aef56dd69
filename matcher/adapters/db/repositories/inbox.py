"""The inbox: messages handled (each once), and the reasons messages were rejected."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matcher.adapters.db.repositories.queries import chunks
from matcher.adapters.db.tables import InboxRow, RejectionRow
from matcher.service.ports import DuplicateMessage, Rejection


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

    def digests(self, message_ids: Collection[str]) -> dict[str, str]:
        """:meth:`digest` of each of ``message_ids`` that was handled, in one read per
        thousand."""
        found: dict[str, str] = {}
        for chunk in chunks(sorted(set(message_ids))):
            query = select(InboxRow.message_id, InboxRow.body_digest)
            for message_id, digest in self.session.execute(
                query.where(InboxRow.message_id.in_(chunk))
            ):
                found[message_id] = digest or ""
        return found

    def add(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        """Record a handled message, written with the transaction (a duplicate id fails the
        commit)."""
        self.session.add(
            InboxRow(message_id=message_id, kind=kind, handled_at=at, body_digest=digest or None)
        )

    def record(self, message_id: str, kind: str, at: datetime, digest: str = "") -> None:
        """Record a handled message; a duplicate id raises ``DuplicateMessage`` right here.
        The transaction's other writes are flushed first, so that an error of theirs (a
        constraint of the database) is not taken for a duplicate."""
        self.session.flush()
        self.session.add(
            InboxRow(message_id=message_id, kind=kind, handled_at=at, body_digest=digest or None)
        )
        try:
            self.session.flush()
        except IntegrityError as err:
            raise DuplicateMessage(message_id) from err
