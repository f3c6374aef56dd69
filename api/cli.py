"""The API's commands: ``serve`` (the service) and ``demo`` (the service with the Songkhla market
streamed in). Registered as ``foodmatch.commands`` entry points; heavy imports happen inside."""

from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path
from typing import Annotated

import typer

from matcher.clikit import DbOption, fail, settings_for

__all__ = ["demo", "port_problem", "require_port", "serve"]


def port_problem(host: str, port: int) -> str | None:
    """Why ``port`` on ``host`` cannot be listened on (in use, not allowed), or None.

    Binds as uvicorn will (``SO_REUSEADDR``, every address ``host`` resolves to) and lets go at
    once, so a busy port is told before anything starts."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        return f"{host} is not a known address ({err.strerror})"
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError as err:
                if err.errno == errno.EADDRINUSE:
                    return f"port {port} on {host} is already in use"
                return f"port {port} on {host} cannot be used ({err.strerror or err})"
    return None


def require_port(host: str, port: int, *, how: str) -> None:
    """One line on stderr and exit code 2 unless ``port`` is free (``how``: how to pick one)."""
    problem = port_problem(host, port)
    if problem is not None:
        raise fail(f"{problem}: {how}")


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FOODMATCH_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (FOODMATCH_API_PORT).")] = None,
    db: DbOption = None,
) -> None:
    """Run the service: API, dashboard and matching rounds (engine from FOODMATCH_ENGINE:
    inprocess or kafka)."""
    import uvicorn

    from api.app import create_app

    settings = settings_for(db, api_host=host, api_port=port)
    require_port(
        settings.api_host,
        settings.api_port,
        how="pick another with --port 8080 (or FOODMATCH_API_PORT=8080)",
    )
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


def demo(
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks in the season.")] = 12,
    seed: Annotated[int, typer.Option(help="Scenario seed.")] = 1,
    db: Annotated[Path, typer.Option(help="SQLite file of the demo.")] = Path(".foodmatch/demo.db"),
    fresh: Annotated[bool, typer.Option(help="Start from an empty database.")] = False,
    host: Annotated[str, typer.Option(help="Listen address.")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            envvar="FOODMATCH_API_PORT",
            min=1,
            max=65535,
            help="Port (FOODMATCH_API_PORT; `make demo PORT=8080`).",
        ),
    ] = 8000,
    rate: Annotated[float, typer.Option(help="Messages per second streamed in.")] = 25.0,
    live: Annotated[
        bool, typer.Option(help="Live summary on a terminal (off: plain log lines).")
    ] = True,
    exit_when_done: Annotated[bool, typer.Option(help="Stop after streaming.")] = False,
    group_answers: Annotated[
        bool,
        typer.Option(help="The groups answer proposals (off: proposals wait for real answers)."),
    ] = True,
    accept_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of proposals the groups accept.")
    ] = 0.85,
    answer_within: Annotated[
        float,
        typer.Option(min=0.0, help="Seconds: each answer comes within this long of the proposal."),
    ] = 120.0,
) -> None:
    """Serve the API and dashboard on the embedded engine and stream the Songkhla scenario in;
    the groups answer proposals (most accepted, some rejected and re-matched), seeded by --seed."""
    import asyncio

    from api.demo import DemoOptions, demo_key_file, run_demo
    from api.demo_groups import GroupAnswers

    require_port(
        host,
        port,
        how="pick another with `make demo PORT=8080`, `foodmatch demo --port 8080` or "
        "FOODMATCH_API_PORT=8080",
    )
    if fresh and db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        demo_key_file(db).unlink(missing_ok=True)
    db.parent.mkdir(parents=True, exist_ok=True)
    options = DemoOptions(
        weeks=weeks,
        seed=seed,
        database_url=f"sqlite:///{db}",
        key_file=demo_key_file(db),
        host=host,
        port=port,
        rate=rate,
        live=live,
        exit_when_done=exit_when_done,
        groups=GroupAnswers(
            enabled=group_answers,
            accept_share=accept_share,
            answer_within=answer_within,
            seed=seed,
        ),
    )
    raise typer.Exit(asyncio.run(run_demo(options)))
