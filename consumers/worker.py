"""Run one worker of the Kafka engine until SIGTERM or SIGINT: ``python -m consumers.worker``.

The worker migrates the database, creates the configured topics that are missing, and runs the
faust app (agents, leader rounds, outbox relay). Start as many as there are partitions to share.
Each serves Prometheus ``/metrics`` on ``FOODMATCH_METRICS_PORT`` (``--metrics-port``; 0: none):
give workers on one host different ports.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Sequence

from consumers.logs import configure_logging
from matcher.config import Settings, load_settings

log = logging.getLogger(__name__)

TOPICS_WAIT_SECONDS = 60.0


def create_topics_when_ready(settings: Settings, wait_seconds: float = TOPICS_WAIT_SECONDS) -> None:
    """Create the missing topics, waiting for the broker to answer for up to ``wait_seconds``."""
    from matcher.adapters.kafka.publisher import create_topics

    deadline = time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            created = create_topics(settings.kafka)
        except Exception as err:
            if time.monotonic() + delay > deadline:
                raise
            servers = settings.kafka.bootstrap_servers
            log.warning("Kafka at %s not ready (%s); retrying", servers, err)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        if created:
            log.info("created topics: %s", ", ".join(created))
        return


def run_worker(
    settings: Settings,
    *,
    worker_id: str | None = None,
    loglevel: str = "info",
    metrics_host: str | None = None,
) -> None:
    """Bootstrap the service, create the topics and run the faust worker until it is stopped.

    Unless ``settings.metrics_port`` is 0, the worker serves ``/metrics`` on that port (on
    ``metrics_host``, else ``settings.metrics_host``: every interface unless configured)
    from the start, the consumer lag of its group included.
    """
    from consumers.app import app_id, create_worker_app, default_worker_id
    from consumers.metrics_server import DEFAULT_HOST, WorkerMetrics, serve_worker_metrics
    from matcher.bootstrap import bootstrap

    worker = worker_id or default_worker_id()
    configure_logging(loglevel.upper())
    # The service's own engine is never started here: the worker is the engine. Bootstrapping
    # with the in-process engine class keeps the worker independent of the engine registry.
    service = bootstrap(settings.model_copy(update={"engine": "inprocess"}))
    served: WorkerMetrics | None = None
    try:
        served = serve_worker_metrics(
            settings,
            service.metrics,
            app_id(settings),
            host=metrics_host or settings.metrics_host or DEFAULT_HOST,
        )
        create_topics_when_ready(settings)
        app = create_worker_app(settings, service, worker_id=worker, relay=settings.worker_relay)
        log.info(
            "worker %s starting: group %s, broker %s, topic prefix %s",
            worker,
            app.conf.id,
            settings.kafka.bootstrap_servers,
            settings.kafka.topic_prefix,
        )
        faust_worker = app.Worker(loglevel=loglevel, redirect_stdouts=False)
        try:
            faust_worker.execute_from_commandline()
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise
    finally:
        if served is not None:
            served.close()
        service.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m consumers.worker",
        description="Run a worker of the Kafka engine (settings from FOODMATCH_* variables).",
    )
    parser.add_argument(
        "--worker-id",
        default=os.environ.get("FOODMATCH_WORKER_ID") or None,
        help="Name in logs and client ids (FOODMATCH_WORKER_ID; default host-pid).",
    )
    parser.add_argument("--loglevel", default=None, help="Log level (FOODMATCH_LOG_LEVEL).")
    parser.add_argument(
        "--metrics-port",
        type=_port,
        default=None,
        help=f"Port of the Prometheus /metrics endpoint (FOODMATCH_METRICS_PORT; default "
        f"{Settings.model_fields['metrics_port'].default}; 0: none).",
    )
    args = parser.parse_args(argv)
    overrides = {} if args.metrics_port is None else {"metrics_port": args.metrics_port}
    settings = load_settings(**overrides)
    run_worker(settings, worker_id=args.worker_id, loglevel=args.loglevel or settings.log_level)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


if __name__ == "__main__":
    main()
