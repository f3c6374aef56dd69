"""Properties of solutions on random markets near Songkhla."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.domain.weeks import iso_week
from matcher.optimiser.eligibility import ReasonCode, build_graph
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.solution import Solution
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from tests.builders import ALL_CROPS, RANDOM_CROPS, random_market, validator_allows

RULE_REASONS = {
    ReasonCode.STANDARD_NOT_MET,
    ReasonCode.CERTIFICATE_INVALID,
    ReasonCode.CROP_NOT_COVERED,
    ReasonCode.NO_FOOD_SAFETY_CREDENTIAL,
    ReasonCode.OUT_OF_RANGE,
    ReasonCode.PRICE_TOO_HIGH,
}


@st.composite
def markets(draw: st.DrawFn) -> MatchingInstance:
    rng = draw(st.randoms(use_true_random=False))
    return random_market(
        rng,
        groups=draw(st.integers(1, 10)),
        buyers=draw(st.integers(1, 5)),
        orders=draw(st.integers(1, 10)),
        weeks=draw(st.integers(1, 3)),
        crops=draw(st.sampled_from([("kale",), RANDOM_CROPS, ALL_CROPS])),
        max_quantity=draw(st.sampled_from([3, 50, 400])),
    ).instance()


def allowed_pairs(instance: MatchingInstance) -> set[tuple[str, str, date]]:
    """(supply, order, day) pairs the validator accepts."""
    out = set()
    for order in instance.orders:
        for day in order.deliveries:
            for supply in instance.supply:
                if (
                    supply.crop_id == order.crop_id
                    and iso_week(day) in supply.quantities
                    and validator_allows(instance, supply.id, order.id, day)
                ):
                    out.add((supply.id, order.id, day))
    return out


def assert_consistent(solution: Solution) -> None:
    s = solution.summary
    assert s.filled == sum(a.quantity for a in solution.allocations)
    assert s.filled + sum(u.quantity for u in solution.unfilled) == s.demand
    assert all(a.quantity > 0 for a in solution.allocations)
    for u in solution.unfilled:
        assert isinstance(u.reason, ReasonCode)
        assert u.quantity > 0
        assert u.detail


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_flow_and_greedy_solutions_are_valid_and_flow_never_fills_less(
    instance: MatchingInstance,
) -> None:
    flow = solve(instance)
    greedy = solve(instance, solver="greedy")
    assert flow.status.value == "optimal", flow.message
    assert greedy.status.value == "feasible", greedy.message
    flow_report, greedy_report = validate(instance, flow), validate(instance, greedy)
    assert flow_report.ok, flow_report.violations
    assert greedy_report.ok, greedy_report.violations
    assert flow_report.objective.weighted_filled >= greedy_report.objective.weighted_filled
    assert flow_report.objective.filled >= greedy_report.objective.filled
    assert flow.summary.weighted_filled == flow_report.objective.weighted_filled
    assert_consistent(flow)
    assert_consistent(greedy)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_eligibility_and_the_validator_agree_on_every_pair(instance: MatchingInstance) -> None:
    graph = build_graph(instance)
    arcs = {
        (
            graph.supply[a.supply_index].supply_id,
            graph.demand[a.demand_index].order_id,
            graph.demand[a.demand_index].day,
        )
        for a in graph.arcs
    }
    assert arcs == allowed_pairs(instance)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_unfilled_reasons_agree_with_the_rules(instance: MatchingInstance) -> None:
    solution = solve(instance)
    allowed = allowed_pairs(instance)
    for u in solution.unfilled:
        same_market = [
            s for s in instance.supply if s.crop_id == u.crop_id and iso_week(u.day) in s.quantities
        ]
        usable = [s for s in same_market if (s.id, u.order_id, u.day) in allowed]
        if u.reason is ReasonCode.NO_SUPPLY:
            assert same_market == []
        elif u.reason in RULE_REASONS:
            assert same_market
            assert usable == []
        else:
            # Capacity taken or insufficient: some supply was allowed, and all of it is used.
            assert usable
            for s in usable:
                used = sum(
                    a.quantity
                    for a in solution.allocations
                    if a.supply_id == s.id and a.week == u.week
                )
                assert used == s.quantities[u.week]


def test_random_markets_exercise_every_reason_code() -> None:
    seen: set[ReasonCode] = set()
    for seed in range(150):
        rng = random.Random(seed)
        instance = random_market(rng, groups=6, orders=6, crops=ALL_CROPS).instance()
        seen |= {u.reason for u in solve(instance).unfilled}
    assert seen == set(ReasonCode)
