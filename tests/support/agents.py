"""A worker's message handling without Kafka: a market's participants as wire messages, the service
and worker wired to in-memory stores, and unit-of-work factories that fail on purpose."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import faust

from consumers.agents import agent_name
from consumers.app import create_worker_app
from consumers.handling import Retry
from matcher.adapters.metrics import Metrics
from matcher.adapters.topics import Topic
from matcher.adapters.wire import WireMessage, encode_command
from matcher.bootstrap import Service
from matcher.config import KafkaSettings, Settings
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.optimiser.schema import parse_instance
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from matcher.service.ports import UnitOfWork
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store

DAY = date(2026, 12, 9)
PREFIX = "unit"


@dataclass
class Captured:
    """Dead-letter records the agents sent, decoded."""

    records: list[dict[str, Any]] = field(default_factory=list)
    keys: list[bytes | None] = field(default_factory=list)

    async def __call__(self, key: bytes | None, value: bytes) -> None:
        self.keys.append(key)
        self.records.append(json.loads(value))


@dataclass
class Worker:
    app: faust.App
    store: Store
    metrics: Metrics
    dead: Captured
    bus: MessageBus


def make_service(
    store: Store, uow_factory: Callable[[], UnitOfWork] | None = None
) -> tuple[Service, Metrics]:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    factory = uow_factory or (lambda: FakeUnitOfWork(store))
    metrics = Metrics()
    bus = MessageBus(factory, context, subscribers=[metrics.on_event])
    settings = Settings(kafka=KafkaSettings(topic_prefix=PREFIX, partitions=2))
    return Service(settings, context, bus, factory, factory, metrics, engine=None), metrics


def make_worker(uow_factory: Callable[[], UnitOfWork] | None = None) -> Worker:
    store = Store()
    service, metrics = make_service(store, uow_factory)
    dead = Captured()
    app = create_worker_app(
        service.settings,
        service,
        worker_id="unit",
        dead_letters=dead,
        retry=Retry(first_seconds=0.001, max_seconds=0.004),
        relay=False,
    )
    return Worker(app, store, metrics, dead, service.bus)


async def deliver(app: faust.App, topic: Topic, messages: list[tuple[bytes, bytes]]) -> list[str]:
    """Put (key, value) pairs through the topic's agent; returns the outcome of each."""
    agent = app.agents[agent_name(topic)]
    async with agent.test_context() as ctx:
        for key, value in messages:
            await ctx.put(value, key=key)
        return [ctx.results[n] for n in range(len(messages))]


def wire(message: WireMessage) -> tuple[bytes, bytes]:
    return message.key.encode(), message.value


def group() -> FarmerGroup:
    return FarmerGroup("g1", "กลุ่ม", "Group g1", Location(7.0, 100.45), members=12)


def buyer() -> Buyer:
    return Buyer("h1", "โรงพยาบาล", "Hospital h1", BuyerKind.HOSPITAL, Location(7.01, 100.47))


def certificate() -> Certificate:
    return Certificate("c-g1", "g1", Scheme.THAI_GAP, date(2026, 1, 1), date(2027, 12, 31))


def supply(sid: str = "s1") -> SupplyAnnouncement:
    return SupplyAnnouncement(sid, "g1", "kale", Scheme.THAI_GAP, {iso_week(DAY): 100}, 2000)


def order(oid: str = "o1", buyer_id: str = "h1") -> ForwardOrder:
    return ForwardOrder(oid, buyer_id, "kale", 60, (DAY,), Tier.SAFE, max_price=3000)


def participants() -> list[tuple[bytes, bytes]]:
    return [
        wire(encode_command(commands.RegisterGroup(group=group()))),
        wire(encode_command(commands.RegisterBuyer(buyer=buyer()))),
        wire(encode_command(commands.RegisterCertificate(certificate=certificate()))),
    ]


def commands_counted(metrics: Metrics, command: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "foodmatch_commands_total", {"command": command, "outcome": outcome}
    )
    return value or 0.0


class Flaky:
    """A unit-of-work factory that fails ``failures`` times (the database is down) first."""

    def __init__(self, store: Store, failures: int) -> None:
        self.store = store
        self.failures = failures

    def __call__(self) -> UnitOfWork:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database unavailable")
        return FakeUnitOfWork(self.store)
