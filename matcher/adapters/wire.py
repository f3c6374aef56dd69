"""Versioned JSON wire formats of the Kafka topics, and their decoding into commands.

Every message is an envelope::

    {"type": "order.submit", "version": 1, "message_id": "...", "sent_at": "...",
     "actor": "...", "body": {...}}

``message_id`` is the idempotency key: a message whose id was handled before has no effect.
Bodies use the shapes of the matching-instance format (see ``matcher.optimiser.schema``).
Pure: no Kafka library is imported here.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as date_type
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from matcher.adapters.topics import Topic
from matcher.domain.contracts import CANCEL_REASON_LENGTH, REFUSAL_NOTE_LENGTH, RefusalReason
from matcher.domain.errors import DomainError, InvalidValue
from matcher.domain.model import MAX_NON_DELIVERY_DATES, MAX_QUANTITY
from matcher.optimiser import schema
from matcher.service import codec, commands
from matcher.service.canonical import command_body

VERSION = 1
MAX_MESSAGE_BYTES = 1_048_576
"""Larger messages are refused (to the dead-letter topic) before they are parsed; the default of
the ``max_message_bytes`` setting (``FOODMATCH_MAX_MESSAGE_BYTES``)."""


class DecodeError(InvalidValue):
    """A message that cannot become a command: bad bytes, JSON, envelope or body."""


class MessageTooLarge(DecodeError):
    """A message above the size limit (refused unread)."""


def check_size(raw: bytes, limit: int = MAX_MESSAGE_BYTES) -> None:
    """Raise :class:`MessageTooLarge` (field ``value``) when ``raw`` is above ``limit`` bytes."""
    if len(raw) > limit:
        raise MessageTooLarge(
            "value", f"message of {len(raw):,} bytes is above the limit of {limit:,} bytes"
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(_Strict):
    type: str = Field(description="Message type, e.g. order.submit.")
    version: Literal[1] = Field(description="Version of the type's body schema.")
    message_id: str = Field(min_length=1, max_length=200, description="Idempotency key.")
    sent_at: datetime | None = None
    actor: str = Field("kafka", max_length=200, description="Who sent it.")
    body: dict[str, Any]


class WithdrawSupplyBody(_Strict):
    supply_id: str
    crop_id: str = ""
    reason: str = ""


class CancelOrderBody(_Strict):
    order_id: str
    crop_id: str = ""
    reason: str = ""


class CancelDeliveryBody(_Strict):
    order_id: str
    crop_id: str = ""
    date: date_type
    reason: str = Field(min_length=1, max_length=CANCEL_REASON_LENGTH)


class RevokeCertificateBody(_Strict):
    certificate_id: str
    revoked_on: date_type
    group_id: str = ""
    reason: str = ""


class DaysOffBody(_Strict):
    buyer_id: str
    non_delivery_weekdays: list[str] = Field(default_factory=list, max_length=7)
    non_delivery_dates: list[date_type] = Field(
        default_factory=list, max_length=MAX_NON_DELIVERY_DATES
    )


class ContractActionBody(_Strict):
    contract_id: str
    crop_id: str = ""
    reason: str = ""


class ConfirmDeliveryBody(_Strict):
    contract_id: str
    crop_id: str = ""
    date: date_type
    received: int = Field(ge=0, le=MAX_QUANTITY)
    refused: int = Field(0, ge=0, le=MAX_QUANTITY)
    refusal_reason: RefusalReason | None = None
    refusal_note: str | None = Field(None, max_length=REFUSAL_NOTE_LENGTH)


class AmendLineBody(_Strict):
    date: date_type
    new_date: date_type
    quantity: int = Field(ge=0, le=MAX_QUANTITY)


class AmendContractBody(_Strict):
    contract_id: str
    crop_id: str = ""
    agreed_by: str
    deliveries: list[AmendLineBody] = Field(min_length=1)
    reason: str = ""


class RoundRequestBody(_Strict):
    crops: list[str] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class MessageType:
    """One inbound message type: its topic, body schema, key and command."""

    name: str
    topic: Topic
    body: type[BaseModel]
    key: Callable[[dict[str, Any]], str]
    command: Callable[[dict[str, Any], str, str], commands.Command]


def _field(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: str(body.get(name) or "")


def _market_or(name: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: str(body.get("crop_id") or body.get(name) or "")


def _withdraw(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(WithdrawSupplyBody, body)
    return commands.WithdrawSupply(
        message_id=mid, actor=actor, supply_id=b.supply_id, reason=b.reason, crop_id=b.crop_id
    )


def _cancel(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(CancelOrderBody, body)
    return commands.CancelOrder(
        message_id=mid, actor=actor, order_id=b.order_id, reason=b.reason, crop_id=b.crop_id
    )


def _cancel_delivery(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(CancelDeliveryBody, body)
    return commands.CancelDelivery(
        message_id=mid,
        actor=actor,
        order_id=b.order_id,
        day=b.date,
        reason=b.reason,
        crop_id=b.crop_id,
    )


def _contract_action(
    kind: type[commands.ContractCommand],
) -> Callable[[dict[str, Any], str, str], commands.Command]:
    def build(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
        b = _model(ContractActionBody, body)
        return kind(
            message_id=mid,
            actor=actor,
            contract_id=b.contract_id,
            crop_id=b.crop_id,
            reason=b.reason,
        )

    return build


def _days_off(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(DaysOffBody, body)
    return commands.SetDaysOff(
        message_id=mid,
        actor=actor,
        buyer_id=b.buyer_id,
        weekdays=tuple(d.strip().lower() for d in b.non_delivery_weekdays),
        dates=tuple(b.non_delivery_dates),
    )


def _revoke(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(RevokeCertificateBody, body)
    return commands.RevokeCertificate(
        message_id=mid,
        actor=actor,
        certificate_id=b.certificate_id,
        revoked_on=b.revoked_on,
        group_id=b.group_id,
        reason=b.reason,
    )


def _confirm(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(ConfirmDeliveryBody, body)
    return commands.ConfirmDelivery(
        message_id=mid,
        actor=actor,
        contract_id=b.contract_id,
        crop_id=b.crop_id,
        day=b.date,
        received=b.received,
        refused=b.refused,
        refusal_reason=b.refusal_reason.value if b.refusal_reason else None,
        refusal_note=b.refusal_note,
    )


def _amend(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(AmendContractBody, body)
    return commands.AmendContract(
        message_id=mid,
        actor=actor,
        contract_id=b.contract_id,
        crop_id=b.crop_id,
        agreed_by=b.agreed_by,
        changes=tuple((x.date, x.new_date, x.quantity) for x in b.deliveries),
        reason=b.reason,
    )


def _round(body: dict[str, Any], mid: str, actor: str) -> commands.Command:
    b = _model(RoundRequestBody, body)
    return commands.RunMatchingRound(
        message_id=mid, actor=actor, trigger="request", crops=tuple(b.crops)
    )


INBOUND_TYPES: dict[str, MessageType] = {
    t.name: t
    for t in (
        MessageType(
            "group.register",
            Topic.PARTICIPANTS,
            schema.GroupIn,
            _field("id"),
            lambda b, m, a: commands.RegisterGroup(
                message_id=m, actor=a, group=codec.load_group(b)
            ),
        ),
        MessageType(
            "buyer.register",
            Topic.PARTICIPANTS,
            schema.BuyerIn,
            _field("id"),
            lambda b, m, a: commands.RegisterBuyer(
                message_id=m, actor=a, buyer=codec.load_buyer(b)
            ),
        ),
        MessageType(
            "buyer.days_off", Topic.PARTICIPANTS, DaysOffBody, _field("buyer_id"), _days_off
        ),
        MessageType(
            "certificate.register",
            Topic.PARTICIPANTS,
            schema.CertificateIn,
            _field("group_id"),
            lambda b, m, a: commands.RegisterCertificate(
                message_id=m, actor=a, certificate=codec.load_certificate(b)
            ),
        ),
        MessageType(
            "supply.announce",
            Topic.SUPPLY,
            schema.SupplyIn,
            _field("crop_id"),
            lambda b, m, a: commands.AnnounceSupply(
                message_id=m, actor=a, supply=codec.load_supply(b)
            ),
        ),
        MessageType(
            "supply.withdraw", Topic.SUPPLY, WithdrawSupplyBody, _market_or("supply_id"), _withdraw
        ),
        MessageType(
            "order.submit",
            Topic.ORDERS,
            schema.OrderIn,
            _field("crop_id"),
            lambda b, m, a: commands.SubmitOrder(message_id=m, actor=a, order=codec.load_order(b)),
        ),
        MessageType("order.cancel", Topic.ORDERS, CancelOrderBody, _market_or("order_id"), _cancel),
        MessageType(
            "order.cancel_delivery",
            Topic.ORDERS,
            CancelDeliveryBody,
            _market_or("order_id"),
            _cancel_delivery,
        ),
        MessageType(
            "round.request", Topic.ROUND_REQUESTS, RoundRequestBody, lambda b: "rounds", _round
        ),
        MessageType(
            "certificate.revoke",
            Topic.PARTICIPANTS,
            RevokeCertificateBody,
            _field("group_id"),
            _revoke,
        ),
        MessageType(
            "contract.accept",
            Topic.CONTRACT_RESPONSES,
            ContractActionBody,
            _market_or("contract_id"),
            _contract_action(commands.AcceptContract),
        ),
        MessageType(
            "contract.reject",
            Topic.CONTRACT_RESPONSES,
            ContractActionBody,
            _market_or("contract_id"),
            _contract_action(commands.RejectContract),
        ),
        MessageType(
            "contract.cancel",
            Topic.CONTRACT_RESPONSES,
            ContractActionBody,
            _market_or("contract_id"),
            _contract_action(commands.CancelContract),
        ),
        MessageType(
            "delivery.confirm",
            Topic.CONTRACT_RESPONSES,
            ConfirmDeliveryBody,
            _market_or("contract_id"),
            _confirm,
        ),
        MessageType(
            "contract.amend",
            Topic.CONTRACT_RESPONSES,
            AmendContractBody,
            _market_or("contract_id"),
            _amend,
        ),
    )
}

# Outbound events: event name -> (wire type, topic).
OUTBOUND_TYPES: dict[str, tuple[str, Topic]] = {
    "ContractProposed": ("contract.proposed", Topic.CONTRACTS),
    "RoundCompleted": ("round.completed", Topic.ROUNDS),
    "GroupRegistered": ("group.registered", Topic.EVENTS),
    "BuyerRegistered": ("buyer.registered", Topic.EVENTS),
    "BuyerDaysOffChanged": ("buyer.days_off_changed", Topic.EVENTS),
    "CertificateRegistered": ("certificate.registered", Topic.EVENTS),
    "SupplyAnnounced": ("supply.announced", Topic.EVENTS),
    "SupplyWithdrawn": ("supply.withdrawn", Topic.EVENTS),
    "OrderSubmitted": ("order.submitted", Topic.EVENTS),
    "OrderCancelled": ("order.cancelled", Topic.EVENTS),
    "OrderDeliveryCancelled": ("order.delivery_cancelled", Topic.EVENTS),
    "CertificateRevoked": ("certificate.revoked", Topic.EVENTS),
    "ContractAccepted": ("contract.accepted", Topic.CONTRACTS),
    "ContractRejected": ("contract.rejected", Topic.CONTRACTS),
    "ContractExpired": ("contract.expired", Topic.CONTRACTS),
    "ContractCancelled": ("contract.cancelled", Topic.CONTRACTS),
    "ContractAmended": ("contract.amended", Topic.CONTRACTS),
    "DeliveryConfirmed": ("delivery.confirmed", Topic.CONTRACTS),
    "DeliveriesReleased": ("deliveries.released", Topic.CONTRACTS),
    "ContractDeliveryCancelled": ("contract.delivery_cancelled", Topic.CONTRACTS),
    "ContractCompleted": ("contract.completed", Topic.CONTRACTS),
}


def _model(model: type[Any], body: dict[str, Any]) -> Any:
    try:
        return model.model_validate(body)
    except PydanticError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidValue(where, first["msg"]) from None


@dataclass(frozen=True, slots=True)
class WireMessage:
    topic: Topic
    key: str
    value: bytes


def _dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _places(data: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every value in decoded JSON with its place, parents first (no recursion: JSON nested
    as deep as the parser allows is walked all the same)."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend(((*path, key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in reversed(list(enumerate(value))))


def _is_text(value: str) -> bool:
    """Text a database column can hold: Unicode without half surrogate pairs, and no NUL."""
    if "\x00" in value:
        return False  # PostgreSQL's text columns cannot hold it
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unpaired_surrogate(data: Any) -> tuple[str | int, ...] | None:
    """The place of the first string (or object key) in decoded JSON that is not Unicode text.

    JSON may escape half of a surrogate pair (``"\\ud800"``); Python reads it as a string that
    no UTF-8 text, database column or answer can hold, so it must be refused where it comes in.
    """
    for path, value in _places(data):
        if isinstance(value, str) and not _is_text(value):
            return path
        if isinstance(value, dict):
            for key in value:
                if not _is_text(key):
                    return (*path, key.encode("utf-8", "backslashreplace").decode("utf-8"))
    return None


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]|\\u0000")


def may_escape_a_surrogate(raw: bytes) -> bool:
    """Whether JSON text (valid UTF-8) could hold half a surrogate pair or a NUL: only as an
    escape, ``\\ud800`` to ``\\udfff`` or ``\\u0000``. Cheap: what does not, need not be walked."""
    return _SURROGATE_ESCAPE.search(raw) is not None


def _where(path: tuple[str | int, ...]) -> str:
    """The field name of a place in an envelope: a place in the body is named by its path in
    the body (``buyer_id``, ``deliveries.0.quantity``), as the handlers name fields; a place
    outside it by the envelope's field (``message_id``)."""
    if len(path) > 1 and path[0] == "body":
        path = path[1:]
    return ".".join(str(p) for p in path)


