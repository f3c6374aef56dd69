"""The webhook dispatcher: outbox events → delivery rows → signed JSON POSTs with retries.

Two steps, each safe to repeat:

* :meth:`WebhookDispatcher.fan_out` reads the outbox events not fanned out yet and writes one
  delivery per concerned active webhook, marking the events in the same transaction (so an
  event committed late, after a higher id, is still picked up). Delivery ids are
  ``whd_<outbox id>_<webhook id>``, so a repeat writes nothing new.
* :meth:`WebhookDispatcher.deliver_due` POSTs the due pending deliveries. A 2xx answer marks a
  delivery delivered; anything else (or no answer) counts an attempt and schedules the next by
  exponential backoff, until ``max_attempts`` marks it failed.

Delivery is at least once: a crash between a POST and recording its answer sends it again with
the same ``X-Foodmatch-Delivery`` id, which receivers use to drop repeats.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from matcher import webhooks as wh
from matcher.adapters.polling import Poller
from matcher.service.ports import OutboxEntry, Webhook, WebhookDelivery, WebhookUnitOfWork

log = logging.getLogger(__name__)

Post = Callable[[str, bytes, Mapping[str, str], float], int]
"""``post(url, body, headers, timeout) -> HTTP status``; raises when there is no answer."""

WebhookUowFactory = Callable[[], WebhookUnitOfWork]


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as err:
        return err.code


def default_post() -> Post:
    """httpx when installed, else urllib."""
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is in the development environment
        return urllib_post

    def post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        response = httpx.post(url, content=body, headers=dict(headers), timeout=timeout)
        return response.status_code

    return post


def _utcnow() -> datetime:
    return datetime.now(UTC)


def encode(delivery: WebhookDelivery) -> bytes:
    """The body of a delivery's POST."""
    document = {
        "delivery_id": delivery.id,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "payload": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookDispatcher(Poller):
    thread_name = "foodmatch-webhooks"

    def __init__(
        self,
        uow_factory: WebhookUowFactory,
        *,
        post: Post | None = None,
        max_attempts: int = 8,
        timeout_seconds: float = 5.0,
        backoff_seconds: float = 1.0,
        backoff_cap_seconds: float = 300.0,
        poll_seconds: float = 1.0,
        now: Callable[[], datetime] = _utcnow,
        batch: int = 500,
    ) -> None:
        self.uow_factory = uow_factory
        self.post = post or default_post()
        self.max_attempts = max_attempts
        self.timeout_seconds = timeout_seconds
        self.backoff_seconds = backoff_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        super().__init__(poll_seconds)
        self.now = now
        self.batch = batch

    # -- fan-out ----------------------------------------------------------------------------

    def fan_out(self) -> int:
        """Deliveries for the outbox entries not fanned out yet; returns how many were written."""
        written = 0
        while True:
            with self.uow_factory() as uow:
                entries = uow.webhooks.unfanned(self.batch)
                if not entries:
                    return written
                # The active webhooks once per page, not once per event: with none registered
                # (the usual case) a page of events is marked fanned out and nothing else read.
                hooks: dict[str, list[Webhook]] = {}
                for hook in uow.webhooks.list():
                    hooks.setdefault(hook.participant_id, []).append(hook)
                for entry in entries if hooks else ():
                    written += self._fan_out_entry(uow, entry, hooks)
                uow.webhooks.mark_fanned([e.id for e in entries], self.now())
                uow.commit()
            if len(entries) < self.batch:
                return written

    def _fan_out_entry(
        self, uow: WebhookUnitOfWork, entry: OutboxEntry, hooks: Mapping[str, list[Webhook]]
    ) -> int:
        participants = wh.participants_of(entry.event, entry.payload) | _looked_up(uow, entry)
        chosen = sorted(
            (hook for p in participants for hook in hooks.get(p, ())), key=lambda h: h.id
        )
        written = 0
        for hook in chosen:
            if entry.created_at < hook.created_at:
                continue  # a webhook hears of events from its registration on
            delivery = WebhookDelivery(
                id=wh.delivery_id(entry.id, hook.id),
                webhook_id=hook.id,
                outbox_id=entry.id,
                event=entry.event,
                payload=dict(entry.payload),
                state="pending",
                attempts=0,
                next_attempt_at=entry.created_at,
                last_error=None,
                last_status=None,
                delivered_at=None,
                created_at=entry.created_at,
            )
            written += uow.webhooks.add_delivery(delivery)
        return written

    # -- delivery ---------------------------------------------------------------------------

    def deliver_due(self, limit: int = 100) -> int:
        """POST the due pending deliveries once each; returns how many were attempted."""
        now = self.now()
        with self.uow_factory() as uow:
            due = list(uow.webhooks.due(now, limit))
            hooks = {d.webhook_id: uow.webhooks.get(d.webhook_id) for d in due}
        for delivery in due:
            hook = hooks.get(delivery.webhook_id)
            if hook is None:
                outcome = replace(
                    delivery, state="failed", next_attempt_at=None, last_error="webhook deleted"
                )
            else:
                outcome = self._attempt(delivery, hook.url, hook.secret)
            with self.uow_factory() as uow:
                uow.webhooks.update_delivery(outcome)
                uow.commit()
        return len(due)

    def _attempt(self, delivery: WebhookDelivery, url: str, secret: str) -> WebhookDelivery:
        body = encode(delivery)
        timestamp = int(self.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "foodmatch-webhooks/1",
            wh.DELIVERY_HEADER: delivery.id,
            wh.EVENT_HEADER: delivery.event,
            wh.SIGNATURE_HEADER: wh.signature_header(secret, body, timestamp),
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.post(url, body, headers, self.timeout_seconds)
        except Exception as err:  # no answer: counted as a failed attempt
            error = f"{type(err).__name__}: {err}"[:500]
        attempts = delivery.attempts + 1
        finished = self.now()
        if status is not None and 200 <= status < 300:
            return replace(
                delivery,
                state="delivered",
                attempts=attempts,
                next_attempt_at=None,
                last_status=status,
                last_error=None,
                delivered_at=finished,
            )
        if error is None:
            error = f"HTTP {status}"
        state, next_at = wh.after_failure(
            attempts,
            finished,
            max_attempts=self.max_attempts,
            base=self.backoff_seconds,
            cap=self.backoff_cap_seconds,
        )
        log.info("webhook delivery %s attempt %d failed: %s", delivery.id, attempts, error)
        return replace(
            delivery,
            state=state,
            attempts=attempts,
            next_attempt_at=next_at,
            last_status=status,
            last_error=error,
        )

    # -- the background thread --------------------------------------------------------------

    def run_once(self) -> None:
        self.fan_out()
        self.deliver_due()


def _looked_up(uow: WebhookUnitOfWork, entry: OutboxEntry) -> set[str]:
    """Participants of events whose payload names only a record: withdrawn supply, cancelled
    orders."""
    record_id = entry.payload.get("id")
    if not isinstance(record_id, str):
        return set()
    if entry.event == "SupplyWithdrawn":
        supply = uow.supply.get(record_id)
        return {supply.supply.group_id} if supply is not None else set()
    if entry.event == "OrderCancelled":
        order = uow.orders.get(record_id)
        return {order.order.buyer_id} if order is not None else set()
    return set()


def build_dispatcher(service: Any, *, post: Post | None = None) -> WebhookDispatcher | None:
    """The dispatcher of a bootstrapped service, or None when webhooks are off or the service
    has no database of its own."""
    settings = service.settings
    if not settings.webhooks_enabled or service.db_engine is None:
        return None
    return WebhookDispatcher(
        service.uow_factory,
        post=post,
        max_attempts=settings.webhook_max_attempts,
        timeout_seconds=settings.webhook_timeout_seconds,
        backoff_seconds=settings.webhook_backoff_seconds,
        poll_seconds=settings.webhook_poll_seconds,
    )
