"""The contract lifecycle in the database: updates, bound quantities, deadlines, declined pairs
and the release log, on SQLite and on PostgreSQL.

:func:`lifecycle_scenario` drives one contract through accept → confirm (short) → amend → cancel
with the pure lifecycle functions and stores each step; ``tests/unit/test_fakes_lifecycle.py``
runs the same scenario on the in-memory fake and checks that it observes the same.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    OrderRecord,
    SupplyRecord,
)
from matcher.domain.errors import NotFound
from matcher.domain.lifecycle import (
    Actor,
    Change,
    Party,
    Release,
    Settled,
    accept,
    amend,
    bound_quantity,
    cancel,
    confirm_delivery,
    reject,
)
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    FarmerGroup,
    ForwardOrder,
    GroupKind,
    Location,
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week

UowFactory = Callable[[], Any]
"""Makes a unit of work: the SQL one here, the fake in the unit tests."""

T0 = datetime(2026, 12, 1, 8, 0, 0, 250000, tzinfo=UTC)
BANGKOK = timezone(timedelta(hours=7))
WED_50, WED_51, THU_51, WED_52 = (
    date(2026, 12, 9),
    date(2026, 12, 16),
    date(2026, 12, 17),
    date(2026, 12, 23),
)
GROUP = Actor(Party.GROUP, "g1")
BUYER = Actor(Party.BUYER, "b1")


def seed_book(uow: Any) -> None:
    """Two groups, a buyer, their supply and two orders: what the contracts refer to."""
    here = Location(7.0167, 100.4681)
    for gid in ("g1", "g2"):
        uow.groups.add(
            FarmerGroup(gid, f"กลุ่ม {gid}", f"Group {gid}", here, 9, GroupKind.COOPERATIVE)
        )
        weeks = {"2026-W50": 100, "2026-W51": 80, "2026-W52": 60}
        announced = SupplyAnnouncement(f"s-{gid}", gid, "kale", Scheme.PGS, weeks, 3000)
        uow.supply.add(SupplyRecord(announced, BookState.OPEN, T0))
    uow.buyers.add(Buyer("b1", "โรงพยาบาล", "Hospital", BuyerKind.HOSPITAL, here))
    for oid in ("o1", "o2"):
        days = (WED_50, WED_51, WED_52)
        uow.orders.add(
            OrderRecord(ForwardOrder(oid, "b1", "kale", 60, days, Tier.SAFE), BookState.OPEN, T0)
        )


def contract(
    contract_id: str,
    *,
    group_id: str = "g1",
    order_id: str = "o1",
    days: Iterable[date] = (WED_50, WED_51, WED_52),
    quantity: int = 40,
    state: ContractState = ContractState.PROPOSED,
    expires: datetime | None = T0 + timedelta(hours=72),
) -> Contract:
    return Contract(
        id=contract_id,
        round_id="r1",
        order_id=order_id,
        buyer_id="b1",
        group_id=group_id,
        supply_id=f"s-{group_id}",
        crop_id="kale",
        scheme=Scheme.PGS,
        min_tier=Tier.SAFE,
        unit_price=3000,
        deliveries=tuple(ContractDelivery(d, iso_week(d), quantity, 12.5) for d in days),
        state=state,
        created_at=T0,
        proposal_expires_at=expires,
    )


def expected_bound(
    contracts: Iterable[Contract],
) -> tuple[dict[tuple[str, date], int], dict[tuple[str, str], int]]:
    """bound_demand and bound_supply as the sum of ``bound_quantity`` in Python."""
    demand: dict[tuple[str, date], int] = defaultdict(int)
    supply: dict[tuple[str, str], int] = defaultdict(int)
    for c in contracts:
        gone = c.state in RELEASED_STATES
        for d in c.deliveries:
            held_demand, held_supply = bound_quantity(d, released=gone)
            demand[(c.order_id, d.day)] += held_demand
            supply[(c.supply_id, d.week)] += held_supply
    return (
        {k: v for k, v in demand.items() if v},
        {k: v for k, v in supply.items() if v},
    )


@dataclass(frozen=True)
class Step:
    """What one step of the scenario stored, and what the repositories read back after it."""

    name: str
    expected: Contract
    stored: Contract | None
    bound_demand: dict[tuple[str, date], int]
    bound_supply: dict[tuple[str, str], int]
    expected_demand: dict[tuple[str, date], int]
    expected_supply: dict[tuple[str, str], int]
    causes: dict[tuple[str, date], str]
    released: tuple[Release, ...]


def lifecycle_scenario(new_uow: UowFactory) -> list[Step]:
    """Contract c1 through accept → confirm (short) → amend (new date, less) → cancel, with c2
    (another group, accepted) binding the same order throughout."""
    c1 = contract("c1")
    c2 = contract("c2", group_id="g2", days=(WED_50,), quantity=10, state=ContractState.ACCEPTED)
    with new_uow() as uow:
        seed_book(uow)
        uow.contracts.add(c1)
        uow.contracts.add(c2)
        uow.commit()

    steps: list[Step] = []

    def store(name: str, change: Change | None, current: Contract) -> None:
        if change is not None:
            with new_uow() as uow:
                uow.contracts.update(change.contract)
                for released in change.released:
                    uow.releases.add(released, change.entry.at)
                uow.commit()
        with new_uow() as uow:
            demand, supply = expected_bound([current, c2])
            steps.append(
                Step(
                    name=name,
                    expected=current,
                    stored=uow.contracts.get(current.id),
                    bound_demand=uow.contracts.bound_demand(),
                    bound_supply=uow.contracts.bound_supply(),
                    expected_demand=demand,
                    expected_supply=supply,
                    causes=uow.releases.causes(["o1", "o2"]),
                    released=change.released if change is not None else (),
                )
            )

    store("add", None, c1)
    change = accept(c1, GROUP, T0 + timedelta(hours=1))
    store("accept", change, change.contract)
    change = confirm_delivery(
        change.contract, BUYER, T0 + timedelta(days=8), WED_50, Settled(received=30, refused=5)
    )
    store("confirm_delivery", change, change.contract)
    change = amend(
        change.contract,
        GROUP,
        T0 + timedelta(days=9),
        {WED_51: (THU_51, 25), WED_52: (WED_52, 0)},
        agreed_by=BUYER,
        reason="smaller harvest",
    )
    store("amend", change, change.contract)
    change = cancel(change.contract, BUYER, T0 + timedelta(days=10), "kitchen closed")
    store("cancel", change, change.contract)
    return steps


def test_a_contract_round_trips_through_its_lifecycle(uow_factory: UowFactory) -> None:
    steps = lifecycle_scenario(uow_factory)
    assert [s.name for s in steps] == ["add", "accept", "confirm_delivery", "amend", "cancel"]
    for step in steps:
        assert step.stored == step.expected, step.name
        assert step.bound_demand == step.expected_demand, step.name
        assert step.bound_supply == step.expected_supply, step.name

    final = steps[-1].stored
    assert final is not None and final.state is ContractState.CANCELLED
    assert [h.action for h in final.history] == ["accept", "confirm_delivery", "amend", "cancel"]
    assert final.history[2].details["agreed_by"] == "buyer:b1"
    assert [(d.day, d.quantity, d.state) for d in final.deliveries] == [
        (WED_50, 40, DeliveryState.DELIVERED),
        (THU_51, 25, DeliveryState.RELEASED),
        (WED_52, 40, DeliveryState.RELEASED),
    ]
    assert (final.deliveries[0].received, final.deliveries[0].refused) == (30, 5)

    # The numbers, spelled out: c2 holds 10 on 9 December throughout.
    by_step = {s.name: s for s in steps}
    assert by_step["confirm_delivery"].bound_demand == {
        ("o1", WED_50): 30 + 10,
        ("o1", WED_51): 40,
        ("o1", WED_52): 40,
    }
    assert by_step["confirm_delivery"].bound_supply == {
        ("s-g1", "2026-W50"): 40,  # a delivered week stays consumed
        ("s-g2", "2026-W50"): 10,
        ("s-g1", "2026-W51"): 40,
        ("s-g1", "2026-W52"): 40,
    }
    assert by_step["amend"].bound_demand == {("o1", WED_50): 40, ("o1", THU_51): 25}
    # Cancelled: what was delivered still counts (30 received of 40 on 9 December).
    assert by_step["cancel"].bound_demand == {("o1", WED_50): 30 + 10}
    assert by_step["cancel"].bound_supply == {("s-g1", "2026-W50"): 40, ("s-g2", "2026-W50"): 10}
    assert by_step["cancel"].causes == {
        ("o1", WED_50): "delivery refused for quality",
        ("o1", WED_51): "amended",
        ("o1", WED_52): "amended",
        ("o1", THU_51): "cancelled by buyer",
    }


def test_update_in_the_same_unit_of_work_reads_back_the_new_contract(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        accepted = accept(stored, GROUP, T0 + timedelta(hours=2)).contract
        uow.contracts.update(accepted)
        moved = amend(
            accepted, BUYER, T0 + timedelta(hours=3), {WED_51: (THU_51, 40)}, agreed_by=GROUP
        ).contract
        uow.contracts.update(moved)
        assert uow.contracts.get("c1") == moved
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.get("c1") == moved
        assert [d.day for d in moved.deliveries] == [WED_50, THU_51, WED_52]


def test_update_keeps_the_stored_history_and_appends_the_rest(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    first = accept(contract("c1"), GROUP, T0).contract
    with uow_factory() as uow:
        uow.contracts.update(first)
        uow.commit()
    second = cancel(first, GROUP, T0 + timedelta(minutes=5), "no crop")
    rewritten = replace(
        second.contract,
        history=(replace(first.history[0], reason="edited"), second.entry),
    )
    with uow_factory() as uow:
        uow.contracts.update(rewritten)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        assert stored is not None
        assert stored.history == second.contract.history
        assert stored.history[0].reason == ""


def test_update_of_an_unknown_contract_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.contracts.update(contract("nope"))


def test_a_new_contract_round_trips_its_history_and_deadline(uow_factory: UowFactory) -> None:
    accepted = accept(contract("c1"), GROUP, T0.astimezone(BANGKOK)).contract
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(accepted)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        assert stored == accepted
        assert stored is not None and stored.history[0].at.tzinfo is not None


def test_due_proposals_are_proposed_contracts_at_or_past_their_deadline(
    uow_factory: UowFactory,
) -> None:
    hour = timedelta(hours=1)
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("late", expires=T0 + 3 * hour))
        uow.contracts.add(contract("soon", expires=T0 + hour))
        uow.contracts.add(contract("open-ended", expires=None))
        uow.contracts.add(contract("taken", expires=T0, state=ContractState.ACCEPTED))
        uow.contracts.add(contract("turned-down", expires=T0, state=ContractState.REJECTED))
        uow.commit()
    with uow_factory() as uow:
        assert [c.id for c in uow.contracts.due_proposals(T0)] == []
        assert [c.id for c in uow.contracts.due_proposals(T0 + hour)] == ["soon"]
        # An aware time in another zone means the same instant.
        later = (T0 + 5 * hour).astimezone(BANGKOK)
        due = uow.contracts.due_proposals(later)
        assert [c.id for c in due] == ["soon", "late"]
        assert due[0] == contract("soon", expires=T0 + hour)


def test_declined_pairs_are_the_rejected_contracts_of_the_orders(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        turned_down = reject(contract("c1"), GROUP, T0, "no labour").contract
        uow.contracts.add(turned_down)
        uow.contracts.add(replace(turned_down, id="c1-again"))
        uow.contracts.add(replace(turned_down, id="c2", order_id="o2"))
        uow.contracts.add(contract("c3", group_id="g2"))
        uow.contracts.add(contract("c4", group_id="g2", state=ContractState.EXPIRED))
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.declined(["o1"]) == {("o1", "g1")}
        assert uow.contracts.declined(["o1", "o2", "o-none"]) == {("o1", "g1"), ("o2", "g1")}
        assert uow.contracts.declined([]) == set()


def release(order_id: str, day: date, cause: str, contract_id: str = "c1") -> Release:
    return Release(contract_id, order_id, day, "s-g1", iso_week(day), 5, 5, cause)


def test_release_log_gives_the_latest_cause_until_a_contract_takes_it_up(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "delivery short"), T0 + timedelta(hours=2))
        uow.releases.add(release("o1", WED_50, "rejected by the group"), T0)
        uow.releases.add(release("o1", WED_51, "amended"), T0)
        uow.releases.add(release("o1", WED_51, "cancelled by buyer"), T0)  # same time: later
        uow.releases.add(release("o2", WED_50, "proposal expired"), T0)
        assert uow.releases.causes(["o1"]) == {
            ("o1", WED_50): "delivery short",
            ("o1", WED_51): "cancelled by buyer",
        }
        uow.commit()
    with uow_factory() as uow:
        assert uow.releases.causes(["o1", "o2"]) == {
            ("o1", WED_50): "delivery short",
            ("o1", WED_51): "cancelled by buyer",
            ("o2", WED_50): "proposal expired",
        }
        assert uow.releases.causes([]) == {}
        uow.releases.taken_up("o1", WED_50, "c-new")
        assert uow.releases.causes(["o1"]) == {("o1", WED_51): "cancelled by buyer"}
        uow.commit()
    with uow_factory() as uow:
        assert uow.releases.causes(["o1"]) == {("o1", WED_51): "cancelled by buyer"}
        # A later release of the same delivery counts again; the taken-up ones stay taken.
        uow.releases.add(release("o1", WED_50, "amended"), T0 + timedelta(days=1))
        uow.releases.taken_up("o2", WED_51, "c-other")  # nothing released there: no effect
        assert uow.releases.causes(["o1", "o2"]) == {
            ("o1", WED_50): "amended",
            ("o1", WED_51): "cancelled by buyer",
            ("o2", WED_50): "proposal expired",
        }
        uow.commit()


def test_release_log_records_which_contract_took_a_release_up(
    uow_factory: UowFactory, sessions: Any
) -> None:
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "amended"), T0)
        uow.releases.add(release("o1", WED_50, "delivery short"), T0)
        uow.releases.add(release("o1", WED_51, "amended"), T0)
        uow.commit()
    with uow_factory() as uow:
        uow.releases.taken_up("o1", WED_50, "c-new")
        uow.commit()
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "cancelled by group"), T0)
        uow.releases.taken_up("o1", WED_50, "c-newer")
        uow.commit()
    with sessions() as session:
        rows = session.execute(
            text("SELECT day, cause, taken_up_by FROM releases ORDER BY id")
        ).all()
    assert [(r[1], r[2]) for r in rows] == [
        ("amended", "c-new"),
        ("delivery short", "c-new"),
        ("amended", None),
        ("cancelled by group", "c-newer"),
    ]


def test_read_only_units_of_work_read_the_release_log(
    uow_factory: UowFactory, sessions: Any
) -> None:
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "amended"), T0)
        uow.commit()
    with SqlUnitOfWork(sessions, read_only=True) as reader:
        assert reader.releases.causes(["o1"]) == {("o1", WED_50): "amended"}
