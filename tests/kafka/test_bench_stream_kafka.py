"""``foodmatch bench stream``: the reference consumer and a worker on fresh topic prefixes and fresh
PostgreSQL databases, with tiny numbers; every required figure is there and nothing is left."""

from __future__ import annotations

import json
import os

import pytest
from kafka.admin import KafkaAdminClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from matcher.cli import root_app
from tests.support.postgres import POSTGRES_ENV

app = root_app()

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def _databases(admin: Engine, prefix: str) -> set[str]:
    with admin.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT datname FROM pg_database WHERE datname LIKE %(like)s",
            {"like": f"{prefix}_bench_%"},
        ).scalars()
        return set(rows)


def _bench_topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="test-bench-stream")
    try:
        return {t for t in admin.list_topics() if t.startswith("foodmatch-bench-")}
    finally:
        admin.close()


def test_bench_stream_measures_drain_reference_and_latency(
    kafka_bootstrap: str, postgres_admin: Engine
) -> None:
    url = os.environ[POSTGRES_ENV].strip()
    name = make_url(url).database
    assert name
    databases_before = _databases(postgres_admin, name)
    topics_before = _bench_topics(kafka_bootstrap)

    result = CliRunner().invoke(
        app,
        [
            "bench", "stream", "--db", url, "--bootstrap", kafka_bootstrap, "--messages", "300",
            "--workers", "1", "--rates", "20", "--duration", "3", "--json",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["messages"] == 300
    assert document["machine"]["cpus"] >= 1
    drain = document["drain"]
    for key in (
        "messages_per_second",
        "rounds_off_messages_per_second",
        "reference_messages_per_second",
    ):
        assert drain[key] > 0, key
    reference = drain["reference_messages_per_second"]
    assert drain["ratio_to_reference"] == pytest.approx(
        drain["messages_per_second"] / reference, rel=1e-3
    )
    assert drain["rounds_off_ratio_to_reference"] == pytest.approx(
        drain["rounds_off_messages_per_second"] / reference, rel=1e-3
    )
    (one,) = drain["by_workers"]
    assert one["workers"] == 1
    assert one["messages_per_second"] == drain["messages_per_second"]
    (rate,) = document["rates"]
    assert (rate["offered"], rate["workers"]) == (20.0, 1)
    assert rate["sent"] == 60
    assert isinstance(rate["kept_up"], bool)
    assert 0 < rate["with_contract"] <= rate["sent"]  # the orders sent are ones the supply fills
    latency = rate["latency_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["p99"]
    # every database and topic of the run is gone
    assert _databases(postgres_admin, name) <= databases_before
    assert _bench_topics(kafka_bootstrap) <= topics_before


def test_an_unreachable_database_is_a_message_not_a_traceback(kafka_bootstrap: str) -> None:
    url = make_url(os.environ[POSTGRES_ENV].strip()).set(password="not-the-password")

    result = CliRunner().invoke(
        app,
        [
            "bench", "stream", "--db", url.render_as_string(hide_password=False),
            "--bootstrap", kafka_bootstrap, "--messages", "10",
        ],
    )  # fmt: skip

    assert result.exit_code == 2
    assert "cannot reach the database at" in result.output
    assert "not-the-password" not in result.output
    assert "Traceback" not in result.output
