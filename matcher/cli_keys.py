"""``foodmatch keys``: API keys for kitchens, groups and coordinators, in the service's database.

The token is printed once, when the key is created; only the hash of its secret is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer

from matcher.cli import app
from matcher.cli_contracts import DbOption

__all__ = ["create", "keys_app", "list_", "revoke"]

T = TypeVar("T")

keys_app = typer.Typer(
    help="API keys: create (the token is shown once), list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@contextmanager
def _service(db: str | None) -> Iterator[Any]:
    from matcher.bootstrap import bootstrap
    from matcher.config import load_settings

    overrides: dict[str, object] = {"engine": "inprocess", "round_interval_seconds": 0}
    if db:
        overrides["database_url"] = db
    service = bootstrap(load_settings(**overrides))
    try:
        yield service
    finally:
        service.close()


def _run(db: str | None, action: Callable[[Any], T]) -> T:
    from matcher.domain.errors import DomainError

    with _service(db) as service:
        try:
            return action(service)
        except DomainError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None


@keys_app.command()
def create(
    role: Annotated[str, typer.Option("--role", help="kitchen, group or coordinator.")],
    participant: Annotated[
        str | None,
        typer.Option("--participant", help="The kitchen's buyer id or the group's id."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="A label, e.g. who holds the key.")] = "",
    db: DbOption = None,
) -> None:
    """Create a key and print its token (once: store it now)."""
    from matcher.auth import Role
    from matcher.keys import create_key

    try:
        chosen = Role(role)
    except ValueError:
        raise typer.BadParameter(
            f"{role!r}: choose kitchen, group or coordinator", param_hint="--role"
        ) from None
    key, token = _run(
        db,
        lambda s: create_key(s.uow_factory, chosen, participant, name, s.context.clock.now()),
    )
    holder = f" for {key.participant_id}" if key.participant_id else ""
    typer.echo(f"created key {key.id} ({key.role.value}{holder})", err=True)
    typer.echo(token)


@keys_app.command("list")
def list_(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked keys.")] = False,
    db: DbOption = None,
) -> None:
    """List keys (never their secrets)."""
    from matcher.keys import list_keys

    found = _run(db, lambda s: list_keys(s.uow_factory, include_revoked=revoked))
    typer.echo("id\trole\tparticipant\tname\tcreated\trevoked")
    for k in found:
        revoked_at = k.revoked_at.isoformat() if k.revoked_at else ""
        typer.echo(
            f"{k.id}\t{k.role.value}\t{k.participant_id or ''}\t{k.name}\t"
            f"{k.created_at.isoformat()}\t{revoked_at}"
        )


@keys_app.command()
def revoke(key_id: str, db: DbOption = None) -> None:
    """Revoke a key: requests with it answer 401 from now on."""
    from matcher.keys import revoke_key

    _run(db, lambda s: revoke_key(s.uow_factory, key_id, s.context.clock.now()))
    typer.echo(f"revoked key {key_id}", err=True)
