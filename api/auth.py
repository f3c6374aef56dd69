"""Authentication and the checks of who may see or change what (see :mod:`matcher.auth`).

Every route under ``/api/v1`` takes a :data:`Caller`: the principal of the API key sent as
``Authorization: Bearer fm_...`` (or ``X-API-Key: fm_...``), or, for a person signed in through a
sign-in link, the session cookie (:mod:`matcher.sessions`): a request authenticated by the cookie
that changes something must carry the session's CSRF token (``X-CSRF-Token`` header or
``csrf_token`` form field) or it is refused (403). No key, a malformed, unknown or revoked key
or an ended session: 401. A key of the wrong role or of another participant: 403. A bank key
reads the bank's routes only (:data:`BANK_PREFIX`) and changes nothing: anything else is 403.
With access control off (``FOODMATCH_AUTH=false``) every caller is a coordinator.
"""

from __future__ import annotations

from typing import Annotated, cast
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import (
    APIKeyCookie,
    APIKeyHeader,
    HTTPAuthorizationCredentials,
    HTTPBearer,
)
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep
from matcher.auth import COORDINATOR_OPEN, Principal, Role, principal_of, split_token, verify
from matcher.bootstrap import Service
from matcher.config import Settings
from matcher.service.ports import ContractFilter, UnitOfWork
from matcher.sessions import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SessionRules,
    csrf_ok,
    csrf_token,
)
from matcher.signin import SignInUowFactory, authenticate_cookie

REALM = 'Bearer realm="foodmatch"'
API_PREFIX = "/api/v1"
BANK_PREFIX = f"{API_PREFIX}/bank/"
BANK_PATHS = frozenset({f"{API_PREFIX}/bank-consents", f"{API_PREFIX}/session"})
"""What a bank key may read: the routes under :data:`BANK_PREFIX`, the consents concerning it
and who it is."""


class Unauthenticated(Exception):
    """401: no credentials, or credentials that do not authenticate anyone."""


class Forbidden(Exception):
    """403: authenticated, but not allowed to see or change this."""


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <API key>'")
        return value.strip()
    key = request.headers.get("x-api-key", "").strip()
    return key or None


def _lookup(service: Service, key_id: str) -> object:
    with service.read_uow_factory() as uow:
        return uow.keys.get(key_id)  # type: ignore[attr-defined]


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="APIKey",
    description="An API key made with `foodmatch keys create`: `Authorization: Bearer fm_...`.",
)
HEADER = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="APIKeyHeader",
    description="The same API key in an `X-API-Key` header.",
)


SESSION_COOKIE = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    scheme_name="SessionCookie",
    description="A person's session, started by opening a sign-in link (`foodmatch invite`); "
    "requests that change something also send the session's CSRF token in `X-CSRF-Token`.",
)


def session_rules(settings: Settings) -> SessionRules:
    """How long sign-in links and sessions last, from the settings."""
    return SessionRules.of(
        settings.sign_in_link_minutes, settings.session_idle_hours, settings.session_max_days
    )


async def _csrf_sent(request: Request) -> str | None:
    """The CSRF token of the request: the header, else the field of a URL-encoded form."""
    sent = request.headers.get(CSRF_HEADER)
    if sent:
        return sent
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qs((await request.body()).decode("utf-8", "replace"))
        return next(iter(fields.get(CSRF_FIELD, [])), None)
    return None


async def _session_caller(request: Request, service: Service, cookie: str) -> Principal:
    """The principal of a session cookie; a change without the session's CSRF token: 403."""
    now = service.context.clock.now()
    rules = session_rules(service.settings)
    found = await run_in_threadpool(
        authenticate_cookie,
        cast(SignInUowFactory, service.uow_factory),
        cookie,
        now,
        rules,
        cast(SignInUowFactory, service.read_uow_factory),
    )
    if found is None:
        raise Unauthenticated("the session has ended or was revoked: open a new sign-in link")
    principal, web, secret = found
    if request.method.upper() not in SAFE_METHODS and not csrf_ok(
        secret, await _csrf_sent(request)
    ):
        raise Forbidden(f"a change made in a signed-in session needs its {CSRF_HEADER} header")
    request.state.web_session = web
    request.state.csrf_token = csrf_token(secret)
    request.state.principal = principal
    return principal


async def authenticate(
    request: Request,
    service: ServiceDep,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
    _header: Annotated[str | None, Depends(HEADER)] = None,
    _cookie: Annotated[str | None, Depends(SESSION_COOKIE)] = None,
) -> Principal:
    """The caller (the security dependencies above only document the schemes in OpenAPI: the
    headers are read here, so a malformed Authorization header is a 401 too). An API key, when
    one is sent, wins over a session cookie."""
    if not service.settings.auth:
        return COORDINATOR_OPEN
    token = _token(request)
    if token is None:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            return await _session_caller(request, service, cookie)
        raise Unauthenticated("an API key is required: 'Authorization: Bearer <API key>'")
    parts = split_token(token)
    if parts is None:
        raise Unauthenticated("the API key is malformed")
    key_id, secret = parts
    key = await run_in_threadpool(_lookup, service, key_id)
    if not verify(key, secret):  # type: ignore[arg-type]
        raise Unauthenticated("the API key is unknown or revoked")
    principal = principal_of(key)  # type: ignore[arg-type]
    request.state.principal = principal
    return principal


