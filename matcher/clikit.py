"""What every ``foodmatch`` command shares: its options, the settings and the service it runs
on, and how an error ends it (one line ``error: ...`` on stderr and an exit code).

The root command (:mod:`matcher.cli`) and the commands that the packages register through the
``foodmatch.commands`` entry points import this module; it imports none of them. Heavy imports
happen inside the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from matcher.bootstrap import Service
    from matcher.config import Settings
    from matcher.service.ports import UnitOfWork

__all__ = [
    "DbOption",
    "OutputOption",
    "domain_errors",
    "emit_text",
    "fail",
    "read_service_db",
    "service_for",
    "settings_for",
]

T = TypeVar("T")

DbOption = Annotated[str | None, typer.Option(help="Database URL (FOODMATCH_DATABASE_URL).")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Say ``error: message`` on stderr; the caller raises the returned exit (code 2: the input,
    a file, the broker or the database could not be used; 1: the work was refused)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def domain_errors(code: int = 1, where: str = "") -> Iterator[None]:
    """A domain error raised inside ends the command: ``error: [where: ]message``, exit ``code``."""
    from matcher.domain.errors import DomainError

    try:
        yield
    except DomainError as err:
        raise fail(f"{where}: {err}" if where else str(err), code) from None


def emit_text(text: str, output: Path | None) -> None:
    """Write ``text`` as it is to stdout, or to ``output`` (saying so on stderr)."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8", newline="")
    typer.echo(f"wrote {output}", err=True)


def settings_for(db: str | None = None, **overrides: object) -> Settings:
    """The settings from the environment, with the command's options on top (``None``: not
    given) and ``db`` as the database URL when given."""
    from matcher.config import load_settings

    given: dict[str, object] = {k: v for k, v in overrides.items() if v is not None}
    if db:
        given["database_url"] = db
    return load_settings(**given)


@contextmanager
def service_for(db: str | None) -> Iterator[Service]:
    """The service's database (``db`` or FOODMATCH_DATABASE_URL) behind a bootstrapped service
    on the embedded engine that runs no rounds of its own; closed at the end."""
    from matcher.bootstrap import bootstrap

    service = bootstrap(settings_for(db, engine="inprocess", round_interval_seconds=0))
    try:
        yield service
    finally:
        service.close()


def read_service_db(db: str | None, view: Callable[[UnitOfWork, Service], T]) -> T:
    """Run ``view(uow, service)`` on a read-only unit of work of the service's database; a domain
    error (an unknown id) ends the command with exit code 1."""
    with service_for(db) as service, domain_errors(), service.read_uow_factory() as uow:
        return view(uow, service)
