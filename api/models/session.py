"""People's sign-in: sign-in links, the caller's session, sessions and the sign-in log."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, with_config
from typing_extensions import TypedDict

from api.models import EXACT, DateTimeText

Role = Annotated[str, Field(examples=["kitchen", "group"])]


@with_config(EXACT)
class SignInLink(TypedDict):
    """A one-time sign-in link, shown this once (only its hash is stored)."""

    link: Annotated[str, Field(description="Open it once, before `expires_at`.")]
    participant_id: str
    role: Role
    expires_at: DateTimeText
    queued_notifications: Annotated[
        list[str],
        Field(
            description="With `send`: the notifications queued (one per channel); empty when "
            "the participant has no contact to send it to."
        ),
    ]


@with_config(EXACT)
class Me(TypedDict):
    """Who is calling: a person's session (with its CSRF token), an API key, or anyone when
    access control is off."""

    via: Literal["session", "api_key", "open"]
    role: Annotated[str, Field(examples=["kitchen", "group", "coordinator"])]
    participant_id: str | None
    name_th: str
    name_en: str
    session_id: str | None
    signed_in_at: DateTimeText | None
    expires_at: Annotated[
        DateTimeText | None,
        Field(description="When the session ends unless used again (idle) or at the latest."),
    ]
    csrf_token: Annotated[
        str | None,
        Field(
            description="Send it as `X-CSRF-Token` (or the form field `csrf_token`) with every "
            "request that changes something; none with an API key."
        ),
    ]
    portal: Annotated[str | None, Field(description="The participant's own pages.")]


@with_config(EXACT)
class WebSession(TypedDict):
    """A person's active session (never its secret)."""

    id: str
    role: Role
    participant_id: str
    created_at: DateTimeText
    last_seen_at: DateTimeText
    ends_at: Annotated[DateTimeText, Field(description="Unless used again before then.")]
    expires_at: Annotated[DateTimeText, Field(description="At the latest.")]


@with_config(EXACT)
class SignInEntry(TypedDict):
    """One line of the sign-in audit log."""

    id: int
    at: DateTimeText
    event: Annotated[
        str,
        Field(
            examples=[
                "invited",
                "signed_in",
                "link_used",
                "link_expired",
                "link_unknown",
                "signed_out",
                "revoked",
            ]
        ),
    ]
    role: str | None
    participant_id: str | None
    session_id: str | None
    actor: str
    detail: str