SURROGATE_REASON = (
    "is not text a database can hold: it has half of a surrogate pair (e.g. \\ud800) "
    "or a NUL character (\\u0000)"
)


def envelope(kind: str, body: dict[str, Any], message_id: str, actor: str) -> dict[str, Any]:
    return {
        "type": kind,
        "version": VERSION,
        "message_id": message_id,
        "sent_at": datetime.now(UTC).isoformat(),
        "actor": actor,
        "body": body,
    }


def encode_body(kind: str, body: dict[str, Any], message_id: str, actor: str) -> WireMessage:
    """An inbound message of ``kind`` with ``body`` (a JSON object), ready to produce."""
    try:
        mtype = INBOUND_TYPES[kind]
    except KeyError:
        raise InvalidValue("type", f"unknown message type {kind!r}") from None
    data = envelope(kind, body, message_id, actor)
    place = unpaired_surrogate(data)
    if place is not None:
        raise InvalidValue(_where(place), SURROGATE_REASON)
    value = _dumps(data)
    return WireMessage(mtype.topic, mtype.key(body), value)


def encode_command(command: commands.Command) -> WireMessage:
    """The wire form of a command (what the API publishes on the Kafka engine)."""
    kind, body = command_body(command)
    return encode_body(kind, body, command.message_id, command.actor)


