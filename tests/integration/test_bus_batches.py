"""The message bus's batches: many commands in one transaction, each in a savepoint, on SQLite,
PostgreSQL and the in-memory fake the unit tests use (checked here against both)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import BookState
from matcher.domain.errors import Conflict, UnknownReference
from matcher.optimiser.schema import parse_instance
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import Batch, MessageBus, Outcome, Refused
from matcher.service.ports import MessageIdReused, UnitOfWork
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.participants import buyer, certificate, group, order, supply

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uows(request: pytest.FixtureRequest) -> Iterator[UowFactory]:
    """The fake's units of work, or SQLite's, or PostgreSQL's on a migrated database."""
    if request.param == "fake":
        store = Store()
        yield lambda: FakeUnitOfWork(store)
        return
    engine = make_engine(request.getfixturevalue(f"{request.param}_url"))
    upgrade(engine)
    sessions = make_session_factory(engine)
    yield lambda: SqlUnitOfWork(sessions)
    engine.dispose()


@pytest.fixture
def bus(uows: UowFactory) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    return MessageBus(uows, context)


def market() -> list[commands.Command]:
    return [
        commands.RegisterGroup(group=group(), message_id="m-group"),
        commands.RegisterBuyer(buyer=buyer(), message_id="m-buyer"),
        commands.RegisterCertificate(certificate=certificate(), message_id="m-cert"),
    ]


def kinds(batch: Batch) -> list[str]:
    def kind(item: Outcome | Refused) -> str:
        if isinstance(item, Refused):
            return f"refused:{type(item.error).__name__}"
        return "duplicate" if item.duplicate else "ok"

    return [kind(item) for item in batch.handled]


def test_a_batch_commits_its_commands_together_and_publishes_their_events_in_order(
    bus: MessageBus, uows: UowFactory
) -> None:
    seen: list[str] = []
    bus.subscribers.append(lambda event: seen.append(event.name))
    batch = [
        *market(),
        commands.AnnounceSupply(supply=supply(), message_id="m-supply"),
        commands.SubmitOrder(order=order("o1"), message_id="m-o1"),
        commands.SubmitOrder(order=order("o2"), message_id="m-o2"),
    ]

    done = bus.handle_batch(batch)

    assert kinds(done) == ["ok"] * 6
    assert seen[-3:] == ["SupplyAnnounced", "OrderSubmitted", "OrderSubmitted"]
    with uows() as uow:
        assert {o.order.id for o in uow.orders.list(state=BookState.OPEN)} == {"o1", "o2"}
        assert all(uow.inbox.digest(c.message_id) is not None for c in batch)
        assert [e.event for e in uow.outbox.pending(100)] == seen


