"""Version counters per market (crop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import MarketVersionRow


class SqlMarketVersions:
    """Version counters per market (crop), bumped atomically with an upsert."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, crop_id: str) -> int:
        query = select(MarketVersionRow.version).where(MarketVersionRow.crop_id == crop_id)
        version = self.session.scalar(query)
        return int(version) if version is not None else 0

    def all(self) -> dict[str, int]:
        query = select(MarketVersionRow.crop_id, MarketVersionRow.version)
        return {crop: int(version) for crop, version in self.session.execute(query)}

    def bump(self, crop_id: str) -> int:
        table = cast(Table, MarketVersionRow.__table__)
        dialect = self.session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(table)
                .values(crop_id=crop_id, version=1)
                .on_conflict_do_update(
                    index_elements=[table.c.crop_id],
                    set_={"version": table.c.version + 1},
                )
                .returning(table.c.version)
            )
            return int(self.session.execute(statement).scalar_one())
        changed = self.session.execute(
            update(table)
            .where(table.c.crop_id == crop_id)
            .values(version=table.c.version + 1)
            .returning(table.c.version)
        ).scalar_one_or_none()
        if changed is not None:
            return int(changed)
        self.session.add(MarketVersionRow(crop_id=crop_id, version=1))
        self.session.flush()
        return 1

    def lock(self, crop_ids: Sequence[str]) -> dict[str, int]:
        """Versions of ``crop_ids``, rows locked (FOR UPDATE on PostgreSQL) in crop order.

        Missing rows are created at version 0 first so that every market can be locked; on
        SQLite the unit of work already holds the database's write lock.
        """
        wanted = sorted(set(crop_ids))
        if not wanted:
            return {}
        present = set(
            self.session.scalars(
                select(MarketVersionRow.crop_id).where(MarketVersionRow.crop_id.in_(wanted))
            )
        )
        for crop_id in wanted:
            if crop_id not in present:
                self.session.add(MarketVersionRow(crop_id=crop_id, version=0))
        self.session.flush()
        query = (
            select(MarketVersionRow.crop_id, MarketVersionRow.version)
            .where(MarketVersionRow.crop_id.in_(wanted))
            .order_by(MarketVersionRow.crop_id)
            .with_for_update()
        )
        return {crop: int(version) for crop, version in self.session.execute(query)}
