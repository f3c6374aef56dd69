"""Limits and defaults of the instance format: huge values, road table problems, merged rates."""

from __future__ import annotations

import pytest

from matcher.domain.model import Unit
from matcher.optimiser.schema import InstanceError, parse_instance
from tests.support.builders import InstanceBuilder


def test_a_quantity_beyond_the_limit_is_refused_with_its_place() -> None:
    raw = InstanceBuilder().group("g1").buyer("h1").order("o1", "h1", quantity=10**19).build()
    with pytest.raises(InstanceError) as caught:
        parse_instance(raw)
    assert any(p.startswith("orders[0].quantity") for p in caught.value.problems)


def test_a_weekly_supply_beyond_the_limit_is_refused() -> None:
    raw = InstanceBuilder().group("g1").supply("s1", "g1", weeks={"2026-W50": 10**12}).build()
    with pytest.raises(InstanceError) as caught:
        parse_instance(raw)
    assert any("supply[0]" in p and "1,000,000,000" in p for p in caught.value.problems)


def test_road_table_problems_name_their_row() -> None:
    raw = (
        InstanceBuilder()
        .group("g1")
        .buyer("h1")
        .road("g1", "h1", 12.0)
        .road("g1", "h1", 14.0)
        .road("ghost", "h1", 3.0)
        .build()
    )
    with pytest.raises(InstanceError) as caught:
        parse_instance(raw)
    problems = caught.value.problems
    assert "road_distances[1]: the pair g1/h1 appears twice" in problems
    assert "road_distances[2].group_id: no group with id 'ghost'" in problems


def test_setting_one_transport_rate_keeps_the_default_of_the_other_unit() -> None:
    raw = InstanceBuilder().parameters(transport_cost_per_unit_km={"kg": 0.05}).build()
    rates = parse_instance(raw).parameters.transport_cost_per_unit_km
    assert rates[Unit.KG] == 0.05
    assert rates[Unit.PIECE] == 0.001
