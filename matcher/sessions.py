"""Sign-in for people: one-time sign-in links, browser sessions and their CSRF tokens.

Pure: no I/O. API keys (:mod:`matcher.auth`) stay for machines; a person opens a link a
coordinator made for their participant (a kitchen's buyer or a farmer group) and gets a session:

- a **sign-in link** carries 32 random bytes; only their SHA-256 is stored. It works once,
  until it expires (15 minutes by default);
- a **session** is a row (its secret hashed, the participant's role and id, when it was made,
  last used, when it ends, when it was revoked) held in a cookie ``fms_<session id>_<secret>``.
  It ends after a time without use (idle) or at a fixed time after sign-in (absolute),
  whichever comes first, or when it is signed out or revoked;
- its **CSRF token** is derived from the session's secret, so it is tied to the session and
  never stored: every request that changes something and is authenticated by the cookie must
  send it (header ``X-CSRF-Token`` or form field ``csrf_token``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from matcher.auth import Principal, Role, hash_secret
from matcher.domain.errors import InvalidValue

COOKIE = "foodmatch_session"
"""The session cookie's name."""

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that change nothing: no CSRF token needed."""

TOUCH_EVERY = timedelta(minutes=1)
"""A session's last use is written at most once a minute (every request would be a write)."""

SESSION_TOKEN = re.compile(r"^fms_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")

PORTALS = {Role.KITCHEN: "/kitchen/", Role.GROUP: "/group/", Role.BANK: "/bank/"}
"""Where a participant lands after signing in."""


class LinkState(StrEnum):
    """What opening a sign-in link finds."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class SignInEvent(StrEnum):
    """The entries of the sign-in audit log."""

    INVITED = "invited"
    SIGNED_IN = "signed_in"
    LINK_USED = "link_used"
    LINK_EXPIRED = "link_expired"
    LINK_UNKNOWN = "link_unknown"
    SIGNED_OUT = "signed_out"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class SessionRules:
    """How long links and sessions last (from the settings)."""

    link_ttl: timedelta = timedelta(minutes=15)
    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)

    @classmethod
    def of(cls, link_minutes: float, idle_hours: float, max_days: float) -> SessionRules:
        return cls(
            timedelta(minutes=link_minutes), timedelta(hours=idle_hours), timedelta(days=max_days)
        )


@dataclass(frozen=True, slots=True)
class SignInLink:
    token_hash: str
    role: Role
    participant_id: str
    created_at: datetime
    expires_at: datetime
    created_by: str
    used_at: datetime | None = None

    def state(self, now: datetime) -> LinkState:
        if self.used_at is not None:
            return LinkState.USED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.VALID


@dataclass(frozen=True, slots=True)
class WebSession:
    id: str
    secret_hash: str
    role: Role
    participant_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    """The absolute end: the session ends then however much it is used."""
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    ended_by: str | None = None
    """Why it was revoked: ``signed_out`` or ``revoked``."""

    def ends_at(self, rules: SessionRules) -> datetime:
        """When the session ends if it is not used again (idle) or at the latest (absolute)."""
        return min(self.expires_at, self.last_seen_at + rules.idle)

    def active(self, now: datetime, rules: SessionRules) -> bool:
        return self.revoked_at is None and now < self.ends_at(rules)

    def needs_touch(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY

    def touched(self, now: datetime) -> WebSession:
        return replace(self, last_seen_at=now)


@dataclass(frozen=True, slots=True)
class Purge:
    """What a purge deletes: sign-in links that expired (used or not), and sessions that ended
    (signed out, revoked, idle or past their absolute end), before ``before``; ``idle`` is the
    sessions' idle limit. The sign-in audit log is never purged."""

    before: datetime
    idle: timedelta

    @classmethod
    def of(cls, now: datetime, rules: SessionRules, retention: timedelta) -> Purge:
        """Everything that ended more than ``retention`` before ``now``."""
        return cls(now - retention, rules.idle)

    def link_gone(self, link: SignInLink) -> bool:
        return link.expires_at < self.before

    def session_gone(self, web: WebSession) -> bool:
        ended = min(web.expires_at, web.last_seen_at + self.idle)
        if web.revoked_at is not None:
            ended = min(ended, web.revoked_at)
        return ended < self.before


@dataclass(frozen=True, slots=True)
class SignInEntry:
    """One line of the sign-in audit log."""

    at: datetime
    event: SignInEvent
    role: Role | None
    participant_id: str | None
    session_id: str | None
    actor: str
    detail: str = ""
    id: int | None = None


def new_link(
    role: Role, participant_id: str, created_by: str, now: datetime, rules: SessionRules
) -> tuple[SignInLink, str]:
    """A new sign-in link for a kitchen or a group, and its token (shown once)."""
    if role is Role.COORDINATOR:
        raise InvalidValue("participant", "sign-in links are for kitchens and groups")
    if not participant_id:
        raise InvalidValue("participant", "a sign-in link needs the participant's id")
    token = secrets.token_urlsafe(32)
    link = SignInLink(
        hash_secret(token), role, participant_id, now, now + rules.link_ttl, created_by
    )
    return link, token


def link_hash(token: str) -> str | None:
    """The stored hash of a well-formed link token, else None."""
    token = token.strip()
    return hash_secret(token) if LINK_TOKEN.match(token) else None


def new_session(link: SignInLink, now: datetime, rules: SessionRules) -> tuple[WebSession, str]:
    """The session a valid link starts, and its cookie value (only the secret's hash is kept)."""
    session_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session = WebSession(
        id=session_id,
        secret_hash=hash_secret(secret),
        role=link.role,
        participant_id=link.participant_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + rules.absolute,
    )
    return session, f"fms_{session_id}_{secret}"


def split_cookie(value: str) -> tuple[str, str] | None:
    """(session id, secret) of a well-formed cookie value, else None."""
    found = SESSION_TOKEN.match(value.strip())
    return (found.group(1), found.group(2)) if found else None


def verify_session(
    session: WebSession | None, secret: str, now: datetime, rules: SessionRules
) -> bool:
    """True when ``session`` is active and ``secret`` is its secret (constant-time comparison)."""
    expected = session.secret_hash if session is not None else hash_secret("")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    return session is not None and session.active(now, rules) and matches


def csrf_token(secret: str) -> str:
    """The session's CSRF token: derived from its secret, so only its holder can know it."""
    return hashlib.sha256(f"foodmatch-csrf:{secret}".encode()).hexdigest()


def csrf_ok(secret: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(secret), (sent or "").strip())


def principal_of_session(session: WebSession, name: str = "") -> Principal:
    """The session's caller: the participant's role and id, checked like an API key's."""
    return Principal(session.role, session.participant_id, f"session:{session.id}", name)


def portal_of(role: Role) -> str:
    return PORTALS.get(role, "/")
