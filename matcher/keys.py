"""Managing API keys in the service's database: create, list, revoke (``foodmatch keys``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from matcher.auth import ApiKey, Role, new_key
from matcher.domain.errors import NotFound, UnknownReference
from matcher.service.ports import KeyUnitOfWork

KeyUowFactory = Callable[[], KeyUnitOfWork]


def create_key(
    uow_factory: KeyUowFactory,
    role: Role,
    participant_id: str | None,
    name: str,
    now: datetime,
) -> tuple[ApiKey, str]:
    """Store a new key for a registered participant (or a coordinator); returns it and its token."""
    with uow_factory() as uow:
        if role is Role.KITCHEN and participant_id and uow.buyers.get(participant_id) is None:
            raise UnknownReference("participant", f"no buyer (kitchen) with id {participant_id!r}")
        if role is Role.GROUP and participant_id and uow.groups.get(participant_id) is None:
            raise UnknownReference("participant", f"no farmer group with id {participant_id!r}")
        key, token = new_key(role, participant_id, name, now)
        uow.keys.add(key)
        uow.commit()
    return key, token


def list_keys(uow_factory: KeyUowFactory, *, include_revoked: bool = False) -> list[ApiKey]:
    with uow_factory() as uow:
        return list(uow.keys.list(include_revoked=include_revoked))


def revoke_key(uow_factory: KeyUowFactory, key_id: str, now: datetime) -> None:
    with uow_factory() as uow:
        if not uow.keys.revoke(key_id, now):
            raise NotFound("active API key", key_id)
        uow.commit()
