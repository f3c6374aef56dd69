"""Matching rounds on the leader worker: debounced after the book changes, and on a schedule.

A timer that runs only on the leader (``on_leader=True``) looks at the market versions every
``interval`` seconds. Versions that moved since the last look count as a change to the book and
feed a :class:`~matcher.engine.inprocess.RoundTrigger` (the same debounce and schedule as the
in-process engine). When a round is due, a ``RunMatchingRound`` goes through the bus in a thread:
after changes, for the markets that changed since they were last cleared (a leader's first round
and the scheduled ones clear every market).

A round bumps the version of every market it wrote contracts to. Those bumps are its own and do
not count as a change: after a round the baseline is the versions read before it, plus one for
each market with a proposed contract. Whatever else moved meanwhile (an order that arrived while
the solver ran) differs from that baseline and asks for another round, which finds nothing new
if there was nothing. Rounds requested on the ``round-requests`` topic are run by its agent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from matcher.engine.inprocess import RoundTrigger, Timing
from matcher.service import commands, events
from matcher.service.messagebus import MessageBus, Outcome
from matcher.service.ports import UnitOfWork

log = logging.getLogger(__name__)


class RoundRunner(Protocol):
    """Where rounds run when not in the worker's own threads (see
    :class:`consumers.round_process.RoundProcess`)."""

    async def start(self) -> None: ...
    async def run(self, command: commands.RunMatchingRound) -> Outcome: ...


ROUND_TIMER_SECONDS = 0.5


class LeaderRounds:
    """The state of the round timer: the last versions seen and the trigger."""

    def __init__(
        self,
        bus: MessageBus,
        read_uow_factory: Callable[[], UnitOfWork],
        timing: Timing,
        *,
        on_outcome: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        runner: RoundRunner | None = None,
    ) -> None:
        self.bus = bus
        self.runner = runner
        """Runs the rounds elsewhere (a process of their own); None: in a thread, on ``bus``."""
        self.read_uow_factory = read_uow_factory
        self.timing = timing
        self.on_outcome = on_outcome
        self.clock = clock
        self.trigger: RoundTrigger | None = None
        self.baseline: dict[str, int] | None = None
        self.rounds_run = 0
        self.changed: set[str] = set()
        """Markets whose version moved since a round last cleared them."""
        self.everything = True
        """The next debounced round clears every market (the first one of this leader)."""

    def read_versions(self) -> dict[str, int]:
        with self.read_uow_factory() as uow:
            return dict(uow.markets.all())

    def look(self, versions: dict[str, int], now: float) -> str | None:
        """Take in the current versions; the trigger of a round due now, else None."""
        if self.trigger is None:  # the first look (of this worker as leader)
            self.trigger = RoundTrigger(self.timing, now)
            self.everything = True
            if versions:  # clear whatever the book held before this worker led
                self.trigger.changed(now)
        elif versions != self.baseline:
            before = self.baseline or {}
            self.changed |= {c for c, v in versions.items() if before.get(c) != v}
            self.trigger.changed(now)
        self.baseline = versions
        return self.trigger.take(now)

    def markets_for(self, trigger: str) -> tuple[str, ...]:
        """The markets a round of ``trigger`` clears: after changes, those that changed (empty:
        every market, for a leader's first round and the scheduled ones)."""
        if trigger != "debounce" or self.everything:
            return ()
        return tuple(sorted(self.changed))

    def cleared(self, markets: tuple[str, ...]) -> None:
        """A round cleared ``markets`` (empty: all of them)."""
        if markets:
            self.changed -= set(markets)
        else:
            self.changed.clear()
            self.everything = False

    def after_round(self, before: dict[str, int], outcome: Outcome, now: float) -> None:
        """Take the round's own version bumps into the baseline; ask again if it was stale."""
        assert self.trigger is not None
        expected = dict(before)
        crops = {
            e.contract.crop_id for e in outcome.events if isinstance(e, events.ContractProposed)
        }
        for crop in crops:
            expected[crop] = expected.get(crop, 0) + 1
        self.baseline = expected
        self.trigger.ran(now)
        if outcome.rerun:
            self.trigger.changed(now)
        self.rounds_run += 1

    def failed(self, now: float) -> None:
        """A round that could not run (database down...): try again after the debounce."""
        if self.trigger is not None:
            self.trigger.changed(now)

    async def tick(self) -> None:
        """One look at the book and, when due, one round. Never raises (a faust timer body)."""
        if self.trigger is None and self.runner is not None:
            await self.prepare()  # this worker leads now: its rounds' process starts
        try:
            versions = await asyncio.to_thread(self.read_versions)
        except Exception:
            log.exception("cannot read the market versions; trying again")
            return
        trigger = self.look(versions, self.clock())
        if trigger is None:
            return
        markets = self.markets_for(trigger)
        command = commands.RunMatchingRound(trigger=trigger, crops=markets)
        try:
            outcome = await self._run(command)
        except Exception:
            log.exception("matching round (%s) failed", trigger)
            self.failed(self.clock())
            self._report("error")
            return
        self.cleared(markets)
        self.after_round(versions, outcome, self.clock())
        self._report("duplicate" if outcome.duplicate else "ok")
        record: Any = outcome.value
        log.info(
            "round %s (%s): %s contracts",
            getattr(record, "id", "?"),
            trigger,
            (getattr(record, "summary", None) or {}).get("contracts", 0),
        )

    async def _run(self, command: commands.RunMatchingRound) -> Outcome:
        if self.runner is None:
            return await asyncio.to_thread(self.bus.handle, command)
        outcome = await self.runner.run(command)
        self.bus.publish(outcome.events)  # this worker's subscribers: metrics, the relay
        return outcome

    async def prepare(self) -> None:
        """Start the runner before the first round is due (never raises)."""
        if self.runner is None:
            return
        try:
            await self.runner.start()
        except Exception:
            log.exception("the round process did not start; the first round will try again")

    def _report(self, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome("RunMatchingRound", outcome)


def register_rounds(
    app: Any, rounds: LeaderRounds, *, interval: float = ROUND_TIMER_SECONDS
) -> None:
    """Run ``rounds.tick`` every ``interval`` seconds on the leader worker."""
    app.timer(interval, on_leader=True, name="foodmatch.rounds")(rounds.tick)
