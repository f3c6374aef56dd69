"""The ``foodmatch worker`` command: one worker of the Kafka engine (registered on import)."""

from __future__ import annotations

from typing import Annotated

import typer

from matcher.cli import app

__all__ = ["app", "worker"]


@app.command()
def worker(
    worker_id: Annotated[
        str | None,
        typer.Option("--worker-id", help="Name in logs and client ids (default host-pid)."),
    ] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (FOODMATCH_DATABASE_URL).")] = None,
    bootstrap_servers: Annotated[
        str | None,
        typer.Option(help="Kafka brokers (FOODMATCH_KAFKA__BOOTSTRAP_SERVERS)."),
    ] = None,
    loglevel: Annotated[str | None, typer.Option(help="Log level (FOODMATCH_LOG_LEVEL).")] = None,
) -> None:
    """Run a worker of the Kafka engine: agents, matching rounds and the outbox relay."""
    from consumers.worker import run_worker
    from matcher.config import load_settings

    settings = load_settings(**({"database_url": db} if db else {}))
    if bootstrap_servers:
        kafka = settings.kafka.model_copy(update={"bootstrap_servers": bootstrap_servers})
        settings = settings.model_copy(update={"kafka": kafka})
    run_worker(settings, worker_id=worker_id, loglevel=loglevel or settings.log_level)
