"""The packaged migrations, the engine settings and SQLite transactions, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from matcher.adapters.db.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    migration_connection,
    upgrade,
    upgrade_sql,
)
from matcher.adapters.db.session import make_engine, make_session_factory, normalise_url
from matcher.adapters.db.tables import metadata
from matcher.adapters.db.uow import ReadOnlyError, SqlUnitOfWork
from matcher.domain.contracts import (
    CancelledDelivery,
    ContractDelivery,
    ContractState,
    DeliveryState,
    RefusalReason,
)
from matcher.domain.lifecycle import Actor, Party, Settled, confirm_delivery

APPLICATION_TABLES = {table.name for table in metadata.sorted_tables}
AT = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
WEDNESDAY = date(2026, 12, 9)


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_from_empty_reaches_head_and_matches_the_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) == APPLICATION_TABLES | {"alembic_version"}
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_a_second_upgrade_changes_nothing(db_url: str) -> None:
    upgrade(db_url)
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        config = alembic_config()
        with migration_connection(engine) as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


RULE_COLUMNS = {
    "orders": {"max_suppliers"},
    "groups": {"min_lot", "max_buyers_per_week"},
    "round_unfilled": {"alternative"},
}

# The tables as revision 0002 left them (only the columns the test writes).
GROUPS = sa.table(
    "groups",
    *(sa.column(c) for c in ("id", "name_th", "name_en", "kind", "district", "lat", "lon")),
    sa.column("members"),
)
BUYERS = sa.table(
    "buyers",
    *(sa.column(c) for c in ("id", "name_th", "name_en", "kind", "district", "lat", "lon")),
)
ORDERS = sa.table(
    "orders",
    *(sa.column(c) for c in ("id", "buyer_id", "crop_id", "quantity", "min_tier", "state")),
)
ORDER_DELIVERIES = sa.table(
    "order_deliveries", sa.column("order_id"), sa.column("day", sa.Date()), sa.column("quantity")
)
ROUNDS = sa.table(
    "rounds",
    *(sa.column(c) for c in ("id", "trigger", "status", "solver", "solver_status")),
    sa.column("started_at", sa.DateTime(timezone=True)),
    sa.column("finished_at", sa.DateTime(timezone=True)),
    *(sa.column(c, sa.JSON()) for c in ("summary", "notes", "contract_ids")),
)
UNFILLED = sa.table(
    "round_unfilled",
    *(sa.column(c) for c in ("round_id", "line", "order_id", "buyer_id", "crop_id", "week")),
    sa.column("day", sa.Date()),
    *(sa.column(c) for c in ("quantity", "reason", "detail")),
)


def seed_revision_0002(engine: Engine) -> None:
    place = {"district": "9011", "lat": 7.0, "lon": 100.4}
    with engine.begin() as connection:
        connection.execute(
            GROUPS.insert().values(
                id="g1", name_th="ก", name_en="G", kind="cooperative", members=9, **place
            )
        )
        connection.execute(
            BUYERS.insert().values(id="b1", name_th="ข", name_en="B", kind="hospital", **place)
        )
        connection.execute(
            ORDERS.insert().values(
                id="o1", buyer_id="b1", crop_id="kale", quantity=40, min_tier="SAFE", state="open"
            )
        )
        connection.execute(
            ORDER_DELIVERIES.insert().values(order_id="o1", day=WEDNESDAY, quantity=40)
        )
        connection.execute(
            ROUNDS.insert().values(
                id="r1",
                trigger="request",
                status="completed",
                solver="flow",
                solver_status="optimal",
                started_at=AT,
                finished_at=AT,
                summary={"filled": 0},
                notes=[],
                contract_ids=[],
            )
        )
        connection.execute(
            UNFILLED.insert().values(
                round_id="r1",
                line=0,
                order_id="o1",
                buyer_id="b1",
                crop_id="kale",
                week="2026-W50",
                day=WEDNESDAY,
                quantity=40,
                reason="no_supply",
                detail="none",
            )
        )


def test_0003_adds_the_rule_columns_to_a_0002_database_and_downgrade_removes_them(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        for table, added in RULE_COLUMNS.items():
            assert not added & columns(engine, table)
        seed_revision_0002(engine)

        upgrade(engine, "0003")

        assert current_revision(engine) == "0003"
        for table, added in RULE_COLUMNS.items():
            assert added <= columns(engine, table)
        upgrade(engine)  # the repositories read the tables as the newest schema has them
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            group, record = uow.groups.get("g1"), uow.rounds.get("r1")
            assert group is not None
            assert (group.min_lot, group.max_buyers_per_week) == (None, None)
            assert record is not None
            assert record.unfilled[0].alternative is None
        # The orders' repository reads tables of later revisions (cancelled deliveries): the
        # column is read as it stands at 0003.
        with engine.connect() as connection:
            suppliers = "SELECT max_suppliers FROM orders WHERE id = 'o1'"
            assert connection.exec_driver_sql(suppliers).all() == [(None,)]
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE groups SET min_lot = 20, max_buyers_per_week = 2 WHERE id = 'g1'"
            )
            connection.exec_driver_sql("UPDATE orders SET max_suppliers = 1 WHERE id = 'o1'")

        downgrade(engine, "0002")

        assert current_revision(engine) == "0002"
        for table, added in RULE_COLUMNS.items():
            assert not added & columns(engine, table)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT id, members FROM groups").all() == [("g1", 9)]
            assert connection.exec_driver_sql("SELECT id, quantity FROM orders").all() == [
                ("o1", 40)
            ]
            deliveries = "SELECT order_id, quantity FROM order_deliveries"
            assert connection.exec_driver_sql(deliveries).all() == [("o1", 40)]
            assert connection.exec_driver_sql(
                "SELECT round_id, line, reason FROM round_unfilled"
            ).all() == [("r1", 0, "no_supply")]
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_downgrade_of_0003_keeps_constraints_and_foreign_keys(sqlite_url: str) -> None:
    """On SQLite, dropping a column rebuilds the table: its checks and links must survive."""
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        downgrade(engine, "0002")
        with engine.connect() as connection:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'orders'"
            ).scalar_one()
            assert "ck_orders_quantity_positive" in sql
            assert "fk_orders_buyer_id_buyers" in sql
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO orders (id, buyer_id, crop_id, quantity, min_tier, state)"
                " VALUES ('o1', 'no-such-buyer', 'kale', 5, 'SAFE', 'open')"
            )
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


LIFECYCLE_COLUMNS = {
    "contract_deliveries": {"state", "received", "refused"},
    "contracts": {"proposal_expires_at"},
}
LIFECYCLE_TABLES = {"contract_history", "releases"}

# The tables as revision 0003 left them (only the columns the test writes).
SUPPLY = sa.table(
    "supply",
    *(sa.column(c) for c in ("id", "group_id", "crop_id", "scheme", "asking_price", "state")),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
CONTRACTS = sa.table(
    "contracts",
    *(
        sa.column(c)
        for c in (
            "id",
            "round_id",
            "order_id",
            "buyer_id",
            "group_id",
            "supply_id",
            "crop_id",
            "scheme",
            "min_tier",
            "unit_price",
            "state",
            "pricing_policy",
            "reason",
        )
    ),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
CONTRACT_DELIVERIES = sa.table(
    "contract_deliveries",
    sa.column("contract_id"),
    sa.column("day", sa.Date()),
    *(sa.column(c) for c in ("week", "quantity", "distance_km")),
)


def seed_revision_0003(engine: Engine) -> None:
    """The 0002 seed plus a supply and an accepted contract with one delivery."""
    seed_revision_0002(engine)
    with engine.begin() as connection:
        connection.execute(
            SUPPLY.insert().values(
                id="s1",
                group_id="g1",
                crop_id="kale",
                scheme="PGS",
                asking_price=3000,
                state="open",
                created_at=AT,
            )
        )
        connection.execute(
            CONTRACTS.insert().values(
                id="c1",
                round_id="r1",
                order_id="o1",
                buyer_id="b1",
                group_id="g1",
                supply_id="s1",
                crop_id="kale",
                scheme="PGS",
                min_tier="SAFE",
                unit_price=3000,
                state="accepted",
                pricing_policy="ask",
                reason="matched in a clearing round",
                created_at=AT,
            )
        )
        connection.execute(
            CONTRACT_DELIVERIES.insert().values(
                contract_id="c1", day=WEDNESDAY, week="2026-W50", quantity=40, distance_km=21.5
            )
        )


def test_0004_adds_the_lifecycle_to_a_0003_database_and_downgrade_removes_it(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        assert not LIFECYCLE_TABLES & set(inspect(engine).get_table_names())
        seed_revision_0003(engine)

        upgrade(engine, "0004")

        assert current_revision(engine) == "0004"
        assert set(inspect(engine).get_table_names()) >= LIFECYCLE_TABLES
        for table, added in LIFECYCLE_COLUMNS.items():
            assert added <= columns(engine, table)
        # Today's code reads the newest schema (later revisions add columns to the same tables);
        # what 0004 gave the rows is still what they hold there.
        upgrade(engine)
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            stored = uow.contracts.get("c1")
            assert stored is not None
            assert stored.state is ContractState.ACCEPTED
            assert (stored.unit_price, stored.created_at) == (3000, AT)
            assert stored.proposal_expires_at is None
            assert stored.history == ()
            assert stored.deliveries == (
                ContractDelivery(WEDNESDAY, "2026-W50", 40, 21.5, DeliveryState.SCHEDULED),
            )
            assert uow.contracts.bound_demand() == {("o1", WEDNESDAY): 40}
            assert uow.releases.causes(["o1"]) == {}
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            stored = uow.contracts.get("c1")
            assert stored is not None
            # The contract changes and is logged in the tables 0004 made.
            change = confirm_delivery(
                stored, Actor(Party.BUYER, "b1"), AT, WEDNESDAY, Settled(received=30, refused=0)
            )
            uow.contracts.update(change.contract)
            for released in change.released:
                uow.releases.add(released, AT)
            uow.commit()
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            assert uow.contracts.get("c1") == change.contract
            assert uow.releases.causes(["o1"]) == {("o1", WEDNESDAY): "delivery short"}

        downgrade(engine, "0003")

        assert current_revision(engine) == "0003"
        assert not LIFECYCLE_TABLES & set(inspect(engine).get_table_names())
        for table, added in LIFECYCLE_COLUMNS.items():
            assert not added & columns(engine, table)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT id, state FROM contracts").all() == [
                ("c1", "completed")
            ]
            assert connection.exec_driver_sql(
                "SELECT contract_id, week, quantity FROM contract_deliveries"
            ).all() == [("c1", "2026-W50", 40)]
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT state, received FROM contract_deliveries"
            ).all() == [("scheduled", None)]
    finally:
        engine.dispose()


def test_0008_sums_what_contracts_hold_of_each_delivery_and_week(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        seed_revision_0003(engine)
        upgrade(engine, "0007")
        with engine.begin() as connection:  # a proposal beside the accepted contract
            connection.exec_driver_sql(
                "INSERT INTO supply_weeks (supply_id, week, quantity) VALUES ('s1', '2026-W50', 60)"
            )
            connection.exec_driver_sql(
                "INSERT INTO contracts (id, round_id, order_id, buyer_id, group_id, supply_id, "
                "crop_id, scheme, min_tier, unit_price, state, pricing_policy, reason) "
                "SELECT 'c2', round_id, order_id, buyer_id, group_id, supply_id, crop_id, scheme, "
                "min_tier, unit_price, 'proposed', pricing_policy, reason FROM contracts"
            )
            connection.exec_driver_sql(
                "INSERT INTO contract_deliveries (contract_id, day, week, quantity, distance_km, "
                "state) SELECT 'c2', day, week, 5, distance_km, 'scheduled' "
                "FROM contract_deliveries"
            )
        with engine.begin() as connection:  # the same delivery's line of an earlier reason
            connection.execute(
                UNFILLED.insert().values(
                    round_id="r1", line=1, order_id="o1", buyer_id="b1", crop_id="kale",
                    week="2026-W50", day=WEDNESDAY, quantity=7, reason="insufficient_supply",
                    detail="short",
                )
            )  # fmt: skip
        assert not {"bound", "proposed"} & columns(engine, "order_deliveries")

        upgrade(engine, "0008")

        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT order_id, bound, proposed FROM order_deliveries"
            ).all() == [("o1", 45, 5)]
            weeks = connection.exec_driver_sql("SELECT week, bound, proposed FROM supply_weeks")
            assert sorted(weeks.all()) == [("2026-W50", 45, 5)]
            held = connection.exec_driver_sql("SELECT id, held, held_unit_km FROM contracts")
            assert sorted(held.all()) == [("c1", 40, 40 * 21.5), ("c2", 5, 5 * 21.5)]
            ahead = connection.exec_driver_sql("SELECT line, ahead FROM round_unfilled")
            assert sorted(ahead.all()) == [(0, 7), (1, 0)]
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            assert uow.contracts.bound_demand() == {("o1", WEDNESDAY): 45}
            assert [d.contracted for d in uow.figures.demand_days()] == [40]
        downgrade(engine, "0007")
        assert "ahead" not in columns(engine, "round_unfilled")
        assert not {"held", "held_unit_km"} & columns(engine, "contracts")
        assert not {"bound", "proposed"} & columns(engine, "order_deliveries")
        assert not {"bound", "proposed"} & columns(engine, "supply_weeks")
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_downgrade_of_0004_keeps_the_delivery_links(sqlite_url: str) -> None:
    """On SQLite, dropping the delivery columns rebuilds the table: its key and link survive."""
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        downgrade(engine, "0003")
        with engine.connect() as connection:
            sql = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master"
                " WHERE type = 'table' AND name = 'contract_deliveries'"
            ).scalar_one()
            assert "pk_contract_deliveries" in sql
            assert "fk_contract_deliveries_contract_id_contracts" in sql
            assert "ON DELETE CASCADE" in sql
            indexes = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
                " AND tbl_name = 'contract_deliveries'"
            ).scalars()
            assert "ix_contract_deliveries_week" in set(indexes)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO contract_deliveries (contract_id, day, week, quantity, distance_km)"
                " VALUES ('no-such-contract', '2026-12-09', '2026-W50', 5, 1.0)"
            )
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_sqlite_file_is_created_with_its_folder_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "foodmatch.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        assert path.exists()
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() == 30_000
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys_after_migrating(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)  # migrations run with foreign keys off, on a pooled connection
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO certificates (id, group_id, scheme, valid_from, valid_until,"
                " crops, crop_groups, scopes, certifier)"
                " VALUES ('c1', 'no-such-group', 'THAI_GAP', '2026-01-01', '2026-12-31',"
                " '[]', '[]', '[]', '')"
            )
    finally:
        engine.dispose()


def test_in_memory_sqlite_is_one_shared_database() -> None:
    engine = make_engine("sqlite://")
    try:
        assert isinstance(engine.pool, StaticPool)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= APPLICATION_TABLES
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://u:p@db.example:5432/foodmatch",
        "postgres://u:p@db.example:5432/foodmatch",
        "postgresql+psycopg://u:p@db.example:5432/foodmatch",
    ],
)
def test_postgres_urls_are_spelled_for_psycopg_3(given: str) -> None:
    url = normalise_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == (
        "db.example",
        5432,
        "foodmatch",
        "p",
    )
    assert make_engine(given).dialect.driver == "psycopg"


def test_offline_upgrade_renders_the_schema_as_sql() -> None:
    for url in ("sqlite:///unused.db", "postgresql://u:p@localhost/unused"):
        sql = upgrade_sql(url)
        assert "CREATE TABLE contracts" in sql
        assert "CREATE INDEX ix_contract_deliveries_week" in sql
        assert "INSERT INTO alembic_version" in sql


@pytest.mark.postgres
def test_postgres_upgrade_matches_the_tables(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        columns = {c["name"]: c for c in inspect(engine).get_columns("outbox")}
        assert str(columns["id"]["type"]) == "BIGINT"
        assert columns["created_at"]["type"].timezone is True  # type: ignore[attr-defined]
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_read_only_unit_of_work_reads_but_cannot_commit(
    uow_factory: Callable[[], SqlUnitOfWork], sessions: sessionmaker[Session]
) -> None:
    with uow_factory() as uow:
        uow.markets.bump("kale")
        uow.commit()
    with SqlUnitOfWork(sessions, read_only=True) as reader:
        assert reader.markets.all() == {"kale": 1}
        reader.rollback()
        assert reader.markets.get("kale") == 1
        with pytest.raises(ReadOnlyError):
            reader.commit()


def test_a_reader_sees_committed_data_while_a_writer_is_still_open(
    uow_factory: Callable[[], SqlUnitOfWork], sessions: sessionmaker[Session]
) -> None:
    with uow_factory() as uow:
        uow.markets.bump("kale")
        uow.commit()
    with uow_factory() as writer:
        writer.markets.bump("kale")
        writer.markets.bump("eggs")
        with SqlUnitOfWork(sessions, read_only=True) as reader:
            assert reader.markets.all() == {"kale": 1}
        writer.commit()
    with SqlUnitOfWork(sessions, read_only=True) as reader:
        assert reader.markets.all() == {"kale": 2, "eggs": 1}


def test_sqlite_units_of_work_in_threads_never_interleave_a_read_and_its_write(
    sqlite_url: str,
) -> None:
    """Each unit of work reads the version, then writes what depends on it: none may overlap."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                with SqlUnitOfWork(sessions) as uow:
                    version = uow.markets.get("kale")
                    uow.inbox.record(f"after-{version}", "Check", AT)
                    uow.markets.bump("kale")
                    uow.commit()
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        with SqlUnitOfWork(sessions, read_only=True) as uow:
            assert uow.markets.get("kale") == 60
            assert all(uow.inbox.seen(f"after-{n}") for n in range(60))
    finally:
        engine.dispose()


