"""Reading many rows at once: ids in chunks, rows as plain tuples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVarTuple

from sqlalchemy import Select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

_Ts = TypeVarTuple("_Ts")
_CHUNK = 5_000
"""Ids per ``IN (...)``: well under SQLite's and psycopg's limits on bound parameters."""


def chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


def plain(session: Session, query: Select[*_Ts]) -> CursorResult[*_Ts]:
    """The rows of ``query`` as plain tuples, straight from the session's connection (the ORM's
    row handling costs more than the reading where there are many), after a flush as the
    session's own queries do."""
    session.flush()
    return session.connection().execute(query)
