"""Order deliveries and supply weeks keep what contracts hold of them; contracts what they hold.

``order_deliveries.bound`` / ``.proposed`` and ``supply_weeks.bound`` / ``.proposed``: the sums
of what the contracts of the order (supply) hold of that day (week), and the part under
proposals not answered yet (see ``matcher.adapters.db.held``); ``contracts.held`` /
``held_unit_km``: the quantity of a contract's deliveries not released, and quantity × distance
of them; ``round_unfilled.ahead``: what the round's lines of the same delivery before a line
(by reason, then line) ask for. The coordinator's figures read them instead of adding up every
contract delivery. Set here from the stored contracts and rounds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RELEASED = ("cancelled", "expired", "rejected")

contracts = sa.table(
    "contracts",
    sa.column("id", sa.String),
    sa.column("order_id", sa.String),
    sa.column("supply_id", sa.String),
    sa.column("state", sa.String),
    sa.column("held", sa.Integer),
    sa.column("held_unit_km", sa.Double),
)
deliveries = sa.table(
    "contract_deliveries",
    sa.column("contract_id", sa.String),
    sa.column("day", sa.Date),
    sa.column("week", sa.String),
    sa.column("quantity", sa.Integer),
    sa.column("distance_km", sa.Double),
    sa.column("state", sa.String),
    sa.column("received", sa.Integer),
)
order_deliveries = sa.table(
    "order_deliveries",
    sa.column("order_id", sa.String),
    sa.column("day", sa.Date),
    sa.column("bound", sa.Integer),
    sa.column("proposed", sa.Integer),
)
supply_weeks = sa.table(
    "supply_weeks",
    sa.column("supply_id", sa.String),
    sa.column("week", sa.String),
    sa.column("bound", sa.Integer),
    sa.column("proposed", sa.Integer),
)


def _held(delivered: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    """As ``lifecycle.bound_quantity``: scheduled deliveries of contracts not released hold
    their quantity; delivered ones what ``delivered`` says; released ones nothing."""
    return sa.case(
        (
            (deliveries.c.state == "scheduled") & contracts.c.state.not_in(_RELEASED),
            deliveries.c.quantity,
        ),
        (deliveries.c.state == "delivered", delivered),
        else_=0,
    )


def _proposed(held: sa.ColumnElement[int]) -> sa.ColumnElement[int]:
    return sa.case((contracts.c.state == "proposed", held), else_=0)


def _set_sums(
    table: sa.TableClause,
    keys: tuple[str, str],
    by: tuple[sa.ColumnElement[str], sa.ColumnElement[object]],
    held: sa.ColumnElement[int],
) -> None:
    """One UPDATE ... FROM over the sums per key (the new columns start at 0)."""
    sums = (
        sa.select(
            by[0].label("id"),
            by[1].label("key"),
            sa.func.sum(held).label("bound"),
            sa.func.sum(_proposed(held)).label("proposed"),
        )
        .select_from(contracts.join(deliveries, deliveries.c.contract_id == contracts.c.id))
        .group_by(by[0], by[1])
        .subquery("sums")
    )
    op.execute(
        table.update()
        .where(table.c[keys[0]] == sums.c.id, table.c[keys[1]] == sums.c.key)
        .values(bound=sums.c.bound, proposed=sums.c.proposed)
    )


def upgrade() -> None:
    for table in ("order_deliveries", "supply_weeks"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("bound", sa.Integer(), server_default="0", nullable=False))
            batch.add_column(
                sa.Column("proposed", sa.Integer(), server_default="0", nullable=False)
            )
    with op.batch_alter_table("round_unfilled") as batch:
        batch.add_column(sa.Column("ahead", sa.Integer(), server_default="0", nullable=False))
    _set_ahead()
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("held", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("held_unit_km", sa.Double(), server_default="0", nullable=False))
    kept = (deliveries.c.contract_id == contracts.c.id) & (deliveries.c.state != "released")

    def of_deliveries(value: sa.ColumnElement[float]) -> sa.ScalarSelect[float]:
        return (
            sa.select(sa.func.coalesce(sa.func.sum(value), 0))
            .select_from(deliveries)
            .where(kept)
            .scalar_subquery()
        )

    op.execute(
        contracts.update().values(
            held=of_deliveries(deliveries.c.quantity),
            held_unit_km=of_deliveries(deliveries.c.quantity * deliveries.c.distance_km),
        )
    )
    _set_sums(
        order_deliveries,
        ("order_id", "day"),
        (contracts.c.order_id, deliveries.c.day),
        _held(sa.func.coalesce(deliveries.c.received, 0)),
    )
    _set_sums(
        supply_weeks,
        ("supply_id", "week"),
        (contracts.c.supply_id, deliveries.c.week),
        _held(sa.func.coalesce(deliveries.c.quantity, 0)),
    )


def _set_ahead() -> None:
    """Each unfilled line's ``ahead``: the quantity of the round's lines of the same delivery
    before it, by reason then line (a window over each round's lines of one delivery)."""
    lines = sa.table(
        "round_unfilled",
        sa.column("round_id", sa.String),
        sa.column("line", sa.Integer),
        sa.column("order_id", sa.String),
        sa.column("day", sa.Date),
        sa.column("reason", sa.String),
        sa.column("quantity", sa.Integer),
        sa.column("ahead", sa.Integer),
    )
    asked = (
        sa.select(
            lines.c.round_id,
            lines.c.line,
            (
                sa.func.sum(lines.c.quantity).over(
                    partition_by=(lines.c.round_id, lines.c.order_id, lines.c.day),
                    order_by=(lines.c.reason, lines.c.line),
                )
                - lines.c.quantity
            ).label("ahead"),
        )
    ).subquery("asked")
    op.execute(
        lines.update()
        .where(lines.c.round_id == asked.c.round_id, lines.c.line == asked.c.line)
        .values(ahead=asked.c.ahead)
    )


def downgrade() -> None:
    with op.batch_alter_table("round_unfilled") as batch:
        batch.drop_column("ahead")
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("held_unit_km")
        batch.drop_column("held")
    for table in ("supply_weeks", "order_deliveries"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("proposed")
            batch.drop_column("bound")
