"""Kafka client security without a broker: SASL and TLS settings, the options they give
kafka-python and faust, their errors, secrecy, and every client builder passing them on.

The real-broker side (SASL_PLAINTEXT, SCRAM, SASL_SSL, a faust worker) is
tests/kafka/test_kafka_security.py.
"""

from __future__ import annotations

import ast
import logging
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import faust
import pytest
from faust.transport.drivers.aiokafka import Producer as AiokafkaProducer
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from faust.types.auth import AuthProtocol, SASLMechanism
from kafka.errors import KafkaTimeoutError
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

import consumers.lag
import matcher.adapters.kafka.broker
import matcher.adapters.kafka.publisher
from consumers.app import create_worker_app
from consumers.metrics_server import serve_worker_metrics
from consumers.worker_relay import WorkerRelay
from matcher.adapters.kafka.probe import BrokerRefused
from matcher.adapters.kafka.publisher import (
    KafkaPublisher,
    SecureConnectionFailed,
    connect,
    create_topics,
)
from matcher.adapters.kafka.security import (
    KafkaSecurityError,
    connection_hint,
    describe,
    faust_credentials,
    kafka_python_security,
    ssl_context,
)
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic
from matcher.bootstrap import Service
from matcher.cli import root_app
from matcher.config import KafkaSettings, Settings, load_settings
from matcher.optimiser.schema import parse_instance
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from producers.engine import KafkaEngine
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.ports import free_port

