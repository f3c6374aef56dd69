"""API keys for tests that drive the HTTP API: create one in the service's database and send it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from matcher.auth import Role
from matcher.keys import create_key


def new_token(service: Any, role: Role = Role.COORDINATOR, participant: str | None = None) -> str:
    """A fresh key's token (a coordinator's unless told otherwise)."""
    name = f"test-{role.value}"
    _, token = create_key(service.uow_factory, role, participant, name, datetime.now(UTC))
    return token


def sign_in(
    client: TestClient, role: Role = Role.COORDINATOR, participant: str | None = None
) -> TestClient:
    """Send a new key with every request of ``client`` (whose app has started)."""
    service = client.app.state.service  # type: ignore[attr-defined]
    client.headers["Authorization"] = f"Bearer {new_token(service, role, participant)}"
    return client
