"""What an agent does with one message, without faust: decode, hand to the bus, or refuse.

* The bytes become a command (:func:`matcher.adapters.wire.decode_command`), which the
  synchronous message bus handles in a thread.
* A message that cannot be decoded, or that the domain refuses (any
  :class:`~matcher.domain.errors.DomainError`: the sender's fault), goes to the dead-letter topic
  with the reason and its original bytes; the refusal of a decoded command is recorded; the
  next message follows.
* A message above ``max_message_bytes`` is refused unread (``value``: "message of N bytes is
  above the limit of L bytes").
* A transient error (:func:`is_transient`: the database or the broker unreachable, a connection
  dropped, a serialization failure) is logged and the same message is tried again, backing off
  exponentially, for as long as it takes: a message is never skipped and the worker never stops
  on it. Only a worker that is shutting down gives up on it, leaving it unacknowledged
  (``abandoned``) so that it is delivered again to whichever worker takes the partition next.
* Any other error (a bug, data the handler cannot cope with) is tried ``Retry.attempts`` times
  with the same back-off; then the message is refused like an invalid one (field ``handler``,
  the error as reason), so that one such message cannot block its partition for ever.

A message that refers to a participant not registered yet is tried again for a few seconds
(``reference_grace_seconds``) before it is refused: registrations travel on the participants
topic, so they may arrive a moment after the supply or order that names them.

Duplicates need nothing here: the bus's inbox turns a repeated ``message_id`` into a no-op, and
refuses the same id with another body (:class:`~matcher.service.ports.MessageIdReused`, field
``message_id``), which is dead-lettered like any refusal.

Dead letters name the field at fault by its path in the body (``buyer_id``), the envelope's field
(``version``, ``message_id``), ``value`` for bytes that are not an envelope, ``handler`` for a
message whose handling kept failing.

Every delivery is counted once with its outcome (``foodmatch_messages_consumed_total``, by
logical topic), every refusal once it is on the dead-letter topic
(``foodmatch_dead_letters_total``, by logical topic and the field named in the dead letter).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic
from matcher.adapters.wire import MAX_MESSAGE_BYTES, dead_letter, decode_command
from matcher.domain.errors import DomainError, UnknownReference
from matcher.service.commands import Command
from matcher.service.messagebus import MessageBus, Outcome, Refused

log = logging.getLogger(__name__)

OK, DUPLICATE, REJECTED, ABANDONED = "ok", "duplicate", "rejected", "abandoned"

DeadLetterSink = Callable[[bytes | None, bytes], Awaitable[None]]
"""Sends one dead-letter record (key, value) and returns once the broker has it."""

STOP_POLL_SECONDS = 0.25
REFERENCE_GRACE_SECONDS = 3.0
REFERENCE_RETRY_SECONDS = 0.25


class _NotYetKnown(Exception):
    """An unknown reference inside the grace period: try the message again shortly."""


class HandlerFailed(DomainError):
    """A message whose handling failed ``attempts`` times with an error that is not transient."""

    field = "handler"

    def __init__(self, error: BaseException, attempts: int) -> None:
        self.reason = f"handling failed {attempts} times: {type(error).__name__}: {error}"
        super().__init__(self.reason)


def is_transient(error: BaseException | None) -> bool:
    """Whether ``error`` (or an error it was raised from) says nothing about the message: the
    database or the broker unreachable or busy, a connection lost, a timeout."""
    from sqlalchemy import exc

    passing = (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError, exc.TimeoutError)
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OSError, TimeoutError, *passing)):
            return True
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__module__.split(".")[0] in ("kafka", "aiokafka"):
            return True
        error = error.__cause__ or error.__context__
    return False


@dataclass(frozen=True, slots=True)
class Retry:
    """Back-off between attempts at a message that failed for a reason other than its content."""

    first_seconds: float = 0.5
    max_seconds: float = 30.0
    attempts: int = 5
    """Attempts at a message that fails with an error that is not transient, before it is
    refused (transient errors are retried without end)."""

    def delays(self) -> AsyncIterator[float]:
        return _delays(self.first_seconds, self.max_seconds)


async def _delays(first: float, cap: float) -> AsyncIterator[float]:
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One consumed message and where it came from."""

    value: bytes | None
    key: bytes | None
    topic: str
    partition: int | None
    offset: int | None

    @property
    def where(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


def _never() -> bool:
    return False


class MessageHandler:
    """Handles the deliveries of one inbound topic; returns an outcome label per delivery."""

    def __init__(
        self,
        topic: Topic,
        bus: MessageBus,
        metrics: Metrics,
        dead_letters: DeadLetterSink,
        retry: Retry | None = None,
        stopping: Callable[[], bool] = _never,
        reference_grace_seconds: float = REFERENCE_GRACE_SECONDS,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.reference_grace_seconds = reference_grace_seconds
        self.max_message_bytes = max_message_bytes
        self.topic = topic
        self.bus = bus
        self.metrics = metrics
        self.dead_letters = dead_letters
        self.retry = retry or Retry()
        self.stopping = stopping

    async def __call__(self, delivery: Delivery) -> str:
        outcome = await self._handle(delivery)
        self.metrics.consumed(self.topic.value, outcome)
        return outcome

    async def handle_many(self, deliveries: Sequence[Delivery]) -> list[str]:
        """The outcomes of ``deliveries``, in order, handled together where they can be.

        Messages that do not decode are refused first. The others go to the bus as one batch
        (:meth:`MessageBus.handle_batch`: one transaction, a savepoint each); the batch stops
        before a message that must be handled alone (a round, or one naming a participant not
        registered yet), which takes the one-at-a-time way (:meth:`__call__`: the grace period,
        retries, dead letters), and the batch goes on after it. When the batch as a whole
        fails (the database away, a bug), nothing of it was written and every message of it
        takes the one-at-a-time way. Once one message is abandoned (the worker is stopping),
        the ones after it are too: none is acknowledged past one that was not handled. A
        transient error (:func:`is_transient`) tries the batch again, backing off, for as long
        as it takes, as the one-at-a-time way does with one message.
        """
        outcomes: list[str | None] = [None] * len(deliveries)
        pending: list[tuple[int, Command]] = []
        for n, delivery in enumerate(deliveries):
            try:
                command = decode_command(
                    delivery.value, self.topic, max_bytes=self.max_message_bytes
                )
            except DomainError as err:
                await self._refuse(delivery, err, None)
                outcomes[n] = self._consumed(REJECTED)
                continue
            pending.append((n, command))
        delays = self.retry.delays()
        while pending:
            batch = [command for _, command in pending]
            try:
                done = await asyncio.to_thread(self.bus.handle_batch, batch, stop_at_unknown=True)
            except Exception as err:
                self.metrics.command(self.topic.value, "error")
                if is_transient(err):
                    delay = await anext(delays)
                    log.exception("a batch of %d failed; retrying in %.1f s", len(batch), delay)
                    if await self._pause(delay):
                        continue
                    log.warning("stopping: a batch of %d is left for the next worker", len(batch))
                    break
                log.exception("a batch of %d failed: handling them one by one", len(batch))
                await self._one_by_one(deliveries, pending, outcomes)
                break
            for (n, command), item in zip(pending, done.handled, strict=False):
                outcomes[n] = self._consumed(await self._settled(deliveries[n], command, item))
            rest = pending[len(done.handled) :]
            if not rest:
                break
            await self._one_by_one(deliveries, rest[:1], outcomes)
            if outcomes[rest[0][0]] == ABANDONED:
                break
            pending = rest[1:]
        return [o if o is not None else self._consumed(ABANDONED) for o in outcomes]

    async def _one_by_one(
        self,
        deliveries: Sequence[Delivery],
        chosen: Sequence[tuple[int, Command]],
        outcomes: list[str | None],
    ) -> None:
        """Handle ``chosen`` one at a time (each counted by :meth:`__call__`), until one is
        abandoned."""
        for n, _ in chosen:
            outcomes[n] = await self(deliveries[n])
            if outcomes[n] == ABANDONED:
                return

    async def _settled(self, delivery: Delivery, command: Command, item: Outcome | Refused) -> str:
        if isinstance(item, Refused):
            await self._refuse(delivery, item.error, command, recorded=True)
            return REJECTED
        label = DUPLICATE if item.duplicate else OK
        self.metrics.command(type(command).__name__, label)
        return label

    def _consumed(self, outcome: str) -> str:
        self.metrics.consumed(self.topic.value, outcome)
        return outcome

    async def _handle(self, delivery: Delivery) -> str:
        delays = self.retry.delays()
        started = time.monotonic()
        failures = 0  # errors that are not transient
        while True:
            last_chance = failures + 1 >= self.retry.attempts
            try:
                return await self._attempt(delivery, started, last_chance)
            except _NotYetKnown:
                if not await self._pause(REFERENCE_RETRY_SECONDS):
                    return ABANDONED
            except Exception as err:
                delay = await anext(delays)
                if is_transient(err):
                    log.exception("message %s failed; retrying in %.1f s", delivery.where, delay)
                else:
                    failures += 1
                    log.exception(
                        "message %s failed; retrying in %.1f s (attempt %d of %d)",
                        delivery.where,
                        delay,
                        failures,
                        self.retry.attempts,
                    )
                self.metrics.command(self.topic.value, "error")
                if not await self._pause(delay):
                    log.warning("stopping: %s is left for the next worker", delivery.where)
                    return ABANDONED

    async def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds``; False as soon as the worker is stopping."""
        until = time.monotonic() + seconds
        while not self.stopping():
            left = until - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, STOP_POLL_SECONDS))
        return False

    async def _attempt(self, delivery: Delivery, started: float, last_chance: bool) -> str:
        """One attempt; raises what should be tried again (``last_chance``: refuse instead,
        unless the error is transient)."""
        command: Command | None = None
        try:
            # The size is checked first: an oversized message is refused unread.
            command = decode_command(delivery.value, self.topic, max_bytes=self.max_message_bytes)
            outcome = await asyncio.to_thread(self.bus.handle, command)
        except UnknownReference as err:
            if time.monotonic() - started < self.reference_grace_seconds:
                raise _NotYetKnown from err
            await self._refuse(delivery, err, command)
            return REJECTED
        except DomainError as err:  # a DecodeError leaves command None
            await self._refuse(delivery, err, command)
            return REJECTED
        except Exception as err:
            if not last_chance or is_transient(err):
                raise
            log.error("message %s failed %d times: giving up", delivery.where, self.retry.attempts)
            await self._refuse(delivery, HandlerFailed(err, self.retry.attempts), command)
            return REJECTED
        label = DUPLICATE if outcome.duplicate else OK
        self.metrics.command(type(command).__name__, label)
        return label

    async def _refuse(
        self,
        delivery: Delivery,
        error: DomainError,
        command: Command | None,
        *,
        recorded: bool = False,
    ) -> None:
        """Dead-letter ``delivery``; the refusal of a decoded ``command`` is recorded for a
        sender waiting on another process, unless a batch ``recorded`` it already."""
        field = str(getattr(error, "field", ""))
        reason = str(getattr(error, "reason", error))
        if command is not None and not recorded:
            await asyncio.to_thread(self.bus.reject, command, error)
        record = dead_letter(
            raw=delivery.value,
            reason=reason,
            field=field,
            topic=delivery.topic,
            partition=delivery.partition,
            offset=delivery.offset,
            key=delivery.key,
        )
        await self.dead_letters(delivery.key, record)
        self.metrics.dead_letter(self.topic.value, field)
        name = type(command).__name__ if command is not None else "Undecodable"
        self.metrics.command(name, REJECTED)
        log.warning("refused %s: %s: %s", delivery.where, field, reason)
