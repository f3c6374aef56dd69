"""The message bus: runs a command's handler in one transaction with the inbox and outbox.

A command whose ``message_id`` is in the inbox has no effect and reports ``duplicate``; one whose
id is there with another body (the inbox keeps a digest of each handled command's canonical
body) is refused with :class:`~matcher.service.ports.MessageIdReused` and the first stays. After a
commit, the events go to in-process subscribers (metrics, the round trigger). Errors raised by a
handler roll the transaction back and reach the caller unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any

from matcher.domain.errors import DomainError, NotFound, UnknownReference
from matcher.service import commands, events
from matcher.service.canonical import command_digest
from matcher.service.context import ServiceContext
from matcher.service.handlers import command_handlers
from matcher.service.ports import DuplicateMessage, MessageIdReused, Rejection, UnitOfWork
from matcher.service.results import Handler, Result

log = logging.getLogger(__name__)

Subscriber = Callable[[events.Event], None]


@dataclass(frozen=True, slots=True)
class Outcome:
    command: commands.Command
    value: Any = None
    events: tuple[events.Event, ...] = ()
    duplicate: bool = False
    rerun: bool = False


@dataclass(frozen=True, slots=True)
class Refused:
    """A command of a batch that the domain refused: its writes were undone, its refusal
    recorded in the batch's transaction."""

    command: commands.Command
    error: DomainError


@dataclass(frozen=True, slots=True)
class Batch:
    """What :meth:`MessageBus.handle_batch` made of the first ``len(handled)`` commands."""

    handled: tuple[Outcome | Refused, ...]


ALONE: tuple[type[commands.Command], ...] = (commands.RunMatchingRound,)
"""Commands a batch stops before: a round reads, then solves outside any transaction."""

QUICK: tuple[type[commands.Command], ...] = (commands.SubmitOrder, commands.AnnounceSupply)
"""Commands a batch writes together when nothing in the run needs a savepoint: most of a
market's traffic, each reading only what it names."""


