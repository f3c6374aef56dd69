"""Kafka security against a real broker: a second local broker whose client port speaks
SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and whose TLS port speaks SASL_SSL.

The broker is started once for the module by ``deploy/kafka/kafka-up.sh`` with
``FOODMATCH_KAFKA_SASL_USERS`` and ``FOODMATCH_KAFKA_SSL_PORT``, on free ports and in a
temporary state dir (never the main broker's dir or ports), and stopped and deleted at the end.
It needs what the main broker needs (Java and the jars), so it runs whenever the Kafka tests do
(``FOODMATCH_TEST_KAFKA_BOOTSTRAP``; skipped without it, failing in CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer
from typer.testing import CliRunner

from matcher.adapters.kafka.broker import open_publisher
from matcher.adapters.kafka.probe import BrokerRefused
from matcher.adapters.kafka.publisher import (
    KafkaPublisher,
    SecureConnectionFailed,
    create_topics,
    registry_of,
)
from matcher.adapters.kafka.security import kafka_python_security
from matcher.adapters.topics import Topic
from matcher.cli import root_app
from matcher.config import KafkaSettings
from tests.support.kafka_harness import (
    REPO,
    Database,
    TunedSpace,
    WorkerProcess,
    contract_terms,
    scenario,
)
from tests.support.ports import free_ports

cli = root_app()

pytestmark = pytest.mark.kafka

KAFKA_DIR = REPO / "deploy" / "kafka"
USERS = {"alice": "alice-s3cret-0d9e", "bob": "bob-s3cret-77a1"}
MAIN_PORTS = {9092, 9093}
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class SecureBroker:
    sasl_bootstrap: str
    """SASL_PLAINTEXT."""
    tls_bootstrap: str
    """SASL_SSL; its certificates are in ``tls``."""
    tls: Path

    def settings(
        self,
        prefix: str,
        *,
        mechanism: str = "PLAIN",
        user: str = "alice",
        password: str | None = None,
        tls: bool = False,
        **more: Any,
    ) -> KafkaSettings:
        extra: dict[str, Any] = {"ssl_cafile": self.tls / "ca.pem"} if tls else {}
        return KafkaSettings(
            bootstrap_servers=self.tls_bootstrap if tls else self.sasl_bootstrap,
            topic_prefix=prefix,
            partitions=2,
            security_protocol="SASL_SSL" if tls else "SASL_PLAINTEXT",
            sasl_mechanism=mechanism,
            sasl_username=user,
            sasl_password=USERS[user] if password is None else password,
            **(extra | more),
        )


@pytest.fixture(scope="module")
def secure_broker(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureBroker]:
    port, controller, tls_port = free_ports(3, avoiding=MAIN_PORTS)
    home = tmp_path_factory.mktemp("secure-broker") / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOODMATCH_")}
    env.update(
        {
            "FOODMATCH_KAFKA_HOME": str(home),
            "FOODMATCH_KAFKA_PORT": str(port),
            "FOODMATCH_KAFKA_CONTROLLER_PORT": str(controller),
            "FOODMATCH_KAFKA_SSL_PORT": str(tls_port),
            "FOODMATCH_KAFKA_SASL_USERS": " ".join(f"{u}:{p}" for u, p in USERS.items()),
            "FOODMATCH_KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m",
            "FOODMATCH_KAFKA_WAIT_SECONDS": "120",
            "FOODMATCH_KAFKA_STOP_SECONDS": "15",
        }
    )
    assert home.resolve() != (KAFKA_DIR / "state").resolve()
    try:
        started = subprocess.run(
            ["bash", str(KAFKA_DIR / "kafka-up.sh")],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
        if started.returncode != 0:
            pytest.fail(f"the SASL broker did not start:\n{started.stderr[-4000:]}")
        assert started.stdout.strip() == f"127.0.0.1:{port}"
        yield SecureBroker(f"127.0.0.1:{port}", f"127.0.0.1:{tls_port}", home / "tls")
    finally:  # always stopped, even when the start failed half-way
        subprocess.run(
            ["bash", str(KAFKA_DIR / "kafka-down.sh"), "--purge"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


def openssl(command: str) -> None:
    """``openssl`` with these (space-separated) arguments; no path holds a space here."""
    subprocess.run(["openssl", *command.split()], check=True, capture_output=True)


def prefix() -> str:
    return f"s{uuid.uuid4().hex[:10]}"


def read_back(settings: KafkaSettings, topic: Topic, want: int, seconds: float = 30.0) -> list[Any]:
    """Records of ``topic`` from the beginning, read by a consumer with the project's options."""
    consumer = KafkaConsumer(
        registry_of(settings).name(topic),
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=500,
        **kafka_python_security(settings),
    )
    records: list[Any] = []
    deadline = time.monotonic() + seconds
    try:
        while len(records) < want:
            assert time.monotonic() < deadline, f"{topic.value}: {len(records)} of {want} records"
            records.extend(consumer)
    finally:
        consumer.close()
    return records


