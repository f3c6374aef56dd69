"""Handlers and the message bus, on the in-memory fakes."""

from __future__ import annotations

from typing import Any

import pytest

from matcher.domain.contracts import BookState, ContractState
from matcher.domain.errors import Conflict, InvalidValue, NotFound, UnknownReference
from matcher.domain.model import (
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.schema import parse_instance
from matcher.optimiser.solution import Solution
from matcher.optimiser.solve import solve
from matcher.service import commands, events
from matcher.service.canonical import command_digest
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from matcher.service.ports import MessageIdReused
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeCertificates, FakeUnitOfWork, FixedClock, Store
from tests.support.participants import (
    DAY,
    WEEK,
    group,
    order,
    register_market,
    supply,
)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def bus(store: Store, clock: FixedClock) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(crops=catalogue.crops, standards=catalogue.standards, clock=clock)
    return MessageBus(lambda: FakeUnitOfWork(store), context)


def test_a_round_turns_matching_supply_and_order_into_a_proposed_contract(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))

    outcome = bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert (contract.group_id, contract.buyer_id, contract.quantity) == ("g1", "h1", 60)
    assert contract.unit_price == 2000
    assert contract.state is ContractState.PROPOSED
    assert [d.day for d in contract.deliveries] == [DAY]
    assert outcome.value.contract_ids == (contract.id,)
    names = [e.name for e in outcome.events]
    assert names == ["ContractProposed", "RoundCompleted"]


def test_quantities_under_contract_stay_fixed_in_the_next_round(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply(qty=100)))
    bus.handle(commands.SubmitOrder(order=order(qty=60)))
    bus.handle(commands.RunMatchingRound())

    second = bus.handle(commands.RunMatchingRound())
    bus.handle(commands.SubmitOrder(order=order("o2", qty=70)))
    third = bus.handle(commands.RunMatchingRound())

    assert second.value.contract_ids == ()
    (new,) = [store.contracts[c] for c in third.value.contract_ids]
    assert (new.order_id, new.quantity) == ("o2", 40)
    (short,) = third.value.unfilled
    assert (short.order_id, short.quantity, short.reason) == ("o2", 30, "insufficient_supply")


def test_the_same_message_id_twice_has_one_effect(bus: MessageBus, store: Store) -> None:
    register_market(bus)
    first = bus.handle(commands.SubmitOrder(message_id="m-1", order=order()))
    again = bus.handle(commands.SubmitOrder(message_id="m-1", actor="resent", order=order()))

    assert not first.duplicate
    assert again.duplicate
    assert list(store.orders) == ["o1"]
    assert sum(1 for e in store.outbox if e.event == "OrderSubmitted") == 1


def test_the_same_message_id_with_another_body_is_refused_and_the_first_body_stays(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.SubmitOrder(message_id="m-1", order=order()))
    with pytest.raises(MessageIdReused) as refused:
        bus.handle(commands.SubmitOrder(message_id="m-1", order=order("other")))
    with pytest.raises(MessageIdReused):  # another kind of command under the same id
        bus.handle(commands.CancelOrder(message_id="m-1", order_id="o1"))

    assert (refused.value.field, refused.value.reason) == (
        "message_id",
        "message_id reused with a different body",
    )
    assert isinstance(refused.value, Conflict)
    assert list(store.orders) == ["o1"]
    assert store.digests["m-1"] == command_digest(
        commands.SubmitOrder(message_id="other-id", order=order())
    )
    assert sum(1 for e in store.outbox if e.event == "OrderSubmitted") == 1


def test_a_message_handled_before_digests_were_kept_repeats_as_a_plain_duplicate(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.SubmitOrder(message_id="m-1", order=order()))
    store.digests["m-1"] = ""  # as a row migrated from before revision 0007

    again = bus.handle(commands.SubmitOrder(message_id="m-1", order=order("other")))

    assert again.duplicate
    assert list(store.orders) == ["o1"]


def test_repeating_a_registration_with_the_same_values_is_harmless(
    bus: MessageBus, store: Store
) -> None:
    bus.handle(commands.RegisterGroup(group=group()))
    repeat = bus.handle(commands.RegisterGroup(group=group()))

    assert repeat.events == ()
    assert list(store.groups) == ["g1"]


def test_registering_an_id_again_with_other_values_is_a_conflict(bus: MessageBus) -> None:
    bus.handle(commands.RegisterGroup(group=group()))
    with pytest.raises(Conflict):
        bus.handle(commands.RegisterGroup(group=group(at=(7.5, 100.3))))


def test_an_order_of_an_unknown_buyer_is_refused_and_leaves_nothing(
    bus: MessageBus, store: Store
) -> None:
    with pytest.raises(UnknownReference) as caught:
        bus.handle(commands.SubmitOrder(message_id="m-x", order=order(bid="nobody")))

    assert caught.value.field == "buyer_id"
    assert store.orders == {}
    assert store.inbox == {}
    assert store.outbox == []


def test_supply_of_an_unknown_crop_is_refused(bus: MessageBus) -> None:
    bus.handle(commands.RegisterGroup(group=group()))
    bad = SupplyAnnouncement("s9", "g1", "durian", Scheme.THAI_GAP, {WEEK: 5})
    with pytest.raises(InvalidValue) as caught:
        bus.handle(commands.AnnounceSupply(supply=bad))
    assert caught.value.field == "crop_id"


