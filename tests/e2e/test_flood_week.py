"""The scenario's northeast-monsoon flood week, played through the embedded engine: the flooded
supply lines are withdrawn with their reason, their contracts cancelled, and the next round
matches the flood week's deliveries with groups that still have produce; nothing else moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from matcher.adapters.messages import (
    WITHDRAWALS,
    disruption_messages,
    request_of,
    scenario_messages,
    to_command,
)
from matcher.bootstrap import Service, bootstrap
from matcher.config import Settings
from matcher.domain.contracts import Contract, ContractState, DeliveryState
from matcher.domain.weeks import iso_week
from matcher.scenario import songkhla_instance
from matcher.scenario.flood import FLOOD_DISTRICTS, FLOODED_CROP_GROUPS, REPLACEMENT_SUFFIX
from matcher.service.commands import RunMatchingRound
from matcher.service.ports import ContractFilter
from tests.support.fakes import FixedClock

LOW_LYING = {"9002", "9007", "9008", "9011", "9013", "9014", "9015"}
"""Sathing Phra, Ranot, Krasae Sin, Hat Yai, Khuan Niang, Bang Klam, Singhanakhon."""


@dataclass(frozen=True)
class Played:
    instance: dict[str, Any]
    before: dict[str, Contract]
    after: dict[str, Contract]
    withdrawn: dict[str, str]
    """Supply id -> its state after the flood."""


def _contracts(service: Service) -> dict[str, Contract]:
    with service.read_uow_factory() as uow:
        return {c.id: c for c in uow.contracts.list(ContractFilter(limit=1_000_000))}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    url = f"sqlite:///{tmp_path_factory.mktemp('flood')}/songkhla.db"
    settings = Settings(
        database_url=url, debounce_seconds=3600, max_debounce_seconds=3600, round_interval_seconds=0
    )
    service = bootstrap(settings, clock=FixedClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC)))  # type: ignore[arg-type]
    service.engine.start_sync()
    try:
        raw = songkhla_instance(weeks=4, seed=1, disruptions=True)
        for m in scenario_messages(raw, "flood", seed=1, disruptions=False):
            service.engine.execute_sync(to_command(m.kind, m.body, m.message_id))
        service.engine.execute_sync(RunMatchingRound(message_id="before-the-flood"))
        before = _contracts(service)
        for m in disruption_messages(raw, "flood"):
            service.engine.execute_sync(to_command(m.kind, m.body, m.message_id))
        service.engine.execute_sync(RunMatchingRound(message_id="after-the-flood"))
        after = _contracts(service)
        lines = [line["supply_id"] for line in raw["disruptions"][0]["supply"]]
        with service.read_uow_factory() as uow:
            states = {sid: uow.supply.get(sid).state.value for sid in lines}  # type: ignore[union-attr]
        yield Played(raw, before, after, states)
    finally:
        service.engine.stop_sync()
        service.close()


def _flood(instance: dict[str, Any]) -> dict[str, Any]:
    (flood,) = instance["disruptions"]
    return flood  # type: ignore[no-any-return]


def test_the_instance_floods_one_week_of_december_or_january_in_low_lying_districts(
    played: Played,
) -> None:
    flood = _flood(played.instance)
    first, last = date.fromisoformat(flood["first_day"]), date.fromisoformat(flood["last_day"])
    assert flood["kind"] == "flood"
    assert first.weekday() == 0
    assert (last - first).days == 6
    assert first.month in (12, 1)
    assert iso_week(first) == flood["week"]
    assert set(flood["districts"]) == set(FLOOD_DISTRICTS) <= LOW_LYING
    assert "น้ำท่วม" in flood["reason_th"]
    assert "มรสุมตะวันออกเฉียงเหนือ" in flood["reason_th"]
    assert "flood" in flood["reason_en"].lower()
    groups = {g["id"]: g for g in played.instance["groups"]}
    crop_group = {c["id"]: c["group"] for c in played.instance["crops"]}
    supply = {s["id"]: s for s in played.instance["supply"]}
    assert flood["supply"]
    for line in flood["supply"]:
        assert groups[line["group_id"]]["district"] in LOW_LYING
        assert crop_group[line["crop_id"]] in FLOODED_CROP_GROUPS
        offered = supply[line["supply_id"]]["weeks"][flood["week"]]
        assert line["offered"] == offered
        assert 0 < line["lost"] <= offered
    flooded = {line["supply_id"] for line in flood["supply"]}
    for s in played.instance["supply"]:  # every field line of the flooded districts that week
        if (
            groups[s["group_id"]]["district"] in LOW_LYING
            and crop_group[s["crop_id"]] in FLOODED_CROP_GROUPS
            and flood["week"] in s["weeks"]
        ):
            assert s["id"] in flooded


def test_without_disruptions_the_instance_is_the_same_and_carries_none() -> None:
    plain = songkhla_instance(weeks=4, seed=1)
    flooded = songkhla_instance(weeks=4, seed=1, disruptions=True)
    assert "disruptions" not in plain
    assert {k: v for k, v in flooded.items() if k != "disruptions"} == plain


def test_a_season_without_december_or_january_has_no_flood() -> None:
    june = songkhla_instance(weeks=6, seed=1, start=date(2027, 6, 7), disruptions=True)
    assert june["disruptions"] == []


def test_the_stream_withdraws_each_flooded_line_and_announces_what_is_left(
    played: Played,
) -> None:
    flood = _flood(played.instance)
    messages = list(scenario_messages(played.instance, "flood", seed=1))
    load = list(scenario_messages(played.instance, "flood", seed=1, disruptions=False))
    tail = messages[len(load) :]
    assert messages[: len(load)] == load
    withdrawals = [m for m in tail if m.kind == WITHDRAWALS]
    again = [m for m in tail if m.kind == "supply"]
    assert [m.body["supply_id"] for m in withdrawals] == [s["supply_id"] for s in flood["supply"]]
    assert all(flood["reason_th"] in m.body["reason"] for m in withdrawals)
    assert all(flood["reason_en"] in m.body["reason"] for m in withdrawals)
    supply = {s["id"]: s for s in played.instance["supply"]}
    for m in again:
        original = supply[m.body["id"].removesuffix(REPLACEMENT_SUFFIX)]
        line = next(s for s in flood["supply"] if s["supply_id"] == original["id"])
        left = line["offered"] - line["lost"]
        assert m.body["weeks"].get(flood["week"], 0) == left
        rest = {w: q for w, q in original["weeks"].items() if w != flood["week"]}
        assert {w: q for w, q in m.body["weeks"].items() if w != flood["week"]} == rest
    path, body = request_of(withdrawals[0])
    assert path == f"/api/v1/supply/{flood['supply'][0]['supply_id']}/withdraw"
    assert body == {"reason": withdrawals[0].body["reason"]}


def test_the_flooded_lines_are_withdrawn_and_their_contracts_cancelled(played: Played) -> None:
    assert set(played.withdrawn.values()) == {"withdrawn"}
    on_flooded = [c for c in played.before.values() if c.supply_id in played.withdrawn]
    assert on_flooded, "the first round contracted some flooded supply"
    for contract in on_flooded:
        after = played.after[contract.id]
        assert after.state is ContractState.CANCELLED
        assert "น้ำท่วม" in after.history[-1].reason


def test_nothing_else_changed(played: Played) -> None:
    for cid, contract in played.before.items():
        if contract.supply_id not in played.withdrawn:
            assert played.after[cid] == contract, cid


def test_the_flood_weeks_deliveries_move_to_groups_that_still_have_produce(
    played: Played,
) -> None:
    flood = _flood(played.instance)
    week = flood["week"]
    flooded_lines = set(played.withdrawn)
    lost_orders = {
        c.order_id
        for c in played.before.values()
        if c.supply_id in flooded_lines
        and any(d.week == week and d.state is DeliveryState.SCHEDULED for d in c.deliveries)
    }
    assert lost_orders
    new = [c for cid, c in played.after.items() if cid not in played.before]
    in_week = [
        c for c in new if c.order_id in lost_orders and any(d.week == week for d in c.deliveries)
    ]
    moved = [c for c in in_week if not c.supply_id.endswith(REPLACEMENT_SUFFIX)]
    assert moved, "some of the flood week's deliveries went to other groups"
    flooded_groups = {line["group_id"] for line in flood["supply"]}
    assert {c.group_id for c in moved} - flooded_groups
    # what the flooded lines still offer in the flood week caps what they are given again
    left = {
        line["supply_id"] + REPLACEMENT_SUFFIX: line["offered"] - line["lost"]
        for line in flood["supply"]
    }
    taken: dict[str, int] = {}
    for c in new:
        if c.supply_id in left:
            qty = sum(d.quantity for d in c.deliveries if d.week == week)
            taken[c.supply_id] = taken.get(c.supply_id, 0) + qty
    assert all(q <= left[s] for s, q in taken.items())
    # no delivery of the flood week is left on a withdrawn line
    for c in played.after.values():
        if c.supply_id in flooded_lines:
            assert all(
                d.state is not DeliveryState.SCHEDULED for d in c.deliveries if d.week == week
            )