def revisions() -> list[str]:
    """Every packaged revision, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_the_revisions_form_one_chain_ending_at_the_head() -> None:
    chain = revisions()
    assert chain[-1] == head_revision()
    assert chain == sorted(chain)
    assert len(chain) >= 6


SEEDS: dict[str, Callable[[Engine], None]] = {
    "0002": seed_revision_0002,
    "0003": seed_revision_0003,
}


# The inbox and the outbox as revision 0001 left them (every revision since has these columns).
INBOX = sa.table(
    "inbox",
    sa.column("message_id"),
    sa.column("kind"),
    sa.column("handled_at", sa.DateTime(timezone=True)),
)
OUTBOX = sa.table(
    "outbox",
    sa.column("event"),
    sa.column("key"),
    sa.column("payload", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def seed_messages(engine: Engine) -> None:
    """A handled message and a pending event, as any revision before 0007 stores them."""
    with engine.begin() as connection:
        connection.execute(
            INBOX.insert().values(message_id="m-old", kind="SubmitOrder", handled_at=AT)
        )
        connection.execute(
            OUTBOX.insert().values(
                event="OrderSubmitted", key="kale", payload={"id": "o1"}, created_at=AT
            )
        )


def check_messages(engine: Engine) -> None:
    """The seeded message and event read back at the head: the message has no digest (a repeat
    of it is a plain duplicate) and the event is still pending, not parked."""
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        assert uow.inbox.digest("m-old") == ""
        assert uow.inbox.digest("m-new") is None
        assert [(e.event, e.payload) for e in uow.outbox.pending()] == [
            ("OrderSubmitted", {"id": "o1"})
        ]


@pytest.mark.parametrize("start", revisions()[:-1])
def test_upgrade_from_each_previous_revision_keeps_the_data_and_reaches_the_head(
    db_url: str, start: str
) -> None:
    """A database left at any earlier revision, with rows in it, upgrades to the newest schema
    and the service reads its rows back."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, start)
        assert current_revision(engine) == start
        seeded = max((r for r in SEEDS if r <= start), default=None)
        if seeded is not None:
            SEEDS[seeded](engine)
        seed_messages(engine)
        upgrade(engine)
        check_messages(engine)
        assert current_revision(engine) == head_revision()
        assert schema_differences(engine) == []
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            if seeded is not None:
                assert [g.id for g in uow.groups.list()] == ["g1"]
                assert uow.orders.get("o1") is not None
                assert [r.id for r in uow.rounds.list()] == ["r1"]
                assert [u.reason for u in uow.rounds.latest_unfilled(["kale"])] == ["no_supply"]
            if seeded == "0003":
                contract = uow.contracts.get("c1")
                assert contract is not None
                assert contract.state is ContractState.ACCEPTED
                assert contract.deliveries[0].state is DeliveryState.SCHEDULED
            assert uow.keys.list() == []
    finally:
        engine.dispose()


