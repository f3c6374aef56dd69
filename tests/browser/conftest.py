"""The coordinator dashboard driven in headless Chromium (Debian's package, never a download).

One live demo per module (a subprocess on a free port with a temporary SQLite database, the
Songkhla scenario streamed in) and one browser per module; each test gets a fresh browser context
(so a fresh localStorage) whose requests and console errors are recorded and checked.

Without Chromium (or the playwright package) the tests are skipped, except in CI (``CI`` set),
where they fail: CI must never skip them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import (
    ANSWER_WITHIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    Dashboard,
    Demo,
    dashboard_tab,
    running_demo,
    stable_market,
    unavailable,
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("dashboard")
    with running_demo(folder, "--answer-within", str(ANSWER_WITHIN)) as (running, process):
        stable_market(running, process)
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - depends on the environment
        unavailable(f"the playwright package is not installed ({err})")
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def dashboard(browser: Any, demo: Demo) -> Iterator[Dashboard]:
    with dashboard_tab(browser, demo) as board:
        yield board
