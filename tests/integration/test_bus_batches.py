"""The message bus's batches: many commands in one transaction, each in a savepoint, on SQLite,
PostgreSQL and the in-memory fake the unit tests use (checked here against both)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy.exc

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import BookState, OrderRecord
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


class Counting:
    """Units of work that count the savepoints taken in them."""

    def __init__(self, uows: UowFactory) -> None:
        self.uows = uows
        self.savepoints = 0

    def __call__(self) -> UnitOfWork:
        uow = self.uows()
        taken = uow.savepoint

        def savepoint() -> AbstractContextManager[None]:
            self.savepoints += 1
            return taken()

        uow.savepoint = savepoint  # type: ignore[method-assign]
        return uow


def quick_bus(uows: UowFactory) -> tuple[MessageBus, Counting]:
    counting = Counting(uows)
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    return MessageBus(counting, context), counting


def test_a_run_of_new_supply_and_orders_is_written_together_without_savepoints(
    bus: MessageBus, uows: UowFactory
) -> None:
    bus.handle_batch(market())
    quick, counting = quick_bus(uows)
    run: list[commands.Command] = [
        commands.AnnounceSupply(supply=supply("s9"), message_id="q-s9"),
        *(commands.SubmitOrder(order=order(f"q{i}"), message_id=f"q-o{i}") for i in range(4)),
        commands.CancelOrder(order_id="q0", message_id="q-cancel"),
    ]
    done = quick.handle_batch(run)
    assert kinds(done) == ["ok"] * 5  # the run; the cancellation is the caller's next batch
    assert counting.savepoints == 0
    assert kinds(quick.handle_batch(run[5:])) == ["ok"]
    with uows() as uow:
        assert {o.order.id for o in uow.orders.list(state=BookState.OPEN)} == {"q1", "q2", "q3"}
        assert uow.supply.get("s9") is not None
        assert all(uow.inbox.seen(c.message_id) for c in run)


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (commands.SubmitOrder(order=order("x", bid="nobody")), "refused:UnknownReference"),
        (commands.SubmitOrder(order=order("a", qty=7)), "refused:Conflict"),
        (commands.SubmitOrder(order=order("a")), "ok"),
        (commands.SubmitOrder(order=order("a"), message_id="q-a"), "duplicate"),
        (commands.SubmitOrder(order=order("old"), message_id="q-old"), "duplicate"),
        (commands.SubmitOrder(order=order("b"), message_id="q-a"), "refused:MessageIdReused"),
        (commands.SubmitOrder(order=order("b"), message_id="q-old"), "refused:MessageIdReused"),
    ],
    ids=[
        "unknown-buyer",
        "same-order-other-body",
        "same-order-again",
        "same-message",
        "handled-message",
        "id-reused-in-run",
        "handled-id-reused",
    ],
)
def test_a_run_that_needs_care_is_handled_the_careful_way_with_the_same_outcome(
    bus: MessageBus, uows: UowFactory, second: commands.Command, expected: str
) -> None:
    """A refusal, a repeat or an id reused anywhere in the run: nothing of the run is written
    together, and the careful way gives each its outcome (the others are written)."""
    bus.handle_batch(market())
    bus.handle(commands.SubmitOrder(order=order("old"), message_id="q-old"))
    run = [
        commands.SubmitOrder(order=order("a"), message_id="q-a"),
        second,
        commands.SubmitOrder(order=order("c"), message_id="q-c"),
    ]
    assert kinds(bus.handle_batch(run)) == ["ok", expected, "ok"]
    with uows() as uow:
        stored = {o.order.id for o in uow.orders.list()}
    assert stored == {"old", "a", "c"}


@pytest.mark.postgres
def test_a_run_whose_commit_meets_a_concurrent_copy_is_handled_again_carefully(
    postgres_url: str,
) -> None:
    """Another writer commits an order of the run between the run's reads and its commit: the
    commit fails on the order's id, nothing of the run is written, and the careful way finds
    the copy (the same order: a repeat) and writes the rest."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    plain = quick_bus(lambda: SqlUnitOfWork(sessions))[0]
    plain.handle_batch(market())
    at = plain.context.clock.now()

    class Racing(SqlUnitOfWork):
        raced = False

        def commit(self) -> None:
            if not Racing.raced:  # the other writer gets there first, once (the run holds
                Racing.raced = True  # the market's lock: the other writes the order alone)
                with SqlUnitOfWork(sessions) as other:
                    other.orders.add(OrderRecord(order("race"), BookState.OPEN, at))
                    other.inbox.record("q-race-other", "SubmitOrder", at)
                    other.commit()
            super().commit()

    bus = MessageBus(lambda: Racing(sessions), plain.context)
    run = [
        commands.SubmitOrder(order=order("r1"), message_id="q-r1"),
        commands.SubmitOrder(order=order("race"), message_id="q-race"),
    ]
    assert kinds(bus.handle_batch(run)) == ["ok", "ok"]
    with SqlUnitOfWork(sessions) as uow:
        assert {o.order.id for o in uow.orders.list()} >= {"r1", "race"}
        assert uow.inbox.seen("q-race")
        assert uow.inbox.seen("q-race-other")
    engine.dispose()


@pytest.mark.parametrize("size", [1, 3])
def test_a_database_constraint_refusing_an_order_is_an_error_not_a_duplicate(
    request: pytest.FixtureRequest, size: int
) -> None:
    """A constraint of the database (not of the domain) refuses one order: the error reaches
    the caller, alone or in a batch, and is never taken for a repeat of the message."""
    url = request.getfixturevalue("sqlite_url")
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:  # SQLite checks a trigger where PostgreSQL would CHECK
        connection.exec_driver_sql(
            "CREATE TRIGGER t_no_cursed BEFORE INSERT ON orders WHEN NEW.id = 'cursed' "
            "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: t_no_cursed'); END"
        )
    sessions = make_session_factory(engine)
    bus = quick_bus(lambda: SqlUnitOfWork(sessions))[0]
    bus.handle_batch(market())
    cursed = commands.SubmitOrder(order=order("cursed"), message_id="m-cursed")
    others = [commands.SubmitOrder(order=order(f"fine{i}")) for i in range(size - 1)]

    def send() -> None:
        if size == 1:
            bus.handle(cursed)
        else:
            bus.handle_batch([*others, cursed])

    with pytest.raises(sqlalchemy.exc.IntegrityError):
        send()
    with SqlUnitOfWork(sessions) as uow:
        assert not uow.inbox.seen("m-cursed")
        assert uow.orders.list() == []
    engine.dispose()
