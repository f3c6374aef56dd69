"""kafka-python publishing: a producer for wire messages and topic administration."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from matcher.adapters.topics import Topic, TopicRegistry
from matcher.adapters.wire import WireMessage
from matcher.config import KafkaSettings

log = logging.getLogger(__name__)


def registry_of(settings: KafkaSettings) -> TopicRegistry:
    return TopicRegistry(
        prefix=settings.topic_prefix,
        partitions=settings.partitions,
        replication_factor=settings.replication_factor,
    )


class KafkaPublisher:
    """Publishes wire messages on their configured topics; ``send`` waits for the broker's ack."""

    def __init__(self, settings: KafkaSettings, **overrides: Any) -> None:
        self.settings = settings
        self.topics = registry_of(settings)
        config: dict[str, Any] = {
            "bootstrap_servers": settings.bootstrap_servers,
            "acks": "all",
            "linger_ms": 5,
            "retries": 5,
            "max_request_size": 2_000_000,
            "client_id": "foodmatch-publisher",
        }
        config.update(overrides)
        self._producer = KafkaProducer(**config)

    def send(self, message: WireMessage, *, wait: bool = True, timeout: float = 30.0) -> None:
        future = self._producer.send(
            self.topics.name(message.topic), key=message.key.encode(), value=message.value
        )
        if wait:
            future.get(timeout=timeout)

    def send_raw(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self._producer.send(topic, key=key, value=value).get(timeout=30.0)

    def send_many(self, messages: Iterable[WireMessage]) -> int:
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


def create_topics(settings: KafkaSettings, topics: Iterable[Topic] = tuple(Topic)) -> list[str]:
    """Create the configured topics that do not exist yet; returns the names created."""
    registry = registry_of(settings)
    admin = KafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers, client_id="foodmatch-admin"
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
