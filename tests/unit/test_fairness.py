"""Fairness metrics: Gini of utilisation, lowest utilisation, share of the smallest groups."""

from __future__ import annotations

import pytest

from matcher.optimiser.fairness import fairness, gini
from matcher.optimiser.solve import solve
from tests.support.builders import PLAIN, WEEK, InstanceBuilder


def test_gini_is_zero_for_equal_values_and_grows_with_concentration() -> None:
    assert gini([0.5, 0.5, 0.5]) == 0.0
    assert gini([]) == 0.0
    assert gini([0.0, 0.0]) == 0.0
    assert gini([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.75)
    assert gini([0.1, 0.2, 0.9]) > gini([0.3, 0.4, 0.5])


def test_a_group_left_idle_shows_in_every_metric() -> None:
    b = InstanceBuilder().parameters(**PLAIN)
    b.group("big", members=40).certificate("big", "THAI_GAP")
    b.group("small", members=8, lat=7.5).certificate("small", "THAI_GAP")
    b.supply("s-big", "big", weeks={WEEK: 100}).supply("s-small", "small", weeks={WEEK: 100})
    b.buyer("h1").order("o1", "h1", quantity=100)
    instance = b.instance()

    solution = solve(instance)
    metrics = fairness(instance, solution.allocations, {"big", "small"})

    assert solution.summary.filled == 100
    assert {a.group_id for a in solution.allocations} == {"big"}  # nearer and as cheap
    assert metrics.groups == 2
    assert metrics.min_utilisation == 0.0
    assert metrics.gini_utilisation == pytest.approx(0.5)
    assert metrics.smallest_groups_share == 0.0


def test_groups_with_nothing_offered_or_not_eligible_are_not_counted() -> None:
    b = InstanceBuilder()
    b.group("g1").certificate("g1", "THAI_GAP").supply("s1", "g1", weeks={WEEK: 50})
    b.buyer("h1").order("o1", "h1", quantity=50)
    instance = b.instance()

    metrics = fairness(instance, solve(instance).allocations, {"g1", "ghost"})

    assert metrics.groups == 1
    assert metrics.min_utilisation == 1.0
    assert metrics.smallest_groups_share == 1.0
