"""A proposal never outlives its delivery: its deadline is at the latest the proposal cut-off
before the first delivery, and a delivery too close for any answer is not proposed at all but
reported unfilled with reason ``too_late``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from matcher.config import load_settings
from matcher.domain.lifecycle import TOO_LATE, answer_due, proposal_deadline, too_late
from matcher.domain.model import ForwardOrder, SupplyAnnouncement
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.optimiser.schema import parse_instance
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from tests.support.builders import CROPS, STANDARDS
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store
from tests.support.participants import register_market

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday
HOUR = timedelta(hours=1)


def bus_at(
    store: Store, *, ttl: timedelta = 72 * HOUR, cutoff: timedelta = 24 * HOUR, lead_days: int = 0
) -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops,
        standards=catalogue.standards,
        clock=FixedClock(NOW),
        proposal_ttl=ttl,
        proposal_cutoff=cutoff,
        lead_days=lead_days,
    )
    return MessageBus(lambda: FakeUnitOfWork(store), context)


def market(bus: MessageBus, *days: date, qty: int = 40) -> None:
    register_market(bus)
    weeks = {iso_week(d): 1000 for d in days}
    bus.handle(
        commands.AnnounceSupply(
            supply=SupplyAnnouncement("s1", "g1", "kale", Scheme.THAI_GAP, weeks, 2000)
        )
    )
    bus.handle(
        commands.SubmitOrder(
            order=ForwardOrder("o1", "h1", "kale", qty, tuple(days), Tier.SAFE, max_price=3000)
        )
    )


# --- the deadline ----------------------------------------------------------------------------


def test_deadline_is_the_ttl_when_the_first_delivery_is_far_enough() -> None:
    made = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    deadline = proposal_deadline(
        made_at=made, first_day=date(2026, 12, 9), ttl=72 * HOUR, cutoff=24 * HOUR
    )
    assert deadline == made + 72 * HOUR


def test_deadline_is_the_cutoff_before_a_first_delivery_sooner_than_the_ttl() -> None:
    made = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    deadline = proposal_deadline(
        made_at=made, first_day=date(2026, 11, 27), ttl=72 * HOUR, cutoff=24 * HOUR
    )
    assert deadline == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert deadline == answer_due(date(2026, 11, 27), 24 * HOUR)


@pytest.mark.parametrize(
    ("day", "late"),
    [
        (date(2026, 11, 25), True),  # today
        (date(2026, 11, 26), True),  # answers due 2026-11-25 00:00, already past at 08:00
        (date(2026, 11, 27), False),  # answers due 2026-11-26 00:00
    ],
)
def test_a_delivery_is_too_late_once_its_answer_would_be_due(day: date, late: bool) -> None:
    assert too_late(day, NOW, 24 * HOUR) is late


def test_a_rounds_proposal_expires_before_its_first_delivery_not_after() -> None:
    store = Store()
    bus = bus_at(store)
    first = date(2026, 11, 27)  # Friday: 40 hours after the round, within the 72 h ttl
    market(bus, first, date(2026, 12, 4))

    bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert contract.first_day == first
    assert contract.proposal_expires_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert contract.proposal_expires_at < NOW + 72 * HOUR


def test_a_rounds_proposal_for_later_deliveries_keeps_the_ttl() -> None:
    store = Store()
    bus = bus_at(store)
    market(bus, date(2026, 12, 9))

    bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert contract.proposal_expires_at == NOW + 72 * HOUR


# --- too late --------------------------------------------------------------------------------


def test_a_delivery_too_close_to_answer_is_not_proposed_and_reported_too_late() -> None:
    store = Store()
    bus = bus_at(store)
    tomorrow, later = date(2026, 11, 26), date(2026, 12, 2)
    market(bus, tomorrow, later)

    outcome = bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert [d.day for d in contract.deliveries] == [later]
    record = outcome.value
    assert [(u.day, u.quantity, u.reason) for u in record.unfilled] == [(tomorrow, 40, TOO_LATE)]
    assert "too close" in record.unfilled[0].detail
    assert record.summary["too_late"] == 40


def test_deliveries_inside_the_lead_days_are_reported_too_late() -> None:
    store = Store()
    bus = bus_at(store, cutoff=timedelta(0), lead_days=3)
    soon, later = date(2026, 11, 27), date(2026, 12, 2)
    market(bus, soon, later)

    outcome = bus.handle(commands.RunMatchingRound())

    assert [d.day for c in store.contracts.values() for d in c.deliveries] == [later]
    assert [(u.day, u.reason) for u in outcome.value.unfilled] == [(soon, TOO_LATE)]
    assert "lead days" in outcome.value.unfilled[0].detail


def test_past_deliveries_and_deliveries_under_contract_are_not_reported_too_late() -> None:
    store = Store()
    bus = bus_at(store)
    market(bus, date(2026, 11, 20), date(2026, 12, 2))
    bus.handle(commands.RunMatchingRound())  # contracts the 2 December delivery

    outcome = bus.handle(commands.RunMatchingRound())

    assert outcome.value.unfilled == ()
    assert outcome.value.summary["too_late"] == 0


def test_a_zero_cutoff_proposes_tomorrows_delivery() -> None:
    store = Store()
    bus = bus_at(store, cutoff=timedelta(0))
    market(bus, date(2026, 11, 26))

    bus.handle(commands.RunMatchingRound())

    (contract,) = store.contracts.values()
    assert contract.proposal_expires_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)


def test_the_cutoff_setting_defaults_to_24_hours_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().proposal_cutoff_hours == 24
    monkeypatch.setenv("FOODMATCH_PROPOSAL_CUTOFF_HOURS", "6")
    assert load_settings().proposal_cutoff_hours == 6
