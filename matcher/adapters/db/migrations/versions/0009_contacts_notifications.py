"""Participants' contacts and preferences, the notification outbox, and the notify cursor.

``participant_contacts``: one row per group or buyer that has given a contact (e-mail, LINE user
id, phone), its language and the channels it wants. ``notifications``: one message for one
participant on one channel (id deterministic from the event key, participant and channel, so
a notice is queued once), with its state, attempts, next attempt and last error: the delivery
log. ``outbox_notified``: the outbox events the notifier has read (a row per event, so that an
event committed late, after a higher id, is still read); events recorded before this revision
concern no notification.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant_contacts",
        sa.Column("participant_id", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("line_user_id", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_participant_contacts")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("language", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        op.f("ix_notifications_participant_id"),
        "notifications",
        ["participant_id"],
        unique=False,
    )
    op.create_index(
        "ix_notifications_state_next", "notifications", ["state", "next_attempt_at"], unique=False
    )
    op.create_table(
        "outbox_notified",
        sa.Column("outbox_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_outbox_notified")),
    )
    # Events recorded before notifications existed concern no notification.
    op.execute(
        "INSERT INTO outbox_notified (outbox_id, notified_at) SELECT id, created_at FROM outbox"
    )


def downgrade() -> None:
    op.drop_table("outbox_notified")
    op.drop_table("notifications")
    op.drop_table("participant_contacts")
