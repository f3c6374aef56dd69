"""Health."""

from __future__ import annotations

from typing import Literal

from pydantic import with_config
from typing_extensions import TypedDict

from api.models import EXACT


@with_config(EXACT)
class EngineHealth(TypedDict):
    name: str | None
    running: bool


@with_config(EXACT)
class Health(TypedDict):
    """Liveness and readiness: ``ok`` when the engine runs and the database answers."""

    status: Literal["ok", "degraded"]
    engine: EngineHealth
    database: Literal["ok", "error"]