cli = root_app()

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "pw-9f3c-never-shown"
KEY_PASSWORD = "key-pw-1b7e-never-shown"
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
SECURITY_ENV = (
    "SECURITY_PROTOCOL",
    "SASL_MECHANISM",
    "SASL_USERNAME",
    "SASL_PASSWORD",
    "SSL_CAFILE",
    "SSL_CERTFILE",
    "SSL_KEYFILE",
    "SSL_PASSWORD",
    "SSL_CHECK_HOSTNAME",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No FOODMATCH_KAFKA__ variable leaks in from the calling shell."""
    for name in (*SECURITY_ENV, "BOOTSTRAP_SERVERS", "TOPIC_PREFIX"):
        monkeypatch.delenv(f"FOODMATCH_KAFKA__{name}", raising=False)


@dataclass(frozen=True)
class Pki:
    """A CA, and a client certificate it signed with its key (plain and encrypted)."""

    ca: Path
    cert: Path
    key: Path
    encrypted_key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make test certificates")
    folder = tmp_path_factory.mktemp("pki")

    def run(command: str) -> None:
        subprocess.run(["openssl", *command.split()], cwd=folder, check=True, capture_output=True)

    run("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=test-CA")
    run("req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client")
    run("x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out client.pem")
    run(f"pkey -in client.key -aes256 -passout pass:{KEY_PASSWORD} -out client-encrypted.key")
    return Pki(
        folder / "ca.pem",
        folder / "client.pem",
        folder / "client.key",
        folder / "client-encrypted.key",
    )


def sasl(protocol: str = "SASL_PLAINTEXT", mechanism: str = "PLAIN", **more: Any) -> KafkaSettings:
    return KafkaSettings(
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username="alice",
        sasl_password=PASSWORD,
        **more,
    )


# Defaults and protocols -------------------------------------------------------------------


def test_the_defaults_are_plaintext_and_add_no_client_option() -> None:
    settings = KafkaSettings()
    assert settings.security_protocol == "PLAINTEXT"
    assert settings.ssl_check_hostname is True
    assert kafka_python_security(settings) == {}
    assert faust_credentials(settings) is None
    assert ssl_context(settings) is None
    assert describe(settings) == "PLAINTEXT"
    assert connection_hint(settings) == ""
    assert load_settings().kafka.security_protocol == "PLAINTEXT"


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_sasl_plaintext_gives_kafka_python_the_mechanism_and_login(mechanism: str) -> None:
    assert kafka_python_security(sasl(mechanism=mechanism)) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "alice",
        "sasl_plain_password": PASSWORD,
    }


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_sasl_plaintext_gives_faust_sasl_credentials_that_reach_aiokafka(mechanism: str) -> None:
    credentials = faust_credentials(sasl(mechanism=mechanism))
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol is AuthProtocol.SASL_PLAINTEXT
    assert credentials.mechanism is SASLMechanism(mechanism)
    assert (credentials.username, credentials.password) == ("alice", PASSWORD)
    assert credentials.ssl_context is None
    # What faust-streaming hands every aiokafka consumer and producer it makes:
    assert credentials_to_aiokafka_auth(credentials) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "alice",
        "sasl_plain_password": PASSWORD,
        "ssl_context": None,
    }


def test_sasl_ssl_gives_both_the_login_and_tls(pki: Pki) -> None:
    settings = sasl("SASL_SSL", "SCRAM-SHA-512", ssl_cafile=pki.ca)
    assert kafka_python_security(settings) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "alice",
        "sasl_plain_password": PASSWORD,
        "ssl_cafile": str(pki.ca),
        "ssl_check_hostname": True,
    }
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol is AuthProtocol.SASL_SSL
    assert credentials.mechanism is SASLMechanism.SCRAM_SHA_512
    context = credentials.ssl_context
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["ssl_context"] is context
    assert describe(settings) == "SASL_SSL (SCRAM-SHA-512 as alice)"


def test_ssl_with_a_client_certificate_and_an_encrypted_key(pki: Pki) -> None:
    settings = KafkaSettings(
        security_protocol="SSL",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.encrypted_key,
        ssl_password=KEY_PASSWORD,
        ssl_check_hostname=False,
    )
    assert kafka_python_security(settings) == {
        "security_protocol": "SSL",
        "ssl_cafile": str(pki.ca),
        "ssl_certfile": str(pki.cert),
        "ssl_keyfile": str(pki.encrypted_key),
        "ssl_password": KEY_PASSWORD,
        "ssl_check_hostname": False,
    }
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SSLCredentials)
    assert credentials.protocol is AuthProtocol.SSL
    assert credentials.context.check_hostname is False
    assert credentials.context.verify_mode == ssl.CERT_REQUIRED
    assert credentials_to_aiokafka_auth(credentials) == {
        "security_protocol": "SSL",
        "ssl_context": credentials.context,
    }
    assert describe(settings) == "SSL (client certificate)"


def test_ssl_without_a_ca_file_trusts_the_system_cas() -> None:
    settings = KafkaSettings(security_protocol="SSL")
    assert kafka_python_security(settings) == {
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
    }
    context = ssl_context(settings)
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED


def make_service(settings: Settings) -> Service:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    store = Store()

    def factory() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    bus = MessageBus(factory, context)
    return Service(settings, context, bus, factory, factory, Metrics(), engine=None)


async def ignore(key: bytes | None, value: bytes) -> None:
    return None


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_the_worker_app_gets_the_credentials_for_its_consumers_and_producers(
    mechanism: str,
) -> None:
    settings = Settings(kafka=sasl(mechanism=mechanism, topic_prefix="unit"))
    app = create_worker_app(
        settings, make_service(settings), worker_id="unit", dead_letters=ignore, relay=False
    )
    credentials = app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.mechanism is SASLMechanism(mechanism)
    # The same call faust makes for its consumers; its producer keeps the credentials too.
    auth = credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context)
    assert auth["security_protocol"] == "SASL_PLAINTEXT"
    assert (auth["sasl_mechanism"], auth["sasl_plain_username"]) == (mechanism, "alice")
    producer = app.producer
    assert isinstance(producer, AiokafkaProducer)
    assert producer.credentials is credentials
    assert producer._settings_auth()["sasl_plain_password"] == PASSWORD


def test_a_plaintext_worker_app_has_no_credentials() -> None:
    settings = Settings(kafka=KafkaSettings(topic_prefix="unit"))
    app = create_worker_app(
        settings, make_service(settings), worker_id="unit", dead_letters=ignore, relay=False
    )
    assert app.conf.broker_credentials is None
    assert credentials_to_aiokafka_auth(app.conf.broker_credentials, app.conf.ssl_context) == {
        "security_protocol": "PLAINTEXT"
    }


# The environment ----------------------------------------------------------------------------


def test_the_environment_reaches_the_settings(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    env = {
        "SECURITY_PROTOCOL": "sasl_ssl",  # case does not matter
        "SASL_MECHANISM": "scram-sha-256",
        "SASL_USERNAME": "alice",
        "SASL_PASSWORD": PASSWORD,
        "SSL_CAFILE": str(pki.ca),
        "SSL_CERTFILE": str(pki.cert),
        "SSL_KEYFILE": str(pki.encrypted_key),
        "SSL_PASSWORD": KEY_PASSWORD,
        "SSL_CHECK_HOSTNAME": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(f"FOODMATCH_KAFKA__{name}", value)
    kafka = load_settings().kafka
    assert kafka.security_protocol == "SASL_SSL"
    assert kafka.sasl_mechanism == "SCRAM-SHA-256"
    assert kafka.sasl_username == "alice"
    assert isinstance(kafka.sasl_password, SecretStr)
    assert kafka.sasl_password.get_secret_value() == PASSWORD
    assert (kafka.ssl_cafile, kafka.ssl_certfile, kafka.ssl_keyfile) == (
        pki.ca,
        pki.cert,
        pki.encrypted_key,
    )
    assert kafka.ssl_password is not None
    assert kafka.ssl_password.get_secret_value() == KEY_PASSWORD
    assert kafka.ssl_check_hostname is False
    options = kafka_python_security(kafka)
    assert options["sasl_plain_password"] == PASSWORD
    assert options["ssl_password"] == KEY_PASSWORD


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a compose file passes them: ``FOODMATCH_KAFKA__SASL_USERNAME=``."""
    for name in SECURITY_ENV[:-1]:
        monkeypatch.setenv(f"FOODMATCH_KAFKA__{name}", "")
    kafka = load_settings().kafka
    assert kafka.security_protocol == "PLAINTEXT"
    assert (kafka.sasl_mechanism, kafka.sasl_username, kafka.sasl_password) == (None,) * 3
    assert kafka_python_security(kafka) == {}


# Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "named"),
    [
        (
            {"security_protocol": "SASL_PLAINTEXT"},
            [
                "FOODMATCH_KAFKA__SASL_MECHANISM",
                "FOODMATCH_KAFKA__SASL_USERNAME",
                "FOODMATCH_KAFKA__SASL_PASSWORD",
            ],
        ),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "a"},
            ["FOODMATCH_KAFKA__SASL_PASSWORD"],
        ),
        (
            {"security_protocol": "SASL_PLAINTEXT", "sasl_username": "a", "sasl_password": "x"},
            ["FOODMATCH_KAFKA__SASL_MECHANISM"],
        ),
        ({"sasl_username": "a"}, ["FOODMATCH_KAFKA__SASL_USERNAME", "PLAINTEXT"]),
        (
            {"security_protocol": "SSL", "ssl_certfile": "c.pem"},
            ["FOODMATCH_KAFKA__SSL_KEYFILE"],
        ),
        (
            {"security_protocol": "SSL", "ssl_keyfile": "k.pem"},
            ["FOODMATCH_KAFKA__SSL_CERTFILE"],
        ),
        ({"ssl_cafile": "ca.pem"}, ["FOODMATCH_KAFKA__SSL_CAFILE", "SSL or SASL_SSL"]),
        ({"security_protocol": "TLS"}, ["security_protocol", "SASL_SSL"]),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"},
            ["sasl_mechanism", "SCRAM-SHA-512"],
        ),
    ],
)
def test_missing_or_stray_pieces_are_refused_by_name(
    given: dict[str, Any], named: list[str]
) -> None:
    with pytest.raises(ValidationError) as refused:
        KafkaSettings(**given)
    for name in named:
        assert name in str(refused.value)


