"""``foodmatch contracts``: a contract as a printable document, a participant's contracts as CSV.

Both read the service's database (``--db`` or ``FOODMATCH_DATABASE_URL``) and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from matcher.cli import app

__all__ = ["contracts_app", "document", "export"]

T = TypeVar("T")

contracts_app = typer.Typer(
    help="Contract documents (HTML, Thai or English) and CSV exports per group or buyer.",
    no_args_is_help=True,
)
app.add_typer(contracts_app, name="contracts")

DbOption = Annotated[str | None, typer.Option(help="Database URL (FOODMATCH_DATABASE_URL).")]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
]


def _read(db: str | None, view: Callable[..., T]) -> T:
    """Run ``view(uow, service)`` on a read-only unit of work of the service's database."""
    from matcher.bootstrap import bootstrap
    from matcher.config import load_settings
    from matcher.domain.errors import DomainError

    overrides: dict[str, object] = {"engine": "inprocess", "round_interval_seconds": 0}
    if db:
        overrides["database_url"] = db
    service = bootstrap(load_settings(**overrides))
    try:
        with service.read_uow_factory() as uow:
            return view(uow, service)
    except DomainError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from None
    finally:
        service.close()


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8", newline="")
    typer.echo(f"wrote {output}", err=True)


@contracts_app.command()
def document(
    contract_id: Annotated[str, typer.Argument(help="The contract's id.")],
    lang: Annotated[str, typer.Option(help="th (Thai) or en (English).")] = "th",
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write a contract as a printable HTML document."""
    from api.routes.documents import contract_document
    from matcher.documents import check_lang

    try:
        language = check_lang(lang)
    except ValueError:
        raise typer.BadParameter("must be th or en", param_hint="--lang") from None
    page = _read(
        db,
        lambda uow, service: contract_document(
            uow,
            contract_id,
            crops=service.context.crops,
            lang=language,
            standards=service.context.standards,
        ),
    )
    _emit(page, output)


@contracts_app.command()
def export(
    group: Annotated[str | None, typer.Option("--group", help="A farmer group's id.")] = None,
    buyer: Annotated[str | None, typer.Option("--buyer", help="A buyer's id.")] = None,
    deliveries: Annotated[
        bool, typer.Option(help="One line per delivery instead of one per contract.")
    ] = False,
    output: OutputOption = None,
    db: DbOption = None,
) -> None:
    """Write a group's or a buyer's contracts (or their deliveries) as CSV."""
    from api.routes.documents import contracts_export

    if (group is None) == (buyer is None):
        raise typer.BadParameter("give exactly one of --group and --buyer")
    _, text = _read(
        db,
        lambda uow, service: contracts_export(
            uow,
            crops=service.context.crops,
            group_id=group,
            buyer_id=buyer,
            deliveries=deliveries,
        ),
    )
    _emit(text, output)
