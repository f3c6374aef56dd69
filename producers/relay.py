"""The outbox relay: publishes committed events from the outbox, then marks them published.

At-least-once: a crash between publishing and marking publishes those events again; each
carries its outbox id as ``message_id`` so consumers can drop repeats.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from matcher.adapters.wire import encode_event
from matcher.service.ports import Clock, UnitOfWork
from producers.publisher import KafkaPublisher

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        publisher: KafkaPublisher,
        clock: Clock,
        *,
        batch: int = 500,
        event_prefix: str = "evt",
    ) -> None:
        self.uow_factory = uow_factory
        self.publisher = publisher
        self.clock = clock
        self.batch = batch
        self.event_prefix = event_prefix
        self.published = 0

    def relay_once(self) -> int:
        """Publish one batch of pending events; returns how many."""
        with self.uow_factory() as uow:
            pending = list(uow.outbox.pending(self.batch))
            if not pending:
                return 0
            messages = [
                encode_event(e.event, e.key, dict(e.payload), f"{self.event_prefix}-{e.id}")
                for e in pending
            ]
            self.publisher.send_many(messages)
            uow.outbox.mark_published([e.id for e in pending], self.clock.now())
            uow.commit()
        self.published += len(pending)
        return len(pending)

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
