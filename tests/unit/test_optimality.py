"""The flow solver's answers are optimal: against brute force, the independent LP, and by design."""

from __future__ import annotations

import random

import pytest

import matcher.optimiser.model as flow_model
from matcher.optimiser.eligibility import build_graph
from matcher.optimiser.instance import MatchingInstance
from matcher.optimiser.lp import solve_lp
from matcher.optimiser.solution import Allocation
from matcher.optimiser.solve import solve
from matcher.optimiser.validate import validate
from tests.support.allocations import all_allocations, allowed_slots, tiny_market
from tests.support.builders import (
    HAT_YAI,
    PLAIN,
    SONGKHLA_CITY,
    WEEK,
    InstanceBuilder,
    allocation_for,
    filled_by_order,
    random_market,
    solution_of,
    solve_and_validate,
)


def brute_force_best(instance: MatchingInstance) -> tuple[int, int, list[Allocation]]:
    """The lexicographic best (max weighted fill, then min delivered cost) by enumeration."""
    slots = allowed_slots(instance)
    unit = [allocation_for(instance, s, o, d, 1) for s, o, d in slots]
    weight = {
        o.id: instance.parameters.weight(instance.buyers[o.buyer_id].kind) for o in instance.orders
    }
    best: tuple[int, int] = (1, 0)  # worse than any allocation, the empty one included
    best_x: list[int] = []
    for x in all_allocations(instance, slots):
        weighted = sum(q * weight[u.order_id] for q, u in zip(x, unit, strict=True))
        cost = sum(q * u.unit_cost for q, u in zip(x, unit, strict=True))
        if (-weighted, cost) < best:
            best, best_x = (-weighted, cost), x
    allocations = [
        allocation_for(instance, s, o, d, q)
        for (s, o, d), q in zip(slots, best_x, strict=True)
        if q > 0
    ]
    return -best[0], best[1], allocations


@pytest.mark.parametrize("seed", range(120))
def test_flow_solution_is_the_lexicographic_best_of_all_integer_allocations(seed: int) -> None:
    instance = tiny_market(seed)
    assert sum(len(s.quantities) for s in instance.supply) <= 3
    assert sum(len(o.deliveries) for o in instance.orders) <= 3
    weighted, cost, allocations = brute_force_best(instance)
    best_report = validate(instance, solution_of(instance, allocations))
    assert best_report.ok, best_report.violations

    solution = solve(instance)
    report = validate(instance, solution)
    assert report.ok, report.violations
    assert solution.status.value == "optimal"
    assert (report.objective.weighted_filled, report.objective.delivered_cost) == (
        weighted,
        cost,
    )


def test_tiny_markets_have_real_choices_that_greedy_gets_wrong() -> None:
    # The brute-force comparison is only worth something when the tiny markets offer choices.
    with_choices = greedy_not_optimal = 0
    for seed in range(120):
        instance = tiny_market(seed)
        with_choices += len(allowed_slots(instance)) >= 2
        greedy = validate(instance, solve(instance, solver="greedy")).objective
        best = validate(instance, solve(instance)).objective
        greedy_not_optimal += greedy.key() != best.key()
    assert with_choices >= 30
    assert greedy_not_optimal >= 5


@pytest.mark.parametrize("seed", range(25))
def test_flow_matches_the_independent_lp_on_medium_markets(seed: int) -> None:
    rng = random.Random(1000 + seed)
    instance = (
        random_market(
            rng,
            groups=rng.randint(8, 20),
            buyers=rng.randint(3, 8),
            orders=rng.randint(8, 25),
            weeks=3,
            max_quantity=200,
        )
        .parameters(**PLAIN)
        .instance()
    )
    graph = build_graph(instance)
    lp = solve_lp(graph)
    solution, report = solve_and_validate(instance)
    assert report.objective.weighted_filled == round(lp.weighted_filled)
    assert abs(lp.weighted_filled - round(lp.weighted_filled)) < 1e-6
    assert report.objective.delivered_cost == pytest.approx(lp.delivered_cost, rel=1e-6)
    assert solution.summary.eligible_pairs == len(graph.arcs)


