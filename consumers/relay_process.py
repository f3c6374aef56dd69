"""``foodmatch relay``: the outbox relay, with the webhook dispatcher and the notifier, as a
process of its own (the relay loop is :mod:`matcher.adapters.kafka.outbox_relay`; the one
inside every worker is :mod:`consumers.worker_relay`).

By default every Kafka worker's leader relays the outbox; a deployment can instead run this
process (one is enough; a second only repeats events, which consumers drop by ``message_id``)
and start the workers with ``FOODMATCH_WORKER_RELAY=false``.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from types import FrameType

from matcher.config import Settings

log = logging.getLogger(__name__)


def run_relay(
    settings: Settings, *, stop: threading.Event | None = None, interval: float = 0.2
) -> int:
    """Relay committed events to the outbound topics until SIGTERM/SIGINT (or ``stop``);
    returns how many were published."""
    from matcher.adapters.kafka.outbox_relay import PRODUCER_SETTINGS, OutboxRelay
    from matcher.adapters.kafka.publisher import KafkaPublisher
    from matcher.adapters.notify.notifier import build_notifier
    from matcher.adapters.webhook_dispatch import build_dispatcher
    from matcher.bootstrap import bootstrap

    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():

        def stopping(signum: int, _frame: FrameType | None) -> None:
            log.info("relay: %s received, stopping", signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
    service = bootstrap(settings.model_copy(update={"engine": "inprocess"}))
    dispatcher = build_dispatcher(service)
    notifier = build_notifier(service)
    pollers = [p for p in (dispatcher, notifier) if p is not None]
    client_id = f"foodmatch-relay-{socket.gethostname()}-{os.getpid()}"
    publisher = KafkaPublisher(settings.kafka, client_id=client_id, **PRODUCER_SETTINGS)
    relay = OutboxRelay(
        service.uow_factory,
        publisher,
        service.context.clock,
        max_event_bytes=settings.max_message_bytes,
        on_parked=service.metrics.outbox_parked,
        stopping=stop.is_set,
    )
    try:
        for poller in pollers:
            poller.start()
        log.info(
            "relay %s: outbox -> %s (topic prefix %s)%s",
            client_id,
            settings.kafka.bootstrap_servers,
            settings.kafka.topic_prefix,
            (", webhooks on" if dispatcher is not None else "")
            + (", notifications on" if notifier is not None else ""),
        )
        relay.run(stop, interval)
    finally:
        for poller in pollers:
            poller.stop()
        publisher.close()
        service.close()
        log.info("relay stopped after %d events", relay.published)
    return relay.published
