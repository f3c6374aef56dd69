"""The contract lifecycle: delivery states and confirmations, proposal deadlines, each
contract's history, and the log of quantities released from contracts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch operations: on SQLite a column is dropped by rebuilding the table; on PostgreSQL
    # they are plain ALTER TABLE statements. Existing deliveries become 'scheduled'.
    with op.batch_alter_table("contract_deliveries") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=32), nullable=False, server_default="scheduled")
        )
        batch.add_column(sa.Column("received", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("refused", sa.Integer(), nullable=True))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(
            sa.Column("proposal_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "contract_history",
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_history_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "seq", name=op.f("pk_contract_history")),
    )
    op.create_table(
        "releases",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("supply_id", sa.String(), nullable=False),
        sa.Column("week", sa.String(length=32), nullable=False),
        sa.Column("demand", sa.Integer(), nullable=False),
        sa.Column("supply", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_up_by", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_releases")),
    )
    op.create_index("ix_releases_order_id_day", "releases", ["order_id", "day"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("releases")
    op.drop_table("contract_history")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("proposal_expires_at")
    with op.batch_alter_table("contract_deliveries") as batch:
        batch.drop_column("refused")
        batch.drop_column("received")
        batch.drop_column("state")
