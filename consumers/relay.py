"""The outbox relay inside the worker: committed events go out to their Kafka topics.

Only the leader relays: a faust timer with ``on_leader=True`` runs
:meth:`producers.relay.OutboxRelay.relay_once` in a thread until the outbox is drained. One relay
at a time keeps the topics free of routine repeats (two relays reading the same pending rows
would both publish them). Delivery stays at-least-once all the same: a crash between publishing
and marking, or a leadership change in the middle of a batch, publishes a batch again, and every
event carries its outbox id as ``message_id`` so that consumers drop the repeats.

The kafka-python producer is made on first use (in the relay's thread) and closed by
:meth:`WorkerRelay.close` when the worker stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from matcher.config import KafkaSettings
from matcher.service.ports import Clock, UnitOfWork
from producers.publisher import KafkaPublisher
from producers.relay import OutboxRelay

log = logging.getLogger(__name__)

RELAY_TIMER_SECONDS = 0.5
RELAY_BACKOFF_SECONDS = (1.0, 30.0)

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
    ) -> None:
        self.uow_factory = uow_factory
        self.kafka = kafka
        self.clock = clock
        self.client_id = client_id
        self.publisher_factory = publisher_factory
        self._lock = threading.Lock()
        self._relay: OutboxRelay | None = None
        self._publisher: KafkaPublisher | None = None
        self._closed = False
        self._failures = 0

    @property
    def published(self) -> int:
        return self._relay.published if self._relay is not None else 0

    def _make_publisher(self) -> KafkaPublisher:
        if self.publisher_factory is not None:
            return self.publisher_factory(self.kafka)
        return KafkaPublisher(self.kafka, client_id=self.client_id)

    def drain(self) -> int:
        """Publish pending events until the outbox is empty; returns how many (blocking)."""
        with self._lock:
            if self._closed:
                return 0
            if self._relay is None:
                self._publisher = self._make_publisher()
                self._relay = OutboxRelay(self.uow_factory, self._publisher, self.clock)
            total = 0
            while True:
                sent = self._relay.relay_once()
                total += sent
                if sent < self._relay.batch:
                    return total

    async def tick(self) -> None:
        """One drain in a thread; errors are logged and the next attempt waits (never raises)."""
        try:
            await asyncio.to_thread(self.drain)
        except Exception:
            self._failures += 1
            first, cap = RELAY_BACKOFF_SECONDS
            delay = min(first * 2 ** (self._failures - 1), cap)
            log.exception("outbox relay failed; retrying in %.1f s", delay)
            await asyncio.sleep(delay)
        else:
            self._failures = 0

    def close(self) -> None:
        """Stop relaying and close the producer (waits for a drain in progress)."""
        with self._lock:
            self._closed = True
            publisher, self._publisher = self._publisher, None
        if publisher is not None:
            try:
                publisher.close()
            except Exception:
                log.exception("closing the relay's producer failed")


def register_relay(app: Any, relay: WorkerRelay, *, interval: float = RELAY_TIMER_SECONDS) -> None:
    """Relay on the leader every ``interval`` seconds; close the producer when the app stops."""
    app.timer(interval, on_leader=True, name="foodmatch.relay")(relay.tick)

    async def close_relay(_sender: Any, **_: Any) -> None:
        await asyncio.to_thread(relay.close)

    app.on_before_shutdown.connect(close_relay)
