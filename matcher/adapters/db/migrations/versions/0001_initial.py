"""Initial schema: participants, certificates, the book, contracts, rounds, inbox and outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buyers",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name_th", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyers")),
    )
    op.create_table(
        "groups",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name_th", sa.String(), nullable=False),
        sa.Column("name_en", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groups")),
    )
    op.create_table(
        "inbox",
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_inbox")),
    )
    op.create_table(
        "market_versions",
        sa.Column("crop_id", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("crop_id", name=op.f("pk_market_versions")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_published_at"), "outbox", ["published_at"], unique=False)
    op.create_table(
        "rounds",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("trigger", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("solver", sa.String(), nullable=False),
        sa.Column("solver_status", sa.String(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("contract_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    op.create_index(op.f("ix_rounds_started_at"), "rounds", ["started_at"], unique=False)
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("crops", sa.JSON(), nullable=False),
        sa.Column("crop_groups", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("certifier", sa.String(), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_certificates_group_id_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
    )
    op.create_index(op.f("ix_certificates_group_id"), "certificates", ["group_id"], unique=False)
    op.create_table(
        "orders",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("crop_id", sa.String(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("min_tier", sa.String(length=32), nullable=False),
        sa.Column("max_price", sa.BigInteger(), nullable=True),
        sa.Column("max_distance_km", sa.Double(), nullable=True),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_orders_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_orders_buyer_id_buyers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    op.create_index(op.f("ix_orders_buyer_id"), "orders", ["buyer_id"], unique=False)
    op.create_index("ix_orders_state_crop_id", "orders", ["state", "crop_id"], unique=False)
    op.create_table(
        "round_unfilled",
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("line", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("crop_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_unfilled_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("round_id", "line", name=op.f("pk_round_unfilled")),
    )
    op.create_index(
        op.f("ix_round_unfilled_order_id"), "round_unfilled", ["order_id"], unique=False
    )
    op.create_table(
        "supply",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("crop_id", sa.String(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("asking_price", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_supply_group_id_groups")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply")),
    )
    op.create_index(op.f("ix_supply_group_id"), "supply", ["group_id"], unique=False)
    op.create_index("ix_supply_state_crop_id", "supply", ["state", "crop_id"], unique=False)
    op.create_table(
        "contracts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("buyer_id", sa.String(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=False),
        sa.Column("supply_id", sa.String(), nullable=False),
        sa.Column("crop_id", sa.String(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("min_tier", sa.String(length=32), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("pricing_policy", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_contracts_buyer_id_buyers")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f("fk_contracts_group_id_groups")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_contracts_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["supply_id"], ["supply.id"], name=op.f("fk_contracts_supply_id_supply")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contracts")),
    )
    op.create_index(op.f("ix_contracts_buyer_id"), "contracts", ["buyer_id"], unique=False)
    op.create_index(op.f("ix_contracts_created_at"), "contracts", ["created_at"], unique=False)
    op.create_index(op.f("ix_contracts_crop_id"), "contracts", ["crop_id"], unique=False)
    op.create_index(op.f("ix_contracts_group_id"), "contracts", ["group_id"], unique=False)
    op.create_index(op.f("ix_contracts_order_id"), "contracts", ["order_id"], unique=False)
    op.create_index(op.f("ix_contracts_round_id"), "contracts", ["round_id"], unique=False)
    op.create_index(op.f("ix_contracts_state"), "contracts", ["state"], unique=False)
    op.create_index(op.f("ix_contracts_supply_id"), "contracts", ["supply_id"], unique=False)
    op.create_table(
        "order_deliveries",
        sa.Column("order_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_deliveries_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "day", name=op.f("pk_order_deliveries")),
    )
    op.create_table(
        "supply_weeks",
        sa.Column("supply_id", sa.String(), nullable=False),
        sa.Column("week", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supply_weeks_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["supply_id"],
            ["supply.id"],
            name=op.f("fk_supply_weeks_supply_id_supply"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("supply_id", "week", name=op.f("pk_supply_weeks")),
    )
    op.create_table(
        "contract_deliveries",
        sa.Column("contract_id", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_contract_deliveries_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "day", name=op.f("pk_contract_deliveries")),
    )
    op.create_index(
        op.f("ix_contract_deliveries_week"), "contract_deliveries", ["week"], unique=False
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children go before their parents.
    op.drop_table("contract_deliveries")
    op.drop_table("supply_weeks")
    op.drop_table("order_deliveries")
    op.drop_table("contracts")
    op.drop_table("supply")
    op.drop_table("round_unfilled")
    op.drop_table("orders")
    op.drop_table("certificates")
    op.drop_table("rounds")
    op.drop_table("outbox")
    op.drop_table("market_versions")
    op.drop_table("inbox")
    op.drop_table("groups")
    op.drop_table("buyers")