def test_cancelling_an_order_takes_it_out_of_the_book_and_twice_is_a_conflict(
    bus: MessageBus, store: Store
) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))

    bus.handle(commands.CancelOrder(order_id="o1", reason="menu changed"))
    outcome = bus.handle(commands.RunMatchingRound())

    assert store.orders["o1"].state is BookState.CANCELLED
    assert outcome.value.contract_ids == ()
    with pytest.raises(Conflict):
        bus.handle(commands.CancelOrder(order_id="o1"))
    with pytest.raises(NotFound):
        bus.handle(commands.CancelOrder(order_id="nope"))


def test_withdrawn_supply_is_not_matched(bus: MessageBus, store: Store) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))
    bus.handle(commands.WithdrawSupply(supply_id="s1", reason="flooded"))

    outcome = bus.handle(commands.RunMatchingRound())

    assert outcome.value.contract_ids == ()
    assert [u.reason for u in outcome.value.unfilled] == ["no_supply"]
    with pytest.raises(Conflict):
        bus.handle(commands.WithdrawSupply(supply_id="s1"))


def test_deliveries_already_past_are_not_matched(
    bus: MessageBus, store: Store, clock: FixedClock
) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))
    clock.advance(days=(DAY - clock.now().date()).days + 1)

    outcome = bus.handle(commands.RunMatchingRound())

    assert outcome.value.contract_ids == ()
    assert outcome.value.unfilled == ()


def test_a_market_changed_while_solving_is_left_for_the_next_round(
    bus: MessageBus, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher.service import rounds

    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))

    def solve_while_the_book_changes(instance: MatchingInstance, **options: Any) -> Solution:
        result = solve(instance, **options)
        with FakeUnitOfWork(store) as uow:
            uow.markets.bump("kale")
            uow.commit()
        return result

    with monkeypatch.context() as patched:
        patched.setattr(rounds, "solve", solve_while_the_book_changes)
        outcome = bus.handle(commands.RunMatchingRound())

    assert outcome.rerun
    assert outcome.value.contract_ids == ()
    assert any("kale" in note for note in outcome.value.notes)
    assert bus.handle(commands.RunMatchingRound()).value.contract_ids != ()


def test_a_market_that_only_grew_while_solving_keeps_the_rounds_result(
    bus: MessageBus, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New orders (or supply) arriving while the solver runs take nothing from the book the
    round saw: its contracts are written, and the next round clears the new arrivals."""
    from matcher.service import rounds

    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order("o1", qty=30)))

    def solve_while_orders_arrive(instance: MatchingInstance, **options: Any) -> Solution:
        result = solve(instance, **options)
        bus.handle(commands.SubmitOrder(order=order("o2", qty=30)))
        return result

    with monkeypatch.context() as patched:
        patched.setattr(rounds, "solve", solve_while_orders_arrive)
        outcome = bus.handle(commands.RunMatchingRound())

    assert outcome.rerun
    assert [store.contracts[c].order_id for c in outcome.value.contract_ids] == ["o1"]
    assert any("new orders or supply arrived" in note for note in outcome.value.notes)
    following = bus.handle(commands.RunMatchingRound()).value
    assert [store.contracts[c].order_id for c in following.contract_ids] == ["o2"]


def test_book_events_are_marked_as_book_changes() -> None:
    assert events.OrderSubmitted.book_change
    assert events.SupplyAnnounced.book_change
    assert not events.ContractProposed.book_change


def test_subscribers_see_committed_events_and_their_failure_does_not_undo_them(
    store: Store, clock: FixedClock
) -> None:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(crops=catalogue.crops, standards=catalogue.standards, clock=clock)
    seen: list[str] = []

    def broken(event: events.Event) -> None:
        raise RuntimeError("subscriber down")

    bus = MessageBus(
        lambda: FakeUnitOfWork(store), context, [broken, lambda e: seen.append(e.name)]
    )
    bus.handle(commands.RegisterGroup(group=group()))

    assert seen == ["GroupRegistered"]
    assert "g1" in store.groups


def test_a_round_only_for_some_crops_leaves_the_others_open(bus: MessageBus, store: Store) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))

    outcome = bus.handle(commands.RunMatchingRound(crops=("eggs",)))

    assert outcome.value.contract_ids == ()
    assert bus.handle(commands.RunMatchingRound(crops=("kale",))).value.contract_ids != ()


def test_a_round_reads_the_certificates_once_whatever_the_number_of_live_contracts(
    bus: MessageBus, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply(qty=100)))
    for n in range(3):
        bus.handle(commands.SubmitOrder(order=order(f"o{n}", qty=20)))
    bus.handle(commands.RunMatchingRound())
    assert len(store.contracts) == 3
    reads: list[str | None] = []
    listed = FakeCertificates.list

    def counted(self: FakeCertificates, group_id: str | None = None) -> Any:
        reads.append(group_id)
        return listed(self, group_id)

    monkeypatch.setattr(FakeCertificates, "list", counted)

    bus.handle(commands.RunMatchingRound())

    assert reads == [None]  # every certificate at once, not once per live contract


def test_a_round_records_its_whole_time_and_its_parts(bus: MessageBus) -> None:
    register_market(bus)
    bus.handle(commands.AnnounceSupply(supply=supply()))
    bus.handle(commands.SubmitOrder(order=order()))

    summary = bus.handle(commands.RunMatchingRound()).value.summary

    parts = [summary[k] for k in ("read_seconds", "solve_seconds", "write_seconds")]
    assert min(parts) >= 0
    assert summary["solve_seconds"] >= summary["wall_seconds"] > 0
    assert summary["round_seconds"] == pytest.approx(sum(parts), abs=0.001)
