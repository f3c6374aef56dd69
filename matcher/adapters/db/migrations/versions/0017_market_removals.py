"""Market removals: a second counter per market that moves only when its book loses or changes
something a round may have used (an order or supply withdrawn, a contract changed, a round's
own contracts), not when an order or supply is added.

A round whose market moved meanwhile by additions alone keeps what it found for the part of the
book it saw (the new arrivals wait for the next round); one whose market had a removal drops
that market's result, as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "market_versions",
        sa.Column("removals", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    with op.batch_alter_table("market_versions") as table:
        table.drop_column("removals")
