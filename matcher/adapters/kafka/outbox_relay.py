"""The outbox relay: publishes committed events from the outbox, then marks them published.

The loop itself; it runs in a worker's relay task (:mod:`consumers.worker_relay`) or in the
relay process (:mod:`consumers.relay_process`, ``foodmatch relay``).

At-least-once: a crash between publishing and marking publishes those events again; each
carries its outbox id as ``message_id`` so consumers can drop repeats.

One event never holds up the others. Each event of a batch is sent and acknowledged on its
own (:meth:`matcher.adapters.kafka.publisher.KafkaPublisher.send_each`):

* an event that can never be published — above ``max_message_bytes`` once encoded, or refused
  by the broker with an error that sending again cannot change (too large for the topic, an
  invalid record, not authorised) — is *parked*: it stays in the outbox with ``parked_at`` and
  ``parked_reason``, is counted (``foodmatch_outbox_parked_total`` by topic and reason) and
  logged, and the events behind it go on;
* after an error that may pass (the broker unreachable, not enough replicas, a timeout), the
  events acknowledged before it are marked and the batch stops there: that event and the ones
  behind it are tried again on the next pass, in order;
* a relay that is stopping parks nothing: what the closing producer failed stays pending.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matcher.adapters.kafka.publisher import KafkaPublisher, is_retriable
from matcher.adapters.metrics import PARKED_REFUSED, PARKED_TOO_LARGE
from matcher.adapters.topics import Topic
from matcher.adapters.wire import (
    MAX_MESSAGE_BYTES,
    OUTBOUND_TYPES,
    MessageTooLarge,
    check_size,
    encode_event,
)
from matcher.service.ports import Clock, OutboxEntry, UnitOfWork

log = logging.getLogger(__name__)

TOO_LARGE, REFUSED = PARKED_TOO_LARGE, PARKED_REFUSED
"""The ``reason`` labels of a parked event: above the size limit, or refused for good."""

PRODUCER_SETTINGS: dict[str, Any] = {
    # kafka-python's idempotent producer (its default) treats a batch refused for good as a
    # fatal error: it fails every record it holds, and every record sent after, with that
    # error. The relay's events carry their own ids, so it does without idempotence; one
    # request in flight keeps a partition's events in order across retries.
    "enable_idempotence": False,
    "max_in_flight_requests_per_connection": 1,
    # While the broker is away a pass fails within seconds (kafka-python waits up to 60 s for
    # a topic's metadata and 120 s for a delivery); the relay then backs off and tries again.
    "max_block_ms": 5_000,
    "request_timeout_ms": 10_000,
    "delivery_timeout_ms": 30_000,
}
"""Settings of the relay's kafka-python producer (on top of the publisher's)."""
SEND_TIMEOUT_SECONDS = 35.0
"""How long a pass waits for an event's acknowledgement (above the delivery timeout)."""

ParkedHook = Callable[[str, str], None]
"""Called with (logical topic, reason label) for each event parked."""


class RelayError(Exception):
    """An event could not be published for a reason that may pass; the relay tries again."""


@dataclass
class Pass:
    """What one pass over a batch did."""

    published: list[int] = field(default_factory=list)
    parked: list[tuple[int, str, str]] = field(default_factory=list)
    """(outbox id, reason label, reason) of each event parked."""
    retry: BaseException | None = None
    """The error that stopped the pass (the events from there on stay pending)."""


def _never() -> bool:
    return False


def topic_of(event_name: str) -> Topic:
    return OUTBOUND_TYPES.get(event_name, (event_name, Topic.EVENTS))[1]


class OutboxRelay:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        publisher: KafkaPublisher,
        clock: Clock,
        *,
        batch: int = 500,
        event_prefix: str = "evt",
        max_event_bytes: int | None = None,
        on_parked: ParkedHook | None = None,
        stopping: Callable[[], bool] = _never,
    ) -> None:
        self.uow_factory = uow_factory
        self.publisher = publisher
        self.clock = clock
        self.batch = batch
        self.event_prefix = event_prefix
        limit = getattr(publisher, "max_message_bytes", MAX_MESSAGE_BYTES)
        self.max_event_bytes: int = max_event_bytes or int(limit)
        self.on_parked = on_parked
        self.stopping = stopping
        self.published = 0
        self.parked = 0

    def relay_once(self) -> int:
        """Publish one batch of pending events; returns how many left the pending set
        (published or parked). Raises :class:`RelayError` when an error that may pass stopped
        the batch (after recording what went out before it)."""
        with self.uow_factory() as uow:
            pending = list(uow.outbox.pending(self.batch))
            if not pending:
                return 0
            done = self._send(pending)
            uow.outbox.mark_published(done.published, self.clock.now())
            for entry_id, _, reason in done.parked:
                uow.outbox.park(entry_id, reason, self.clock.now())
            uow.commit()
        self.published += len(done.published)
        self.parked += len(done.parked)
        topics = {e.id: topic_of(e.event).value for e in pending}
        for entry_id, label, reason in done.parked:
            log.error("outbox event %d parked (%s): %s", entry_id, label, reason)
            if self.on_parked is not None:
                self.on_parked(topics[entry_id], label)
        if done.retry is not None:
            raise RelayError(
                f"published {len(done.published)} of {len(pending)} pending events; "
                f"the next failed with {type(done.retry).__name__}: {done.retry}"
            ) from done.retry
        return len(done.published) + len(done.parked)

    def _send(self, pending: list[OutboxEntry]) -> Pass:
        done = Pass()
        sendable = []
        for e in pending:
            message = encode_event(e.event, e.key, dict(e.payload), f"{self.event_prefix}-{e.id}")
            try:
                check_size(message.value, self.max_event_bytes)
            except MessageTooLarge:
                size, limit = len(message.value), self.max_event_bytes
                why = f"encoded event of {size:,} bytes is above the limit of {limit:,} bytes"
                done.parked.append((e.id, TOO_LARGE, why))
                continue
            sendable.append((e, message))
        results = self.publisher.send_each(
            [m for _, m in sendable], timeout=SEND_TIMEOUT_SECONDS, stopping=self.stopping
        )
        for (e, _), error in zip(sendable, results, strict=True):
            if error is None:
                done.published.append(e.id)
            elif is_retriable(error) or self.stopping():
                done.retry = error
                break
            else:
                label = TOO_LARGE if "TooLarge" in type(error).__name__ else REFUSED
                done.parked.append((e.id, label, f"refused by the broker: {_describe(error)}"))
        return done

    def run(self, stop: threading.Event, interval: float = 0.2) -> None:
        """Relay until ``stop`` is set; errors are logged and retried after a pause."""
        while not stop.is_set():
            try:
                if self.relay_once() == self.batch:
                    continue
            except Exception:
                log.exception("outbox relay failed; retrying")
                stop.wait(2.0)
            stop.wait(interval)


def _describe(error: BaseException) -> str:
    text = str(error)
    name = type(error).__name__
    return name if not text or text == name else f"{name}: {text}"[:1_000]