def test_a_refused_command_is_undone_alone_and_its_refusal_recorded(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch(market())
    stray = commands.SubmitOrder(order=order("o2", bid="nobody"), message_id="m-stray")
    batch = [
        commands.SubmitOrder(order=order("o1"), message_id="m-o1"),
        stray,
        commands.SubmitOrder(order=order("o3"), message_id="m-o3"),
    ]

    done = bus.handle_batch(batch)

    assert kinds(done) == ["ok", "refused:UnknownReference", "ok"]
    with uows() as uow:
        assert {o.order.id for o in uow.orders.list(state=BookState.OPEN)} == {"o1", "o3"}
        assert uow.inbox.digest("m-stray") is None  # refused: not handled, may come again
        rejection = uow.inbox.rejection("m-stray")
        assert rejection is not None
        assert (rejection.error, rejection.field) == ("UnknownReference", "buyer_id")


def test_a_command_whose_handler_fails_half_way_leaves_nothing_of_itself(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch([*market(), commands.SubmitOrder(order=order("o1"), message_id="m-o1")])
    cancel = commands.CancelOrder(order_id="o1", message_id="m-cancel")
    again = commands.CancelOrder(order_id="o1", message_id="m-cancel-again")

    done = bus.handle_batch([cancel, again])

    assert kinds(done) == ["ok", "refused:Conflict"]
    assert isinstance(done.handled[1], Refused)
    assert isinstance(done.handled[1].error, Conflict)
    with uows() as uow:
        record = uow.orders.get("o1")
        assert record is not None
        assert record.state is BookState.CANCELLED


def test_a_message_id_repeated_in_a_batch_is_a_duplicate_and_with_another_body_refused(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch(market())
    first = commands.SubmitOrder(order=order("o1"), message_id="m-o1")
    same = commands.SubmitOrder(order=order("o1"), message_id="m-o1")
    other = commands.SubmitOrder(order=order("o1", qty=99), message_id="m-o1")

    done = bus.handle_batch([first, same, other])

    assert kinds(done) == ["ok", "duplicate", "refused:MessageIdReused"]
    assert isinstance(done.handled[2], Refused)
    assert isinstance(done.handled[2].error, MessageIdReused)
    with uows() as uow:
        record = uow.orders.get("o1")
        assert record is not None
        assert record.order.quantity == 60


def test_a_batch_stops_before_a_round_and_before_an_unknown_participant_when_asked(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch(market())
    early = commands.SubmitOrder(order=order("o9", bid="h9"), message_id="m-early")
    batch: list[commands.Command] = [
        commands.SubmitOrder(order=order("o1"), message_id="m-o1"),
        early,
        commands.SubmitOrder(order=order("o2"), message_id="m-o2"),
    ]

    waiting = bus.handle_batch(batch, stop_at_unknown=True)
    at_round = bus.handle_batch(
        [
            commands.SubmitOrder(order=order("o3"), message_id="m-o3"),
            commands.RunMatchingRound(message_id="m-round"),
            commands.SubmitOrder(order=order("o4"), message_id="m-o4"),
        ]
    )

    assert kinds(waiting) == ["ok"]  # o2 waits behind the order of a kitchen not known yet
    assert kinds(at_round) == ["ok"]
    with uows() as uow:
        assert {o.order.id for o in uow.orders.list(state=BookState.OPEN)} == {"o1", "o3"}
        assert uow.inbox.rejection("m-early") is None


def test_an_error_that_is_not_the_senders_rolls_the_whole_batch_back(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch(market())

    def broken(*_: Any) -> Any:
        raise RuntimeError("the database went away")

    bus.handlers[commands.CancelOrder] = broken
    batch = [
        commands.SubmitOrder(order=order("o1"), message_id="m-o1"),
        commands.CancelOrder(order_id="o1", message_id="m-cancel"),
    ]

    with pytest.raises(RuntimeError):
        bus.handle_batch(batch)

    with uows() as uow:
        assert uow.orders.get("o1") is None
        assert uow.inbox.digest("m-o1") is None


def test_an_unknown_participant_is_refused_in_a_batch_that_does_not_wait(
    bus: MessageBus,
) -> None:
    bus.handle_batch(market())
    early = commands.SubmitOrder(order=order("o9", bid="h9"), message_id="m-early")

    (item,) = bus.handle_batch([early]).handled

    assert isinstance(item, Refused)
    assert isinstance(item.error, UnknownReference)


def test_a_batch_moves_each_market_it_changes_on_once(bus: MessageBus, uows: UowFactory) -> None:
    bus.handle_batch(market())
    with uows() as uow:
        before = uow.markets.get("kale")
    orders = [commands.SubmitOrder(order=order(f"o{i}")) for i in range(5)]
    assert kinds(bus.handle_batch(orders)) == ["ok"] * 5
    with uows() as uow:
        assert uow.markets.get("kale") > before
        assert uow.markets.all().keys() >= {"kale"}


def test_two_batches_naming_markets_in_opposite_orders_both_commit(
    bus: MessageBus, uows: UowFactory
) -> None:
    """Each batch locks the markets it names in crop order before it writes, as a round does:
    two batches that change the same markets in opposite orders wait for each other in turn
    rather than in a circle (on PostgreSQL a circle is a deadlock, and a batch lost to it)."""
    bus.handle_batch(market())
    crops = [str(c["id"]) for c in CROPS]
    shared = isinstance(uows(), FakeUnitOfWork)  # the fake's store is not for threads
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def batch(name: str, order_of_crops: list[str]) -> list[commands.Command]:
        return [
            commands.SubmitOrder(order=replace(order(f"{name}-{crop}-{n}"), crop_id=crop))
            for n in range(3)
            for crop in order_of_crops
        ]

    def run(batch: list[commands.Command]) -> None:
        try:
            results.append(kinds(bus.handle_batch(batch)))
        except BaseException as error:  # the test reports it below
            errors.append(error)

    for rep in range(5):
        pair = [batch(f"f{rep}", crops), batch(f"b{rep}", crops[::-1])]
        if shared:
            for one in pair:
                run(one)
            continue
        threads = [threading.Thread(target=run, args=(one,)) for one in pair]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert results == [["ok"] * (3 * len(crops))] * 10
    with uows() as uow:
        stored = {o.order.id for o in uow.orders.list()}
    assert len(stored) == 10 * 3 * len(crops)
