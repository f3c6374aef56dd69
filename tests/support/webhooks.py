"""A real HTTP receiver for webhook deliveries: it checks each signature and answers 500 to the
first two attempts of every delivery, then 200."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from matcher import webhooks as wh

SECRET = "whsec_e2e_receiver_secret_0123"


class Receiver:
    """Answers 500 to the first two attempts of every delivery, then 200."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: Counter[str] = Counter()
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0


@contextmanager
def running_receiver() -> Iterator[tuple[Receiver, str]]:
    """The receiver's state and the URL it listens on, until the block ends."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            delivery = self.headers.get(wh.DELIVERY_HEADER, "")
            signed = wh.verify(SECRET, body, self.headers.get(wh.SIGNATURE_HEADER, ""))
            with state.lock:
                if not signed:
                    state.bad_signatures += 1
                    status = 400
                else:
                    state.attempts[delivery] += 1
                    status = 500 if state.attempts[delivery] <= 2 else 200
                    if status == 200:
                        state.accepted.append(json.loads(body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()
