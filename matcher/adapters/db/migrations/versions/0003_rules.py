"""Sourcing rules and structured alternatives: an order's supplier limit, a group's minimum lot
and weekly buyer limit, and the nearest alternative of each unfilled line of a round.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch operations: on SQLite a column is dropped by rebuilding the table; on PostgreSQL
    # they are plain ALTER TABLE statements.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("max_suppliers", sa.Integer(), nullable=True))
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("min_lot", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_buyers_per_week", sa.Integer(), nullable=True))
    with op.batch_alter_table("round_unfilled") as batch:
        batch.add_column(sa.Column("alternative", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("round_unfilled") as batch:
        batch.drop_column("alternative")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("max_buyers_per_week")
        batch.drop_column("min_lot")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("max_suppliers")
