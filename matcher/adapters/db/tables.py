"""The relational schema: SQLAlchemy 2 row classes, separate from the domain dataclasses.

Money is whole satang (``BigInteger``), timestamps are timezone-aware and read back in UTC,
enumerations are stored as their string values. Constraint and index names follow
:data:`NAMING_CONVENTION` so that migrations can name them deterministically.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from matcher.domain.contracts import CANCEL_REASON_LENGTH, REFUSAL_NOTE_LENGTH

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ENUM_LENGTH = 32


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and always read back as aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# A JSON document; Python ``None`` is stored as SQL NULL, not as the JSON ``null``.
Json = JSON(none_as_null=True)
# 64-bit keys that still auto-increment on SQLite (only INTEGER PRIMARY KEY aliases the rowid).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _parent() -> Any:
    """A many-to-one link that is never loaded: it only tells the ORM to insert parents first.

    Rows are written by setting their foreign-key columns; the link orders the INSERTs of one
    flush so that, say, a group and its certificate can be added in the same transaction.
    """
    return relationship(lazy="raise", viewonly=False)


class GroupRow(Base):
    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name_th: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    district: Mapped[str] = mapped_column(String, default="")
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)
    members: Mapped[int] = mapped_column(Integer)
    min_lot: Mapped[int | None] = mapped_column(Integer)
    max_buyers_per_week: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any] | None] = mapped_column(Json)


class BuyerRow(Base):
    __tablename__ = "buyers"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    name_th: Mapped[str] = mapped_column(String)
    name_en: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    district: Mapped[str] = mapped_column(String, default="")
    lat: Mapped[float] = mapped_column(Double)
    lon: Mapped[float] = mapped_column(Double)
    details: Mapped[dict[str, Any] | None] = mapped_column(Json)
    non_delivery_weekdays: Mapped[list[str] | None] = mapped_column(Json)
    non_delivery_dates: Mapped[list[str] | None] = mapped_column(Json)
    """ISO dates."""


class CertificateRow(Base):
    __tablename__ = "certificates"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"), index=True)
    scheme: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    crops: Mapped[list[str]] = mapped_column(Json)
    crop_groups: Mapped[list[str]] = mapped_column(Json)
    scopes: Mapped[list[str]] = mapped_column(Json)
    certifier: Mapped[str] = mapped_column(String, default="")
    revoked_on: Mapped[date | None] = mapped_column(Date)

    group: Mapped[GroupRow] = _parent()


class SupplyRow(Base):
    __tablename__ = "supply"
    __table_args__ = (Index("ix_supply_state_crop_id", "state", "crop_id"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"), index=True)
    crop_id: Mapped[str] = mapped_column(String)
    scheme: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    asking_price: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fda_no: Mapped[str] = mapped_column(String(50), server_default="")

    group: Mapped[GroupRow] = _parent()

    weeks: Mapped[list[SupplyWeekRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="SupplyWeekRow.week",
    )


class SupplyWeekRow(Base):
    __tablename__ = "supply_weeks"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    supply_id: Mapped[str] = mapped_column(
        ForeignKey("supply.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[str] = mapped_column(String(ENUM_LENGTH), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    bound: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """What contracts hold of the week (``BOUND_SUPPLY`` summed), kept as they change by
    ``matcher.adapters.db.held`` (deferred: objects never load it, the figures' queries do)."""
    proposed: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """Of ``bound``, what proposals not answered yet hold."""


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_state_crop_id", "state", "crop_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[str] = mapped_column(String, primary_key=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    crop_id: Mapped[str] = mapped_column(String)
    quantity: Mapped[int] = mapped_column(Integer)
    min_tier: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    max_price: Mapped[int | None] = mapped_column(BigInteger)
    max_distance_km: Mapped[float | None] = mapped_column(Double)
    schedule: Mapped[dict[str, Any] | None] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    max_suppliers: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    purchase_order_no: Mapped[str] = mapped_column(String(100), server_default="")
    price_includes_transport: Mapped[bool] = mapped_column(Boolean, server_default=sa_true())
    on_holiday: Mapped[str] = mapped_column(
        String(ENUM_LENGTH), server_default="previous_working_day"
    )
    date_changes: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    """The dates the calendar moved or dropped at submission (see ``mapping.date_changes_json``)."""

    buyer: Mapped[BuyerRow] = _parent()

    deliveries: Mapped[list[OrderDeliveryRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="OrderDeliveryRow.day",
    )
    cancelled: Mapped[list[OrderDeliveryCancellationRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="OrderDeliveryCancellationRow.day",
    )


class OrderDeliveryCancellationRow(Base):
    """A delivery date the kitchen cancelled: its ``order_deliveries`` row is gone (the date is
    no longer demand), this row says when, by whom and why."""

    __tablename__ = "order_delivery_cancellations"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(CANCEL_REASON_LENGTH))
    actor: Mapped[str] = mapped_column(String)
    cancelled_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderDeliveryRow(Base):
    __tablename__ = "order_deliveries"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    bound: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """What contracts hold of the delivery (``BOUND_DEMAND`` summed), kept as they change by
    ``matcher.adapters.db.held`` (deferred: objects never load it, the figures' queries do)."""
    proposed: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """Of ``bound``, what proposals not answered yet hold."""


class ContractRow(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    round_id: Mapped[str] = mapped_column(String, index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(ForeignKey("buyers.id"), index=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"), index=True)
    supply_id: Mapped[str] = mapped_column(ForeignKey("supply.id"), index=True)
    crop_id: Mapped[str] = mapped_column(String, index=True)
    scheme: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    min_tier: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    unit_price: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    pricing_policy: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    proposal_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    held: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """The quantity of the deliveries not released, kept as they change by
    ``matcher.adapters.db.held`` (deferred: objects never load it, the figures' queries do)."""
    held_unit_km: Mapped[float] = mapped_column(Double, server_default="0", deferred=True)
    """Of those deliveries, quantity × distance (kept as ``held``)."""

    order: Mapped[OrderRow] = _parent()
    buyer: Mapped[BuyerRow] = _parent()
    group: Mapped[GroupRow] = _parent()
    supply: Mapped[SupplyRow] = _parent()

    deliveries: Mapped[list[ContractDeliveryRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="ContractDeliveryRow.day",
    )
    history: Mapped[list[ContractHistoryRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="ContractHistoryRow.seq",
    )


class ContractDeliveryRow(Base):
    __tablename__ = "contract_deliveries"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    week: Mapped[str] = mapped_column(String(ENUM_LENGTH), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    distance_km: Mapped[float] = mapped_column(Double)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH), server_default="scheduled")
    received: Mapped[int | None] = mapped_column(Integer)
    refused: Mapped[int | None] = mapped_column(Integer)
    refusal_reason: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    refusal_note: Mapped[str | None] = mapped_column(String(REFUSAL_NOTE_LENGTH))


class ContractHistoryRow(Base):
    """One change of a contract; ``seq`` is its position in the contract's history."""

    __tablename__ = "contract_history"

    contract_id: Mapped[str] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    from_state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    to_state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    reason: Mapped[str] = mapped_column(String)
    details: Mapped[dict[str, Any]] = mapped_column(Json)


class ReleaseRow(Base):
    """Quantity that left a contract; ``taken_up_by`` names the contract that took it up."""

    __tablename__ = "releases"
    __table_args__ = (Index("ix_releases_order_id_day", "order_id", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[str] = mapped_column(String)
    order_id: Mapped[str] = mapped_column(String)
    day: Mapped[date] = mapped_column(Date)
    supply_id: Mapped[str] = mapped_column(String)
    week: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    demand: Mapped[int] = mapped_column(Integer)
    supply: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    taken_up_by: Mapped[str | None] = mapped_column(String)


class RoundRow(Base):
    __tablename__ = "rounds"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    trigger: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    solver: Mapped[str] = mapped_column(String)
    solver_status: Mapped[str] = mapped_column(String)
    summary: Mapped[dict[str, Any]] = mapped_column(Json)
    notes: Mapped[list[str]] = mapped_column(Json)
    contract_ids: Mapped[list[str]] = mapped_column(Json)

    unfilled: Mapped[list[RoundUnfilledRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
        order_by="RoundUnfilledRow.line",
    )


class RoundUnfilledRow(Base):
    __tablename__ = "round_unfilled"

    round_id: Mapped[str] = mapped_column(
        ForeignKey("rounds.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    order_id: Mapped[str] = mapped_column(String, index=True)
    buyer_id: Mapped[str] = mapped_column(String)
    crop_id: Mapped[str] = mapped_column(String)
    day: Mapped[date] = mapped_column(Date)
    week: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String)
    detail: Mapped[str] = mapped_column(String)
    alternative: Mapped[dict[str, Any] | None] = mapped_column(Json)
    """The nearest candidate and the rule that stopped it (``Alternative.to_json()``)."""
    ahead: Mapped[int] = mapped_column(Integer, server_default="0", deferred=True)
    """What the round's lines of the same delivery before this one (by reason, then line) ask
    for: of what is open of the delivery, this line takes what they leave."""


class MarketVersionRow(Base):
    __tablename__ = "market_versions"

    crop_id: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    """Moves on every change to the market's book."""
    removals: Mapped[int] = mapped_column(Integer, server_default=text("0"), default=0)
    """Moves on every change but an addition (an order or supply added)."""


class InboxRow(Base):
    __tablename__ = "inbox"

    message_id: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body_digest: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the command's canonical body; None for messages handled before 0007."""


class RejectionRow(Base):
    """Messages refused by a handler (Kafka engine), so the sender can learn why."""

    __tablename__ = "rejections"

    message_id: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    field: Mapped[str] = mapped_column(String)
    reason: Mapped[str] = mapped_column(String)
    error: Mapped[str] = mapped_column(String(64))
    rejected_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event: Mapped[str] = mapped_column(String)
    key: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    """When the webhook fan-out wrote this event's deliveries (None: not yet)."""
    parked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When the relay gave up on this event for good (too large, refused by the broker)."""
    parked_reason: Mapped[str | None] = mapped_column(String)


class WebhookRow(Base):
    """A participant's webhook endpoint; deleting it only sets ``active`` false (the log stays)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    participant_id: Mapped[str] = mapped_column(String, index=True)
    url: Mapped[str] = mapped_column(String)
    secret: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    active: Mapped[bool] = mapped_column(Boolean)


class WebhookDeliveryRow(Base):
    """One event for one webhook: pending until delivered, or failed after the last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String)
    last_status: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContactRow(Base):
    """A participant's contacts, language and the channels it wants notices on."""

    __tablename__ = "participant_contacts"

    participant_id: Mapped[str] = mapped_column(String, primary_key=True)
    email: Mapped[str | None] = mapped_column(String)
    line_user_id: Mapped[str | None] = mapped_column(String)
    phone: Mapped[str | None] = mapped_column(String)
    language: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    channels: Mapped[list[str]] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NotificationRow(Base):
    """One message to one participant on one channel: pending until sent, or failed."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_next", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    participant_id: Mapped[str] = mapped_column(String, index=True)
    channel: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    address: Mapped[str] = mapped_column(String)
    language: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    subject: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxNotifiedRow(Base):
    """An outbox event the notifier has read (and queued its notifications for)."""

    __tablename__ = "outbox_notified"

    outbox_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    notified_at: Mapped[datetime] = mapped_column(UtcDateTime)


metadata = Base.metadata


class ApiKeyRow(Base):
    """An API key: its role, the participant it acts for, and the SHA-256 of its secret."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    participant_id: Mapped[str | None] = mapped_column(String, index=True)
    name: Mapped[str] = mapped_column(String)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SignInLinkRow(Base):
    """A one-time sign-in link: the SHA-256 of its token, whom it signs in, until when."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    participant_id: Mapped[str] = mapped_column(String, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebSessionRow(Base):
    """A person's browser session: the SHA-256 of its secret, role, participant, its times."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    participant_id: Mapped[str] = mapped_column(String, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String)
    ended_by: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))


class SignInLogRow(Base):
    """The sign-in audit log: invitations, sign-ins, refused links, sign-outs, revocations."""

    __tablename__ = "sign_in_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    event: Mapped[str] = mapped_column(String(ENUM_LENGTH))
    role: Mapped[str | None] = mapped_column(String(ENUM_LENGTH))
    participant_id: Mapped[str | None] = mapped_column(String, index=True)
    session_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String)
    detail: Mapped[str] = mapped_column(String)


class RoadDistanceRow(Base):
    """A coordinator's measured road km for a (group, buyer) pair; it overrides the road model."""

    __tablename__ = "road_distances"
    __table_args__ = (CheckConstraint("km >= 0", name="km_not_negative"),)

    group_id: Mapped[str] = mapped_column(String, primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String, primary_key=True)
    km: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class BankConsentRow(Base):
    """A group's consent that a bank reads its forward revenue; revoked, never deleted."""

    __tablename__ = "bank_consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id"), index=True)
    bank: Mapped[str] = mapped_column(String)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    granted_by: Mapped[str] = mapped_column(String)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String)
