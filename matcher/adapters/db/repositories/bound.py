"""What a contract delivery still binds of its order's and its supply's quantities, as SQL
expressions (read by the contract repository and by :mod:`matcher.adapters.db.held`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func

from matcher.adapters.db.tables import ContractDeliveryRow, ContractRow
from matcher.domain.contracts import RELEASED_STATES, DeliveryState

_RELEASED = sorted(state.value for state in RELEASED_STATES)


def _bound(delivered: ColumnElement[int]) -> ColumnElement[int]:
    """What a delivery still binds (see ``lifecycle.bound_quantity``), as a SQL expression."""
    scheduled = ContractDeliveryRow.state == DeliveryState.SCHEDULED.value
    return case(
        (scheduled & ContractRow.state.not_in(_RELEASED), ContractDeliveryRow.quantity),
        (ContractDeliveryRow.state == DeliveryState.DELIVERED.value, delivered),
        else_=0,
    )


_RECEIVED = func.coalesce(ContractDeliveryRow.received, 0)
BOUND_DEMAND = _bound(_RECEIVED)
"""What a contract delivery still holds of its order's delivery that day."""
BOUND_SUPPLY = _bound(func.coalesce(ContractDeliveryRow.quantity, 0))
"""What a contract delivery still holds of its supply's week."""
