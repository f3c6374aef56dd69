"""The SQL repositories and unit of work, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy import event

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import (
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    MatchingRound,
    OrderRecord,
    RoundStatus,
    SupplyRecord,
    UnfilledLine,
)
from matcher.domain.errors import NotFound
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    Certificate,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    SupplyAnnouncement,
    WeeklySchedule,
)
from matcher.domain.standards import Scheme, Tier
from matcher.service import events
from matcher.service.ports import ContractFilter, DuplicateMessage

UowFactory = Callable[[], SqlUnitOfWork]
T = TypeVar("T")

T0 = datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=UTC)
WEEK = "2026-W50"
WED = date(2026, 12, 9)


def group(group_id: str = "g1") -> FarmerGroup:
    here = Location(7.0167, 100.4681)
    name_th, name_en = f"กลุ่ม {group_id}", f"Group {group_id}"
    return FarmerGroup(group_id, name_th, name_en, here, 12, GroupKind.COOPERATIVE, "Hat Yai")


def buyer(buyer_id: str = "b1") -> Buyer:
    here = Location(7.1422, 100.5664)
    name_th, name_en = f"โรงพยาบาล {buyer_id}", f"Hospital {buyer_id}"
    return Buyer(buyer_id, name_th, name_en, BuyerKind.HOSPITAL, here, "Mueang Songkhla")


def supply(supply_id: str = "s1", group_id: str = "g1", crop_id: str = "kale") -> SupplyRecord:
    weeks = {WEEK: 100, "2026-W51": 80}
    announced = SupplyAnnouncement(supply_id, group_id, crop_id, Scheme.THAI_GAP, weeks, 3050)
    return SupplyRecord(announced, BookState.OPEN, T0)


def order(order_id: str = "o1", buyer_id: str = "b1", crop_id: str = "kale") -> OrderRecord:
    days = (date(2026, 12, 16), WED)
    forward = ForwardOrder(order_id, buyer_id, crop_id, 40, days, Tier.ORGANIC, 4000, 55.5)
    return OrderRecord(forward, BookState.OPEN, T0)


CONTRACT = Contract(
    id="c1",
    round_id="r1",
    order_id="o1",
    buyer_id="b1",
    group_id="g1",
    supply_id="s1",
    crop_id="kale",
    scheme=Scheme.THAI_GAP,
    min_tier=Tier.SAFE,
    unit_price=3050,
    deliveries=(ContractDelivery(WED, WEEK, 40, 21.37),),
    created_at=T0,
)


def contract(contract_id: str = "c1", **changes: Any) -> Contract:
    return replace(CONTRACT, id=contract_id, **changes)


def seed_book(uow: SqlUnitOfWork) -> None:
    """A group, a buyer, one supply and one order: what contracts refer to."""
    uow.groups.add(group())
    uow.buyers.add(buyer())
    uow.supply.add(supply())
    uow.orders.add(order())


def test_groups_and_buyers_round_trip(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.groups.add(group("g2"))
        uow.groups.add(replace(group("g1"), kind=GroupKind.FARMER_GROUP, district=""))
        uow.buyers.add(buyer())
        uow.commit()
    with uow_factory() as uow:
        assert uow.groups.get("g1") == replace(
            group("g1"), kind=GroupKind.FARMER_GROUP, district=""
        )
        assert [g.id for g in uow.groups.list()] == ["g1", "g2"]
        assert uow.buyers.get("b1") == buyer()
        assert uow.buyers.list() == [buyer()]
        assert uow.groups.get("missing") is None
        assert uow.buyers.get("missing") is None


def test_certificates_round_trip_with_scope_sets_and_revocation(uow_factory: UowFactory) -> None:
    scoped = Certificate(
        id="cert-1",
        group_id="g1",
        scheme=Scheme.ACT_IFOAM,
        valid_from=date(2026, 1, 1),
        valid_until=date(2027, 12, 31),
        crops=frozenset({"kale", "morning_glory"}),
        crop_groups=frozenset({"leafy"}),
        scopes=frozenset({"EU", "COR"}),
        certifier="ACT",
        revoked_on=date(2026, 6, 30),
    )
    whole_farm = Certificate(
        id="cert-2",
        group_id="g2",
        scheme=Scheme.THAI_GAP,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
    )
    with uow_factory() as uow:
        uow.groups.add(group("g1"))
        uow.groups.add(group("g2"))
        uow.certificates.add(scoped)
        uow.certificates.add(whole_farm)
        uow.commit()
    with uow_factory() as uow:
        assert uow.certificates.get("cert-1") == scoped
        assert uow.certificates.get("cert-2") == whole_farm
        assert uow.certificates.list(group_id="g2") == [whole_farm]
        assert uow.certificates.list() == [scoped, whole_farm]


def test_supply_round_trips_with_weekly_quantities_and_filters_by_state(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.groups.add(group("g1"))
        uow.groups.add(group("g2"))
        uow.supply.add(supply("s1", "g1", "kale"))
        uow.supply.add(supply("s2", "g2", "kale"))
        uow.supply.add(supply("s3", "g1", "eggs"))
        uow.commit()
    with uow_factory() as uow:
        uow.supply.set_state("s2", BookState.WITHDRAWN)
        uow.commit()
    with uow_factory() as uow:
        got = uow.supply.get("s1")
        assert got == supply("s1", "g1", "kale")
        assert got is not None
        assert got.created_at is not None
        assert got.created_at.tzinfo is not None
        assert got.created_at.utcoffset() == timedelta(0)
        assert [r.supply.id for r in uow.supply.list(state=BookState.OPEN)] == ["s1", "s3"]
        assert [r.supply.id for r in uow.supply.list(group_id="g1", crop_id="kale")] == ["s1"]
        assert [r.supply.id for r in uow.supply.list(crop_id="kale")] == ["s1", "s2"]
        withdrawn = uow.supply.list(state=BookState.WITHDRAWN)
        assert [r.state for r in withdrawn] == [BookState.WITHDRAWN]


def test_orders_round_trip_with_deliveries_and_schedule(uow_factory: UowFactory) -> None:
    schedule = WeeklySchedule(date(2026, 12, 1), date(2026, 12, 31), ("mon", "thu"))
    scheduled = ForwardOrder.on_schedule(
        id="o2", buyer_id="b1", crop_id="eggs", quantity=300, schedule=schedule
    )
    with uow_factory() as uow:
        uow.buyers.add(buyer())
        uow.orders.add(order())
        uow.orders.add(OrderRecord(scheduled, BookState.OPEN, None))
        uow.commit()
    with uow_factory() as uow:
        plain, with_schedule = uow.orders.get("o1"), uow.orders.get("o2")
        assert plain == order()
        assert plain is not None
        assert plain.order.schedule is None
        assert with_schedule is not None
        assert with_schedule.order == scheduled
        assert with_schedule.order.schedule == schedule
        assert with_schedule.order.deliveries == schedule.dates()
        assert with_schedule.created_at is None


def test_group_lot_and_buyer_limits_round_trip_and_stay_null_when_unset(
    uow_factory: UowFactory,
) -> None:
    limited = replace(group("g1"), min_lot=25, max_buyers_per_week=3)
    only_lot = replace(group("g2"), min_lot=1_000_000_000)
    with uow_factory() as uow:
        uow.groups.add(limited)
        uow.groups.add(only_lot)
        uow.groups.add(group("g3"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.groups.get("g1") == limited
        assert uow.groups.get("g2") == only_lot
        plain = uow.groups.get("g3")
        assert plain == group("g3")
        assert plain is not None
        assert (plain.min_lot, plain.max_buyers_per_week) == (None, None)
        assert [(g.min_lot, g.max_buyers_per_week) for g in uow.groups.list()] == [
            (25, 3),
            (1_000_000_000, None),
            (None, None),
        ]


def test_an_orders_supplier_limit_round_trips_with_or_without_a_schedule(
    uow_factory: UowFactory,
) -> None:
    schedule = WeeklySchedule(date(2026, 12, 1), date(2026, 12, 31), ("mon",))
    single = ForwardOrder.on_schedule(
        id="o2", buyer_id="b1", crop_id="kale", quantity=30, schedule=schedule, max_suppliers=1
    )
    shared = OrderRecord(replace(order().order, max_suppliers=3), BookState.OPEN, T0)
    with uow_factory() as uow:
        uow.buyers.add(buyer())
        uow.orders.add(shared)
        uow.orders.add(OrderRecord(single, BookState.OPEN, None))
        uow.orders.add(order("o3"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.orders.get("o1") == shared
        got = uow.orders.get("o2")
        assert got is not None
        assert got.order == single
        assert got.order.max_suppliers == 1
        unset = uow.orders.get("o3")
        assert unset is not None
        assert unset.order.max_suppliers is None
        listed = uow.orders.list(state=BookState.OPEN)
        assert [r.order.max_suppliers for r in listed] == [1, 3, None]


def test_orders_list_filters_by_state_buyer_and_crop(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.buyers.add(buyer("b1"))
        uow.buyers.add(buyer("b2"))
        uow.orders.add(order("o1", "b1", "kale"))
        uow.orders.add(order("o2", "b2", "kale"))
        uow.orders.add(order("o3", "b1", "eggs"))
        uow.orders.set_state("o3", BookState.CANCELLED)
        uow.commit()
    with uow_factory() as uow:
        assert [r.order.id for r in uow.orders.list(state=BookState.OPEN)] == ["o1", "o2"]
        assert [r.order.id for r in uow.orders.list(buyer_id="b1")] == ["o1", "o3"]
        assert [r.order.id for r in uow.orders.list(crop_id="kale", buyer_id="b2")] == ["o2"]
        cancelled = uow.orders.list(state=BookState.CANCELLED)
        assert [(r.order.id, r.state) for r in cancelled] == [("o3", BookState.CANCELLED)]


def test_changing_the_state_of_an_unknown_entry_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        with pytest.raises(NotFound):
            uow.orders.set_state("nope", BookState.CANCELLED)
        with pytest.raises(NotFound):
            uow.supply.set_state("nope", BookState.WITHDRAWN)


def test_contracts_round_trip(uow_factory: UowFactory) -> None:
    stored = contract(
        deliveries=(
            ContractDelivery(WED, WEEK, 40, 21.37),
            ContractDelivery(date(2026, 12, 16), "2026-W51", 25, 21.37),
        ),
        state=ContractState.ACCEPTED,
    )
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(stored)
        uow.commit()
    with uow_factory() as uow:
        got = uow.contracts.get("c1")
        assert got == stored
        assert got is not None
        assert got.quantity == 65
        assert got.value == 65 * 3050
        assert uow.contracts.get("missing") is None


def test_contract_list_applies_every_filter(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.buyers.add(buyer("b2"))
        uow.orders.add(order("o2", "b2", "kale"))
        uow.contracts.add(contract("c1", round_id="r1"))
        uow.contracts.add(
            contract(
                "c2",
                round_id="r2",
                order_id="o2",
                buyer_id="b2",
                state=ContractState.ACCEPTED,
                deliveries=(ContractDelivery(date(2026, 12, 16), "2026-W51", 10, 5.0),),
            )
        )
        uow.commit()
    with uow_factory() as uow:

        def ids(where: ContractFilter) -> list[str]:
            return [c.id for c in uow.contracts.list(where)]

        assert ids(ContractFilter()) == ["c1", "c2"]
        assert ids(ContractFilter(buyer_id="b2")) == ["c2"]
        assert ids(ContractFilter(group_id="g1")) == ["c1", "c2"]
        assert ids(ContractFilter(group_id="g9")) == []
        assert ids(ContractFilter(crop_id="kale")) == ["c1", "c2"]
        assert ids(ContractFilter(crop_id="eggs")) == []
        assert ids(ContractFilter(week=WEEK)) == ["c1"]
        assert ids(ContractFilter(week="2026-W51")) == ["c2"]
        assert ids(ContractFilter(state=ContractState.ACCEPTED)) == ["c2"]
        assert ids(ContractFilter(order_id="o1")) == ["c1"]
        assert ids(ContractFilter(round_id="r2")) == ["c2"]
        assert ids(ContractFilter(round_id="r1", state=ContractState.ACCEPTED)) == []


def test_contract_list_orders_by_creation_then_id_and_pages(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c-b", created_at=T0 + timedelta(minutes=1)))
        uow.contracts.add(contract("c-c", created_at=T0))
        uow.contracts.add(contract("c-a", created_at=T0 + timedelta(minutes=1)))
        uow.contracts.add(contract("c-d", created_at=T0 + timedelta(hours=1)))
        uow.commit()
    with uow_factory() as uow:
        everything = [c.id for c in uow.contracts.list(ContractFilter())]
        assert everything == ["c-c", "c-a", "c-b", "c-d"]
        page = [c.id for c in uow.contracts.list(ContractFilter(limit=2, offset=1))]
        assert page == ["c-a", "c-b"]


def test_bound_quantities_ignore_released_contracts(uow_factory: UowFactory) -> None:
    week_51 = date(2026, 12, 16)
    with uow_factory() as uow:
        seed_book(uow)
        uow.groups.add(group("g2"))
        uow.supply.add(supply("s2", "g2"))
        uow.contracts.add(contract("live", deliveries=(ContractDelivery(WED, WEEK, 15, 3.0),)))
        uow.contracts.add(
            contract(
                "also-live",
                state=ContractState.IN_DELIVERY,
                supply_id="s2",
                deliveries=(
                    ContractDelivery(WED, WEEK, 5, 3.0),
                    ContractDelivery(week_51, "2026-W51", 7, 3.0),
                ),
            )
        )
        for n, state in enumerate(
            (ContractState.REJECTED, ContractState.EXPIRED, ContractState.CANCELLED)
        ):
            released = (ContractDelivery(WED, WEEK, 1000, 3.0),)
            uow.contracts.add(contract(f"gone-{n}", state=state, deliveries=released))
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.bound_demand() == {("o1", WED): 20, ("o1", week_51): 7}
        assert uow.contracts.bound_supply() == {
            ("s1", WEEK): 15,
            ("s2", WEEK): 5,
            ("s2", "2026-W51"): 7,
        }


def matching_round(round_id: str, started: datetime) -> MatchingRound:
    return MatchingRound(
        id=round_id,
        trigger="debounce",
        started_at=started,
        finished_at=started + timedelta(seconds=2, microseconds=5),
        status=RoundStatus.COMPLETED,
        solver="flow",
        solver_status="optimal",
        summary={"demand": 80, "filled": 40, "fill_rate": 0.5, "goods_cost_thb": "1220.00"},
        contract_ids=("c2", "c1"),
        unfilled=(
            UnfilledLine("o1", "b1", "kale", WED, WEEK, 30, "no_supply", "nothing near"),
            UnfilledLine("o1", "b1", "kale", WED, WEEK, 10, "price", "too dear"),
        ),
        notes=("first note", "สอง"),
    )


def test_rounds_round_trip_and_list_newest_first(uow_factory: UowFactory) -> None:
    first = matching_round("r-1", T0)
    second = matching_round("r-2", T0 + timedelta(minutes=5))
    third = matching_round("r-3", T0 + timedelta(minutes=10))
    with uow_factory() as uow:
        for record in (second, third, first):
            uow.rounds.add(record)
        uow.commit()
    with uow_factory() as uow:
        assert uow.rounds.get("r-2") == second
        assert uow.rounds.get("missing") is None
        assert [r.id for r in uow.rounds.list()] == ["r-3", "r-2", "r-1"]
        assert [r.id for r in uow.rounds.list(limit=1, offset=1)] == ["r-2"]


ALTERNATIVE = {
    "group_id": "g2",
    "supply_id": "s2",
    "week": WEEK,
    "rule": "supplier_limit",
    "measure": "suppliers",
    "value": 1,
    "limit": 1,
}


def test_a_rounds_unfilled_lines_keep_their_alternative(uow_factory: UowFactory) -> None:
    lines = (
        UnfilledLine(
            "o1", "b1", "kale", WED, WEEK, 20, "supplier_limit", "one supplier", ALTERNATIVE
        ),
        UnfilledLine(
            "o1",
            "b1",
            "kale",
            WED,
            WEEK,
            5,
            "out_of_range",
            "too far",
            {
                "group_id": "g3",
                "supply_id": "s3",
                "week": WEEK,
                "rule": "out_of_range",
                "measure": "distance_km",
                "value": 91.25,
                "limit": 80.0,
            },
        ),
        UnfilledLine("o1", "b1", "kale", WED, WEEK, 3, "no_supply", "nothing at all"),
        UnfilledLine(
            "o1",
            "b1",
            "kale",
            WED,
            WEEK,
            2,
            "certificate_invalid",
            "expired",
            {
                "group_id": "g4",
                "supply_id": "s4",
                "week": WEEK,
                "rule": "certificate_invalid",
                "measure": "certificate_valid_until",
                "value": "2026-12-01",
                "limit": None,
            },
        ),
    )
    record = replace(matching_round("r-alt", T0), unfilled=lines)
    with uow_factory() as uow:
        uow.rounds.add(record)
        uow.commit()
    with uow_factory() as uow:
        got = uow.rounds.get("r-alt")
        assert got == record
        assert got is not None
        assert [u.alternative for u in got.unfilled] == [u.alternative for u in lines]
        assert got.unfilled[2].alternative is None
        (listed,) = uow.rounds.list()
        assert listed.unfilled == lines


def test_market_versions_start_at_zero_and_move_on_once_per_transaction(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        assert uow.markets.get("kale") == 0
        uow.markets.bump("kale")
        uow.markets.bump("kale")  # already moved in this transaction: no new step
        uow.markets.bump("eggs")
        assert uow.markets.all() == {"kale": 1, "eggs": 1}
        uow.commit()
        uow.markets.bump("kale")  # the next transaction of the same unit of work
        uow.commit()
    with uow_factory() as uow:
        assert uow.markets.all() == {"kale": 2, "eggs": 1}
        uow.markets.bump("kale")
        uow.rollback()
        uow.markets.bump("kale")  # rolled back: it moves again
        uow.commit()
    with uow_factory() as uow:
        assert uow.markets.get("kale") == 3


def test_a_markets_removals_move_on_every_change_but_an_addition(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.markets.bump("kale", addition=True)
        uow.markets.bump("eggs")
        uow.commit()
        assert uow.markets.all() == {"kale": 1, "eggs": 1}
        assert uow.markets.removals() == {"kale": 0, "eggs": 1}
        uow.markets.bump("kale", addition=True)
        uow.markets.bump("kale")  # a removal in the same transaction still counts
        uow.markets.bump("kale", addition=True)
        uow.commit()
    with uow_factory() as uow:
        assert uow.markets.all() == {"kale": 2, "eggs": 1}
        assert uow.markets.removals() == {"kale": 1, "eggs": 1}


def test_a_market_moved_in_a_savepoint_that_rolls_back_moves_again(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        uow.markets.bump("eggs")

        def undone() -> None:
            with uow.savepoint():
                uow.markets.bump("kale")
                raise RuntimeError("undone")

        with pytest.raises(RuntimeError):
            undone()
        uow.markets.bump("kale")
        uow.markets.bump("eggs")  # moved outside the savepoint: stays moved once
        uow.commit()
    with uow_factory() as uow:
        assert uow.markets.all() == {"kale": 1, "eggs": 1}


def test_inbox_remembers_messages_and_refuses_a_duplicate(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert not uow.inbox.seen("m-1")
        uow.inbox.record("m-1", "SubmitOrder", T0)
        assert uow.inbox.seen("m-1")
        uow.commit()
    with uow_factory() as uow:
        assert uow.inbox.seen("m-1")
        with pytest.raises(DuplicateMessage):
            uow.inbox.record("m-1", "SubmitOrder", T0)


def test_outbox_lists_pending_events_in_order_until_published(uow_factory: UowFactory) -> None:
    submitted = events.OrderSubmitted(order=order().order)
    with uow_factory() as uow:
        uow.outbox.add(submitted, T0)
        uow.outbox.add(events.SupplyAnnounced(supply=supply().supply), T0)
        uow.outbox.add(events.RoundCompleted(round=matching_round("r1", T0)), T0)
        uow.commit()
    with uow_factory() as uow:
        pending = uow.outbox.pending()
        assert [(e.event, e.key) for e in pending] == [
            ("OrderSubmitted", "kale"),
            ("SupplyAnnounced", "kale"),
            ("RoundCompleted", "rounds"),
        ]
        assert pending[0].payload == submitted.payload
        assert pending[0].created_at == T0
        assert pending[0].id < pending[1].id < pending[2].id
        assert [e.event for e in uow.outbox.pending(limit=1)] == ["OrderSubmitted"]
        uow.outbox.mark_published([pending[0].id, pending[2].id], T0 + timedelta(seconds=1))
        uow.commit()
    with uow_factory() as uow:
        assert [e.event for e in uow.outbox.pending()] == ["SupplyAnnounced"]
        uow.outbox.mark_published([], T0)


def test_leaving_a_unit_of_work_without_commit_keeps_nothing(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.markets.bump("kale")
        uow.inbox.record("m-1", "SubmitOrder", T0)
        uow.outbox.add(events.OrderSubmitted(order=order().order), T0)
    with uow_factory() as uow:
        assert uow.groups.list() == []
        assert uow.orders.list() == []
        assert uow.markets.all() == {}
        assert not uow.inbox.seen("m-1")
        assert uow.outbox.pending() == []


def test_an_error_inside_a_unit_of_work_rolls_it_back(uow_factory: UowFactory) -> None:
    def fail_after_a_write() -> None:
        with uow_factory() as uow:
            uow.groups.add(group())
            uow.session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_after_a_write()
    with uow_factory() as uow:
        assert uow.groups.list() == []


def test_writes_after_a_mid_way_rollback_are_committed(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.groups.add(group("dropped"))
        assert uow.markets.all() == {}
        uow.rollback()
        uow.groups.add(group("kept"))
        uow.markets.bump("kale")
        uow.commit()
    with uow_factory() as uow:
        assert [g.id for g in uow.groups.list()] == ["kept"]
        assert uow.markets.get("kale") == 1


def test_timestamps_come_back_as_the_same_instant_in_utc(uow_factory: UowFactory) -> None:
    bangkok = timezone(timedelta(hours=7))
    local = datetime(2026, 11, 2, 15, 30, tzinfo=bangkok)
    with uow_factory() as uow:
        uow.inbox.record("m-1", "RegisterGroup", local)
        uow.outbox.add(events.GroupRegistered(group=group()), local)
        uow.commit()
    with uow_factory() as uow:
        (entry,) = uow.outbox.pending()
        assert entry.created_at == local
        assert entry.created_at.tzinfo is not None
        assert entry.created_at.utcoffset() == timedelta(0)
        assert entry.created_at.hour == 8


def test_market_lock_reads_versions_and_creates_missing_markets(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.markets.bump("kale")
        uow.commit()
        uow.markets.bump("kale")
        assert uow.markets.lock(["kale", "eggs", "kale"]) == {"eggs": 0, "kale": 2}
        uow.commit()
    with uow_factory() as uow:
        assert uow.markets.all() == {"eggs": 0, "kale": 2}


def test_contracts_and_rounds_are_counted_without_loading_them(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.contracts.count(ContractFilter()) == 0
        assert uow.rounds.count() == 0


def test_latest_unfilled_takes_each_market_from_the_last_round_that_cleared_it(
    uow_factory: UowFactory,
) -> None:
    def clearing(round_id: str, minutes: int, markets: list[str] | None, crops: list[str]) -> Any:
        record = matching_round(round_id, T0 + timedelta(minutes=minutes))
        summary = dict(record.summary) | ({"markets": markets} if markets is not None else {})
        lines = tuple(
            UnfilledLine("o1", "b1", crop, WED, WEEK, 5, "no_supply", f"{round_id} {crop}")
            for crop in crops
        )
        return replace(record, summary=summary, unfilled=lines)

    with uow_factory() as uow:
        uow.rounds.add(clearing("r-old", 0, None, ["kale", "rice", "eggs"]))  # cleared all
        uow.rounds.add(clearing("r-mid", 5, ["kale", "rice"], ["kale", "rice"]))
        uow.rounds.add(clearing("r-new", 10, ["kale"], []))  # kale fully served since
        uow.commit()
    with uow_factory() as uow:
        found = uow.rounds.latest_unfilled(["kale", "rice", "eggs", "pumpkin"])
        assert sorted(u.detail for u in found) == ["r-mid rice", "r-old eggs"]
        assert uow.rounds.latest_unfilled(["kale"]) == []
        assert uow.rounds.latest_unfilled([]) == []


def test_the_last_round_that_made_contracts_and_the_rounds_after_it(
    uow_factory: UowFactory,
) -> None:
    def at(round_id: str, minutes: int, made: tuple[str, ...]) -> MatchingRound:
        record = matching_round(round_id, T0 + timedelta(minutes=minutes))
        return replace(record, contract_ids=made, unfilled=())

    with uow_factory() as uow:
        assert uow.rounds.latest_with_contracts() is None
        assert uow.rounds.after(None) == (0, None)
        seed_book(uow)
        uow.rounds.add(at("r1", 0, ()))
        uow.rounds.add(at("r2", 5, ("c1",)))
        uow.rounds.add(at("r3", 10, ()))
        uow.rounds.add(at("r4", 15, ()))
        uow.contracts.add(contract("c1", round_id="r2"))
        uow.commit()
    with uow_factory() as uow:
        cleared = uow.rounds.latest_with_contracts()
        assert cleared is not None
        assert cleared.id == "r2"
        assert uow.rounds.after(cleared) == (
            2,
            T0 + timedelta(minutes=15, seconds=2, microseconds=5),
        )
        assert uow.rounds.after(None)[0] == 4


def test_proposed_quantities_are_the_unanswered_part_of_the_bound_ones(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.contracts.add(
            contract(
                "c2",
                state=ContractState.ACCEPTED,
                deliveries=(ContractDelivery(WED, WEEK, 10, 21.37),),
            )
        )
        uow.contracts.add(contract("c3", state=ContractState.REJECTED))
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.bound_demand() == {("o1", WED): 50}
        assert uow.contracts.proposed_demand() == {("o1", WED): 40}
        assert uow.contracts.bound_supply() == {("s1", WEEK): 50}
        assert uow.contracts.proposed_supply() == {("s1", WEEK): 40}


def _read_with_a_commit_between(
    postgres_url: str,
    table: str,
    write: Callable[[SqlUnitOfWork], None],
    read: Callable[[SqlUnitOfWork], T],
) -> T:
    """``read`` on PostgreSQL, with ``write`` committed by another transaction right after the
    first SELECT that reads ``table``: a concurrent commit between a list's reads (read
    committed does not block the writer, as SQLite's reader would)."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    done: list[bool] = []

    def listener(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        reads = statement.lstrip().upper().startswith("SELECT")
        if not done and reads and re.search(rf"\b{table}\b", statement):
            done.append(True)
            with SqlUnitOfWork(sessions) as other:
                write(other)
                other.commit()

    event.listen(engine, "after_cursor_execute", listener)
    try:
        with SqlUnitOfWork(sessions) as uow:
            return read(uow)
    finally:
        event.remove(engine, "after_cursor_execute", listener)
        engine.dispose()


@pytest.mark.postgres
def test_a_list_read_while_orders_change_returns_each_order_with_its_dates(
    postgres_url: str,
) -> None:
    def write(uow: SqlUnitOfWork) -> None:
        uow.orders.add(order("o2"))
        uow.orders.set_state("o1", BookState.CANCELLED)

    listed = _read_with_a_commit_between(
        postgres_url, "orders", write, lambda uow: uow.orders.list(state=BookState.OPEN)
    )
    assert all(record.order.deliveries for record in listed)
    assert "o1" in [record.order.id for record in listed]


@pytest.mark.postgres
def test_a_list_read_while_supply_changes_returns_each_announcement_with_its_weeks(
    postgres_url: str,
) -> None:
    def write(uow: SqlUnitOfWork) -> None:
        uow.supply.add(supply("s2"))
        uow.supply.set_state("s1", BookState.WITHDRAWN)

    listed = _read_with_a_commit_between(
        postgres_url, "supply", write, lambda uow: uow.supply.list(state=BookState.OPEN)
    )
    assert all(record.supply.quantities for record in listed)
    assert "s1" in [record.supply.id for record in listed]


@pytest.mark.postgres
def test_a_contract_list_read_while_a_contract_changes_keeps_its_deliveries(
    postgres_url: str,
) -> None:
    def write(uow: SqlUnitOfWork) -> None:
        uow.contracts.update(contract("c1", state=ContractState.ACCEPTED))

    listed = _read_with_a_commit_between(
        postgres_url,
        "contracts",
        write,
        lambda uow: uow.contracts.list(ContractFilter(state=ContractState.PROPOSED)),
    )
    assert [c.id for c in listed] == ["c1"]
    assert listed[0].deliveries == CONTRACT.deliveries
