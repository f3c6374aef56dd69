"""Version counters per market (crop)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from matcher.adapters.db.tables import MarketVersionRow


class SqlMarketVersions:
    """Version counters per market (crop), bumped atomically with an upsert."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.bumped: dict[str, bool] = {}
        """Markets moved on in the open transaction, each with whether its removals moved too
        (the unit of work clears it at its end and restores it when a savepoint rolls back)."""

    def get(self, crop_id: str) -> int:
        query = select(MarketVersionRow.version).where(MarketVersionRow.crop_id == crop_id)
        version = self.session.scalar(query)
        return int(version) if version is not None else 0

    def all(self) -> dict[str, int]:
        query = select(MarketVersionRow.crop_id, MarketVersionRow.version)
        return {crop: int(version) for crop, version in self.session.execute(query)}

    def removals(self) -> dict[str, int]:
        query = select(MarketVersionRow.crop_id, MarketVersionRow.removals)
        return {crop: int(removals) for crop, removals in self.session.execute(query)}

    def bump(self, crop_id: str, *, addition: bool = False) -> None:
        """Moves the market's version on by one, and its removals unless the change is an
        ``addition``; once per transaction: a market already moved in this transaction stays
        locked by it, and one more step would say nothing new."""
        removal = not addition
        before = self.bumped.get(crop_id)
        if before is None:
            steps = (1, int(removal))
        elif removal and not before:
            steps = (0, 1)
        else:
            return
        self._step(crop_id, *steps)
        self.bumped[crop_id] = removal or bool(before)

    def _step(self, crop_id: str, version: int, removals: int) -> None:
        table = cast(Table, MarketVersionRow.__table__)
        insert = self._insert()
        if insert is not None:
            self.session.execute(
                insert(table)
                .values(crop_id=crop_id, version=version, removals=removals)
                .on_conflict_do_update(
                    index_elements=[table.c.crop_id],
                    set_={
                        "version": table.c.version + version,
                        "removals": table.c.removals + removals,
                    },
                )
            )
            return
        changed = self.session.execute(
            update(table)
            .where(table.c.crop_id == crop_id)
            .values(version=table.c.version + version, removals=table.c.removals + removals)
            .returning(table.c.version)
        ).scalar_one_or_none()
        if changed is None:
            self.session.add(MarketVersionRow(crop_id=crop_id, version=version, removals=removals))
            self.session.flush()

    def _insert(self) -> Callable[[Table], postgresql.Insert | sqlite.Insert] | None:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return postgresql.insert
        if dialect == "sqlite":
            return sqlite.insert
        return None

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
        missing = [c for c in wanted if c not in present]
        insert = self._insert()
        if missing and insert is not None:  # two writers creating one market: both go on
            table = cast(Table, MarketVersionRow.__table__)
            rows = [{"crop_id": c, "version": 0, "removals": 0} for c in missing]
            self.session.execute(insert(table).values(rows).on_conflict_do_nothing())
        elif missing:
            self.session.add_all(
                MarketVersionRow(crop_id=c, version=0, removals=0) for c in missing
            )
            self.session.flush()
        query = (
            select(MarketVersionRow.crop_id, MarketVersionRow.version)
            .where(MarketVersionRow.crop_id.in_(wanted))
            .order_by(MarketVersionRow.crop_id)
            .with_for_update()
        )
        return {crop: int(version) for crop, version in self.session.execute(query)}
