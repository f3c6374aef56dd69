"""The contract lifecycle in the database: updates, bound quantities, deadlines, declined pairs
and the release log, on SQLite and on PostgreSQL.

:func:`lifecycle_scenario` drives one contract through accept → confirm (short) → amend → cancel
with the pure lifecycle functions and stores each step; ``tests/unit/test_fakes_lifecycle.py``
runs the same scenario on the in-memory fake and checks that it observes the same.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from matcher.adapters.db.uow import SqlUnitOfWork
from matcher.domain.contracts import (
    ContractState,
    DeliveryState,
    RefusalReason,
)
from matcher.domain.errors import NotFound
from matcher.domain.lifecycle import (
    Settled,
    accept,
    amend,
    cancel,
    confirm_delivery,
    reject,
)
from matcher.thaidates import BANGKOK
from tests.support.lifecycle_store import (
    BUYER,
    GROUP,
    T0,
    THU_51,
    WED_50,
    WED_51,
    WED_52,
    UowFactory,
    contract,
    lifecycle_scenario,
    release,
    seed_book,
)


def test_a_contract_round_trips_through_its_lifecycle(uow_factory: UowFactory) -> None:
    steps = lifecycle_scenario(uow_factory)
    assert [s.name for s in steps] == ["add", "accept", "confirm_delivery", "amend", "cancel"]
    for step in steps:
        assert step.stored == step.expected, step.name
        assert step.bound_demand == step.expected_demand, step.name
        assert step.bound_supply == step.expected_supply, step.name

    final = steps[-1].stored
    assert final is not None
    assert final.state is ContractState.CANCELLED
    assert [h.action for h in final.history] == ["accept", "confirm_delivery", "amend", "cancel"]
    assert final.history[2].details["agreed_by"] == "buyer:b1"
    assert [(d.day, d.quantity, d.state) for d in final.deliveries] == [
        (WED_50, 40, DeliveryState.DELIVERED),
        (THU_51, 25, DeliveryState.RELEASED),
        (WED_52, 40, DeliveryState.RELEASED),
    ]
    assert (final.deliveries[0].received, final.deliveries[0].refused) == (30, 5)
    assert final.deliveries[0].refusal_reason is RefusalReason.NOT_FRESH
    assert final.history[1].details["refusal_reason"] == "not_fresh"

    # The numbers, spelled out: c2 holds 10 on 9 December throughout.
    by_step = {s.name: s for s in steps}
    assert by_step["confirm_delivery"].bound_demand == {
        ("o1", WED_50): 30 + 10,
        ("o1", WED_51): 40,
        ("o1", WED_52): 40,
    }
    assert by_step["confirm_delivery"].bound_supply == {
        ("s-g1", "2026-W50"): 40,  # a delivered week stays consumed
        ("s-g2", "2026-W50"): 10,
        ("s-g1", "2026-W51"): 40,
        ("s-g1", "2026-W52"): 40,
    }
    assert by_step["amend"].bound_demand == {("o1", WED_50): 40, ("o1", THU_51): 25}
    # Cancelled: what was delivered still counts (30 received of 40 on 9 December).
    assert by_step["cancel"].bound_demand == {("o1", WED_50): 30 + 10}
    assert by_step["cancel"].bound_supply == {("s-g1", "2026-W50"): 40, ("s-g2", "2026-W50"): 10}
    assert by_step["cancel"].causes == {
        ("o1", WED_50): "delivery refused for quality",
        ("o1", WED_51): "amended",
        ("o1", WED_52): "amended",
        ("o1", THU_51): "cancelled by buyer",
    }


def test_update_in_the_same_unit_of_work_reads_back_the_new_contract(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        accepted = accept(stored, GROUP, T0 + timedelta(hours=2)).contract
        uow.contracts.update(accepted)
        moved = amend(
            accepted, BUYER, T0 + timedelta(hours=3), {WED_51: (THU_51, 40)}, agreed_by=GROUP
        ).contract
        uow.contracts.update(moved)
        assert uow.contracts.get("c1") == moved
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.get("c1") == moved
        assert [d.day for d in moved.deliveries] == [WED_50, THU_51, WED_52]


def test_update_keeps_the_stored_history_and_appends_the_rest(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    first = accept(contract("c1"), GROUP, T0).contract
    with uow_factory() as uow:
        uow.contracts.update(first)
        uow.commit()
    second = cancel(first, GROUP, T0 + timedelta(minutes=5), "no crop")
    rewritten = replace(
        second.contract,
        history=(replace(first.history[0], reason="edited"), second.entry),
    )
    with uow_factory() as uow:
        uow.contracts.update(rewritten)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        assert stored is not None
        assert stored.history == second.contract.history
        assert stored.history[0].reason == ""


def test_a_refusal_with_its_own_words_round_trips(uow_factory: UowFactory) -> None:
    accepted = accept(contract("c1"), GROUP, T0).contract
    note = "ถุงขาด ผักช้ำ " + "ก" * 186  # 200 characters, the longest note
    settled = Settled(received=30, refused=10, reason="other", note=note)
    confirmed = confirm_delivery(accepted, BUYER, T0 + timedelta(days=8), WED_50, settled)
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(accepted)
        uow.contracts.update(confirmed.contract)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        assert stored == confirmed.contract
        assert stored is not None
        first, *rest = stored.deliveries
        assert (first.refusal_reason, first.refusal_note) == (RefusalReason.OTHER, note)
        assert all((d.refusal_reason, d.refusal_note) == (None, None) for d in rest)


def test_update_of_an_unknown_contract_is_not_found(uow_factory: UowFactory) -> None:
    with uow_factory() as uow, pytest.raises(NotFound):
        uow.contracts.update(contract("nope"))


def test_a_new_contract_round_trips_its_history_and_deadline(uow_factory: UowFactory) -> None:
    accepted = accept(contract("c1"), GROUP, T0.astimezone(BANGKOK)).contract
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(accepted)
        uow.commit()
    with uow_factory() as uow:
        stored = uow.contracts.get("c1")
        assert stored == accepted
        assert stored is not None
        assert stored.history[0].at.tzinfo is not None


def test_due_proposals_are_proposed_contracts_at_or_past_their_deadline(
    uow_factory: UowFactory,
) -> None:
    hour = timedelta(hours=1)
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("late", expires=T0 + 3 * hour))
        uow.contracts.add(contract("soon", expires=T0 + hour))
        uow.contracts.add(contract("open-ended", expires=None))
        uow.contracts.add(contract("taken", expires=T0, state=ContractState.ACCEPTED))
        uow.contracts.add(contract("turned-down", expires=T0, state=ContractState.REJECTED))
        uow.commit()
    with uow_factory() as uow:
        assert [c.id for c in uow.contracts.due_proposals(T0)] == []
        assert [c.id for c in uow.contracts.due_proposals(T0 + hour)] == ["soon"]
        # An aware time in another zone means the same instant.
        later = (T0 + 5 * hour).astimezone(BANGKOK)
        due = uow.contracts.due_proposals(later)
        assert [c.id for c in due] == ["soon", "late"]
        assert due[0] == contract("soon", expires=T0 + hour)


def test_declined_pairs_are_the_rejected_contracts_of_the_orders(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        turned_down = reject(contract("c1"), GROUP, T0, "no labour").contract
        uow.contracts.add(turned_down)
        uow.contracts.add(replace(turned_down, id="c1-again"))
        uow.contracts.add(replace(turned_down, id="c2", order_id="o2"))
        uow.contracts.add(contract("c3", group_id="g2"))
        uow.contracts.add(contract("c4", group_id="g2", state=ContractState.EXPIRED))
        uow.commit()
    with uow_factory() as uow:
        assert uow.contracts.declined(["o1"]) == {("o1", "g1")}
        assert uow.contracts.declined(["o1", "o2", "o-none"]) == {("o1", "g1"), ("o2", "g1")}
        assert uow.contracts.declined([]) == set()


def test_release_log_gives_the_latest_cause_until_a_contract_takes_it_up(
    uow_factory: UowFactory,
) -> None:
    with uow_factory() as uow:
        seed_book(uow)
        uow.contracts.add(contract("c1"))
        uow.commit()
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "delivery short"), T0 + timedelta(hours=2))
        uow.releases.add(release("o1", WED_50, "rejected by the group"), T0)
        uow.releases.add(release("o1", WED_51, "amended"), T0)
        uow.releases.add(release("o1", WED_51, "cancelled by buyer"), T0)  # same time: later
        uow.releases.add(release("o2", WED_50, "proposal expired"), T0)
        assert uow.releases.causes(["o1"]) == {
            ("o1", WED_50): "delivery short",
            ("o1", WED_51): "cancelled by buyer",
        }
        uow.commit()
    with uow_factory() as uow:
        assert uow.releases.causes(["o1", "o2"]) == {
            ("o1", WED_50): "delivery short",
            ("o1", WED_51): "cancelled by buyer",
            ("o2", WED_50): "proposal expired",
        }
        assert uow.releases.causes([]) == {}
        uow.releases.taken_up("o1", WED_50, "c-new")
        assert uow.releases.causes(["o1"]) == {("o1", WED_51): "cancelled by buyer"}
        uow.commit()
    with uow_factory() as uow:
        assert uow.releases.causes(["o1"]) == {("o1", WED_51): "cancelled by buyer"}
        # A later release of the same delivery counts again; the taken-up ones stay taken.
        uow.releases.add(release("o1", WED_50, "amended"), T0 + timedelta(days=1))
        uow.releases.taken_up("o2", WED_51, "c-other")  # nothing released there: no effect
        assert uow.releases.causes(["o1", "o2"]) == {
            ("o1", WED_50): "amended",
            ("o1", WED_51): "cancelled by buyer",
            ("o2", WED_50): "proposal expired",
        }
        uow.commit()


def test_release_log_records_which_contract_took_a_release_up(
    uow_factory: UowFactory, sessions: Any
) -> None:
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "amended"), T0)
        uow.releases.add(release("o1", WED_50, "delivery short"), T0)
        uow.releases.add(release("o1", WED_51, "amended"), T0)
        uow.commit()
    with uow_factory() as uow:
        uow.releases.taken_up("o1", WED_50, "c-new")
        uow.commit()
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "cancelled by group"), T0)
        uow.releases.taken_up("o1", WED_50, "c-newer")
        uow.commit()
    with sessions() as session:
        rows = session.execute(
            text("SELECT day, cause, taken_up_by FROM releases ORDER BY id")
        ).all()
    assert [(r[1], r[2]) for r in rows] == [
        ("amended", "c-new"),
        ("delivery short", "c-new"),
        ("amended", None),
        ("cancelled by group", "c-newer"),
    ]


def test_read_only_units_of_work_read_the_release_log(
    uow_factory: UowFactory, sessions: Any
) -> None:
    with uow_factory() as uow:
        uow.releases.add(release("o1", WED_50, "amended"), T0)
        uow.commit()
    with SqlUnitOfWork(sessions, read_only=True) as reader:
        assert reader.releases.causes(["o1"]) == {("o1", WED_50): "amended"}
