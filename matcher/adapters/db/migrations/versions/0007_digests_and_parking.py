"""The inbox keeps a digest of each handled message's body; the outbox can park an event.

``inbox.body_digest``: SHA-256 of the handled command's canonical body (its type and body as
the wire encodes them), so that the same ``message_id`` with another body is recognised and
refused instead of dropped in silence. Rows from before have none (a repeat of them is a plain
duplicate).

``outbox.parked_at`` / ``outbox.parked_reason``: an event that can never be published (too
large, or refused by the broker for good) is parked with its reason, and the relay moves on to
the events behind it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("body_digest", sa.String(length=64), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("parked_reason", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parked_reason")
        batch.drop_column("parked_at")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("body_digest")
