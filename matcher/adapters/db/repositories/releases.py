"""Released quantities per (order, delivery date), until a new contract takes them up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import ReleaseRow
from matcher.domain.lifecycle import Release


class SqlReleaseLog:
    """Released quantities per (order, delivery date), until a new contract takes them up."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, release: Release, at: datetime) -> None:
        self.session.add(
            ReleaseRow(
                contract_id=release.contract_id,
                order_id=release.order_id,
                day=release.day,
                supply_id=release.supply_id,
                week=release.week,
                demand=release.demand,
                supply=release.supply,
                cause=release.cause,
                at=at,
                taken_up_by=None,
            )
        )

    def causes(self, order_ids: Sequence[str]) -> dict[tuple[str, date], str]:
        wanted = sorted(set(order_ids))
        if not wanted:
            return {}
        self.session.flush()
        query = (
            select(ReleaseRow.order_id, ReleaseRow.day, ReleaseRow.cause)
            .where(ReleaseRow.order_id.in_(wanted), ReleaseRow.taken_up_by.is_(None))
            .order_by(ReleaseRow.at, ReleaseRow.id)
        )
        # Oldest first: the latest release of each delivery is the one left in the dict.
        return {(order, day): cause for order, day, cause in self.session.execute(query)}

    def taken_up(self, order_id: str, day: date, contract_id: str) -> None:
        self.session.flush()
        self.session.execute(
            update(ReleaseRow)
            .where(
                ReleaseRow.order_id == order_id,
                ReleaseRow.day == day,
                ReleaseRow.taken_up_by.is_(None),
            )
            .values(taken_up_by=contract_id)
        )
