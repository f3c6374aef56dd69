"""Webhooks, their delivery log and the fan-out cursor over the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from matcher.adapters.db.repositories.outbox import entry_of
from matcher.adapters.db.tables import OutboxRow, WebhookDeliveryRow, WebhookRow
from matcher.service.ports import OutboxEntry, Webhook, WebhookDelivery


def _webhook_of(row: WebhookRow) -> Webhook:
    return Webhook(row.id, row.participant_id, row.url, row.secret, row.created_at, row.active)


def _delivery_of(row: WebhookDeliveryRow) -> WebhookDelivery:
    return WebhookDelivery(
        id=row.id,
        webhook_id=row.webhook_id,
        outbox_id=row.outbox_id,
        event=row.event,
        payload=dict(row.payload),
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        last_status=row.last_status,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


class SqlWebhookStore:
    """Webhooks, their delivery log and the fan-out cursor."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, webhook: Webhook) -> None:
        self.session.add(
            WebhookRow(
                id=webhook.id,
                participant_id=webhook.participant_id,
                url=webhook.url,
                secret=webhook.secret,
                created_at=webhook.created_at,
                active=webhook.active,
            )
        )

    def get(self, webhook_id: str) -> Webhook | None:
        row = self.session.get(WebhookRow, webhook_id)
        return _webhook_of(row) if row is not None and row.active else None

    def list(self, participant_id: str | None = None) -> Sequence[Webhook]:
        query = select(WebhookRow).where(WebhookRow.active.is_(True))
        if participant_id is not None:
            query = query.where(WebhookRow.participant_id == participant_id)
        rows = self.session.scalars(query.order_by(WebhookRow.created_at, WebhookRow.id))
        return [_webhook_of(row) for row in rows]

    def deactivate(self, webhook_id: str) -> bool:
        row = self.session.get(WebhookRow, webhook_id)
        if row is None or not row.active:
            return False
        row.active = False
        return True

    def unfanned(self, limit: int = 500) -> Sequence[OutboxEntry]:
        query = (
            select(OutboxRow)
            .where(OutboxRow.fanned_out_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [entry_of(row) for row in self.session.scalars(query)]

    def mark_fanned(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            self.session.execute(
                update(OutboxRow).where(OutboxRow.id.in_(list(ids))).values(fanned_out_at=at)
            )

    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        if self.session.get(WebhookDeliveryRow, delivery.id) is not None:
            return False
        self.session.add(
            WebhookDeliveryRow(
                id=delivery.id,
                webhook_id=delivery.webhook_id,
                outbox_id=delivery.outbox_id,
                event=delivery.event,
                payload=dict(delivery.payload),
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                last_status=delivery.last_status,
                delivered_at=delivery.delivered_at,
                created_at=delivery.created_at,
            )
        )
        self.session.flush()
        return True

    def due(self, at: datetime, limit: int = 100) -> Sequence[WebhookDelivery]:
        query = (
            select(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.state == "pending",
                WebhookDeliveryRow.next_attempt_at <= at,
            )
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.outbox_id)
            .limit(limit)
        )
        return [_delivery_of(row) for row in self.session.scalars(query)]

    def update_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.execute(
            update(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.id == delivery.id)
            .values(
                state=delivery.state,
                attempts=delivery.attempts,
                next_attempt_at=delivery.next_attempt_at,
                last_error=delivery.last_error,
                last_status=delivery.last_status,
                delivered_at=delivery.delivered_at,
            )
        )

    def deliveries(
        self, webhook_id: str, *, limit: int = 100, offset: int = 0
    ) -> Sequence[WebhookDelivery]:
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.webhook_id == webhook_id)
            .order_by(WebhookDeliveryRow.outbox_id.desc(), WebhookDeliveryRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_delivery_of(row) for row in self.session.scalars(query)]

    def count_deliveries(self, webhook_id: str) -> int:
        query = select(func.count()).select_from(WebhookDeliveryRow)
        query = query.where(WebhookDeliveryRow.webhook_id == webhook_id)
        return int(self.session.scalar(query) or 0)

    def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        row = self.session.get(WebhookDeliveryRow, delivery_id)
        return _delivery_of(row) if row is not None else None
