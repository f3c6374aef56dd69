"""Road distances: a coordinator's measured road km for a (farmer group, buyer) pair.

``road_distances``: one row per pair, with the km, where the figure came from (at most 200
characters) and when it was set. These override the province road model for the pair; a matching
instance's own table still wins over both. Before this revision no pair had a measured figure.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "road_distances",
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("km", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("km >= 0", name=op.f("ck_road_distances_km_not_negative")),
        sa.PrimaryKeyConstraint("group_id", "buyer_id", name=op.f("pk_road_distances")),
    )


def downgrade() -> None:
    op.drop_table("road_distances")
