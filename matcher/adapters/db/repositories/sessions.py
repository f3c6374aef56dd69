"""Sign-in links, browser sessions and the sign-in audit log (hashes only, never a secret)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import SignInLinkRow, SignInLogRow, WebSessionRow
from matcher.auth import Role
from matcher.sessions import Purge, SignInEntry, SignInEvent, SignInLink, WebSession


class SqlSignInStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- links ---------------------------------------------------------------------------

    def add_link(self, link: SignInLink) -> None:
        self.session.add(
            SignInLinkRow(
                token_hash=link.token_hash,
                role=link.role.value,
                participant_id=link.participant_id,
                created_at=link.created_at,
                expires_at=link.expires_at,
                created_by=link.created_by,
                used_at=link.used_at,
            )
        )

    def link(self, token_hash: str) -> SignInLink | None:
        row = self.session.get(SignInLinkRow, token_hash)
        if row is None:
            return None
        return SignInLink(
            token_hash=row.token_hash,
            role=Role(row.role),
            participant_id=row.participant_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            created_by=row.created_by,
            used_at=row.used_at,
        )

    def use_link(self, token_hash: str, at: datetime) -> bool:
        """Mark an unused link used; False when it was used already (by this or another
        request: one conditional UPDATE, so two openings at once cannot both win)."""
        result: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(SignInLinkRow)
            .where(SignInLinkRow.token_hash == token_hash, SignInLinkRow.used_at.is_(None))
            .values(used_at=at)
        )
        return result.rowcount == 1

    # --- sessions ------------------------------------------------------------------------

    def add_session(self, web: WebSession) -> None:
        self.session.add(
            WebSessionRow(
                id=web.id,
                secret_hash=web.secret_hash,
                role=web.role.value,
                participant_id=web.participant_id,
                created_at=web.created_at,
                last_seen_at=web.last_seen_at,
                expires_at=web.expires_at,
                revoked_at=web.revoked_at,
                revoked_by=web.revoked_by,
                ended_by=web.ended_by,
            )
        )

    def get_session(self, session_id: str) -> WebSession | None:
        row = self.session.get(WebSessionRow, session_id)
        return _session_of(row) if row is not None else None

    def sessions(
        self, *, participant_id: str | None = None, open_since: datetime | None = None
    ) -> Sequence[WebSession]:
        """Sessions not revoked, newest first; ``open_since``: only those not past their
        absolute end then; ``participant_id``: only that participant's."""
        query = select(WebSessionRow).where(WebSessionRow.revoked_at.is_(None))
        if participant_id is not None:
            query = query.where(WebSessionRow.participant_id == participant_id)
        if open_since is not None:
            query = query.where(WebSessionRow.expires_at > open_since)
        rows = self.session.scalars(
            query.order_by(WebSessionRow.created_at.desc(), WebSessionRow.id)
        )
        return [_session_of(row) for row in rows]

    def touch(self, session_id: str, at: datetime) -> None:
        self.session.execute(
            update(WebSessionRow).where(WebSessionRow.id == session_id).values(last_seen_at=at)
        )

    def end_session(self, session_id: str, at: datetime, by: str, why: SignInEvent) -> bool:
        """Revoke an open session; False when there is none (unknown or revoked already)."""
        row = self.session.get(WebSessionRow, session_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = at
        row.revoked_by = by
        row.ended_by = why.value
        return True

    # --- clearing out ---------------------------------------------------------------------

    def purge(self, purge: Purge) -> tuple[int, int]:
        """Delete the links and sessions ``purge`` says are gone (its rules, as two DELETEs);
        how many of each. The audit log stays."""
        links: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            delete(SignInLinkRow).where(SignInLinkRow.expires_at < purge.before)
        )
        sessions: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            delete(WebSessionRow).where(
                or_(
                    WebSessionRow.revoked_at < purge.before,
                    WebSessionRow.expires_at < purge.before,
                    WebSessionRow.last_seen_at < purge.before - purge.idle,
                )
            )
        )
        return links.rowcount, sessions.rowcount

    # --- the audit log -------------------------------------------------------------------

    def log(self, entry: SignInEntry) -> None:
        self.session.add(
            SignInLogRow(
                at=entry.at,
                event=entry.event.value,
                role=entry.role.value if entry.role else None,
                participant_id=entry.participant_id,
                session_id=entry.session_id,
                actor=entry.actor,
                detail=entry.detail,
            )
        )

    def entries(
        self, *, participant_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[Sequence[SignInEntry], int]:
        """One page of the log, newest first, and how many entries match."""
        query = select(SignInLogRow)
        counted = select(func.count()).select_from(SignInLogRow)
        if participant_id is not None:
            query = query.where(SignInLogRow.participant_id == participant_id)
            counted = counted.where(SignInLogRow.participant_id == participant_id)
        rows = self.session.scalars(
            query.order_by(SignInLogRow.id.desc()).limit(limit).offset(offset)
        )
        total = self.session.scalar(counted) or 0
        return [_entry_of(row) for row in rows], total


def _session_of(row: WebSessionRow) -> WebSession:
    return WebSession(
        id=row.id,
        secret_hash=row.secret_hash,
        role=Role(row.role),
        participant_id=row.participant_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        ended_by=row.ended_by,
    )


def _entry_of(row: SignInLogRow) -> SignInEntry:
    return SignInEntry(
        at=row.at,
        event=SignInEvent(row.event),
        role=Role(row.role) if row.role else None,
        participant_id=row.participant_id,
        session_id=row.session_id,
        actor=row.actor,
        detail=row.detail,
        id=row.id,
    )