def test_the_environment_names_the_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOODMATCH_KAFKA__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("FOODMATCH_KAFKA__SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("FOODMATCH_KAFKA__SASL_USERNAME", "alice")
    with pytest.raises(ValidationError, match="FOODMATCH_KAFKA__SASL_PASSWORD"):
        load_settings()


@pytest.mark.parametrize("field", ["ssl_cafile", "ssl_certfile", "ssl_keyfile"])
def test_a_missing_file_is_named_when_a_client_is_built(
    field: str, pki: Pki, tmp_path: Path
) -> None:
    files = {"ssl_cafile": pki.ca, "ssl_certfile": pki.cert, "ssl_keyfile": pki.key}
    files[field] = tmp_path / "missing.pem"
    settings = KafkaSettings(security_protocol="SSL", **files)  # not checked yet
    env = f"FOODMATCH_KAFKA__{field.upper()}"
    with pytest.raises(KafkaSecurityError, match=f"{env}: .*missing.pem does not exist"):
        kafka_python_security(settings)
    with pytest.raises(KafkaSecurityError, match=env):
        faust_credentials(settings)


def test_a_folder_instead_of_a_file_is_named(tmp_path: Path) -> None:
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=tmp_path)
    with pytest.raises(KafkaSecurityError, match=r"FOODMATCH_KAFKA__SSL_CAFILE: .* is not a file"):
        kafka_python_security(settings)


