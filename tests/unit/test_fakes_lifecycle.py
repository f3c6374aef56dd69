"""The in-memory fake keeps the lifecycle ports' semantics: it observes what the SQL adapter
observes on the same sequence (the SQL side on an in-memory SQLite database)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from matcher.adapters.db.migrate import upgrade
from matcher.adapters.db.session import make_engine, make_session_factory
from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import ContractState
from matcher.domain.errors import NotFound
from matcher.domain.lifecycle import accept, cancel, reject
from tests.support.fakes import FakeUnitOfWork, Store
from tests.support.lifecycle_store import (
    GROUP,
    T0,
    WED_50,
    WED_51,
    contract,
    lifecycle_scenario,
    release,
    seed_book,
)


@pytest.fixture
def sql_uow() -> Iterator[Callable[[], SqlUnitOfWork]]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    sessions = make_session_factory(engine)
    try:
        yield lambda: SqlUnitOfWork(sessions)
    finally:
        engine.dispose()


@pytest.fixture
def fake_uow() -> Callable[[], FakeUnitOfWork]:
    store = Store()
    return lambda: FakeUnitOfWork(store)


def test_the_fake_observes_the_same_lifecycle_as_sql(
    sql_uow: Callable[[], Any], fake_uow: Callable[[], Any]
) -> None:
    fake, sql = lifecycle_scenario(fake_uow), lifecycle_scenario(sql_uow)
    assert fake == sql
    for step in fake:
        assert step.stored == step.expected, step.name
        assert step.bound_demand == step.expected_demand, step.name
        assert step.bound_supply == step.expected_supply, step.name


def other_ports(new_uow: Callable[[], Any]) -> list[object]:
    """due_proposals, declined, the release log and append-only history, observed."""
    hour = timedelta(hours=1)
    seen: list[object] = []
    with new_uow() as uow:
        seed_book(uow)
        uow.contracts.add(contract("late", expires=T0 + 3 * hour))
        uow.contracts.add(contract("soon", expires=T0 + hour))
        uow.contracts.add(contract("open-ended", expires=None))
        uow.contracts.add(contract("taken", expires=T0, state=ContractState.ACCEPTED))
        turned_down = reject(contract("no"), GROUP, T0, "no labour").contract
        uow.contracts.add(turned_down)
        uow.contracts.add(replace(turned_down, id="no-2", order_id="o2"))
        uow.commit()
    with new_uow() as uow:
        for at in (T0, T0 + hour, T0 + 5 * hour):
            seen.append([c.id for c in uow.contracts.due_proposals(at)])
        seen.append(uow.contracts.declined(["o1"]))
        seen.append(uow.contracts.declined(["o1", "o2"]))
        seen.append(uow.contracts.declined([]))
        first = accept(contract("late", expires=T0 + 3 * hour), GROUP, T0).contract
        uow.contracts.update(first)
        second = cancel(first, GROUP, T0 + hour, "no crop")
        edited = (replace(first.history[0], reason="edited"), second.entry)
        uow.contracts.update(replace(second.contract, history=edited))
        seen.append(uow.contracts.get("late"))
        with pytest.raises(NotFound):
            uow.contracts.update(contract("missing"))
        uow.releases.add(release("o1", WED_50, "delivery short"), T0 + 2 * hour)
        uow.releases.add(release("o1", WED_50, "rejected by the group"), T0)
        uow.releases.add(release("o1", WED_51, "amended"), T0)
        uow.releases.add(release("o1", WED_51, "cancelled by buyer"), T0)
        uow.releases.add(release("o2", WED_50, "proposal expired"), T0)
        uow.commit()
    with new_uow() as uow:
        seen.append(uow.releases.causes(["o1", "o2"]))
        uow.releases.taken_up("o1", WED_50, "c-new")
        seen.append(uow.releases.causes(["o1", "o2"]))
        uow.releases.add(release("o1", WED_50, "amended"), T0 + 24 * hour)
        seen.append(uow.releases.causes(["o1"]))
        uow.rollback()
    with new_uow() as uow:
        seen.append(uow.releases.causes(["o1"]))
    return seen


def test_the_fake_observes_the_same_ports_as_sql(
    sql_uow: Callable[[], Any], fake_uow: Callable[[], Any]
) -> None:
    fake, sql = other_ports(fake_uow), other_ports(sql_uow)
    assert fake == sql
    assert fake[:3] == [[], ["soon"], ["soon", "late"]]
    assert fake[3:6] == [{("o1", "g1")}, {("o1", "g1"), ("o2", "g1")}, set()]
    assert fake[-1] == {("o1", WED_50): "delivery short", ("o1", WED_51): "cancelled by buyer"}
