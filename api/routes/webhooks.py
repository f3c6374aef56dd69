"""Webhooks: participants' endpoints for signed event deliveries, and their delivery logs.

Configuration, not market commands: the routes write through a unit of work directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Caller, Forbidden, require_seen
from api.deps import ServiceDep
from api.models import webhooks as models
from api.pages import LIST_RESPONSES, Limit, Offset, paged, window
from api.routes.common import NOT_FOUND
from matcher import webhooks as wh
from matcher.auth import Principal
from matcher.bootstrap import Service
from matcher.domain.errors import InvalidValue, NotFound, UnknownReference
from matcher.service.ports import Webhook, WebhookDelivery, WebhookUnitOfWork

router = APIRouter(tags=["webhooks"])

Json = dict[str, Any]


class WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(
        None, min_length=16, max_length=200, description="Generated when absent."
    )


@contextmanager
def _uow(service: Service) -> Iterator[WebhookUnitOfWork]:
    """A writing unit of work with the webhook store (services on a database have one)."""
    with service.uow_factory() as uow:
        if not hasattr(uow, "webhooks"):
            raise NotFound("webhook store", "this service")
        yield cast(WebhookUnitOfWork, uow)


def _webhook(hook: Webhook) -> Json:
    return {
        "id": hook.id,
        "participant_id": hook.participant_id,
        "url": hook.url,
        "created_at": hook.created_at.isoformat(),
        "active": hook.active,
    }


def _delivery(d: WebhookDelivery) -> Json:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": d.id,
        "webhook_id": d.webhook_id,
        "outbox_id": d.outbox_id,
        "event": d.event,
        "state": d.state,
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "next_attempt_at": when(d.next_attempt_at),
        "delivered_at": when(d.delivered_at),
        "created_at": when(d.created_at),
    }


def _owns(caller: Principal, participant_id: str) -> bool:
    """Coordinators manage every webhook; a participant only its own."""
    return caller.coordinator or caller.participant_id == participant_id


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidValue("url", "must be an absolute http:// or https:// URL")


@router.post(
    "/webhooks",
    status_code=201,
    response_model=models.NewWebhook,
    summary="Register a webhook for a participant",
)
def register_webhook(body: WebhookBody, service: ServiceDep, caller: Caller) -> JSONResponse:
    _check_url(body.url)
    require_seen(_owns(caller, body.participant_id), caller)
    secret = body.secret or wh.new_secret()
    with _uow(service) as uow:
        pid = body.participant_id
        if uow.groups.get(pid) is None and uow.buyers.get(pid) is None:
            raise UnknownReference("participant_id", f"no group or buyer with id {pid!r}")
        hook = Webhook(
            id=wh.new_webhook_id(),
            participant_id=pid,
            url=body.url,
            secret=secret,
            created_at=service.context.clock.now(),
        )
        uow.webhooks.add(hook)
        uow.commit()
    # The secret is shown once, here; it is never returned again.
    return JSONResponse(_webhook(hook) | {"secret": secret}, status_code=201)


@router.get(
    "/webhooks",
    response_model=list[models.Webhook],
    responses=LIST_RESPONSES,
    summary="Active webhooks (without their secrets)",
)
def list_webhooks(
    request: Request,
    response: Response,
    service: ServiceDep,
    caller: Caller,
    participant_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    if not caller.coordinator:
        if participant_id is not None and participant_id != caller.participant_id:
            raise Forbidden(f"the key of {caller.actor} may only list its own webhooks")
        participant_id = caller.participant_id
    with _uow(service) as uow:
        hooks = [_webhook(hook) for hook in uow.webhooks.list(participant_id)]
    return window(request, response, hooks, limit=limit, offset=offset)


@router.delete(
    "/webhooks/{webhook_id}", status_code=204, responses=NOT_FOUND, summary="Delete a webhook"
)
def delete_webhook(webhook_id: str, service: ServiceDep, caller: Caller) -> Response:
    with _uow(service) as uow:
        hook = uow.webhooks.get(webhook_id)
        if hook is not None:
            require_seen(_owns(caller, hook.participant_id), caller)
        if not uow.webhooks.deactivate(webhook_id):
            raise NotFound("webhook", webhook_id)
        uow.commit()
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=list[models.WebhookDelivery],
    responses=NOT_FOUND | LIST_RESPONSES,
    summary="The delivery log of a webhook",
)
def webhook_deliveries(
    webhook_id: str,
    request: Request,
    response: Response,
    service: ServiceDep,
    caller: Caller,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Json]:
    with _uow(service) as uow:
        hook = uow.webhooks.get(webhook_id)
        if hook is None:
            raise NotFound("webhook", webhook_id)
        require_seen(_owns(caller, hook.participant_id), caller)
        rows = uow.webhooks.deliveries(webhook_id, limit=limit, offset=offset)
        total = uow.webhooks.count_deliveries(webhook_id)
        page = [_delivery(d) for d in rows]
    return paged(request, response, page, total=total, limit=limit, offset=offset)
