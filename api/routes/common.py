"""What every command route does: hand the command to the engine, then answer with the view."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter

from api.deps import read
from matcher.bootstrap import Service
from matcher.domain.errors import Conflict, NotFound
from matcher.service.commands import Command
from matcher.service.ports import UnitOfWork

Json = dict[str, Any]
View = Callable[[UnitOfWork], Json]

REPLAY_HEADER = "Idempotent-Replay"
ACTOR = "api"
"""The actor recorded on commands that come through the API (participants' roles come later)."""

Responses = dict[int | str, dict[str, Any]]


class ErrorMessage(BaseModel):
    """The body of a 404 or a 409: what was not found, or what the request contradicts."""

    detail: str


NOT_FOUND: Responses = {
    404: {"model": ErrorMessage, "description": "An id in the path does not exist."},
}
"""The ``responses`` of a route that reads something by an id in its path."""

REPLAY = (
    "A repeat of an earlier request with the same Idempotency-Key: the stored object, with the "
    "header Idempotent-Replay: true."
)

COMMAND_RESPONSES: Responses = {
    200: {"description": REPLAY},
    **NOT_FOUND,
    409: {"model": ErrorMessage, "description": "The request contradicts the stored state."},
    422: {"description": "A field is invalid; `loc` names it."},
}
"""The ``responses`` of a command route answering 200 (its ``response_model`` is the body)."""


def created_responses(model: Any) -> Responses:
    """The ``responses`` of a command route answering 201 with ``model`` (its
    ``response_model``): a replay answers 200 with the same body."""
    return COMMAND_RESPONSES | {200: {"model": model, "description": REPLAY}}


async def run_command(
    service: Service, command: Command, view: View, *, status: int
) -> JSONResponse:
    """Execute ``command`` and answer with ``view`` of the stored result.

    A repeat (``Outcome.duplicate``) answers 200 with ``Idempotent-Replay: true``. A repeated key
    whose object cannot be found was used for a different request: 409.
    """
    outcome = await service.engine.execute(command)
    try:
        body = await read(service, view)
    except NotFound:
        if outcome.duplicate:
            raise Conflict(
                f"the Idempotency-Key {command.message_id!r} was already used for another request"
            ) from None
        raise
    if outcome.duplicate:
        return JSONResponse(body, status_code=200, headers={REPLAY_HEADER: "true"})
    return JSONResponse(body, status_code=status)


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def checked_json(model: Any, value: Any) -> bytes:
    """``value`` checked against the response model ``model`` (pydantic's ``ValidationError``
    when it strays from it), as the JSON bytes FastAPI would answer for it: for an answer kept
    and sent many times, checked and rendered once."""
    adapter = _adapter(model)
    return adapter.dump_json(adapter.validate_python(value))
