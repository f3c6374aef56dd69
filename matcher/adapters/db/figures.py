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

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.adapters.db.tables import (
    BuyerRow,
    ContractDeliveryRow,
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
    DeliveryState,
    latest_clearings,
)
from matcher.domain.standards import Tier
from matcher.service.aggregates import DemandDay, HeldCell, OpenUnfilled, SupplyCell

_Int = ColumnElement[int] | InstrumentedAttribute[int]
_OPEN = BookState.OPEN.value
_PROPOSED = ContractState.PROPOSED.value
_RELEASED = sorted(state.value for state in RELEASED_STATES)


def _least(a: _Int, b: _Int) -> ColumnElement[int]:
    return case((a < b, a), else_=b)


def _greatest(a: _Int, b: _Int | int) -> ColumnElement[int]:
    return case((a > b, a), else_=b)


def _proposed(held: ColumnElement[int]) -> ColumnElement[int]:
    return case((ContractRow.state == _PROPOSED, held), else_=0)


class SqlFigureQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    def demand_days(self) -> Sequence[DemandDay]:
        q, bound, proposed = OrderRow.quantity, OrderDeliveryRow.bound, OrderDeliveryRow.proposed
        contracted = _least(q, _greatest(bound - proposed, 0))
        query = (
            select(
                OrderRow.crop_id,
                OrderDeliveryRow.day,
                func.sum(q),
                func.sum(contracted),
                func.sum(_least(proposed, q - contracted)),
                func.sum(_greatest(q - bound, 0)),
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
        query = (
            select(OrderRow.buyer_id, func.sum(OrderRow.quantity))
            .join(OrderDeliveryRow, OrderDeliveryRow.order_id == OrderRow.id)
            .where(OrderRow.state == _OPEN)
            .group_by(OrderRow.buyer_id)
        )
        return {buyer: int(total) for buyer, total in self.session.execute(query)}

    def supply_cells(self) -> Sequence[SupplyCell]:
        q, bound, proposed = SupplyWeekRow.quantity, SupplyWeekRow.bound, SupplyWeekRow.proposed
        contracted = _least(q, _greatest(bound - proposed, 0))
        query = (
            select(
                SupplyRow.group_id,
                SupplyRow.crop_id,
                func.sum(q),
                func.sum(contracted),
                func.sum(_least(proposed, q - contracted)),
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
        kept = ContractDeliveryRow.state != DeliveryState.RELEASED.value
        quantity = case((kept, ContractDeliveryRow.quantity), else_=0)
        per_contract = (
            select(
                ContractRow.group_id,
                ContractRow.buyer_id,
                ContractRow.crop_id,
                case((ContractRow.state == _PROPOSED, 1), else_=0).label("proposal"),
                func.coalesce(func.sum(quantity), 0).label("held"),
                func.coalesce(func.sum(quantity * ContractRow.unit_price), 0).label("value"),
                func.coalesce(
                    func.sum(
                        case((kept, ContractDeliveryRow.quantity * ContractDeliveryRow.distance_km))
                    ),
                    0.0,
                ).label("unit_km"),
            )
            .outerjoin(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
            .where(ContractRow.state.not_in(_RELEASED))
            .group_by(ContractRow.id)
            .subquery("per_contract")
        )
        c = per_contract.c
        query = select(
            c.group_id,
            c.buyer_id,
            c.crop_id,
            c.proposal,
            func.count(),
            func.sum(case((c.held > 0, 1), else_=0)),
            func.sum(c.held),
            func.sum(c.value),
            func.sum(c.unit_km),
        ).group_by(c.group_id, c.buyer_id, c.crop_id, c.proposal)
        rows = self.session.execute(query)
        return sorted(
            HeldCell(g, b, crop, bool(p), int(n), int(h), int(q), int(v), float(km))
            for g, b, crop, p, n, h, q, v, km in rows
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

    def open_unfilled(self, crop_ids: Collection[str], today: date) -> Sequence[OpenUnfilled]:
        heads = self.session.execute(
            select(RoundRow.id, RoundRow.summary).order_by(
                RoundRow.started_at.desc(), RoundRow.id.desc()
            )
        )
        chosen = latest_clearings(((r[0], r[1]) for r in heads), crop_ids)
        if not chosen:
            return []
        u = RoundUnfilledRow
        query = (
            select(
                u.order_id,
                u.buyer_id,
                u.crop_id,
                u.day,
                u.week,
                u.quantity,
                u.reason,
                u.detail,
                _greatest(OrderRow.quantity - func.coalesce(OrderDeliveryRow.bound, 0), 0),
                OrderRow.min_tier,
                OrderRow.max_price,
                OrderRow.max_distance_km,
            )
            .join(OrderRow, OrderRow.id == u.order_id)
            .outerjoin(
                OrderDeliveryRow,
                and_(OrderDeliveryRow.order_id == u.order_id, OrderDeliveryRow.day == u.day),
            )
            .where(
                OrderRow.state == _OPEN,
                u.day >= today,
                or_(
                    false(),
                    *(
                        and_(u.round_id == round_id, u.crop_id.in_(sorted(crops)))
                        for round_id, crops in sorted(chosen.items())
                    ),
                ),
            )
            .order_by(u.round_id, u.line)
        )
        return [
            OpenUnfilled(o, buyer, crop, day, week, int(q), reason, detail, int(left),
                         Tier(tier), price, km)
            for o, buyer, crop, day, week, q, reason, detail, left, tier, price, km
            in self.session.execute(query)
        ]  # fmt: skip
