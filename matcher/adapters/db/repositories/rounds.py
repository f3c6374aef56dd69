"""Matching rounds, with the lines each left unfilled."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, lazyload

from matcher.adapters.db import mapping
from matcher.adapters.db.repositories.queries import plain
from matcher.adapters.db.tables import ContractRow, RoundRow, RoundUnfilledRow
from matcher.domain.contracts import MatchingRound, UnfilledLine, latest_clearings


class SqlRoundRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: MatchingRound) -> None:
        self.session.add(mapping.round_row(record))

    def get(self, round_id: str) -> MatchingRound | None:
        row = self.session.get(RoundRow, round_id)
        return mapping.round_of(row) if row is not None else None

    def list(
        self, *, limit: int = 50, offset: int = 0, unfilled: bool = True
    ) -> Sequence[MatchingRound]:
        query = (
            select(RoundRow)
            .order_by(RoundRow.started_at.desc(), RoundRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if not unfilled:
            query = query.options(lazyload(RoundRow.unfilled))  # and never touched: not read
        rows = self.session.scalars(query)
        return [mapping.round_of(row, with_unfilled=unfilled) for row in rows]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(RoundRow)) or 0)

    def latest_with_contracts(self) -> MatchingRound | None:
        made = exists().where(ContractRow.round_id == RoundRow.id)
        query = (
            select(RoundRow)
            .where(made)
            .order_by(RoundRow.started_at.desc(), RoundRow.id.desc())
            .limit(1)
            .options(lazyload(RoundRow.unfilled))
        )
        row = self.session.scalars(query).first()
        return mapping.round_of(row, with_unfilled=False) if row is not None else None

    def after(self, record: MatchingRound | None) -> tuple[int, datetime | None]:
        query = select(func.count(), func.max(RoundRow.finished_at))
        if record is not None:
            query = query.where(
                (RoundRow.started_at > record.started_at)
                | ((RoundRow.started_at == record.started_at) & (RoundRow.id > record.id))
            )
        count, newest = self.session.execute(query).one()
        return int(count or 0), newest

    def latest_unfilled(self, crop_ids: Collection[str]) -> Sequence[UnfilledLine]:
        heads = self.session.execute(
            select(RoundRow.id, RoundRow.summary).order_by(
                RoundRow.started_at.desc(), RoundRow.id.desc()
            )
        )
        out: list[UnfilledLine] = []
        for round_id, crops in latest_clearings(((r[0], r[1]) for r in heads), crop_ids).items():
            query = (
                select(*RoundUnfilledRow.__table__.columns)  # plain rows: many lines
                .where(
                    RoundUnfilledRow.round_id == round_id,
                    RoundUnfilledRow.crop_id.in_(sorted(crops)),
                )
                .order_by(RoundUnfilledRow.line)
            )
            out += [mapping.unfilled_of(row) for row in plain(self.session, query)]
        return out