def test_0006_adds_the_api_keys_and_downgrade_removes_them(db_url: str) -> None:
    from matcher.auth import Role, new_key

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0005")
        assert "api_keys" not in inspect(engine).get_table_names()
        upgrade(engine, "0006")
        key, _ = new_key(Role.KITCHEN, "b1", "kitchen", AT)
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            uow.keys.add(key)
            uow.commit()
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            assert uow.keys.get(key.id) == key
        downgrade(engine, "0005")
        assert "api_keys" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_0007_adds_digests_and_parking_and_downgrade_removes_them(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0006")
        assert "body_digest" not in columns(engine, "inbox")
        assert not {"parked_at", "parked_reason"} & columns(engine, "outbox")
        seed_messages(engine)

        upgrade(engine, "0007")

        assert "body_digest" in columns(engine, "inbox")
        assert {"parked_at", "parked_reason"} <= columns(engine, "outbox")
        check_messages(engine)
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            uow.inbox.record("m-new", "SubmitOrder", AT, "ab" * 32)
            (pending,) = uow.outbox.pending()
            uow.outbox.park(pending.id, "event of 3,200,000 bytes is above the limit", AT)
            uow.commit()
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            assert uow.inbox.digest("m-new") == "ab" * 32
            assert uow.outbox.pending() == []
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT event, parked_reason FROM outbox").all() == [
                ("OrderSubmitted", "event of 3,200,000 bytes is above the limit")
            ]

        downgrade(engine, "0006")

        assert "body_digest" not in columns(engine, "inbox")
        assert not {"parked_at", "parked_reason"} & columns(engine, "outbox")
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT message_id FROM inbox ORDER BY message_id"
            ).scalars().all() == ["m-new", "m-old"]
            assert connection.exec_driver_sql("SELECT count(*) FROM outbox").scalar() == 1
        upgrade(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_0011_adds_the_refusal_reason_and_downgrade_removes_it(db_url: str) -> None:
    """A delivery confirmed before 0011 reads back with no reason; one confirmed after keeps its
    reason and note; downgrading to 0010 drops both columns and keeps the quantities."""
    added = {"refusal_reason", "refusal_note"}
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        seed_revision_0003(engine)
        upgrade(engine, "0010")
        assert not added & columns(engine, "contract_deliveries")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE contract_deliveries SET state = 'delivered', received = 35, refused = 5"
            )
        upgrade(engine, "0011")
        assert added <= columns(engine, "contract_deliveries")
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            stored = uow.contracts.get("c1")
            assert stored is not None
            [old] = stored.deliveries
            assert (old.received, old.refused, old.refusal_reason, old.refusal_note) == (
                35,
                5,
                None,
                None,
            )
            uow.contracts.update(
                replace(
                    stored,
                    deliveries=(
                        replace(old, refusal_reason=RefusalReason.OTHER, refusal_note="ถุงขาด"),
                    ),
                )
            )
            uow.commit()
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            stored = uow.contracts.get("c1")
            assert stored is not None
            assert (stored.deliveries[0].refusal_reason, stored.deliveries[0].refusal_note) == (
                RefusalReason.OTHER,
                "ถุงขาด",
            )
        downgrade(engine, "0010")
        assert not added & columns(engine, "contract_deliveries")
        with engine.connect() as connection:
            kept = connection.exec_driver_sql("SELECT received, refused FROM contract_deliveries")
            assert kept.all() == [(35, 5)]
    finally:
        engine.dispose()


