"""kafka-python publishing: a producer for wire messages and topic administration."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)

from matcher.adapters.topics import INBOUND, Topic, TopicRegistry
from matcher.adapters.wire import MAX_MESSAGE_BYTES, WireMessage, check_size
from matcher.config import KafkaSettings
from matcher.kafka_security import connection_hint, kafka_python_security

log = logging.getLogger(__name__)

T = TypeVar("T")

RECONNECT_BACKOFF_MAX_MS = 1_000


class SecureConnectionFailed(KafkaConnectionError):  # type: ignore[misc]
    """The broker answers, but no connection could be made with the configured security
    (SASL refused, TLS handshake failed, or a listener of another protocol)."""

    def __str__(self) -> str:  # the message alone, without kafka-python's class-name prefix
        return str(self.args[0]) if self.args else type(self).__name__


def connect(settings: KafkaSettings, make: Callable[[], T]) -> T:
    """``make()`` a kafka-python client; when it cannot bootstrap with SASL or TLS configured
    although the broker answers, fail with :class:`SecureConnectionFailed` saying what to check
    (kafka-python itself only says "Unable to bootstrap" after its timeout)."""
    try:
        return make()
    except SecureConnectionFailed:
        raise
    except (
        KafkaTimeoutError,
        KafkaConnectionError,
        SaslAuthenticationFailedError,
        UnsupportedSaslMechanismError,
    ) as err:
        hint = connection_hint(settings)
        if not hint or not _answers(settings.bootstrap_servers):
            raise
        raise SecureConnectionFailed(f"{err}; {hint}") from err


def _answers(bootstrap: str) -> bool:
    from producers.broker import BrokerUnreachable, probe

    try:
        probe(bootstrap)
    except BrokerUnreachable:
        return False
    return True


def registry_of(settings: KafkaSettings) -> TopicRegistry:
    return TopicRegistry(
        prefix=settings.topic_prefix,
        partitions=settings.partitions,
        replication_factor=settings.replication_factor,
    )


class KafkaPublisher:
    """Publishes wire messages on their configured topics; ``send`` waits for the broker's ack.

    A message for an inbound topic above ``max_message_bytes`` is refused before anything is
    sent (:class:`~matcher.adapters.wire.MessageTooLarge`): the workers would refuse it.
    """

    def __init__(
        self,
        settings: KafkaSettings,
        *,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        **overrides: Any,
    ) -> None:
        self.settings = settings
        self.topics = registry_of(settings)
        self.max_message_bytes = max_message_bytes
        config: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "acks": "all",
            "linger_ms": 5,
            "retries": 5,
            "max_request_size": max(2_000_000, max_message_bytes + 65_536),
            # After a broker outage, reconnect within a second of its return (kafka-python backs
            # off up to 30 s by default, so producers would lag behind a recovered broker).
            "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
            "client_id": "foodmatch-publisher",
            **kafka_python_security(settings),
        }
        config.update(overrides)
        self._producer = connect(settings, lambda: KafkaProducer(**config))

    def _check(self, message: WireMessage) -> None:
        if message.topic in INBOUND:
            check_size(message.value, self.max_message_bytes)

    def send(self, message: WireMessage, *, wait: bool = True, timeout: float = 30.0) -> None:
        self._check(message)
        future = self._producer.send(
            self.topics.name(message.topic), key=message.key.encode(), value=message.value
        )
        if wait:
            future.get(timeout=timeout)

    def send_raw(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        check_size(value, self.max_message_bytes)
        self._producer.send(topic, key=key, value=value).get(timeout=30.0)

    def send_many(self, messages: Iterable[WireMessage]) -> int:
        messages = list(messages)
        for message in messages:  # all or nothing: nothing is sent when one is too large
            self._check(message)
        futures = [
            self._producer.send(self.topics.name(m.topic), key=m.key.encode(), value=m.value)
            for m in messages
        ]
        for future in futures:
            future.get(timeout=60.0)
        return len(futures)

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout)

    def close(self) -> None:
        self._producer.close(timeout=10)


def create_topics(
    settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic), **config: Any
) -> list[str]:
    """Create the configured topics that do not exist yet; returns the names created.

    ``config``: further options of the admin client (e.g. ``bootstrap_timeout_ms``)."""
    registry = registry_of(settings)
    admin = connect(
        settings,
        lambda: KafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers,
            client_id="foodmatch-admin",
            **kafka_python_security(settings),
            **config,
        ),
    )
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(
                name=registry.name(t),
                num_partitions=registry.partitions_of(t),
                replication_factor=registry.replication_factor,
            )
            for t in topics
            if registry.name(t) not in existing
        ]
        created: list[str] = []
        for topic in wanted:
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                log.info("topic %s already exists", topic.name)
        return created
    finally:
        admin.close()
