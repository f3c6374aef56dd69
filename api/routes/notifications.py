"""Participants' contacts (set by the coordinator, read by the participant too) and the
notification log (the coordinator's). Configuration, not market commands: the routes write
through a unit of work directly, as the webhooks' do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, Coordinator, require_seen
from api.deps import ServiceDep
from api.models import notifications as models
from api.pages import LIST_RESPONSES, Limit, Offset, paged
from api.routes.common import NOT_FOUND, ErrorMessage
from matcher import notifications as nt
from matcher.adapters.notify.notifier import resend
from matcher.bootstrap import Service
from matcher.domain.errors import InvalidValue, NotFound
from matcher.service.ports import Contact, Notification, NotificationFilter, NotificationUnitOfWork

router = APIRouter(tags=["notifications"])

Json = dict[str, Any]
Channel = Literal["email", "line"]


class ContactBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["nong@coop.th"]
    )
    line_user_id: str | None = Field(
        None,
        pattern=r"^U[0-9a-f]{32}$",
        description="The LINE user id the market's LINE Official Account knows the person by.",
    )
    phone: str | None = Field(None, pattern=r"^\+?[0-9][0-9 -]{5,19}$", examples=["081 234 5678"])
    language: Literal["th", "en"] = "th"
    channels: list[Channel] = Field(
        default_factory=list, max_length=2, description="Where notices go: `email`, `line`."
    )


@contextmanager
def _uow(service: Service) -> Iterator[NotificationUnitOfWork]:
    """A unit of work with the notification store (services on a database have one)."""
    with service.uow_factory() as uow:
        if not hasattr(uow, "notifications"):
            raise NotFound("notification store", "this service")
        yield cast(NotificationUnitOfWork, uow)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _contact(contact: Contact) -> Json:
    return {
        "participant_id": contact.participant_id,
        "email": contact.email,
        "line_user_id": contact.line_user_id,
        "phone": contact.phone,
        "language": contact.language,
        "channels": list(contact.channels),
        "updated_at": _when(contact.updated_at),
    }


def _notification(n: Notification) -> Json:
    return {
        "id": n.id,
        "key": n.key,
        "kind": n.kind,
        "participant_id": n.participant_id,
        "channel": n.channel,
        "address": n.address,
        "language": n.language,
        "subject": n.subject,
        "body": n.body,
        "state": n.state,
        "attempts": n.attempts,
        "last_error": n.last_error,
        "next_attempt_at": _when(n.next_attempt_at),
        "sent_at": _when(n.sent_at),
        "created_at": n.created_at.isoformat(),
    }


def _read(service: Service, caller: Caller, kind: str, participant_id: str) -> Json:
    require_seen(caller.coordinator or caller.participant_id == participant_id, caller)
    with _uow(service) as uow:
        _require_participant(uow, kind, participant_id)
        found = uow.notifications.contact(participant_id)
    return _contact(found or Contact(participant_id))


def _write(service: Service, kind: str, participant_id: str, body: ContactBody) -> Json:
    channels = tuple(dict.fromkeys(body.channels))
    for channel, address in (("email", body.email), ("line", body.line_user_id)):
        if channel in channels and not address:
            raise InvalidValue("channels", f"{channel} needs an address ({channel} is empty)")
    contact = Contact(
        participant_id=participant_id,
        email=body.email,
        line_user_id=body.line_user_id,
        phone=body.phone,
        language=body.language,
        channels=channels,
        updated_at=service.context.clock.now(),
    )
    with _uow(service) as uow:
        _require_participant(uow, kind, participant_id)
        uow.notifications.put_contact(contact)
        uow.commit()
    return _contact(contact)


def _require_participant(uow: NotificationUnitOfWork, kind: str, participant_id: str) -> None:
    found = uow.groups.get(participant_id) if kind == "group" else uow.buyers.get(participant_id)
    if found is None:
        raise NotFound(kind, participant_id)


@router.get(
    "/groups/{group_id}/contacts",
    response_model=models.Contact,
    responses=NOT_FOUND,
    summary="A group's contacts and the channels it wants notices on",
)
def group_contacts(group_id: str, service: ServiceDep, caller: Caller) -> Json:
    return _read(service, caller, "group", group_id)


@router.put(
    "/groups/{group_id}/contacts",
    response_model=models.Contact,
    responses=NOT_FOUND,
    summary="Set a group's contacts and channels (coordinator)",
)
def set_group_contacts(
    group_id: str, body: ContactBody, service: ServiceDep, caller: Coordinator
) -> Json:
    return _write(service, "group", group_id, body)


@router.get(
    "/buyers/{buyer_id}/contacts",
    response_model=models.Contact,
    responses=NOT_FOUND,
    summary="A buyer's contacts and the channels it wants notices on",
)
def buyer_contacts(buyer_id: str, service: ServiceDep, caller: Caller) -> Json:
    return _read(service, caller, "buyer", buyer_id)


@router.put(
    "/buyers/{buyer_id}/contacts",
    response_model=models.Contact,
    responses=NOT_FOUND,
    summary="Set a buyer's contacts and channels (coordinator)",
)
def set_buyer_contacts(
    buyer_id: str, body: ContactBody, service: ServiceDep, caller: Coordinator
) -> Json:
    return _write(service, "buyer", buyer_id, body)


@router.get(
    "/notifications",
    response_model=list[models.Notification],
    responses=LIST_RESPONSES,
    summary="The notification log, newest first (coordinator)",
)
def notification_log(
    request: Request,
    response: Response,
    service: ServiceDep,
    caller: Coordinator,
    participant_id: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[Literal["pending", "sent", "failed"] | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[Channel | None, Query()] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Json]:
    if kind is not None and kind not in nt.KINDS:
        raise InvalidValue("kind", f"one of {', '.join(nt.KINDS)}")
    where = NotificationFilter(participant_id, state, kind, channel)
    with _uow(service) as uow:
        page = [_notification(n) for n in uow.notifications.log(where, limit=limit, offset=offset)]
        total = uow.notifications.count(where)
    return paged(request, response, page, total=total, limit=limit, offset=offset)


@router.post(
    "/notifications/{notification_id}/retry",
    response_model=models.NotificationResent,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorMessage, "description": "The notification is pending or sent."},
    },
    summary="Send a given-up notification again (coordinator)",
)
def retry_notification(notification_id: str, service: ServiceDep, caller: Coordinator) -> Json:
    """Put a `failed` notification back in the outbox: pending, due at once, with a fresh series
    of attempts (`FOODMATCH_NOTIFY_MAX_ATTEMPTS`). A pending or sent one: 409."""
    at = service.context.clock.now()
    with _uow(service) as uow:
        before, after = resend(uow, notification_id, at, caller.actor)
        uow.commit()
    return {
        "notification": _notification(after),
        "previous_attempts": before.attempts,
        "previous_error": before.last_error,
        "resent_by": caller.actor,
        "resent_at": at.isoformat(),
    }
