"""The worker's agents, round timer and relay without a broker: faust ``test_context`` and fakes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from consumers.agents import agent_name
from consumers.app import create_worker_app
from consumers.handling import Delivery, MessageHandler, Retry
from consumers.rounds import LeaderRounds
from consumers.worker_relay import WorkerRelay
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import INBOUND, Topic
from matcher.adapters.wire import WireMessage, encode_body, encode_command
from matcher.bootstrap import Service
from matcher.domain.model import (
    FarmerGroup,
    Location,
)
from matcher.engine.inprocess import Timing
from matcher.service import codec, commands
from matcher.service.messagebus import MessageBus
from matcher.service.ports import UnitOfWork
from tests.support.agents import (
    PREFIX,
    Captured,
    Flaky,
    buyer,
    certificate,
    commands_counted,
    deliver,
    group,
    make_service,
    make_worker,
    order,
    participants,
    supply,
    wire,
)
from tests.support.fakes import Store


def test_a_valid_message_is_handed_to_the_bus() -> None:
    worker = make_worker()

    outcomes = asyncio.run(deliver(worker.app, Topic.PARTICIPANTS, participants()))

    assert outcomes == ["ok", "ok", "ok"]
    assert set(worker.store.groups) == {"g1"}
    assert set(worker.store.buyers) == {"h1"}
    assert set(worker.store.certificates) == {"c-g1"}
    assert worker.dead.records == []
    assert commands_counted(worker.metrics, "RegisterGroup", "ok") == 1


def test_a_message_that_is_not_json_goes_to_the_dead_letters_with_its_bytes() -> None:
    worker = make_worker()
    raw = b"{this is not json"

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, [(b"kale", raw)]))

    assert outcomes == ["rejected"]
    [record] = worker.dead.records
    assert record["field"] == "value"
    assert "not JSON" in record["reason"]
    assert base64.b64decode(record["original_base64"]) == raw
    assert record["topic"] == f"{PREFIX}.orders"
    assert (record["partition"], record["offset"], record["key"]) == (0, 0, "kale")
    assert worker.dead.keys == [b"kale"]
    assert commands_counted(worker.metrics, "Undecodable", "rejected") == 1


def test_an_order_failing_validation_is_dead_lettered_naming_the_field() -> None:
    worker = make_worker()
    body = codec.dump_order(order()) | {"quantity": 0}
    bad = wire(encode_body("order.submit", body, "m-zero", "test"))

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, [bad]))

    assert outcomes == ["rejected"]
    [record] = worker.dead.records
    assert record["field"] == "quantity"
    assert "above 0" in record["reason"]
    assert worker.store.orders == {}


def test_an_order_for_an_unknown_buyer_is_dead_lettered_and_its_refusal_recorded() -> None:
    worker = make_worker()
    stray = commands.SubmitOrder(message_id="m-stray", order=order(buyer_id="nobody"))

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, [wire(encode_command(stray))]))

    assert outcomes == ["rejected"]
    [record] = worker.dead.records
    assert record["field"] == "buyer_id"
    assert "nobody" in record["reason"]
    rejection = worker.store.rejections["m-stray"]
    assert (rejection.kind, rejection.field) == ("SubmitOrder", "buyer_id")
    assert commands_counted(worker.metrics, "SubmitOrder", "rejected") == 1


def test_a_message_on_the_wrong_topic_is_dead_lettered() -> None:
    worker = make_worker()
    misplaced = wire(encode_command(commands.SubmitOrder(order=order())))

    outcomes = asyncio.run(deliver(worker.app, Topic.SUPPLY, [misplaced]))

    assert outcomes == ["rejected"]
    assert worker.dead.records[0]["field"] == "type"


def test_the_valid_messages_around_a_refused_one_are_handled() -> None:
    worker = make_worker()
    asyncio.run(deliver(worker.app, Topic.PARTICIPANTS, participants()))
    batch = [
        wire(encode_command(commands.SubmitOrder(order=order("o1")))),
        (b"kale", b"\xff\xfe"),
        wire(encode_command(commands.SubmitOrder(order=order("o2")))),
    ]

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, batch))

    assert outcomes == ["ok", "rejected", "ok"]
    assert set(worker.store.orders) == {"o1", "o2"}
    assert worker.dead.records[0]["reason"] == "not UTF-8 text"


def test_a_repeated_message_id_has_one_effect() -> None:
    worker = make_worker()
    asyncio.run(deliver(worker.app, Topic.PARTICIPANTS, participants()))
    announce = wire(encode_command(commands.AnnounceSupply(message_id="m-s1", supply=supply())))

    outcomes = asyncio.run(deliver(worker.app, Topic.SUPPLY, [announce, announce]))

    assert outcomes == ["ok", "duplicate"]
    assert set(worker.store.supply) == {"s1"}
    assert worker.store.versions == {"kale": 1}
    announced = [e for e in worker.store.outbox if e.event == "SupplyAnnounced"]
    assert len(announced) == 1


def test_a_round_requested_on_its_topic_is_run_by_the_bus() -> None:
    worker = make_worker()
    asyncio.run(deliver(worker.app, Topic.PARTICIPANTS, participants()))
    announce = wire(encode_command(commands.AnnounceSupply(supply=supply())))
    submit = wire(encode_command(commands.SubmitOrder(order=order())))
    asyncio.run(deliver(worker.app, Topic.SUPPLY, [announce]))
    asyncio.run(deliver(worker.app, Topic.ORDERS, [submit]))
    request = wire(encode_command(commands.RunMatchingRound(message_id="m-round")))

    outcomes = asyncio.run(deliver(worker.app, Topic.ROUND_REQUESTS, [request]))

    assert outcomes == ["ok"]
    [contract] = worker.store.contracts.values()
    assert (contract.order_id, contract.supply_id) == ("o1", "s1")


def test_a_message_that_meets_a_database_failure_is_retried_until_it_is_handled() -> None:
    store = Store()
    flaky = Flaky(store, failures=3)
    service, metrics = make_service(store, flaky)
    app = create_worker_app(
        service.settings,
        service,
        worker_id="unit",
        dead_letters=Captured(),
        retry=Retry(first_seconds=0.001, max_seconds=0.004),
        relay=False,
    )
    message = wire(encode_command(commands.RegisterGroup(group=group())))

    outcomes = asyncio.run(deliver(app, Topic.PARTICIPANTS, [message]))

    assert outcomes == ["ok"]
    assert set(store.groups) == {"g1"}
    assert commands_counted(metrics, "participants", "error") == 3


def test_the_retry_back_off_doubles_up_to_its_cap() -> None:
    async def first_delays() -> list[float]:
        delays = Retry(first_seconds=0.5, max_seconds=3.0).delays()
        return [await anext(delays) for _ in range(5)]

    assert asyncio.run(first_delays()) == [0.5, 1.0, 2.0, 3.0, 3.0]


# Rounds on the leader ---------------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def market_bus() -> tuple[MessageBus, Store, Callable[[], UnitOfWork]]:
    store = Store()
    service, _ = make_service(store)
    for command in (
        commands.RegisterGroup(group=group()),
        commands.RegisterBuyer(buyer=buyer()),
        commands.RegisterCertificate(certificate=certificate()),
        commands.AnnounceSupply(supply=supply()),
        commands.SubmitOrder(order=order("o1")),
    ):
        service.bus.handle(command)
    return service.bus, store, service.read_uow_factory


def test_the_leader_runs_a_round_once_the_book_has_settled() -> None:
    bus, store, reads = market_bus()
    clock = Ticks()
    rounds = LeaderRounds(bus, reads, Timing(1.0, 10.0, 0.0), clock=clock)

    asyncio.run(rounds.tick())
    clock.now = 0.5
    asyncio.run(rounds.tick())
    assert rounds.rounds_run == 0
    clock.now = 1.2
    asyncio.run(rounds.tick())

    assert rounds.rounds_run == 1
    assert [c.order_id for c in store.contracts.values()] == ["o1"]


def test_the_version_bumps_of_a_round_do_not_start_another_round() -> None:
    bus, _, reads = market_bus()
    clock = Ticks()
    rounds = LeaderRounds(bus, reads, Timing(1.0, 10.0, 0.0), clock=clock)
    asyncio.run(rounds.tick())
    clock.now = 2.0
    asyncio.run(rounds.tick())
    assert rounds.rounds_run == 1

    for t in (3.0, 5.0, 8.0):
        clock.now = t
        asyncio.run(rounds.tick())

    assert rounds.rounds_run == 1


def test_a_change_after_a_round_starts_the_next_one() -> None:
    bus, store, reads = market_bus()
    clock = Ticks()
    rounds = LeaderRounds(bus, reads, Timing(1.0, 10.0, 0.0), clock=clock)
    asyncio.run(rounds.tick())
    clock.now = 2.0
    asyncio.run(rounds.tick())

    bus.handle(commands.SubmitOrder(order=order("o2")))
    clock.now = 3.0
    asyncio.run(rounds.tick())
    clock.now = 4.5
    asyncio.run(rounds.tick())

    assert rounds.rounds_run == 2
    assert {c.order_id for c in store.contracts.values()} == {"o1", "o2"}


def test_after_its_first_round_the_leader_clears_only_the_markets_that_changed() -> None:
    """The first round of a leader clears every market; a round after changes clears the
    markets whose version moved since (a market is a crop), and a scheduled one all of them."""
    bus, _, reads = market_bus()
    ran: list[tuple[str, tuple[str, ...]]] = []
    handle = bus.handle

    def seen(command: commands.Command) -> Any:
        if isinstance(command, commands.RunMatchingRound):
            ran.append((command.trigger, command.crops))
        return handle(command)

    bus.handle = seen  # type: ignore[method-assign]
    clock = Ticks()
    rounds = LeaderRounds(bus, reads, Timing(1.0, 10.0, 0.0), clock=clock)
    asyncio.run(rounds.tick())
    clock.now = 2.0
    asyncio.run(rounds.tick())
    eggs = replace(order("e1"), crop_id="eggs")
    bus.handle(commands.SubmitOrder(order=eggs))
    for t in (3.0, 4.5):
        clock.now = t
        asyncio.run(rounds.tick())
    assert ran == [("debounce", ()), ("debounce", ("eggs",))]
    assert rounds.changed == set()

    assert rounds.markets_for("schedule") == ()


def test_a_round_that_fails_is_tried_again_and_the_timer_carries_on() -> None:
    store = Store()
    service, _ = make_service(store)
    service.bus.handle(commands.RegisterGroup(group=group()))
    service.bus.handle(commands.RegisterBuyer(buyer=buyer()))
    service.bus.handle(commands.RegisterCertificate(certificate=certificate()))
    service.bus.handle(commands.AnnounceSupply(supply=supply()))
    service.bus.handle(commands.SubmitOrder(order=order()))
    flaky = Flaky(store, failures=1)
    bus = MessageBus(flaky, service.context)
    clock = Ticks()
    rounds = LeaderRounds(bus, service.read_uow_factory, Timing(1.0, 10.0, 0.0), clock=clock)
    asyncio.run(rounds.tick())

    clock.now = 1.5
    asyncio.run(rounds.tick())  # the database is down: no round, no crash
    assert rounds.rounds_run == 0
    clock.now = 3.0
    asyncio.run(rounds.tick())

    assert rounds.rounds_run == 1
    assert len(store.contracts) == 1


# The outbox relay -------------------------------------------------------------------------


class FakePublisher:
    """Acknowledges every message, except those ``refuse`` maps to an error."""

    def __init__(self, refuse: Callable[[WireMessage], BaseException | None] | None = None) -> None:
        self.sent: list[WireMessage] = []
        self.closed = False
        self.refuse = refuse or (lambda _: None)
        self.max_message_bytes = 1_048_576

    def send_each(
        self,
        messages: list[WireMessage],
        *,
        timeout: float = 60.0,
        stopping: Callable[[], bool] = lambda: False,
    ) -> list[BaseException | None]:
        results: list[BaseException | None] = []
        for message in messages:
            error = self.refuse(message)
            if error is None:
                self.sent.append(message)
            results.append(error)
        return results

    def close(self, timeout: float = 10.0) -> None:
        self.closed = True


def test_the_relay_publishes_each_pending_event_once_and_closes_its_producer() -> None:
    store = Store()
    service, _ = make_service(store)
    service.bus.handle(commands.RegisterGroup(group=group()))
    service.bus.handle(commands.RegisterBuyer(buyer=buyer()))
    publisher = FakePublisher()
    relay = WorkerRelay(
        service.uow_factory,
        service.settings.kafka,
        service.context.clock,
        publisher_factory=lambda _: publisher,  # type: ignore[arg-type,return-value]
    )

    asyncio.run(relay.tick())
    asyncio.run(relay.tick())
    relay.close()

    assert [m.topic for m in publisher.sent] == [Topic.EVENTS, Topic.EVENTS]
    assert [json.loads(m.value)["type"] for m in publisher.sent] == [
        "group.registered",
        "buyer.registered",
    ]
    assert publisher.closed
    assert relay.drain() == 0  # a closed relay publishes nothing


def test_a_commit_in_the_worker_wakes_its_relay_at_once() -> None:
    """The worker's bus wakes the relay after each commit: it relays then, not at its next
    tick; without a commit the wait runs out, and a closed relay is never woken."""
    store = Store()
    service, _ = make_service(store)
    before = len(service.bus.subscribers)
    app = create_worker_app(
        service.settings,
        service,
        worker_id="unit",
        dead_letters=Captured(),
        publisher_factory=lambda _: FakePublisher(),  # type: ignore[arg-type,return-value]
    )
    tasks = [task.__name__ for task in app._app_tasks]  # faust keeps the app's tasks there
    assert "relay_on_commit" in tasks
    assert len(service.bus.subscribers) == before + 1
    relay = WorkerRelay(service.uow_factory, service.settings.kafka, service.context.clock)
    service.bus.subscribers[-1] = lambda _event: relay.wake()

    assert not relay.woken(0.05)
    service.bus.handle(commands.RegisterGroup(group=group()))
    assert relay.woken(5.0)
    assert not relay.woken(0.05)  # each wake is taken once
    relay.wake()
    relay.close()
    assert not relay.woken(0.05)


def test_every_inbound_topic_has_an_agent() -> None:
    worker = make_worker()

    assert {agent_name(topic) for topic in INBOUND} <= set(worker.app.agents)


def test_a_worker_stopping_during_retries_leaves_the_message_unhandled() -> None:
    store = Store()
    service, _ = make_service(store, Flaky(store, failures=10**6))
    handler = MessageHandler(
        Topic.PARTICIPANTS,
        service.bus,
        service.metrics,
        Captured(),
        Retry(first_seconds=0.001, max_seconds=0.004),
        stopping=lambda: True,
    )
    key, value = wire(encode_command(commands.RegisterGroup(group=group())))
    delivery = Delivery(value, key, f"{PREFIX}.participants", 0, 7)

    outcome = asyncio.run(handler(delivery))

    assert outcome == "abandoned"
    assert store.groups == {}


def test_the_worker_command_registered_by_the_consumers_is_on_the_command_line() -> None:
    from typer.testing import CliRunner

    from matcher.cli import root_app

    result = CliRunner().invoke(root_app(), ["worker", "--help"])

    assert result.exit_code == 0, result.output
    assert "Kafka engine" in result.output


def test_an_order_arriving_just_before_its_buyer_is_handled_once_the_buyer_is_registered() -> None:
    store = Store()
    service, _ = make_service(store)
    dead = Captured()
    handler = MessageHandler(
        Topic.ORDERS, service.bus, service.metrics, dead, reference_grace_seconds=5.0
    )
    key, value = wire(encode_command(commands.SubmitOrder(order=order())))

    async def order_then_buyer() -> str:
        handling = asyncio.create_task(handler(Delivery(value, key, f"{PREFIX}.orders", 0, 1)))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(service.bus.handle, commands.RegisterBuyer(buyer=buyer()))
        return await handling

    outcome = asyncio.run(order_then_buyer())

    assert outcome == "ok"
    assert list(store.orders) == ["o1"]
    assert dead.records == []


def test_an_unknown_reference_is_refused_once_the_grace_period_is_over() -> None:
    store = Store()
    service, _ = make_service(store)
    dead = Captured()
    handler = MessageHandler(
        Topic.ORDERS, service.bus, service.metrics, dead, reference_grace_seconds=0.3
    )
    key, value = wire(encode_command(commands.SubmitOrder(order=order(buyer_id="nobody"))))

    outcome = asyncio.run(handler(Delivery(value, key, f"{PREFIX}.orders", 0, 2)))

    assert outcome == "rejected"
    assert [r["field"] for r in dead.records] == ["buyer_id"]


def test_a_message_id_reused_with_another_body_is_dead_lettered_and_the_first_body_stays() -> None:
    worker = make_worker()
    asyncio.run(deliver(worker.app, Topic.PARTICIPANTS, participants()))
    first = wire(encode_command(commands.SubmitOrder(message_id="m-o1", order=order())))
    other = encode_command(commands.SubmitOrder(message_id="m-o1", order=order("o2")))
    again = wire(encode_command(commands.SubmitOrder(message_id="m-o1", order=order())))

    outcomes = asyncio.run(deliver(worker.app, Topic.ORDERS, [first, wire(other), again]))

    assert outcomes == ["ok", "rejected", "duplicate"]
    assert set(worker.store.orders) == {"o1"}
    [record] = worker.dead.records
    assert (record["field"], record["reason"]) == (
        "message_id",
        "message_id reused with a different body",
    )
    assert base64.b64decode(record["original_base64"]) == other.value
    dead = worker.metrics.registry.get_sample_value(
        "foodmatch_dead_letters_total", {"topic": "orders", "field": "message_id"}
    )
    assert dead == 1


def relay_of(
    service: Service, publisher: FakePublisher, metrics: Metrics | None = None
) -> WorkerRelay:
    return WorkerRelay(
        service.uow_factory,
        service.settings.kafka,
        service.context.clock,
        publisher_factory=lambda _: publisher,  # type: ignore[arg-type,return-value]
        max_event_bytes=20_000,
        on_parked=metrics.outbox_parked if metrics is not None else None,
    )


def test_an_event_that_cannot_be_sent_is_parked_counted_and_the_events_behind_it_go_out() -> None:
    from kafka.errors import MessageSizeTooLargeError, TopicAuthorizationFailedError

    store = Store()
    service, metrics = make_service(store)
    service.bus.handle(commands.RegisterGroup(group=group()))
    big = FarmerGroup("g-big", "ก" * 12_000, "Big", Location(7.0, 100.45), members=1)
    service.bus.handle(commands.RegisterGroup(group=big))  # 36 kB of Thai text: too large
    service.bus.handle(
        commands.RegisterGroup(
            group=FarmerGroup("g-refused", "กลุ่ม", "Refused", Location(7.0, 100.45), members=3)
        )
    )
    service.bus.handle(
        commands.RegisterGroup(
            group=FarmerGroup("g-broker", "กลุ่ม", "Broker", Location(7.0, 100.45), members=3)
        )
    )
    service.bus.handle(commands.RegisterBuyer(buyer=buyer()))

    refusals: dict[str, Callable[[], BaseException]] = {
        "g-refused": TopicAuthorizationFailedError,
        "g-broker": MessageSizeTooLargeError,
    }

    def refuse(message: WireMessage) -> BaseException | None:
        refusal = refusals.get(json.loads(message.value)["body"].get("id"))
        return None if refusal is None else refusal()

    publisher = FakePublisher(refuse)
    relay = relay_of(service, publisher, metrics)

    asyncio.run(relay.tick())
    asyncio.run(relay.tick())

    sent = [json.loads(m.value)["body"]["id"] for m in publisher.sent]
    assert sent == ["g1", "h1"]
    reasons = {store.outbox[n - 1].payload["id"]: why for n, why in store.parked.items()}
    assert set(reasons) == {"g-big", "g-refused", "g-broker"}
    assert reasons["g-big"].startswith("encoded event of ")
    assert reasons["g-big"].endswith("is above the limit of 20,000 bytes")
    assert reasons["g-refused"].startswith("refused by the broker: TopicAuthorizationFailedError")
    assert reasons["g-broker"].startswith("refused by the broker: MessageSizeTooLargeError")
    assert relay.published == 2
    assert relay.parked == 3
    counted = metrics.registry.get_sample_value
    parked = "foodmatch_outbox_parked_total"
    assert counted(parked, {"topic": "events", "reason": "too_large"}) == 2
    assert counted(parked, {"topic": "events", "reason": "refused"}) == 1
    with service.uow_factory() as uow:
        assert uow.outbox.pending() == []


def test_an_error_that_may_pass_stops_the_batch_there_and_the_next_pass_sends_the_rest() -> None:
    from kafka.errors import NotEnoughReplicasError

    store = Store()
    service, _ = make_service(store)
    service.bus.handle(commands.RegisterGroup(group=group()))
    service.bus.handle(commands.RegisterBuyer(buyer=buyer()))
    service.bus.handle(commands.RegisterCertificate(certificate=certificate()))
    failing = {"h1"}

    def refuse(message: WireMessage) -> BaseException | None:
        found = json.loads(message.value)["body"].get("id") in failing
        return NotEnoughReplicasError() if found else None

    publisher = FakePublisher(refuse)
    relay = relay_of(service, publisher)
    relay._failures = 100  # the back-off would be 30 s: close() must end it
    outcome: list[int] = []

    async def tick_then_close() -> None:
        ticking = asyncio.create_task(relay.tick())
        await asyncio.sleep(0.3)
        outcome.append(len(publisher.sent))
        failing.clear()
        await asyncio.to_thread(relay.close)
        await asyncio.wait_for(ticking, timeout=10)

    asyncio.run(tick_then_close())

    assert outcome == [2]  # g1 and c-g1 went out, h1 failed in between
    assert store.parked == {}
    with service.uow_factory() as uow:  # only what came before the failure counts as published
        assert [e.payload["id"] for e in uow.outbox.pending()] == ["h1", "c-g1"]
    assert publisher.closed
    again = relay_of(service, FakePublisher())
    assert again.drain() == 2
