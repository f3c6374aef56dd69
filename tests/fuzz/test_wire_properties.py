"""Property tests of the wire codec (:mod:`matcher.adapters.wire`), the Kafka engine's way in.

- Any bytes at all decode to a command or are refused with a :class:`DecodeError`; nothing else
  escapes (a worker sends a refusal to the dead-letter topic and carries on, anything else
  would stop it).
- A valid message of every inbound type decodes to a command whose own wire form decodes to an
  equal command, on the same topic.
- One bad field in an otherwise valid message (wrong type, missing, extra, huge number, NaN or
  infinity, deep nesting, a very long string, a lone surrogate, invalid UTF-8, not an object at
  all) is refused, and the refusal names that field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.adapters.wire import (
    INBOUND_TYPES,
    MAX_MESSAGE_BYTES,
    DecodeError,
    decode_command,
    encode_body,
    encode_command,
    envelope,
)
from matcher.domain.errors import DomainError
from matcher.domain.model import (
    MAX_DISTANCE_KM,
    MAX_LIMIT,
    MAX_MEMBERS,
    MAX_PRICE,
    MAX_QUANTITY,
    WEEKDAYS,
    BuyerKind,
    GroupKind,
    thb,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.service import commands
from matcher.service.canonical import command_body

Json = dict[str, Any]
Path = tuple[str | int, ...]

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- valid bodies, one strategy per inbound message type -------------------------------------

TEXT = st.characters(codec="utf-8", exclude_characters="\x00")  # text a database holds: no NUL,
# no lone surrogates
IDS = st.text(TEXT, min_size=1, max_size=16).filter(lambda s: s.strip() != "")
FREE = st.text(TEXT, max_size=24)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
PRICES = st.one_of(
    st.integers(0, MAX_PRICE).map(thb),  # "12.34"
    st.integers(0, MAX_PRICE // 100),  # whole THB as a number
)
QUANTITIES = st.integers(1, MAX_QUANTITY)
COUNTS = st.integers(0, MAX_QUANTITY)


def _iso(day: date) -> str:
    return day.isoformat()


@st.composite
def _validity(draw: st.DrawFn) -> tuple[str, str]:
    first, second = sorted((draw(DAYS), draw(DAYS)))
    return first.isoformat(), second.isoformat()


@st.composite
def _certificate(draw: st.DrawFn) -> Json:
    valid_from, valid_until = draw(_validity())
    return {
        "id": draw(IDS),
        "group_id": draw(IDS),
        "scheme": draw(st.sampled_from([s.value for s in Scheme if s is not Scheme.NONE])),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "crops": draw(st.lists(IDS, max_size=3)),
        "crop_groups": draw(st.lists(IDS, max_size=3)),
        "scopes": draw(st.lists(st.sampled_from(["EU", "COR", "USDA"]), max_size=2)),
        "certifier": draw(FREE),
        "revoked_on": draw(st.none() | DAYS.map(_iso)),
    }


@st.composite
def _schedule(draw: st.DrawFn) -> Json:
    start = draw(DAYS)
    # A week or more: every weekday occurs, so the schedule has a delivery day.
    end = start + timedelta(days=draw(st.integers(6, 120)))
    weekdays = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True))
    return {"start": start.isoformat(), "end": end.isoformat(), "weekdays": weekdays}


@st.composite
def _order(draw: st.DrawFn) -> Json:
    body: Json = {
        "id": draw(IDS),
        "buyer_id": draw(IDS),
        "crop_id": draw(IDS),
        "quantity": draw(QUANTITIES),
        "min_tier": draw(st.sampled_from([t.value for t in Tier])),
        "max_price": draw(st.none() | PRICES),
        "max_distance_km": draw(st.none() | st.floats(min_value=0.001, max_value=MAX_DISTANCE_KM)),
        "max_suppliers": draw(st.none() | st.integers(1, MAX_LIMIT)),
    }
    if draw(st.booleans()):
        # Each date once: a date given twice is refused (see test_order_dates_and_scopes).
        body["deliveries"] = draw(st.lists(DAYS.map(_iso), min_size=1, max_size=8, unique=True))
    else:
        body["schedule"] = draw(_schedule())
    return body


def _action(name: str) -> st.SearchStrategy[Json]:
    return st.fixed_dictionaries({name: IDS, "crop_id": FREE, "reason": FREE})


_CONTRACT = st.fixed_dictionaries({"contract_id": IDS, "crop_id": FREE, "reason": FREE})

BODIES: dict[str, st.SearchStrategy[Json]] = {
    "group.register": st.fixed_dictionaries(
        {
            "id": IDS,
            "name_th": IDS,
            "name_en": IDS,
            "lat": st.floats(min_value=-90, max_value=90),
            "lon": st.floats(min_value=-180, max_value=180),
            "members": st.integers(1, MAX_MEMBERS),
            "kind": st.sampled_from([k.value for k in GroupKind]),
            "district": FREE,
            "min_lot": st.none() | QUANTITIES,
            "max_buyers_per_week": st.none() | st.integers(1, MAX_LIMIT),
        }
    ),
    "buyer.register": st.fixed_dictionaries(
        {
            "id": IDS,
            "name_th": IDS,
            "name_en": IDS,
            "kind": st.sampled_from([k.value for k in BuyerKind]),
            "lat": st.floats(min_value=-90, max_value=90),
            "lon": st.floats(min_value=-180, max_value=180),
            "district": FREE,
        }
    ),
    "certificate.register": _certificate(),
    "supply.announce": st.fixed_dictionaries(
        {
            "id": IDS,
            "group_id": IDS,
            "crop_id": IDS,
            "scheme": st.sampled_from([s.value for s in Scheme]),
            "weeks": st.dictionaries(DAYS.map(iso_week), QUANTITIES, min_size=1, max_size=6),
            "asking_price": st.none() | PRICES,
        }
    ),
    "supply.withdraw": _action("supply_id"),
    "order.submit": _order(),
    "order.cancel": _action("order_id"),
    "order.cancel_delivery": st.fixed_dictionaries(
        {"order_id": IDS, "crop_id": FREE, "date": DAYS.map(_iso), "reason": IDS}
    ),
    "round.request": st.fixed_dictionaries({"crops": st.lists(IDS, max_size=4)}),
    "buyer.days_off": st.fixed_dictionaries(
        {
            "buyer_id": IDS,
            "non_delivery_weekdays": st.lists(
                st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), max_size=6
            ),
            "non_delivery_dates": st.lists(DAYS.map(_iso), max_size=4),
        }
    ),
    "certificate.revoke": st.fixed_dictionaries(
        {
            "certificate_id": IDS,
            "revoked_on": DAYS.map(_iso),
            "group_id": FREE,
            "reason": FREE,
        }
    ),
    "contract.accept": _CONTRACT,
    "contract.reject": _CONTRACT,
    "contract.cancel": _CONTRACT,
    "delivery.confirm": st.fixed_dictionaries(
        {
            "contract_id": IDS,
            "crop_id": FREE,
            "date": DAYS.map(_iso),
            "received": COUNTS,
            "refused": COUNTS,
        }
    ),
    "contract.amend": st.fixed_dictionaries(
        {
            "contract_id": IDS,
            "crop_id": FREE,
            "agreed_by": IDS,
            "deliveries": st.lists(
                st.fixed_dictionaries(
                    {"date": DAYS.map(_iso), "new_date": DAYS.map(_iso), "quantity": COUNTS}
                ),
                min_size=1,
                max_size=4,
            ),
            "reason": FREE,
        }
    ),
}
KINDS = sorted(BODIES)


@st.composite
def valid_envelopes(draw: st.DrawFn) -> tuple[str, Json]:
    kind = draw(st.sampled_from(KINDS))
    body = draw(BODIES[kind])
    return kind, envelope(kind, body, draw(IDS.filter(lambda s: len(s) <= 200)), draw(FREE))


def raw(data: Any) -> bytes:
    """JSON as a producer might write it: UTF-8, NaN and Infinity as Python writes them, and a
    lone surrogate escaped (``\\ud800``), the only way valid UTF-8 can carry one."""
    try:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True).encode("ascii")


def test_every_inbound_type_has_a_strategy() -> None:
    assert set(BODIES) == set(INBOUND_TYPES)


# --- any bytes: a command or a DecodeError, nothing else --------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=25,
)


@st.composite
def envelopes_with_any_body(draw: st.DrawFn) -> Json:
    """A plausible envelope around an arbitrary body: reaches the body decoders."""
    return {
        "type": draw(st.sampled_from(KINDS) | st.text(max_size=12)),
        "version": draw(st.sampled_from([1, 1, 1, 2, "1", None])),
        "message_id": draw(st.text(max_size=10)),
        "body": draw(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=8)),
    }


@st.composite
def bodies_with_one_key_changed(draw: st.DrawFn) -> Json:
    """A valid envelope whose body has one key set to an arbitrary JSON value."""
    kind, message = draw(valid_envelopes())
    fields = sorted(INBOUND_TYPES[kind].body.model_fields)
    message["body"][draw(st.sampled_from(fields))] = draw(JSON_VALUES)
    return message


ANY_BYTES = st.one_of(
    st.binary(max_size=512),
    JSON_VALUES.map(raw),
    envelopes_with_any_body().map(raw),
    bodies_with_one_key_changed().map(raw),
)


def decodes_or_refuses(message: bytes) -> commands.Command | DecodeError:
    """The command, or the refusal; any other exception fails the test."""
    try:
        return decode_command(message)
    except DecodeError as err:
        refusal = err
    assert refusal.field, "a refusal names a field"
    return refusal


@FUZZ
@given(ANY_BYTES)
def test_any_bytes_decode_to_a_command_or_a_decode_error(message: bytes) -> None:
    outcome = decodes_or_refuses(message)
    if not isinstance(outcome, DecodeError):
        assert isinstance(outcome, commands.Command)
        # What was accepted can be written to the wire again (and is read back the same).
        assert decode_command(encode_command(outcome).value) == outcome


@pytest.mark.parametrize(
    ("message", "field"),
    [
        (None, "value"),
        (b"", "value"),
        (b"\xff\xfe{}", "value"),
        (b"[" * 200_000, "value"),  # nested beyond the parser's recursion limit
        (b"{" + b'"a":{' * 100_000 + b"}" * 100_001, "value"),
        (
            b'{"type": "round.request", "version": 1, "message_id": "m", "body": {"crops": '
            + b"[" * 50_000
            + b"]" * 50_000
            + b"}}",
            "value",
        ),
        (b" " * (MAX_MESSAGE_BYTES + 1), "value"),
        (b"[]", "value"),
        (b'"text"', "value"),
        (b"NaN", "value"),
        (b"null", "value"),
    ],
    ids=[
        "tombstone",
        "empty",
        "not-utf8",
        "deep-array",
        "deep-object",
        "deep-body",
        "too-big",
        "array",
        "string",
        "nan",
        "null",
    ],
)
def test_hostile_messages_are_refused_as_a_whole(message: bytes | None, field: str) -> None:
    with pytest.raises(DecodeError) as refused:
        decode_command(message)
    assert refused.value.field == field


# --- valid messages round-trip ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@settings(FUZZ, max_examples=60)
@given(data=st.data())
def test_a_valid_message_decodes_and_its_command_round_trips(
    kind: str, data: st.DataObject
) -> None:
    body = data.draw(BODIES[kind], label="body")
    message_id = data.draw(IDS.filter(lambda s: len(s) <= 200), label="message_id")
    actor = data.draw(FREE, label="actor")
    sent = encode_body(kind, body, message_id, actor)
    assert sent.topic is INBOUND_TYPES[kind].topic

    first = decode_command(sent.value, sent.topic)
    assert (first.message_id, first.actor) == (message_id, actor)
    assert command_body(first)[0] == kind

    again = encode_command(first)
    assert again.topic is sent.topic
    assert again.key == sent.key or not sent.key
    assert decode_command(again.value, again.topic) == first


# --- one bad field: refused, by name ----------------------------------------------------------


def places(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every place below ``value`` (objects' fields, lists' items) with what it holds."""
    items: list[tuple[str | int, Any]]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return
    for key, item in items:
        yield (*path, key), item
        yield from places(item, (*path, key))


