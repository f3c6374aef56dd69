"""``topics create`` and ``publish`` against a real broker, read back with kafka-python."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from typer.testing import CliRunner

from matcher.adapters.messages import message_id_for
from matcher.adapters.topics import Topic, TopicRegistry
from matcher.cli import root_app

app = root_app()

pytestmark = pytest.mark.kafka

runner = CliRunner()
PARTITIONS = 3

BUYER = {
    "id": "hosp-hatyai",
    "name_th": "โรงพยาบาลหาดใหญ่",
    "name_en": "Hat Yai Hospital",
    "kind": "hospital",
    "district": "9011",
    "lat": 7.0167,
    "lon": 100.4681,
}
ORDER = {
    "id": "ord-1",
    "buyer_id": "hosp-hatyai",
    "crop_id": "kale",
    "quantity": 80,
    "schedule": {"start": "2026-12-07", "end": "2027-01-04", "weekdays": ["mon"]},
    "min_tier": "SAFE",
}
SUPPLY_CSV = (
    "id,group_id,crop_id,scheme,weeks,asking_price\n"
    "s1,grp-001,kale,PGS,2026-W50:120;2026-W51:100,28.50\n"
    "s2,grp-001,kale,PGS,2026-W50:abc,28.50\n"
    "s3,grp-002,cucumber,THAI_GAP,2026-W50:50,\n"
)


@pytest.fixture
def prefix(kafka_bootstrap: str) -> Iterator[str]:
    """A topic prefix of this test's own; its topics are deleted afterwards."""
    name = f"p{uuid.uuid4().hex[:10]}"
    yield name
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="foodmatch-test")
    try:
        mine = [t for t in admin.list_topics() if t.startswith(f"{name}.")]
        if mine:
            admin.delete_topics(mine)
    finally:
        admin.close()


def env_of(bootstrap: str, prefix: str) -> dict[str, str]:
    return {
        "FOODMATCH_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "FOODMATCH_KAFKA__TOPIC_PREFIX": prefix,
        "FOODMATCH_KAFKA__PARTITIONS": str(PARTITIONS),
    }


def read_back(
    bootstrap: str, topics: list[str], expected: int, patience: float = 30.0
) -> list[tuple[str, str, dict[str, object]]]:
    """(topic, key, envelope) of the messages on ``topics``, from the beginning."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        out: list[tuple[str, str, dict[str, object]]] = []
        deadline = time.monotonic() + patience
        while len(out) < expected and time.monotonic() < deadline:
            for partition, records in consumer.poll(timeout_ms=500).items():
                for record in records:
                    key = record.key.decode() if record.key is not None else ""
                    out.append((partition.topic, key, json.loads(record.value)))
        return out
    finally:
        consumer.close()


def body_of(envelope: dict[str, object]) -> dict[str, object]:
    body = envelope["body"]
    assert isinstance(body, dict)
    return body


def test_topics_create_makes_every_topic_with_its_configured_partitions(
    kafka_bootstrap: str, prefix: str
) -> None:
    env = env_of(kafka_bootstrap, prefix)

    first = runner.invoke(app, ["topics", "create"], env=env)
    again = runner.invoke(app, ["topics", "create"], env=env)

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert f"{len(Topic)} created, 0 already there" in first.output
    assert f"0 created, {len(Topic)} already there" in again.output
    registry = TopicRegistry(prefix=prefix, partitions=PARTITIONS)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="foodmatch-test")
    try:
        described = admin.describe_topics(list(registry.all().values()))
    finally:
        admin.close()
    counts = {info["name"]: len(info["partitions"]) for info in described}
    assert counts == {registry.name(t): registry.partitions_of(t) for t in Topic}
    assert counts[registry.name(Topic.ROUNDS)] == 1
    assert counts[registry.name(Topic.ORDERS)] == PARTITIONS


def test_publish_puts_json_lines_and_csv_lines_on_their_topics_with_their_keys(
    kafka_bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    env = env_of(kafka_bootstrap, prefix)
    jsonl = tmp_path / "market.jsonl"
    envelope = {"type": "order.submit", "version": 1, "message_id": "m-ord-1", "body": ORDER}
    jsonl.write_text(
        "\n".join(
            [
                json.dumps({"kind": "buyers", "body": BUYER}, ensure_ascii=False),
                json.dumps(envelope),
                "not json",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    supply = tmp_path / "supply.csv"
    supply.write_text(SUPPLY_CSV, encoding="utf-8")

    published_jsonl = runner.invoke(app, ["publish", str(jsonl)], env=env)
    published_csv = runner.invoke(app, ["publish", str(supply), "--kind", "supply"], env=env)

    assert published_jsonl.exit_code == 1, published_jsonl.output
    assert "line 3: not JSON" in published_jsonl.output
    assert published_csv.exit_code == 1, published_csv.output
    assert "line 3: weeks.2026-W50" in published_csv.output
    names = [f"{prefix}.participants", f"{prefix}.orders", f"{prefix}.supply"]
    got = read_back(kafka_bootstrap, names, expected=4)
    by_id = {str(body_of(e)["id"]): (topic, key, e) for topic, key, e in got}
    assert sorted(by_id) == ["hosp-hatyai", "ord-1", "s1", "s3"]
    assert by_id["hosp-hatyai"][:2] == (f"{prefix}.participants", "hosp-hatyai")
    assert by_id["hosp-hatyai"][2]["message_id"] == message_id_for("buyers", BUYER)
    assert by_id["hosp-hatyai"][2]["type"] == "buyer.register"
    assert by_id["ord-1"][:2] == (f"{prefix}.orders", "kale")
    assert by_id["ord-1"][2] == envelope
    for supply_id, crop in (("s1", "kale"), ("s3", "cucumber")):
        topic, key, sent = by_id[supply_id]
        assert (topic, key, sent["type"]) == (f"{prefix}.supply", crop, "supply.announce")
        assert sent["message_id"] == message_id_for("supply", body_of(sent))


def test_publish_to_an_unreachable_broker_exits_2(tmp_path: Path) -> None:
    jsonl = tmp_path / "market.jsonl"
    jsonl.write_text(json.dumps({"kind": "buyers", "body": BUYER}) + "\n", encoding="utf-8")
    env = {"FOODMATCH_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1"}

    published = runner.invoke(app, ["publish", str(jsonl)], env=env)
    created = runner.invoke(app, ["topics", "create"], env=env)
    simulated = runner.invoke(app, ["simulate", "--duration", "1"], env=env)
    benched = runner.invoke(app, ["bench", "stream", "--running", "--duration", "1"], env=env)

    assert published.exit_code == 2
    assert "no Kafka broker answers at 127.0.0.1:1" in published.output
    assert created.exit_code == 2
    assert simulated.exit_code == 2
    assert benched.exit_code == 2
    assert "foodmatch worker" in benched.output
