"""A round limited to some markets reads only their book, in the order the whole book has it,
unless a rule ties markets of different crops together."""

from __future__ import annotations

from dataclasses import replace

from matcher.optimiser.schema import parse_instance
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from matcher.service.rounds import take_snapshot
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.participants import group, order, register_market, supply


def market(store: Store, clock: FixedClock) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(crops=catalogue.crops, standards=catalogue.standards, clock=clock)
    bus = MessageBus(lambda: FakeUnitOfWork(store), context)
    register_market(bus)
    for n, crop in enumerate(["kale", "eggs", "kale", "rice", "eggs", "kale"]):
        clock.advance(minutes=1)
        bus.handle(commands.AnnounceSupply(supply=replace(supply(f"s{n}"), crop_id=crop)))
        bus.handle(commands.SubmitOrder(order=replace(order(f"o{n}"), crop_id=crop)))
    return bus


def test_a_round_of_some_markets_reads_their_book_in_the_order_of_the_whole_book() -> None:
    store, clock = Store(), FixedClock()
    bus = market(store, clock)
    today = clock.now().date()
    with FakeUnitOfWork(store) as uow:
        whole = take_snapshot(uow, bus.context, (), today).instance
        some = take_snapshot(uow, bus.context, ("kale", "eggs"), today).instance

    assert [o.id for o in some.orders] == [
        o.id for o in whole.orders if o.crop_id in ("kale", "eggs")
    ]
    assert [o.id for o in some.orders] == ["o0", "o1", "o2", "o4", "o5"]
    assert [s.id for s in some.supply] == ["s0", "s1", "s2", "s4", "s5"]
    assert some.open_demand is not None
    assert whole.open_demand is not None
    assert set(some.open_demand) <= set(whole.open_demand)


def test_a_limit_on_a_groups_buyers_ties_the_markets_and_the_round_clears_them_all() -> None:
    store, clock = Store(), FixedClock()
    bus = market(store, clock)
    bus.handle(commands.RegisterGroup(group=replace(group("g2"), max_buyers_per_week=2)))
    with FakeUnitOfWork(store) as uow:
        some = take_snapshot(uow, bus.context, ("kale",), clock.now().date()).instance

    assert {o.crop_id for o in some.orders} == {"kale", "eggs", "rice"}
