"""The faust app of the Kafka engine, built by :func:`create_worker_app` (none at import time).

Every worker joins one consumer group (the app id ``<prefix>-worker``) and shares the inbound
topics' partitions with the others. Messages are raw bytes (the wire format is decoded by the
agents), processing is at-least-once (the bus's inbox makes repeats harmless), and the producer
waits for all in-sync replicas. Rounds and the outbox relay run on the leader only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import faust

from consumers.agents import register_agents
from consumers.handling import DeadLetterSink, Retry
from consumers.round_process import RoundProcess
from consumers.rounds import LeaderRounds, register_rounds
from consumers.worker_relay import PublisherFactory, WorkerRelay, register_relay
from matcher.adapters.kafka.publisher import registry_of
from matcher.adapters.kafka.security import describe, faust_credentials
from matcher.adapters.polling import Poller
from matcher.adapters.topics import Topic
from matcher.bootstrap import Service
from matcher.config import Settings
from matcher.engine.inprocess import Timing

log = logging.getLogger(__name__)

SESSION_TIMEOUT_SECONDS = 10.0
"""A worker that stops heart-beating (killed) leaves the group after this long."""
HEARTBEAT_SECONDS = 3.0
REBALANCE_TIMEOUT_SECONDS = 30.0


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def app_id(settings: Settings) -> str:
    """The faust app id, which is also the consumer group of every worker."""
    return f"{settings.kafka.topic_prefix}-worker"


def create_worker_app(
    settings: Settings,
    service: Service,
    *,
    worker_id: str | None = None,
    dead_letters: DeadLetterSink | None = None,
    retry: Retry | None = None,
    relay: bool = True,
    publisher_factory: PublisherFactory | None = None,
    datadir: Path | None = None,
) -> faust.App:
    """The worker's faust app: agents, the round timer and the outbox relay.

    ``dead_letters`` replaces the producer of dead-letter records (tests capture them);
    ``relay=False`` leaves the outbox alone (another process relays it).
    """
    worker = worker_id or default_worker_id()
    topics = registry_of(settings.kafka)
    app = faust.App(
        app_id(settings),
        broker=f"kafka://{settings.kafka.bootstrap_servers}",
        # SASL and/or TLS (FOODMATCH_KAFKA__SECURITY_PROTOCOL...): faust gives them to every
        # aiokafka consumer and producer it makes; None for PLAINTEXT.
        broker_credentials=faust_credentials(settings.kafka),
        broker_client_id=f"foodmatch-{worker}",
        store="memory://",
        # Tables live in memory: the data directory stays empty; one per group is enough.
        datadir=datadir or Path(tempfile.gettempdir()) / f"foodmatch-faust-{app_id(settings)}",
        autodiscover=False,
        topic_partitions=settings.kafka.partitions,
        topic_replication_factor=settings.kafka.replication_factor,
        key_serializer="raw",
        value_serializer="raw",
        web_enabled=False,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_acks="all",
        broker_session_timeout=SESSION_TIMEOUT_SECONDS,
        broker_heartbeat_interval=HEARTBEAT_SECONDS,
        broker_rebalance_timeout=REBALANCE_TIMEOUT_SECONDS,
        worker_redirect_stdouts=False,
    )
    log.info("worker %s: Kafka security %s", worker, describe(settings.kafka))
    sink = dead_letters or _dead_letter_producer(app, topics.name(Topic.DEAD_LETTERS))
    register_agents(
        app,
        topics=topics,
        bus=service.bus,
        metrics=service.metrics,
        dead_letters=sink,
        retry=retry,
        max_message_bytes=settings.max_message_bytes,
        batch_size=settings.batch_size,
        batch_linger_seconds=settings.batch_linger_seconds,
    )
    timing = Timing(
        debounce_seconds=settings.debounce_seconds,
        max_debounce_seconds=settings.max_debounce_seconds,
        round_interval_seconds=settings.round_interval_seconds,
    )
    runner = RoundProcess(settings) if settings.rounds_in_own_process else None
    rounds = LeaderRounds(
        service.bus,
        service.read_uow_factory,
        timing,
        on_outcome=service.metrics.command,
        runner=runner,
    )
    register_rounds(app, rounds)
    if runner is not None:

        async def stop_rounds(_sender: Any, **_: Any) -> None:
            runner.close()

        shutdown: Any = app.on_before_shutdown
        shutdown.connect(stop_rounds)
    if relay:
        outbox = WorkerRelay(
            service.uow_factory,
            settings.kafka,
            service.context.clock,
            client_id=f"foodmatch-relay-{worker}",
            publisher_factory=publisher_factory,
            max_event_bytes=settings.max_message_bytes,
            on_parked=service.metrics.outbox_parked,
        )
        service.bus.subscribers.append(lambda _event: outbox.wake())
        register_relay(app, outbox)
        register_webhooks(app, service, settings.webhook_poll_seconds)
        register_notifier(app, service, settings.notify_poll_seconds)
    _log_assignments(app, worker)
    return app


def register_webhooks(app: faust.App, service: Service, interval: float) -> None:
    """Deliver webhooks on the leader (one dispatcher at a time), like the outbox relay."""
    from matcher.adapters.webhook_dispatch import build_dispatcher

    register_poller(app, "foodmatch.webhooks", build_dispatcher(service), interval)


def register_notifier(app: faust.App, service: Service, interval: float) -> None:
    """Send people's notifications (e-mail, LINE) on the leader, one notifier at a time."""
    from matcher.adapters.notify.notifier import build_notifier

    register_poller(app, "foodmatch.notifications", build_notifier(service), interval)


def register_poller(app: faust.App, name: str, poller: Poller | None, interval: float) -> None:
    """Run ``poller.run_once`` in a thread on a leader timer every ``interval`` seconds; an
    error is logged and the next tick tries again. ``None``: the feature is off."""
    if poller is None:
        return
    run_once = poller.run_once

    async def tick() -> None:
        try:
            await asyncio.to_thread(run_once)
        except Exception:
            log.exception("%s failed; trying again at the next tick", name)

    app.timer(interval, on_leader=True, name=name)(tick)


def _dead_letter_producer(app: faust.App, topic_name: str) -> DeadLetterSink:
    topic = app.topic(topic_name, key_serializer="raw", value_serializer="raw")

    async def send(key: bytes | None, value: bytes) -> None:
        delivered = await topic.send(key=key, value=value)
        await delivered  # the broker has it before the refused message is acknowledged

    return send


def _log_assignments(app: faust.App, worker: str) -> None:
    async def on_assigned(_sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        assigned: Any = args[0] if args else ()
        names = sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)
        log.info("worker %s assigned partitions: %s", worker, json.dumps(names))

    app.on_partitions_assigned.connect(on_assigned)
