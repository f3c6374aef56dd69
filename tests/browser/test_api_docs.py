"""``/docs`` in headless Chromium with the API's own copy of Swagger UI: the operations of the
OpenAPI document are shown and the page asks nothing of any other host (it works offline)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.browser import ROOT, wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``foodmatch serve`` on a free port with a temporary SQLite database: its base URL."""
    folder = tmp_path_factory.mktemp("docs")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOODMATCH_")}
    env |= {
        "FOODMATCH_DATABASE_URL": f"sqlite:///{folder}/docs.db",
        "FOODMATCH_ROUND_INTERVAL_SECONDS": "0",
    }
    log = folder / "serve.log"
    command = [sys.executable, "-m", "matcher", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve ended with {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(base + "/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, 60, "the API answered /health")
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_docs_shows_every_operation_without_asking_another_host(browser: Any, served: str) -> None:
    spec = httpx.get(served + "/openapi.json", timeout=10).json()
    methods = {"get", "put", "post", "delete", "patch"}
    # Swagger UI shows an operation once under each of its tags.
    operations = sum(
        max(1, len(operation.get("tags", [])))
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in methods
    )
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Offline: anything not on this server is refused before it leaves the browser.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(served + "/") else route.abort()
        ),
    )
    try:
        page.goto(served + "/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        shown = page.eval_on_selector_all(".opblock", "els => els.length")
        title = page.text_content(".information-container .title")
        path = Path(os.environ.get("FOODMATCH_SCREENSHOT_DIR", ROOT / ".foodmatch" / "screenshots"))
        path.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path / "api-docs.png"))
    finally:
        context.close()
    assert shown == operations
    assert title is not None
    assert "foodmatch" in title
    assert [url for url in requests if not url.startswith(served + "/")] == []
    assert errors == []