def set_at(data: Json, path: Path, value: Any) -> None:
    target: Any = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def field_name(path: Path) -> str:
    """A place's name in a refusal: a place in the body by its path in the body (``buyer_id``,
    ``deliveries.0.quantity``), the envelope's own fields by their name."""
    if len(path) > 1 and path[0] == "body":
        path = path[1:]
    return ".".join(str(p) for p in path)


def names(field: str, path: Path) -> bool:
    """Whether a refusal's ``field`` is the place ``path`` (or within it)."""
    name = field_name(path)
    return field == name or field.startswith(name + ".")


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def wrong_type(original: Any) -> Any:
    """A value no field of the original's kind accepts: an object where a list, a scalar or
    nothing was, a list where an object was."""
    return [["wrong"]] if isinstance(original, dict) else {"wrong": [1]}


HUGE = [10**30, -(10**30), 1e308, -1e308]
NOT_FINITE = [math.nan, math.inf, -math.inf]
SURROGATE = "\ud800"


def required(kind: str, path: Path) -> bool:
    """Whether the field at ``path`` (the envelope's or the body's own) must be present."""
    from matcher.adapters.wire import Envelope

    if len(path) == 1:
        return Envelope.model_fields[str(path[0])].is_required()
    if len(path) == 2 and path[0] == "body":
        fields = INBOUND_TYPES[kind].body.model_fields
        return str(path[1]) in fields and fields[str(path[1])].is_required()
    return False


