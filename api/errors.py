"""Exception handlers: domain errors become 404, 409 or 422; bad input never becomes a 500.

A database that does not answer (connection refused or lost, pool exhausted) is ``503`` with
``Retry-After``, as is a command the engine cannot take now (:class:`Unavailable`).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import exc as db
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Unauthenticated, authenticate
from api.routes import PREFIX
from matcher.domain.errors import Conflict, DomainError, InvalidValue, NotFound, Unavailable

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = (
    db.OperationalError,
    db.InterfaceError,
    db.DisconnectionError,
    db.TimeoutError,
)
"""Errors that mean the database cannot be reached now (not that the request is wrong)."""

_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def field_loc(field: str) -> list[str | int]:
    """``orders[3].quantity`` -> ``["orders", 3, "quantity"]``."""
    if field in ("", "(body)", "(top level)"):
        return []
    return [int(index) if index else name for index, name in _PART.findall(field)]


def validation_detail(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]}


def _finite(value: Any) -> Any:
    """The JSON-safe form of ``value``: non-finite floats become strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


async def _invalid_value(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidValue)
    body = validation_detail(["body", *field_loc(exc.field)], exc.reason)
    return JSONResponse(body, status_code=422)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: the database did not answer: %s", request.method, request.url.path, exc)
    return JSONResponse(
        {"detail": "the database is unavailable; try again shortly"},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(validation_detail(["body"], str(exc)), status_code=422)


async def _request_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_readable(error) for error in exc.errors()]
    answer = JSONResponse({"detail": _finite(jsonable_encoder(errors))}, status_code=422)
    if any(isinstance(e, dict) and e.get("type") == "json_invalid" for e in errors):
        return await _unless_unauthenticated(request, answer)
    return answer


async def _http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own errors, except that a body it cannot parse (not UTF-8, nested too deep
    for the JSON parser) is a 422 naming the body, like any other malformed JSON, not a 400."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
        reason = "not UTF-8 text" if isinstance(exc.__cause__, UnicodeError) else "not JSON"
        answer = JSONResponse(validation_detail(["body"], f"the body is {reason}"), status_code=422)
        return await _unless_unauthenticated(request, answer)
    return await http_exception_handler(request, exc)


async def _unless_unauthenticated(request: Request, answer: Response) -> Response:
    """``answer`` about an unreadable body, unless the route needs an API key the request does
    not carry: FastAPI parses the body before it runs the route's dependencies (authentication
    among them), so without this a caller with no key would hear about its JSON, not a 401."""
    if not request.url.path.startswith(PREFIX + "/"):
        return answer
    try:
        await authenticate(request, request.app.state.service)
    except Unauthenticated as exc:
        handler = request.app.exception_handlers[Unauthenticated]
        unauthenticated: Response = await handler(request, exc)
        return unauthenticated
    return answer


def _readable(error: Any) -> Any:
    """The error with exceptions in its context given as their message."""
    if not isinstance(error, dict) or not isinstance(error.get("ctx"), dict):
        return error
    ctx = {k: str(v) if isinstance(v, Exception) else v for k, v in error["ctx"].items()}
    return error | {"ctx": ctx}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers; the most specific class wins, as Starlette looks up the MRO."""
    app.add_exception_handler(InvalidValue, _invalid_value)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(Unavailable, _unavailable)
    for error in DATABASE_UNAVAILABLE:
        app.add_exception_handler(error, _database_unavailable)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