def test_a_file_that_holds_no_certificate_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "ca.pem"
    junk.write_text("not a certificate\n")
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile=junk)
    with pytest.raises(KafkaSecurityError, match="FOODMATCH_KAFKA__SSL_CAFILE"):
        kafka_python_security(settings)


@pytest.mark.parametrize("password", [None, "wrong"])
def test_an_encrypted_key_without_its_password_is_named(pki: Pki, password: str | None) -> None:
    settings = KafkaSettings(
        security_protocol="SSL",
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.encrypted_key,
        ssl_password=password,
    )
    with pytest.raises(KafkaSecurityError, match="FOODMATCH_KAFKA__SSL_PASSWORD") as refused:
        kafka_python_security(settings)
    assert KEY_PASSWORD not in str(refused.value)


def test_a_key_that_does_not_match_the_certificate_is_named(pki: Pki, tmp_path: Path) -> None:
    subprocess.run(
        ["openssl", "genrsa", "-out", str(tmp_path / "other.key"), "2048"],
        check=True,
        capture_output=True,
    )
    settings = KafkaSettings(
        security_protocol="SSL", ssl_certfile=pki.cert, ssl_keyfile=tmp_path / "other.key"
    )
    with pytest.raises(KafkaSecurityError, match="FOODMATCH_KAFKA__SSL_KEYFILE"):
        ssl_context(settings)


# Secrets ----------------------------------------------------------------------------------


def test_passwords_never_show_in_repr_str_json_or_messages(pki: Pki) -> None:
    kafka = sasl(
        "SASL_SSL",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.encrypted_key,
        ssl_password=KEY_PASSWORD,
    )
    settings = Settings(kafka=kafka)
    shown = [
        repr(kafka),
        str(kafka),
        kafka.model_dump_json(),
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        describe(kafka),
        connection_hint(kafka),
        repr(faust_credentials(kafka)),
    ]
    for text in shown:
        assert PASSWORD not in text, text
        assert KEY_PASSWORD not in text, text
    assert "**********" in repr(kafka)


def test_a_refused_setting_does_not_echo_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOODMATCH_KAFKA__SASL_PASSWORD", PASSWORD)  # but PLAINTEXT
    with pytest.raises(ValidationError) as refused:
        load_settings()
    assert "FOODMATCH_KAFKA__SASL_PASSWORD" in str(refused.value)
    assert PASSWORD not in str(refused.value)
    with pytest.raises(ValidationError) as refused_directly:
        KafkaSettings(sasl_password=PASSWORD)
    assert PASSWORD not in str(refused_directly.value)


# Every client builder ------------------------------------------------------------------------


class FakeClient:
    """Stands for KafkaProducer, KafkaConsumer and KafkaAdminClient; records its options."""

    made: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    kind = "client"

    def __init__(self, *topics: str, **options: Any) -> None:
        FakeClient.made.append((self.kind, options))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        answers: dict[str, Any] = {
            "list_topics": [],
            "describe_topics": [],
            "partitions_for_topic": set(),
            "list_group_offsets": {},
            "end_offsets": {},
            "beginning_offsets": {},
        }
        return lambda *args, **kwargs: answers.get(name)


class FakeProducer(FakeClient):
    kind = "producer"


class FakeConsumer(FakeClient):
    kind = "consumer"


