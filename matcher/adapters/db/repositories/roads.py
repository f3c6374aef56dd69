"""A coordinator's road-distance table: measured km per (group, buyer) pair."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import RoadDistanceRow
from matcher.service.ports import RoadDistance


class SqlRoadDistanceStore:
    """Rows of ``road_distances``; a pair set again replaces its km."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, limit: int | None = None, offset: int = 0) -> list[RoadDistance]:
        query = (
            select(RoadDistanceRow)
            .order_by(RoadDistanceRow.group_id, RoadDistanceRow.buyer_id)
            .offset(offset)
            .limit(limit)
        )
        return [_entity(row) for row in self.session.scalars(query)]

    def table(self) -> dict[tuple[str, str], float]:
        query = select(RoadDistanceRow.group_id, RoadDistanceRow.buyer_id, RoadDistanceRow.km)
        return {(g, b): float(km) for g, b, km in self.session.execute(query)}

    def put(self, items: Iterable[RoadDistance]) -> int:
        count = 0
        for item in items:
            row = self.session.get(RoadDistanceRow, (item.group_id, item.buyer_id))
            if row is None:
                row = RoadDistanceRow(group_id=item.group_id, buyer_id=item.buyer_id)
                self.session.add(row)
            row.km, row.source, row.updated_at = item.km, item.source, item.updated_at
            count += 1
        self.session.flush()
        return count


def _entity(row: RoadDistanceRow) -> RoadDistance:
    updated: datetime = row.updated_at
    return RoadDistance(row.group_id, row.buyer_id, float(row.km), row.source, updated)
