"""The worker's relay task: the outbox relay inside the worker, so committed events go out to
their Kafka topics (the relay loop is :mod:`matcher.adapters.kafka.outbox_relay`; the relay as a
process of its own is :mod:`consumers.relay_process`).

Only the leader relays, as soon as this worker commits events (the bus wakes it: see
:meth:`WorkerRelay.wake`) and, for what other processes commit, on a faust timer with
``on_leader=True``; either runs :meth:`matcher.adapters.kafka.outbox_relay.OutboxRelay.relay_once`
in a thread until the outbox is drained.
One relay at a time keeps the topics free of routine repeats (two relays reading the same pending
rows would both publish them). Delivery stays at-least-once all the same: a crash between publishing
and marking, or a leadership change in the middle of a batch, publishes a batch again, and every
event carries its outbox id as ``message_id`` so that consumers drop the repeats.

The kafka-python producer is made on first use (in the relay's thread) and closed by
:meth:`WorkerRelay.close` when the worker stops. Stopping never waits on the broker: ``close``
marks the relay closed (no further batch, no further send, the back-off between attempts ends),
closes the producer within :data:`CLOSE_SECONDS` (which fails what it still holds, so a send
in progress returns at once; those events stay pending and are parked by nobody), and waits at
most :data:`CLOSE_WAIT_SECONDS` for the batch in progress to record what went out.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from matcher.adapters.kafka.outbox_relay import PRODUCER_SETTINGS, OutboxRelay, ParkedHook
from matcher.adapters.kafka.publisher import KafkaPublisher
from matcher.config import KafkaSettings
from matcher.service.ports import Clock, UnitOfWork

log = logging.getLogger(__name__)

RELAY_TIMER_SECONDS = 0.5
RELAY_BACKOFF_SECONDS = (1.0, 30.0)
CLOSE_SECONDS = 2.0
CLOSE_WAIT_SECONDS = 5.0
STOP_POLL_SECONDS = 0.25

PublisherFactory = Callable[[KafkaSettings], KafkaPublisher]


class WorkerRelay:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        kafka: KafkaSettings,
        clock: Clock,
        *,
        client_id: str = "foodmatch-relay",
        publisher_factory: PublisherFactory | None = None,
        max_event_bytes: int | None = None,
        on_parked: ParkedHook | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.kafka = kafka
        self.clock = clock
        self.client_id = client_id
        self.publisher_factory = publisher_factory
        self.max_event_bytes = max_event_bytes
        self.on_parked = on_parked
        self._lock = threading.Lock()
        self._relay: OutboxRelay | None = None
        self._publisher: KafkaPublisher | None = None
        self._closed = False
        self._failures = 0
        self._woken = threading.Event()

    def wake(self) -> None:
        """Events were committed in this process: relay them now, not at the next tick (safe
        from any thread; a bus subscriber calls it after each commit)."""
        self._woken.set()

    def woken(self, timeout: float) -> bool:
        """Waits up to ``timeout`` seconds for :meth:`wake` (blocking); whether it came. Each
        wake is taken once."""
        came = self._woken.wait(timeout)
        self._woken.clear()
        return came and not self._closed

    @property
    def published(self) -> int:
        return self._relay.published if self._relay is not None else 0

    @property
    def parked(self) -> int:
        return self._relay.parked if self._relay is not None else 0

    def _make_publisher(self) -> KafkaPublisher:
        if self.publisher_factory is not None:
            return self.publisher_factory(self.kafka)
        return KafkaPublisher(self.kafka, client_id=self.client_id, **PRODUCER_SETTINGS)

    @property
    def closed(self) -> bool:
        return self._closed

    def _stopping(self) -> bool:
        return self._closed

    def drain(self) -> int:
        """Publish pending events until the outbox is empty or the relay closes; returns how
        many left the pending set (blocking)."""
        with self._lock:
            if self._closed:
                return 0
            if self._relay is None:
                self._publisher = self._make_publisher()
                self._relay = OutboxRelay(
                    self.uow_factory,
                    self._publisher,
                    self.clock,
                    max_event_bytes=self.max_event_bytes,
                    on_parked=self.on_parked,
                    stopping=self._stopping,
                )
            total = 0
            while not self._closed:
                sent = self._relay.relay_once()
                total += sent
                if sent < self._relay.batch:
                    break
            return total

    async def tick(self) -> None:
        """One drain in a thread; errors are logged and the next attempt waits (never raises);
        the wait ends as soon as the relay closes."""
        try:
            await asyncio.to_thread(self.drain)
        except Exception:
            if self._closed:
                return
            self._failures += 1
            first, cap = RELAY_BACKOFF_SECONDS
            delay = min(first * 2 ** (self._failures - 1), cap)
            log.exception("outbox relay failed; retrying in %.1f s", delay)
            until = time.monotonic() + delay
            while not self._closed and time.monotonic() < until:
                await asyncio.sleep(min(STOP_POLL_SECONDS, until - time.monotonic()))
        else:
            self._failures = 0

    def close(self) -> None:
        """Stop relaying and close the producer, without waiting on the broker: a send in
        progress fails at once (its events stay pending); a batch in progress gets at most
        :data:`CLOSE_WAIT_SECONDS` to record what went out."""
        self._closed = True
        publisher = self._publisher
        if publisher is not None:
            try:
                publisher.close(timeout=CLOSE_SECONDS)
            except Exception:
                log.exception("closing the relay's producer failed")
        if self._lock.acquire(timeout=CLOSE_WAIT_SECONDS):
            self._publisher = None
            self._lock.release()
        else:
            log.warning(
                "the relay's batch in progress did not end within %.0f s", CLOSE_WAIT_SECONDS
            )


def register_relay(app: Any, relay: WorkerRelay, *, interval: float = RELAY_TIMER_SECONDS) -> None:
    """Relay on the leader when this worker commits events and every ``interval`` seconds (what
    other processes commit); close the producer when the app stops."""
    app.timer(interval, on_leader=True, name="foodmatch.relay")(relay.tick)

    async def relay_on_commit() -> None:
        while not relay.closed:
            if await asyncio.to_thread(relay.woken, STOP_POLL_SECONDS) and app.is_leader():
                await relay.tick()

    app.task(relay_on_commit)

    async def close_relay(_sender: Any, **_: Any) -> None:
        await asyncio.to_thread(relay.close)

    app.on_before_shutdown.connect(close_relay)
