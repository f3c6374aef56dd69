"""A contract's lifecycle as a list of stored steps, the book it starts from and the releases it
logs: run on the SQL unit of work and on the fake one alike."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    OrderRecord,
    SupplyRecord,
)
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
        change.contract,
        BUYER,
        T0 + timedelta(days=8),
        WED_50,
        Settled(received=30, refused=5, reason="not_fresh"),
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


def release(order_id: str, day: date, cause: str, contract_id: str = "c1") -> Release:
    return Release(contract_id, order_id, day, "s-g1", iso_week(day), 5, 5, cause)
