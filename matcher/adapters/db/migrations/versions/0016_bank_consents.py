"""Bank consents: a farmer group lets the bank (ธ.ก.ส.) read its forward revenue.

``bank_consents``: one row per grant, naming the group, the bank it lets read (the bank key's
name, or ``baac`` for every bank key), who granted and when; a revocation fills ``revoked_at``
and ``revoked_by`` of the row, never deletes it, so the rows are the consents' audit trail.
A group has at most one unrevoked consent per bank.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_consents",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("bank", sa.String(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_bank_consents_group_id_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_consents")),
    )
    op.create_index(op.f("ix_bank_consents_group_id"), "bank_consents", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bank_consents_group_id"), table_name="bank_consents")
    op.drop_table("bank_consents")
