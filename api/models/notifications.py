"""Participants' contacts and the notification log."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateTimeText


@with_config(EXACT)
class Contact(TypedDict):
    """How a group or a buyer is reached, in which language, and on which channels."""

    participant_id: str
    email: str | None
    line_user_id: Annotated[str | None, Field(description="The person's LINE user id (U...).")]
    phone: str | None
    language: Annotated[str, Field(examples=["th", "en"])]
    channels: Annotated[list[str], Field(examples=[["email", "line"]])]
    updated_at: Annotated[DateTimeText | None, Field(description="None: never set.")]


@with_config(EXACT)
class Notification(TypedDict):
    """One message to one participant on one channel, and how sending it went."""

    id: str
    key: Annotated[str, Field(description="What it is about (`event:<outbox id>`, ...).")]
    kind: Annotated[str, Field(examples=["contract_proposed", "sign_in_link"])]
    participant_id: str
    channel: Annotated[str, Field(examples=["email", "line"])]
    address: str
    language: str
    subject: str
    body: str
    state: Annotated[str, Field(examples=["pending", "sent", "failed"])]
    attempts: int
    last_error: str | None
    next_attempt_at: DateTimeText | None
    sent_at: DateTimeText | None
    created_at: DateTimeText


@with_config(EXACT)
class NotificationResent(TypedDict):
    """A given-up notification put back in the outbox: the row as it is now (pending, due at
    once, a fresh series of attempts), what it was, and who resent it when."""

    notification: Notification
    previous_attempts: Annotated[int, Field(description="The attempts that had failed.")]
    previous_error: Annotated[str | None, Field(description="Why the last attempt failed.")]
    resent_by: str
    resent_at: DateTimeText
