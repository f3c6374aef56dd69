"""The in-process engine: one worker thread feeds the message bus from a queue.

One writer keeps SQLite simple. It takes what is queued at once (up to ``batch_size``) and
handles it in one transaction (group commit), so concurrent API writes share a commit. Rounds
run on the same worker: debounced after the book changes (``debounce_seconds`` after the last
change, at most ``max_debounce_seconds`` after the first), on a schedule
(``round_interval_seconds``), and on request (a RunMatchingRound command).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from matcher.service import commands
from matcher.service.messagebus import MessageBus, Outcome, Refused

log = logging.getLogger(__name__)

_STOP = object()
Queued = tuple[commands.Command, "Future[Outcome] | None"]
"""A command on the engine's queue and the future its caller waits on."""


@dataclass(frozen=True, slots=True)
class Timing:
    debounce_seconds: float = 2.0
    max_debounce_seconds: float = 10.0
    round_interval_seconds: float = 300.0


class RoundTrigger:
    """When the next round is due: debounced changes and the schedule (pure, clock passed in)."""

    def __init__(self, timing: Timing, now: float) -> None:
        self.timing = timing
        self.first_change: float | None = None
        self.due: float | None = None
        interval = timing.round_interval_seconds
        self.next_scheduled: float | None = now + interval if interval > 0 else None

    def changed(self, now: float) -> None:
        if self.first_change is None:
            self.first_change = now
        latest = self.first_change + max(self.timing.max_debounce_seconds, 0.0)
        self.due = min(now + self.timing.debounce_seconds, latest)

    def ran(self, now: float) -> None:
        self.first_change = None
        self.due = None

    def take(self, now: float) -> str | None:
        """The trigger of a round due at ``now`` (``debounce`` or ``schedule``), else None."""
        if self.due is not None and now >= self.due:
            return "debounce"
        if self.next_scheduled is not None and now >= self.next_scheduled:
            interval = self.timing.round_interval_seconds
            while self.next_scheduled <= now:
                self.next_scheduled += interval
            return "schedule"
        return None

    def wait(self, now: float) -> float:
        moments = [m for m in (self.due, self.next_scheduled) if m is not None]
        return max(0.0, min(moments) - now) if moments else 1.0


