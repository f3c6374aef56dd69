"""Refusal reasons: why a kitchen refused part of a delivery.

``contract_deliveries`` gains ``refusal_reason`` (not_fresh, residue_test_failed, wrong_size,
late or other; set when ``refused`` > 0) and ``refusal_note`` (the kitchen's own words with the
reason other, at most 200 characters). Deliveries confirmed before have neither.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch operations: on SQLite a column is dropped by rebuilding the table; on PostgreSQL
    # they are plain ALTER TABLE statements.
    with op.batch_alter_table("contract_deliveries") as batch:
        batch.add_column(sa.Column("refusal_reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("refusal_note", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contract_deliveries") as batch:
        batch.drop_column("refusal_note")
        batch.drop_column("refusal_reason")
