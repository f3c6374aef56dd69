"""The demo's market for the coordinator's figures (``foodmatch bench api``), made without HTTP,
and copies of it inside the database for the larger size; the crop whose book is read."""

from __future__ import annotations

from datetime import date
from typing import Any

Json = dict[str, Any]


# -- the demo's market, without HTTP ----------------------------------------------------------


def seed_demo_market(database_url: str, *, weeks: int = 12, seed: int = 1) -> Json:
    """The demo's market in ``database_url``: the scenario's messages handled by the embedded
    service, one round, then the groups' answers. Returns counts of what was made."""
    from matcher.adapters.messages import scenario_messages, to_command
    from matcher.bootstrap import bootstrap
    from matcher.config import load_settings
    from matcher.scenario import season_start, songkhla_instance
    from matcher.service import commands
    from matcher.service.ports import ContractFilter

    settings = load_settings(
        database_url=database_url,
        debounce_seconds=3600,
        max_debounce_seconds=3600,
        round_interval_seconds=0,
    )
    service = bootstrap(settings)
    service.engine.start_sync()
    try:
        instance = songkhla_instance(weeks=weeks, seed=seed, start=season_start(date.today()))
        for message in scenario_messages(instance, f"bench-{seed}", seed):
            command = to_command(message.kind, message.body, message.message_id)
            service.engine.execute_sync(command)
        service.engine.execute_sync(
            commands.RunMatchingRound(crops=(), message_id="bench-figures-round", actor="bench")
        )
        with service.read_uow_factory() as uow:
            proposed = uow.contracts.list(ContractFilter(limit=1_000_000))
        answered = {"accepted": 0, "rejected": 0}
        for n, contract in enumerate(proposed):
            actor = f"group:{contract.group_id}"
            if n % 10 == 9:
                answer: commands.Command = commands.RejectContract(
                    contract_id=contract.id,
                    reason="not this week",
                    message_id=f"bench-reject-{contract.id}",
                    actor=actor,
                )
                answered["rejected"] += 1
            elif n % 3 != 2:
                answer = commands.AcceptContract(
                    contract_id=contract.id, message_id=f"bench-accept-{contract.id}", actor=actor
                )
                answered["accepted"] += 1
            else:
                continue
            service.engine.execute_sync(answer)
        with service.read_uow_factory() as uow:
            return _counts(uow)
    finally:
        service.engine.stop_sync()
        service.close()


def _counts(uow: Any) -> Json:
    from matcher.service.ports import ContractFilter

    return {
        "groups": len(uow.groups.list()),
        "buyers": len(uow.buyers.list()),
        "orders": len(uow.orders.list()),
        "supply": len(uow.supply.list()),
        "contracts": uow.contracts.count(ContractFilter()),
    }


# -- a market 100 times larger, inside the database -------------------------------------------

_COPIED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("groups", ("id",)),
    ("buyers", ("id",)),
    ("certificates", ("id", "group_id")),
    ("supply", ("id", "group_id")),
    ("supply_weeks", ("supply_id",)),
    ("orders", ("id", "buyer_id")),
    ("order_deliveries", ("order_id",)),
    ("contracts", ("id", "order_id", "buyer_id", "group_id", "supply_id")),
    ("contract_deliveries", ("contract_id",)),
    ("contract_history", ("contract_id",)),
    ("round_unfilled", ("order_id", "buyer_id")),
)
"""The tables copied and, in each, the columns holding ids that get the copy's suffix."""


def replicate(database_url: str, scale: int) -> Json:
    """Copy the market ``scale - 1`` times in place (ids suffixed ``~2``, ``~3``...): every
    table of :data:`_COPIED` ends ``scale`` times as large. Rounds stay; the copies' unfilled
    lines join them (their line numbers moved past the originals'). An outbox event records the
    change, so cached figures are read anew."""
    from sqlalchemy import ColumnElement, func, insert, literal, select

    from matcher.adapters.db.session import make_engine
    from matcher.adapters.db.tables import Base

    engine = make_engine(database_url)
    tables = Base.metadata.tables
    try:
        with engine.begin() as connection:
            unfilled = tables["round_unfilled"]
            lines = int(connection.scalar(select(func.max(unfilled.c.line))) or 0) + 1
            for copy in range(2, scale + 1):
                suffix = f"~{copy}"
                for name, ids in _COPIED:
                    table = tables[name]
                    columns: list[ColumnElement[Any]] = []
                    for column in table.columns:
                        if column.name in ids:
                            columns.append((column + literal(suffix)).label(column.name))
                        elif name == "round_unfilled" and column.name == "line":
                            columns.append((column + (copy - 1) * lines).label("line"))
                        else:
                            columns.append(column)
                    source = select(*columns)
                    if name == "round_unfilled":
                        source = source.where(unfilled.c.line < lines)
                    else:
                        source = source.where(~table.c[ids[0]].contains("~"))
                    connection.execute(
                        insert(table).from_select([c.name for c in table.columns], source)
                    )
            outbox = tables["outbox"]
            connection.execute(
                insert(outbox).values(
                    event="BenchMarketCopied",
                    key="bench",
                    payload={"copies": scale},
                    created_at=func.current_timestamp(),
                )
            )
        with engine.connect() as connection:
            return {
                name: int(connection.scalar(select(func.count()).select_from(tables[name])) or 0)
                for name in ("groups", "buyers", "orders", "supply", "contracts")
            }
    finally:
        engine.dispose()


def top_crop(database_url: str) -> str:
    """The crop with the most orders (its market's book is read)."""
    from sqlalchemy import func, select

    from matcher.adapters.db.session import make_engine
    from matcher.adapters.db.tables import OrderRow

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            query = (
                select(OrderRow.crop_id)
                .group_by(OrderRow.crop_id)
                .order_by(func.count().desc(), OrderRow.crop_id)
                .limit(1)
            )
            return str(connection.scalar(query) or "kale")
    finally:
        engine.dispose()