def bank_fence(request: Request, principal: Principal) -> None:
    """403 for a bank key outside the bank's routes or changing anything (read-only)."""
    if principal.role is not Role.BANK:
        return
    path = request.url.path
    if not (path.startswith(BANK_PREFIX) or path in BANK_PATHS):
        raise Forbidden("a bank key reads only the bank's routes (/api/v1/bank/...)")
    if request.method.upper() not in SAFE_METHODS:
        raise Forbidden("a bank key is read-only: it changes nothing")


async def authenticated(
    request: Request, principal: Annotated[Principal, Depends(authenticate)]
) -> Principal:
    """The caller, once a bank key is kept to the bank's routes (:func:`bank_fence`)."""
    bank_fence(request, principal)
    return principal


Caller = Annotated[Principal, Depends(authenticated)]


def require_role(caller: Principal, *roles: Role) -> None:
    """403 unless the caller is a coordinator or has one of ``roles``."""
    if caller.coordinator or caller.role in roles:
        return
    allowed = ", ".join(r.value for r in (*roles, Role.COORDINATOR))
    raise Forbidden(f"this needs the role {allowed}; the key is a {caller.role.value} key")


def require_coordinator(caller: Principal) -> None:
    if not caller.coordinator:
        raise Forbidden("this is for coordinators only")


async def coordinator_only(caller: Caller) -> Principal:
    """Route dependency: the caller, who must be a coordinator."""
    require_coordinator(caller)
    return caller


Coordinator = Annotated[Principal, Depends(coordinator_only)]


def require_buyer(caller: Principal, buyer_id: str) -> None:
    if not caller.may_act_for_buyer(buyer_id):
        raise Forbidden(_not_yours(caller))


def require_group(caller: Principal, group_id: str) -> None:
    if not caller.may_act_for_group(group_id):
        raise Forbidden(_not_yours(caller))


def require_party(caller: Principal, buyer_id: str, group_id: str) -> None:
    if not caller.is_party(buyer_id, group_id):
        raise Forbidden(_not_yours(caller))


def _not_yours(caller: Principal) -> str:
    # The message names only the caller: nothing about whose data it is.
    return f"the key of {caller.role.value} {caller.participant_id} may not see or change this"


def scoped(caller: Principal, given: str | None, role: Role) -> str | None:
    """The participant filter of a list route: a participant of ``role`` sees only its own rows
    (a filter naming another participant is refused), a coordinator whatever it asks for;
    any other role has no rows of this kind (403)."""
    if caller.coordinator:
        return given
    if caller.role is not role:
        raise Forbidden(f"a {caller.role.value} key has no access to these")
    if given is not None and given != caller.participant_id:
        raise Forbidden(_not_yours(caller))
    return caller.participant_id


def actor_of(caller: Principal, given: str | None) -> str:
    """The actor recorded for a change: a coordinator may name the party it acts for (or
    itself); a participant is always itself (naming another is refused)."""
    if caller.coordinator:
        return given or caller.actor
    if given is not None and given.strip() != caller.actor:
        raise Forbidden(f"the key of {caller.actor} cannot act as {given.strip()!r}")
    return caller.actor


def may_see_group(uow: UnitOfWork, caller: Principal, group_id: str) -> bool:
    """Coordinators, the group itself, and kitchens with a contract with it."""
    if caller.may_act_for_group(group_id):
        return True
    if caller.role is Role.KITCHEN:
        where = ContractFilter(buyer_id=caller.participant_id, group_id=group_id, limit=1)
        return bool(uow.contracts.list(where))
    return False


def may_see_buyer(uow: UnitOfWork, caller: Principal, buyer_id: str) -> bool:
    """Coordinators, the kitchen itself, and groups with a contract with it."""
    if caller.may_act_for_buyer(buyer_id):
        return True
    if caller.role is Role.GROUP:
        where = ContractFilter(buyer_id=buyer_id, group_id=caller.participant_id, limit=1)
        return bool(uow.contracts.list(where))
    return False


def require_seen(allowed: bool, caller: Principal) -> None:
    if not allowed:
        raise Forbidden(_not_yours(caller))


def message_id_for(caller: Principal, key: str) -> str:
    """Idempotency keys are the caller's own: a participant's are namespaced by it, so one
    participant's key can never replay (or reveal) another's request."""
    if caller.coordinator:
        return key
    return f"{caller.role.value}:{caller.participant_id}/{key}"


async def _unauthenticated(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": REALM})


async def _forbidden(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=403)


def install_auth_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Unauthenticated, _unauthenticated)
    app.add_exception_handler(Forbidden, _forbidden)
