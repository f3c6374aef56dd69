"""The command handlers end to end through the message bus on a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import (
    RELEASED_STATES,
    Contract,
    ContractDelivery,
    ContractState,
    MatchingRound,
    RoundStatus,
)
from matcher.domain.errors import UnknownReference
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    Crop,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
    Unit,
)
from matcher.domain.standards import Scheme, StandardsRelation, Tier
from matcher.domain.weeks import iso_week
from matcher.service import commands
from matcher.service.context import ServiceContext, SystemClock
from matcher.service.messagebus import MessageBus
from matcher.service.ports import ContractFilter
from matcher.service.rounds import take_snapshot

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
WEEK = "2026-W50"
WEDNESDAY = date(2026, 12, 9)
HAT_YAI = Location(7.0167, 100.4681)
SONGKHLA = Location(7.1422, 100.5664)
FAR_AWAY = Location(6.5, 101.2)


class FixedClock(SystemClock):
    def now(self) -> datetime:
        return NOW


def context() -> ServiceContext:
    crops = {"kale": Crop("kale", "คะน้า", "Chinese kale", Unit.KG, group="leafy")}
    standards = StandardsRelation.from_mapping(
        {
            "schemes": {
                "NONE": {"satisfies": ["ANY"], "needs_certificate": False},
                "THAI_GAP": {"satisfies": ["ANY", "SAFE"]},
            }
        }
    )
    return ServiceContext(crops=crops, standards=standards, clock=FixedClock())


@pytest.fixture
def uow_factory(tmp_path: Path) -> Iterator[Callable[[], SqlUnitOfWork]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'service.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    yield lambda: SqlUnitOfWork(sessions)
    engine.dispose()


@pytest.fixture
def bus(uow_factory: Callable[[], SqlUnitOfWork]) -> MessageBus:
    return MessageBus(uow_factory, context())


def group(group_id: str, location: Location) -> FarmerGroup:
    return FarmerGroup(group_id, f"กลุ่ม {group_id}", f"Group {group_id}", location, members=10)


def kale_supply(supply_id: str, group_id: str, quantity: int, ask: int) -> SupplyAnnouncement:
    return SupplyAnnouncement(supply_id, group_id, "kale", Scheme.THAI_GAP, {WEEK: quantity}, ask)


def open_book(bus: MessageBus) -> None:
    """Two certified groups (near and cheap, far and dear), a hospital ordering 50 kg of kale."""
    for g in (group("near", HAT_YAI), group("far", FAR_AWAY)):
        bus.handle(commands.RegisterGroup(group=g))
        certificate = Certificate(
            f"cert-{g.id}", g.id, Scheme.THAI_GAP, date(2026, 1, 1), date(2027, 12, 31)
        )
        bus.handle(commands.RegisterCertificate(certificate=certificate))
    hospital = Buyer("hospital", "โรงพยาบาล", "Hospital", BuyerKind.HOSPITAL, SONGKHLA)
    bus.handle(commands.RegisterBuyer(buyer=hospital))
    bus.handle(commands.AnnounceSupply(supply=kale_supply("s-near", "near", 80, 3000)))
    bus.handle(commands.AnnounceSupply(supply=kale_supply("s-far", "far", 80, 4500)))
    order = ForwardOrder("o1", "hospital", "kale", 50, (WEDNESDAY,), min_tier=Tier.SAFE)
    bus.handle(commands.SubmitOrder(order=order))


def test_a_round_proposes_a_contract_with_the_nearest_cheapest_group(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    outcome = bus.handle(commands.RunMatchingRound(trigger="request"))

    record = outcome.value
    assert isinstance(record, MatchingRound)
    with uow_factory() as uow:
        (contract,) = uow.contracts.list(ContractFilter())
        assert uow.rounds.get(record.id) == record
        assert uow.contracts.bound_demand() == {("o1", WEDNESDAY): 50}
        assert uow.contracts.bound_supply() == {("s-near", WEEK): 50}
        published = [e.event for e in uow.outbox.pending()]
    assert (contract.group_id, contract.supply_id, contract.buyer_id) == (
        "near",
        "s-near",
        "hospital",
    )
    assert contract.unit_price == 3000
    assert contract.state is ContractState.PROPOSED
    assert contract.created_at is not None
    assert contract.created_at.tzinfo is not None
    (delivery,) = contract.deliveries
    assert (delivery.day, delivery.week, delivery.quantity) == (WEDNESDAY, WEEK, 50)
    assert delivery.distance_km > 0
    assert record.contract_ids == (contract.id,)
    assert published[-2:] == ["ContractProposed", "RoundCompleted"]
    assert published.count("SupplyAnnounced") == 2


def test_a_second_round_keeps_contracted_quantities_and_adds_no_duplicate(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    bus.handle(commands.RunMatchingRound())
    with uow_factory() as uow:
        before = uow.contracts.list(ContractFilter())

    second = bus.handle(commands.RunMatchingRound()).value

    assert isinstance(second, MatchingRound)
    assert second.contract_ids == ()
    with uow_factory() as uow:
        assert uow.contracts.list(ContractFilter()) == before
        assert len(uow.rounds.list()) == 2
        assert uow.contracts.bound_demand() == {("o1", WEDNESDAY): 50}


def test_a_bigger_order_later_is_filled_only_for_what_is_still_open(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    bus.handle(commands.RunMatchingRound())
    later = ForwardOrder("o2", "hospital", "kale", 40, (WEDNESDAY,), min_tier=Tier.SAFE)
    bus.handle(commands.SubmitOrder(order=later))

    bus.handle(commands.RunMatchingRound())

    with uow_factory() as uow:
        second_round = uow.contracts.list(ContractFilter(order_id="o2"))
        bound = uow.contracts.bound_supply()
    by_supply = {c.supply_id: c.deliveries for c in second_round}
    assert by_supply == {
        "s-near": (ContractDelivery(WEDNESDAY, WEEK, 30, by_supply["s-near"][0].distance_km),),
        "s-far": (ContractDelivery(WEDNESDAY, WEEK, 10, by_supply["s-far"][0].distance_km),),
    }
    assert bound == {("s-near", WEEK): 80, ("s-far", WEEK): 10}


def test_the_same_message_twice_has_one_effect(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    first = bus.handle(commands.RunMatchingRound(message_id="round-1"))
    repeat = bus.handle(commands.RunMatchingRound(message_id="round-1"))

    assert not first.duplicate
    assert repeat.duplicate
    assert repeat.events == ()
    with uow_factory() as uow:
        assert len(uow.rounds.list()) == 1
        assert len(uow.contracts.list(ContractFilter())) == 1
        assert uow.inbox.seen("round-1")
        published = [e.event for e in uow.outbox.pending()]
    assert published.count("RoundCompleted") == 1


def test_an_order_of_an_unknown_buyer_leaves_nothing_behind(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    order = ForwardOrder("o1", "nobody", "kale", 10, (WEDNESDAY,))

    with pytest.raises(UnknownReference):
        bus.handle(commands.SubmitOrder(order=order, message_id="bad-1"))

    with uow_factory() as uow:
        assert uow.orders.list() == []
        assert uow.markets.all() == {}
        assert not uow.inbox.seen("bad-1")
        assert uow.outbox.pending() == []


def test_registering_the_same_group_again_is_a_harmless_repeat(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    bus.handle(commands.RegisterGroup(group=group("near", HAT_YAI)))
    again = bus.handle(commands.RegisterGroup(group=group("near", HAT_YAI)))

    assert again.events == ()
    with uow_factory() as uow:
        assert uow.groups.list() == [group("near", HAT_YAI)]
        assert [e.event for e in uow.outbox.pending()] == ["GroupRegistered"]


def single_sourced_book(bus: MessageBus, quantity: int = 100) -> None:
    """The book of :func:`open_book`, plus an order for more than one group can give alone."""
    open_book(bus)
    order = ForwardOrder(
        "o-single", "hospital", "kale", quantity, (WEDNESDAY,), min_tier=Tier.SAFE, max_suppliers=1
    )
    bus.handle(commands.SubmitOrder(order=order))


def test_the_snapshot_names_the_groups_under_live_contracts_per_delivery(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    later = ForwardOrder("o2", "hospital", "kale", 10, (WEDNESDAY,), min_tier=Tier.SAFE)
    bus.handle(commands.SubmitOrder(order=later))
    live = Contract(
        id="c-live",
        round_id="r0",
        order_id="o1",
        buyer_id="hospital",
        group_id="near",
        supply_id="s-near",
        crop_id="kale",
        scheme=Scheme.THAI_GAP,
        min_tier=Tier.SAFE,
        unit_price=3000,
        deliveries=(ContractDelivery(WEDNESDAY, WEEK, 20, 20.0),),
        state=ContractState.ACCEPTED,
    )
    with uow_factory() as uow:
        uow.contracts.add(live)
        uow.contracts.add(replace(live, id="c-far", group_id="far", supply_id="s-far"))
        for n, state in enumerate(sorted(RELEASED_STATES)):
            uow.contracts.add(replace(live, id=f"c-gone-{n}", order_id="o2", state=state))
        uow.commit()

    with uow_factory() as uow:
        snapshot = take_snapshot(uow, context(), (), NOW.date())
        only_eggs = take_snapshot(uow, context(), ("eggs",), NOW.date())

    assert snapshot.instance.committed == {("o1", WEDNESDAY): frozenset({"near", "far"})}
    assert snapshot.instance.open_demand == {("o1", WEDNESDAY): 10, ("o2", WEDNESDAY): 10}
    assert only_eggs.instance.committed == {}


def test_the_snapshot_pages_through_many_contracts(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    open_book(bus)
    days = tuple(WEDNESDAY + timedelta(weeks=n) for n in range(3))
    with uow_factory() as uow:
        for n in range(2_100):
            uow.contracts.add(
                Contract(
                    id=f"c-{n:05d}",
                    round_id="r0",
                    order_id="o1",
                    buyer_id="hospital",
                    group_id="near" if n < 2_099 else "far",
                    supply_id="s-near",
                    crop_id="kale",
                    scheme=Scheme.THAI_GAP,
                    min_tier=Tier.SAFE,
                    unit_price=3000,
                    deliveries=(ContractDelivery(days[n % 3], iso_week(days[n % 3]), 1, 20.0),),
                )
            )
        uow.commit()
    with uow_factory() as uow:
        committed = take_snapshot(uow, context(), ("kale",), NOW.date()).instance.committed
    assert committed == {
        ("o1", days[0]): frozenset({"near"}),
        ("o1", days[1]): frozenset({"near"}),
        ("o1", days[2]): frozenset({"near", "far"}),
    }


def test_an_unfilled_line_of_a_round_keeps_its_alternative(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    single_sourced_book(bus)

    record = bus.handle(commands.RunMatchingRound(trigger="request")).value

    assert isinstance(record, MatchingRound)
    assert record.status is RoundStatus.COMPLETED, record.notes
    limited = [u for u in record.unfilled if u.order_id == "o-single"]
    assert [(u.quantity, u.reason) for u in limited] == [(20, "supplier_limit")]
    alternative = limited[0].alternative
    assert alternative is not None
    assert (alternative["group_id"], alternative["rule"]) == ("far", "supplier_limit")
    assert alternative["supply_id"] == "s-far"
    assert alternative["week"] == WEEK
    with uow_factory() as uow:
        stored = uow.rounds.get(record.id)
        contracts = uow.contracts.list(ContractFilter(order_id="o-single"))
    assert stored == record
    assert [u.alternative for u in stored.unfilled] == [u.alternative for u in record.unfilled]
    assert {c.group_id for c in contracts} == {"near"}


def test_a_later_round_keeps_single_sourcing_across_rounds(
    bus: MessageBus, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    """The group already under contract counts: new supply of another group is not added."""
    for g in (group("near", HAT_YAI), group("far", FAR_AWAY)):
        bus.handle(commands.RegisterGroup(group=g))
        certificate = Certificate(
            f"cert-{g.id}", g.id, Scheme.THAI_GAP, date(2026, 1, 1), date(2027, 12, 31)
        )
        bus.handle(commands.RegisterCertificate(certificate=certificate))
    hospital = Buyer("hospital", "โรงพยาบาล", "Hospital", BuyerKind.HOSPITAL, SONGKHLA)
    bus.handle(commands.RegisterBuyer(buyer=hospital))
    bus.handle(commands.AnnounceSupply(supply=kale_supply("s-near", "near", 80, 3000)))
    order = ForwardOrder(
        "o-single", "hospital", "kale", 100, (WEDNESDAY,), min_tier=Tier.SAFE, max_suppliers=1
    )
    bus.handle(commands.SubmitOrder(order=order))
    first = bus.handle(commands.RunMatchingRound(message_id="round-1")).value
    assert isinstance(first, MatchingRound)
    assert [(u.quantity, u.reason) for u in first.unfilled] == [(20, "insufficient_supply")]
    bus.handle(commands.AnnounceSupply(supply=kale_supply("s-far", "far", 80, 3000)))

    second = bus.handle(commands.RunMatchingRound(message_id="round-2")).value

    assert isinstance(second, MatchingRound)
    assert second.status is RoundStatus.COMPLETED, second.notes
    assert second.contract_ids == ()
    with uow_factory() as uow:
        contracts = uow.contracts.list(ContractFilter(order_id="o-single"))
        assert uow.contracts.bound_demand() == {("o-single", WEDNESDAY): 80}
    assert [c.group_id for c in contracts] == ["near"]
    (line,) = second.unfilled
    assert (line.order_id, line.quantity) == ("o-single", 20)
