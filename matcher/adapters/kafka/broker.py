"""Reaching the broker from the command line: a quick probe, topics, producers and tails.

Everything here fails fast with :class:`BrokerUnreachable` instead of kafka-python's long
bootstrap waits, so that a command can say "no broker at ..." within seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError

from matcher.adapters.kafka.probe import BrokerRefused, BrokerUnreachable, probe
from matcher.adapters.kafka.publisher import (
    KafkaPublisher,
    SecureConnectionFailed,
    connect,
    create_topics,
    registry_of,
)
from matcher.adapters.kafka.security import KafkaSecurityError, kafka_python_security
from matcher.adapters.topics import Topic
from matcher.config import KafkaSettings

BOOTSTRAP_TIMEOUT_MS = 10_000
START_HINT = (
    "start one with `bash deploy/kafka/kafka-up.sh` or set FOODMATCH_KAFKA__BOOTSTRAP_SERVERS"
)


@contextmanager
def _guarded(what: str, settings: KafkaSettings) -> Iterator[None]:
    """Kafka errors inside become BrokerUnreachable, naming ``what`` was being done; security
    failures (and unusable security settings) become BrokerRefused."""
    bootstrap = settings.bootstrap_servers
    try:
        yield
    except KafkaSecurityError as err:
        raise BrokerRefused(str(err)) from None
    except SecureConnectionFailed as err:
        raise BrokerRefused(f"{what} at {bootstrap} failed: {err}") from None
    except KafkaError as err:
        raise BrokerUnreachable(f"{what} at {bootstrap} failed: {err}") from None


def open_publisher(settings: KafkaSettings, **overrides: Any) -> KafkaPublisher:
    probe(settings.bootstrap_servers)
    with _guarded("connecting a producer", settings):
        return KafkaPublisher(settings, bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS, **overrides)


@contextmanager
def admin(settings: KafkaSettings) -> Iterator[KafkaAdminClient]:
    probe(settings.bootstrap_servers)
    with _guarded("talking to the broker", settings):
        client = connect(
            settings,
            lambda: KafkaAdminClient(
                bootstrap_servers=settings.bootstrap_servers,
                client_id="foodmatch-cli",
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                **kafka_python_security(settings),
            ),
        )
        try:
            yield client
        finally:
            client.close()


@dataclass(frozen=True, slots=True)
class TopicState:
    topic: Topic
    name: str
    partitions: int
    """Configured partitions."""
    actual: int | None
    """Partitions on the broker (None: the topic is missing)."""
    created: bool


def partition_counts(client: KafkaAdminClient, names: Iterable[str]) -> dict[str, int]:
    """Partition counts of the named topics that exist."""
    out: dict[str, int] = {}
    for info in client.describe_topics(list(names)):
        if info.get("error_code", 0) == 0 and info.get("partitions"):
            out[str(info["name"])] = len(info["partitions"])
    return out


def ensure_topics(settings: KafkaSettings, wait_seconds: float = 10.0) -> list[TopicState]:
    """Create the configured topics that are missing; the state of each topic afterwards."""
    registry = registry_of(settings)
    names = registry.all()
    probe(settings.bootstrap_servers)
    with _guarded("creating topics", settings):
        created = set(create_topics(settings, bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS))
    with admin(settings) as client:
        if created:
            client.wait_for_topics(sorted(created), timeout_ms=int(wait_seconds * 1000))
        actual = partition_counts(client, names.values())
    return [
        TopicState(
            topic=topic,
            name=name,
            partitions=registry.partitions_of(topic),
            actual=actual.get(name),
            created=name in created,
        )
        for topic, name in names.items()
    ]


def tail(settings: KafkaSettings, topics: Iterable[Topic], **config: Any) -> KafkaConsumer:
    """A consumer (no group) positioned at the current end of every partition of ``topics``."""
    registry = registry_of(settings)
    probe(settings.bootstrap_servers)
    with _guarded("connecting a consumer", settings):
        consumer = connect(
            settings,
            lambda: KafkaConsumer(
                bootstrap_servers=settings.bootstrap_servers,
                client_id="foodmatch-tail",
                group_id=None,
                enable_auto_commit=False,
                fetch_max_wait_ms=100,
                bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
                **(kafka_python_security(settings) | config),
            ),
        )
        partitions: list[TopicPartition] = []
        for topic in topics:
            name = registry.name(topic)
            numbers = consumer.partitions_for_topic(name) or set()
            partitions += [TopicPartition(name, p) for p in sorted(numbers)]
        consumer.assign(partitions)
        consumer.seek_to_end(*partitions)
        for partition in partitions:  # resolve the positions now, before anything is sent
            consumer.position(partition)
    return consumer
