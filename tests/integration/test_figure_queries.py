"""The database adds the market up as :mod:`matcher.service.aggregates` does over its objects.

Random markets with every contract state, delivered (in part), refused and released deliveries,
cancelled orders, withdrawn supply and several rounds are stored, then each figure query is
compared with the pure function over the same objects, on SQLite and PostgreSQL. The figures
themselves are compared too: computed from what the database adds up and from the objects.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import (
    BookState,
    Contract,
    ContractDelivery,
    ContractState,
    DeliveryState,
    MatchingRound,
    OrderRecord,
    RoundStatus,
    SupplyRecord,
    UnfilledLine,
)
from matcher.domain.model import (
    Buyer,
    BuyerKind,
    FarmerGroup,
    ForwardOrder,
    Location,
    SupplyAnnouncement,
)
from matcher.domain.standards import Scheme, Tier
from matcher.domain.weeks import iso_week
from matcher.reference import load_crops, load_districts
from matcher.service import aggregates, planning, stats
from matcher.service.ports import ContractFilter

TODAY = date(2026, 12, 7)
CROP_IDS = ("kale", "eggs", "morning_glory")
REASONS = ("insufficient_supply", "standard_not_met", "out_of_range", "too_late")


class Market:
    """A random market's objects, as stored."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self.groups = [
            FarmerGroup(f"g{i}", f"กลุ่ม {i}", f"Group {i}", Location(7.0 + i / 50, 100.5), 10,
                        district=rng.choice(["9001", "9011", "9003"]))
            for i in range(6)
        ]  # fmt: skip
        self.buyers = [
            Buyer(f"b{i}", f"ครัว {i}", f"Kitchen {i}", BuyerKind.HOSPITAL,
                  Location(7.1, 100.4 + i / 50), rng.choice(["9001", "9011"]))
            for i in range(4)
        ]  # fmt: skip
        days = [TODAY + timedelta(days=d) for d in range(-14, 42, 3)]
        self.orders: list[OrderRecord] = []
        for i in range(24):
            deliveries = tuple(sorted(rng.sample(days, rng.randint(1, 6))))
            order = ForwardOrder(
                f"o{i}", rng.choice(self.buyers).id, rng.choice(CROP_IDS), rng.randint(5, 60),
                deliveries, rng.choice(list(Tier)), rng.choice([None, 4000, 6000]),
                rng.choice([None, 30.0, 80.0]),
            )  # fmt: skip
            state = BookState.CANCELLED if rng.random() < 0.15 else BookState.OPEN
            self.orders.append(OrderRecord(order, state, self._created(rng)))
        weeks = sorted({iso_week(d) for d in days})
        self.supply: list[SupplyRecord] = []
        for i in range(12):
            announced = {w: rng.randint(10, 200) for w in rng.sample(weeks, rng.randint(1, 5))}
            supply = SupplyAnnouncement(
                f"s{i}", rng.choice(self.groups).id, rng.choice(CROP_IDS), Scheme.THAI_GAP,
                announced, 4500,
            )  # fmt: skip
            state = BookState.WITHDRAWN if rng.random() < 0.15 else BookState.OPEN
            self.supply.append(SupplyRecord(supply, state, self._created(rng)))
        self.contracts: list[Contract] = []
        for i in range(40):
            order = rng.choice(self.orders).order
            matching = [s.supply for s in self.supply if s.supply.crop_id == order.crop_id]
            if not matching:
                continue
            supply = rng.choice(matching)
            chosen = rng.sample(order.deliveries, rng.randint(1, len(order.deliveries)))
            promised = tuple(
                self._delivery(rng, day, rng.randint(1, order.quantity)) for day in sorted(chosen)
            )
            self.contracts.append(
                Contract(
                    id=f"c{i}", round_id="r1", order_id=order.id, buyer_id=order.buyer_id,
                    group_id=supply.group_id, supply_id=supply.id, crop_id=order.crop_id,
                    scheme=Scheme.THAI_GAP, min_tier=order.min_tier,
                    unit_price=rng.choice([3000, 4500, 5200]), deliveries=promised,
                    state=rng.choice(list(ContractState)),
                )
            )  # fmt: skip
        self.rounds = [self._round(rng, n) for n in range(3)]

    @staticmethod
    def _created(rng: random.Random) -> datetime | None:
        """Some records carry no time (as imported before it was kept)."""
        if rng.random() < 0.3:
            return None
        return datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 5))

    @staticmethod
    def _delivery(rng: random.Random, day: date, quantity: int) -> ContractDelivery:
        state = rng.choice(list(DeliveryState))
        received = refused = None
        if state is DeliveryState.DELIVERED:
            received = rng.randint(0, quantity)
            refused = quantity - received
        distance = round(rng.uniform(1, 90), 2)
        return ContractDelivery(day, iso_week(day), quantity, distance, state, received, refused)

    def _round(self, rng: random.Random, n: int) -> MatchingRound:
        markets = sorted(rng.sample(CROP_IDS, rng.randint(1, len(CROP_IDS))))
        lines = []
        for o in (r.order for r in self.orders if r.order.crop_id in markets):
            for day in o.deliveries:
                if rng.random() < 0.5:
                    for reason in rng.sample(REASONS, rng.randint(1, 2)):
                        quantity = rng.randint(1, o.quantity)
                        week = iso_week(day)
                        line = UnfilledLine(
                            o.id, o.buyer_id, o.crop_id, day, week, quantity, reason, "detail"
                        )
                        lines.append(line)
        started = datetime(2026, 12, 1, 8, tzinfo=UTC) + timedelta(hours=n)
        return MatchingRound(
            id=f"r{n}", trigger="request", started_at=started,
            finished_at=started + timedelta(minutes=1), status=RoundStatus.COMPLETED,
            solver="cpsat", solver_status="optimal", summary={"markets": markets},
            unfilled=tuple(lines),
        )  # fmt: skip

    def store(self, uow: SqlUnitOfWork) -> None:
        for g in self.groups:
            uow.groups.add(g)
        for b in self.buyers:
            uow.buyers.add(b)
        for s in self.supply:
            uow.supply.add(s)
        for o in self.orders:
            uow.orders.add(o)
        for c in self.contracts:
            uow.contracts.add(c)
        for r in self.rounds:
            uow.rounds.add(r)
        uow.commit()

    def change(self, uow: SqlUnitOfWork, seed: int) -> None:
        """Answer, deliver, release and amend some contracts, as the lifecycle would."""
        rng = random.Random(seed)
        for n in rng.sample(range(len(self.contracts)), len(self.contracts) // 3):
            c = self.contracts[n]
            deliveries = []
            for d in c.deliveries:
                if rng.random() < 0.3:  # an amendment moves the day (within the contract's days)
                    day = d.day + timedelta(days=1)
                    if all(x.day != day for x in c.deliveries):
                        d = replace(d, day=day)
                deliveries.append(self._delivery(rng, d.day, d.quantity))
            self.contracts[n] = replace(
                c, deliveries=tuple(deliveries), state=rng.choice(list(ContractState))
            )
            uow.contracts.update(self.contracts[n])
        uow.commit()

    def open_orders(self) -> list[ForwardOrder]:
        return [r.order for r in self.orders if r.state is BookState.OPEN]

    def open_supply(self) -> list[SupplyAnnouncement]:
        return [r.supply for r in self.supply if r.state is BookState.OPEN]

    def unfilled(self) -> list[UnfilledLine]:
        """The lines of the last round that cleared each market, newest round first."""
        out: list[UnfilledLine] = []
        left = set(CROP_IDS)
        for r in reversed(self.rounds):
            taken = left & set(r.summary["markets"])
            out += [u for u in r.unfilled if u.crop_id in taken]
            left -= taken
        return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_each_figure_query_adds_up_as_the_pure_functions_do(
    seed: int, uow_factory: Callable[[], SqlUnitOfWork]
) -> None:
    market = Market(seed)
    with uow_factory() as uow:
        market.store(uow)
    check_figure_queries(market, uow_factory)
    with uow_factory() as uow:
        market.change(uow, seed)
    check_figure_queries(market, uow_factory)
    with uow_factory() as uow:  # a change rolled back leaves the sums as they were
        uow.contracts.update(replace(market.contracts[0], deliveries=()))
        uow.rollback()
    check_figure_queries(market, uow_factory)


def check_figure_queries(market: Market, uow_factory: Callable[[], SqlUnitOfWork]) -> None:
    held = aggregates.bound(market.contracts)
    with uow_factory() as uow:
        assert list(uow.figures.demand_days()) == aggregates.demand_days(market.open_orders(), held)
        assert uow.figures.ordered_by_buyer() == aggregates.ordered_by_buyer(market.open_orders())
        assert list(uow.figures.supply_cells()) == aggregates.supply_cells(
            market.open_supply(), held
        )
        cells = list(uow.figures.held_cells())
        expected = aggregates.held_cells(market.contracts)
        assert [replace(c, unit_km=round(c.unit_km, 6)) for c in cells] == [
            replace(c, unit_km=round(c.unit_km, 6)) for c in expected
        ]
        orders = {o.id: o for o in market.open_orders()}
        buyers = {b.id: b for b in market.buyers}
        unmet = list(uow.figures.unmet_cells(CROP_IDS, TODAY))
        expected_unmet = aggregates.unmet_cells(market.unfilled(), orders, held, buyers, TODAY)
        assert unmet == expected_unmet
        for buyer in (*buyers, "nobody"):
            assert list(uow.figures.unmet_cells(CROP_IDS, TODAY, buyer)) == aggregates.unmet_cells(
                market.unfilled(), orders, held, buyers, TODAY, buyer
            )
        for crop in CROP_IDS:
            book = [
                r for r in market.orders if r.state is BookState.OPEN and r.order.crop_id == crop
            ]
            for since in (None, TODAY):
                assert list(uow.figures.open_deliveries(crop, since)) == (
                    aggregates.open_deliveries(book, held, since)
                )
            offers = [r for r in market.supply if r.state is BookState.OPEN]
            assert list(uow.figures.free_weeks(crop)) == aggregates.free_weeks(
                [r for r in offers if r.supply.crop_id == crop], held
            )
        days = aggregates.demand_days(market.open_orders(), held)
        assert uow.figures.open_demand(TODAY) == sum(d.open for d in days if d.day >= TODAY)
        assert unmet
        assert cells
        assert any(not c.proposal for c in cells)
        assert uow.figures.participants_and_book() == {
            "groups": len(market.groups),
            "buyers": len(market.buyers),
            "orders_open": len(market.open_orders()),
            "supply_open": len(market.open_supply()),
        }


def test_the_figures_from_the_database_are_those_from_the_objects(
    uow_factory: Callable[[], SqlUnitOfWork],
) -> None:
    market = Market(7)
    with uow_factory() as uow:
        market.store(uow)
    with uow_factory() as uow:
        market.change(uow, 7)
    crops = {k: c for k, c in load_crops().items() if k in CROP_IDS}
    districts = {d.code: d for d in load_districts()}
    with uow_factory() as uow:
        groups = {g.id: g for g in uow.groups.list()}
        buyers = {b.id: b for b in uow.buyers.list()}
        stored = stats.MarketFacts(
            today=TODAY,
            crops=crops,
            districts=districts,
            groups=groups,
            buyers=buyers,
            demand=uow.figures.demand_days(),
            ordered_by_buyer=uow.figures.ordered_by_buyer(),
            supply=uow.figures.supply_cells(),
            held=uow.figures.held_cells(),
            contracts_by_state=uow.figures.contracts_by_state(),
            unmet=uow.figures.unmet_cells(sorted(crops), TODAY),
            open_demand_total=uow.figures.open_demand(TODAY),
        )
    objects = stats.facts_of(
        today=TODAY,
        crops=crops,
        districts=districts,
        groups=groups,
        buyers=buyers,
        orders=market.open_orders(),
        supply=market.open_supply(),
        contracts=market.contracts,
        unfilled=market.unfilled(),
    )
    assert stored.contracts_by_state == objects.contracts_by_state
    with uow_factory() as uow:
        assert stored.contracts_by_state == {
            s.value: uow.contracts.count(ContractFilter(state=s)) for s in ContractState
        }
    for figure in (stats.fill, stats.unmet, stats.distribution, stats.open_demand):
        assert figure(stored) == figure(objects), figure.__name__
    assert stats.km_per_unit(stored) == pytest.approx(stats.km_per_unit(objects))
    assert stats.map_view(stored) == stats.map_view(objects)
    assert planning.planning_lines(stored) == planning.planning_lines(objects)
    assert stats.unmet(stored)["total"] > 0
    assert stats.fill(stored)["contracted"] > 0
