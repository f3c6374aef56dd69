"""``foodmatch invite`` and ``foodmatch sessions``: people's sign-in, in the service's database.

``invite`` makes a one-time sign-in link for a kitchen or a farmer group and prints it (only
the hash of its token is stored), so a coordinator without the dashboard open can invite from
the command line; with ``--send`` it also queues the link to the participant's contact (e-mail,
LINE), which the service's notifier sends. ``sessions`` lists people's active sessions,
revokes one, shows the sign-in log, and purges the links and sessions that ended long ago.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

from matcher.clikit import DbOption, domain_errors, service_for

if TYPE_CHECKING:
    from datetime import datetime

    from matcher.bootstrap import Service
    from matcher.config import Settings
    from matcher.service.ports import NotificationUnitOfWork
    from matcher.sessions import SessionRules
    from matcher.signin import SignInUowFactory

__all__ = ["invite", "list_", "log", "purge", "revoke", "sessions_app"]

ACTOR = "coordinator:cli"
"""Who the log records as inviting or revoking from the command line."""

sessions_app = typer.Typer(
    help="People's sign-in sessions: list the active ones, revoke one, the sign-in log, purge "
    "the ended ones.",
    no_args_is_help=True,
)


def _sign_ins(service: Service) -> SignInUowFactory:
    """The service's units of work, which hold sign-in links and sessions (the SQL ones do)."""
    return cast("SignInUowFactory", service.uow_factory)


def _rules(settings: Settings) -> SessionRules:
    from matcher.sessions import SessionRules

    return SessionRules.of(
        settings.sign_in_link_minutes, settings.session_idle_hours, settings.session_max_days
    )


def base_url(settings: Settings) -> str:
    """The service's address as participants reach it: ``public_url``, else where it listens."""
    return (settings.public_url or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")


def invite(
    participant: Annotated[
        str, typer.Option("--participant", help="The kitchen's buyer id or the group's id.")
    ],
    role: Annotated[
        str | None,
        typer.Option(
            "--role", help="kitchen or group: only when a buyer and a group share the id."
        ),
    ] = None,
    send: Annotated[
        bool,
        typer.Option("--send", help="Also send it to the participant's contact (e-mail, LINE)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Make a one-time sign-in link for a kitchen or a farmer group and print it."""
    from matcher.auth import Role
    from matcher.signin import invite as make_link

    chosen: Role | None = None
    if role is not None:
        if role not in (Role.KITCHEN.value, Role.GROUP.value):
            raise typer.BadParameter(f"{role!r}: choose kitchen or group", param_hint="--role")
        chosen = Role(role)
    with service_for(db) as s, domain_errors():
        now = s.context.clock.now()
        link, token = make_link(_sign_ins(s), participant, ACTOR, now, _rules(s.settings), chosen)
        url = f"{base_url(s.settings)}/signin/{token}"
        if send:
            _send(s, link.participant_id, url, link.expires_at)
    typer.echo(
        f"sign-in link for {link.participant_id} ({link.role.value}); it works once, until "
        f"{link.expires_at.isoformat(timespec='seconds')}",
        err=True,
    )
    typer.echo(url)


def _send(service: Service, participant_id: str, url: str, expires_at: datetime) -> None:
    """Queue the link for the participant's channels; say where it goes, or that it cannot."""
    from matcher.adapters.notify.notifier import notify_sign_in_link

    with service.uow_factory() as uow:
        queued = notify_sign_in_link(
            cast("NotificationUnitOfWork", uow),
            participant_id,
            url,
            expires_at,
            now=service.context.clock.now(),
        )
        uow.commit()
    if not queued:
        typer.echo(
            f"not sent: {participant_id} has no contact with an address on a channel it wants; "
            "give the link yourself",
            err=True,
        )
        return
    typer.echo(f"queued {len(queued)} notification(s): {', '.join(queued)}", err=True)
    if not service.settings.notifications_enabled:
        typer.echo(
            "notifications are off (FOODMATCH_NOTIFICATIONS_ENABLED=false): they go out once "
            "they are on",
            err=True,
        )


@sessions_app.command("list")
def list_(
    participant: Annotated[
        str | None, typer.Option("--participant", help="Only this participant's.")
    ] = None,
    db: DbOption = None,
) -> None:
    """People's active sessions, newest first (never their secrets)."""
    from matcher.signin import list_sessions

    with service_for(db) as s, domain_errors():
        rules = _rules(s.settings)
        found = list_sessions(_sign_ins(s), s.context.clock.now(), rules, participant)
    typer.echo("id\trole\tparticipant\tsigned in\tlast used\tends")
    for web in found:
        typer.echo(
            f"{web.id}\t{web.role.value}\t{web.participant_id}\t{web.created_at.isoformat()}\t"
            f"{web.last_seen_at.isoformat()}\t{web.ends_at(rules).isoformat()}"
        )


@sessions_app.command()
def revoke(session_id: str, db: DbOption = None) -> None:
    """Revoke a session: its cookie answers 401 from now on."""
    from matcher.signin import revoke_session

    with service_for(db) as s, domain_errors():
        revoke_session(_sign_ins(s), session_id, ACTOR, s.context.clock.now())
    typer.echo(f"revoked session {session_id}", err=True)


@sessions_app.command()
def log(
    participant: Annotated[
        str | None, typer.Option("--participant", help="Only this participant's.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most entries shown.")] = 50,
    db: DbOption = None,
) -> None:
    """The sign-in log, newest first: invitations, sign-ins, refused links, sign-outs and
    revocations."""
    from matcher.signin import sign_in_log

    with service_for(db) as s, domain_errors():
        found, _ = sign_in_log(_sign_ins(s), participant_id=participant, limit=limit)
    typer.echo("at\tevent\trole\tparticipant\tsession\tactor\tdetail")
    for e in found:
        typer.echo(
            f"{e.at.isoformat()}\t{e.event.value}\t{e.role.value if e.role else ''}\t"
            f"{e.participant_id or ''}\t{e.session_id or ''}\t{e.actor}\t{e.detail}"
        )


@sessions_app.command()
def purge(
    days: Annotated[
        float | None,
        typer.Option(
            "--days",
            min=0,
            help="Keep what ended within this many days "
            "(default: FOODMATCH_SESSION_RETENTION_DAYS).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Delete the sign-in links that expired and the sessions that ended more than the
    retention ago; the sign-in log is kept. The service's notifier does the same on its own."""
    from datetime import timedelta

    from matcher.signin import purge_ended

    with service_for(db) as s, domain_errors():
        retention = timedelta(days=s.settings.session_retention_days if days is None else days)
        links, sessions = purge_ended(
            _sign_ins(s), s.context.clock.now(), _rules(s.settings), retention
        )
    typer.echo(f"deleted {links} sign-in links and {sessions} sessions", err=True)
