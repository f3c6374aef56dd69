"""Sign-in for people: one-time sign-in links, browser sessions and the sign-in audit log.

``sign_in_links``: the SHA-256 of each link's token, whom it signs in (role and participant),
when it expires and when it was used; ``web_sessions``: the SHA-256 of each session's secret,
its role and participant, when it started, was last used and ends, and when and by whom it was
revoked; ``sign_in_log``: invitations, sign-ins, refused links, sign-outs and revocations.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sign_in_links")),
    )
    op.create_index(
        op.f("ix_sign_in_links_participant_id"), "sign_in_links", ["participant_id"], unique=False
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("participant_id", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.Column("ended_by", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
    )
    op.create_index(
        op.f("ix_web_sessions_participant_id"), "web_sessions", ["participant_id"], unique=False
    )
    op.create_table(
        "sign_in_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=True),
        sa.Column("participant_id", sa.String(), nullable=True),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_log")),
    )
    op.create_index(op.f("ix_sign_in_log_at"), "sign_in_log", ["at"], unique=False)
    op.create_index(
        op.f("ix_sign_in_log_participant_id"), "sign_in_log", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_log_participant_id"), table_name="sign_in_log")
    op.drop_index(op.f("ix_sign_in_log_at"), table_name="sign_in_log")
    op.drop_table("sign_in_log")
    op.drop_index(op.f("ix_web_sessions_participant_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index(op.f("ix_sign_in_links_participant_id"), table_name="sign_in_links")
    op.drop_table("sign_in_links")
