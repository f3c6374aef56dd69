"""Commands of the running service: ``serve``, ``import`` and ``demo``."""

from __future__ import annotations

import errno
import logging
import socket
from pathlib import Path
from typing import Annotated

import typer

from matcher.cli import app

__all__ = ["app", "demo", "import_csv", "serve"]


def _settings(database_url: str | None = None, **extra: object) -> object:
    from matcher.config import load_settings

    overrides: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if database_url:
        overrides["database_url"] = database_url
    return load_settings(**overrides)


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
        typer.echo(f"error: {problem}: {how}", err=True)
        raise typer.Exit(2)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (FOODMATCH_API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (FOODMATCH_API_PORT).")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL (FOODMATCH_DATABASE_URL).")] = None,
) -> None:
    """Run the service: API, dashboard and matching rounds (engine from FOODMATCH_ENGINE)."""
    import uvicorn

    from api.app import create_app
    from matcher.config import Settings

    settings = _settings(db, api_host=host, api_port=port)
    assert isinstance(settings, Settings)
    require_port(
        settings.api_host,
        settings.api_port,
        how="pick another with --port 8080 (or FOODMATCH_API_PORT=8080)",
    )
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


@app.command("import")
def import_csv(
    kind: Annotated[str, typer.Argument(help="orders, supply, groups, buyers or certificates.")],
    file: Annotated[Path, typer.Argument(help="CSV file with a header line.")],
    db: Annotated[str | None, typer.Option(help="Database URL (FOODMATCH_DATABASE_URL).")] = None,
) -> None:
    """Import a CSV file: good lines are imported, bad lines are listed with their reasons."""
    from rich.console import Console
    from rich.progress import Progress

    from matcher.adapters.messages import message_id_for, to_command
    from matcher.bootstrap import bootstrap
    from matcher.config import Settings
    from matcher.domain.errors import DomainError
    from producers.csv_import import COLUMNS, count_lines, read_csv

    if kind not in COLUMNS:
        raise typer.BadParameter(f"must be one of {', '.join(COLUMNS)}", param_hint="KIND")
    if not file.is_file():
        typer.echo(f"error: no such file: {file}", err=True)
        raise typer.Exit(2)
    settings = _settings(db, round_interval_seconds=0)
    assert isinstance(settings, Settings)
    console = Console(stderr=True)
    service = bootstrap(settings)
    service.engine.start_sync()
    imported = repeated = 0
    errors: list[str] = []
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task(f"importing {kind}", total=count_lines(file))
            for line in read_csv(kind, file):
                progress.advance(task)
                if line.body is None:
                    errors.append(f"line {line.number}: {line.error}")
                    continue
                try:
                    command = to_command(kind, line.body, message_id_for(kind, line.body))
                    outcome = service.engine.execute_sync(command)
                except DomainError as err:
                    errors.append(f"line {line.number}: {err}")
                    continue
                repeated += outcome.duplicate
                imported += not outcome.duplicate
    except DomainError as err:
        typer.echo(f"error: {file}: {err}", err=True)
        raise typer.Exit(2) from None
    finally:
        service.engine.stop_sync()
        service.close()
    console.print(f"{kind}: {imported} imported, {repeated} already there, {len(errors)} rejected")
    for error in errors:
        console.print(f"  [red]{error}[/red]")
    if errors:
        raise typer.Exit(1)


@app.command()
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

    from matcher.demo import DemoOptions, demo_key_file, run_demo
    from matcher.demo_groups import GroupAnswers

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
