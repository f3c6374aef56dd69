"""The routes, one small module per resource; :data:`api_router` joins those under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes import (
    book,
    contracts,
    dashboard,
    documents,
    market,
    participants,
    rounds,
    webhooks,
)

PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for module in (
        participants,
        book,
        contracts,
        rounds,
        market,
        dashboard,
        documents,
        webhooks,
    ):
        router.include_router(module.router)
    return router
