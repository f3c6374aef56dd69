from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from matcher.config import Settings
from tests.support.api_keys import sign_in
from tests.support.market import Market


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/t.db",
        debounce_seconds=0.2,
        round_interval_seconds=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        sign_in(client)
        yield client


@pytest.fixture
def market(client: TestClient) -> Market:
    return Market(client)