def decode_command(
    raw: bytes | None, topic: Topic | None = None, *, max_bytes: int = MAX_MESSAGE_BYTES
) -> commands.Command:
    """Bytes from an inbound topic into a command; :class:`DecodeError` names what is wrong.

    A message above ``max_bytes`` is refused before it is parsed."""
    if raw is None:
        raise DecodeError("value", "the message is empty (a tombstone)")
    check_size(raw, max_bytes)
    data = _json_object(raw)
    _check_version(data)
    try:
        env = Envelope.model_validate(data)
    except PydanticError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "envelope"
        raise DecodeError(where, first["msg"]) from None
    mtype = _inbound_type(env.type, topic)
    try:
        return mtype.command(env.body, env.message_id, env.actor)
    except InvalidValue as err:  # named by its path in the body, as a handler names it
        raise DecodeError(err.field or "body", err.reason) from None
    except DomainError as err:
        raise DecodeError("body", str(err)) from None


def _json_object(raw: bytes) -> dict[str, Any]:
    """The JSON object a message holds; refused when it is not UTF-8, not JSON, not an object,
    or holds text no database can."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DecodeError("value", "not UTF-8 text") from None
    except json.JSONDecodeError as err:
        where = f"line {err.lineno} column {err.colno}"
        raise DecodeError("value", f"not JSON: {err.msg} at {where}") from None
    except RecursionError:
        raise DecodeError("value", "not JSON that can be read: nested too deeply") from None
    if not isinstance(data, dict):
        raise DecodeError("value", "the message must be a JSON object (an envelope)")
    place = unpaired_surrogate(data) if may_escape_a_surrogate(raw) else None
    if place is not None:
        raise DecodeError(_where(place), SURROGATE_REASON)
    return data


def _inbound_type(kind: str, topic: Topic | None) -> MessageType:
    """The inbound message type ``kind`` names, which must belong on ``topic`` when given."""
    mtype = INBOUND_TYPES.get(kind)
    if mtype is None:
        known = ", ".join(sorted(INBOUND_TYPES))
        raise DecodeError("type", f"unknown message type {kind!r}; known: {known}")
    if topic is not None and mtype.topic is not topic:
        raise DecodeError("type", f"{kind} belongs on the {mtype.topic.value} topic")
    return mtype


def _check_version(data: dict[str, Any]) -> None:
    """Refuse an envelope of a version this worker does not read, saying which it reads."""
    if "version" not in data:
        return  # the envelope's schema names the missing field
    version = data["version"]
    if version == VERSION and not isinstance(version, bool):
        return
    if isinstance(version, int) and not isinstance(version, bool):
        known = f"version {version} is not known"
    else:
        shown = json.dumps(version, ensure_ascii=False)
        if len(shown) > 40:
            shown = shown[:39] + "…"
        known = f"version {shown} is not a version number"
    raise DecodeError("version", f"{known}; this worker reads version {VERSION}")


OUTBOUND_VERSIONS: dict[str, int] = {"round.completed": codec.ROUND_EVENT_VERSION}
"""Outbound types whose body is at a version other than :data:`VERSION`."""


def encode_event(event_name: str, key: str, payload: dict[str, Any], event_id: str) -> WireMessage:
    """An outbound event (from the outbox) in its envelope, on its topic."""
    kind, topic = OUTBOUND_TYPES.get(event_name, (event_name, Topic.EVENTS))
    data = envelope(kind, payload, event_id, "foodmatch")
    data["version"] = OUTBOUND_VERSIONS.get(kind, VERSION)
    return WireMessage(topic, key, _dumps(data))


DEAD_LETTER_ORIGINAL_BYTES = 512 * 1024
"""How much of a refused message its dead letter keeps (base64 makes it a third larger)."""
DEAD_LETTER_TEXT_CHARS = 2_000


def _clip(text: str) -> str:
    if len(text) <= DEAD_LETTER_TEXT_CHARS:
        return text
    return text[: DEAD_LETTER_TEXT_CHARS - 1] + "…"


def dead_letter(
    *,
    raw: bytes | None,
    reason: str,
    field: str,
    topic: str,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | None = None,
) -> bytes:
    """The dead-letter record of a refused message: where it came from, why, and its bytes.

    The record keeps the first :data:`DEAD_LETTER_ORIGINAL_BYTES` of the message
    (``original_base64``; ``original_bytes`` is its whole size) and at most
    :data:`DEAD_LETTER_TEXT_CHARS` of the key and the reason, so that it stays below the usual
    1 MB limit of brokers and producers whatever it refuses: a dead letter that cannot be sent
    would hold up its partition. The whole message stays on its topic, at ``offset``."""
    original = raw or b""
    return _dumps(
        {
            "type": "dead_letter",
            "version": VERSION,
            "failed_at": datetime.now(UTC).isoformat(),
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "key": _clip(key.decode("utf-8", "replace")) if key is not None else None,
            "field": _clip(field),
            "reason": _clip(reason),
            "original_base64": base64.b64encode(original[:DEAD_LETTER_ORIGINAL_BYTES]).decode(
                "ascii"
            ),
            "original_bytes": len(original),
        }
    )


class RoundCompletedBody(_Strict):
    """Body of the outbound ``round.completed`` event, version 2: the round's figures and where
    to read its contracts, never the list of them (its size does not grow with the round)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title="round.completed (outbound, version 2)"
    )

    id: str = Field(description="The round's id.")
    trigger: str = Field(description="request, debounce or schedule.")
    status: str = Field(description="completed or failed.")
    solver: str
    solver_status: str
    started_at: datetime
    finished_at: datetime
    summary: dict[str, Any] = Field(description="The round's figures (as GET /rounds/{id}).")
    contracts: int = Field(ge=0, description="How many contracts the round proposed.")
    unfilled_lines: int = Field(ge=0, description="How many unfilled lines the round left.")
    round_url: str = Field(description="Where to read the round: /api/v1/rounds/{id}.")
    contracts_url: str = Field(
        description="Where to read its contracts, paged: /api/v1/contracts?round_id={id}."
    )
    notes: list[str] = Field(description="The solver's notes (at most 20, cut to 1,000 chars).")


OUTBOUND_SCHEMAS: dict[str, type[BaseModel]] = {"round.completed": RoundCompletedBody}
"""Outbound event bodies with a schema of their own (the others are the API's objects)."""


def wire_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of each inbound message type's body, of the envelope, and of the outbound
    bodies listed in :data:`OUTBOUND_SCHEMAS`."""
    out: dict[str, dict[str, Any]] = {"envelope": Envelope.model_json_schema()}
    for name, mtype in sorted(INBOUND_TYPES.items()):
        out[name] = mtype.body.model_json_schema()
    for name, model in sorted(OUTBOUND_SCHEMAS.items()):
        out[name] = model.model_json_schema()
    return out
