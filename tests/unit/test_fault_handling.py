"""Faults without a broker: errors that are not transient, oversized messages and request
bodies, dead letters that must stay small (the real broker: tests/kafka/test_faults.py)."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from api.app import create_app
from consumers.handling import Delivery, MessageHandler, Retry, is_transient
from matcher.adapters.topics import Topic
from matcher.adapters.wire import (
    DEAD_LETTER_ORIGINAL_BYTES,
    MAX_MESSAGE_BYTES,
    MessageTooLarge,
    check_size,
    dead_letter,
    decode_command,
    encode_command,
)
from matcher.config import Settings
from matcher.service import commands
from tests.support.agents import PREFIX, Captured, Flaky, group, make_service, wire
from tests.support.fakes import Store

QUICK = Retry(first_seconds=0.001, max_seconds=0.004, attempts=3)


def handle(handler: MessageHandler, value: bytes) -> str:
    delivery = Delivery(value, b"g1", f"{PREFIX}.participants", 0, 7)
    return asyncio.run(handler(delivery))


def chained(error: BaseException, cause: BaseException) -> BaseException:
    try:
        raise error from cause
    except BaseException as caught:
        return caught


def test_outages_are_transient_and_bugs_are_not() -> None:
    import aiokafka.errors

    down = OperationalError("SELECT 1", {}, ConnectionError("refused"))
    assert is_transient(down)
    assert is_transient(ConnectionError("refused"))
    assert is_transient(TimeoutError())
    assert is_transient(aiokafka.errors.KafkaConnectionError("gone"))
    assert is_transient(chained(RuntimeError("wrapped"), ConnectionError("refused")))
    assert not is_transient(RuntimeError("a bug"))
    assert not is_transient(KeyError("missing"))
    assert not is_transient(None)


class Broken:
    """A bus whose handler always fails with ``error`` (and that remembers refusals)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0
        self.rejected: list[tuple[str, Exception]] = []

    def handle(self, command: commands.Command) -> Any:
        self.calls += 1
        raise self.error

    def reject(self, command: commands.Command, error: Exception) -> None:
        self.rejected.append((command.message_id, error))


def test_a_handler_failing_for_a_reason_not_transient_is_refused_after_its_attempts() -> None:
    _, metrics = make_service(Store())
    bus = Broken(RuntimeError("boom"))
    dead = Captured()
    handler = MessageHandler(Topic.PARTICIPANTS, bus, metrics, dead, QUICK)  # type: ignore[arg-type]
    command = commands.RegisterGroup(message_id="m-1", group=group())

    outcome = handle(handler, encode_command(command).value)

    assert outcome == "rejected"
    assert bus.calls == 3
    [record] = dead.records
    assert record["field"] == "handler"
    assert record["reason"] == "handling failed 3 times: RuntimeError: boom"
    assert [(mid, type(err).__name__) for mid, err in bus.rejected] == [("m-1", "HandlerFailed")]


def test_a_transient_failure_is_retried_beyond_the_attempts_until_it_passes() -> None:
    store = Store()
    service, metrics = make_service(store, Flaky(store, failures=7))
    dead = Captured()
    handler = MessageHandler(Topic.PARTICIPANTS, service.bus, metrics, dead, QUICK)
    _, value = wire(encode_command(commands.RegisterGroup(group=group())))

    assert handle(handler, value) == "ok"
    assert dead.records == []
    assert set(store.groups) == {"g1"}


def test_an_oversized_message_is_refused_unread_with_the_sizes_named() -> None:
    service, metrics = make_service(Store())
    dead = Captured()
    handler = MessageHandler(
        Topic.PARTICIPANTS, service.bus, metrics, dead, QUICK, max_message_bytes=100
    )
    value = b"{" + b" " * 198 + b"}"  # not even JSON that would parse: it is never read

    assert handle(handler, value) == "rejected"
    [record] = dead.records
    assert record["field"] == "value"
    assert record["reason"] == "message of 200 bytes is above the limit of 100 bytes"


def test_the_size_limit_defaults_to_one_mebibyte_and_follows_the_setting() -> None:
    assert Settings().max_message_bytes == MAX_MESSAGE_BYTES == 1_048_576
    with pytest.raises(MessageTooLarge, match="message of 1,048,577 bytes is above the limit"):
        check_size(b"x" * (MAX_MESSAGE_BYTES + 1))
    message = encode_command(commands.RegisterGroup(group=group())).value
    with pytest.raises(MessageTooLarge):
        decode_command(message, max_bytes=len(message) - 1)
    assert decode_command(message, max_bytes=len(message)) is not None


def test_a_dead_letter_stays_small_whatever_it_refuses() -> None:
    original = b"x" * 5_000_000
    record = dead_letter(
        raw=original, reason="r" * 100_000, field="value", topic="t.orders", key=b"k" * 100_000
    )
    data = json.loads(record)

    assert len(record) < 1_000_000
    assert data["original_bytes"] == 5_000_000
    assert base64.b64decode(data["original_base64"]) == original[:DEAD_LETTER_ORIGINAL_BYTES]
    assert len(data["reason"]) <= 2_000
    assert len(data["key"]) <= 2_000


@pytest.fixture
def small_limit_client(tmp_path: Path) -> Any:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'api.db'}",
        auth=False,
        max_message_bytes=2048,
        round_interval_seconds=0,
        webhooks_enabled=False,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_api_answers_413_to_a_body_above_the_limit_declared_or_streamed(
    small_limit_client: TestClient,
) -> None:
    too_big = b'{"id": "' + b"x" * 3000 + b'"}'

    declared = small_limit_client.post(
        "/api/v1/buyers", content=too_big, headers={"Content-Type": "application/json"}
    )
    streamed = small_limit_client.post(
        "/api/v1/buyers",
        content=iter([too_big[:1000], too_big[1000:]]),  # chunked: no Content-Length
        headers={"Content-Type": "application/json"},
    )
    small = small_limit_client.post(
        "/api/v1/buyers",
        content=iter([b'{"id": "b1", "name_th": "x", "name_en": "x", ', b'"kind": "hospital", '
                      b'"lat": 7.0, "lon": 100.5}']),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip

    assert declared.status_code == 413
    assert declared.json() == {
        "detail": f"request body of {len(too_big):,} bytes is above the limit of 2,048 bytes"
    }
    assert streamed.status_code == 413
    assert streamed.json()["detail"] == "request body is above the limit of 2,048 bytes"
    assert small.status_code == 201, small.text
