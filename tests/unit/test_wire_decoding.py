"""The wire decoder's refusals name their field in one style and say what is wrong; outbound
events carry their body's version, and a round's event does not grow with the round."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from matcher.adapters.topics import Topic
from matcher.adapters.wire import (
    MAX_MESSAGE_BYTES,
    DecodeError,
    decode_command,
    encode_body,
    encode_event,
    wire_schemas,
)
from matcher.domain.contracts import MatchingRound, RoundStatus, UnfilledLine
from matcher.service import codec, commands
from matcher.service.canonical import command_body, command_digest
from tests.support.market import order_body


def envelope(body: dict[str, Any], **fields: Any) -> bytes:
    data = {"type": "order.submit", "version": 1, "message_id": "m-1", "body": body} | fields
    return json.dumps(data).encode()


def refusal(raw: bytes | None) -> DecodeError:
    with pytest.raises(DecodeError) as refused:
        decode_command(raw, Topic.ORDERS)
    return refused.value


@pytest.mark.parametrize("version", [2, 0, 17])
def test_an_unknown_version_is_refused_saying_which_version_the_worker_reads(version: int) -> None:
    refused = refusal(envelope(order_body("o1", "b1"), version=version))

    assert refused.field == "version"
    assert refused.reason == f"version {version} is not known; this worker reads version 1"


@pytest.mark.parametrize(("version", "shown"), [("1", '"1"'), (None, "null"), (True, "true")])
def test_a_version_that_is_not_a_number_is_refused_saying_so(version: Any, shown: str) -> None:
    refused = refusal(envelope(order_body("o1", "b1"), version=version))

    assert refused.field == "version"
    assert refused.reason == f"version {shown} is not a version number; this worker reads version 1"


def test_fields_of_the_body_are_named_by_their_path_in_the_body_as_handlers_name_them() -> None:
    missing = refusal(
        envelope({k: v for k, v in order_body("o1", "b1").items() if k != "buyer_id"})
    )
    zero = refusal(envelope(order_body("o1", "b1", quantity=0)))
    wrong_type = refusal(envelope({"order_id": 7}, type="order.cancel"))

    assert missing.field == "buyer_id"  # as an unknown buyer is named by the handler
    assert zero.field == "quantity"
    assert wrong_type.field == "order_id"
    assert not any(f.startswith("body.") for f in (missing.field, zero.field, wrong_type.field))


def test_a_nested_body_field_is_named_by_its_path_and_envelope_fields_by_their_name() -> None:
    amend = {
        "contract_id": "c1",
        "agreed_by": "b1",
        "deliveries": [{"date": "2026-12-09", "new_date": "2026-12-10", "quantity": -1}],
    }
    with pytest.raises(DecodeError) as nested:
        decode_command(envelope(amend, type="contract.amend"), Topic.CONTRACT_RESPONSES)
    no_id = refusal(envelope(order_body("o1", "b1"), message_id=""))
    half = refusal(envelope(order_body("o1", "b1") | {"name": "\ud800"}))

    assert nested.value.field == "deliveries.0.quantity"
    assert no_id.field == "message_id"
    assert half.field == "name"


@pytest.mark.parametrize(
    "raw",
    [None, b"\xff\xfe", b"{not json", b"[1, 2]", b"x" * (MAX_MESSAGE_BYTES + 1)],
    ids=["tombstone", "not-utf8", "not-json", "not-an-object", "too-large"],
)
def test_a_message_that_is_not_an_envelope_at_all_is_refused_on_field_value(
    raw: bytes | None,
) -> None:
    assert refusal(raw).field == "value"


def round_record(contracts: int) -> MatchingRound:
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    line = UnfilledLine("o1", "b1", "kale", date(2026, 12, 9), "2026-W50", 5, "no_supply", "none")
    return MatchingRound(
        id="rnd-1",
        trigger="request",
        started_at=at,
        finished_at=at,
        status=RoundStatus.COMPLETED,
        solver="flow",
        solver_status="optimal",
        summary={"contracts": contracts, "markets": ["kale"]},
        contract_ids=tuple(f"rnd-1-{n:06d}" for n in range(contracts)),
        unfilled=(line,),
        notes=("n" * 5_000,) * 50,
    )


def test_a_round_event_carries_counts_and_references_whatever_the_rounds_size() -> None:
    small = encode_event("RoundCompleted", "rounds", codec.dump_round_event(round_record(3)), "e1")
    large = codec.dump_round_event(round_record(107_207))
    event = encode_event("RoundCompleted", "rounds", large, "evt-2")
    envelope_ = json.loads(event.value)

    assert envelope_["type"] == "round.completed"
    assert envelope_["version"] == 2
    body = envelope_["body"]
    assert "contract_ids" not in body
    assert body["contracts"] == 107_207
    assert body["contracts_url"] == "/api/v1/contracts?round_id=rnd-1"
    assert body["round_url"] == "/api/v1/rounds/rnd-1"
    assert body["unfilled_lines"] == 1
    assert len(body["notes"]) == 20
    assert all(len(n) <= 1_000 for n in body["notes"])
    grown = len(event.value) - len(small.value)
    assert grown <= 2 * len("107207") + len("evt-2")  # the counts' digits, not the ids
    assert len(event.value) < 30_000


def test_the_round_event_schema_is_printed_with_the_inbound_ones_and_validates_an_event() -> None:
    from matcher.adapters.wire import RoundCompletedBody

    schemas = wire_schemas()
    body = codec.dump_round_event(round_record(2))

    assert "round.completed" in schemas
    assert "version 2" in schemas["round.completed"]["title"]
    assert RoundCompletedBody.model_validate(body).contracts == 2


def test_other_events_stay_at_version_1() -> None:
    event = encode_event("OrderSubmitted", "kale", {"id": "o1"}, "evt-1")

    assert json.loads(event.value)["version"] == 1


def test_the_digest_of_a_command_is_the_same_however_its_message_was_written() -> None:
    body = order_body("o1", "b1")
    reordered = dict(reversed(list(body.items())))
    one = decode_command(encode_body("order.submit", body, "m-1", "a").value)
    two = decode_command(encode_body("order.submit", reordered, "m-1", "someone else").value)
    other = decode_command(encode_body("order.submit", body | {"quantity": 81}, "m-1", "a").value)
    assert isinstance(one, commands.SubmitOrder)

    assert command_digest(one) == command_digest(two)
    assert command_digest(one) != command_digest(other)
    assert len(command_digest(one)) == 64


CONFIRM = {"contract_id": "c1", "date": "2026-12-09", "received": 30, "refused": 0}


def test_a_confirmation_written_before_refusal_reasons_existed_reads_and_digests_as_before() -> (
    None
):
    raw = encode_body("delivery.confirm", CONFIRM, "m-1", "buyer:b1").value
    old = decode_command(raw)
    assert isinstance(old, commands.ConfirmDelivery)
    assert (old.refusal_reason, old.refusal_note) == (None, None)
    # The canonical body of a confirmation without a reason has no reason fields at all.
    assert command_body(old)[1] == {"crop_id": "", **CONFIRM}


def test_a_confirmation_carries_the_refusals_reason_and_note_through_the_wire() -> None:
    body = CONFIRM | {"refused": 5, "refusal_reason": "other", "refusal_note": "ถุงขาด"}
    decoded = decode_command(encode_body("delivery.confirm", body, "m-1", "buyer:b1").value)
    assert isinstance(decoded, commands.ConfirmDelivery)
    assert (decoded.refused, decoded.refusal_reason, decoded.refusal_note) == (5, "other", "ถุงขาด")
    assert command_body(decoded)[1] == {"crop_id": "", **body}
    plain = decode_command(encode_body("delivery.confirm", CONFIRM, "m-1", "buyer:b1").value)
    assert command_digest(decoded) != command_digest(plain)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"refusal_reason": "ugly"}, "refusal_reason"),
        ({"refusal_reason": "other", "refusal_note": "x" * 201}, "refusal_note"),
    ],
)
def test_a_confirmations_bad_refusal_fields_are_refused_naming_them(
    extra: dict[str, Any], field: str
) -> None:
    body = CONFIRM | {"refused": 5} | extra
    raw = envelope(body, type="delivery.confirm")
    with pytest.raises(DecodeError) as refused:
        decode_command(raw)
    assert refused.value.field == field
