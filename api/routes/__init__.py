"""The routes, one small module per resource; :data:`api_router` joins those under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.routes import (
    areas,
    bank,
    book,
    calendar,
    contracts,
    dashboard,
    days_off,
    documents,
    market,
    notifications,
    participants,
    roads,
    rounds,
    webhooks,
)
from api.routes.bodies import unicode_body

PREFIX = "/api/v1"


def api_router() -> APIRouter:
    router = APIRouter(
        prefix=PREFIX,
        dependencies=[Depends(unicode_body)],
        responses={
            401: {"description": "No API key, or a malformed, unknown or revoked one."},
            403: {"description": "The key's role or participant may not see or change this."},
        },
    )
    for module in (
        participants,
        days_off,
        book,
        contracts,
        rounds,
        market,
        dashboard,
        documents,
        webhooks,
        notifications,
        bank,
        calendar,
        roads,
        areas,
    ):
        router.include_router(module.router)
    return router