def publish_and_read_back(settings: KafkaSettings) -> None:
    market = scenario(orders=1, tag=settings.topic_prefix)
    created = create_topics(settings)
    assert len(created) == len(Topic)
    publisher = KafkaPublisher(settings, client_id="test-secure")
    try:
        assert publisher.send_many(market.participants) == len(market.participants)
    finally:
        publisher.close()
    records = read_back(settings, Topic.PARTICIPANTS, len(market.participants))
    sent = {json.loads(m.value)["message_id"] for m in market.participants}
    assert {json.loads(r.value)["message_id"] for r in records} == sent


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_the_publisher_creates_topics_and_publishes_over_sasl_plaintext(
    secure_broker: SecureBroker, mechanism: str
) -> None:
    publish_and_read_back(secure_broker.settings(prefix(), mechanism=mechanism, user="bob"))


def test_the_publisher_publishes_over_sasl_ssl_with_a_client_certificate(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    # The client's key, encrypted: the key password goes through ssl_password too.
    key = tmp_path / "client-encrypted.key"
    openssl(f"pkey -in {secure_broker.tls / 'client.key'} -aes256 -passout pass:key-pw -out {key}")
    settings = secure_broker.settings(
        prefix(),
        mechanism="SCRAM-SHA-512",
        tls=True,
        ssl_certfile=secure_broker.tls / "client.pem",
        ssl_keyfile=key,
        ssl_password="key-pw",
    )
    publish_and_read_back(settings)


def test_a_broker_certificate_from_another_ca_is_refused(
    secure_broker: SecureBroker, tmp_path: Path
) -> None:
    other = tmp_path / "other-ca.pem"
    openssl(
        f"req -x509 -newkey rsa:2048 -nodes -days 1 -keyout {tmp_path / 'other.key'} "
        f"-out {other} -subj /CN=other"
    )
    settings = secure_broker.settings(prefix(), tls=True, ssl_cafile=other)
    started = time.monotonic()
    with pytest.raises(BrokerRefused) as refused:
        open_publisher(settings)
    assert time.monotonic() - started < 30
    assert "TLS handshake failed" in str(refused.value)
    assert "FOODMATCH_KAFKA__SSL_CAFILE" in str(refused.value)


def test_a_wrong_password_is_an_authentication_error_not_a_hang(
    secure_broker: SecureBroker,
) -> None:
    wrong = secure_broker.settings(prefix(), password="not-the-password")
    started = time.monotonic()
    with pytest.raises(BrokerRefused) as refused:
        open_publisher(wrong)
    assert time.monotonic() - started < 30
    message = str(refused.value)
    assert "SASL authentication failed (PLAIN as 'alice')" in message
    assert "FOODMATCH_KAFKA__SASL_PASSWORD" in message
    assert "not-the-password" not in message
    # The publisher as the API and the workers build it (no CLI probe): a clear error as well.
    with pytest.raises(SecureConnectionFailed, match="SASL authentication failed"):
        KafkaPublisher(
            wrong.model_copy(update={"sasl_mechanism": "SCRAM-SHA-256"}),
            bootstrap_timeout_ms=5_000,  # kafka-python's default: 30 s
        )


def test_topics_create_with_a_wrong_password_exits_non_zero_naming_sasl(
    secure_broker: SecureBroker,
) -> None:
    env = {
        "FOODMATCH_KAFKA__BOOTSTRAP_SERVERS": secure_broker.sasl_bootstrap,
        "FOODMATCH_KAFKA__TOPIC_PREFIX": prefix(),
        "FOODMATCH_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "FOODMATCH_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "FOODMATCH_KAFKA__SASL_USERNAME": "bob",
        "FOODMATCH_KAFKA__SASL_PASSWORD": "not-the-password",
    }
    started = time.monotonic()
    result = CliRunner().invoke(cli, ["topics", "create"], env=env)
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    assert "SASL authentication failed (SCRAM-SHA-512 as 'bob')" in result.output
    assert "not-the-password" not in result.output
    assert "kafka-up.sh" not in result.output  # the broker answers: starting one would not help
    env["FOODMATCH_KAFKA__SASL_PASSWORD"] = USERS["bob"]
    result = CliRunner().invoke(cli, ["topics", "create"], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(Topic)} created" in result.output


def secure_space(broker: SecureBroker, settings: KafkaSettings, database_url: str) -> TunedSpace:
    """A market whose worker connects with ``settings``' security (FOODMATCH_KAFKA__...)."""
    security = {
        "FOODMATCH_KAFKA__SECURITY_PROTOCOL": settings.security_protocol,
        "FOODMATCH_KAFKA__SASL_MECHANISM": str(settings.sasl_mechanism),
        "FOODMATCH_KAFKA__SASL_USERNAME": str(settings.sasl_username),
        "FOODMATCH_KAFKA__SASL_PASSWORD": USERS[str(settings.sasl_username)],
    }
    if settings.ssl_cafile is not None:
        security["FOODMATCH_KAFKA__SSL_CAFILE"] = str(settings.ssl_cafile)
    return TunedSpace(
        settings.bootstrap_servers,
        settings.topic_prefix,
        database_url,
        settings.partitions,
        tuple(security.items()),
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("mechanism", "tls"),
    [("PLAIN", False), ("SCRAM-SHA-256", True)],
    ids=["sasl_plaintext-plain", "sasl_ssl-scram"],
)
def test_a_faust_worker_turns_orders_into_contracts_through_the_secured_broker(
    secure_broker: SecureBroker,
    new_database: Callable[[], str],
    tmp_path: Path,
    mechanism: str,
    tls: bool,
) -> None:
    settings = secure_broker.settings(prefix(), mechanism=mechanism, tls=tls)
    create_topics(settings)
    space = secure_space(secure_broker, settings, new_database())
    worker = WorkerProcess(space, f"secure-{mechanism.lower()}", tmp_path).start()
    database = Database(space.database_url)
    try:
        assigned = worker.wait_assigned(90)
        assert any(name.startswith(f"{settings.topic_prefix}.orders:") for name in assigned)
        market = scenario(orders=2, tag=settings.topic_prefix)
        publisher = KafkaPublisher(settings, client_id="test-secure-worker")
        try:
            publisher.send_many(market.participants)
            database.wait_for_participants(market)
            publisher.send_many(market.book)
        finally:
            publisher.close()
        contracts = database.wait_for_filled(market)
        assert [t[0] for t in contract_terms(contracts)] == ["o000", "o001"]
        # ...and the worker's outbox relay published them through the same listener.
        proposed = [
            envelope
            for envelope in map(
                json.loads, (r.value for r in read_back(settings, Topic.CONTRACTS, 2))
            )
            if envelope["type"] == "contract.proposed"
        ]
        assert {e["body"]["id"] for e in proposed} == {c.id for c in contracts}
        protocol = "SASL_SSL" if tls else "SASL_PLAINTEXT"
        assert f"Kafka security {protocol} ({mechanism} as alice)" in worker.log()
    finally:
        code = worker.stop()
        database.close()
        log = worker.log()
        assert USERS["alice"] not in log, "the worker logged the SASL password"
    assert code == 0, log[-3000:]
