"""Sign-in links and sessions in the service's database: invite, open a link, authenticate a
session's cookie, sign out, list and revoke sessions, and the audit log of all of it (see
:mod:`matcher.sessions` for the rules)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from matcher.auth import Principal, Role
from matcher.domain.errors import InvalidValue, NotFound, UnknownReference
from matcher.service.ports import UnitOfWork
from matcher.sessions import (
    LinkState,
    Purge,
    SessionRules,
    SignInEntry,
    SignInEvent,
    SignInLink,
    WebSession,
    link_hash,
    new_link,
    new_session,
    principal_of_session,
    split_cookie,
    verify_session,
)

__all__ = [
    "Opened",
    "SignInStore",
    "SignInUnitOfWork",
    "SignInUowFactory",
    "authenticate_cookie",
    "invite",
    "list_sessions",
    "look_at_link",
    "open_link",
    "participant_names",
    "purge_ended",
    "revoke_session",
    "sign_in_log",
    "sign_out",
]


class SignInStore(Protocol):
    """Sign-in links, sessions (hashed secrets only) and the sign-in audit log."""

    def add_link(self, link: SignInLink) -> None: ...
    def link(self, token_hash: str) -> SignInLink | None: ...
    def use_link(self, token_hash: str, at: datetime) -> bool:
        """Mark an unused link used; False when it was used already."""
        ...

    def add_session(self, web: WebSession) -> None: ...
    def get_session(self, session_id: str) -> WebSession | None: ...
    def sessions(
        self, *, participant_id: str | None = None, open_since: datetime | None = None
    ) -> Sequence[WebSession]: ...
    def touch(self, session_id: str, at: datetime) -> None: ...
    def end_session(self, session_id: str, at: datetime, by: str, why: SignInEvent) -> bool:
        """Revoke an open session; False when there is none."""
        ...

    def log(self, entry: SignInEntry) -> None: ...
    def entries(
        self, *, participant_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[Sequence[SignInEntry], int]: ...
    def purge(self, purge: Purge) -> tuple[int, int]:
        """Delete the links and sessions ``purge`` says are gone; how many of each."""
        ...


class SignInUnitOfWork(UnitOfWork, Protocol):
    """A unit of work that also holds sign-in links and sessions (the SQL one does)."""

    @property
    def sign_ins(self) -> SignInStore: ...


SignInUowFactory = Callable[[], SignInUnitOfWork]


def _role_of(uow: UnitOfWork, participant_id: str, role: Role | None) -> Role:
    """The role of a registered participant: a buyer is a kitchen, a farmer group a group."""
    is_buyer = role in (None, Role.KITCHEN) and uow.buyers.get(participant_id) is not None
    is_group = role in (None, Role.GROUP) and uow.groups.get(participant_id) is not None
    if is_buyer and is_group:
        raise InvalidValue(
            "role", f"{participant_id!r} is both a buyer and a group: say which (kitchen or group)"
        )
    if is_buyer:
        return Role.KITCHEN
    if is_group:
        return Role.GROUP
    if role is Role.COORDINATOR:
        raise InvalidValue("role", "sign-in links are for kitchens and groups")
    wanted = {None: "buyer (kitchen) or farmer group", Role.KITCHEN: "buyer (kitchen)"}
    raise UnknownReference(
        "participant", f"no {wanted.get(role, 'farmer group')} with id {participant_id!r}"
    )


def participant_names(
    uow_factory: SignInUowFactory, role: Role, participant_id: str
) -> tuple[str, str]:
    """The participant's registered names, Thai and English (empty when it is gone)."""
    with uow_factory() as uow:
        found = (
            uow.buyers.get(participant_id)
            if role is Role.KITCHEN
            else uow.groups.get(participant_id)
        )
    return (found.name_th, found.name_en) if found is not None else ("", "")


def invite(
    uow_factory: SignInUowFactory,
    participant_id: str,
    actor: str,
    now: datetime,
    rules: SessionRules,
    role: Role | None = None,
) -> tuple[SignInLink, str]:
    """A new one-time sign-in link for a registered kitchen or group; returns it and its token
    (only the token's hash is stored). The invitation is audited."""
    with uow_factory() as uow:
        chosen = _role_of(uow, participant_id, role)
        link, token = new_link(chosen, participant_id, actor, now, rules)
        uow.sign_ins.add_link(link)
        uow.sign_ins.log(SignInEntry(now, SignInEvent.INVITED, chosen, participant_id, None, actor))
        uow.commit()
    return link, token


@dataclass(frozen=True, slots=True)
class Opened:
    """What opening a link did: ``state`` VALID with the new session and its cookie value, or
    why not (used, expired, unknown)."""

    state: LinkState
    session: WebSession | None = None
    cookie: str = ""
    link: SignInLink | None = None
    """The link opened (None when unknown)."""


_REFUSED = {
    LinkState.USED: SignInEvent.LINK_USED,
    LinkState.EXPIRED: SignInEvent.LINK_EXPIRED,
    LinkState.UNKNOWN: SignInEvent.LINK_UNKNOWN,
}


