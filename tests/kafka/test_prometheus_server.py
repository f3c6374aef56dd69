"""A real Prometheus server (Debian's ``prometheus``) scraping the API and a Kafka worker.

The API (``foodmatch serve`` on the Kafka engine) and a worker (``python -m consumers.worker``
with ``FOODMATCH_METRICS_PORT``) run as processes of their own on a market of the test's own;
Prometheus runs from a temporary directory on a free port, scrapes both every second and loads
deploy/prometheus/alerts.yml. Through Prometheus's HTTP API the test checks that both targets
are up, that every metric of the catalogue has samples, and that every alert rule evaluates
without error (health ``ok``).

Without the ``prometheus`` binary the test is skipped, except in CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import yaml

from matcher.adapters.catalogue import CATALOGUE, exported_names
from matcher.adapters.topics import Topic
from matcher.adapters.wire import encode_body
from tests.support.kafka_harness import (
    REPO,
    Database,
    MarketSpace,
    TunedSpace,
    WorkerProcess,
    message,
    publisher,
    scenario,
    wait_until,
)
from tests.support.market import delivery_dates, order_body
from tests.support.ports import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

StartWorker = Callable[[MarketSpace, str], WorkerProcess]
RULES = REPO / "deploy" / "prometheus" / "alerts.yml"


def prometheus_binary() -> str:
    path = shutil.which("prometheus")
    if path is None:
        reason = "prometheus is not on this machine (Debian: apt-get install prometheus)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run this test", pytrace=False)
        pytest.skip(reason)
    return path


class Process:
    """A command in a process of its own, its output in a log file; stopped with SIGTERM."""

    def __init__(self, name: str, command: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20.0) -> None:
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()


@contextmanager
def running(name: str, command: list[str], log_dir: Path, env: dict[str, str]) -> Iterator[Process]:
    process = Process(name, command, log_dir, env)
    try:
        yield process
    except BaseException:
        print(f"\n----- log of {name} (last lines) -----\n{process.log()[-4000:]}")
        raise
    finally:
        process.stop()


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def prometheus_config(api: str, worker: str) -> dict[str, Any]:
    """The deployment's scrape jobs, on this machine's addresses, every second."""
    return {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": "foodmatch-api", "static_configs": [{"targets": [api]}]},
            {"job_name": "foodmatch-worker", "static_configs": [{"targets": [worker]}]},
        ],
    }


class PrometheusApi:
    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.base}/api/v1/{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def sample_names(self) -> set[str]:
        data = self.get("query", query='count by (__name__) ({__name__=~"foodmatch_.+"})')
        return {series["metric"]["__name__"] for series in data["result"]}

    def targets(self) -> dict[str, str]:
        """Health of each active target, by job."""
        return {t["labels"]["job"]: t["health"] for t in self.get("targets")["activeTargets"]}

    def rules(self) -> dict[str, dict[str, Any]]:
        return {
            rule["name"]: rule
            for group in self.get("rules")["groups"]
            for rule in group["rules"]
            if rule["type"] == "alerting"
        }


def test_prometheus_scrapes_every_catalogue_metric_and_evaluates_every_alert_rule(
    space: MarketSpace, database: Database, workers: StartWorker, tmp_path: Path
) -> None:
    binary = prometheus_binary()
    api_port, worker_port, prom_port = free_port(), free_port(), free_port()
    while len({api_port, worker_port, prom_port}) < 3:
        worker_port, prom_port = free_port(), free_port()
    settings = (("FOODMATCH_METRICS_CACHE_SECONDS", "0"),)
    metered = TunedSpace(
        space.bootstrap,
        space.prefix,
        space.database_url,
        space.partitions,
        (*settings, ("FOODMATCH_METRICS_PORT", str(worker_port))),
    )
    worker = workers(metered, "scraped")

    api_env = TunedSpace(
        space.bootstrap, space.prefix, space.database_url, space.partitions, settings
    ).worker_env(TMPDIR=str(tmp_path))
    api_command = [sys.executable, "-m", "matcher", "serve", "--host", "127.0.0.1"]
    api_command += ["--port", str(api_port)]

    config = tmp_path / "prometheus.yml"
    api_target, worker_target = f"127.0.0.1:{api_port}", f"127.0.0.1:{worker_port}"
    config.write_text(yaml.safe_dump(prometheus_config(api_target, worker_target)))
    prom_command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
    ]
    prom = PrometheusApi(f"http://127.0.0.1:{prom_port}")

    # A market: participants, a book that clears, an order no supply can fill at its price
    # (unmet demand), and a message that is not an envelope (a dead letter).
    market = scenario(orders=3, tag=space.prefix)
    too_cheap = order_body(
        "o-too-cheap", "b0", crop_id="kale", deliveries=delivery_dates(3), max_price="1.00"
    )
    unfillable = message("order.submit", too_cheap, space.prefix)

    with (
        running("api", api_command, tmp_path, api_env) as api,
        running("prometheus", prom_command, tmp_path, dict(os.environ)) as server,
    ):
        worker.wait_assigned()
        wait_until(
            lambda: api.running and answers(f"http://{api_target}/health"), 60, "the API to answer"
        )
        wait_until(
            lambda: server.running and answers(f"{prom.base}/-/ready"), 60, "Prometheus to start"
        )
        with publisher(space) as pub:
            pub.send_many(market.participants)
            database.wait_for_participants(market)
            pub.send_many([*market.book, unfillable])
            pub.send_raw(space.topics.name(Topic.ORDERS), b"\x00 not an envelope", key=b"kale")
        contracts = database.wait_for_filled(market)
        # The groups accept: the contracts move on from proposed.
        with publisher(space) as pub:
            pub.send_many(
                encode_body(
                    "contract.accept",
                    {"contract_id": c.id, "crop_id": c.crop_id},
                    f"{space.prefix}-accept-{c.id}",
                    f"group:{c.group_id}",
                )
                for c in contracts
            )

        wait_until(
            lambda: prom.targets() == {"foodmatch-api": "up", "foodmatch-worker": "up"},
            60,
            "both targets to be scraped",
        )

        expected = {name for spec in CATALOGUE for name in exported_names(spec)}

        def missing_metrics() -> set[str]:
            return expected - prom.sample_names()

        def every_metric_scraped() -> bool:
            return not missing_metrics()

        try:
            wait_until(every_metric_scraped, 90, "every catalogue metric to have samples", 1.0)
        except AssertionError:
            raise AssertionError(f"no samples of {sorted(missing_metrics())}") from None

        rule_names = {
            rule["alert"]
            for group in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
            for rule in group["rules"]
        }

        def rules_evaluated() -> dict[str, dict[str, Any]] | None:
            rules = prom.rules()
            done = set(rules) == rule_names and all(
                r["health"] != "unknown" for r in rules.values()
            )
            return rules if done else None

        rules: dict[str, dict[str, Any]] = wait_until(
            rules_evaluated, 30, "every alert rule to be evaluated", 1.0
        )
        unhealthy = {
            name: (rule["health"], rule.get("lastError"))
            for name, rule in rules.items()
            if rule["health"] != "ok"
        }
        assert unhealthy == {}
        assert worker.running
