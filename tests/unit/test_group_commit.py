"""The embedded engine's group commit: what is queued while a command is being handled is handled
next in one transaction, and each caller still gets its own answer."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from matcher.domain.errors import UnknownReference
from matcher.engine.inprocess import InProcessEngine, Timing
from matcher.optimiser.schema import parse_instance
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus, Outcome
from matcher.service.ports import UnitOfWork
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.participants import buyer, certificate, group, order, supply

QUIET = Timing(debounce_seconds=3600, max_debounce_seconds=3600, round_interval_seconds=0)


class Counted:
    """Units of work on one store, counting commits."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.made: list[FakeUnitOfWork] = []

    def __call__(self) -> UnitOfWork:
        uow = FakeUnitOfWork(self.store)
        self.made.append(uow)
        return uow

    @property
    def commits(self) -> int:
        return sum(uow.commits for uow in self.made)


def engine_on(store: Store, batch_size: int = 500) -> tuple[InProcessEngine, Counted]:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    uows = Counted(store)
    bus = MessageBus(uows, context)
    for command in (
        commands.RegisterGroup(group=group()),
        commands.RegisterBuyer(buyer=buyer()),
        commands.RegisterCertificate(certificate=certificate()),
        commands.AnnounceSupply(supply=supply()),
    ):
        bus.handle(command)
    return InProcessEngine(bus, QUIET, batch_size=batch_size), uows


def held_up(engine: InProcessEngine) -> tuple[threading.Event, threading.Event]:
    """Makes the engine's next order wait until the first event is set; the second is set
    once it waits."""
    release, waiting = threading.Event(), threading.Event()
    real = engine.bus.handlers[commands.SubmitOrder]

    def slow(command: Any, *args: Any) -> Any:
        if command.order.id == "first":
            waiting.set()
            release.wait(10)
        return real(command, *args)

    engine.bus.handlers[commands.SubmitOrder] = slow
    return release, waiting


def queued_behind_one(
    engine: InProcessEngine, batch: list[commands.Command]
) -> tuple[Future[Outcome], list[Future[Outcome]]]:
    release, waiting = held_up(engine)
    engine.start_sync()
    first = engine.submit(commands.SubmitOrder(order=order("first"), message_id="m-first"))
    assert waiting.wait(10)
    futures = [engine.submit(command) for command in batch]
    release.set()
    return first, futures


@pytest.fixture
def store() -> Store:
    return Store()


def answers(futures: list[Future[Outcome]]) -> list[Any]:
    out: list[Any] = []
    for future in futures:
        error = future.exception(10)
        out.append(type(error).__name__ if error is not None else future.result().duplicate)
    return out


def test_what_is_queued_meanwhile_shares_one_commit_and_each_caller_gets_its_answer(
    store: Store,
) -> None:
    engine, uows = engine_on(store)
    before = uows.commits
    batch: list[commands.Command] = [
        commands.SubmitOrder(order=order(f"o{n}"), message_id=f"m-o{n}") for n in range(20)
    ]
    batch.insert(5, commands.SubmitOrder(order=order("stray", bid="nobody"), message_id="m-x"))
    batch.insert(9, commands.SubmitOrder(order=order("o1"), message_id="m-o1"))

    try:
        first, futures = queued_behind_one(engine, batch)
        assert first.result(10).duplicate is False
        got = answers(futures)
    finally:
        engine.stop_sync()

    assert got.count(False) == 20
    assert got[5] == UnknownReference.__name__
    assert got[9] is True  # the same message again: a duplicate
    assert len(store.orders) == 21
    assert uows.commits - before == 2  # the first order, then the 22 queued behind it
    assert store.rejections == {}  # the callers were answered; nothing waits on a record


def test_a_round_queued_among_the_orders_runs_alone_in_its_turn(store: Store) -> None:
    engine, _ = engine_on(store)
    batch: list[commands.Command] = [
        commands.SubmitOrder(order=order("o1", qty=30), message_id="m-o1"),
        commands.RunMatchingRound(message_id="m-round"),
        commands.SubmitOrder(order=order("o2", qty=30), message_id="m-o2"),
    ]

    try:
        _, futures = queued_behind_one(engine, batch)
        round_record = futures[1].result(30).value
    finally:
        engine.stop_sync()

    assert {c.order_id for c in store.contracts.values()} == {"first", "o1"}
    assert set(round_record.contract_ids) == set(store.contracts)
    assert "o2" in store.orders


def test_with_a_batch_size_of_one_every_command_commits_alone(store: Store) -> None:
    engine, uows = engine_on(store, batch_size=1)
    before = uows.commits
    batch: list[commands.Command] = [
        commands.SubmitOrder(order=order(f"o{n}"), message_id=f"m-o{n}") for n in range(5)
    ]

    try:
        _, futures = queued_behind_one(engine, batch)
        answers(futures)
    finally:
        engine.stop_sync()

    assert uows.commits - before == 6


def test_a_batch_that_fails_as_a_whole_answers_each_caller_on_its_own(store: Store) -> None:
    engine, _ = engine_on(store)

    def broken(*_: Any) -> Any:
        raise RuntimeError("a bug")

    engine.bus.handlers[commands.CancelOrder] = broken
    batch: list[commands.Command] = [
        commands.SubmitOrder(order=order("o1"), message_id="m-o1"),
        commands.CancelOrder(order_id="first", message_id="m-cancel"),
        commands.SubmitOrder(order=order("o2"), message_id="m-o2"),
    ]

    try:
        _, futures = queued_behind_one(engine, batch)
        got = answers(futures)
    finally:
        engine.stop_sync()

    assert got == [False, "RuntimeError", False]
    assert {"o1", "o2"} <= set(store.orders)