def look_at_link(uow_factory: SignInUowFactory, token: str, now: datetime) -> Opened:
    """What a link would do if used now, without using it: opening the page of a link is not
    signing in (mail scanners and chat previews open links too)."""
    hashed = link_hash(token)
    with uow_factory() as uow:
        link = uow.sign_ins.link(hashed) if hashed else None
    state = link.state(now) if link is not None else LinkState.UNKNOWN
    return Opened(state, link=link)


def open_link(
    uow_factory: SignInUowFactory, token: str, now: datetime, rules: SessionRules, client: str = ""
) -> Opened:
    """Use a sign-in link once: start a session, or say why not. Every attempt is audited."""
    hashed = link_hash(token)
    with uow_factory() as uow:
        link = uow.sign_ins.link(hashed) if hashed else None
        state = link.state(now) if link is not None else LinkState.UNKNOWN
        if state is LinkState.VALID and link is not None:
            if uow.sign_ins.use_link(link.token_hash, now):
                web, cookie = new_session(link, now, rules)
                uow.sign_ins.add_session(web)
                _log(uow, now, SignInEvent.SIGNED_IN, web, _actor(web), client)
                uow.commit()
                return Opened(LinkState.VALID, web, cookie, link)
            state = LinkState.USED
        role = link.role if link is not None else None
        participant = link.participant_id if link is not None else None
        entry = SignInEntry(now, _REFUSED[state], role, participant, None, "anonymous", client)
        uow.sign_ins.log(entry)
        uow.commit()
    return Opened(state, link=link)


def authenticate_cookie(
    uow_factory: SignInUowFactory,
    cookie: str,
    now: datetime,
    rules: SessionRules,
    read_uow_factory: SignInUowFactory | None = None,
) -> tuple[Principal, WebSession, str] | None:
    """The principal of an active session's cookie, the session and its secret; None when the
    cookie is malformed, unknown, expired or revoked. The session is read through
    ``read_uow_factory`` (when given); its use is written at most once a minute."""
    parts = split_cookie(cookie)
    if parts is None:
        return None
    session_id, secret = parts
    with (read_uow_factory or uow_factory)() as uow:
        web = uow.sign_ins.get_session(session_id)
    if web is None or not verify_session(web, secret, now, rules):
        return None
    if web.needs_touch(now):
        with uow_factory() as uow:
            uow.sign_ins.touch(web.id, now)
            uow.commit()
        web = web.touched(now)
    return principal_of_session(web), web, secret


def sign_out(uow_factory: SignInUowFactory, session_id: str, now: datetime) -> bool:
    """End the caller's own session; False when it had ended already."""
    with uow_factory() as uow:
        web = uow.sign_ins.get_session(session_id)
        if web is None:
            return False
        ended = uow.sign_ins.end_session(session_id, now, _actor(web), SignInEvent.SIGNED_OUT)
        if ended:
            _log(uow, now, SignInEvent.SIGNED_OUT, web, _actor(web))
        uow.commit()
    return ended


def list_sessions(
    uow_factory: SignInUowFactory,
    now: datetime,
    rules: SessionRules,
    participant_id: str | None = None,
) -> list[WebSession]:
    """Sessions still active now, newest first."""
    with uow_factory() as uow:
        found = uow.sign_ins.sessions(participant_id=participant_id, open_since=now)
    return [web for web in found if web.active(now, rules)]


def revoke_session(
    uow_factory: SignInUowFactory, session_id: str, actor: str, now: datetime
) -> WebSession:
    """Revoke a session (a coordinator's act): its cookie answers 401 from now on."""
    with uow_factory() as uow:
        web = uow.sign_ins.get_session(session_id)
        if web is None or not uow.sign_ins.end_session(session_id, now, actor, SignInEvent.REVOKED):
            raise NotFound("open session", session_id)
        _log(uow, now, SignInEvent.REVOKED, web, actor)
        uow.commit()
    return web


def sign_in_log(
    uow_factory: SignInUowFactory,
    *,
    participant_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[SignInEntry], int]:
    """One page of the sign-in audit log, newest first, and how many entries match."""
    with uow_factory() as uow:
        found, total = uow.sign_ins.entries(
            participant_id=participant_id, limit=limit, offset=offset
        )
    return list(found), total


def purge_ended(
    uow_factory: SignInUowFactory, now: datetime, rules: SessionRules, retention: timedelta
) -> tuple[int, int]:
    """Delete the sign-in links that expired, and the sessions that ended, more than
    ``retention`` before ``now`` (see :class:`~matcher.sessions.Purge`); how many links and
    sessions. The sign-in audit log is kept whole."""
    with uow_factory() as uow:
        deleted = uow.sign_ins.purge(Purge.of(now, rules, retention))
        uow.commit()
    return deleted


def _actor(web: WebSession) -> str:
    party = "buyer" if web.role is Role.KITCHEN else "group"
    return f"{party}:{web.participant_id}"


def _log(
    uow: SignInUnitOfWork,
    now: datetime,
    event: SignInEvent,
    web: WebSession,
    actor: str,
    detail: str = "",
) -> None:
    uow.sign_ins.log(SignInEntry(now, event, web.role, web.participant_id, web.id, actor, detail))
