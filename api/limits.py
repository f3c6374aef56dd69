"""Request bodies above the message size limit (``max_message_bytes``) are answered ``413``.

A command's body becomes one message on the Kafka engine, which the workers refuse above the
limit; the API refuses it first, on both engines. A declared ``Content-Length`` is checked before
anything is read; a body without one (chunked) is read up to the limit and then handed on.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.adapters.wire import MAX_MESSAGE_BYTES

WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyLimit:
    """Pure ASGI middleware; the limit is read from the running service's settings."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, f"request body of {declared:,} bytes", limit)
            return
        if declared is not None or scope["method"] not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, send, limit)
        if body is not None:
            await self.app(scope, _replay(bytes(body), receive), send)


async def _read_body(receive: Receive, send: Send, limit: int) -> bytearray | None:
    """A body without a declared length, read up to ``limit``; ``None`` when the client went away
    or the body is above the limit (answered ``413`` here)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return None
        body += message.get("body", b"")
        if len(body) > limit:
            await _too_large(send, "request body", limit)
            return None
        if not message.get("more_body", False):
            return body


def _replay(body: bytes, receive: Receive) -> Receive:
    """The app's ``receive``: the body read once, then the client's own messages."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _limit(scope: Scope) -> int:
    service = getattr(getattr(scope.get("app"), "state", None), "service", None)
    settings = getattr(service, "settings", None)
    return int(getattr(settings, "max_message_bytes", MAX_MESSAGE_BYTES))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, what: str, limit: int) -> None:
    body = json.dumps({"detail": f"{what} is above the limit of {limit:,} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
