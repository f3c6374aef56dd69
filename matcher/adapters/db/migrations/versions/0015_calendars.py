"""Calendars: a kitchen's non-delivery days, and what an order does on a holiday.

``buyers.non_delivery_weekdays`` (JSON list of "mon".."sun") and ``buyers.non_delivery_dates``
(JSON list of ISO dates): the days a kitchen does not receive; NULL is none. ``orders.on_holiday``:
"previous_working_day" (the default, and what every order from before gets) or "refuse".
``orders.date_changes``: the delivery dates the calendar moved or dropped at submission (JSON
list of {asked, delivery, kind, name_th, name_en}; NULL is none).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("buyers") as batch:
        batch.add_column(sa.Column("non_delivery_weekdays", sa.JSON(none_as_null=True)))
        batch.add_column(sa.Column("non_delivery_dates", sa.JSON(none_as_null=True)))
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column(
                "on_holiday",
                sa.String(length=32),
                nullable=False,
                server_default="previous_working_day",
            )
        )
        batch.add_column(sa.Column("date_changes", sa.JSON(none_as_null=True)))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("date_changes")
        batch.drop_column("on_holiday")
    with op.batch_alter_table("buyers") as batch:
        batch.drop_column("non_delivery_dates")
        batch.drop_column("non_delivery_weekdays")
