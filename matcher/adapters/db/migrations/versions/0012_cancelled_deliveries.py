"""Cancelled deliveries: a kitchen cancels one future delivery date of its order, with a reason.

``order_delivery_cancellations``: one row per cancelled (order, date), with the kitchen's
reason (at most 500 characters), who cancelled and when. The date's ``order_deliveries`` row is
deleted when it is cancelled, so the date is no longer demand; orders from before have no
cancelled date. A downgrade makes the cancelled dates deliveries again.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_delivery_cancellations",
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_delivery_cancellations_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "day", name=op.f("pk_order_delivery_cancellations")),
    )


def downgrade() -> None:
    # The schema before cannot say that a date was cancelled: the dates become deliveries again.
    op.execute(
        "INSERT INTO order_deliveries (order_id, day, quantity) "
        "SELECT c.order_id, c.day, o.quantity FROM order_delivery_cancellations c "
        "JOIN orders o ON o.id = c.order_id"
    )
    op.drop_table("order_delivery_cancellations")