Mutation = Callable[[Any], Any]
REFUSED_BY_NAME: dict[str, st.SearchStrategy[Mutation]] = {
    "wrong type": st.just(wrong_type),
    "huge number": st.sampled_from(HUGE).map(lambda v: lambda _: v),
    "NaN or infinity": st.sampled_from(NOT_FINITE).map(lambda v: lambda _: v),
    "deep nesting": st.integers(20, 400).map(lambda n: lambda _: nested(n)),
    "lone surrogate": st.just(lambda _: SURROGATE),
}


@FUZZ
@given(valid_envelopes(), st.sampled_from(sorted(REFUSED_BY_NAME)), st.data())
def test_one_bad_value_is_refused_naming_its_field(
    valid: tuple[str, Json], mutation: str, data: st.DataObject
) -> None:
    _, message = valid
    path, original = data.draw(st.sampled_from(list(places(message))), label="field")
    set_at(message, path, data.draw(REFUSED_BY_NAME[mutation], label=mutation)(original))
    outcome = decodes_or_refuses(raw(message))
    assert isinstance(outcome, DecodeError), f"{mutation} at {field_name(path)} was accepted"
    assert names(outcome.field, path), (field_name(path), str(outcome))


@FUZZ
@given(valid_envelopes(), st.data())
def test_a_missing_field_is_refused_by_name_when_required(
    valid: tuple[str, Json], data: st.DataObject
) -> None:
    kind, message = valid
    fields = [p for p, _ in places(message) if len(p) == 1 or p[0] == "body"]
    path = data.draw(st.sampled_from(fields), label="field")
    target: Any = message
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]  # a list's item: one less, still valid or refused by name
    outcome = decodes_or_refuses(raw(message))
    if required(kind, path):
        assert isinstance(outcome, DecodeError), f"{field_name(path)} is required"
        assert names(outcome.field, path), (field_name(path), str(outcome))


