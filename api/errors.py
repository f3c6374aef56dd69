"""Exception handlers: domain errors become 404, 409 or 422; bad input never becomes a 500."""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from matcher.domain.errors import Conflict, DomainError, InvalidValue, NotFound, Unavailable

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


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(validation_detail(["body"], str(exc)), status_code=422)


async def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [_readable(error) for error in exc.errors()]
    return JSONResponse({"detail": _finite(jsonable_encoder(errors))}, status_code=422)


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
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
