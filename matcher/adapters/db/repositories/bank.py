"""Bank consents: grants and their revocations (rows are never deleted: they are the audit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import BankConsentRow
from matcher.service.bank import BankConsent


class SqlBankConsentStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, consent: BankConsent) -> BankConsent:
        row = BankConsentRow(
            group_id=consent.group_id,
            bank=consent.bank,
            granted_at=consent.granted_at,
            granted_by=consent.granted_by,
            revoked_at=consent.revoked_at,
            revoked_by=consent.revoked_by,
        )
        self.session.add(row)
        self.session.flush()
        return _consent_of(row)

    def revoke(self, consent_id: int, at: datetime, by: str) -> None:
        row = self.session.get(BankConsentRow, consent_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            row.revoked_by = by

    def list(self, *, group_id: str | None = None, active: bool = False) -> Sequence[BankConsent]:
        query = select(BankConsentRow)
        if group_id is not None:
            query = query.where(BankConsentRow.group_id == group_id)
        if active:
            query = query.where(BankConsentRow.revoked_at.is_(None))
        rows = self.session.scalars(query.order_by(BankConsentRow.granted_at, BankConsentRow.id))
        return [_consent_of(row) for row in rows]


def _consent_of(row: BankConsentRow) -> BankConsent:
    return BankConsent(
        group_id=row.group_id,
        bank=row.bank,
        granted_at=row.granted_at,
        granted_by=row.granted_by,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        id=row.id,
    )
