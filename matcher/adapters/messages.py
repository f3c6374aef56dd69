"""Participant messages as (kind, JSON body) pairs: the common currency of imports and streams.

``to_command`` turns one into a bus command; ``message_id_for`` gives a stable id from the
content, so that sending the same line or event again has no further effect.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from matcher.service import codec, commands

KINDS = ("groups", "buyers", "certificates", "supply", "orders")
WIRE_TYPES: dict[str, str] = {
    "groups": "group.register",
    "buyers": "buyer.register",
    "certificates": "certificate.register",
    "supply": "supply.announce",
    "orders": "order.submit",
}
"""The inbound wire type of each kind of message."""
PARTICIPANT_KINDS = ("buyers", "groups", "certificates")
WITHDRAWALS = "withdrawals"
"""A supply line withdrawn (body: ``supply_id``, ``reason``), as a scenario's disruption plays."""

# The API path of each kind, under /api/v1.
PATHS = {
    "groups": "/api/v1/groups",
    "buyers": "/api/v1/buyers",
    "certificates": "/api/v1/certificates",
    "supply": "/api/v1/supply",
    "orders": "/api/v1/orders",
}


@dataclass(frozen=True, slots=True)
class Message:
    kind: str
    body: dict[str, Any]
    message_id: str


def message_id_for(kind: str, body: dict[str, Any], namespace: str = "") -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # surrogatepass: a body holding half a surrogate pair still gets an id (the codec refuses it
    # by name when it is encoded)
    text = f"{namespace}|{kind}|{canonical}".encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(text).hexdigest()
    return f"{kind}-{digest[:32]}"


def to_command(kind: str, body: dict[str, Any], message_id: str) -> commands.Command:
    """Parse ``body`` into the command for ``kind`` (raises InvalidValue naming the field)."""
    if kind == "groups":
        return commands.RegisterGroup(message_id=message_id, group=codec.load_group(body))
    if kind == "buyers":
        return commands.RegisterBuyer(message_id=message_id, buyer=codec.load_buyer(body))
    if kind == "certificates":
        cert = codec.load_certificate(body)
        return commands.RegisterCertificate(message_id=message_id, certificate=cert)
    if kind == "supply":
        return commands.AnnounceSupply(message_id=message_id, supply=codec.load_supply(body))
    if kind == "orders":
        return commands.SubmitOrder(message_id=message_id, order=codec.load_order(body))
    if kind == WITHDRAWALS:
        return commands.WithdrawSupply(
            message_id=message_id,
            supply_id=str(body["supply_id"]),
            reason=str(body.get("reason", "")),
            crop_id=str(body.get("crop_id", "")),
        )
    raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")


def request_of(message: Message) -> tuple[str, dict[str, Any]]:
    """The API request (path under the host, JSON body) that sends ``message``."""
    if message.kind == WITHDRAWALS:
        path = f"/api/v1/supply/{message.body['supply_id']}/withdraw"
        return path, {"reason": message.body.get("reason", "")}
    return PATHS[message.kind], message.body


def scenario_messages(
    instance: dict[str, Any], namespace: str, seed: int = 1, *, disruptions: bool = True
) -> Iterator[Message]:
    """A scenario as a stream: participants and certificates first, then supply and orders
    interleaved in a seeded order, as they would arrive over a few weeks of planning; then, when
    the instance carries them and ``disruptions`` is on, its disruptions
    (:func:`disruption_messages`)."""
    import random

    for kind in ("buyers", "groups", "certificates"):
        for body in instance.get(kind, []):
            yield Message(kind, body, message_id_for(kind, body, namespace))
    book = [("supply", b) for b in instance.get("supply", [])]
    book += [("orders", b) for b in instance.get("orders", [])]
    random.Random(seed).shuffle(book)
    for kind, body in book:
        yield Message(kind, body, message_id_for(kind, body, namespace))
    if disruptions:
        yield from disruption_messages(instance, namespace)


def disruption_messages(instance: dict[str, Any], namespace: str) -> Iterator[Message]:
    """The instance's disruptions (a flood week) as messages, after the initial load: each
    flooded supply line withdrawn with the reason in Thai and English (its live contracts are
    cancelled and their deliveries go back to the book), then announced again under a new id
    without what the flood took, when it has anything left."""
    from matcher.scenario.flood import replacement

    supply = {s["id"]: s for s in instance.get("supply", [])}
    for event in instance.get("disruptions", []):
        reason = f"{event['reason_th']} / {event['reason_en']}"
        for line in event["supply"]:
            body = {"supply_id": line["supply_id"], "reason": reason, "crop_id": line["crop_id"]}
            yield Message(WITHDRAWALS, body, message_id_for(WITHDRAWALS, body, namespace))
        for line in event["supply"]:
            again = replacement(supply[line["supply_id"]], line, event["week"])
            if again is not None:
                yield Message("supply", again, message_id_for("supply", again, namespace))
