"""A clearing with nothing open: no orders, no supply, or everything under contract already.

Such a round is the common case of a scheduled round over a quiet market: it completes, makes
no contract and reports no open demand (never a failure, never the contracted quantity as
demand). The orders run over two weeks, so continuity solves their markets week after week.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from matcher.domain.contracts import RoundStatus
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
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.schema import parse_instance
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from matcher.service import commands
from matcher.service.context import ServiceContext
from matcher.service.messagebus import MessageBus
from tests.support.builders import CROPS, DELIVERY, STANDARDS, WEEK, InstanceBuilder, week_after
from tests.support.fakes import FakeUnitOfWork, FixedClock, Store

SECOND = DELIVERY + timedelta(days=7)


def two_week_market() -> MatchingInstance:
    """One group with 100 kg in each of two weeks; a hospital orders 80 kg in both."""
    b = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP")
    b.supply("s1", "g1", weeks={WEEK: 100, week_after(WEEK): 100})
    b.buyer("h1").order("o1", "h1", quantity=80, deliveries=[DELIVERY, SECOND])
    return b.instance()


def quiet(kind: str) -> MatchingInstance:
    instance = two_week_market()
    if kind == "all under contract":
        return replace(
            instance,
            open_demand={("o1", DELIVERY): 0, ("o1", SECOND): 0},
            open_supply={("s1", WEEK): 20, ("s1", week_after(WEEK)): 20},
        )
    if kind == "no orders":
        return replace(instance, orders=())
    if kind == "no supply":
        return replace(instance, supply=())
    assert kind == "neither"
    return replace(instance, orders=(), supply=())


@pytest.mark.parametrize("solver", ["auto", "cpsat", "greedy"])
@pytest.mark.parametrize("kind", ["all under contract", "no orders", "neither"])
def test_a_clearing_with_no_open_demand_completes_with_nothing_to_do(
    kind: str, solver: str
) -> None:
    instance = quiet(kind)
    solution = solve(instance, solver=solver)
    assert solution.status.value != "error", solution.message
    assert solution.message == ""
    assert solution.allocations == ()
    assert solution.unfilled == ()
    summary = solution.to_json()["summary"]
    assert (summary["demand"], summary["filled"], summary["unfilled"]) == (0, 0, 0)
    assert summary["fill_rate"] == 1.0
    assert validate(instance, solution).ok


@pytest.mark.parametrize("solver", ["auto", "cpsat", "greedy"])
def test_a_clearing_with_no_supply_leaves_the_open_demand_unfilled_with_a_reason(
    solver: str,
) -> None:
    instance = quiet("no supply")
    solution = solve(instance, solver=solver)
    assert solution.status.value != "error", solution.message
    assert solution.allocations == ()
    assert [(u.day, u.quantity, u.reason.value) for u in solution.unfilled] == [
        (DELIVERY, 80, "no_supply"),
        (SECOND, 80, "no_supply"),
    ]
    assert (solution.summary.demand, solution.summary.filled) == (160, 0)
    assert validate(instance, solution).ok


def test_an_error_reports_the_open_demand_not_what_is_under_contract() -> None:
    instance = replace(
        quiet("all under contract"), open_demand={("o1", DELIVERY): 0, ("o1", SECOND): 30}
    )
    solution = solve(instance, solver="no-such-solver")
    assert solution.status.value == "error"
    assert (solution.summary.demand, solution.summary.order_weeks) == (30, 1)


# Through the message bus ------------------------------------------------------------------

DAY = date(2026, 12, 9)


@pytest.fixture
def bus() -> MessageBus:
    catalogue = parse_instance({"crops": CROPS, "standards": STANDARDS})
    context = ServiceContext(
        crops=catalogue.crops, standards=catalogue.standards, clock=FixedClock()
    )
    store = Store()
    return MessageBus(lambda: FakeUnitOfWork(store), context)


def test_a_round_over_a_book_fully_under_contract_completes_with_no_open_demand(
    bus: MessageBus,
) -> None:
    days = (DAY, DAY + timedelta(days=7))
    group = FarmerGroup("g1", "กลุ่ม", "Group g1", Location(7.0, 100.45), members=12)
    buyer = Buyer("h1", "โรงพยาบาล", "Hospital h1", BuyerKind.HOSPITAL, Location(7.01, 100.47))
    cert = Certificate("c1", "g1", Scheme.THAI_GAP, date(2026, 1, 1), date(2027, 12, 31))
    weeks = {iso_week(d): 100 for d in days}
    bus.handle(commands.RegisterGroup(group=group))
    bus.handle(commands.RegisterBuyer(buyer=buyer))
    bus.handle(commands.RegisterCertificate(certificate=cert))
    bus.handle(
        commands.AnnounceSupply(
            supply=SupplyAnnouncement("s1", "g1", "kale", Scheme.THAI_GAP, weeks, 2000)
        )
    )
    bus.handle(
        commands.SubmitOrder(
            order=ForwardOrder("o1", "h1", "kale", 80, days, Tier.SAFE, max_price=3000)
        )
    )
    first = bus.handle(commands.RunMatchingRound()).value
    assert first.status is RoundStatus.COMPLETED
    assert first.summary["demand"] == 160
    assert first.summary["filled"] == 160

    second = bus.handle(commands.RunMatchingRound()).value

    assert second.status is RoundStatus.COMPLETED, second.notes
    assert second.solver_status != "error"
    assert second.contract_ids == ()
    assert second.unfilled == ()
    assert second.notes == ()
    assert (second.summary["demand"], second.summary["unfilled"]) == (0, 0)
    assert second.summary["contracts"] == 0