def test_0012_keeps_cancelled_deliveries_and_downgrade_makes_them_deliveries_again(
    db_url: str,
) -> None:
    """After 0012 a cancelled date leaves the order's deliveries and is kept with its reason;
    downgrading to 0011 drops the table and puts the date back among the deliveries."""
    later = WEDNESDAY + timedelta(days=7)
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0003")
        seed_revision_0003(engine)
        with engine.begin() as connection:
            connection.execute(
                ORDER_DELIVERIES.insert().values(order_id="o1", day=later, quantity=40)
            )
        upgrade(engine, "0011")
        assert "order_delivery_cancellations" not in inspect(engine).get_table_names()
        upgrade(engine, "0012")
        assert "order_delivery_cancellations" in inspect(engine).get_table_names()
        upgrade(engine)  # later revisions add columns the repositories read
        assert schema_differences(engine) == []
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            record = uow.orders.get("o1")
            assert record is not None
            assert (record.order.deliveries, record.cancelled) == ((WEDNESDAY, later), ())
            uow.orders.cancel_delivery("o1", CancelledDelivery(later, "ปิดครัว", "buyer:b1", AT))
            uow.commit()
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            record = uow.orders.get("o1")
            assert record is not None
            assert record.order.deliveries == (WEDNESDAY,)
            assert record.cancelled == (CancelledDelivery(later, "ปิดครัว", "buyer:b1", AT),)
            (listed,) = uow.orders.list()
            assert listed.cancelled == record.cancelled
        downgrade(engine, "0011")
        assert "order_delivery_cancellations" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            days = connection.exec_driver_sql(
                "SELECT day FROM order_deliveries WHERE order_id = 'o1' ORDER BY day"
            )
            assert [str(d) for (d,) in days.all()] == [WEDNESDAY.isoformat(), later.isoformat()]
    finally:
        engine.dispose()
