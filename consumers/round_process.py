"""Matching rounds in a process of their own, so that a round (reading the book, solving,
writing contracts) never holds the interpreter lock the worker's message handlers need.

The leader's :class:`~consumers.rounds.LeaderRounds` hands each ``RunMatchingRound`` to
:class:`RoundProcess`: one child process, started with the ``spawn`` method (the worker has
threads; a fork would copy their locks), that builds its own service from the worker's
settings and runs the command through its own bus, in its own transactions, under the same
market version locks. The outcome (the round, its events) comes back to the worker, whose bus
subscribers (metrics, the relay) then see the events as if the round had run there.

The child dies with the worker: on Linux the kernel kills it when the worker's main thread
ends (``PR_SET_PDEATHSIG``), so a worker killed in the middle of a round leaves no round
running on (the round's transaction is rolled back with the connection, as in a thread).
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from matcher.service import commands
from matcher.service.messagebus import Outcome

if TYPE_CHECKING:
    from matcher.bootstrap import Service
    from matcher.config import Settings

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1

_service: Service | None = None
"""The child's service (built once, when the child starts)."""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            log.warning("the round process cannot follow the worker's end (prctl failed)")


def _start(settings: Settings, parent: int, log_level: int) -> None:
    """The child's initializer: die with the worker, log as it does, build the service (the
    embedded engine's classes, never started; no migrations: the worker ran them)."""
    _die_with_parent()
    if os.getppid() != parent:  # the worker ended before the line above took effect
        os._exit(1)
    from consumers.logs import configure_logging
    from matcher.bootstrap import bootstrap

    configure_logging(log_level)
    global _service
    _service = bootstrap(settings.model_copy(update={"engine": "inprocess"}), migrate=False)


def _run(command: commands.RunMatchingRound) -> Outcome:
    if _service is None:
        raise RuntimeError("the round process has no service")
    return _service.bus.handle(command)


def _ready() -> bool:
    return _service is not None


class RoundProcess:
    """One child process that runs rounds, started on first use (or by :meth:`start`) and
    again after it died."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self.settings, os.getpid(), logging.getLogger().level),
            )
        return self._executor

    async def start(self) -> None:
        """Start the child and wait until its service is built (a round then starts at once)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._pool(), _ready)

    async def run(self, command: commands.RunMatchingRound) -> Outcome:
        """The round's outcome, run in the child; a child that died is started again for the
        next round (this one fails with the error)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool(), _run, command)
        except BrokenProcessPool:
            self.close()
            raise

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
