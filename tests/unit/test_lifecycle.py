"""The forward contract's lifecycle: legal moves, illegal ones refused, quantities released."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from matcher.domain.contracts import (
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    RefusalReason,
)
from matcher.domain.errors import Conflict, InvalidValue
from matcher.domain.lifecycle import (
    Actor,
    Party,
    Settled,
    accept,
    amend,
    bound_quantity,
    cancel,
    confirm_delivery,
    expire,
    reject,
    release_from,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week

MADE = datetime(2026, 12, 1, 8, 0)
DAYS = [date(2026, 12, 9), date(2026, 12, 16), date(2026, 12, 23)]
GROUP = Actor(Party.GROUP, "grp-001")
BUYER = Actor(Party.BUYER, "hosp-1")
OTHER_GROUP = Actor(Party.GROUP, "grp-002")
COORDINATOR = Actor(Party.COORDINATOR, "ana")


def contract(state: ContractState = ContractState.PROPOSED, quantity: int = 100) -> Contract:
    return Contract(
        id="c-1",
        round_id="rnd-1",
        order_id="ord-1",
        buyer_id="hosp-1",
        group_id="grp-001",
        supply_id="sup-1",
        crop_id="kale",
        scheme=Scheme.PGS,
        min_tier=Tier.ORGANIC,
        unit_price=3500,
        deliveries=tuple(ContractDelivery(d, iso_week(d), quantity, 12.5) for d in DAYS),
        state=state,
        created_at=MADE,
        proposal_expires_at=MADE + timedelta(hours=72),
    )


def refused(call: object, *args: object, **kwargs: object) -> str:
    """Call a transition that must be refused; return the message."""
    with pytest.raises((Conflict, InvalidValue)) as err:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(err.value)


def test_the_group_accepts_a_proposal_before_its_deadline() -> None:
    change = accept(contract(), GROUP, MADE + timedelta(hours=1))
    assert change.contract.state is ContractState.ACCEPTED
    assert change.released == ()
    [entry] = change.contract.history
    assert (entry.actor, entry.action, entry.from_state, entry.to_state) == (
        "group:grp-001",
        "accept",
        "proposed",
        "accepted",
    )


def test_only_the_contracts_group_accepts_and_only_in_time() -> None:
    c = contract()
    assert "not a party" in refused(accept, c, OTHER_GROUP, MADE)
    assert "by the group only" in refused(accept, c, BUYER, MADE)
    assert "expired" in refused(accept, c, GROUP, MADE + timedelta(hours=72))
    assert c == contract()  # nothing changed


def test_illegal_transitions_are_refused_with_the_state_named() -> None:
    cancelled = contract(ContractState.CANCELLED)
    message = refused(accept, cancelled, GROUP, MADE)
    assert "is cancelled" in message
    assert "only a contract that is proposed can be accepted" in (message)
    accepted = contract(ContractState.ACCEPTED)
    assert "is accepted" in refused(reject, accepted, GROUP, MADE)
    assert "is accepted" in refused(expire, accepted, MADE + timedelta(days=9))
    assert "is cancelled" in refused(cancel, cancelled, BUYER, MADE, "again")
    proposed = contract()
    assert "only a contract that is accepted or in_delivery" in refused(
        confirm_delivery, proposed, BUYER, MADE, DAYS[0], Settled(100, 0)
    )


def test_a_rejection_returns_every_delivery_to_the_book() -> None:
    change = reject(contract(), GROUP, MADE, "no pickup truck that week")
    assert change.contract.state is ContractState.REJECTED
    assert [(r.day, r.demand, r.supply, r.cause) for r in change.released] == [
        (d, 100, 100, "rejected by the group") for d in DAYS
    ]
    assert all(d.state is DeliveryState.RELEASED for d in change.contract.deliveries)
    assert change.entry.reason == "no pickup truck that week"


def test_a_proposal_expires_only_at_its_deadline() -> None:
    c = contract()
    assert "not reached its deadline" in refused(expire, c, MADE + timedelta(hours=71))
    change = expire(c, MADE + timedelta(hours=72))
    assert change.contract.state is ContractState.EXPIRED
    assert change.entry.actor == "system"
    assert sum(r.demand for r in change.released) == 300


def test_cancelling_needs_a_reason_and_keeps_what_was_delivered() -> None:
    accepted = accept(contract(), GROUP, MADE).contract
    delivered = confirm_delivery(accepted, BUYER, MADE, DAYS[0], Settled(100, 0)).contract
    assert "say why" in refused(cancel, delivered, BUYER, MADE, "  ")
    assert "not a party" in refused(cancel, delivered, Actor(Party.BUYER, "hosp-9"), MADE, "x")
    change = cancel(delivered, BUYER, MADE, "kitchen closed for renovation")
    assert change.contract.state is ContractState.CANCELLED
    assert [r.day for r in change.released] == DAYS[1:]
    assert change.contract.deliveries[0].state is DeliveryState.DELIVERED
    assert cancel(contract(), COORDINATOR, MADE, "duplicate").contract.state is (
        ContractState.CANCELLED
    )


def test_a_short_delivery_returns_the_shortfall_and_confirming_twice_is_refused() -> None:
    accepted = accept(contract(), GROUP, MADE).contract
    change = confirm_delivery(accepted, BUYER, MADE, DAYS[0], Settled(received=70, refused=0))
    assert change.contract.state is ContractState.IN_DELIVERY
    [released] = change.released
    assert (released.day, released.demand, released.supply, released.cause) == (
        DAYS[0],
        30,
        0,  # the group's week stays consumed: the top-up comes from another group's supply
        "delivery short",
    )
    first = change.contract.deliveries[0]
    assert (first.state, first.received, first.refused) == (DeliveryState.DELIVERED, 70, 0)
    assert "already delivered" in refused(
        confirm_delivery, change.contract, BUYER, MADE, DAYS[0], Settled(70, 0)
    )
    assert "by the buyer or coordinator only" in refused(
        confirm_delivery, change.contract, GROUP, MADE, DAYS[1], Settled(100, 0)
    )


def test_produce_refused_for_quality_goes_back_as_demand_not_as_supply() -> None:
    accepted = accept(contract(), GROUP, MADE).contract
    change = confirm_delivery(
        accepted, BUYER, MADE, DAYS[0], Settled(received=60, refused=40, reason="late")
    )
    [released] = change.released
    assert (released.demand, released.supply, released.cause) == (
        40,
        0,
        "delivery refused for quality",
    )
    assert bound_quantity(change.contract.deliveries[0]) == (60, 100)


def test_confirmations_are_checked_and_the_last_one_completes_the_contract() -> None:
    c = accept(contract(), GROUP, MADE).contract
    assert "more than the 100 contracted" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(90, 20)
    )
    assert "whole number" in refused(confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(-1, 0))
    assert "no delivery on" in refused(
        confirm_delivery, c, BUYER, MADE, date(2026, 12, 10), Settled(1, 0)
    )
    for day in DAYS:
        c = confirm_delivery(c, BUYER, MADE, day, Settled(100, 0)).contract
    assert c.state is ContractState.COMPLETED
    assert [e.action for e in c.history] == ["accept"] + ["confirm_delivery"] * 3


def test_an_amendment_needs_both_parties_and_returns_what_it_removes() -> None:
    c = accept(contract(), GROUP, MADE).contract
    changes = {DAYS[0]: (DAYS[0] + timedelta(days=1), 60), DAYS[2]: (DAYS[2], 0)}
    assert "both the group and the buyer" in refused(
        amend, c, GROUP, MADE, changes, agreed_by=GROUP
    )
    assert "not in the delivery's week" in refused(
        amend, c, GROUP, MADE, {DAYS[0]: (DAYS[1], 50)}, agreed_by=BUYER
    )
    change = amend(c, GROUP, MADE, changes, agreed_by=BUYER, reason="harvest late")
    assert change.contract.state is ContractState.ACCEPTED
    assert [(d.day, d.quantity, d.state) for d in change.contract.deliveries] == [
        (DAYS[0] + timedelta(days=1), 60, DeliveryState.SCHEDULED),
        (DAYS[1], 100, DeliveryState.SCHEDULED),
        (DAYS[2], 100, DeliveryState.RELEASED),
    ]
    assert sorted((r.day, r.demand) for r in change.released) == [(DAYS[0], 40), (DAYS[2], 100)]
    assert change.entry.details["agreed_by"] == "buyer:hosp-1"


def test_a_lapsed_certificate_releases_only_the_deliveries_from_its_date() -> None:
    c = accept(contract(), GROUP, MADE).contract
    change = release_from(c, MADE, DAYS[1], "PGS certificate revoked on 2026-12-16")
    assert [r.day for r in change.released] == DAYS[1:]
    assert change.contract.state is ContractState.ACCEPTED
    assert change.contract.deliveries[0].state is DeliveryState.SCHEDULED
    everything = release_from(c, MADE, DAYS[0], "expired")
    assert everything.contract.state is ContractState.CANCELLED
    delivered = confirm_delivery(c, BUYER, MADE, DAYS[0], Settled(100, 0)).contract
    rest = release_from(delivered, MADE, DAYS[1], "expired")
    assert rest.contract.state is ContractState.COMPLETED
    assert "is completed" in refused(release_from, rest.contract, MADE, DAYS[1], "again")
    late = DAYS[2] + timedelta(days=1)
    assert "no delivery from" in refused(release_from, c, MADE, late, "after the season")


def test_bound_quantities_follow_the_delivery_state() -> None:
    scheduled = contract().deliveries[0]
    assert bound_quantity(scheduled) == (100, 100)
    released = reject(contract(), GROUP, MADE).contract.deliveries[0]
    assert bound_quantity(released) == (0, 0)


def test_actors_parse_from_text() -> None:
    assert Actor.parse("group:grp-001") == GROUP
    assert str(Actor.parse(" Buyer : hosp-1 ")) == "buyer:hosp-1"
    assert Actor.parse("system").party is Party.SYSTEM
    with pytest.raises(InvalidValue, match="must start with one of"):
        Actor.parse("farmer:x")
    with pytest.raises(InvalidValue, match="give the group's id"):
        Actor.parse("group:")


def test_a_refusal_needs_a_reason_and_nothing_refused_takes_none() -> None:
    c = accept(contract(), GROUP, MADE).contract
    assert "refusal_reason: is required" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(90, 10)
    )
    assert "refusal_reason: must be one of" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(90, 10, reason="ugly")
    )
    assert "refusal_reason: must be empty" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(100, 0, reason="late")
    )
    assert "refusal_note: must be empty" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(100, 0, note="fine")
    )
    assert "refusal_note: goes only with the reason other" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(90, 10, reason="late", note="2 h")
    )
    assert "at most 200 characters" in refused(
        confirm_delivery, c, BUYER, MADE, DAYS[0], Settled(90, 10, reason="other", note="x" * 201)
    )
    change = confirm_delivery(
        c, BUYER, MADE, DAYS[0], Settled(90, 10, reason="other", note="  ถุงขาด  ")
    )
    first = change.contract.deliveries[0]
    assert (first.refusal_reason, first.refusal_note) == (RefusalReason.OTHER, "ถุงขาด")
    assert change.entry.details["refusal_reason"] == "other"
    assert change.entry.details["refusal_note"] == "ถุงขาด"
    plain = confirm_delivery(c, BUYER, MADE, DAYS[0], Settled(100, 0)).contract.deliveries[0]
    assert (plain.refusal_reason, plain.refusal_note) == (None, None)
