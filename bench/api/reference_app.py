"""The reference of ``foodmatch bench api``: the least an HTTP write of an order costs on this
machine with the same stack (uvicorn, FastAPI, pydantic, SQLite).

One endpoint, ``POST /orders``: the body is checked by a small pydantic model of the same shape
as the service's order, and inserted as one row into a SQLite file (WAL mode, one connection per
request, one commit per request); the answer is 201 with the order's id, 409 when the id is
already there, 422 when the body does not fit. No access control, no idempotency, no bus, no
event: what is left is the floor the service's ``POST /orders`` is measured against.

Run as its own process, like the service:
``python -m bench.api.reference_app --port P --db FILE``.
"""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from fastapi import FastAPI

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    buyer_id TEXT NOT NULL,
    crop_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    deliveries TEXT NOT NULL,
    min_tier TEXT NOT NULL,
    max_price TEXT,
    max_distance_km REAL
)
"""


class ReferenceOrder(BaseModel):
    """An order as the bench sends it: the service's order body, without its options."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    buyer_id: str = Field(min_length=1)
    crop_id: str = Field(min_length=1)
    quantity: int = Field(gt=0)
    deliveries: list[date] = Field(min_length=1)
    min_tier: str = "SAFE"
    max_price: Decimal | None = Field(None, gt=0)
    max_distance_km: float | None = Field(None, gt=0)


class Created(BaseModel):
    id: str


def connect(path: Path) -> sqlite3.Connection:
    """A connection of one request (autocommit off: the insert is committed explicitly)."""
    connection = sqlite3.connect(path, timeout=30.0)
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def prepare(path: Path) -> None:
    """The file in WAL mode with its one table."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(SCHEMA)
    connection.close()


def insert(path: Path, order: ReferenceOrder) -> bool:
    """Insert the order and commit; False when its id is already there."""
    connection = connect(path)
    try:
        connection.execute(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                order.id,
                order.buyer_id,
                order.crop_id,
                order.quantity,
                ",".join(d.isoformat() for d in order.deliveries),
                order.min_tier,
                None if order.max_price is None else str(order.max_price),
                order.max_distance_km,
            ),
        )
        connection.commit()
    except sqlite3.IntegrityError:
        connection.rollback()
        return False
    finally:
        connection.close()
    return True


def create_app(path: Path) -> FastAPI:
    """The reference app on the SQLite file ``path`` (made ready when the app starts)."""
    from fastapi import FastAPI, HTTPException

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        prepare(path)
        yield

    app = FastAPI(title="foodmatch bench reference", lifespan=lifespan)

    @app.post("/orders", status_code=201)
    def post_order(order: ReferenceOrder) -> Created:
        if not insert(path, order):
            raise HTTPException(409, f"order {order.id} exists")
        return Created(id=order.id)

    return app


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The reference of foodmatch bench api.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="The SQLite file (made if absent).")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.db),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
