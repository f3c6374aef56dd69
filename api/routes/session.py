"""People's sign-in: a coordinator's sign-in links, the caller's session, sign-out, and the
coordinator's list of sessions, revocation and sign-in log (opening a link is
:mod:`api.routes.signin_page`).

A link used once starts a session held in an HttpOnly, SameSite=Strict cookie (Secure behind
TLS); the session carries the participant's role and id, and its changes need its CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, Coordinator, session_rules
from api.deps import ServiceDep
from api.models import session as models
from api.pages import LIST_RESPONSES, Limit, Offset, paged, window
from api.routes import PREFIX
from api.routes.bodies import unicode_body
from api.routes.common import NOT_FOUND, Responses
from matcher import signin
from matcher.adapters.notify.notifier import notify_sign_in_link
from matcher.auth import Principal, Role
from matcher.bootstrap import Service
from matcher.config import Settings
from matcher.domain.errors import Conflict, InvalidValue
from matcher.service.ports import NotificationUnitOfWork
from matcher.sessions import COOKIE, SessionRules, SignInEntry, WebSession, portal_of

Json = dict[str, Any]

api = APIRouter(
    prefix=PREFIX,
    tags=["sign-in"],
    dependencies=[Depends(unicode_body)],
    responses={
        401: {"description": "No API key or session, or one that is unknown, revoked or ended."},
        403: {"description": "Not a coordinator's, or a change without the session's CSRF token."},
    },
)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""Answers that carry or follow a sign-in token are never cached, and never send it on."""


class InviteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_id: str = Field(min_length=1, max_length=200)
    role: Role | None = Field(
        None, description="kitchen or group; needed only when a buyer and a group share the id."
    )
    send: bool = Field(
        False,
        description="Also send the link to the participant's contact (e-mail, LINE), as its "
        "contact's channels say.",
    )


def _uow_factory(service: Service) -> signin.SignInUowFactory:
    """The service's units of work, which hold the sign-in links and sessions (the SQL ones do)."""
    return cast(signin.SignInUowFactory, service.uow_factory)


def base_url(request: Request, settings: Settings) -> str:
    """The service's address as participants reach it."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def secure_cookie(request: Request, settings: Settings) -> bool:
    """Whether the session cookie is marked Secure: the setting, or whether the request came
    over HTTPS (as the proxy says, when it is trusted to)."""
    if settings.session_cookie_secure != "auto":
        return settings.session_cookie_secure == "always"
    scheme = request.url.scheme
    if settings.trust_forwarded_proto:
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        scheme = forwarded or scheme
    return scheme == "https"


@api.post(
    "/sign-in-links",
    status_code=201,
    response_model=models.SignInLink,
    summary="A one-time sign-in link for a kitchen or a group (coordinators)",
)
def create_sign_in_link(
    body: InviteBody, request: Request, service: ServiceDep, caller: Coordinator
) -> Json:
    rules = session_rules(service.settings)
    link, token = signin.invite(
        _uow_factory(service),
        body.participant_id,
        caller.actor,
        service.context.clock.now(),
        rules,
        body.role,
    )
    url = f"{base_url(request, service.settings)}/signin/{token}"
    queued = _send(service, link.participant_id, url, link.expires_at) if body.send else []
    return {
        "link": url,
        "participant_id": link.participant_id,
        "role": link.role.value,
        "expires_at": link.expires_at.isoformat(),
        "queued_notifications": queued,
    }


def _send(service: Service, participant_id: str, url: str, expires_at: datetime) -> list[str]:
    """Queue the link on the participant's channels (the notifier sends it); the ids queued."""
    with service.uow_factory() as uow:
        queued = notify_sign_in_link(
            cast(NotificationUnitOfWork, uow),
            participant_id,
            url,
            expires_at,
            now=service.context.clock.now(),
        )
        uow.commit()
    return queued


def _me(service: Service, caller: Principal, request: Request) -> Json:
    web: WebSession | None = getattr(request.state, "web_session", None)
    names = ("", "")
    if caller.participant_id and caller.role is not Role.COORDINATOR:
        names = signin.participant_names(_uow_factory(service), caller.role, caller.participant_id)
    if caller.role is Role.BANK:
        names = (caller.name, caller.name)  # a bank key names no participant: the bank's name
    via = "session" if web is not None else ("api_key" if caller.key_id else "open")
    rules = session_rules(service.settings)
    return {
        "via": via,
        "role": caller.role.value,
        "participant_id": caller.participant_id,
        "name_th": names[0],
        "name_en": names[1],
        "session_id": web.id if web else None,
        "signed_in_at": web.created_at.isoformat() if web else None,
        "expires_at": web.ends_at(rules).isoformat() if web else None,
        "csrf_token": getattr(request.state, "csrf_token", None),
        "portal": portal_of(caller.role) if caller.role is not Role.COORDINATOR else None,
    }


