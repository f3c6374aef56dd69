"""Files to publish, line by line: JSON lines or CSV, each good line a wire message.

JSON lines hold one object per line, either a full envelope::

    {"type": "order.submit", "version": 1, "message_id": "...", "body": {...}}

or a kind and a body (the message id is then derived from the content, unless given)::

    {"kind": "orders", "body": {...}}
    {"kind": "order.cancel", "body": {"order_id": "ord-1"}, "message_id": "cancel-ord-1"}

``kind`` is one of groups, buyers, certificates, supply, orders, or an inbound wire type.
CSV files hold one kind (see ``producers.csv_import``). Every line is checked as the consumer
would check it (:func:`matcher.adapters.wire.decode_command`) before it is accepted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.adapters.messages import WIRE_TYPES, message_id_for
from matcher.adapters.wire import INBOUND_TYPES, WireMessage, decode_command, encode_body
from matcher.domain.errors import DomainError, InvalidValue
from producers.csv_import import COLUMNS, read_csv

KIND_LINE_FIELDS = frozenset({"kind", "body", "message_id"})
KINDS_OF = {wire_type: kind for kind, wire_type in WIRE_TYPES.items()}
"""Kind of a wire type: ``order.submit`` and ``orders`` lines get the same derived message id."""


class FeedError(Exception):
    """The file as a whole cannot be read (missing, not text, a CSV without its columns)."""


@dataclass(frozen=True, slots=True)
class FeedLine:
    number: int
    message: WireMessage | None
    message_id: str | None = None
    error: str | None = None


def wire_type_of(kind: str) -> str:
    """The wire type of a kind (``orders``) or of a wire type itself (``order.cancel``)."""
    if kind in WIRE_TYPES:
        return WIRE_TYPES[kind]
    if kind in INBOUND_TYPES:
        return kind
    known = ", ".join([*WIRE_TYPES, *sorted(INBOUND_TYPES)])
    raise InvalidValue("kind", f"unknown kind {kind!r}; known: {known}")


def checked(wire_type: str, body: dict[str, Any], message_id: str, actor: str) -> WireMessage:
    """The wire message, once the consumer's own decoding accepts it (else InvalidValue)."""
    message = encode_body(wire_type, body, message_id, actor)
    decode_command(message.value, message.topic)
    return message


def envelope_line(data: dict[str, Any], raw: bytes) -> tuple[WireMessage, str]:
    """A full envelope, as written, on the topic of its type."""
    decode_command(raw)
    mtype = INBOUND_TYPES[str(data["type"])]
    return WireMessage(mtype.topic, mtype.key(data["body"]), raw), str(data["message_id"])


def kind_line(data: dict[str, Any], actor: str) -> tuple[WireMessage, str]:
    extra = sorted(set(data) - KIND_LINE_FIELDS)
    if extra:
        raise InvalidValue(extra[0], "is not a field of a kind line (kind, body, message_id)")
    kind, body = data.get("kind"), data.get("body")
    if not isinstance(kind, str) or not kind:
        raise InvalidValue("kind", "is required (e.g. orders)")
    if not isinstance(body, dict):
        raise InvalidValue("body", "must be a JSON object")
    wire_type = wire_type_of(kind)
    message_id = data.get("message_id") or message_id_for(KINDS_OF.get(wire_type, kind), body)
    if not isinstance(message_id, str):
        raise InvalidValue("message_id", "must be a string")
    return checked(wire_type, body, message_id, actor), message_id


def parse_json_line(text: str, actor: str) -> tuple[WireMessage, str]:
    """One JSON line as a wire message and its message id (InvalidValue names the fault)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidValue("", f"not JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(data, dict):
        raise InvalidValue("", "not a JSON object (an envelope or a kind line)")
    if "type" in data:
        return envelope_line(data, text.encode("utf-8"))
    return kind_line(data, actor)


def json_lines(path: Path, actor: str) -> Iterator[FeedLine]:
    """The lines of a JSON-lines file; blank lines are skipped."""
    for number, text in _text_lines(path):
        if not text.strip():
            continue
        try:
            message, message_id = parse_json_line(text.strip(), actor)
        except DomainError as err:
            yield FeedLine(number, None, error=describe(err))
            continue
        yield FeedLine(number, message, message_id)


def csv_lines(kind: str, path: Path, actor: str) -> Iterator[FeedLine]:
    """The lines of a CSV file of ``kind`` (line 1 is the header)."""
    if kind not in COLUMNS:
        raise FeedError(f"unknown kind {kind!r}; known: {', '.join(COLUMNS)}")
    try:
        for line in read_csv(kind, path):
            if line.body is None:
                yield FeedLine(line.number, None, error=line.error)
                continue
            message_id = message_id_for(kind, line.body)
            try:
                message = checked(WIRE_TYPES[kind], line.body, message_id, actor)
            except DomainError as err:
                yield FeedLine(line.number, None, error=describe(err))
                continue
            yield FeedLine(line.number, message, message_id)
    except InvalidValue as err:
        raise FeedError(f"{path}: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise FeedError(f"cannot read {path}: {_reason(err)}") from None


def is_json_lines(path: Path) -> bool:
    """Does the file's first non-blank character open a JSON object?"""
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for text in handle:
                if text.strip():
                    return text.lstrip().startswith("{")
    except (OSError, UnicodeDecodeError) as err:
        raise FeedError(f"cannot read {path}: {_reason(err)}") from None
    return False


def feed(path: Path, kind: str | None, actor: str) -> Iterator[FeedLine]:
    """The lines of ``path``: JSON lines, or CSV of ``kind`` (required for CSV)."""
    if not path.is_file():
        raise FeedError(f"no such file: {path}")
    if is_json_lines(path):
        if kind is not None:
            raise FeedError(
                f"{path} holds JSON lines, which name their kind on each line: drop --kind"
            )
        return json_lines(path, actor)
    if kind is None:
        raise FeedError(f"{path} is a CSV file: --kind is required ({', '.join(COLUMNS)})")
    if kind not in COLUMNS:
        raise FeedError(f"unknown kind {kind!r}; known: {', '.join(COLUMNS)}")
    return csv_lines(kind, path, actor)


def count_lines(path: Path) -> int:
    """Lines in the file (for a progress bar); 0 when it cannot be read."""
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, UnicodeDecodeError) as err:
        raise FeedError(f"cannot read {path}: {_reason(err)}") from None


def describe(err: DomainError) -> str:
    """``field: reason``, or the reason alone when it concerns the whole line."""
    if isinstance(err, InvalidValue) and not err.field:
        return err.reason
    return str(err)


def _reason(err: Exception) -> str:
    if isinstance(err, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(err, OSError):
        return err.strerror or str(err)
    return str(err)