@FUZZ
@given(valid_envelopes(), st.data())
def test_an_extra_field_is_refused_by_name(valid: tuple[str, Json], data: st.DataObject) -> None:
    _, message = valid
    objects = [()] + [
        p for p, v in places(message) if isinstance(v, dict) and p != ("body", "weeks")
    ]
    path = data.draw(st.sampled_from(objects), label="object")
    target: Any = message
    for key in path:
        target = target[key]
    target["unexpected_field"] = data.draw(JSON_VALUES, label="value")
    outcome = decodes_or_refuses(raw(message))
    assert isinstance(outcome, DecodeError)
    extra = field_name((*path, "unexpected_field"))
    # the extra field itself, or text inside it no database can hold (a NUL, say)
    assert outcome.field == extra or outcome.field.startswith(extra + "."), str(outcome)


@FUZZ
@given(valid_envelopes(), st.data())
def test_a_very_long_string_is_refused_by_name_or_taken(
    valid: tuple[str, Json], data: st.DataObject
) -> None:
    _, message = valid
    strings = [p for p, v in places(message) if isinstance(v, str)]
    path = data.draw(st.sampled_from(strings), label="field")
    size = data.draw(st.sampled_from([10_000, 300_000, MAX_MESSAGE_BYTES + 1]), label="size")
    set_at(message, path, "x" * size)
    outcome = decodes_or_refuses(raw(message))
    if size > MAX_MESSAGE_BYTES:
        assert isinstance(outcome, DecodeError)
        assert outcome.field == "value"
    elif isinstance(outcome, DecodeError):
        assert names(outcome.field, path), (field_name(path), str(outcome))


@FUZZ
@given(valid_envelopes(), st.data())
def test_invalid_utf8_anywhere_is_refused_as_the_value(
    valid: tuple[str, Json], data: st.DataObject
) -> None:
    _, message = valid
    strings = [p for p, v in places(message) if isinstance(v, str)]
    set_at(message, data.draw(st.sampled_from(strings), label="field"), "@@BYTES@@")
    bad = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]))
    outcome = decodes_or_refuses(raw(message).replace(b"@@BYTES@@", bad))
    assert isinstance(outcome, DecodeError)
    assert outcome.field == "value"
    assert "UTF-8" in outcome.reason


def test_decode_errors_are_domain_errors() -> None:
    """A worker that catches the domain's errors catches every refusal of the codec."""
    assert issubclass(DecodeError, DomainError)


def test_a_body_that_is_not_an_object_is_refused_as_the_body() -> None:
    bodies: list[Any] = [[], "x", 1, None]
    for body in bodies:
        message = {"type": "round.request", "version": 1, "message_id": "m", "body": body}
        with pytest.raises(DecodeError) as refused:
            decode_command(raw(message))
        assert refused.value.field == "body"
