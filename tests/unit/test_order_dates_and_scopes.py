"""Input the matcher used to read in silence: a delivery date given twice, a lowercase scope.

A date given twice in an order is refused, naming both places, by the domain, so the instance
loader, the wire decoder (the Kafka worker dead-letters the message) and the API (422, in
``tests/e2e/test_api_errors.py``) all refuse it. A scope in a custom standards relation matches
whatever its case, as the certificates' scopes do.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest

from matcher.adapters.topics import Topic
from matcher.adapters.wire import DecodeError, decode_command, encode_body
from matcher.domain.errors import InvalidValue
from matcher.domain.model import Certificate, ForwardOrder
from matcher.domain.standards import Scheme, StandardsRelation, Tier
from matcher.optimiser.schema import InstanceError, parse_instance
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from matcher.service import codec
from tests.support.agents import deliver, make_worker, wire
from tests.support.builders import DELIVERY, STANDARDS, InstanceBuilder

LATER = DELIVERY + timedelta(days=7)
MESSAGE = f"{DELIVERY.isoformat()} is given twice (at positions 0 and 1)"


def order(*days: date) -> ForwardOrder:
    return ForwardOrder("o1", "h1", "kale", 60, days, Tier.SAFE, max_price=3000)


def test_an_order_giving_a_delivery_date_twice_is_refused_naming_both_places() -> None:
    with pytest.raises(InvalidValue) as refused:
        order(DELIVERY, LATER, DELIVERY)
    assert refused.value.field == "deliveries"
    assert refused.value.reason.startswith(
        f"{DELIVERY.isoformat()} is given twice (at positions 0 and 2)"
    )
    assert "give each delivery date once" in refused.value.reason


def test_an_order_with_distinct_dates_keeps_them_in_date_order() -> None:
    assert order(LATER, DELIVERY).deliveries == (DELIVERY, LATER)


def test_an_instance_with_a_date_given_twice_is_refused_with_the_order_s_place() -> None:
    doc = InstanceBuilder().buyer("h1").order("o1", "h1", deliveries=[DELIVERY, DELIVERY]).build()
    with pytest.raises(InstanceError) as refused:
        parse_instance(doc)
    (problem,) = refused.value.problems
    assert "orders[0].deliveries" in problem
    assert MESSAGE in problem


def order_message(days: list[date]) -> tuple[bytes, bytes]:
    body: dict[str, Any] = codec.dump_order(order(DELIVERY)) | {
        "deliveries": [d.isoformat() for d in days]
    }
    return wire(encode_body("order.submit", body, "m-twice", "test"))


def test_a_wire_message_giving_a_date_twice_does_not_decode() -> None:
    _, value = order_message([DELIVERY, DELIVERY])
    with pytest.raises(DecodeError) as refused:
        decode_command(value, Topic.ORDERS)
    assert refused.value.field == "deliveries"
    assert MESSAGE in refused.value.reason


def test_a_wire_message_giving_a_date_twice_is_dead_lettered_with_the_reason() -> None:
    worker = make_worker()

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, [order_message([LATER, LATER])]))

    assert outcomes == ["rejected"]
    [record] = worker.dead.records
    assert record["field"] == "deliveries"
    assert f"{LATER.isoformat()} is given twice" in record["reason"]
    assert worker.store.orders == {}


# Scopes -----------------------------------------------------------------------------------


def relation(scope: str) -> StandardsRelation:
    raw = {"schemes": {"ACT_IFOAM": {"satisfies": ["SAFE"], "satisfies_with_scope": {"EU": scope}}}}
    return StandardsRelation.from_mapping(raw)


@pytest.mark.parametrize(
    ("in_relation", "on_certificate"), [("eu", "EU"), ("EU", "eu"), ("Eu", "eU")]
)
def test_a_scope_matches_whatever_its_case(in_relation: str, on_certificate: str) -> None:
    cert = Certificate(
        "c1",
        "g1",
        Scheme.ACT_IFOAM,
        date(2026, 1, 1),
        date(2027, 12, 31),
        scopes=frozenset({on_certificate}),
    )
    assert relation(in_relation).satisfies(Scheme.ACT_IFOAM, Tier.EU, cert.scopes)
    assert not relation(in_relation).satisfies(Scheme.ACT_IFOAM, Tier.COR, cert.scopes)


def test_an_eu_order_is_filled_by_a_group_whose_scope_the_custom_relation_writes_in_lowercase() -> (
    None
):
    b = InstanceBuilder().parameters(fairness="off", continuity_weight=0)
    b.doc["standards"] = {
        "schemes": STANDARDS["schemes"]
        | {
            "ACT_IFOAM": {
                "satisfies": ["ANY", "SAFE", "ORGANIC", "ORGANIC_CERTIFIED"],
                "satisfies_with_scope": {"EU": "eu", "COR": "cor"},
            }
        }
    }
    b.group("g1").certificate("g1", "ACT_IFOAM", scopes=["EU"])
    b.supply("s1", "g1", scheme="ACT_IFOAM")
    b.buyer("h1").order("o1", "h1", quantity=40, min_tier="EU")
    b.buyer("h2").order("o2", "h2", quantity=40, min_tier="COR")
    instance = b.instance()

    solution = solve(instance)

    assert [(a.order_id, a.quantity) for a in solution.allocations] == [("o1", 40)]
    assert [(u.order_id, u.reason.value) for u in solution.unfilled] == [("o2", "standard_not_met")]
    assert validate(instance, solution).ok
