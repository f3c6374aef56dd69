"""Pages of the list routes: ``limit`` and ``offset``, the total in ``X-Total-Count`` and the
neighbouring pages in an RFC 8288 ``Link`` header (``rel="next"``, ``rel="prev"``).

Every ``GET`` route that answers a JSON array takes :data:`Offset` and a ``limit`` (most often
:data:`Limit`) and answers through :func:`paged` (:func:`window` for a list held in memory); the
total counts only what the caller may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request, Response

T = TypeVar("T")

TOTAL = "X-Total-Count"
MAX_LIMIT = 1000

Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Most items in the answer (at most {MAX_LIMIT})."),
]
"""At most 1,000 items a page; the default is the route's own (1,000 where lists are short:
participants, the book, the catalogue, webhooks)."""
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip first.")]

LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page of the list. `X-Total-Count` is the number of items the "
        "caller may see with these filters; `Link` points to the next and the previous page.",
        "headers": {
            TOTAL: {
                "description": "How many items match, over every page (only the caller's own).",
                "schema": {"type": "integer", "minimum": 0},
            },
            "Link": {
                "description": "RFC 8288 links to the neighbouring pages: `<...&offset=100>; "
                'rel="next"` while items follow, `rel="prev"` after the first page; the other '
                "query parameters are kept. Absent when the page is the only one.",
                "schema": {"type": "string"},
            },
        },
    },
}
"""The ``responses`` of a list route: its 200 with the two headers."""


def window(
    request: Request, response: Response, items: Sequence[T], *, limit: int, offset: int
) -> list[T]:
    """The page at ``offset`` of an in-memory list, its length as the total (see :func:`paged`)."""
    page = list(items[offset : offset + limit])
    return paged(request, response, page, total=len(items), limit=limit, offset=offset)


def _link(request: Request, *, limit: int, offset: int, rel: str) -> str:
    url = request.url.include_query_params(limit=limit, offset=offset)
    return f'<{url.path}?{url.query}>; rel="{rel}"'


def paged(
    request: Request,
    response: Response,
    items: list[T],
    *,
    total: int,
    limit: int,
    offset: int,
) -> list[T]:
    """``items`` (the page at ``offset``), with ``X-Total-Count: total`` and the ``Link``
    header set on ``response``. Links are relative references (path and query) to this route."""
    response.headers[TOTAL] = str(total)
    links: list[str] = []
    if offset + len(items) < total:
        links.append(_link(request, limit=limit, offset=offset + len(items), rel="next"))
    if offset > 0:
        before = min(offset, total)
        links.append(_link(request, limit=limit, offset=max(0, before - limit), rel="prev"))
    if links:
        response.headers["Link"] = ", ".join(links)
    return items
