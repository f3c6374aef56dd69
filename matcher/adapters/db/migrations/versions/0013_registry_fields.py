"""Registry fields: the central database's details of groups and buyers, and the order's terms.

``groups.details`` and ``buyers.details`` (JSON, null for records from before): sub-district
code and name, farm area in rai, contact person and position, registration number, tax id and
provenance (the agency that supplied the record and the date). ``orders.purchase_order_no``
(the buyer's purchase-order or e-GP number, "" when not given) and
``orders.price_includes_transport`` (true: the groups deliver, as every order before did).
``supply.fda_no``: a processed product's Thai FDA (อย.) registration number ("" when not given).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no batch: SQLite adds a column with a constant default in place, and an
    # offline --sql upgrade can render them).
    for table in ("groups", "buyers"):
        op.add_column(table, sa.Column("details", sa.JSON(), nullable=True))
    op.add_column(
        "supply", sa.Column("fda_no", sa.String(length=50), server_default="", nullable=False)
    )
    op.add_column(
        "orders",
        sa.Column("purchase_order_no", sa.String(length=100), server_default="", nullable=False),
    )
    op.add_column(
        "orders",
        sa.Column(
            "price_includes_transport", sa.Boolean(), server_default=sa.true(), nullable=False
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("price_includes_transport")
        batch.drop_column("purchase_order_no")
    with op.batch_alter_table("supply") as batch:
        batch.drop_column("fda_no")
    for table in ("buyers", "groups"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("details")
