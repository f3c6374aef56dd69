"""The consumer lag gauge without a broker: the arithmetic, and the collector over a fake source."""

from __future__ import annotations

import logging
import time

import pytest

from consumers.lag import (
    LAG_METRIC,
    GroupOffsets,
    KafkaOffsetSource,
    LagCollector,
    PartitionLag,
    inbound_names,
    lag_collector,
    lag_samples,
)
from matcher.adapters.catalogue import BY_NAME
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import INBOUND, Topic, TopicRegistry

REGISTRY = TopicRegistry(prefix="lag", partitions=2)
NAMES = inbound_names(REGISTRY)
ORDERS = REGISTRY.name(Topic.ORDERS)
SUPPLY = REGISTRY.name(Topic.SUPPLY)


def test_the_lag_is_the_end_offset_minus_the_committed_offset() -> None:
    offsets = GroupOffsets(
        end={(ORDERS, 0): 10, (ORDERS, 1): 7},
        beginning={(ORDERS, 0): 0, (ORDERS, 1): 0},
        committed={(ORDERS, 0): 4, (ORDERS, 1): 7},
    )

    assert lag_samples(NAMES, offsets) == [
        PartitionLag("orders", 0, 6),
        PartitionLag("orders", 1, 0),
    ]


def test_a_partition_never_committed_counts_everything_it_holds() -> None:
    offsets = GroupOffsets(end={(ORDERS, 0): 10}, beginning={(ORDERS, 0): 3}, committed={})

    assert lag_samples(NAMES, offsets) == [PartitionLag("orders", 0, 7)]


def test_a_negative_committed_offset_is_no_commit_and_a_missing_beginning_is_zero() -> None:
    offsets = GroupOffsets(end={(ORDERS, 0): 5}, committed={(ORDERS, 0): -1})

    assert lag_samples(NAMES, offsets) == [PartitionLag("orders", 0, 5)]


def test_a_commit_below_the_retained_messages_counts_from_the_beginning() -> None:
    offsets = GroupOffsets(
        end={(ORDERS, 0): 100}, beginning={(ORDERS, 0): 90}, committed={(ORDERS, 0): 40}
    )

    assert lag_samples(NAMES, offsets) == [PartitionLag("orders", 0, 10)]


def test_several_topics_and_partitions_are_labelled_by_logical_topic_and_sorted() -> None:
    offsets = GroupOffsets(
        end={(SUPPLY, 1): 3, (ORDERS, 1): 2, (SUPPLY, 0): 0, (ORDERS, 0): 9, ("other.x", 0): 5},
        beginning={},
        committed={(ORDERS, 0): 9, (SUPPLY, 1): 1, ("other.x", 0): 0},
    )

    assert lag_samples(NAMES, offsets) == [
        PartitionLag("orders", 0, 0),
        PartitionLag("orders", 1, 2),
        PartitionLag("supply", 0, 0),
        PartitionLag("supply", 1, 2),
    ]


def test_the_lag_never_goes_below_zero() -> None:
    offsets = GroupOffsets(end={(ORDERS, 0): 3}, committed={(ORDERS, 0): 5})

    assert lag_samples(NAMES, offsets) == [PartitionLag("orders", 0, 0)]


def test_the_inbound_names_map_every_prefixed_inbound_topic_to_its_logical_topic() -> None:
    assert {f"lag.{t.value}": t for t in INBOUND} == NAMES


# The collector --------------------------------------------------------------------------


class FakeSource:
    def __init__(self, *answers: GroupOffsets | Exception) -> None:
        self.answers = list(answers)
        self.reads = 0
        self.closed = False

    def offsets(self) -> GroupOffsets:
        self.reads += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lagging(n: int) -> GroupOffsets:
    return GroupOffsets(end={(ORDERS, 0): n, (SUPPLY, 0): 1}, committed={(SUPPLY, 0): 1})


