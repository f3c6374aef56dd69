"""A worker's batches (``MessageHandler.handle_many``) on the in-memory fakes: what each message of
a batch becomes, what is written, what is dead-lettered, and what is left for the next worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from consumers.handling import Delivery, MessageHandler, Retry
from matcher.adapters.topics import Topic
from matcher.adapters.wire import encode_command
from matcher.service import commands
from matcher.service.ports import UnitOfWork
from tests.support.agents import (
    PREFIX,
    Captured,
    Flaky,
    buyer,
    commands_counted,
    group,
    make_service,
    order,
    wire,
)
from tests.support.fakes import FakeUnitOfWork, Store


def deliveries(topic: str, messages: list[tuple[bytes, bytes]]) -> list[Delivery]:
    return [
        Delivery(value, key, f"{PREFIX}.{topic}", 0, n) for n, (key, value) in enumerate(messages)
    ]


def submitted(oid: str, buyer_id: str = "h1", message_id: str | None = None) -> tuple[bytes, bytes]:
    command = commands.SubmitOrder(order=order(oid, buyer_id), message_id=message_id or f"m-{oid}")
    return wire(encode_command(command))


def handler_on(
    store: Store,
    *,
    uows: Callable[[], UnitOfWork] | None = None,
    stopping: Callable[[], bool] = lambda: False,
    grace: float = 0.0,
) -> tuple[MessageHandler, Captured]:
    service, _ = make_service(store, uows)
    service.bus.handle(commands.RegisterGroup(group=group()))
    service.bus.handle(commands.RegisterBuyer(buyer=buyer()))
    dead = Captured()
    handler = MessageHandler(
        Topic.ORDERS,
        service.bus,
        service.metrics,
        dead,
        Retry(first_seconds=0.001, max_seconds=0.004),
        stopping,
        reference_grace_seconds=grace,
    )
    return handler, dead


def test_a_batch_is_written_together_and_each_message_gets_its_outcome() -> None:
    store = Store()
    handler, dead = handler_on(store)
    batch = [
        submitted("o1"),
        (b"kale", b"{not json"),
        submitted("o2", buyer_id="nobody"),
        submitted("o1"),  # the same message again
        submitted("o3"),
    ]
    outcomes = asyncio.run(handler.handle_many(deliveries("orders", batch)))

    assert outcomes == ["ok", "rejected", "rejected", "duplicate", "ok"]
    assert set(store.orders) == {"o1", "o3"}
    assert [r["field"] for r in dead.records] == ["value", "buyer_id"]
    assert [r["offset"] for r in dead.records] == [1, 2]
    assert store.rejections["m-o2"].field == "buyer_id"  # recorded with the batch
    assert commands_counted(handler.metrics, "SubmitOrder", "ok") == 2


def test_a_batch_commits_once_for_all_its_messages() -> None:
    store = Store()
    committed: list[FakeUnitOfWork] = []

    def uows() -> UnitOfWork:
        uow = FakeUnitOfWork(store)
        committed.append(uow)
        return uow

    handler, _ = handler_on(store, uows=uows)
    before = len(committed)

    asyncio.run(handler.handle_many(deliveries("orders", [submitted(f"o{n}") for n in range(20)])))

    assert len(store.orders) == 20
    assert sum(uow.commits for uow in committed[before:]) == 1


def test_an_order_naming_a_kitchen_registered_a_moment_later_waits_and_the_rest_follow() -> None:
    store = Store()
    handler, dead = handler_on(store, grace=5.0)
    batch = [submitted("o1"), submitted("o2", buyer_id="h2"), submitted("o3")]

    async def batch_then_kitchen() -> list[str]:
        handling = asyncio.create_task(handler.handle_many(deliveries("orders", batch)))
        await asyncio.sleep(0.3)
        assert set(store.orders) == {"o1"}  # o3 waits behind o2, in order
        kitchen = commands.RegisterBuyer(buyer=replace(buyer(), id="h2"))
        await asyncio.to_thread(handler.bus.handle, kitchen)
        return await handling

    outcomes = asyncio.run(batch_then_kitchen())

    assert outcomes == ["ok", "ok", "ok"]
    assert set(store.orders) == {"o1", "o2", "o3"}
    assert dead.records == []


def test_a_database_failure_retries_the_whole_batch_until_it_is_written() -> None:
    store = Store()
    flaky = Flaky(store, failures=0)
    handler, _ = handler_on(store, uows=flaky)
    flaky.failures = 2

    outcomes = asyncio.run(
        handler.handle_many(deliveries("orders", [submitted("o1"), submitted("o2")]))
    )

    assert outcomes == ["ok", "ok"]
    assert set(store.orders) == {"o1", "o2"}
    assert commands_counted(handler.metrics, "orders", "error") == 2


def test_a_stopping_worker_leaves_the_whole_batch_for_the_next_one() -> None:
    store = Store()
    flaky = Flaky(store, failures=0)
    handler, dead = handler_on(store, uows=flaky, stopping=lambda: True)
    flaky.failures = 10**6

    outcomes = asyncio.run(
        handler.handle_many(deliveries("orders", [submitted("o1"), submitted("o2")]))
    )

    assert outcomes == ["abandoned", "abandoned"]
    assert store.orders == {}
    assert dead.records == []


def test_a_batch_that_fails_for_a_reason_of_its_own_is_handled_one_by_one() -> None:
    store = Store()
    handler, dead = handler_on(store)
    real = handler.bus.handlers[commands.SubmitOrder]
    calls: list[str] = []

    def fails_on_o2(command: commands.SubmitOrder, *args: object) -> object:
        calls.append(command.order.id)
        if command.order.id == "o2":
            raise RuntimeError("a bug in the handler")
        return real(command, *args)  # type: ignore[arg-type]

    handler.bus.handlers[commands.SubmitOrder] = fails_on_o2  # type: ignore[assignment]

    outcomes = asyncio.run(
        handler.handle_many(
            deliveries("orders", [submitted("o1"), submitted("o2"), submitted("o3")])
        )
    )

    assert outcomes == ["ok", "rejected", "ok"]
    assert set(store.orders) == {"o1", "o3"}
    assert [r["field"] for r in dead.records] == ["handler"]
    assert calls[:2] == ["o1", "o2"]  # the batch got as far as o2, then rolled back