class FakeAdmin(FakeClient):
    kind = "admin"


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every kafka-python class the project uses, replaced by a recorder; no network."""
    FakeClient.made = []
    monkeypatch.setattr(matcher.adapters.kafka.publisher, "KafkaProducer", FakeProducer)
    monkeypatch.setattr(matcher.adapters.kafka.publisher, "KafkaAdminClient", FakeAdmin)
    monkeypatch.setattr(matcher.adapters.kafka.broker, "KafkaAdminClient", FakeAdmin)
    monkeypatch.setattr(matcher.adapters.kafka.broker, "KafkaConsumer", FakeConsumer)
    monkeypatch.setattr(matcher.adapters.kafka.broker, "probe", lambda *args, **kwargs: None)
    monkeypatch.setattr(consumers.lag, "KafkaConsumer", FakeConsumer)
    monkeypatch.setattr(consumers.lag, "KafkaAdminClient", FakeAdmin)
    yield FakeClient.made
    FakeClient.made = []


def build_every_client(kafka: KafkaSettings) -> None:
    """Each path of the project that makes a kafka-python client."""
    KafkaPublisher(kafka).close()
    create_topics(kafka)
    matcher.adapters.kafka.broker.open_publisher(kafka, client_id="x").close()
    with matcher.adapters.kafka.broker.admin(kafka):
        pass
    matcher.adapters.kafka.broker.ensure_topics(kafka)
    matcher.adapters.kafka.broker.tail(kafka, [Topic.EVENTS]).close()
    settings = Settings(kafka=kafka, metrics_port=0)
    store = Store()
    engine = KafkaEngine(settings, lambda: FakeUnitOfWork(store), FixedClock())
    engine.start_sync()  # the API's Kafka engine: topics, then its producer
    engine.stop_sync()
    relay = WorkerRelay(lambda: FakeUnitOfWork(store), kafka, FixedClock())
    relay._make_publisher().close()  # the worker's outbox relay
    served = serve_worker_metrics(
        settings.model_copy(update={"metrics_port": free_port()}),
        Metrics(),
        "g",
        host="127.0.0.1",
    )
    assert served is not None
    try:
        source: Any = served.lag.source  # the consumer-lag collector's clients
        source._consumer_client()
        source._admin_client()
    finally:
        served.close()


EXPECTED_KINDS = ["producer", "admin", "producer", "admin", "admin", "admin", "consumer"]
EXPECTED_KINDS += ["admin", "producer", "producer", "consumer", "admin"]


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_every_client_builder_passes_the_security_options(
    made: list[tuple[str, dict[str, Any]]], mechanism: str
) -> None:
    kafka = sasl(mechanism=mechanism, bootstrap_servers="127.0.0.1:1", topic_prefix="unit")
    build_every_client(kafka)
    assert [kind for kind, _ in made] == EXPECTED_KINDS
    wanted = kafka_python_security(kafka)
    for kind, options in made:
        assert options["bootstrap_servers"] == "127.0.0.1:1"
        assert {k: options.get(k) for k in wanted} == wanted, kind


def test_every_client_builder_passes_tls_options(
    made: list[tuple[str, dict[str, Any]]], pki: Pki
) -> None:
    kafka = KafkaSettings(
        bootstrap_servers="127.0.0.1:1",
        security_protocol="SSL",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.key,
    )
    build_every_client(kafka)
    assert len(made) == len(EXPECTED_KINDS)
    for kind, options in made:
        assert options["security_protocol"] == "SSL", kind
        assert options["ssl_cafile"] == str(pki.ca), kind
        assert (options["ssl_certfile"], options["ssl_keyfile"]) == (str(pki.cert), str(pki.key))


def test_plaintext_clients_are_built_as_before(made: list[tuple[str, dict[str, Any]]]) -> None:
    build_every_client(KafkaSettings(bootstrap_servers="127.0.0.1:1"))
    assert len(made) == len(EXPECTED_KINDS)
    for kind, options in made:
        assert not any(k.startswith(("security_", "sasl_", "ssl_")) for k in options), kind


def test_a_missing_file_stops_every_builder_before_any_client_is_made(
    made: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    kafka = KafkaSettings(security_protocol="SSL", ssl_cafile=tmp_path / "nope.pem")
    with pytest.raises(KafkaSecurityError, match="FOODMATCH_KAFKA__SSL_CAFILE"):
        KafkaPublisher(kafka)
    with pytest.raises(KafkaSecurityError, match="FOODMATCH_KAFKA__SSL_CAFILE"):
        create_topics(kafka)
    with pytest.raises(BrokerRefused, match="FOODMATCH_KAFKA__SSL_CAFILE"):
        matcher.adapters.kafka.broker.open_publisher(kafka)
    assert made == []


CLIENT_CLASSES = {"KafkaProducer", "KafkaConsumer", "KafkaAdminClient", "App"}
CHECKED = {
    "matcher/adapters/kafka/publisher.py": {"KafkaProducer", "KafkaAdminClient"},
    "matcher/adapters/kafka/broker.py": {"KafkaAdminClient", "KafkaConsumer"},
    "consumers/lag.py": {"KafkaConsumer", "KafkaAdminClient"},
    "consumers/app.py": {"App"},
    "bench/stream/reference.py": {"App"},  # the stream bench's reference consumer
}


def test_no_other_module_builds_a_kafka_client() -> None:
    """A new kafka-python client (or faust app) elsewhere must get the security options too:
    add it to the builders above (and to CHECKED)."""
    found: dict[str, set[str]] = {}
    for package in ("matcher", "producers", "consumers", "api", "bench"):
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if name in CLIENT_CLASSES and (name != "App" or "faust" in ast.unparse(func)):
                        found.setdefault(str(path.relative_to(REPO)), set()).add(name)
    assert found == CHECKED


# Connection failures -------------------------------------------------------------------------


def test_a_refused_secure_connection_says_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matcher.adapters.kafka.publisher, "_answers", lambda bootstrap: True)

    def refused() -> None:
        raise KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:1")

    kafka = sasl(mechanism="SCRAM-SHA-256", bootstrap_servers="127.0.0.1:1")
    with pytest.raises(SecureConnectionFailed) as failed:
        connect(kafka, refused)
    message = str(failed.value)
    assert message.startswith("KafkaTimeoutError: Unable to bootstrap from 127.0.0.1:1; ")
    assert "SASL authentication failed (SCRAM-SHA-256 as 'alice')" in message
    assert "FOODMATCH_KAFKA__SASL_PASSWORD" in message
    assert PASSWORD not in message
    assert "does not speak SASL_PLAINTEXT" in message
    # PLAINTEXT, or no broker at all: kafka-python's own error, unchanged.
    with pytest.raises(KafkaTimeoutError) as plain:
        connect(KafkaSettings(), refused)
    assert not isinstance(plain.value, SecureConnectionFailed)
    monkeypatch.setattr(matcher.adapters.kafka.publisher, "_answers", lambda bootstrap: False)
    with pytest.raises(KafkaTimeoutError) as down:
        connect(kafka, refused)
    assert not isinstance(down.value, SecureConnectionFailed)


def test_the_tls_hint_names_the_files(pki: Pki) -> None:
    hint = connection_hint(
        KafkaSettings(security_protocol="SSL", ssl_certfile=pki.cert, ssl_keyfile=pki.key)
    )
    assert "TLS handshake failed" in hint
    for name in ("SSL_CAFILE", "SSL_CERTFILE", "SSL_KEYFILE", "SSL_CHECK_HOSTNAME"):
        assert f"FOODMATCH_KAFKA__{name}" in hint


runner = CliRunner()


def test_the_topics_command_reports_unusable_settings_without_a_traceback() -> None:
    result = runner.invoke(
        cli,
        ["topics", "create"],
        env={"FOODMATCH_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT"},
    )
    assert result.exit_code == 2
    assert "FOODMATCH_KAFKA__SASL_PASSWORD" in result.output
    assert "Traceback" not in result.output


def test_the_topics_command_names_a_missing_file(
    made: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    result = runner.invoke(
        cli,
        ["topics", "create"],
        env={
            "FOODMATCH_KAFKA__SECURITY_PROTOCOL": "SSL",
            "FOODMATCH_KAFKA__SSL_CAFILE": str(tmp_path / "nope.pem"),
        },
    )
    assert result.exit_code == 2
    assert "FOODMATCH_KAFKA__SSL_CAFILE" in result.output
    assert "does not exist" in result.output
    assert "kafka-up.sh" not in result.output  # starting a broker would not help


def test_builders_log_no_password(
    made: list[tuple[str, dict[str, Any]]], caplog: pytest.LogCaptureFixture, pki: Pki
) -> None:
    caplog.set_level(logging.DEBUG)
    kafka = sasl(
        "SASL_SSL",
        bootstrap_servers="127.0.0.1:1",
        ssl_cafile=pki.ca,
        ssl_certfile=pki.cert,
        ssl_keyfile=pki.encrypted_key,
        ssl_password=KEY_PASSWORD,
    )
    build_every_client(kafka)
    settings = Settings(kafka=kafka)
    create_worker_app(
        settings, make_service(settings), worker_id="unit", dead_letters=ignore, relay=False
    )
    assert any("SASL_SSL (PLAIN as alice, client certificate)" in r.message for r in caplog.records)
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
        assert KEY_PASSWORD not in record.getMessage()
