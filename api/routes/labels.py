"""Outside the versioned prefix: the label catalogue the dashboard reads, public and cacheable
like the static files (no API key)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.models.labels import catalogue_keys, label_catalogue
from matcher.labels import catalogue, raw

PATH = "/labels.json"
CACHE_CONTROL = "public, max-age=300"
"""Browsers and proxies may keep the catalogue five minutes, then ask again with its ETag."""


def etag(content: bytes) -> str:
    """A strong validator of the catalogue's bytes."""
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _matches(request: Request, tag: str) -> bool:
    asked = request.headers.get("if-none-match", "")
    return any(part.strip() in (tag, "*") for part in asked.split(","))


def router() -> APIRouter:
    """The route of ``GET /labels.json``; its response model names every key of the catalogue
    (read here, when the app is built, never at import time)."""
    routes = APIRouter(tags=["labels"])
    model = label_catalogue(catalogue_keys(catalogue()))

    @routes.get(
        PATH,
        summary="The label catalogue (Thai and English)",
        response_model=model,
        responses={304: {"description": "Not modified: the ETag given in If-None-Match."}},
    )
    def labels(request: Request) -> Response:
        """Every label of the dashboard and the contract documents, exactly as
        ``matcher/labels.json`` stores it; public (no API key) and cacheable (``ETag``,
        ``Cache-Control``)."""
        content = raw()
        tag = etag(content)
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
        if _matches(request, tag):
            return Response(status_code=304, headers=headers)
        return Response(content, media_type="application/json", headers=headers)

    return routes
