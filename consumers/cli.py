"""The consumers' commands of ``foodmatch``: ``worker`` (one worker of the Kafka engine) and
``relay`` (the outbox relay as a process of its own). Registered as ``foodmatch.commands`` entry
points; heavy imports happen inside the commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from matcher.clikit import DbOption, settings_for

if TYPE_CHECKING:
    from matcher.config import Settings

__all__ = ["relay", "worker"]


def _settings(db: str | None, bootstrap_servers: str | None, **overrides: object) -> Settings:
    """The settings from the environment, with the command's options on top."""
    settings = settings_for(db, **overrides)
    if bootstrap_servers:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": bootstrap_servers})
        settings = settings.model_copy(update={"kafka": kafka})
    return settings


def worker(
    worker_id: Annotated[
        str | None,
        typer.Option("--worker-id", help="Name in logs and client ids (default host-pid)."),
    ] = None,
    db: DbOption = None,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(help="Kafka brokers (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."),
    ] = None,
    loglevel: Annotated[str | None, typer.Option(help="Log level (FOODMATCH_LOG_LEVEL).")] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Port of the worker's Prometheus /metrics (FOODMATCH_METRICS_PORT, default "
            "9101; 0: none).",
        ),
    ] = None,
) -> None:
    """Run a worker of the Kafka engine: agents, matching rounds and the outbox relay.

    It serves Prometheus /metrics (messages, dead letters, consumer lag) on --metrics-port.
    """
    from consumers.worker import run_worker

    extra: dict[str, object] = {} if metrics_port is None else {"metrics_port": metrics_port}
    settings = _settings(db, bootstrap_servers, **extra)
    run_worker(settings, worker_id=worker_id, loglevel=loglevel or settings.log_level)


def relay(
    db: DbOption = None,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(help="Kafka brokers (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."),
    ] = None,
    loglevel: Annotated[str | None, typer.Option(help="Log level (FOODMATCH_LOG_LEVEL).")] = None,
) -> None:
    """Relay the outbox to the outbound topics and deliver webhooks, as a process of its own
    (then start the workers with FOODMATCH_WORKER_RELAY=false)."""
    import logging

    from consumers.relay_process import run_relay

    settings = _settings(db, bootstrap_servers)
    logging.basicConfig(
        level=(loglevel or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)
    run_relay(settings)
