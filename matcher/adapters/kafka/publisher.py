"""kafka-python publishing: a producer for wire messages and topic administration."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)

from matcher.adapters.kafka.probe import BrokerUnreachable, probe
from matcher.adapters.kafka.security import connection_hint, kafka_python_security
from matcher.adapters.topics import INBOUND, Topic, TopicRegistry
from matcher.adapters.wire import MAX_MESSAGE_BYTES, WireMessage, check_size
from matcher.config import KafkaSettings

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
    try:
        probe(bootstrap)
    except BrokerUnreachable:
        return False
    return True


class NotSent(KafkaError):  # type: ignore[misc]
    """A message left unsent because the publisher stopped before it (try it again later)."""

    retriable = True


def is_retriable(error: BaseException) -> bool:
    """Whether sending may succeed later: the broker unreachable or slow, a leader moving, a
    connection lost. False for a refusal that sending again cannot change (a message too large
    for the producer or the broker, a topic the client may not write to, an invalid record)."""
    if isinstance(error, KafkaError):
        return bool(error.retriable) or isinstance(error, (KafkaTimeoutError, NotSent))
    return isinstance(error, (OSError, TimeoutError))


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

    def send_each(
        self,
        messages: Iterable[WireMessage],
        *,
        timeout: float = 60.0,
        stopping: Callable[[], bool] = lambda: False,
    ) -> list[BaseException | None]:
        """Send ``messages`` in order and wait for each acknowledgement; returns, per message,
        None when the broker has it, else the error.

        Unlike :meth:`send_many` one message's failure does not fail the others. After an error
        that may pass (the broker unreachable, a timeout: ``retriable``), or once ``stopping()``
        holds, the messages not sent yet are not tried (each gets that error, or
        :class:`NotSent`), so that a broker outage costs one wait, not one per message."""
        outcome: list[Any] = []  # futures, or the error of a send refused at once
        halted: BaseException | None = None
        for message in messages:
            if halted is None and stopping():
                halted = NotSent("the relay is stopping")
            if halted is not None:
                outcome.append(halted)
                continue
            try:
                outcome.append(
                    self._producer.send(
                        self.topics.name(message.topic),
                        key=message.key.encode(),
                        value=message.value,
                    )
                )
            except Exception as err:  # refused before sending: too large, no metadata in time
                outcome.append(err)
                if is_retriable(err):
                    halted = err
        results: list[BaseException | None] = []
        for item in outcome:
            if isinstance(item, BaseException):
                results.append(item)
                continue
            try:
                item.get(timeout=timeout)
            except Exception as err:
                results.append(err)
            else:
                results.append(None)
        return results

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Close the producer; what it still holds after ``timeout`` seconds is failed."""
        self._producer.close(timeout=timeout)


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
