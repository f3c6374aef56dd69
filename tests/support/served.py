"""The HTTP API served for real (uvicorn on a free port, in a thread of the test's process), for
tests that drive it from a browser: unlike ``TestClient``, a browser needs a socket to talk to."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from api.app import create_app
from matcher.config import Settings
from tests.support.ports import free_port


@dataclass(frozen=True)
class Served:
    base: str
    """``http://127.0.0.1:PORT``: the address the browser opens."""
    service: Any
    """The app's running service (its database, for keys)."""


@contextmanager
def served_api(settings: Settings, *, start_within: float = 60.0) -> Iterator[Served]:
    """``create_app(settings)`` on a free port until the block ends (then shut down cleanly)."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within
    while not server.started:
        if not thread.is_alive():
            raise AssertionError(f"the API did not start on port {port}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the API did not start on port {port} in {start_within} s")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", app.state.service)
    finally:
        server.should_exit = True
        thread.join(30)
