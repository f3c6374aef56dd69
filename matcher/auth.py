"""Who is calling, and what they may see: API keys, roles and the ownership rules.

Pure: no I/O. Keys are ``fm_<key id>_<secret>``; only the SHA-256 of the secret is stored (the
secret is 32 random bytes, so a plain hash is as strong as a slow one and checks in constant
time). Roles:

- ``kitchen``: one buyer; submits and sees only its own orders and contracts;
- ``group``: one farmer group; announces and sees only its own supply, certificates and
  contracts, and answers its proposals;
- ``coordinator``: everything, including registering participants and running rounds;
- ``bank``: a bank (ธ.ก.ส.) reading, read-only, the forward revenue of the groups that consented
  to it (:mod:`matcher.service.bank`); no other route. Its key names no participant: its name is
  the bank's (``ธ.ก.ส. สาขาหาดใหญ่``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from matcher.domain.errors import InvalidValue

TOKEN = re.compile(r"^fm_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Role(StrEnum):
    KITCHEN = "kitchen"
    GROUP = "group"
    COORDINATOR = "coordinator"
    BANK = "bank"


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    role: Role
    participant_id: str | None
    """The buyer (kitchen) or group the key acts for; None for coordinators and banks."""
    name: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    role: Role
    participant_id: str | None
    key_id: str
    name: str = ""

    @property
    def coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    @property
    def actor(self) -> str:
        """How changes made by this caller are recorded: the parties of the contract lifecycle
        (``group:grp-001``, ``buyer:hosp-hatyai``, ``coordinator:ops``)."""
        if not self.key_id:
            return self.name  # access control off: the API itself
        if self.coordinator:
            return f"coordinator:{self.name or self.key_id}"
        if self.role is Role.BANK:
            return f"bank:{self.name or self.key_id}"
        party = "buyer" if self.role is Role.KITCHEN else "group"
        return f"{party}:{self.participant_id}"

    def is_buyer(self, buyer_id: str) -> bool:
        return self.role is Role.KITCHEN and self.participant_id == buyer_id

    def is_group(self, group_id: str) -> bool:
        return self.role is Role.GROUP and self.participant_id == group_id

    def may_act_for_buyer(self, buyer_id: str) -> bool:
        return self.coordinator or self.is_buyer(buyer_id)

    def may_act_for_group(self, group_id: str) -> bool:
        return self.coordinator or self.is_group(group_id)

    def is_party(self, buyer_id: str, group_id: str) -> bool:
        """A party to a contract between this buyer and this group, or a coordinator."""
        return self.coordinator or self.is_buyer(buyer_id) or self.is_group(group_id)


COORDINATOR_OPEN = Principal(Role.COORDINATOR, None, "", "api")
"""The caller when access control is off (``FOODMATCH_AUTH=false``): a coordinator, recorded
as the actor ``api``."""


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(role: Role, participant_id: str | None, name: str, now: datetime) -> tuple[ApiKey, str]:
    """A new key and its token (shown once; only the hash is kept)."""
    if role in (Role.COORDINATOR, Role.BANK):
        if participant_id:
            raise InvalidValue("participant", f"a {role.value} key names no participant")
        if role is Role.BANK and not name.strip():
            raise InvalidValue("name", "a bank key needs the bank's name (--name)")
    elif not participant_id:
        raise InvalidValue("participant", f"a {role.value} key needs the participant's id")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(key_id, role, participant_id or None, name.strip(), hash_secret(secret), now)
    return key, f"fm_{key_id}_{secret}"


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    found = TOKEN.match(token.strip())
    return (found.group(1), found.group(2)) if found else None


def verify(key: ApiKey | None, secret: str) -> bool:
    """True when ``key`` is active and ``secret`` is its secret (constant-time comparison)."""
    expected = key.secret_hash if key is not None else hash_secret("")
    matches = hmac.compare_digest(expected, hash_secret(secret))
    return key is not None and key.active and matches


def principal_of(key: ApiKey) -> Principal:
    return Principal(key.role, key.participant_id, key.id, key.name)
