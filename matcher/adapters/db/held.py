"""What contracts hold of each order delivery and supply week, kept on those rows; and what
each contract still holds, kept on it.

``order_deliveries.bound`` / ``supply_weeks.bound`` are the sums of what the contracts of the
order (supply) hold of that day (week): ``BOUND_DEMAND`` / ``BOUND_SUPPLY`` of each contract
delivery; ``proposed`` the part of it under proposals not answered yet. ``contracts.held`` /
``held_unit_km``: the quantity of a contract's deliveries not released, and quantity × distance
of them.

Contracts change only through the contract repository, which names the contracts it touched
(and their orders and supplies) in the session; before the unit of work commits,
:func:`refresh` sets all of these anew from the contract deliveries (a few statements per 5,000
of them), so the figures read them instead of adding up every contract delivery at each read.
``tests/integration/test_figure_queries.py`` checks them against the sums over the contracts'
objects after adds, answers, deliveries, amendments and a rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, case, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from matcher.adapters.db.repositories.bound import BOUND_DEMAND, BOUND_SUPPLY
from matcher.adapters.db.repositories.contracts import touched_by_contracts
from matcher.adapters.db.tables import (
    ContractDeliveryRow,
    ContractRow,
    OrderDeliveryRow,
    SupplyWeekRow,
)
from matcher.domain.contracts import ContractState, DeliveryState

_CHUNK = 5_000


def _proposed(held: ColumnElement[int]) -> ColumnElement[int]:
    return case((ContractRow.state == ContractState.PROPOSED.value, held), else_=0)


def refresh(session: Session) -> None:
    """Set the sums of the orders and supplies whose contracts changed in ``session``."""
    contracts, orders, supplies = touched_by_contracts(session)
    if not contracts:
        return
    session.flush()
    kept = ContractDeliveryRow.state != DeliveryState.RELEASED.value
    mine = ContractDeliveryRow.contract_id == ContractRow.id
    for chunk in _chunks(sorted(contracts)):
        session.execute(
            update(ContractRow)
            .where(ContractRow.id.in_(chunk))
            .values(
                held=_of_deliveries(ContractDeliveryRow.quantity, mine, kept),
                held_unit_km=_of_deliveries(
                    ContractDeliveryRow.quantity * ContractDeliveryRow.distance_km, mine, kept
                ),
            )
            .execution_options(synchronize_session=False)
        )
    for chunk in _chunks(sorted(orders)):
        set_sums(
            session,
            OrderDeliveryRow,
            (OrderDeliveryRow.order_id, OrderDeliveryRow.day),
            (ContractRow.order_id, ContractDeliveryRow.day),
            BOUND_DEMAND,
            chunk,
        )
    for chunk in _chunks(sorted(supplies)):
        set_sums(
            session,
            SupplyWeekRow,
            (SupplyWeekRow.supply_id, SupplyWeekRow.week),
            (ContractRow.supply_id, ContractDeliveryRow.week),
            BOUND_SUPPLY,
            chunk,
        )


def _of_deliveries(
    value: ColumnElement[Any] | InstrumentedAttribute[Any], *where: ColumnElement[bool]
) -> ScalarSelect[Any]:
    """The sum of ``value`` over a contract's deliveries (0 when none), by its key."""
    return (
        select(func.coalesce(func.sum(value), 0))
        .select_from(ContractDeliveryRow)
        .where(*where)
        .scalar_subquery()
    )


def set_sums(
    session: Session,
    table: type[OrderDeliveryRow] | type[SupplyWeekRow],
    keys: tuple[InstrumentedAttribute[str], InstrumentedAttribute[Any]],
    by: tuple[InstrumentedAttribute[str], InstrumentedAttribute[Any]],
    held: ColumnElement[int],
    ids: Sequence[str],
) -> None:
    """The rows of ``table`` whose first key is one of ``ids``: ``bound`` and ``proposed``
    summed from the contract deliveries grouped ``by`` the same keys (0 where none is left).
    One UPDATE ... FROM over the sums (a correlated subquery per row would let SQLite search
    contract deliveries by week, all of a week's for each row)."""
    session.execute(
        update(table)
        .where(keys[0].in_(ids))
        .values(bound=0, proposed=0)
        .execution_options(synchronize_session=False)
    )
    sums = (
        select(
            by[0].label("id"),
            by[1].label("key"),
            func.sum(held).label("bound"),
            func.sum(_proposed(held)).label("proposed"),
        )
        .join(ContractDeliveryRow, ContractDeliveryRow.contract_id == ContractRow.id)
        .where(by[0].in_(ids))
        .group_by(by[0], by[1])
        .subquery("sums")
    )
    session.execute(
        update(table)
        .where(keys[0] == sums.c.id, keys[1] == sums.c.key)
        .values(bound=sums.c.bound, proposed=sums.c.proposed)
        .execution_options(synchronize_session=False)
    )


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