class InProcessEngine:
    name = "inprocess"

    def __init__(
        self,
        bus: MessageBus,
        timing: Timing,
        on_outcome: Any = None,
        on_message: Any = None,
        batch_size: int = 500,
    ) -> None:
        self.bus = bus
        self.timing = timing
        self.batch_size = max(1, batch_size)
        """Commands taken off the queue at once and handled in one transaction (group commit:
        concurrent API writes share a commit)."""
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._trigger = RoundTrigger(timing, time.monotonic())
        self._on_outcome = on_outcome
        self._on_message = on_message
        """Called with (command name, outcome) for each command submitted from outside (the
        messages of the embedded engine), not for the rounds the engine starts itself."""
        self.rounds_run = 0
        self.last_round: dict[str, Any] | None = None
        self.companions: list[Any] = []
        """Background workers (``start()``/``stop()``) that live as long as the engine: the
        webhook dispatcher."""

    async def start(self) -> None:
        self.start_sync()

    def start_sync(self) -> None:
        if self._thread is not None:
            return
        # A round soon after start clears whatever the book held when the engine last stopped.
        self._trigger.changed(time.monotonic())
        self._thread = threading.Thread(target=self._run, name="foodmatch-engine", daemon=True)
        self._thread.start()
        for companion in self.companions:
            companion.start()

    async def stop(self) -> None:
        await asyncio.to_thread(self.stop_sync)

    def stop_sync(self, timeout: float = 30.0) -> None:
        if self._thread is None:
            return
        for companion in self.companions:
            companion.stop()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def submit(self, command: commands.Command) -> Future[Outcome]:
        if self._thread is None:
            raise RuntimeError("the engine is not running")
        future: Future[Outcome] = Future()
        self._queue.put((command, future))
        return future

    async def execute(self, command: commands.Command) -> Outcome:
        return await asyncio.wrap_future(self.submit(command))

    def execute_sync(self, command: commands.Command, timeout: float | None = None) -> Outcome:
        return self.submit(command).result(timeout)

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        due = self._trigger.due
        return {
            "engine": self.name,
            "running": self._thread is not None and self._thread.is_alive(),
            "queue_depth": self._queue.qsize(),
            "rounds_run": self.rounds_run,
            "next_round_in_seconds": round(due - now, 2) if due is not None else None,
            "last_round": self.last_round,
        }

    # -- the worker -------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wait = self._trigger.wait(time.monotonic())
            try:
                item = self._queue.get(timeout=max(wait, 0.01))
            except queue.Empty:
                item = None
            if item is _STOP:
                return
            if item is not None:
                batch, stop = self._more([item])
                self._handle_many(batch)
                if stop:
                    return
            trigger = self._trigger.take(time.monotonic())
            if trigger is not None:
                self._handle(commands.RunMatchingRound(trigger=trigger), None)

    def _more(self, batch: list[Queued]) -> tuple[list[Queued], bool]:
        """``batch`` and what else is queued already, up to the batch size; True when the
        engine was asked to stop after them."""
        while len(batch) < self.batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _handle_many(self, batch: list[Queued]) -> None:
        """The queued commands in one transaction (:meth:`MessageBus.handle_batch`); a round
        among them alone, in its turn. When the transaction as a whole fails, each command is
        handled on its own, so that each caller gets its own answer."""
        while batch:
            if len(batch) == 1:
                self._handle(*batch[0])
                return
            try:
                done = self.bus.handle_batch([command for command, _ in batch], record=False)
            except Exception:
                log.exception("a batch of %d commands failed: handling them one by one", len(batch))
                for command, future in batch:
                    self._handle(command, future)
                return
            for (command, future), item in zip(batch, done.handled, strict=False):
                if isinstance(item, Refused):
                    self._failed(command, future, item.error)
                else:
                    self._succeeded(command, future, item)
            rest = batch[len(done.handled) :]
            if rest:
                self._handle(*rest[0])
            batch = rest[1:]

    def _handle(self, command: commands.Command, future: Future[Outcome] | None) -> None:
        try:
            outcome = self.bus.handle(command)
        except BaseException as err:  # the caller gets every error; the worker carries on
            self._failed(command, future, err)
            return
        self._succeeded(command, future, outcome)

    def _failed(
        self, command: commands.Command, future: Future[Outcome] | None, err: BaseException
    ) -> None:
        self._report(command, "error" if not _is_domain(err) else "rejected", future)
        if future is not None and future.set_running_or_notify_cancel():
            future.set_exception(err)

    def _succeeded(
        self, command: commands.Command, future: Future[Outcome] | None, outcome: Outcome
    ) -> None:
        self._report(command, "duplicate" if outcome.duplicate else "ok", future)
        now = time.monotonic()
        if isinstance(command, commands.RunMatchingRound) and not outcome.duplicate:
            self._after_round(outcome, now)
        elif any(e.book_change for e in outcome.events):
            self._trigger.changed(now)
        if future is not None and future.set_running_or_notify_cancel():
            future.set_result(outcome)

    def _after_round(self, outcome: Outcome, now: float) -> None:
        self.rounds_run += 1
        self._trigger.ran(now)
        if outcome.rerun:
            self._trigger.changed(now)
        record = outcome.value
        self.last_round = {
            "id": getattr(record, "id", None),
            "status": getattr(getattr(record, "status", None), "value", None),
            "summary": getattr(record, "summary", None),
        }

    def _report(self, command: commands.Command, outcome: str, future: Any) -> None:
        if outcome == "error":
            log.exception("command %s failed", type(command).__name__)
        if self._on_outcome is not None:
            self._on_outcome(type(command).__name__, outcome)
        if self._on_message is not None and future is not None:
            self._on_message(type(command).__name__, outcome)


def _is_domain(err: BaseException) -> bool:
    from matcher.domain.errors import DomainError

    return isinstance(err, DomainError)


def build_engine(service: Any) -> InProcessEngine:
    """The in-process engine of a bootstrapped service (see ``matcher.engine.registry``)."""
    settings = service.settings
    timing = Timing(
        debounce_seconds=settings.debounce_seconds,
        max_debounce_seconds=settings.max_debounce_seconds,
        round_interval_seconds=settings.round_interval_seconds,
    )
    engine = InProcessEngine(
        service.bus,
        timing,
        on_outcome=service.metrics.command,
        on_message=service.metrics.message_taken,
        batch_size=settings.batch_size,
    )
    from matcher.adapters.webhook_dispatch import build_dispatcher

    dispatcher = build_dispatcher(service)
    if dispatcher is not None:
        engine.companions.append(dispatcher)
    return engine