def sample(metrics: Metrics, topic: str, partition: int) -> float | None:
    return metrics.registry.get_sample_value(
        LAG_METRIC, {"topic": topic, "partition": str(partition)}
    )


def test_the_collector_exports_the_catalogues_gauge() -> None:
    collector = LagCollector(FakeSource(lagging(4)), NAMES, cache_seconds=0)

    [family] = list(collector.collect())

    spec = BY_NAME[LAG_METRIC]
    assert (family.name, family.type, family.documentation) == (LAG_METRIC, "gauge", spec.help)
    assert [(s.labels, s.value) for s in family.samples] == [
        ({"topic": "orders", "partition": "0"}, 4),
        ({"topic": "supply", "partition": "0"}, 0),
    ]


def test_registering_the_collector_reads_nothing() -> None:
    source = FakeSource(lagging(4))
    metrics = Metrics()

    metrics.add_collector(LagCollector(source, NAMES))

    assert source.reads == 0
    assert sample(metrics, "orders", 0) == 4  # the scrape reads
    assert source.reads == 1


def test_the_offsets_are_read_again_only_once_the_cache_has_expired() -> None:
    clock = Clock()
    source = FakeSource(lagging(4), lagging(9))
    metrics = Metrics()
    metrics.add_collector(LagCollector(source, NAMES, cache_seconds=5, clock=clock))

    first = sample(metrics, "orders", 0)
    clock.now += 4.9
    cached = sample(metrics, "orders", 0)
    clock.now += 0.2
    fresh = sample(metrics, "orders", 0)

    assert (first, cached, fresh) == (4, 4, 9)
    assert source.reads == 2


def test_a_broker_that_does_not_answer_leaves_the_last_figures_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    source = FakeSource(lagging(4), TimeoutError("no answer"), lagging(2))
    collector = LagCollector(source, NAMES, cache_seconds=1, clock=clock)
    metrics = Metrics()
    metrics.add_collector(collector)

    assert sample(metrics, "orders", 0) == 4
    clock.now += 2
    with caplog.at_level(logging.WARNING, logger="consumers.lag"):
        during = sample(metrics, "orders", 0)
        again = sample(metrics, "orders", 0)  # the failure is not retried at once either
    clock.now += 2
    after = sample(metrics, "orders", 0)

    assert (during, again, after) == (4, 4, 2)
    assert source.reads == 3
    assert any("did not answer" in r.getMessage() for r in caplog.records)


def test_a_broker_that_never_answered_gives_no_samples_and_no_error() -> None:
    collector = LagCollector(FakeSource(ConnectionError("refused")), NAMES, cache_seconds=0)

    [family] = list(collector.collect())

    assert family.samples == []


def test_closing_the_collector_closes_its_source_and_stops_reading() -> None:
    source = FakeSource(lagging(4))
    collector = LagCollector(source, NAMES, cache_seconds=0)
    list(collector.collect())

    collector.close()
    [family] = list(collector.collect())

    assert source.closed
    assert source.reads == 1
    assert [s.value for s in family.samples] == [4, 0]  # the last figures, not read again


def test_the_kafka_source_connects_at_the_first_read_only() -> None:
    started = time.monotonic()
    source = KafkaOffsetSource("127.0.0.1:1", "g", [ORDERS], timeout_seconds=1)
    collector = lag_collector("127.0.0.1:1", "g", REGISTRY, cache_seconds=0, timeout_seconds=1)

    assert time.monotonic() - started < 0.5
    assert (source._consumer, source._admin) == (None, None)
    source.close()  # nothing to close yet
    collector.close()


def test_without_a_broker_the_kafka_source_fails_within_its_timeout_and_the_scrape_goes_on() -> (
    None
):
    collector = lag_collector("127.0.0.1:1", "g", REGISTRY, cache_seconds=0, timeout_seconds=1)
    started = time.monotonic()

    [family] = list(collector.collect())

    assert family.samples == []
    assert time.monotonic() - started < 10
    collector.close()
