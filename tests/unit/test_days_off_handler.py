"""The SetDaysOff command: it replaces a buyer's non-delivery days and nothing else of it, once
(the same days again change nothing and say nothing), checked as a buyer's days are; its wire
form carries exactly those fields and decodes back to the same command."""

from __future__ import annotations

from datetime import date

import pytest

from matcher.adapters.wire import decode_command, encode_command
from matcher.domain.errors import InvalidValue, NotFound
from matcher.optimiser.schema import parse_instance
from matcher.service import commands, events
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.participants import buyer

CLOSED = date(2027, 3, 17)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def bus(store: Store) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    made = MessageBus(lambda: FakeUnitOfWork(store), context)
    made.handle(commands.RegisterBuyer(buyer=buyer("h1")))
    return made


def days_off(weekdays: tuple[str, ...], dates: tuple[date, ...]) -> commands.SetDaysOff:
    return commands.SetDaysOff(buyer_id="h1", weekdays=weekdays, dates=dates, actor="buyer:h1")


def test_the_days_replace_those_the_buyer_had_and_nothing_else(
    bus: MessageBus, store: Store
) -> None:
    before = store.buyers["h1"]
    bus.handle(days_off(("sun", "sat"), (CLOSED,)))

    outcome = bus.handle(days_off(("sun",), (CLOSED, date(2027, 3, 10), CLOSED)))

    stored = store.buyers["h1"]
    assert stored.non_delivery_weekdays == ("sun",)
    assert stored.non_delivery_dates == (date(2027, 3, 10), CLOSED)
    assert (stored.name_th, stored.location, stored.kind) == (
        before.name_th,
        before.location,
        before.kind,
    )
    assert [type(e) for e in outcome.events] == [events.BuyerDaysOffChanged]
    assert outcome.events[0].payload == {
        "buyer_id": "h1",
        "non_delivery_weekdays": ["sun"],
        "non_delivery_dates": ["2027-03-10", "2027-03-17"],
        "actor": "buyer:h1",
    }


def test_the_same_days_again_change_nothing(bus: MessageBus) -> None:
    bus.handle(days_off(("sat",), ()))

    again = bus.handle(days_off(("sat",), ()))

    assert again.events == ()


def test_a_wrong_day_or_buyer_is_refused(bus: MessageBus, store: Store) -> None:
    every_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    with pytest.raises(InvalidValue) as err:
        bus.handle(days_off(every_day, ()))
    assert err.value.field == "non_delivery_weekdays"
    with pytest.raises(InvalidValue):
        bus.handle(days_off(("someday",), ()))
    with pytest.raises(NotFound):
        bus.handle(commands.SetDaysOff(buyer_id="nobody", weekdays=(), dates=()))
    assert store.buyers["h1"].non_delivery_weekdays == ()


def test_the_wire_form_round_trips() -> None:
    sent = days_off(("sat",), (CLOSED,))

    message = encode_command(sent)

    assert message.key == "h1"
    assert message.topic.value.endswith("participants")
    assert decode_command(message.value, message.topic) == sent
