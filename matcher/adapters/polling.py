"""A background worker that calls ``run_once()`` every ``poll_seconds`` on a thread of its own,
until stopped; an error is logged and the next round tries again. The notifier runs on it (and
the webhook dispatcher's loop is the same)."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)


class Poller(ABC):
    thread_name = "foodmatch-poller"

    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def run_once(self) -> None:
        """One pass of the work; called every ``poll_seconds`` until stopped."""

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("%s failed; trying again", self.thread_name)
            self._stop.wait(self.poll_seconds)
