"""``foodmatch bench api --engine kafka``: a worker and the API on a fresh topic prefix and a fresh
PostgreSQL database, measured over HTTP with tiny numbers; nothing is left behind."""

from __future__ import annotations

import json
import os

import pytest
from kafka.admin import KafkaAdminClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from matcher.cli import root_app
from tests.support.bench import check_figures
from tests.support.postgres import POSTGRES_ENV

app = root_app()

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


def test_bench_api_on_the_kafka_engine(kafka_bootstrap: str, postgres_admin: Engine) -> None:
    url = os.environ[POSTGRES_ENV].strip()

    result = CliRunner().invoke(
        app,
        [
            "bench", "api", "--engine", "kafka", "--db", url, "--bootstrap", kafka_bootstrap,
            "--orders", "20", "--reads", "40", "--concurrency", "4", "--json",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["engine"] == "kafka"
    check_figures(run["orders"], 20)
    check_figures(run["reads"], 40)
    assert run["round"]["http_status"] == 201
    assert run["round"]["status"] == "completed"
    assert run["round"]["contracts"] >= 20
    assert run["notes"] == []
    tag = run["run"]
    assert f"foodmatch_bench_{tag}" in run["database"]  # a fresh database, dropped afterwards
    with postgres_admin.connect() as connection:
        left = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_database WHERE datname = %(name)s",
            {"name": f"foodmatch_bench_{tag}"},
        ).scalar()
    assert left == 0
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap, client_id="test-bench-api")
    try:
        topics = [t for t in admin.list_topics() if t.startswith(f"foodmatch-bench-{tag}")]
    finally:
        admin.close()
    assert topics == []


def test_an_unreachable_broker_is_a_message_not_a_traceback(
    kafka_bootstrap: str, postgres_admin: Engine
) -> None:
    nowhere = "127.0.0.1:9"  # the discard port: nothing listens there
    url = os.environ[POSTGRES_ENV].strip()

    result = CliRunner().invoke(
        app, ["bench", "api", "--engine", "kafka", "--db", url, "--bootstrap", nowhere]
    )

    assert result.exit_code == 2
    assert "no Kafka broker answers at 127.0.0.1:9" in result.output
    assert "Traceback" not in result.output
