"""The workers' consumer lag as a Prometheus gauge, read from the broker at scrape time.

``foodmatch_consumer_lag{topic, partition}`` is, for the workers' consumer group
(:func:`consumers.app.app_id`) and each partition of each inbound topic, the number of messages
not yet committed by the group: the partition's end offset minus the group's committed offset.
A partition the group has never committed counts everything it holds (end minus beginning
offset: the workers start from the earliest message); a committed offset below the beginning
(the messages were deleted by retention) counts from the beginning too. ``topic`` is the logical
name (``orders``), not the prefixed Kafka name.

:func:`lag_samples` is the arithmetic, pure; :class:`KafkaOffsetSource` asks the broker for the
offsets (kafka-python, short timeouts, clients made at the first scrape); :class:`LagCollector`
is the ``prometheus_client`` collector, which reuses its figures for ``cache_seconds`` and, when
the broker does not answer, logs a warning and repeats the last figures it had. Nothing here
does any I/O at import or construction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from prometheus_client.core import GaugeMetricFamily, Metric

from matcher.adapters.catalogue import BY_NAME
from matcher.adapters.topics import INBOUND, Topic, TopicRegistry

log = logging.getLogger(__name__)

LAG_METRIC = "foodmatch_consumer_lag"
TIMEOUT_SECONDS = 3.0
"""How long one request to the broker (and the clients' first connection) may take."""

Partition = tuple[str, int]
"""A Kafka topic name and a partition number (kafka-python's ``TopicPartition`` is one)."""


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    """The logical topic (``Topic.value``)."""
    partition: int
    lag: int


@dataclass(frozen=True, slots=True)
class GroupOffsets:
    """What the broker said about the inbound partitions and the group's progress on them."""

    end: Mapping[Partition, int]
    """The offset of the next message of each partition (its end)."""
    beginning: Mapping[Partition, int] = field(default_factory=dict)
    """The offset of each partition's first message still held."""
    committed: Mapping[Partition, int] = field(default_factory=dict)
    """The group's committed offset (the next message it will read); absent: never committed."""


def lag_samples(names: Mapping[str, Topic], offsets: GroupOffsets) -> list[PartitionLag]:
    """The lag of every partition with an end offset, of the topics in ``names`` (Kafka name →
    logical topic), sorted by topic and partition.

    Lag is ``end - max(committed, beginning)``; without a committed offset (or with a negative
    one, kafka-python's "none") ``end - beginning``; a missing beginning counts as 0; never
    below 0.
    """
    out: list[PartitionLag] = []
    for (name, partition), end in offsets.end.items():
        topic = names.get(name)
        if topic is None:
            continue
        start = max(offsets.beginning.get((name, partition), 0), 0)
        committed = offsets.committed.get((name, partition))
        if committed is not None and committed >= 0:
            start = max(start, committed)
        out.append(PartitionLag(topic.value, int(partition), max(int(end) - start, 0)))
    out.sort(key=lambda s: (s.topic, s.partition))
    return out


def inbound_names(registry: TopicRegistry, topics: Iterable[Topic] = INBOUND) -> dict[str, Topic]:
    """Kafka name → logical topic, for the inbound topics."""
    return {registry.name(topic): topic for topic in topics}


class OffsetSource(Protocol):
    """Where the collector gets its offsets (the broker, or a fake in tests)."""

    def offsets(self) -> GroupOffsets: ...

    def close(self) -> None: ...


class KafkaOffsetSource:
    """Offsets from the broker: the group's committed offsets (admin client) and the partitions'
    beginning and end offsets (a consumer outside any group, which never subscribes).

    The clients are made at the first call of :meth:`offsets` and dropped (closed) after a
    failure, so that the next call starts afresh. Not thread-safe: the collector serialises.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        topic_names: Iterable[str],
        *,
        client_id: str = "foodmatch-lag",
        timeout_seconds: float = TIMEOUT_SECONDS,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.security = dict(security or {})
        """kafka-python security options
        (:func:`matcher.adapters.kafka.security.kafka_python_security`)."""
        self.group_id = group_id
        self.topic_names = tuple(topic_names)
        self.client_id = client_id
        self.timeout_ms = max(int(timeout_seconds * 1000), 1000)
        self._admin: Any = None
        self._consumer: Any = None

    def offsets(self) -> GroupOffsets:
        try:
            return self._read()
        except Exception:
            self.close()  # a fresh start next time
            raise

    def _read(self) -> GroupOffsets:
        consumer = self._consumer_client()
        partitions: list[TopicPartition] = []
        for name in self.topic_names:
            numbers = consumer.partitions_for_topic(name) or set()
            partitions += [TopicPartition(name, n) for n in sorted(numbers)]
        if not partitions:
            return GroupOffsets(end={})
        end = consumer.end_offsets(partitions, timeout_ms=self.timeout_ms)
        beginning = consumer.beginning_offsets(partitions, timeout_ms=self.timeout_ms)
        committed = self._committed(partitions)
        return GroupOffsets(
            end={(tp.topic, tp.partition): int(o) for tp, o in end.items() if o is not None},
            beginning={
                (tp.topic, tp.partition): int(o) for tp, o in beginning.items() if o is not None
            },
            committed=committed,
        )

    def _committed(self, partitions: list[TopicPartition]) -> dict[Partition, int]:
        # kafka-python 3's API (2.x called it list_consumer_group_offsets); a partition the
        # group never committed comes back with offset -1.
        found = self._admin_client().list_group_offsets({self.group_id: partitions})
        out: dict[Partition, int] = {}
        for tp, meta in found.get(self.group_id, {}).items():
            offset = getattr(meta, "offset", meta)
            if offset is not None and int(offset) >= 0:
                out[(tp.topic, tp.partition)] = int(offset)
        return out

    def _consumer_client(self) -> Any:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                group_id=None,
                enable_auto_commit=False,
                request_timeout_ms=self.timeout_ms,
                bootstrap_timeout_ms=self.timeout_ms,
                fetch_max_wait_ms=min(500, self.timeout_ms // 2),
                **self.security,
            )
        return self._consumer

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                client_id=self.client_id,
                request_timeout_ms=self.timeout_ms,
                bootstrap_timeout_ms=self.timeout_ms,
                **self.security,
            )
        return self._admin

    def close(self) -> None:
        consumer, admin = self._consumer, self._admin
        self._consumer = self._admin = None
        if consumer is not None:
            _quietly(lambda: consumer.close(autocommit=False))
        if admin is not None:
            _quietly(admin.close)


def _quietly(close: Callable[[], object]) -> None:
    try:
        close()
    except Exception as err:  # closing is best effort
        log.debug("closing a lag client failed: %r", err)


class LagCollector:
    """The ``foodmatch_consumer_lag`` gauge, read through an :class:`OffsetSource`.

    Offsets are read at most once per ``cache_seconds`` (0: at every scrape); a failed read is
    logged and the last samples are served again until the next attempt, one ``cache_seconds``
    later. ``collect`` never raises.
    """

    def __init__(
        self,
        source: OffsetSource,
        names: Mapping[str, Topic],
        *,
        cache_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.names = dict(names)
        self.cache_seconds = cache_seconds
        self.clock = clock
        self._samples: list[PartitionLag] = []
        self._read_at: float | None = None
        self._lock = threading.Lock()
        self._closed = False

    def describe(self) -> Iterator[Metric]:
        """The metric without samples: registering the collector reads nothing."""
        yield self._family([])

    def collect(self) -> Iterator[Metric]:
        yield self._family(self.samples())

    def samples(self) -> list[PartitionLag]:
        with self._lock:
            now = self.clock()
            fresh = self._read_at is not None and now - self._read_at < self.cache_seconds
            if not fresh and not self._closed:
                self._read_at = now
                try:
                    self._samples = lag_samples(self.names, self.source.offsets())
                except Exception as err:
                    log.warning(
                        "consumer lag: the broker did not answer (%s); serving the last figures",
                        err or type(err).__name__,
                    )
            return list(self._samples)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.source.close()

    @staticmethod
    def _family(samples: Iterable[PartitionLag]) -> GaugeMetricFamily:
        spec = BY_NAME[LAG_METRIC]
        family = GaugeMetricFamily(LAG_METRIC, spec.help, labels=list(spec.labels))
        for s in samples:
            family.add_metric([s.topic, str(s.partition)], s.lag)
        return family


def lag_collector(
    bootstrap_servers: str,
    group_id: str,
    registry: TopicRegistry,
    *,
    cache_seconds: float = 5.0,
    timeout_seconds: float = TIMEOUT_SECONDS,
    security: Mapping[str, Any] | None = None,
) -> LagCollector:
    """A collector of the group's lag on the inbound topics of ``registry`` (no I/O yet);
    ``security``: the kafka-python security options of the settings (none: PLAINTEXT)."""
    names = inbound_names(registry)
    source = KafkaOffsetSource(
        bootstrap_servers, group_id, names, timeout_seconds=timeout_seconds, security=security
    )
    return LagCollector(source, names, cache_seconds=cache_seconds)
