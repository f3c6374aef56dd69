"""API keys: their roles and participants, and secret hashes (never the secrets)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import ApiKeyRow
from matcher.auth import ApiKey, Role


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
