"""A worker's figures without a broker: messages and dead letters counted by the handler, the
``/metrics`` endpoint and the ``--metrics-port`` option."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from consumers.handling import Delivery, MessageHandler, Retry
from consumers.lag import GroupOffsets, LagCollector, inbound_names
from consumers.metrics_server import MetricsServer, serve_worker_metrics, start_metrics_server
from matcher.adapters.kafka.publisher import registry_of
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic
from matcher.adapters.wire import encode_body, encode_command
from matcher.config import KafkaSettings, Settings
from matcher.service import codec, commands
from tests.support.agents import (
    PREFIX,
    Captured,
    Flaky,
    buyer,
    certificate,
    group,
    make_service,
    order,
    wire,
)
from tests.support.fakes import Store
from tests.support.ports import free_port

CONSUMED = "foodmatch_messages_consumed_total"
DEAD = "foodmatch_dead_letters_total"


def consumed(metrics: Metrics, topic: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(CONSUMED, {"topic": topic, "outcome": outcome})
    return value or 0.0


def dead(metrics: Metrics, topic: str, field: str) -> float:
    value = metrics.registry.get_sample_value(DEAD, {"topic": topic, "field": field})
    return value or 0.0


def handle(handler: MessageHandler, *messages: tuple[bytes, bytes]) -> list[str]:
    async def run() -> list[str]:
        name = f"{PREFIX}.{handler.topic.value}"
        return [
            await handler(Delivery(value, key, name, 0, n))
            for n, (key, value) in enumerate(messages)
        ]

    return asyncio.run(run())


def handler_of(topic: Topic, store: Store | None = None, **options: Any) -> MessageHandler:
    service, _ = make_service(store or Store(), options.pop("uow_factory", None))
    return MessageHandler(
        topic,
        service.bus,
        service.metrics,
        options.pop("dead_letters", Captured()),
        Retry(first_seconds=0.001, max_seconds=0.004),
        **options,
    )


# Counting -----------------------------------------------------------------------------------


def test_every_message_is_counted_by_logical_topic_and_outcome() -> None:
    people = handler_of(Topic.PARTICIPANTS)
    registrations = [
        wire(encode_command(commands.RegisterGroup(message_id="m-g", group=group()))),
        wire(encode_command(commands.RegisterBuyer(buyer=buyer()))),
        wire(encode_command(commands.RegisterCertificate(certificate=certificate()))),
    ]

    outcomes = handle(people, *registrations, registrations[0])

    assert outcomes == ["ok", "ok", "ok", "duplicate"]
    assert consumed(people.metrics, "participants", "ok") == 3
    assert consumed(people.metrics, "participants", "duplicate") == 1
    assert consumed(people.metrics, f"{PREFIX}.participants", "ok") == 0  # not the Kafka name
    assert dead(people.metrics, "participants", "") == 0


def test_refused_messages_are_counted_as_rejected_and_as_dead_letters_by_field() -> None:
    orders = handler_of(Topic.ORDERS, reference_grace_seconds=0)
    zero = encode_body("order.submit", codec.dump_order(order()) | {"quantity": 0}, "m-0", "t")
    stray = encode_command(commands.SubmitOrder(order=order("o2", buyer_id="nobody")))

    outcomes = handle(orders, (b"kale", b"not json {"), wire(zero), wire(stray))

    assert outcomes == ["rejected", "rejected", "rejected"]
    assert consumed(orders.metrics, "orders", "rejected") == 3
    # the field is the dead letter's: "value" for bytes that are no envelope at all
    assert dead(orders.metrics, "orders", "value") == 1
    assert dead(orders.metrics, "orders", "quantity") == 1
    assert dead(orders.metrics, "orders", "buyer_id") == 1
    assert len(orders.dead_letters.records) == 3  # type: ignore[attr-defined]


def test_a_dead_letter_is_counted_once_the_broker_has_it() -> None:
    class Refusing(Captured):
        async def __call__(self, key: bytes | None, value: bytes) -> None:
            raise ConnectionError("broker gone")

    orders = handler_of(Topic.ORDERS, dead_letters=Refusing(), stopping=lambda: True)

    outcomes = handle(orders, (b"kale", b"\xff"))

    assert outcomes == ["abandoned"]
    assert dead(orders.metrics, "orders", "value") == 0
    assert consumed(orders.metrics, "orders", "abandoned") == 1
    assert consumed(orders.metrics, "orders", "rejected") == 0


def test_a_message_left_by_a_stopping_worker_is_counted_as_abandoned() -> None:
    store = Store()
    people = handler_of(
        Topic.PARTICIPANTS,
        store,
        uow_factory=Flaky(store, failures=10**6),
        stopping=lambda: True,
    )

    outcomes = handle(people, wire(encode_command(commands.RegisterGroup(group=group()))))

    assert outcomes == ["abandoned"]
    assert consumed(people.metrics, "participants", "abandoned") == 1
    assert consumed(people.metrics, "participants", "ok") == 0


def test_a_message_retried_after_failures_is_counted_once() -> None:
    store = Store()
    people = handler_of(Topic.PARTICIPANTS, store, uow_factory=Flaky(store, failures=2))

    outcomes = handle(people, wire(encode_command(commands.RegisterGroup(group=group()))))

    assert outcomes == ["ok"]
    assert consumed(people.metrics, "participants", "ok") == 1


# The endpoint ----------------------------------------------------------------------------


@pytest.fixture
def served() -> Iterator[list[MetricsServer]]:
    servers: list[MetricsServer] = []
    yield servers
    for server in servers:
        server.close()


def scrape(url: str) -> dict[str, Any]:
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.text)}


def test_the_endpoint_serves_the_registry_on_a_free_port(served: list[MetricsServer]) -> None:
    metrics = Metrics()
    metrics.consumed("orders", "ok")
    server = start_metrics_server(metrics.registry, "127.0.0.1", 0)
    served.append(server)

    families = scrape(server.url)

    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/metrics"
    [sample] = [s for s in families["foodmatch_messages_consumed"].samples]
    assert (sample.name, sample.labels, sample.value) == (
        CONSUMED,
        {"topic": "orders", "outcome": "ok"},
        1.0,
    )


def test_a_closed_endpoint_no_longer_answers() -> None:
    server = start_metrics_server(Metrics().registry, "127.0.0.1", 0)
    server.close()

    with pytest.raises(httpx.TransportError):
        httpx.get(server.url, timeout=2)


class FixedSource:
    def __init__(self, offsets: GroupOffsets) -> None:
        self.answer = offsets
        self.closed = False

    def offsets(self) -> GroupOffsets:
        return self.answer

    def close(self) -> None:
        self.closed = True


def worker_settings(port: int) -> Settings:
    return Settings(metrics_port=port, kafka=KafkaSettings(topic_prefix=PREFIX, partitions=2))


def test_the_worker_endpoint_serves_the_consumer_lag_on_the_configured_port() -> None:
    settings = worker_settings(free_port())
    metrics = Metrics()
    names = inbound_names(registry_of(settings.kafka))
    source = FixedSource(GroupOffsets(end={(f"{PREFIX}.orders", 1): 3}))
    lag = LagCollector(source, names, cache_seconds=0)

    worker = serve_worker_metrics(settings, metrics, "unit-worker", host="127.0.0.1", lag=lag)
    assert worker is not None
    try:
        families = scrape(f"http://127.0.0.1:{settings.metrics_port}/metrics")
    finally:
        worker.close()

    [sample] = families["foodmatch_consumer_lag"].samples
    assert (sample.labels, sample.value) == ({"topic": "orders", "partition": "1"}, 3.0)
    assert CONSUMED.removesuffix("_total") in families
    assert source.closed


def test_the_setting_zero_means_no_endpoint() -> None:
    metrics = Metrics()

    assert serve_worker_metrics(worker_settings(0), metrics, "g", host="127.0.0.1") is None
    assert metrics.registry.get_sample_value("foodmatch_consumer_lag", {}) is None


def test_a_port_in_use_leaves_the_worker_running_without_an_endpoint(
    served: list[MetricsServer], caplog: pytest.LogCaptureFixture
) -> None:
    taken = start_metrics_server(Metrics().registry, "127.0.0.1", 0)
    served.append(taken)
    metrics = Metrics()

    with caplog.at_level(logging.ERROR, logger="consumers.metrics_server"):
        worker = serve_worker_metrics(worker_settings(taken.port), metrics, "g", host="127.0.0.1")

    assert worker is None
    assert any("metrics endpoint not started" in r.getMessage() for r in caplog.records)


def test_the_default_worker_endpoint_asks_the_broker_only_when_scraped() -> None:
    settings = worker_settings(free_port()).model_copy(
        update={"kafka": KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix=PREFIX)}
    )
    worker = serve_worker_metrics(settings, Metrics(), "g", host="127.0.0.1")
    assert worker is not None
    try:
        source: Any = worker.lag.source
        assert (source._consumer, source._admin) == (None, None)
        assert worker.lag.names == inbound_names(registry_of(settings.kafka))
    finally:
        worker.close()


# The option --------------------------------------------------------------------------------


def test_the_worker_commands_take_a_metrics_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import consumers.worker
    from matcher.cli import root_app

    seen: list[Settings] = []
    monkeypatch.setattr(consumers.worker, "run_worker", lambda settings, **_: seen.append(settings))
    monkeypatch.delenv("FOODMATCH_METRICS_PORT", raising=False)

    consumers.worker.main(["--metrics-port", "9555"])
    consumers.worker.main([])
    result = CliRunner().invoke(root_app(), ["worker", "--metrics-port", "0"])

    assert result.exit_code == 0, result.output
    assert [s.metrics_port for s in seen] == [9555, 9101, 0]


@pytest.mark.parametrize("bad", ["-1", "65536", "nine"])
def test_a_metrics_port_out_of_range_is_refused(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import consumers.worker

    with pytest.raises(SystemExit) as stop:
        consumers.worker.main(["--metrics-port", bad])

    assert stop.value.code == 2
    assert "port" in capsys.readouterr().err


def test_the_worker_help_mentions_the_metrics_port() -> None:
    from typer.testing import CliRunner

    from matcher.cli import root_app

    result = CliRunner().invoke(root_app(), ["worker", "--help"])

    assert result.exit_code == 0, result.output
    assert "--metrics-port" in result.output


def test_parked_event_series_exist_at_zero_before_anything_is_parked() -> None:
    samples = {
        (s.labels["topic"], s.labels["reason"]): s.value
        for family in text_string_to_metric_families(Metrics().render().decode())
        if family.name == "foodmatch_outbox_parked"
        for s in family.samples
        if s.name == "foodmatch_outbox_parked_total"
    }
    topics = {"contracts", "rounds", "events", "dead-letters"}
    assert samples == {(t, r): 0.0 for t in topics for r in ("too_large", "refused")}
