"""The application factory. Nothing is built at import time.

Run it with ``uvicorn --factory api.app:create_app``; settings come from the environment
(``FOODMATCH_*``) unless given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.auth import install_auth_handlers
from api.docs import install_docs
from api.errors import install_error_handlers
from api.figures import FigureCache
from api.limits import BodyLimit
from api.routes import api_router, labels, ops, signin_page
from api.routes import session as sign_in
from matcher.adapters import market_metrics
from matcher.bootstrap import Service, bootstrap
from matcher.config import Settings, load_settings

log = logging.getLogger(__name__)

DESCRIPTION = """
A forward market for safe and organic food in Songkhla, Thailand.

Institutional kitchens (hospitals, schools, prisons) submit **forward orders**; certified farmer
groups announce **supply**. Matching **rounds** clear the open book (debounced after changes, on a
schedule, or on request) and propose **forward contracts** that respect food-safety standards,
certificate validity, distance, price and capacity. Every unfilled quantity carries a reason.

Every `/api/v1` route needs an API key: `Authorization: Bearer fm_...` (keys are made with
`foodmatch keys create`; roles kitchen, group, coordinator). Without one: `401`; another
participant's data: `403`. People sign in instead with a one-time link a coordinator makes
(`foodmatch invite`, `POST /api/v1/sign-in-links`): opening it starts a session in a cookie, with
the same checks as a key of that participant; every change made in a session sends its CSRF
token in `X-CSRF-Token` (from `GET /api/v1/session`).

Commands accept an `Idempotency-Key` header: a repeat has no further effect and is answered with
`200` and `Idempotent-Replay: true`. Invalid fields answer `422` with `loc` naming the field;
unknown ids `404`; contradictions of the stored state `409`.
"""

TAGS = [
    {"name": "groups", "description": "Farmer groups, cooperatives and community enterprises."},
    {"name": "buyers", "description": "Institutional kitchens."},
    {"name": "certificates", "description": "Certificates held by groups."},
    {"name": "supply", "description": "Supply announcements: quantity per ISO week."},
    {"name": "orders", "description": "Forward orders: quantity per delivery date."},
    {"name": "contracts", "description": "Forward contracts proposed by rounds."},
    {"name": "rounds", "description": "Matching rounds and their unfilled quantities."},
    {"name": "market", "description": "Crop catalogue, open books and the overview."},
    {"name": "operations", "description": "Health and Prometheus metrics."},
    {"name": "labels", "description": "The Thai and English labels of the dashboard (public)."},
    {
        "name": "roads",
        "description": "Road distances: the coordinator's measured km per (group, buyer) pair, "
        "and the route around Songkhla Lake that rounds measure.",
    },
    {
        "name": "sign-in",
        "description": "People's sign-in: one-time links, sessions (cookie and CSRF token), "
        "sign-out, revocation and the sign-in log.",
    },
]


def _warn_without_keys(service: Service) -> None:
    """With access control on and no key yet, say how to make the first one."""
    if not service.settings.auth:
        log.warning("access control is off (FOODMATCH_AUTH=false): every caller is a coordinator")
        return
    try:
        with service.read_uow_factory() as uow:
            found = bool(uow.keys.list())  # type: ignore[attr-defined]
    except Exception:  # a service without a key store (tests' fakes) has nothing to warn about
        return
    if not found:
        log.warning(
            "no API key exists yet: every /api/v1 request will answer 401; create one with "
            "'foodmatch keys create --role coordinator --name NAME'"
        )


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """Build the API. The lifespan bootstraps a service from ``settings`` (or the environment)
    unless ``service`` is given, starts its engine, and on shutdown stops the engine and closes
    the service it built (a given service is closed by whoever built it)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = service is None
        running = service
        if running is None:
            running = await asyncio.to_thread(bootstrap, settings or load_settings())
        app.state.service = running
        market_metrics.install(running)
        await asyncio.to_thread(_warn_without_keys, running)
        try:
            await running.engine.start()
            yield
        finally:
            await running.engine.stop()
            if owned:
                running.close()

    app = FastAPI(
        title="foodmatch",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served by install_docs from the vendored Swagger UI
        redoc_url=None,
    )
    app.state.figures = FigureCache()  # the coordinator's figures, once per market state
    install_error_handlers(app)
    install_auth_handlers(app)
    app.add_middleware(BodyLimit)  # 413 above max_message_bytes
    app.include_router(api_router())
    app.include_router(ops.router)
    app.include_router(labels.router())
    app.include_router(sign_in.api)
    app.include_router(signin_page.pages)
    install_docs(app)
    app.mount("/static", StaticFiles(directory=ops.STATIC), name="static")
    return app