def test_lp_comparison_covers_markets_with_allocations() -> None:
    with_arcs = 0
    for seed in range(25):
        rng = random.Random(1000 + seed)
        instance = (
            random_market(
                rng,
                groups=rng.randint(8, 20),
                buyers=rng.randint(3, 8),
                orders=rng.randint(8, 25),
                weeks=3,
                max_quantity=200,
            )
            .parameters(**PLAIN)
            .instance()
        )
        with_arcs += len(build_graph(instance).arcs) >= 5
    assert with_arcs >= 15


def test_hospital_is_served_before_a_hotel_when_supply_is_scarce() -> None:
    b = InstanceBuilder().parameters(**PLAIN).group("g1").certificate("g1", "THAI_GAP")
    # The hotel is nearer and listed first; the hospital still wins.
    b.buyer("hotel", "hotel", HAT_YAI).buyer("hospital", "hospital", SONGKHLA_CITY)
    b.supply("s1", "g1", weeks={WEEK: 70})
    b.order("o-hotel", "hotel", quantity=60).order("o-hospital", "hospital", quantity=60)
    solution, _ = solve_and_validate(b.instance())
    assert filled_by_order(solution) == {"o-hospital": 60, "o-hotel": 10}
    assert [(u.order_id, u.quantity) for u in solution.unfilled] == [("o-hotel", 50)]


def test_custom_priority_weights_can_reverse_the_order() -> None:
    b = InstanceBuilder().parameters(**PLAIN).group("g1").certificate("g1", "THAI_GAP")
    b.buyer("hotel", "hotel").buyer("hospital", "hospital")
    b.supply("s1", "g1", weeks={WEEK: 60})
    b.order("o-hotel", "hotel", quantity=60).order("o-hospital", "hospital", quantity=60)
    b.parameters(priority_weights={"hotel": 20})
    solution, _ = solve_and_validate(b.instance())
    assert filled_by_order(solution) == {"o-hotel": 60}


def test_hospital_is_routed_to_the_supply_the_school_cannot_use() -> None:
    # The PGS group is nearer the hospital, but only it meets the school's ORGANIC order: the
    # optimiser sends the GAP produce to the hospital and serves both; greedy serves one.
    b = InstanceBuilder().parameters(**PLAIN).group("pgs", (7.13, 100.55)).group("gap", HAT_YAI)
    b.certificate("pgs", "PGS").certificate("gap", "THAI_GAP")
    b.buyer("hospital", "hospital").buyer("school", "school")
    b.supply("s-pgs", "pgs", scheme="PGS", weeks={WEEK: 40})
    b.supply("s-gap", "gap", weeks={WEEK: 40})
    b.order("o-hospital", "hospital", quantity=40).order(
        "o-school", "school", quantity=40, min_tier="ORGANIC"
    )
    instance = b.instance()
    solution, report = solve_and_validate(instance)
    assert sorted((a.order_id, a.group_id, a.quantity) for a in solution.allocations) == [
        ("o-hospital", "gap", 40),
        ("o-school", "pgs", 40),
    ]
    greedy, greedy_report = solve_and_validate(instance, solver="greedy")
    assert filled_by_order(greedy) == {"o-hospital": 40}
    assert report.objective.weighted_filled > greedy_report.objective.weighted_filled


def test_nearer_group_wins_at_equal_price() -> None:
    b = InstanceBuilder().parameters(**PLAIN).group("near", (7.13, 100.55)).group("far", HAT_YAI)
    b.certificate("near", "THAI_GAP").certificate("far", "THAI_GAP").buyer("h1")
    b.supply("s-far", "far", ask="30.00", weeks={WEEK: 100})
    b.supply("s-near", "near", ask="30.00", weeks={WEEK: 100})
    b.order("o1", "h1", quantity=80)
    solution, _ = solve_and_validate(b.instance())
    assert [(a.group_id, a.quantity) for a in solution.allocations] == [("near", 80)]


