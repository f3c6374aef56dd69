"""Outside the versioned prefix: health, Prometheus metrics, the coordinator page and the
participants' portals."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ServiceDep
from api.models.ops import Health
from matcher.bootstrap import Service

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["operations"])


def _database_ok(service: Service) -> bool:
    try:
        with service.read_uow_factory() as uow:
            uow.rounds.list(limit=1, unfilled=False)  # one small row, whatever the market
    except Exception:
        log.exception("health check: the database did not answer")
        return False
    return True


@router.get(
    "/health",
    summary="Liveness and readiness",
    response_model=Health,
    responses={
        503: {
            "model": Health,
            "description": "The engine is stopped or the database does not answer.",
        }
    },
)
def health(service: ServiceDep) -> JSONResponse:
    status: dict[str, Any] = service.engine.status()
    database = "ok" if _database_ok(service) else "error"
    running = bool(status.get("running"))
    healthy = database == "ok" and running
    body = {
        "status": "ok" if healthy else "degraded",
        "engine": {"name": status.get("engine"), "running": running},
        "database": database,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(service: ServiceDep) -> Response:
    service.metrics.queue_depth.set(service.engine.status().get("queue_depth", 0))
    return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/group/", include_in_schema=False)
def group_portal() -> FileResponse:
    """The farmer group's portal (its proposals, supply, deliveries, contracts, certificates)."""
    return FileResponse(STATIC / "group" / "index.html", media_type="text/html; charset=utf-8")


@router.get("/kitchen/", include_in_schema=False)
def kitchen_portal() -> FileResponse:
    """The kitchen's portal (its forward orders and their deliveries, ordering, contracts)."""
    return FileResponse(STATIC / "kitchen" / "index.html", media_type="text/html; charset=utf-8")


@router.get("/bank/", include_in_schema=False)
def bank_page() -> FileResponse:
    """The bank's page (the forward revenue of the groups that consented to it), read-only."""
    return FileResponse(STATIC / "bank" / "index.html", media_type="text/html; charset=utf-8")