@dataclass
class MessageBus:
    uow_factory: Callable[[], UnitOfWork]
    context: ServiceContext
    subscribers: list[Subscriber] = field(default_factory=list)
    handlers: dict[type[commands.Command], Handler] = field(default_factory=command_handlers)

    def handle(self, command: commands.Command) -> Outcome:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        digest = command_digest(command)
        with self.uow_factory() as uow:
            if _repeat(uow, command, digest):
                log.info("duplicate message %s ignored", command.message_id)
                return Outcome(command, duplicate=True)
            result: Result = handler(command, uow, self.context)
            now = self.context.clock.now()
            try:
                uow.inbox.record(command.message_id, type(command).__name__, now, digest)
            except DuplicateMessage:  # a concurrent copy committed first
                uow.rollback()
                _repeat(uow, command, digest)  # raises when that copy had another body
                return Outcome(command, duplicate=True)
            for event in result.events:
                uow.outbox.add(event, now)
            uow.commit()
        self.publish(result.events)
        return Outcome(command, result.value, tuple(result.events), rerun=result.rerun)

    def handle_batch(
        self,
        batch: Sequence[commands.Command],
        *,
        stop_at_unknown: bool = False,
        record: bool = True,
    ) -> Batch:
        """Handle ``batch`` in one transaction, in order, each command in a savepoint: a command
        the domain refuses is undone alone and its refusal recorded (:class:`Refused`), the
        others commit together, and their events go to the subscribers after the commit, in
        order. A repeated message id (in the inbox, or earlier in the batch) is a duplicate.

        The batch stops before a command that must be handled alone: one that runs outside
        a transaction (a matching round), or, with ``stop_at_unknown``, one naming a participant
        not registered yet (the caller waits for it). ``record=False`` leaves refusals
        unrecorded (a caller that answers the sender itself). ``Batch.handled`` covers a prefix of
        ``batch``; the rest is the caller's. Any other error rolls the whole batch back and
        reaches the caller: nothing of it is written.
        """
        quick = self._quickly(batch)
        if quick is not None:
            return quick
        handled: list[Outcome | Refused] = []
        with self.uow_factory() as uow:
            # The markets the batch names are locked first, in crop order, as a round locks
            # them: two batches, or a batch and a round, never wait on each other in a circle.
            uow.markets.lock(sorted(_markets_named(batch)))
            for command in batch:
                if isinstance(command, ALONE):
                    break
                item = self._in_savepoint(uow, command)
                if stop_at_unknown and _unknown_reference(item):
                    break
                if record and isinstance(item, Refused):
                    uow.inbox.reject(self._rejection(command, item.error))
                handled.append(item)
            uow.commit()
        for item in handled:
            if isinstance(item, Outcome):
                self.publish(item.events)
        return Batch(tuple(handled))

    def _quickly(self, batch: Sequence[commands.Command]) -> Batch | None:
        """The leading run of new supply and orders in ``batch`` written together, without a
        savepoint each: what they read is read at once, what they write is written at the
        commit. None (nothing written) when the run is too short to gain, or when any of it
        needs more care: a refusal, a repeat, an id reused, a conflict at the commit. The
        careful way then handles the batch and says why."""
        run = list(takewhile(lambda command: isinstance(command, QUICK), batch))
        if len(run) < 2:
            return None
        handled: list[Outcome] = []
        try:
            with self.uow_factory() as uow:
                uow.markets.lock(sorted(_markets_named(run)))
                stored = uow.inbox.digests([command.message_id for command in run])
                uow.orders.prefetch(
                    [c.order.id for c in run if isinstance(c, commands.SubmitOrder)]
                )
                uow.supply.prefetch(
                    [c.supply.id for c in run if isinstance(c, commands.AnnounceSupply)]
                )
                with uow.quietly():
                    for command in run:
                        if command.message_id in stored:
                            return None  # a repeat: the careful way tells it apart
                        handled.append(self._quick_one(uow, command))
                        stored[command.message_id] = ""
                try:
                    uow.commit()
                except Exception:  # a concurrent copy, a duplicate id, the database away
                    log.debug("a batch of %d written together failed", len(run), exc_info=True)
                    return None
        except (DomainError, DuplicateMessage):
            return None
        for item in handled:
            self.publish(item.events)
        return Batch(tuple(handled))

    def _quick_one(self, uow: UnitOfWork, command: commands.Command) -> Outcome:
        handler = self.handlers[type(command)]
        result: Result = handler(command, uow, self.context)
        now = self.context.clock.now()
        uow.inbox.add(command.message_id, type(command).__name__, now, command_digest(command))
        for event in result.events:
            uow.outbox.add(event, now)
        return Outcome(command, result.value, tuple(result.events), rerun=result.rerun)

    def _in_savepoint(self, uow: UnitOfWork, command: commands.Command) -> Outcome | Refused:
        handler = self.handlers.get(type(command))
        if handler is None:
            raise TypeError(f"no handler for {type(command).__name__}")
        digest = command_digest(command)
        try:
            with uow.savepoint():
                if _repeat(uow, command, digest):
                    return Outcome(command, duplicate=True)
                result: Result = handler(command, uow, self.context)
                now = self.context.clock.now()
                uow.inbox.record(command.message_id, type(command).__name__, now, digest)
                for event in result.events:
                    uow.outbox.add(event, now)
        except DuplicateMessage:  # a concurrent copy committed first: as a repeat
            try:
                _repeat(uow, command, digest)
            except MessageIdReused as error:
                return Refused(command, error)
            return Outcome(command, duplicate=True)
        except DomainError as error:
            return Refused(command, error)
        return Outcome(command, result.value, tuple(result.events), rerun=result.rerun)

    def reject(self, command: commands.Command, error: Exception) -> None:
        """Remember why ``command`` was refused, for a sender waiting on another process."""
        with self.uow_factory() as uow:
            uow.inbox.reject(self._rejection(command, error))
            uow.commit()

    def _rejection(self, command: commands.Command, error: Exception) -> Rejection:
        if isinstance(error, NotFound):
            field, reason = error.kind, error.key
        else:
            field = getattr(error, "field", "")
            reason = getattr(error, "reason", str(error))
        return Rejection(
            message_id=command.message_id,
            kind=type(command).__name__,
            error=type(error).__name__,
            field=str(field),
            reason=str(reason),
            at=self.context.clock.now(),
        )

    def publish(self, happened: Sequence[events.Event]) -> None:
        for event in happened:
            for subscriber in self.subscribers:
                try:
                    subscriber(event)
                except Exception:  # a subscriber must not undo a committed command
                    log.exception("subscriber failed on %s", event.name)


def _markets_named(batch: Sequence[commands.Command]) -> set[str]:
    named: set[str] = set()
    for command in batch:
        if isinstance(command, ALONE):
            break
        named.add(commands.market_of(command))
    return named - {""}


def _unknown_reference(item: Outcome | Refused) -> bool:
    return isinstance(item, Refused) and isinstance(item.error, UnknownReference)


def _repeat(uow: UnitOfWork, command: commands.Command, digest: str) -> bool:
    """Whether the inbox holds ``command``'s id; :class:`MessageIdReused` when it holds it with
    another body (ids handled before digests were kept, or commands without a body, compare
    equal)."""
    stored = uow.inbox.digest(command.message_id)
    if stored is None:
        return False
    if stored and digest and stored != digest:
        raise MessageIdReused(command.message_id)
    return True
