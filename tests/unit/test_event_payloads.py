"""Events hold domain values; their key and payload are derived. Each event's payload is pinned
here, as JSON text, to the body the outbox stored when handlers built it from the codec's dump
functions: the wire form of every event stays byte for byte what consumers read."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from matcher.domain.contracts import CancelledDelivery, ContractState, MatchingRound, RoundStatus
from matcher.domain.lifecycle import (
    Change,
    Settled,
    accept,
    amend,
    cancel,
    confirm_delivery,
    expire,
    reject,
    release_day,
    release_from,
)
from matcher.service import codec, events
from tests.support.lifecycle_store import BUYER, GROUP, T0, WED_50, WED_51, WED_52, contract
from tests.support.participants import buyer, certificate, group, order, supply

Json = dict[str, Any]


@dataclass(frozen=True)
class Case:
    event: events.Event
    key: str
    payload: Json


def change_payload(change: Change) -> Json:
    """A contract event's body as record_change wrote it."""
    return codec.dump_contract(change.contract) | {
        "change": codec.dump_history_entry(change.entry),
        "released": [codec.dump_release(r) for r in change.released],
    }


def changes() -> dict[str, Change]:
    """One change of each kind, on contract c1 (three weekly deliveries of 40 kale)."""
    proposed = contract("c1")
    accepted = accept(proposed, GROUP, T0 + timedelta(hours=1))
    confirmed = confirm_delivery(
        accepted.contract,
        BUYER,
        T0 + timedelta(days=8),
        WED_50,
        Settled(received=30, refused=5, reason="not_fresh"),
    )
    last = contract("c2", days=(WED_50,), state=ContractState.ACCEPTED)
    completed = confirm_delivery(
        last, BUYER, T0 + timedelta(days=8), WED_50, Settled(received=40, refused=0)
    )
    return {
        "ContractAccepted": accepted,
        "ContractRejected": reject(proposed, GROUP, T0 + timedelta(hours=2), "no lorry"),
        "ContractExpired": expire(proposed, T0 + timedelta(days=4)),
        "ContractCancelled": cancel(
            accepted.contract, BUYER, T0 + timedelta(days=2), "kitchen closed"
        ),
        "ContractAmended": amend(
            accepted.contract,
            GROUP,
            T0 + timedelta(days=2),
            {WED_51: (WED_51, 25), WED_52: (WED_52, 0)},
            agreed_by=BUYER,
            reason="smaller harvest",
        ),
        "DeliveryConfirmed": confirmed,
        "DeliveriesReleased": release_from(
            accepted.contract, T0 + timedelta(days=3), WED_51, "PGS certificate not valid"
        ),
        "ContractDeliveryCancelled": release_day(
            accepted.contract, BUYER, T0 + timedelta(days=3), WED_51, "ward closed that week"
        ),
        "ContractCompleted": completed,
    }


def wordy_round() -> MatchingRound:
    """A round with more notes than its event carries, one of them too long to carry whole."""
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    return MatchingRound(
        id="rnd-1",
        trigger="debounce",
        started_at=at,
        finished_at=at + timedelta(seconds=2),
        status=RoundStatus.COMPLETED,
        solver="flow",
        solver_status="optimal",
        summary={"demand": 80, "filled": 40, "markets": ["kale"], "gap": None},
        contract_ids=("rnd-1-0001", "rnd-1-0002"),
        notes=("ก" * 1_500, *(f"note {n}" for n in range(30))),
    )


CANCELLED = CancelledDelivery(
    date(2026, 12, 16), "ward closed", "buyer:h1", datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
)


