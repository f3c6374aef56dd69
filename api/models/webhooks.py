"""Webhooks and their delivery logs."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateTimeText


@with_config(EXACT)
class Webhook(TypedDict):
    """A participant's endpoint for signed event deliveries (its secret is never shown again)."""

    id: str
    participant_id: str
    url: str
    created_at: DateTimeText
    active: bool


@with_config(EXACT)
class NewWebhook(Webhook):
    """A webhook just registered, with its secret: shown this once."""

    secret: Annotated[str, Field(description="Signs every delivery (HMAC-SHA256).")]


@with_config(EXACT)
class WebhookDelivery(TypedDict):
    """One event delivered (or being delivered) to a webhook."""

    id: str
    webhook_id: str
    outbox_id: int
    event: str
    state: Annotated[str, Field(examples=["pending", "delivered", "failed"])]
    attempts: int
    last_status: Annotated[int | None, Field(description="The endpoint's last HTTP status.")]
    last_error: str | None
    next_attempt_at: DateTimeText | None
    delivered_at: DateTimeText | None
    created_at: DateTimeText | None