@api.get("/session", response_model=models.Me, summary="Who is calling, and the CSRF token")
async def who_am_i(
    request: Request, response: Response, service: ServiceDep, caller: Caller
) -> Json:
    response.headers["Cache-Control"] = "no-store"
    return await run_in_threadpool(_me, service, caller, request)


SIGN_OUT: Responses = {
    409: {"description": "The request came with an API key: there is no session to end."}
}


@api.post(
    "/session/sign-out",
    status_code=204,
    responses=SIGN_OUT,
    summary="End the caller's session (the cookie stops working)",
)
def sign_out(request: Request, service: ServiceDep, caller: Caller) -> Response:
    web: WebSession | None = getattr(request.state, "web_session", None)
    if web is None:
        raise Conflict("there is no session to end: this request came with an API key")
    signin.sign_out(_uow_factory(service), web.id, service.context.clock.now())
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    _forget_cookie(response, request, service.settings)
    return response


@api.get(
    "/sessions",
    response_model=list[models.WebSession],
    responses=LIST_RESPONSES,
    summary="People's active sessions, newest first (coordinators)",
)
def list_sessions(
    request: Request,
    response: Response,
    service: ServiceDep,
    _: Coordinator,
    participant_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[Json]:
    _once(request, "participant_id")
    rules = session_rules(service.settings)
    now = service.context.clock.now()
    found = signin.list_sessions(_uow_factory(service), now, rules, participant_id)
    rows = [session_json(web, rules) for web in found]
    return window(request, response, rows, limit=limit, offset=offset)


def _once(request: Request, name: str) -> None:
    """A filter given more than once is refused (422), not read as its last value."""
    if len(request.query_params.getlist(name)) > 1:
        raise InvalidValue(name, "give it once")


def session_json(web: WebSession, rules: SessionRules) -> Json:
    return {
        "id": web.id,
        "role": web.role.value,
        "participant_id": web.participant_id,
        "created_at": web.created_at.isoformat(),
        "last_seen_at": web.last_seen_at.isoformat(),
        "ends_at": web.ends_at(rules).isoformat(),
        "expires_at": web.expires_at.isoformat(),
    }


@api.post(
    "/sessions/{session_id}/revoke",
    status_code=204,
    responses=NOT_FOUND,
    summary="Revoke a person's session (coordinators): its cookie answers 401 from now on",
)
def revoke_session(session_id: str, service: ServiceDep, caller: Coordinator) -> Response:
    now = service.context.clock.now()
    signin.revoke_session(_uow_factory(service), session_id, caller.actor, now)
    return Response(status_code=204)


@api.get(
    "/sign-ins",
    response_model=list[models.SignInEntry],
    responses=LIST_RESPONSES,
    summary="The sign-in log, newest first: invitations, sign-ins, refused links, sign-outs "
    "and revocations (coordinators)",
)
def sign_in_log(
    request: Request,
    response: Response,
    service: ServiceDep,
    _: Coordinator,
    participant_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Json]:
    _once(request, "participant_id")
    found, total = signin.sign_in_log(
        _uow_factory(service), participant_id=participant_id, limit=limit, offset=offset
    )
    page = [entry_json(entry) for entry in found]
    return paged(request, response, page, total=total, limit=limit, offset=offset)


def entry_json(entry: SignInEntry) -> Json:
    return {
        "id": entry.id or 0,
        "at": entry.at.isoformat(),
        "event": entry.event.value,
        "role": entry.role.value if entry.role else None,
        "participant_id": entry.participant_id,
        "session_id": entry.session_id,
        "actor": entry.actor,
        "detail": entry.detail,
    }


def _forget_cookie(response: Response, request: Request, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE,
        path="/",
        secure=secure_cookie(request, settings),
        httponly=True,
        samesite="strict",
    )


__all__ = ["NO_STORE", "api", "base_url", "secure_cookie"]