def cases() -> dict[str, Case]:
    """Every event type, built as its handler builds it, with the key and payload it had."""
    g, b, s, o = group(), buyer(), supply(), order()
    cert = certificate()
    revoked = replace(cert, revoked_on=date(2026, 12, 1))
    offered = contract("c1")
    made = wordy_round()
    out = {
        "GroupRegistered": Case(events.GroupRegistered(group=g), g.id, codec.dump_group(g)),
        "BuyerRegistered": Case(events.BuyerRegistered(buyer=b), b.id, codec.dump_buyer(b)),
        "BuyerDaysOffChanged": Case(
            events.BuyerDaysOffChanged(
                buyer=replace(
                    b, non_delivery_weekdays=("sun",), non_delivery_dates=(date(2027, 3, 19),)
                ),
                actor="buyer:" + b.id,
            ),
            b.id,
            {
                "buyer_id": b.id,
                "non_delivery_weekdays": ["sun"],
                "non_delivery_dates": ["2027-03-19"],
                "actor": "buyer:" + b.id,
            },
        ),
        "CertificateRegistered": Case(
            events.CertificateRegistered(certificate=cert),
            cert.group_id,
            codec.dump_certificate(cert),
        ),
        "CertificateRevoked": Case(
            events.CertificateRevoked(certificate=revoked, reason="audit", actor="coordinator:x"),
            cert.group_id,
            codec.dump_certificate(revoked) | {"reason": "audit", "actor": "coordinator:x"},
        ),
        "SupplyAnnounced": Case(events.SupplyAnnounced(supply=s), "kale", codec.dump_supply(s)),
        "SupplyWithdrawn": Case(
            events.SupplyWithdrawn(supply=s, reason="hail", actor="group:g1"),
            "kale",
            {"id": "s1", "reason": "hail", "actor": "group:g1"},
        ),
        "OrderSubmitted": Case(events.OrderSubmitted(order=o), "kale", codec.dump_order(o)),
        "OrderCancelled": Case(
            events.OrderCancelled(order=o, reason="", actor="system"),
            "kale",
            {"id": "o1", "reason": "", "actor": "system"},
        ),
        "OrderDeliveryCancelled": Case(
            events.OrderDeliveryCancelled(order=o, cancelled=CANCELLED),
            "kale",
            {
                "id": "o1",
                "buyer_id": "h1",
                "date": "2026-12-16",
                "reason": "ward closed",
                "actor": "buyer:h1",
                "cancelled_at": "2026-12-01T08:00:00+00:00",
            },
        ),
        "ContractProposed": Case(
            events.ContractProposed(contract=offered), "kale", codec.dump_contract(offered)
        ),
        "RoundCompleted": Case(
            events.RoundCompleted(round=made), "rounds", codec.dump_round_event(made)
        ),
    }
    for name, change in changes().items():
        kind = events.EVENT_TYPES[name]
        assert issubclass(kind, events.ContractChanged)
        out[name] = Case(kind(change=change), "kale", change_payload(change))
    return out


CASES = cases()


def test_every_event_type_is_pinned() -> None:
    assert set(CASES) == set(events.EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_events_payload_is_byte_for_byte_the_body_it_had(name: str) -> None:
    case = CASES[name]
    assert json.dumps(case.event.payload) == json.dumps(case.payload)
    assert json.dumps(case.event.payload, ensure_ascii=False) == json.dumps(
        case.payload, ensure_ascii=False
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_events_key_and_name_are_those_it_had(name: str) -> None:
    case = CASES[name]
    assert case.event.key == case.key
    assert case.event.name == name
    assert type(case.event) is events.EVENT_TYPES[name]


def test_the_contract_events_carry_what_they_released() -> None:
    released = CASES["DeliveriesReleased"].event.payload["released"]
    assert [r["date"] for r in released] == [WED_51.isoformat(), WED_52.isoformat()]


def test_a_contract_completed_event_has_the_body_of_the_change_that_completed_it() -> None:
    completed = CASES["ContractCompleted"].event
    assert isinstance(completed, events.ContractCompleted)
    assert completed.payload == events.DeliveryConfirmed(change=completed.change).payload
    assert completed.contract.state is ContractState.COMPLETED


def test_a_round_event_cuts_its_notes() -> None:
    notes = CASES["RoundCompleted"].event.payload["notes"]
    assert len(notes) == codec.ROUND_EVENT_NOTES
    assert len(notes[0]) == codec.ROUND_EVENT_NOTE_CHARS


def test_a_payload_is_a_new_dict_at_each_read() -> None:
    event = CASES["OrderSubmitted"].event
    event.payload["id"] = "changed"
    assert event.payload["id"] == "o1"


def test_an_event_cannot_be_changed() -> None:
    event = events.OrderSubmitted(order=order())
    with pytest.raises(FrozenInstanceError, match="order"):
        event.order = order("o2")  # type: ignore[misc]


def test_a_delivery_confirmed_event_carries_the_refusals_reason() -> None:
    """The fields added for the reason of a refusal: on every delivery (null where nothing was
    refused) and in the change's details only when something was refused."""
    payload = CASES["DeliveryConfirmed"].event.payload
    [done] = [d for d in payload["deliveries"] if d["state"] == "delivered"]
    assert (done["refused"], done["refusal_reason"], done["refusal_note"]) == (5, "not_fresh", None)
    rest = [d for d in payload["deliveries"] if d["state"] == "scheduled"]
    assert rest
    assert all((d["refusal_reason"], d["refusal_note"]) == (None, None) for d in rest)
    assert payload["change"]["details"] == {
        "date": WED_50.isoformat(),
        "contracted": 40,
        "received": 30,
        "refused": 5,
        "refusal_reason": "not_fresh",
    }
    completed = CASES["ContractCompleted"].event.payload["change"]["details"]
    assert "refusal_reason" not in completed
