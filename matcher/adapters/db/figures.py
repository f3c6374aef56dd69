"""The market in aggregate, added up by the database (``FigureQueries`` of the service).

Each query returns sums (per crop and day, per group and crop, per group, buyer, crop and
answer). What contracts hold of each order delivery and supply week is kept on its row
(:mod:`matcher.adapters.db.held`), so demand and supply are one pass over those rows. The split
of a delivery's quantity into contracted and proposed is
:func:`matcher.service.aggregates.split`, written here as SQL over each order delivery or supply
week before the sums; ``tests/integration/test_figure_queries.py`` checks every query
against the functions of :mod:`matcher.service.aggregates` on the same market.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import ColumnElement, String, and_, case, cast, distinct, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.adapters.db.tables import (
    BuyerRow,
    ContractRow,
    GroupRow,
    OrderDeliveryRow,
    OrderRow,
    RoundRow,
    RoundUnfilledRow,
    SupplyRow,
    SupplyWeekRow,
)
from matcher.domain.contracts import (
    RELEASED_STATES,
    BookState,
    ContractState,
    latest_clearings,
)
from matcher.domain.standards import Scheme, Tier
from matcher.service.aggregates import (
    DemandDay,
    FreeWeek,
    HeldCell,
    OpenDelivery,
    SupplyCell,
    UnmetCell,
)

_Int = ColumnElement[int] | InstrumentedAttribute[int]
_OPEN = BookState.OPEN.value
_SEPARATOR = "\x1f"
"""Between the ids and dates a cell gathers (no id holds a control character)."""
_PROPOSED = ContractState.PROPOSED.value
_RELEASED = sorted(state.value for state in RELEASED_STATES)


def _least(a: _Int, b: _Int) -> ColumnElement[int]:
    return case((a < b, a), else_=b)


def _greatest(a: _Int, b: _Int | int) -> ColumnElement[int]:
    return case((a > b, a), else_=b)


def _proposed(held: ColumnElement[int]) -> ColumnElement[int]:
    return case((ContractRow.state == _PROPOSED, held), else_=0)


def _split(
    row: type[OrderDeliveryRow] | type[SupplyWeekRow], quantity: _Int
) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(contracted, proposed) of ``quantity`` on one row that keeps ``bound`` and ``proposed``
    (:func:`matcher.service.aggregates.split`, as SQL)."""
    contracted = _least(quantity, _greatest(row.bound - row.proposed, 0))
    return contracted, _least(row.proposed, quantity - contracted)


class SqlFigureQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def demand_days(self) -> Sequence[DemandDay]:
        q = OrderRow.quantity
        contracted, proposed = _split(OrderDeliveryRow, q)
        query = (
            select(
                OrderRow.crop_id,
                OrderDeliveryRow.day,
                func.sum(q),
                func.sum(contracted),
                func.sum(proposed),
                func.sum(_greatest(q - OrderDeliveryRow.bound, 0)),
            )
            .join(OrderDeliveryRow, OrderDeliveryRow.order_id == OrderRow.id)
            .where(OrderRow.state == _OPEN)
            .group_by(OrderRow.crop_id, OrderDeliveryRow.day)
        )
        return sorted(
            DemandDay(crop, day, int(o), int(c), int(p), int(left))
            for crop, day, o, c, p, left in self.session.execute(query)
        )

    def ordered_by_buyer(self) -> dict[str, int]:
        deliveries = (
            select(func.count())
            .where(OrderDeliveryRow.order_id == OrderRow.id)
            .correlate(OrderRow)
            .scalar_subquery()
        )
        query = (
            select(OrderRow.buyer_id, func.sum(OrderRow.quantity * deliveries))
            .where(OrderRow.state == _OPEN)
            .group_by(OrderRow.buyer_id)
        )
        return {buyer: int(total) for buyer, total in self.session.execute(query)}

    def supply_cells(self) -> Sequence[SupplyCell]:
        q = SupplyWeekRow.quantity
        contracted, proposed = _split(SupplyWeekRow, q)
        query = (
            select(
                SupplyRow.group_id,
                SupplyRow.crop_id,
                func.sum(q),
                func.sum(contracted),
                func.sum(proposed),
            )
            .join(SupplyWeekRow, SupplyWeekRow.supply_id == SupplyRow.id)
            .where(SupplyRow.state == _OPEN)
            .group_by(SupplyRow.group_id, SupplyRow.crop_id)
        )
        return sorted(
            SupplyCell(group, crop, int(a), int(c), int(p))
            for group, crop, a, c, p in self.session.execute(query)
        )

    def held_cells(self) -> Sequence[HeldCell]:
        proposal = case((ContractRow.state == _PROPOSED, 1), else_=0)
        query = (
            select(
                ContractRow.group_id,
                ContractRow.buyer_id,
                ContractRow.crop_id,
                proposal,
                func.count(),
                func.sum(case((ContractRow.held > 0, 1), else_=0)),
                func.sum(ContractRow.held),
                func.sum(ContractRow.held * ContractRow.unit_price),
                func.sum(ContractRow.held_unit_km),
            )
            .where(ContractRow.state.not_in(_RELEASED))
            .group_by(ContractRow.group_id, ContractRow.buyer_id, ContractRow.crop_id, proposal)
        )
        return sorted(
            HeldCell(g, b, crop, bool(p), int(n), int(h), int(q), int(v), float(km))
            for g, b, crop, p, n, h, q, v, km in self.session.execute(query)
        )

    def contracts_by_state(self) -> dict[str, int]:
        query = select(ContractRow.state, func.count()).group_by(ContractRow.state)
        counted = {state: int(n) for state, n in self.session.execute(query)}
        return {s.value: counted.get(s.value, 0) for s in ContractState}

    def participants_and_book(self) -> dict[str, int]:
        count = func.count()
        return {
            "groups": int(self.session.scalar(select(count).select_from(GroupRow)) or 0),
            "buyers": int(self.session.scalar(select(count).select_from(BuyerRow)) or 0),
            "orders_open": int(
                self.session.scalar(select(count).where(OrderRow.state == _OPEN)) or 0
            ),
            "supply_open": int(
                self.session.scalar(select(count).where(SupplyRow.state == _OPEN)) or 0
            ),
        }

    def unmet_cells(
        self, crop_ids: Collection[str], today: date, buyer_id: str | None = None
    ) -> Sequence[UnmetCell]:
        heads = self.session.execute(
            select(RoundRow.id, RoundRow.summary).order_by(
                RoundRow.started_at.desc(), RoundRow.id.desc()
            )
        )
        chosen = latest_clearings(((r[0], r[1]) for r in heads), crop_ids)
        if not chosen:
            return []
        u = RoundUnfilledRow
        wanted = [
            OrderRow.state == _OPEN,
            u.day >= today,
            or_(
                false(),
                *(
                    and_(u.round_id == round_id, u.crop_id.in_(sorted(crops)))
                    for round_id, crops in sorted(chosen.items())
                ),
            ),
        ]
        if buyer_id is not None:
            wanted.append(u.buyer_id == buyer_id)
        # What each line takes: what is open of its delivery less what the lines before it
        # (by reason, then line: ``ahead``, kept with the line) asked for, at least 0, at most
        # its own quantity.
        opened = OrderRow.quantity - func.coalesce(OrderDeliveryRow.bound, 0)
        lines = (
            select(
                u.crop_id,
                func.coalesce(BuyerRow.district, "").label("district"),
                u.week,
                u.reason,
                OrderRow.min_tier,
                u.order_id,
                u.buyer_id,
                cast(u.day, String).label("day"),
                _greatest(_least(u.quantity, opened - u.ahead), 0).label("taken"),
                OrderRow.max_price,
                OrderRow.max_distance_km,
            )
            .join(OrderRow, OrderRow.id == u.order_id)
            .outerjoin(
                OrderDeliveryRow,
                and_(OrderDeliveryRow.order_id == u.order_id, OrderDeliveryRow.day == u.day),
            )
            .outerjoin(BuyerRow, BuyerRow.id == u.buyer_id)
            .where(*wanted)
            .subquery("lines")
        )
        c = lines.c
        keys = (c.crop_id, c.district, c.week, c.reason, c.min_tier)
        query = (
            select(
                *keys,
                func.sum(c.taken),
                func.count(),
                func.count(distinct(c.order_id)),
                func.aggregate_strings(c.buyer_id, _SEPARATOR),
                func.aggregate_strings(c.day, _SEPARATOR),
                func.min(c.max_price),
                func.min(c.max_distance_km),
            )
            .where(c.taken > 0)
            .group_by(*keys)
        )
        return sorted(
            UnmetCell(crop, district, week, reason, Tier(tier), int(q), int(n), int(orders),
                      tuple(sorted(set(buyers.split(_SEPARATOR)))),
                      tuple(sorted({date.fromisoformat(d) for d in days.split(_SEPARATOR)})),
                      price, km)
            for crop, district, week, reason, tier, q, n, orders, buyers, days, price, km
            in self.session.execute(query)
        )  # fmt: skip

    def open_demand(self, today: date) -> int:
        query = (
            select(func.sum(_greatest(OrderRow.quantity - OrderDeliveryRow.bound, 0)))
            .join(OrderDeliveryRow, OrderDeliveryRow.order_id == OrderRow.id)
            .where(OrderRow.state == _OPEN, OrderDeliveryRow.day >= today)
        )
        return int(self.session.scalar(query) or 0)

    def open_deliveries(self, crop_id: str, since: date | None = None) -> Sequence[OpenDelivery]:
        left = OrderRow.quantity - OrderDeliveryRow.bound
        query = (
            select(OrderRow.id, OrderRow.buyer_id, OrderDeliveryRow.day, left, OrderRow.min_tier)
            .join(OrderDeliveryRow, OrderDeliveryRow.order_id == OrderRow.id)
            .where(OrderRow.state == _OPEN, OrderRow.crop_id == crop_id, left > 0)
            .order_by(OrderRow.created_at.asc().nulls_first(), OrderRow.id, OrderDeliveryRow.day)
        )
        if since is not None:
            query = query.where(OrderDeliveryRow.day >= since)
        return [
            OpenDelivery(order, buyer, day, int(n), Tier(tier))
            for order, buyer, day, n, tier in self.session.execute(query)
        ]

    def free_weeks(self, crop_id: str) -> Sequence[FreeWeek]:
        free = SupplyWeekRow.quantity - SupplyWeekRow.bound
        query = (
            select(SupplyRow.id, SupplyRow.group_id, SupplyWeekRow.week, free, SupplyRow.scheme)
            .join(SupplyWeekRow, SupplyWeekRow.supply_id == SupplyRow.id)
            .where(SupplyRow.state == _OPEN, SupplyRow.crop_id == crop_id, free > 0)
            .order_by(SupplyRow.created_at.asc().nulls_first(), SupplyRow.id, SupplyWeekRow.week)
        )
        return [
            FreeWeek(supply, group, week, int(n), Scheme(scheme))
            for supply, group, week, n, scheme in self.session.execute(query)
        ]
