"""The independent validator catches tampered solutions and passes untampered ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Allocation, Solution
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from tests.support.builders import (
    DELIVERY,
    WEEK,
    InstanceBuilder,
    allocation_for,
    solution_of,
    week_after,
)


@pytest.fixture
def instance() -> MatchingInstance:
    """60 kg of GAP kale, 40 kg of PGS kale; a hospital and a school each ordering 50 kg SAFE,
    a restaurant ordering 20 kg ORGANIC within 40 km at most 35 THB (20 kg stay unfilled)."""
    b = InstanceBuilder().group("g-gap").group("g-pgs", (7.2, 100.5))
    b.certificate("g-gap", "THAI_GAP").certificate("g-pgs", "PGS")
    b.buyer("hospital", "hospital").buyer("school", "school").buyer("rest", "restaurant")
    b.supply("s-gap", "g-gap", weeks={WEEK: 60}, ask="30.00")
    b.supply("s-pgs", "g-pgs", scheme="PGS", weeks={WEEK: 40}, ask="34.00")
    b.order("o-hospital", "hospital", quantity=50).order("o-school", "school", quantity=50)
    b.order(
        "o-rest", "rest", quantity=20, min_tier="ORGANIC", max_price="35.00", max_distance_km=40.0
    )
    return b.instance()


def violations(instance: MatchingInstance, allocations: list[Allocation]) -> list[str]:
    return validate(instance, solution_of(instance, allocations)).violations


def test_untampered_flow_and_greedy_solutions_pass(instance: MatchingInstance) -> None:
    for solver in ("flow", "greedy"):
        solution = solve(instance, solver=solver)
        report = validate(instance, solution)
        assert report.ok, report.violations
        assert report.objective.filled == solution.summary.filled
        assert report.objective.weighted_filled == solution.summary.weighted_filled
        assert report.objective.delivered_cost == solution.summary.delivered_cost


def test_hand_built_valid_solution_passes(instance: MatchingInstance) -> None:
    allocations = [
        allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50),
        allocation_for(instance, "s-pgs", "o-rest", DELIVERY, 20),
    ]
    assert violations(instance, allocations) == []


def test_over_allocating_a_supply_week_is_caught(instance: MatchingInstance) -> None:
    allocations = [
        allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50),
        allocation_for(instance, "s-gap", "o-school", DELIVERY, 50),
    ]
    found = violations(instance, allocations)
    assert len(found) == 1
    assert f"supply s-gap week {WEEK}" in found[0]
    assert "100 allocated" in found[0]


def test_over_delivering_to_an_order_is_caught(instance: MatchingInstance) -> None:
    allocations = [
        allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 40),
        allocation_for(instance, "s-pgs", "o-hospital", DELIVERY, 20),
    ]
    found = violations(instance, allocations)
    assert found
    assert all(v.startswith(f"order o-hospital {DELIVERY}") for v in found)
    assert any("60 delivered > 50" in v for v in found)


def test_pair_below_the_ordered_tier_is_caught(instance: MatchingInstance) -> None:
    found = violations(instance, [allocation_for(instance, "s-gap", "o-rest", DELIVERY, 20)])
    assert len(found) == 1
    assert "no THAI_GAP certificate meets ORGANIC" in found[0]


def test_wrong_distance_is_caught(instance: MatchingInstance) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    found = violations(instance, [replace(good, distance_km=good.distance_km - 1.0)])
    assert any("distance" in v and "recomputed" in v for v in found)


def test_wrong_price_is_caught(instance: MatchingInstance) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    tampered = replace(good, unit_price=good.unit_price - 100, unit_cost=good.unit_cost - 10_000)
    found = violations(instance, [tampered])
    assert any("unit price 2900 satang, offered 3000" in v for v in found)
    assert any("unit cost" in v for v in found)


def test_price_above_the_max_price_is_caught() -> None:
    b = InstanceBuilder().group("g1").certificate("g1", "PGS").buyer("b1")
    b.supply("s1", "g1", scheme="PGS", ask="35.01").order("o1", "b1", max_price="35.00")
    instance = b.instance()
    found = violations(instance, [allocation_for(instance, "s1", "o1", DELIVERY, 10)])
    assert found
    assert all("above the max" in v for v in found)


def test_pair_beyond_the_radius_is_caught(instance: MatchingInstance) -> None:
    far = InstanceBuilder().group("g1", (6.6, 100.0)).certificate("g1", "PGS").buyer("b1")
    far.supply("s1", "g1", scheme="PGS").order("o1", "b1", max_distance_km=40.0)
    inst = far.instance()
    found = violations(inst, [allocation_for(inst, "s1", "o1", DELIVERY, 10)])
    assert len(found) == 1
    assert "beyond the limit of 40.0 km" in found[0]


def test_allocation_under_an_expired_certificate_is_caught() -> None:
    b = InstanceBuilder().group("g1").buyer("b1")
    b.certificate("g1", "THAI_GAP", valid_until=DELIVERY - timedelta(days=1))
    b.supply("s1", "g1").order("o1", "b1")
    instance = b.instance()
    found = violations(instance, [allocation_for(instance, "s1", "o1", DELIVERY, 10)])
    assert len(found) == 1
    assert f"on {DELIVERY}" in found[0]


def test_allocation_on_a_day_that_is_not_a_delivery_is_caught(instance: MatchingInstance) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    found = violations(instance, [replace(good, day=DELIVERY + timedelta(days=1))])
    assert any("not a delivery date" in v for v in found)


def test_allocation_from_a_week_the_supply_does_not_offer_is_caught(
    instance: MatchingInstance,
) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    found = violations(instance, [replace(good, week=week_after(WEEK))])
    assert any("does not match" in v for v in found)


def test_allocation_naming_an_unknown_order_is_caught(instance: MatchingInstance) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    solution = solution_of(instance, [good])
    tampered = replace(solution, allocations=(replace(good, order_id="o-ghost"),))
    found = validate(instance, tampered).violations
    assert any("unknown order or supply" in v for v in found)


def test_wrong_summary_is_caught(instance: MatchingInstance) -> None:
    solution = solve(instance)
    assert validate(instance, solution).ok
    for change in ({"filled": 1}, {"weighted_filled": 1}, {"delivered_cost": -1}):
        ((field, delta),) = change.items()
        summary = replace(solution.summary, **{field: getattr(solution.summary, field) + delta})
        found = validate(instance, replace(solution, summary=summary)).violations
        assert len(found) == 1
        assert found[0].startswith("summary says")


def test_unfilled_quantities_that_do_not_add_up_are_caught(instance: MatchingInstance) -> None:
    solution: Solution = solve(instance)
    assert solution.unfilled
    found = validate(instance, replace(solution, unfilled=())).violations
    assert len(found) == len(solution.unfilled)
    assert all("unfilled" in v for v in found)


def test_dropped_allocation_is_caught(instance: MatchingInstance) -> None:
    solution = solve(instance)
    tampered = replace(solution, allocations=solution.allocations[1:])
    found = validate(instance, tampered).violations
    assert any("unfilled" in v for v in found)
    assert any(v.startswith("summary says") for v in found)


def test_allocation_naming_another_group_or_buyer_is_caught(instance: MatchingInstance) -> None:
    good = allocation_for(instance, "s-gap", "o-hospital", DELIVERY, 50)
    for tampered in (replace(good, group_id="g-pgs"), replace(good, buyer_id="school")):
        found = violations(instance, [tampered])
        assert len(found) == 1
        assert "the supply's group and the order's buyer are g-gap / hospital" in found[0]


def test_integer_rules_count_the_supply_s_group_not_the_group_named() -> None:
    # The allocations name one group twice; the supplies belong to two: single sourcing broken.
    b = InstanceBuilder().parameters(max_suppliers=1).buyer("h1").order("o1", "h1")
    for g in ("g1", "g2"):
        b.group(g).certificate(g, "THAI_GAP").supply(f"s-{g}", g, weeks={WEEK: 30})
    instance = b.instance()
    one = allocation_for(instance, "s-g1", "o1", DELIVERY, 25)
    two = replace(allocation_for(instance, "s-g2", "o1", DELIVERY, 25), group_id="g1")
    found = violations(instance, [one, two])
    assert f"order o1 {DELIVERY}: 2 suppliers (g1, g2) > max_suppliers 1" in found
