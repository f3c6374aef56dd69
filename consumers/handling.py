"""What an agent does with one message, without faust: decode, hand to the bus, or refuse.

* The bytes become a command (:func:`matcher.adapters.wire.decode_command`), which the
  synchronous message bus handles in a thread.
* A message that cannot be decoded, or that the domain refuses (any
  :class:`~matcher.domain.errors.DomainError`: the sender's fault), goes to the dead-letter topic
  with the reason and its original bytes; the refusal of a decoded command is recorded; the
  next message follows.
* Any other error (the database is down, ...) is logged and the same message is tried again,
  backing off exponentially: a message is never skipped and the worker never stops on it. Only
  a worker that is shutting down gives up on it, leaving it unacknowledged (``abandoned``) so
  that it is delivered again to whichever worker takes the partition next.

A message that refers to a participant not registered yet is tried again for a few seconds
(``reference_grace_seconds``) before it is refused: registrations travel on the participants
topic, so they may arrive a moment after the supply or order that names them.

Duplicates need nothing here: the bus's inbox turns a repeated ``message_id`` into a no-op.

Every delivery is counted once with its outcome (``foodmatch_messages_consumed_total``, by
logical topic), every refusal once it is on the dead-letter topic
(``foodmatch_dead_letters_total``, by logical topic and the field named in the dead letter).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic
from matcher.adapters.wire import DecodeError, dead_letter, decode_command
from matcher.domain.errors import DomainError, UnknownReference
from matcher.service.commands import Command
from matcher.service.messagebus import MessageBus

log = logging.getLogger(__name__)

OK, DUPLICATE, REJECTED, ABANDONED = "ok", "duplicate", "rejected", "abandoned"

DeadLetterSink = Callable[[bytes | None, bytes], Awaitable[None]]
"""Sends one dead-letter record (key, value) and returns once the broker has it."""

STOP_POLL_SECONDS = 0.25
REFERENCE_GRACE_SECONDS = 3.0
REFERENCE_RETRY_SECONDS = 0.25


class _NotYetKnown(Exception):
    """An unknown reference inside the grace period: try the message again shortly."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Back-off between attempts at a message that failed for a reason other than its content."""

    first_seconds: float = 0.5
    max_seconds: float = 30.0

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
    ) -> None:
        self.reference_grace_seconds = reference_grace_seconds
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

    async def _handle(self, delivery: Delivery) -> str:
        delays = self.retry.delays()
        started = time.monotonic()
        while True:
            try:
                return await self._attempt(delivery, started)
            except _NotYetKnown:
                if not await self._pause(REFERENCE_RETRY_SECONDS):
                    return ABANDONED
            except Exception:
                delay = await anext(delays)
                log.exception("message %s failed; retrying in %.1f s", delivery.where, delay)
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

    async def _attempt(self, delivery: Delivery, started: float) -> str:
        try:
            command = decode_command(delivery.value, self.topic)
        except DecodeError as err:
            await self._refuse(delivery, err, None)
            return REJECTED
        try:
            outcome = await asyncio.to_thread(self.bus.handle, command)
        except UnknownReference as err:
            if time.monotonic() - started < self.reference_grace_seconds:
                raise _NotYetKnown from err
            await self._refuse(delivery, err, command)
            return REJECTED
        except DomainError as err:
            await self._refuse(delivery, err, command)
            return REJECTED
        label = DUPLICATE if outcome.duplicate else OK
        self.metrics.command(type(command).__name__, label)
        return label

    async def _refuse(
        self, delivery: Delivery, error: DomainError, command: Command | None
    ) -> None:
        field = str(getattr(error, "field", ""))
        reason = str(getattr(error, "reason", error))
        if command is not None:
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
