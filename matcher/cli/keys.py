"""``foodmatch keys``: API keys for kitchens, groups and coordinators, in the service's database.

The token is printed once, when the key is created; only the hash of its secret is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

from matcher.clikit import DbOption, domain_errors, service_for

if TYPE_CHECKING:
    from matcher.bootstrap import Service
    from matcher.keys import KeyUowFactory

__all__ = ["create", "keys_app", "list_", "revoke"]

keys_app = typer.Typer(
    help="API keys: create (the token is shown once), list, revoke.", no_args_is_help=True
)


def _keys(service: Service) -> KeyUowFactory:
    """The service's units of work, which hold the API keys (the SQL ones do)."""
    return cast("KeyUowFactory", service.uow_factory)


@keys_app.command()
def create(
    role: Annotated[str, typer.Option("--role", help="kitchen, group, coordinator or bank.")],
    participant: Annotated[
        str | None,
        typer.Option("--participant", help="The kitchen's buyer id or the group's id."),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", help="A label, e.g. who holds the key; a bank key: the bank.")
    ] = "",
    db: DbOption = None,
) -> None:
    """Create a key and print its token (once: store it now)."""
    from matcher.auth import Role
    from matcher.keys import create_key

    try:
        chosen = Role(role)
    except ValueError:
        raise typer.BadParameter(
            f"{role!r}: choose kitchen, group, coordinator or bank", param_hint="--role"
        ) from None
    with service_for(db) as s, domain_errors():
        key, token = create_key(_keys(s), chosen, participant, name, s.context.clock.now())
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

    with service_for(db) as s, domain_errors():
        found = list_keys(_keys(s), include_revoked=revoked)
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

    with service_for(db) as s, domain_errors():
        revoke_key(_keys(s), key_id, s.context.clock.now())
    typer.echo(f"revoked key {key_id}", err=True)
