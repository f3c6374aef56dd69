"""The Kafka worker's Prometheus endpoint: ``GET /metrics`` on a port of its own.

A worker has no HTTP API, so it serves its registry (messages consumed, dead letters, commands,
events, rounds on the leader, and the consumer lag of :mod:`consumers.lag`) with
``prometheus_client``'s small threaded HTTP server.

Two meanings of port 0, kept apart:

- the setting ``FOODMATCH_METRICS_PORT=0`` (``--metrics-port 0``) means *no endpoint*:
  :func:`serve_worker_metrics` returns None;
- :func:`start_metrics_server` with ``port=0`` binds *any free port* (tests) and reports it.

The endpoint binds :data:`DEFAULT_HOST` (all interfaces, as a container needs) unless told
otherwise. A port already taken does not stop the worker: it logs an error and runs without the
endpoint (its work matters more than its figures).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from consumers.lag import LagCollector, lag_collector
from matcher.adapters.kafka.publisher import registry_of
from matcher.adapters.kafka.security import kafka_python_security
from matcher.adapters.metrics import Metrics
from matcher.config import Settings

log = logging.getLogger(__name__)

DEFAULT_HOST = "0.0.0.0"
"""Where the worker's endpoint listens: every interface (containers, a Prometheus elsewhere)."""


@dataclass
class MetricsServer:
    """A running endpoint; :meth:`close` stops it."""

    server: Any
    thread: threading.Thread
    host: str
    port: int
    """The bound port (the free one picked when asked for port 0)."""

    @property
    def url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5.0)


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"  # reachable from this machine; the endpoint listens everywhere
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def start_metrics_server(
    registry: CollectorRegistry, host: str = DEFAULT_HOST, port: int = 0
) -> MetricsServer:
    """Serve ``registry`` at ``http://host:port/metrics`` on a daemon thread.

    ``port=0`` binds a free port (read it from the result). Raises ``OSError`` when the port
    cannot be bound.
    """
    server, thread = start_http_server(port, host, registry=registry)
    bound = int(server.server_address[1])
    return MetricsServer(server, thread, host, bound)


@dataclass
class WorkerMetrics:
    """The worker's endpoint and its lag collector; :meth:`close` stops both."""

    server: MetricsServer
    lag: LagCollector

    def close(self) -> None:
        self.server.close()
        self.lag.close()


def serve_worker_metrics(
    settings: Settings,
    metrics: Metrics,
    group_id: str,
    *,
    host: str = DEFAULT_HOST,
    lag: LagCollector | None = None,
) -> WorkerMetrics | None:
    """Start the endpoint of a worker of consumer group ``group_id`` on
    ``settings.metrics_port``, with the consumer lag added to ``metrics``.

    None when the setting is 0 (no endpoint) or the port cannot be bound (logged). ``lag``
    replaces the collector that asks the broker (tests).
    """
    if settings.metrics_port == 0:
        log.info("metrics endpoint off (FOODMATCH_METRICS_PORT=0)")
        return None
    try:
        server = start_metrics_server(metrics.registry, host, settings.metrics_port)
    except OSError as err:
        log.error(
            "metrics endpoint not started: cannot listen on %s:%d (%s); the worker runs "
            "without it (set FOODMATCH_METRICS_PORT or --metrics-port to a free port)",
            host,
            settings.metrics_port,
            err.strerror or err,
        )
        return None
    collector = lag or lag_collector(
        settings.kafka.bootstrap_servers,
        group_id,
        registry_of(settings.kafka),
        cache_seconds=settings.metrics_cache_seconds,
        security=kafka_python_security(settings.kafka),
    )
    metrics.add_collector(collector)
    log.info(
        "metrics at %s (listening on %s:%d; consumer lag of group %s)",
        server.url,
        host,
        server.port,
        group_id,
    )
    return WorkerMetrics(server, collector)