def test_cheaper_ask_wins_at_equal_distance() -> None:
    b = InstanceBuilder().parameters(**PLAIN).group("dear", HAT_YAI).group("cheap", HAT_YAI)
    b.certificate("dear", "THAI_GAP").certificate("cheap", "THAI_GAP").buyer("h1")
    b.supply("s-dear", "dear", ask="30.01", weeks={WEEK: 100})
    b.supply("s-cheap", "cheap", ask="30.00", weeks={WEEK: 60})
    b.order("o1", "h1", quantity=80)
    solution, _ = solve_and_validate(b.instance())
    assert sorted((a.group_id, a.quantity) for a in solution.allocations) == [
        ("cheap", 60),
        ("dear", 20),
    ]


def test_delivered_cost_weighs_price_against_transport() -> None:
    # At 0.02 THB per kg-km, 1 THB cheaper is worth 50 km more: the far, cheaper group wins
    # when it saves more than its extra transport costs, and loses otherwise.
    def winner(far_ask: str) -> str:
        b = (
            InstanceBuilder()
            .parameters(**PLAIN)
            .group("near", (7.13, 100.55))
            .group("far", HAT_YAI)
        )
        b.certificate("near", "THAI_GAP").certificate("far", "THAI_GAP").buyer("h1")
        b.supply("s-near", "near", ask="30.00").supply("s-far", "far", ask=far_ask)
        b.order("o1", "h1", quantity=10)
        solution, _ = solve_and_validate(b.instance())
        assert len(solution.allocations) == 1
        return solution.allocations[0].group_id

    assert winner("29.50") == "far"
    assert winner("29.90") == "near"


def test_scaled_costs_still_fill_the_optimal_quantity_and_say_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    market = random_market(random.Random(7), groups=12, buyers=5, orders=15, weeks=2)
    instance = market.parameters(**PLAIN).instance()
    exact, exact_report = solve_and_validate(instance)
    assert exact.status.value == "optimal"
    assert exact.summary.filled > 0
    monkeypatch.setattr(flow_model, "COST_LIMIT", 2**20)
    scaled, scaled_report = solve_and_validate(instance)
    assert scaled.status.value == "feasible"
    assert scaled.notes
    assert "scaled" in scaled.notes[0]
    assert scaled_report.objective.weighted_filled == exact_report.objective.weighted_filled
    assert scaled_report.objective.filled == exact_report.objective.filled
    assert scaled_report.objective.delivered_cost >= exact_report.objective.delivered_cost


def test_huge_costs_on_a_bucket_with_many_deliveries_are_scaled_rather_than_failing() -> None:
    # Five 1 kg supply weeks, 4,000 one-kilo deliveries, a priority weight of 1000 and the
    # highest price accepted: the flow network's arc costs times its node count exceed 64 bits.
    b = InstanceBuilder().parameters(priority_weights={"hospital": 1000})
    for g in range(5):
        b.group(f"g{g}").certificate(f"g{g}", "THAI_GAP")
        b.supply(f"s{g}", f"g{g}", weeks={WEEK: 1}, ask="10000000.00")
    b.buyer("h1", "hospital").buyer("r1", "restaurant")
    for o in range(4000):
        b.order(f"o{o}", "h1" if o % 2 else "r1", quantity=1)
    solution, report = solve_and_validate(b.instance())
    assert solution.status.value == "feasible"
    assert solution.notes
    assert report.objective.filled == 5
    assert report.objective.weighted_filled == 5 * 1000


def test_solver_failure_comes_back_as_an_error_status(monkeypatch: pytest.MonkeyPatch) -> None:
    instance = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1").instance()

    def broken(*_: object) -> None:
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("matcher.optimiser.solve.solve_flow", broken)
    solution = solve(instance)
    assert solution.status.value == "error"
    assert "solver exploded" in solution.message
    assert solution.allocations == ()


def test_unknown_solver_name_comes_back_as_an_error_status() -> None:
    instance = InstanceBuilder().group("g1").certificate("g1", "THAI_GAP").buyer("h1").instance()
    solution = solve(instance, solver="magic")
    assert solution.status.value == "error"
    assert solution.solver == "magic"
    assert "magic" in solution.message
