"""The coordinator dashboard driven in headless Chromium (Debian's package, never a download).

One live demo per module (a subprocess on a free port with a temporary SQLite database, the
Songkhla scenario streamed in) and one browser per module; each test gets a fresh browser context
(so a fresh localStorage) whose requests and console errors are recorded and checked.

Without Chromium (or the playwright package) the tests are skipped, except in CI (``CI`` set),
where they fail: CI must never skip them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import (
    ANSWER_WITHIN,
    Dashboard,
    Demo,
    dashboard_tab,
    launched_chromium,
    running_demo,
    stable_market,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("dashboard")
    with running_demo(folder, "--answer-within", str(ANSWER_WITHIN)) as (running, process):
        stable_market(running, process)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def dashboard(browser: Any, demo: Demo) -> Iterator[Dashboard]:
    with dashboard_tab(browser, demo) as board:
        yield board
