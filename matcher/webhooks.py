"""Webhooks, the pure part: signatures, who an event concerns, and the retry schedule.

A delivery is a JSON POST signed with the webhook's secret: the header
``X-Foodmatch-Signature: t=<unix seconds>,v1=<hex>`` carries HMAC-SHA256 over
``f"{t}.".encode() + body``. Receivers recompute it with :func:`verify` (and may refuse old
timestamps to stop replays). The database and HTTP side is in
:mod:`matcher.adapters.webhook_dispatch`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

SIGNATURE_HEADER = "X-Foodmatch-Signature"
DELIVERY_HEADER = "X-Foodmatch-Delivery"
EVENT_HEADER = "X-Foodmatch-Event"

# Events whose payload is the participant itself.
_SELF = {"GroupRegistered", "BuyerRegistered"}
# Payload fields naming a participant.
_FIELDS = ("group_id", "buyer_id")


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(24)


def new_webhook_id() -> str:
    return "wh_" + secrets.token_hex(8)


def delivery_id(outbox_id: int, webhook_id: str) -> str:
    """Deterministic, so that fanning out the same event twice makes no second delivery."""
    return f"whd_{outbox_id}_{webhook_id}"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}."`` followed by the body."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(secret, body, timestamp)}"


def parse_signature(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, [v1 signatures])`` of a signature header, or None when malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return None
        elif name == "v1" and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return None
    return timestamp, signatures


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    now: int | None = None,
    tolerance_seconds: int | None = None,
) -> bool:
    """Whether ``header`` is a valid signature of ``body`` (and, given ``now`` and
    ``tolerance_seconds``, not older or newer than that)."""
    parsed = parse_signature(header)
    if parsed is None:
        return False
    timestamp = parsed[0]
    if now is not None and tolerance_seconds is not None:
        return abs(now - timestamp) <= tolerance_seconds and _matches(secret, body, parsed)
    return _matches(secret, body, parsed)


def _matches(secret: str, body: bytes, parsed: tuple[int, list[str]]) -> bool:
    timestamp, signatures = parsed
    expected = sign(secret, body, timestamp)
    return any(hmac.compare_digest(expected, given) for given in signatures)


def participants_of(event_name: str, payload: Mapping[str, Any]) -> set[str]:
    """The participants (group and buyer ids) an event concerns, as far as its payload says.

    Contract events name their buyer and group; supply and certificates their group; orders
    their buyer; registrations the participant itself. Events naming nobody (rounds, and
    withdrawals or cancellations that carry only the record's id) give an empty set: the
    dispatcher looks those records up.
    """
    found: set[str] = set()
    if event_name in _SELF and isinstance(payload.get("id"), str):
        found.add(payload["id"])
    for name in _FIELDS:
        value = payload.get(name)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def backoff_seconds(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Wait after the ``attempts``-th failed attempt: base, 2·base, 4·base, ... at most cap."""
    if attempts < 1:
        return 0.0
    return float(min(cap, base * 2 ** min(attempts - 1, 60)))


def after_failure(
    attempts: int, now: datetime, *, max_attempts: int, base: float = 1.0, cap: float = 300.0
) -> tuple[str, datetime | None]:
    """The state and next attempt time after the ``attempts``-th attempt failed."""
    if attempts >= max_attempts:
        return "failed", None
    return "pending", now + timedelta(seconds=backoff_seconds(attempts, base=base, cap=cap))
